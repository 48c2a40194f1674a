"""Run-time settings: one frozen object built from defaults plus ``GEO_*`` environment variables.

Nothing here reads argv, writes files or touches the network; paths are only resolved.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from geo._errors import DataSourceError

logger = logging.getLogger(__name__)

#: Variables of earlier versions that no setting reads any more, with what replaced them.
RETIRED_ENV = MappingProxyType({
    "GEO_SUPPRESS_BELOW": "client counts are perturbed by the cell key method and counts 1-4 are never "
                          "shown, whatever it says (docs/privacy.md); remove it",
})

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
#: Multiplier on the speeds of posted limits, on top of the share cars reach on roads of each
#: limit (``geo.travel.graph.DRIVE_LIMIT_FACTORS``, from DfT free-flow statistics); 1 = as measured.
DEFAULT_MAXSPEED_FACTOR = 1.0
#: Walking and cycling speeds of the DfT Journey Time Statistics (km/h).
WALK_KPH = 4.8
CYCLE_KPH = 16.0

_MARKER = Path("tables") / "imd2025_lsoa21.csv"
#: English Indices of Deprivation editions the LSOA table can carry.
IMD_VERSIONS = (2025, 2019)


def _default_cache_dir() -> Path:
    env = os.environ.get("GEO_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.environ.get("LOCALAPPDATA")
    return (Path(base) if base else Path.home() / ".cache") / "geo"


def _default_secret_file() -> Path:
    env = os.environ.get("GEO_CELLKEY_SECRET_FILE")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or os.environ.get("APPDATA")
    return (Path(base) if base else Path.home() / ".config") / "geo" / "cellkey.secret"


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


def parse_env_value(name: str, text: str, default: Any) -> Any:
    """``GEO_<NAME>`` text read as the type of the field's default; a clear error when it is not."""
    var = f"GEO_{name.upper()}"
    try:
        if default is None:  # optional text (e.g. GEO_OSM_MIRROR)
            return text.strip()
        if isinstance(default, bool):
            if text.strip().lower() not in {"1", "0", "true", "false", "yes", "no"}:
                raise ValueError(text)
            return text.strip().lower() in {"1", "true", "yes"}
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
        if isinstance(default, Path):
            return Path(text).expanduser()
        if isinstance(default, tuple):
            items = [x.strip() for x in text.split(",") if x.strip()]
            return tuple(float(x) for x in items) if default and isinstance(default[0], float) else tuple(items)
        if isinstance(default, str):
            return text
    except ValueError:
        msg = f"{var}={text!r} is not a valid {type(default).__name__}; unset it or fix its value"
        raise DataSourceError(msg) from None
    msg = f"{var} cannot be set from the environment; pass it in code (Settings.with_)"
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
    #: The installation's secret for client record keys (cell key method, docs/privacy.md):
    #: created with mode 0600 on first use; every process that publishes client figures must
    #: read the same file (``GEO_CELLKEY_SECRET_FILE``), or one extract gets several noise draws.
    cellkey_secret_file: Path = field(default_factory=_default_secret_file)
    #: Which English Indices of Deprivation fill ``imd_rank``/``imd_decile`` of the LSOA table:
    #: 2025 (published on LSOA 2021) or 2019 (the seeds' version; LSOA 2011 mapped to 2021,
    #: see :func:`geo.data.loaders.imd2019_on_lsoa21`).  ``imd_score`` is always IMD 2025
    #: (IMD 2019 has no scores in the bundle).
    imd_version: int = 2025
    #: Sites (and LSOAs) this far beyond the area border also count (km); 0 = in-area only.
    cross_border_buffer_km: float = 15.0
    #: Neighbouring LSOAs drawn faded around the area on maps (km).
    display_ring_km: float = 5.0
    #: Travel-time thresholds reported by coverage (minutes).
    thresholds_minutes: tuple[float, ...] = (15.0, 30.0, 45.0)
    #: The one threshold used where a single value is needed (gaps, scenarios, optimise, closure, app).
    threshold_minutes: float = 30.0
    #: Straight-line distance threshold (km; 1.6 km = 1 mile) for ``--method straight-line``.
    threshold_km: float = 1.6
    #: Service types studied when none are named.
    default_services: tuple[str, ...] = ("hub",)
    #: Public transport: arrive by this time when neither arrive-by nor depart-at is given.
    transit_arrive_by: str = "Tue 12:00"
    #: Base URL (or local folder) of an OpenStreetMap extract mirror laid out like
    #: download.geofabrik.de (``GEO_OSM_MIRROR``); None = Geofabrik.
    osm_mirror: str | None = None
    #: ``network="auto"`` downloads the area's extracts when no local one covers it and the
    #: server is reachable.  Off in the library and the app (which offers the download
    #: instead); the CLI turns it on; ``GEO_OSM_AUTO_FETCH=1/0`` decides everywhere.
    osm_auto_fetch: bool = False
    #: Base URL (or local folder) of a mirror of the Bus Open Data Service GTFS exports holding
    #: ``itm_<region>_gtfs.zip`` files (``GEO_GTFS_MIRROR``); None = data.bus-data.dft.gov.uk.
    #: ``--gtfs auto`` downloads when ``osm_auto_fetch`` allows downloads.
    gtfs_mirror: str | None = None
    #: Seeded Monte Carlo draws behind every scenario, closure and optimiser range
    #: (:mod:`geo.measures.uncertainty`; 0 = no ranges).
    uncertainty_draws: int = 200
    #: Seed of those draws (the same seed gives the same ranges on every run and machine).
    uncertainty_seed: int = 20_250

    def __post_init__(self) -> None:
        if self.imd_version not in IMD_VERSIONS:
            msg = (f"IMD version {self.imd_version!r} is not available; choose one of "
                   f"{', '.join(map(str, IMD_VERSIONS))} (GEO_IMD_VERSION or --imd)")
            raise DataSourceError(msg)

    @classmethod
    def from_env(cls, data_dir: str | Path | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``GEO_*`` environment variables, then keyword overrides.

        Every number, text, path or tuple field can be set as ``GEO_<FIELD>`` (upper case), e.g.
        ``GEO_CROSS_BORDER_BUFFER_KM=10`` or ``GEO_THRESHOLDS_MINUTES=10,20``; a new field gets its
        variable, its CLI default and its app default from here, with no other change.
        """
        kwargs: dict[str, Any] = {"data_dir": resolve_data_dir(data_dir)}
        for f in fields(cls):
            text = os.environ.get(f"GEO_{f.name.upper()}")
            if text is None or f.name in {"data_dir", "cache_dir", "cellkey_secret_file"} or not text.strip():
                continue
            kwargs[f.name] = parse_env_value(f.name, text, cls.__dataclass_fields__[f.name].default)
        for var, why in RETIRED_ENV.items():
            if os.environ.get(var):
                logger.warning("%s is no longer used: %s", var, why)
        if os.environ.get("GEO_MAX_UPLOAD_MB"):
            kwargs["max_upload_bytes"] = int(float(os.environ["GEO_MAX_UPLOAD_MB"]) * 1024 * 1024)
        kwargs.update(overrides)
        return cls(**kwargs)

    #: ``GEO_<NAME>`` text read as the type of a default (:func:`parse_env_value`; the team service's settings too).
    parse_env_value = staticmethod(parse_env_value)

    def with_(self, **changes: Any) -> Settings:
        """A copy with some fields changed."""
        return replace(self, **changes)
