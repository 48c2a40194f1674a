"""Scenario changes and scenarios, declared once (pydantic): the file reader, the API, the CLI
and the app's scenario editor all build these models.

A :class:`Scenario` is a named, dated list of changes -- :class:`AddSite`, :class:`RemoveSite`,
:class:`MoveSite`, :class:`ChangeHours`, :class:`ChangeCapacity`, told apart by ``kind`` -- and
``base``, what they apply to (area, sites, mode, threshold...).  Types, bounds and the
"give a location" rule are checked when a model is built, from a file (:meth:`Scenario.from_dict`)
or in code (``AddSite(name="x", postcode="LE15 9PZ")``); every problem is an
:class:`~geo._errors.InputError` whose message names where (the file, ``changes[2]``) and the
field (``base.threshold_minutes``, ``capacity``) and what is allowed, never the value found
(except an unknown ``kind``).  The file format is ``geo-scenario`` version :data:`SCHEMA_VERSION`;
reading and writing files is :mod:`geo.planning.scenario_file`, applying changes
:mod:`geo.planning.scenarios`.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
    with_config,
)
from typing_extensions import TypedDict

from geo._errors import InputError
from geo.data.site_types import NEW_SITE_TYPE, SITE_TYPES

SCHEMA_NAME = "geo-scenario"
SCHEMA_VERSION = 1
MAX_CHANGES = 5_000

Text = Annotated[str, Field(strict=True, max_length=500)]
Name = Annotated[str, Field(strict=True, min_length=1, max_length=200)]
Easting = Annotated[float, Field(strict=True, ge=0, le=700_000, allow_inf_nan=False)]
Northing = Annotated[float, Field(strict=True, ge=0, le=1_300_000, allow_inf_nan=False)]
Capacity = Annotated[float, Field(strict=True, ge=0, le=1_000_000, allow_inf_nan=False)]
Threshold = Annotated[float, Field(strict=True, gt=0, le=600, allow_inf_nan=False)]
Buffer = Annotated[float, Field(strict=True, ge=0, le=200, allow_inf_nan=False)]


def _known_type(value: str) -> str:
    if value not in SITE_TYPES:
        msg = "unknown site type"
        raise ValueError(msg)
    return value


SiteTypeName = Annotated[str, Field(strict=True, max_length=500), AfterValidator(_known_type)]


#: How many scenario models are being built inside one another (0: none; 1: the outermost).
_DEPTH: ContextVar[int] = ContextVar("geo_scenario_model_depth", default=0)


class _Model(BaseModel):
    """Strict, frozen, no unknown fields; building one in code raises :class:`InputError`.

    pydantic calls this ``__init__`` for nested models too: there the raw error goes up, so the
    outermost model's message names the whole path (``changes[2]: field 'capacity'``).
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    #: Name of the model in messages about models built in code.
    what: ClassVar[str] = "scenario"

    def __init__(self, *args: Any, **data: Any) -> None:
        if args:  # positional fields in declaration order, after ``kind``: RemoveSite("seed:tp-oakham")
            names = [n for n in type(self).model_fields if n != "kind"]
            if len(args) > len(names):
                msg = f"{self.what}: {len(args)} values given for {len(names)} fields ({', '.join(names)})"
                raise InputError(msg)
            data.update(zip(names, args, strict=False))
        token = _DEPTH.set(_DEPTH.get() + 1)
        try:
            super().__init__(**data)
        except ValidationError as exc:
            if _DEPTH.get() > 1:
                raise
            raise InputError(_message(exc, where=self.what)) from None
        finally:
            _DEPTH.reset(token)


class _Located(_Model):
    """A change that places a site: coordinates (EPSG:27700), a postcode or (adds) an existing site."""

    #: Fields that place the site besides ``easting``+``northing``, and the words for them.
    places: ClassVar[tuple[str, ...]] = ("postcode",)
    placed_by: ClassVar[str] = "'easting'+'northing' or 'postcode'"

    @model_validator(mode="after")
    def _has_location(self) -> _Located:
        v = vars(self)
        if (v["easting"] is None or v["northing"] is None) and not any(v[f] for f in self.places):
            msg = f"give a location: {self.placed_by}"
            raise ValueError(msg)
        return self


class AddSite(_Located):
    """Open a site, located by coordinates (EPSG:27700), postcode, ODS code or ``from_site_id``.

    ``from_site_id`` copies an existing row of the candidate pool (e.g. ``ods:FC826``, a
    pharmacy).  ``site_id`` names the new site (default ``scenario:<name slug>``).  ``site_type``
    is a type of :data:`geo.data.site_types.SITE_TYPES`.
    """

    what: ClassVar[str] = "add change"
    places: ClassVar[tuple[str, ...]] = ("postcode", "ods_code", "from_site_id")
    placed_by: ClassVar[str] = "'easting'+'northing', 'postcode', 'ods_code' or 'from_site_id'"
    kind: Literal["add"] = "add"
    name: Name
    site_type: SiteTypeName = NEW_SITE_TYPE
    easting: Easting | None = None
    northing: Northing | None = None
    postcode: Text | None = None
    ods_code: Text | None = None
    from_site_id: Text | None = None
    site_id: Text | None = None
    opening_hours: Text = ""
    capacity: Capacity | None = None


class RemoveSite(_Model):
    """Close the site ``site_id``."""

    what: ClassVar[str] = "remove change"
    kind: Literal["remove"] = "remove"
    site_id: Text


class MoveSite(_Located):
    """Relocate ``site_id`` to coordinates (EPSG:27700) or a postcode."""

    what: ClassVar[str] = "move change"
    kind: Literal["move"] = "move"
    site_id: Text
    easting: Easting | None = None
    northing: Northing | None = None
    postcode: Text | None = None


class ChangeHours(_Model):
    """Set the opening hours (OSM ``opening_hours`` syntax) of ``site_id``."""

    what: ClassVar[str] = "hours change"
    kind: Literal["hours"] = "hours"
    site_id: Text
    opening_hours: Text


class ChangeCapacity(_Model):
    """Set the capacity (e.g. client places) of ``site_id``."""

    what: ClassVar[str] = "capacity change"
    kind: Literal["capacity"] = "capacity"
    site_id: Text
    capacity: Capacity


#: One change of any kind (told apart by ``kind``).
Change = Annotated[AddSite | RemoveSite | MoveSite | ChangeHours | ChangeCapacity, Field(discriminator="kind")]
CHANGE_TYPES: dict[str, type[_Model]] = {c.model_fields["kind"].default: c for c in
                                         (AddSite, RemoveSite, MoveSite, ChangeHours, ChangeCapacity)}


@with_config(ConfigDict(extra="forbid", strict=True))
class BaseSpec(TypedDict, total=False):
    """What a scenario applies to (``base``); a plain dict, keys without a value left out."""

    area: Annotated[str, Field(strict=True, min_length=1, max_length=255)] | None
    sites: Text | None
    mode: Text | None
    method: Text | None
    network: Text | None
    threshold_minutes: Threshold | None
    buffer_km: Buffer | None
    in_county_only: bool | None


def _given(base: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in base.items() if v is not None}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Scenario(_Model):
    """A named set of changes to a base set of sites.

    ``base`` describes what the changes apply to (area, site types, mode, threshold...), so a
    saved file can be re-run; ``created`` is an ISO 8601 UTC timestamp.
    """

    name: Name
    changes: Annotated[tuple[Change, ...], Field(strict=False, max_length=MAX_CHANGES)] = ()
    base: Annotated[BaseSpec, AfterValidator(_given)] = Field(default_factory=lambda: BaseSpec())
    created: Annotated[str, Field(strict=True, max_length=64)] = Field(default_factory=_now)
    description: Annotated[str, Field(strict=True, max_length=5_000)] = ""

    def with_change(self, change: Change) -> Scenario:
        """A copy with ``change`` appended."""
        return Scenario(name=self.name, changes=(*self.changes, change), base=self.base,
                        created=self.created, description=self.description)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (schema ``geo-scenario`` version :data:`SCHEMA_VERSION`)."""
        return {"schema": SCHEMA_NAME, "version": SCHEMA_VERSION, "name": self.name, "created": self.created,
                "description": self.description, "base": dict(self.base),
                "changes": [c.model_dump(mode="json", exclude_none=True) for c in self.changes]}

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "scenario") -> Scenario:
        """Validate and build from :meth:`to_dict` output (a parsed ``geo-scenario`` file).

        Every problem is an :class:`InputError` naming ``source`` and the field, e.g.
        ``field 'base.threshold_minutes' is not valid: give minutes as a number above 0 and at most 600``.
        """
        if not isinstance(data, dict):
            found = {"list": "a list", "str": "a string", "NoneType": "null"}.get(type(data).__name__, "a number")
            msg = f"{source}: expected a JSON object at the top level, found {found}"
            raise InputError(msg)
        token = _DEPTH.set(1)  # the file's own errors come up raw, to be named after ``source``
        try:
            file = ScenarioFile.model_validate(data)
        except ValidationError as exc:
            raise InputError(_message(exc, where=source)) from None
        finally:
            _DEPTH.reset(token)
        return cls.model_construct(**{k: getattr(file, k) for k in cls.model_fields})


class ScenarioFile(Scenario):
    """A whole scenario file: :class:`Scenario` plus the schema name and version (both required)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)
    schema_: Literal["geo-scenario"] = Field(alias="schema")
    version: Annotated[int, Field(strict=True, ge=1, le=SCHEMA_VERSION)]
    created: Annotated[str, Field(strict=True, max_length=64)] = ""


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
    "changes": "give a list of changes, each an object with a 'kind'",
}


def _loc(parts: tuple[Any, ...]) -> str:
    text = ".".join(str(x) if not isinstance(x, int) else f"[{x}]" for x in parts).replace(".[", "[")
    return text.replace("schema_", "schema") or "(top level)"


def _message(exc: ValidationError, *, where: str) -> str:
    """One line for the first problem of ``exc``: where, the field, and what to give instead.

    A problem inside ``changes[i]`` is said as ``"{where}: changes[i]: field 'capacity' ..."``.
    """
    errors = exc.errors(include_input=False, include_url=False)
    first = {"schema": 0, "version": 1}  # a file that is not a geo-scenario says so before anything else
    err = min(errors, key=lambda e: first.get(str(e["loc"][0]) if e["loc"] else "", 2))
    loc = tuple(err["loc"])
    if len(loc) >= 2 and loc[0] == "changes" and isinstance(loc[1], int):  # inside one change
        i = loc[1]
        where, loc = f"{where}: changes[{i}]", loc[3:] if len(loc) > 2 else ()
        kinds = ", ".join(CHANGE_TYPES)
        if err["type"] == "union_tag_invalid":
            return f"{where}: field 'kind' is {err['ctx']['tag']!r}; use one of {kinds}"
        if err["type"] == "union_tag_not_found":
            return f"{where}: field 'kind' is missing; use one of {kinds}"
        if err["type"] == "model_attributes_type":
            return f"{where}: expected an object with a 'kind' ({kinds}); give each change as an object"
        if err["type"] == "extra_forbidden":
            extra = [str(e["loc"][-1]) for e in errors if e["type"] == "extra_forbidden" and e["loc"][:2] == (
                "changes", i)]
            return (f"{where}: unknown field(s) {', '.join(extra)} for a {err['loc'][2]!r} change; remove them "
                    "(see docs for the scenario file format)")
    field = str(loc[-1]) if loc else ""
    field = "schema" if field == "schema_" else field
    if err["type"] == "value_error" and not loc:  # a rule over several fields ("give a location")
        return f"{where}: {err['ctx']['error']}"
    if err["type"] == "extra_forbidden":
        return f"{where}: unknown field '{_loc(loc)}'; remove it (see docs for the scenario file format)"
    if err["type"] == "missing":
        return f"{where}: field '{_loc(loc)}' is missing; add it (see a file saved by geo scenario --save)"
    if field == "site_type" and err["type"] == "value_error":
        fix = f"use one of {', '.join(SITE_TYPES)}"
    else:
        fix = _FIXES.get(field, err["msg"].replace("Input should", "it should") + "; give a value of that kind")
    return f"{where}: field '{_loc(loc)}' is not valid: {fix}"


__all__ = ["CHANGE_TYPES", "MAX_CHANGES", "SCHEMA_NAME", "SCHEMA_VERSION",
           "AddSite", "BaseSpec", "Change", "ChangeCapacity", "ChangeHours", "MoveSite", "RemoveSite", "Scenario",
           "ScenarioFile"]
