"""National batch runs: the job and the task descriptions sent to workers.

A :class:`BatchJob` says what to compute (areas, services, modes, method, thresholds, a
public-transport feed and time window) as plain values.  It is split into one
:class:`LadTask` per local authority -- the LAD's own LSOAs, with sites across its border
within the buffer -- and, for public transport, one :class:`TransitChunk` per LAD x chunk of
LSOAs routed with a :class:`TransitSetup`.  Tasks carry codes, file paths, small specs and the
:class:`~geo.config.Settings` as JSON (:func:`settings_to_dict`; :func:`settings_from_json` turns
it back once per worker) -- never frames, networks or routers.

The batch modules, in the order data flows:

* :mod:`geo.planning.batch` -- this module: the job, its tasks, settings transport;
* :mod:`geo.planning.batch_inputs` -- which road network each LAD uses and the heavy inputs a
  worker loads once (routers, the national pharmacy list), giving a LAD's :class:`Study`;
* :mod:`geo.planning.batch_transit` -- public transport: tiles built once on the client, LSOA
  chunks routed on workers, the window reduced to nearest times;
* :mod:`geo.planning.batch_lad` -- one LAD computed, its partition and marker written;
* :mod:`geo.planning.batch_summary` -- what a partition and a summary row hold;
* :mod:`geo.planning.batch_run` -- Dask scheduling (or serial), resume, the summary files;
* :mod:`geo.planning.batch_manifest` -- the run record and comparing two runs.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from geo._errors import InputError
from geo.config import Settings
from geo.travel.modes import Method, TransitOptions, TravelMode, TravelSpec

logger = logging.getLogger(__name__)

#: Bump when the partition layout changes (a resumed run never mixes layouts).
PARTITION_FORMAT = 1


# --------------------------------------------------------------------------- the job
@dataclass(frozen=True)
class BatchJob:
    """What a national batch computes, as plain hashable values (a run record and a resume key).

    Parameters
    ----------
    area : ``"England"``, a region, county or ICB, or LADs separated by ``;`` -- split into LADs.
    services : site types/services (default ``Settings.default_services``).
    modes : travel modes; ``transit`` needs ``transit.gtfs``.
    method : ``auto`` (roads where an extract covers the LAD, else the labelled estimate),
        ``network`` (an error for LADs no extract covers) or ``estimate``.
    thresholds_minutes : coverage thresholds (default ``Settings.thresholds_minutes``).
    buffer_km : cross-border buffer for sites (default ``Settings.cross_border_buffer_km``).
    network : ``auto`` (extracts in the bundle) or an ``.osm.pbf`` path (also the walking
        network for public transport).
    transit : feed and time window for ``transit``.
    extra_sites : the user's own site files.
    """

    area: str = "England"
    services: tuple[str, ...] | None = None
    modes: tuple[TravelMode, ...] = (TravelMode.DRIVE,)
    method: Method = Method.AUTO
    thresholds_minutes: tuple[float, ...] | None = None
    buffer_km: float | None = None
    network: str = "auto"
    transit: TransitOptions | None = None
    extra_sites: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.modes:
            msg = "--modes is empty: name at least one of drive, walk, cycle, transit"
            raise InputError(msg)
        if len(set(self.modes)) != len(self.modes):
            msg = f"--modes repeats a mode ({', '.join(m.value for m in self.modes)})"
            raise InputError(msg)
        if self.method is Method.STRAIGHT_LINE:
            msg = "a batch measures travel times: use --method auto, network or estimate (not straight-line)"
            raise InputError(msg)
        if TravelMode.TRANSIT in self.modes and (self.transit is None or not self.transit.gtfs):
            msg = ("--modes transit needs a GTFS feed: pass --gtfs auto (the Bus Open Data Service feed of the area) "
                   "or --gtfs FEED.zip")
            raise InputError(msg)

    @classmethod
    def parse(cls, *, area: str = "England", services: tuple[str, ...] | None = None,
              modes: str | tuple[str, ...] = "drive", method: str | None = None,
              thresholds_minutes: tuple[float, ...] | None = None, buffer_km: float | None = None,
              network: str | Path | None = None, transit: TransitOptions | None = None,
              extra_sites: tuple[str, ...] = ()) -> BatchJob:
        """A job from free text (``modes="drive,walk"``), parsed by the travel vocabulary."""
        names = [m.strip() for m in (modes.split(",") if isinstance(modes, str) else modes) if m.strip()]
        parsed = tuple(TravelMode.parse(m) for m in names)
        return cls(area=str(area), services=tuple(services) if services else None, modes=parsed,
                   method=Method.parse(method) if method else Method.AUTO,
                   thresholds_minutes=tuple(float(t) for t in thresholds_minutes) if thresholds_minutes else None,
                   buffer_km=buffer_km, network="auto" if network is None else str(network),
                   transit=transit if TravelMode.TRANSIT in parsed else None,
                   extra_sites=tuple(str(p) for p in extra_sites))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (the manifest's ``job``)."""
        out = asdict(self)
        out["modes"] = [m.value for m in self.modes]
        out["method"] = self.method.value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BatchJob:
        """The job a manifest recorded."""
        d = dict(data)
        transit = TransitOptions(**d["transit"]) if d.get("transit") else None
        return cls(area=d["area"], services=tuple(d["services"]) if d.get("services") else None,
                   modes=tuple(TravelMode.parse(m) for m in d["modes"]), method=Method.parse(d["method"]),
                   thresholds_minutes=tuple(d["thresholds_minutes"]) if d.get("thresholds_minutes") else None,
                   buffer_km=d.get("buffer_km"), network=d.get("network", "auto"), transit=transit,
                   extra_sites=tuple(d.get("extra_sites", ())))

    @property
    def key(self) -> str:
        """Short hash of the job (partitions of another job are never reused)."""
        text = json.dumps([PARTITION_FORMAT, self.to_dict()], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def travel(self, mode: TravelMode) -> TravelSpec:
        """The travel spec for one mode (method and network shared by every mode)."""
        if mode is TravelMode.TRANSIT:
            return TravelSpec.parse(mode=mode, method=Method.NETWORK, network=self.network, transit=self.transit)
        return TravelSpec.parse(mode=mode, method=self.method, network=self.network)


def settings_to_dict(settings: Settings) -> dict[str, Any]:
    """Settings as JSON-able values (tasks and the manifest; ``MappingProxyType`` does not pickle)."""
    out: dict[str, Any] = {}
    for f in fields(settings):
        v = getattr(settings, f.name)
        out[f.name] = str(v) if isinstance(v, Path) else dict(v) if isinstance(v, MappingProxyType) else (
            list(v) if isinstance(v, tuple) else v)
    return out


def settings_from_dict(data: dict[str, Any]) -> Settings:
    """Inverse of :func:`settings_to_dict`."""
    kwargs: dict[str, Any] = {}
    for f in fields(Settings):
        if f.name not in data:
            continue
        default = Settings.__dataclass_fields__[f.name].default
        v = data[f.name]
        if f.name in {"data_dir", "cache_dir"} or isinstance(default, Path):
            v = Path(v)
        elif isinstance(v, dict):
            v = MappingProxyType(dict(v))
        elif isinstance(v, list):
            v = tuple(v)
        kwargs[f.name] = v
    return Settings(**kwargs)


@lru_cache(maxsize=4)
def settings_from_json(text: str) -> Settings:
    """The settings a task carries as JSON, parsed once per worker process."""
    return settings_from_dict(json.loads(text))


# --------------------------------------------------------------------------- tasks
@dataclass(frozen=True)
class LadTask:
    """One local authority: its code, the job, where to write, and which extract each mode uses."""

    lad24cd: str
    job: BatchJob
    settings_json: str
    out_dir: str
    #: ``{mode: extract path}`` for modes routed on real roads; other modes use the estimate.
    networks: tuple[tuple[str, str], ...] = ()
    #: Public transport: ``(tile folder, departure times (ISO), arrive_by, statistic, horizon)``.
    transit: TransitSetup | None = None


@dataclass(frozen=True)
class TransitSetup:
    """What a worker needs to route public transport: the tile folder and the time window."""

    tiles_folder: str
    when: str
    arrive_by: bool
    window_minutes: float
    step_minutes: float
    statistic: str
    horizon_minutes: float
    label: str
    chunk_lsoas: int = 8


@dataclass(frozen=True)
class TransitChunk:
    """LSOAs ``[start, stop)`` of one LAD, every departure time of the window."""

    lad24cd: str
    job: BatchJob
    settings_json: str
    setup: TransitSetup
    start: int
    stop: int


__all__ = ["PARTITION_FORMAT", "BatchJob", "LadTask", "TransitChunk", "TransitSetup", "settings_from_dict",
           "settings_from_json", "settings_to_dict"]
