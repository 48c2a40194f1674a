"""The scenario file schema (pydantic): types, bounds and one-line messages naming the field.

:func:`validate_scenario_dict` checks a parsed ``geo-scenario`` JSON object and
:func:`validate_change_dict` one change; both raise :class:`~geo._errors.InputError` whose message
names the file and the field (``base.threshold_minutes``, ``changes[2].capacity``) and what is
allowed, never the value found.  Nesting depth and size are checked on the text before parsing,
so a hostile file cannot exhaust the parser.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from geo._errors import InputError

SCHEMA_NAME = "geo-scenario"
SCHEMA_VERSION = 1
MAX_FILE_CHARS = 5_000_000
MAX_NESTING = 32
MAX_CHANGES = 5_000

Text = Annotated[str, Field(strict=True, max_length=500)]
Name = Annotated[str, Field(strict=True, min_length=1, max_length=200)]
Easting = Annotated[float, Field(strict=True, ge=0, le=700_000, allow_inf_nan=False)]
Northing = Annotated[float, Field(strict=True, ge=0, le=1_300_000, allow_inf_nan=False)]
Capacity = Annotated[float, Field(strict=True, ge=0, le=1_000_000, allow_inf_nan=False)]
Threshold = Annotated[float, Field(strict=True, gt=0, le=600, allow_inf_nan=False)]
Buffer = Annotated[float, Field(strict=True, ge=0, le=200, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class BaseSpec(_Strict):
    """What a scenario applies to (``base``)."""

    area: Annotated[str, Field(strict=True, min_length=1, max_length=255)] | None = None
    sites: Text | None = None
    mode: Text | None = None
    method: Text | None = None
    network: Text | None = None
    threshold_minutes: Threshold | None = None
    buffer_km: Buffer | None = None
    in_county_only: bool | None = None


class AddChange(_Strict):
    kind: Literal["add"]
    name: Name
    site_type: Text = "satellite"
    easting: Easting | None = None
    northing: Northing | None = None
    postcode: Text | None = None
    ods_code: Text | None = None
    from_site_id: Text | None = None
    site_id: Text | None = None
    opening_hours: Text = ""
    capacity: Capacity | None = None


class RemoveChange(_Strict):
    kind: Literal["remove"]
    site_id: Text


class MoveChange(_Strict):
    kind: Literal["move"]
    site_id: Text
    easting: Easting | None = None
    northing: Northing | None = None
    postcode: Text | None = None


class HoursChange(_Strict):
    kind: Literal["hours"]
    site_id: Text
    opening_hours: Text


class CapacityChange(_Strict):
    kind: Literal["capacity"]
    site_id: Text
    capacity: Capacity


CHANGE_MODELS: dict[str, type[_Strict]] = {"add": AddChange, "remove": RemoveChange, "move": MoveChange,
                                           "hours": HoursChange, "capacity": CapacityChange}


class ScenarioFileModel(_Strict):
    """A whole scenario file (``geo-scenario`` version 1)."""

    schema_: Literal["geo-scenario"] = Field(alias="schema")
    version: Annotated[int, Field(strict=True, ge=1, le=SCHEMA_VERSION)]
    name: Name
    created: Annotated[str, Field(strict=True, max_length=64)] = ""
    description: Annotated[str, Field(strict=True, max_length=5_000)] = ""
    base: BaseSpec = BaseSpec()
    changes: Annotated[list[dict[str, Any]], Field(max_length=MAX_CHANGES)] = []

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)


_FIXES = {
    "version": f"use version {SCHEMA_VERSION} (a whole number); newer files need a newer geo",
    "schema": f"must be {SCHEMA_NAME!r}; check you chose a scenario file saved by geo",
    "threshold_minutes": "give minutes as a number above 0 and at most 600",
    "buffer_km": "give kilometres as a number from 0 to 200",
    "capacity": "give a number of places from 0 to 1,000,000",
    "easting": "give British National Grid metres (0 to 700,000)",
    "northing": "give British National Grid metres (0 to 1,300,000)",
    "area": "give the area as text (a district, county or region name), at most 255 characters",
    "sites": "give site types as one comma-separated text, e.g. \"hub,pharmacy\"",
}


def _message(exc: ValidationError, *, where: str) -> str:
    err = exc.errors(include_input=False, include_url=False)[0]
    loc = ".".join(str(x) if not isinstance(x, int) else f"[{x}]" for x in err["loc"]).replace(".[", "[")
    loc = loc.replace("schema_", "schema") or "(top level)"
    field = str(err["loc"][-1]) if err["loc"] else ""
    field = "schema" if field == "schema_" else field
    if err["type"] == "extra_forbidden":
        return f"{where}: unknown field '{loc}'; remove it (see docs for the scenario file format)"
    if err["type"] == "missing":
        return f"{where}: field '{loc}' is missing; add it (see a file saved by geo scenario --save)"
    fix = _FIXES.get(field, err["msg"].replace("Input should", "it should") + "; give a value of that kind")
    return f"{where}: field '{loc}' is not valid: {fix}"


def validate_scenario_dict(data: Any, *, source: str) -> ScenarioFileModel:
    """Check a parsed scenario object; raise :class:`InputError` naming the first bad field."""
    if not isinstance(data, dict):
        found = {"list": "a list", "str": "a string", "NoneType": "null"}.get(type(data).__name__, "a number")
        msg = f"{source}: expected a JSON object at the top level, found {found}"
        raise InputError(msg)
    try:
        return ScenarioFileModel.model_validate(data)
    except ValidationError as exc:
        raise InputError(_message(exc, where=source)) from None


def validate_change_dict(d: dict[str, Any], *, kind: str, where: str) -> dict[str, Any]:
    """Check one change object of ``kind``; returns its fields without ``kind`` and without nulls."""
    try:
        model = CHANGE_MODELS[kind].model_validate(d)
    except ValidationError as exc:
        raise InputError(_message(exc, where=where)) from None
    return {k: v for k, v in model.model_dump(exclude_none=True).items() if k != "kind"}


def _nesting_depth(text: str) -> int:
    """Deepest ``[``/``{`` nesting of JSON text (strings skipped), without parsing it."""
    depth = best = 0
    in_str = esc = False
    for ch in text:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            best = max(best, depth)
        elif ch in "]}":
            depth -= 1
    return best
