"""Run-time settings: one frozen object built from defaults plus ``GEO_*`` environment variables.

Nothing here reads argv, writes files or touches the network; paths are only resolved.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from geo._errors import DataSourceError

#: Repository root when running from a checkout (``geo/`` sits directly below it).
PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Default free-flow driving speeds (km/h) by OSM ``highway`` class, used where a way has no
#: usable ``maxspeed``.  Values follow the road-class approach of the CDRC AHAH index and
#: DfT average-speed statistics for England (congested urban roads are slower than their
#: limits); they are *assumptions*, overridable through ``Settings.drive_speeds_kph``.
DEFAULT_DRIVE_SPEEDS_KPH: dict[str, float] = {
    "motorway": 96.0,
    "motorway_link": 48.0,
    "trunk": 80.0,
    "trunk_link": 40.0,
    "primary": 64.0,
    "primary_link": 32.0,
    "secondary": 56.0,
    "secondary_link": 28.0,
    "tertiary": 48.0,
    "tertiary_link": 24.0,
    "unclassified": 40.0,
    "residential": 32.0,
    "living_street": 16.0,
    "service": 16.0,
    "road": 32.0,
    "track": 16.0,
    "busway": 32.0,
}
#: Share of the posted ``maxspeed`` a car achieves on average (junctions, bends, traffic).
DEFAULT_MAXSPEED_FACTOR = 0.85
WALK_KPH = 4.8
CYCLE_KPH = 15.0

_MARKER = Path("tables") / "imd2025_lsoa21.csv"
#: English Indices of Deprivation editions the LSOA table can carry.
IMD_VERSIONS = (2025, 2019)


def _imd_from_text(text: str, *, source: str) -> int:
    try:
        return int(str(text).strip().removeprefix("IMD").removeprefix("imd").strip())
    except ValueError:
        msg = f"{source}={text!r}: give an IMD year, one of {', '.join(map(str, IMD_VERSIONS))}"
        raise DataSourceError(msg) from None


def _default_cache_dir() -> Path:
    env = os.environ.get("GEO_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.environ.get("LOCALAPPDATA")
    return (Path(base) if base else Path.home() / ".cache") / "geo"


def candidate_data_dirs(explicit: str | Path | None = None) -> list[tuple[str, Path]]:
    """Data directories in the order they are tried, each with the reason it is tried."""
    out: list[tuple[str, Path]] = []
    if explicit is not None:
        out.append(("argument", Path(explicit).expanduser()))
    env = os.environ.get("GEO_DATA_DIR")
    if env:
        out.append(("GEO_DATA_DIR", Path(env).expanduser()))
    out.append(("./data", Path.cwd() / "data"))
    out.append(("../shared/data", Path.cwd().parent / "shared" / "data"))
    out.append(("checkout ../shared/data", PROJECT_ROOT.parent / "shared" / "data"))
    return out


def resolve_data_dir(explicit: str | Path | None = None) -> Path:
    """Find the open-data directory.

    Order: explicit argument > ``GEO_DATA_DIR`` > ``./data`` > ``../shared/data``.  An explicit
    argument or ``GEO_DATA_DIR`` that does not exist is an error (never silently skipped);
    ``./data`` only counts when it holds the bundle layout (``tables/imd2025_lsoa21.csv``).
    """
    tried = []
    for reason, path in candidate_data_dirs(explicit):
        if reason in {"argument", "GEO_DATA_DIR"}:
            if not path.is_dir():
                msg = (
                    f"data directory {path} (from {reason}) does not exist; point it at a folder "
                    "holding the open-data bundle (tables/, boundaries/, sites/, postcodes/) or "
                    "run `geo data fetch --data-dir DIR`"
                )
                raise DataSourceError(msg)
            return path.resolve()
        tried.append(str(path))
        if (path / _MARKER).is_file():
            return path.resolve()
    msg = (
        "no open-data directory found (tried " + ", ".join(tried) + "). Set GEO_DATA_DIR to the "
        "bundle folder, pass --data-dir, or download it with `geo data fetch --data-dir DIR`"
    )
    raise DataSourceError(msg)


@dataclass(frozen=True)
class Settings:
    """Paths, speeds and limits for one run.  Build with :meth:`from_env`; pass explicitly."""

    data_dir: Path
    cache_dir: Path = field(default_factory=_default_cache_dir)
    sites_dir: Path = PROJECT_ROOT / "data" / "sites"
    boundaries_dir: Path = PROJECT_ROOT / "data" / "boundaries"
    drive_speeds_kph: MappingProxyType[str, float] = field(
        default_factory=lambda: MappingProxyType(dict(DEFAULT_DRIVE_SPEEDS_KPH)), hash=False
    )
    maxspeed_factor: float = DEFAULT_MAXSPEED_FACTOR
    walk_kph: float = WALK_KPH
    cycle_kph: float = CYCLE_KPH
    #: Origins/sites further than this from the network are reported as unsnapped.
    snap_tolerance_metres: float = 1_500.0
    #: Largest user upload accepted (bytes).
    max_upload_bytes: int = 50 * 1024 * 1024
    #: Primary suppression threshold for client and death counts.
    suppress_below: int = 5
    #: Which English Indices of Deprivation fill ``imd_rank``/``imd_decile`` of the LSOA table:
    #: 2025 (published on LSOA 2021) or 2019 (the seeds' version; LSOA 2011 mapped to 2021,
    #: see :func:`geo.data.loaders.imd2019_on_lsoa21`).  ``imd_score`` is always IMD 2025
    #: (IMD 2019 has no scores in the bundle).
    imd_version: int = 2025

    def __post_init__(self) -> None:
        if self.imd_version not in IMD_VERSIONS:
            msg = (f"IMD version {self.imd_version!r} is not available; choose one of "
                   f"{', '.join(map(str, IMD_VERSIONS))} (GEO_IMD or --imd)")
            raise DataSourceError(msg)

    @classmethod
    def from_env(cls, data_dir: str | Path | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``GEO_*`` environment variables, then keyword overrides."""
        kwargs: dict[str, Any] = {"data_dir": resolve_data_dir(data_dir)}
        if os.environ.get("GEO_SITES_DIR"):
            kwargs["sites_dir"] = Path(os.environ["GEO_SITES_DIR"]).expanduser()
        if os.environ.get("GEO_IMD"):
            kwargs["imd_version"] = _imd_from_text(os.environ["GEO_IMD"], source="GEO_IMD")
        if os.environ.get("GEO_MAX_UPLOAD_MB"):
            kwargs["max_upload_bytes"] = int(float(os.environ["GEO_MAX_UPLOAD_MB"]) * 1024 * 1024)
        kwargs.update(overrides)
        return cls(**kwargs)

    def with_(self, **changes: Any) -> Settings:
        """A copy with some fields changed."""
        return replace(self, **changes)
