"""National batch runs, part 1: the job description and the task functions workers run.

A :class:`BatchJob` says what to compute (areas, services, modes, method, thresholds, a
public-transport feed and time window) as plain values.  It is split into one
:class:`LadTask` per local authority: the LAD's own LSOAs, with sites across its border
within the buffer (``Study(StudySpec(area=<LAD code>, ...))``, so buffer and thresholds
default from :class:`~geo.config.Settings`).  Tasks carry codes, file paths and small specs --
never frames, networks or routers -- and each task writes its own partition
(``lads/<code>.parquet``, GeoParquet, written to a temporary file and renamed into place) and a
marker (``lads/<code>.json``: the partition's SHA-256, the job key and the LAD's summary row).

Heavy inputs are loaded once per worker process, not once per task: road networks
(:func:`router_for`, keyed on the extract path and mode), the estimate router and the national
pharmacy list (:func:`national_pharmacies`).  Public transport: one :class:`TransitChunk` per
LAD x chunk of LSOAs (all departure times: the arrive-by search shares probes between them),
routed on the workers from tiles built once on the client, only to the sites that could be nearest.

The Dask scheduling, resume and manifest live in :mod:`geo.planning.batch_run`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.config import Settings
from geo.planning.batch_summary import MODE_COLUMNS, area_row, lsoa_frame, mode_row, mode_times
from geo.travel.modes import Method, TransitOptions, TravelMode, TravelSpec

if TYPE_CHECKING:
    import geopandas as gpd

    from geo.planning.study import Study
    from geo.travel.base import NearestResult

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
def _settings(text: str) -> Settings:
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


def partition_path(out_dir: str | Path, lad24cd: str) -> Path:
    """Where a LAD's GeoParquet partition lives."""
    return Path(out_dir) / "lads" / f"{lad24cd}.parquet"


def marker_path(out_dir: str | Path, lad24cd: str) -> Path:
    """Where a LAD's completion marker lives (written after its partition)."""
    return Path(out_dir) / "lads" / f"{lad24cd}.json"


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file."""
    from geo.data.sources import sha256_file

    return sha256_file(path)


@lru_cache(maxsize=2)
def national_pharmacies(settings: Settings) -> gpd.GeoDataFrame:
    """Every community pharmacy, built once per worker process (read-only)."""
    from geo.data.sites import load_pharmacy_sites

    return load_pharmacy_sites(settings)


@lru_cache(maxsize=8)
def router_for(network_path: str | None, mode: TravelMode, settings: Settings, mixed: bool = True) -> Any:
    """:func:`~geo.travel.routing.make_router` for one extract and mode, once per worker process.

    ``None`` gives the calibrated straight-line estimate; ``mixed``: method auto (the mixed
    method beyond the extract's roads), else method network.
    """
    from geo.travel.routing import make_router

    method = Method.ESTIMATE if network_path is None else Method.AUTO if mixed else Method.NETWORK
    return make_router(TravelSpec(mode=mode, method=method, network=network_path or "auto"), settings=settings)


def worker_cache_info() -> dict[str, int]:
    """Loads done by this process's caches (tests check networks load once per worker)."""
    info = router_for.cache_info()
    return {"router_loads": info.misses, "router_hits": info.hits}


def lad_study(lad24cd: str, job: BatchJob, settings: Settings, mode: TravelMode, *,
              base: Study | None = None, router: Any = None) -> Study:
    """The LAD's :class:`Study` for one mode; sites and area come from ``base`` when given.

    Sites are those :func:`geo.data.sites.load_sites` gives (same order, same flags), with the
    national pharmacy list built once per worker instead of once per LAD.
    """
    from geo.planning.study import Study, StudySpec

    spec = StudySpec(area=lad24cd, services=job.services, travel=job.travel(mode), buffer_km=job.buffer_km,
                     thresholds_minutes=job.thresholds_minutes, extra_sites=job.extra_sites)
    if base is not None:
        return Study(spec, settings=settings, area=base.area, sites=base.sites, router=router)
    study = Study(spec, settings=settings, router=router)
    if "pharmacy" in study.services:
        from geo.data.sites import load_sites

        extra: list[Any] = [national_pharmacies(settings).copy(deep=False), *job.extra_sites]
        sites = load_sites(settings, area=study.area, types=study.services, buffer_km=study.buffer_km,
                           include_pharmacies=False, extra=extra)
        if len(sites):  # none: Study.sites raises its own clear error
            study.__dict__["sites"] = sites
    return study


class WindowRouter:
    """Nearest sites from a ``(n_times, n_sites, n_origins)`` window the workers routed (pairs the
    preselection skipped are NaN, so only :meth:`nearest` is answered, as the serial router does)."""

    mode = TravelMode.TRANSIT
    method = Method.TIMETABLE.value

    def __init__(self, window: np.ndarray, *, statistic: str, label: str) -> None:
        self.window = window
        self.statistic = statistic
        self.label = label

    def site_origin_minutes(self, sites_xy: np.ndarray, origins_xy: np.ndarray, *,
                            max_minutes: float | None = None) -> np.ndarray:
        """Not available: the workers routed only the pairs that could be nearest."""
        msg = "a batch public-transport window holds only the pairs that can be nearest; ask nearest()"
        raise InputError(msg)

    def nearest(self, sites_xy: np.ndarray, origins_xy: np.ndarray, *,
                max_minutes: float | None = None) -> NearestResult:
        """Nearest site per origin from the reduced window."""
        from geo.travel.base import nearest_from_matrix
        from geo.travel.transit import reduce_window

        if self.window.shape[1:] != (len(sites_xy), len(origins_xy)):
            msg = f"transit window {self.window.shape} does not match {len(sites_xy)} sites x {len(origins_xy)} LSOAs"
            raise InputError(msg)
        red = reduce_window(self.window, self.statistic)
        red = red if max_minutes is None else np.where(red <= max_minutes, red, np.nan)
        return nearest_from_matrix(red, method=self.method)


@lru_cache(maxsize=4)
def transit_router_for(setup: TransitSetup, settings: Settings) -> Any:
    """The worker's one-thread :class:`~geo.travel.transit.TransitRouter` on the client-built tiles."""
    import datetime as dt

    from geo.travel.transit import TransitRouter, tiles_from_folder

    router = TransitRouter(tiles_from_folder(setup.tiles_folder), when=dt.datetime.fromisoformat(setup.when),
                           arrive_by=setup.arrive_by, settings=settings, window_minutes=setup.window_minutes,
                           step_minutes=setup.step_minutes, statistic=setup.statistic,
                           horizon_minutes=setup.horizon_minutes, threads=1)
    _TRANSIT_ROUTERS.append(router)
    return router


_TRANSIT_ROUTERS: list[Any] = []


def clear_transit_answers() -> None:
    """Forget the journeys this process's batch routers keep (the next run routes afresh; tiles,
    timetable index and Valhalla actors stay loaded).  For benchmarks timing a warm run."""
    for router in _TRANSIT_ROUTERS:
        router.clear_cache()


def run_transit_chunk(chunk: TransitChunk) -> np.ndarray:
    """``(n_times, n_sites, stop - start)`` public-transport minutes for one LSOA chunk (preselected pairs)."""
    s = _settings(chunk.settings_json)
    study = lad_study(chunk.lad24cd, chunk.job, s, TravelMode.TRANSIT)
    sxy = study.sites[["easting", "northing"]].to_numpy(float)
    oxy = study.area.all_lsoas[["easting", "northing"]].to_numpy(float)[chunk.start:chunk.stop]
    window, _ = transit_router_for(chunk.setup, s).nearest_window(sxy, oxy)
    return window


def transit_chunks(task: LadTask, n_lsoas: int) -> list[TransitChunk]:
    """The LSOA-chunk pieces of one LAD's public-transport run."""
    setup = task.transit
    if setup is None:
        return []
    step = max(1, setup.chunk_lsoas)
    return [TransitChunk(task.lad24cd, task.job, task.settings_json, setup, start, min(start + step, n_lsoas))
            for start in range(0, n_lsoas, step)]


# --------------------------------------------------------------------------- one LAD
def run_lad(task: LadTask, *transit_parts: np.ndarray) -> dict[str, Any]:
    """Compute one LAD (every mode), write its partition and marker; return its summary row.

    ``transit_parts`` are the :func:`run_transit_chunk` answers in :func:`transit_chunks` order.
    """
    import geopandas as gpd

    from geo.cache import atomic_path, atomic_write_text

    t0 = time.perf_counter()
    s = _settings(task.settings_json)
    job = task.job
    paths = dict(task.networks)
    base: Study | None = None
    frame: pd.DataFrame | None = None
    row: dict[str, Any] = {"lad24cd": task.lad24cd}
    for mode in job.modes:
        if mode is TravelMode.TRANSIT:
            router: Any = _transit_router(task, base, transit_parts)
        else:
            router = router_for(paths.get(mode.value), mode, s, job.method is not Method.NETWORK)
        study = lad_study(task.lad24cd, job, s, mode, base=base, router=router)
        if base is None:
            base = study
            frame = lsoa_frame(study)
            row.update(area_row(study))
        assert frame is not None
        times = mode_times(study, router)
        for col in MODE_COLUMNS:
            frame[f"{col}_{mode.value}"] = times[col].reindex(frame.index).to_numpy()
        row.update(mode_row(study, times, mode.value))
    assert frame is not None
    gdf = gpd.GeoDataFrame(frame.reset_index(), geometry="geometry", crs="EPSG:27700")
    target = partition_path(task.out_dir, task.lad24cd)
    with atomic_path(target) as tmp:
        gdf.to_parquet(tmp, index=False)
    digest = sha256_of(target)
    row["seconds"] = round(time.perf_counter() - t0, 3)
    marker = {"lad24cd": task.lad24cd, "job_key": job.key, "sha256": digest, "rows": len(gdf),
              "networks": dict(task.networks), "summary": row}
    atomic_write_text(json.dumps(marker, default=_json_default), marker_path(task.out_dir, task.lad24cd))
    logger.info("LAD %s: %d LSOAs, %s in %.2f s", task.lad24cd, len(gdf), ",".join(m.value for m in job.modes),
                row["seconds"])
    return marker


def _json_default(o: Any) -> Any:
    return int(o) if isinstance(o, np.integer) else (float(o) if np.isfinite(o) else None) if isinstance(
        o, np.floating) else str(o)


def _transit_router(task: LadTask, base: Study | None, parts: tuple[np.ndarray, ...]) -> Any:
    setup = task.transit
    if setup is None:  # no feed/extract covers this LAD: say so in every row
        return None
    if not parts:
        raise InputError(f"LAD {task.lad24cd}: no public-transport chunks were routed")
    return WindowRouter(np.concatenate(parts, axis=2), statistic=setup.statistic, label=setup.label)


__all__ = ["BatchJob", "LadTask", "TransitChunk", "TransitSetup", "WindowRouter", "clear_transit_answers", "lad_study",
           "marker_path",
           "national_pharmacies", "partition_path", "router_for", "run_lad", "run_transit_chunk",
           "settings_from_dict", "settings_to_dict", "transit_chunks", "transit_router_for", "worker_cache_info"]
