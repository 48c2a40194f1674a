"""Scenario files: a named, dated list of site changes saved as versioned JSON.

:class:`Scenario` holds :class:`AddSite`, :class:`RemoveSite`, :class:`MoveSite`,
:class:`ChangeHours` and :class:`ChangeCapacity` changes.  :func:`save_scenario` writes
atomically (temp file + rename); :func:`load_scenario` checks the schema name and version and
names the file and field of any problem.  Applying and evaluating scenarios is
:mod:`geo.planning.scenarios`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from geo._errors import InputError
from geo.cache import atomic_write_text
from geo.planning.scenario_schema import (
    MAX_FILE_CHARS,
    MAX_NESTING,
    _nesting_depth,
    validate_change_dict,
    validate_scenario_dict,
)
from geo.planning.scenario_schema import SCHEMA_NAME as _SCHEMA_NAME
from geo.planning.scenario_schema import SCHEMA_VERSION as _SCHEMA_VERSION

logger = logging.getLogger(__name__)

SCHEMA_VERSION = _SCHEMA_VERSION
SCHEMA_NAME = _SCHEMA_NAME


# --------------------------------------------------------------------------- changes


@dataclass(frozen=True)
class AddSite:
    """Open a site, located by coordinates (EPSG:27700), postcode, ODS code or ``from_site_id``.

    ``from_site_id`` copies an existing row of the candidate pool (e.g. ``ods:FC826``, a
    pharmacy).  ``site_id`` names the new site (default ``scenario:<name slug>``).
    """

    kind: ClassVar[str] = "add"
    name: str
    site_type: str = "satellite"
    easting: float | None = None
    northing: float | None = None
    postcode: str | None = None
    ods_code: str | None = None
    from_site_id: str | None = None
    site_id: str | None = None
    opening_hours: str = ""
    capacity: float | None = None


@dataclass(frozen=True)
class RemoveSite:
    """Close the site ``site_id``."""

    kind: ClassVar[str] = "remove"
    site_id: str


@dataclass(frozen=True)
class MoveSite:
    """Relocate ``site_id`` to coordinates (EPSG:27700) or a postcode."""

    kind: ClassVar[str] = "move"
    site_id: str
    easting: float | None = None
    northing: float | None = None
    postcode: str | None = None


@dataclass(frozen=True)
class ChangeHours:
    """Set the opening hours (OSM ``opening_hours`` syntax) of ``site_id``."""

    kind: ClassVar[str] = "hours"
    site_id: str
    opening_hours: str


@dataclass(frozen=True)
class ChangeCapacity:
    """Set the capacity (e.g. client places) of ``site_id``."""

    kind: ClassVar[str] = "capacity"
    site_id: str
    capacity: float


Change = AddSite | RemoveSite | MoveSite | ChangeHours | ChangeCapacity
CHANGE_TYPES: dict[str, type] = {c.kind: c for c in (AddSite, RemoveSite, MoveSite, ChangeHours, ChangeCapacity)}


@dataclass(frozen=True)
class Scenario:
    """A named set of changes to a base set of sites.

    ``base`` describes what the changes apply to (area, site types, mode, threshold...), so a
    saved file can be re-run; ``created`` is an ISO 8601 UTC timestamp.
    """

    name: str
    changes: tuple[Change, ...] = ()
    base: dict[str, Any] = field(default_factory=dict)
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    description: str = ""

    def with_change(self, change: Change) -> Scenario:
        """A copy with ``change`` appended."""
        return Scenario(name=self.name, changes=(*self.changes, change), base=dict(self.base),
                        created=self.created, description=self.description)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (schema ``geo-scenario`` version :data:`SCHEMA_VERSION`)."""
        return {
            "schema": SCHEMA_NAME, "version": SCHEMA_VERSION, "name": self.name,
            "created": self.created, "description": self.description, "base": self.base,
            "changes": [{"kind": c.kind, **{k: v for k, v in asdict(c).items() if v is not None}}
                        for c in self.changes],
        }

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "scenario") -> Scenario:
        """Validate (pydantic schema :class:`ScenarioFileModel`) and build from :meth:`to_dict` output.

        Every problem is an :class:`InputError` naming ``source`` and the field, e.g.
        ``base.threshold_minutes: must be a number from 1 to 600``.
        """
        model = validate_scenario_dict(data, source=source)
        changes = tuple(_change_from_dict(c, where=f"{source}: changes[{i}]") for i, c in enumerate(model.changes))
        return cls(name=model.name, changes=changes, base=model.base.model_dump(exclude_none=True),
                   created=model.created, description=model.description)


def _change_from_dict(d: Any, *, where: str) -> Change:
    if not isinstance(d, dict):
        msg = f"{where}: expected an object, got {type(d).__name__}"
        raise InputError(msg)
    kind = d.get("kind")
    if kind not in CHANGE_TYPES:
        msg = f"{where}: field 'kind' is {kind!r}; use one of {', '.join(CHANGE_TYPES)}"
        raise InputError(msg)
    cls = CHANGE_TYPES[kind]
    allowed = {f.name: f for f in fields(cls)}
    unknown = set(d) - set(allowed) - {"kind"}
    if unknown:
        msg = f"{where}: unknown field(s) {', '.join(sorted(unknown))} for a {kind!r} change"
        raise InputError(msg)
    kwargs = validate_change_dict(d, kind=kind, where=where)
    try:
        change = cls(**kwargs)
    except TypeError as exc:
        missing = [n for n, f in allowed.items() if n not in kwargs and f.default is f.default_factory]
        msg = f"{where}: missing required field(s) {', '.join(missing) or '?'} ({exc})"
        raise InputError(msg) from exc
    if isinstance(change, AddSite | MoveSite):
        has_xy = change.easting is not None and change.northing is not None
        others = [change.postcode] + ([change.ods_code, change.from_site_id] if isinstance(change, AddSite) else [])
        if not has_xy and not any(others):
            msg = f"{where}: give a location: 'easting'+'northing', 'postcode'" + (
                ", 'ods_code' or 'from_site_id'" if isinstance(change, AddSite) else "")
            raise InputError(msg)
    return change


def save_scenario(scenario: Scenario, path: str | Path) -> Path:
    """Write ``scenario`` as JSON (atomically) and return the path."""
    p = Path(path)
    atomic_write_text(json.dumps(scenario.to_dict(), indent=2, ensure_ascii=False) + "\n", p)
    logger.info("saved scenario %r (%d changes) to %s", scenario.name, len(scenario.changes), p)
    return p


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario JSON file; a missing, corrupt or invalid file raises :class:`InputError`."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        msg = f"scenario file {p} not found"
        raise InputError(msg) from exc
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"scenario file {p} cannot be read ({type(exc).__name__}); save it again as UTF-8 JSON"
        raise InputError(msg) from exc
    if len(text) > MAX_FILE_CHARS:
        msg = f"scenario file {p} is over {MAX_FILE_CHARS // 1_000_000} MB; a scenario holds a few changes"
        raise InputError(msg)
    depth = _nesting_depth(text)
    if depth > MAX_NESTING:
        msg = (f"scenario file {p} is nested {depth} levels deep (at most {MAX_NESTING}); it is not a "
               "scenario saved by geo; check you chose the right file")
        raise InputError(msg)
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno}: {exc.msg})" if isinstance(exc, json.JSONDecodeError) else ""
        msg = f"scenario file {p} is not valid JSON{where}; save it again from geo or fix the JSON"
        raise InputError(msg) from exc
    return Scenario.from_dict(data, source=f"scenario file {p}")
