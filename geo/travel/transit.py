"""Public-transport travel times from a GTFS feed, routed door to door by Valhalla (multimodal).

Pipeline
--------
1. :func:`geo.travel.gtfs.read_gtfs` validates the feed; it is clipped to the study area plus a buffer
   (whole trips that touch it are kept).
2. :func:`build_transit_tiles` runs Valhalla's own programs (``valhalla_ingest_transit``,
   ``valhalla_convert_transit``, ``valhalla_build_tiles``) on the OSM ``.osm.pbf`` and the
   clipped feed, into ``Settings.cache_dir/transit/<key>`` where the key hashes the pbf, the
   feed, the options and the Valhalla version.  It builds in a temporary folder and renames it
   into place, so a half-built graph is never used, and a second run reuses it.
3. :class:`TransitRouter` asks ``valhalla.Actor.route`` with ``costing="multimodal"`` for each
   origin-site pair: walk to a stop, wait, ride, transfer, walk (walking speed
   ``Settings.walk_kph``).  Valhalla's matrix does not support multimodal costing and its
   route does not support arrive-by for multimodal, so:

   * *depart at* ``t``: minutes = Valhalla's door-to-door time leaving at ``t`` (includes the
     wait for the first bus);
   * *arrive by* ``T``: the latest departure ``d`` (to the minute, by bisection on depart-at
     queries; earliest arrival never decreases with later departure) with arrival <= ``T``;
     minutes = ``T - d``, i.e. how long before the appointment one must leave home.

   Several times in a window (default every 15 minutes over the 2 hours before an arrive-by
   time / after a depart-at time) are evaluated; the router reports the median (default),
   worst or best over the window.  NaN means no journey (no service, or over ``max_minutes``).

Dates: Valhalla stores a transit schedule for 60 days from the day the tiles are built, so
"Tue 12:00" means the next Tuesday and the feed's calendar must cover it.

Why this module is long: building Valhalla tiles from a feed and routing on them are one engine's life cycle (config, build, cache, query, window reduction); the GTFS format itself lives in :mod:`geo.travel.gtfs`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from geo._errors import InputError, NetworkError
from geo.cache import cache_key
from geo.crs import lonlat_from_bng
from geo.progress import report
from geo.travel.base import NearestResult, check_xy, nearest_from_matrix
from geo.travel.gtfs import (
    GtfsFeed,
    clip_feed,
    read_gtfs,
    resolve_service_datetime,
    service_dates,
    summarise_feed,
    write_gtfs_dir,
)

if TYPE_CHECKING:
    from geo.config import Settings
    from geo.data.areas import Area
    from geo.progress import ProgressFn

logger = logging.getLogger(__name__)

#: Bump when the tile layout or build options change.
TILE_FORMAT_VERSION = 1
#: Days after the build date for which Valhalla keeps the real schedule.
SCHEDULE_DAYS = 59
#: Fastest door-to-door speed assumed when skipping pairs that cannot be reached in time.
MAX_PLAUSIBLE_KPH = 80.0
STATISTICS = ("median", "worst", "best")
#: Valhalla error texts that mean "no journey" (reported as NaN); any other error is raised.
_NO_JOURNEY = ("no path", "no suitable edges", "exceeds the max", "outside the valid walking",
               "walking distance", "no data found for location", "unconnected regions")
_TOOLS = ("valhalla_ingest_transit", "valhalla_convert_transit", "valhalla_build_tiles")
_NO_VALHALLA = ("public-transport routing needs pyvalhalla (Python >= 3.12): "
                "pip install 'geo-access[transit]'")


def _valhalla() -> Any:
    try:
        import valhalla
    except ImportError as exc:
        raise NetworkError(_NO_VALHALLA) from exc
    return valhalla


def valhalla_bin_dir() -> Path:
    """Folder holding the Valhalla programs shipped with pyvalhalla."""
    vh = _valhalla()
    folder = Path(vh.__file__).resolve().parent / "bin"
    if not (folder / _TOOLS[0]).is_file():
        import sys

        out = subprocess.run([sys.executable, "-m", "valhalla", "print_bin_path"], capture_output=True,
                             text=True, check=False)
        folder = Path(out.stdout.strip())
    missing = [t for t in _TOOLS if not (folder / t).is_file()]
    if missing:
        msg = f"pyvalhalla's programs {', '.join(missing)} are missing from {folder}; reinstall pyvalhalla"
        raise NetworkError(msg)
    return folder


@dataclass(frozen=True)
class TransitTiles:
    """A built Valhalla graph with transit, ready to route."""

    folder: Path
    config_path: Path
    key: str
    build_date: dt.date
    reused: bool
    build_seconds: float
    feed_summary: dict[str, Any] = field(default_factory=dict)
    #: Dates on which the (clipped) feed runs at least one trip.
    service_dates: frozenset[dt.date] = frozenset()

    @property
    def schedule_dates(self) -> tuple[dt.date, dt.date]:
        """First and last date with the real (not assumed) schedule."""
        return self.build_date, self.build_date + dt.timedelta(days=SCHEDULE_DAYS)


def _valhalla_config(root: Path) -> dict[str, Any]:
    vh = _valhalla()
    (root / "tiles").mkdir(parents=True, exist_ok=True)
    cfg = vh.get_config(tile_extract="", tile_dir=root / "tiles")
    mj = cfg["mjolnir"]
    mj["transit_dir"] = str(root / "transit")
    mj["transit_feeds_dir"] = str(root / "feeds")
    for k in ("admin", "timezone", "traffic_extract", "landmarks"):
        mj.pop(k, None)
    mj["data_processing"]["use_admin_db"] = False
    mj["concurrency"] = max(1, min(4, os.cpu_count() or 1))
    return cfg


def _run(tool: Path, args: list[str], *, log_file: Path) -> None:
    t0 = time.perf_counter()
    proc = subprocess.run([str(tool), *args], capture_output=True, text=True, check=False)
    with log_file.open("a") as fh:
        fh.write(f"$ {tool.name} {' '.join(args)}\n{proc.stdout}\n{proc.stderr}\n")
    logger.info("%s finished in %.1f s (exit %d)", tool.name, time.perf_counter() - t0, proc.returncode)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        msg = f"{tool.name} failed (exit {proc.returncode}): {' | '.join(tail)[:400]}; see {log_file}"
        raise NetworkError(msg)


def _check_schedule_window(dates: tuple[dt.date, ...], build_date: dt.date) -> None:
    last = build_date + dt.timedelta(days=SCHEDULE_DAYS)
    bad = [d for d in dates if not build_date <= d <= last]
    if bad:
        msg = (f"{bad[0]:%a %d %b %Y} is outside the dates Valhalla can hold the timetable for when built today "
               f"({build_date:%d %b %Y} to {last:%d %b %Y}); ask for a date in that range, e.g. 'Tue 12:00' "
               "for next Tuesday")
        raise InputError(msg)


def build_transit_tiles(feed: GtfsFeed | str | Path, *, pbf: str | Path, settings: Settings,
                        area: Area | None = None, clip_buffer_metres: float = 10_000.0,
                        needed_dates: tuple[dt.date, ...] = (), rebuild: bool = False,
                        progress: ProgressFn | None = None) -> TransitTiles:
    """Build (or reuse) Valhalla tiles from an OSM extract and a GTFS feed.

    Parameters
    ----------
    feed
        A read feed or the path of a GTFS zip.
    pbf
        OpenStreetMap ``.osm.pbf`` covering the area (walking network).
    settings
        Run settings; tiles go under ``settings.cache_dir / "transit"``.
    area
        When given, the feed is clipped to the area polygon grown by ``clip_buffer_metres``.
    clip_buffer_metres
        Buffer around the area for clipping the feed (metres).
    needed_dates
        Dates that will be routed.  A cached build is reused when its 60-day timetable window
        (from its build date) covers them all, and rebuilt otherwise.  Default: today.
    rebuild
        Ignore a cached build.
    progress
        Optional ``(done, total, label)`` callback.

    Returns
    -------
    TransitTiles
    """
    vh = _valhalla()
    pbf = Path(pbf)
    if not pbf.is_file():
        msg = f"{pbf}: OSM extract not found; pass the .osm.pbf that covers the area (e.g. from Geofabrik)"
        raise InputError(msg)
    from geo.travel.gtfs import file_sha256

    if isinstance(feed, GtfsFeed):
        feed_sha = feed.sha256
    else:
        gtfs_path = Path(feed)
        if not gtfs_path.is_file():
            msg = f"{gtfs_path}: GTFS file not found; pass the feed's .zip"
            raise InputError(msg)
        feed_sha = file_sha256(gtfs_path)
    today = dt.date.today()
    needed = tuple(needed_dates) or (today,)
    key = cache_key("valhalla-transit", TILE_FORMAT_VERSION, vh.__version__, file_sha256(pbf), feed_sha,
                    area.key if area is not None else None, clip_buffer_metres)
    final = Path(settings.cache_dir) / "transit" / key
    cfg_path = final / "valhalla.json"
    meta_path = final / "meta.json"
    if final.is_dir() and meta_path.is_file() and cfg_path.is_file() and not rebuild:
        meta = json.loads(meta_path.read_text())
        built = dt.date.fromisoformat(meta["build_date"])
        if all(built <= d <= built + dt.timedelta(days=SCHEDULE_DAYS) for d in needed):
            logger.info("transit tiles cache hit: %s (built %s)", final, built)
            return TransitTiles(folder=final, config_path=cfg_path, key=key, build_date=built, reused=True,
                                build_seconds=float(meta["build_seconds"]), feed_summary=meta["feed_summary"],
                                service_dates=frozenset(dt.date.fromisoformat(d) for d in meta["service_dates"]))
        logger.info("cached transit tiles %s were built on %s: their timetable window does not cover %s; "
                    "rebuilding", final, built, ", ".join(map(str, needed)))
        rebuild = True
    _check_schedule_window(needed, today)
    if not isinstance(feed, GtfsFeed):
        feed = read_gtfs(feed)
    t0 = time.perf_counter()
    if area is not None:
        feed = clip_feed(feed, area.polygon, buffer_metres=clip_buffer_metres)
    bins = valhalla_bin_dir()
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=final.parent))
    try:
        write_gtfs_dir(feed, tmp / "feeds" / "feed")
        (tmp / "transit").mkdir()
        cfg = _valhalla_config(tmp)
        tmp_cfg = tmp / "valhalla.json"
        tmp_cfg.write_text(json.dumps(cfg))
        log_file = final.parent / f"{key}.build.log"  # kept outside tmp, so it survives a failed build
        log_file.unlink(missing_ok=True)
        steps = [(_TOOLS[0], ["-c", str(tmp_cfg)]), (_TOOLS[1], ["-c", str(tmp_cfg)]),
                 (_TOOLS[2], ["-c", str(tmp_cfg), str(pbf)])]
        for i, (tool, args) in enumerate(steps):
            report(progress, i, len(steps), f"Valhalla: {tool}")
            _run(bins / tool, args, log_file=log_file)
        if not any((tmp / "tiles").rglob("*.gph")):
            msg = f"Valhalla built no tiles from {pbf.name}; see {log_file}"
            raise NetworkError(msg)
        if not (tmp / "tiles" / "3").is_dir():
            msg = (f"Valhalla built no transit tiles from {feed.source}: the feed's stops may be outside "
                   f"{pbf.name} or have no trips; see {log_file}")
            raise NetworkError(msg)
        shutil.rmtree(tmp / "feeds", ignore_errors=True)
        seconds = time.perf_counter() - t0
        summary = summarise_feed(feed)
        days = sorted({str(d) for d in service_dates(feed)["date"]})
        # the final config points at the final folder; written before the rename so a reader
        # never sees a graph without its config
        final_cfg = json.loads(json.dumps(cfg).replace(str(tmp), str(final)))
        (tmp / "valhalla.json").write_text(json.dumps(final_cfg))
        (tmp / "meta.json").write_text(json.dumps({"build_date": today.isoformat(), "build_seconds": seconds,
                                                   "pbf": str(pbf), "feed_summary": summary,
                                                   "service_dates": days}, default=str))
        if final.exists() and (rebuild or not meta_path.is_file()):
            shutil.rmtree(final)
        try:
            os.replace(tmp, final)
        except OSError:
            if not (final / "meta.json").is_file():
                raise
            logger.info("another process built %s first; using its tiles", final)
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _actor.cache_clear()
    report(progress, len(steps), len(steps), "Valhalla tiles built")
    logger.info("built transit tiles %s in %.1f s", final, seconds)
    return TransitTiles(folder=final, config_path=cfg_path, key=key, build_date=today, reused=False,
                        build_seconds=seconds, feed_summary=summary,
                        service_dates=frozenset(dt.date.fromisoformat(d) for d in days))


@lru_cache(maxsize=4)
def _actor(config_path: str) -> Any:
    return _valhalla().Actor(config_path)


def window_times(when: dt.datetime, *, arrive_by: bool, window_minutes: float,
                 step_minutes: float) -> list[dt.datetime]:
    """Times evaluated: every ``step`` over the ``window`` before an arrive-by / after a depart-at time."""
    if window_minutes < 0 or step_minutes <= 0:
        msg = f"window_minutes must be >= 0 and step_minutes > 0 (got {window_minutes}, {step_minutes})"
        raise InputError(msg)
    n = int(window_minutes // step_minutes)
    sign = -1 if arrive_by else 1
    times = [when + dt.timedelta(minutes=sign * k * step_minutes) for k in range(n + 1)]
    return sorted(times)


class TransitRouter:
    """Door-to-door public-transport minutes from Valhalla multimodal routes (see module docs)."""

    mode = "transit"
    method = "transit"

    def __init__(self, tiles: TransitTiles, *, when: dt.datetime, arrive_by: bool, settings: Settings,
                 window_minutes: float = 120.0, step_minutes: float = 15.0, statistic: str = "median",
                 horizon_minutes: float = 180.0, max_walk_metres: float | None = None,
                 feed_name: str = "feed") -> None:
        if statistic not in STATISTICS:
            msg = f"unknown statistic {statistic!r}; choose one of {', '.join(STATISTICS)}"
            raise InputError(msg)
        first, last = tiles.schedule_dates
        self.tiles = tiles
        self.arrive_by = arrive_by
        self.when = when
        self.times = window_times(when, arrive_by=arrive_by, window_minutes=window_minutes,
                                  step_minutes=step_minutes)
        bad = [t for t in self.times if not first <= t.date() <= last]
        if bad:
            msg = (f"{bad[0]:%a %d %b %Y} is outside the dates Valhalla holds the timetable for "
                   f"({first:%d %b %Y} to {last:%d %b %Y}, 60 days from the tile build); ask for a date in that range")
            raise InputError(msg)
        self.statistic = statistic
        self.horizon_minutes = float(horizon_minutes)
        self.walk_kph = settings.walk_kph
        self.max_walk_metres = max_walk_metres
        verb = "arrive by" if arrive_by else "depart at"
        span = (f"; {statistic} of {len(self.times)} times {self.times[0]:%H:%M}-{self.times[-1]:%H:%M} every "
                f"{step_minutes:g} min" if len(self.times) > 1 else "")
        self.label = f"Public transport (GTFS {feed_name}, {verb} {when:%a %d %b %Y %H:%M}{span})"
        self._memo: dict[tuple[Any, ...], float] = {}
        self.n_requests = 0

    # -- single journeys -------------------------------------------------------------------
    def _request(self, o_lonlat: tuple[float, float], d_lonlat: tuple[float, float], depart: dt.datetime) -> str:
        transit: dict[str, Any] = {}
        if self.max_walk_metres is not None:
            transit["transit_start_end_max_distance"] = int(self.max_walk_metres)
        return json.dumps({
            "locations": [{"lon": o_lonlat[0], "lat": o_lonlat[1]}, {"lon": d_lonlat[0], "lat": d_lonlat[1]}],
            "costing": "multimodal",
            "costing_options": {"pedestrian": {"walking_speed": self.walk_kph, **transit}, "transit": {}},
            "date_time": {"type": 1, "value": depart.strftime("%Y-%m-%dT%H:%M")},
            "directions_type": "none",
        })

    def depart_minutes(self, o_lonlat: tuple[float, float], d_lonlat: tuple[float, float],
                       depart: dt.datetime) -> float:
        """Door-to-door minutes leaving at ``depart`` (NaN when Valhalla finds no journey)."""
        key = (o_lonlat, d_lonlat, depart)
        if key in self._memo:
            return self._memo[key]
        self.n_requests += 1
        try:
            out = json.loads(_actor(str(self.tiles.config_path)).route(self._request(o_lonlat, d_lonlat, depart)))
            minutes = float(out["trip"]["summary"]["time"]) / 60.0
        except RuntimeError as exc:  # pyvalhalla's ValhallaError derives from RuntimeError
            if not any(k in str(exc).lower() for k in _NO_JOURNEY):
                msg = f"Valhalla could not route {o_lonlat} -> {d_lonlat} at {depart:%Y-%m-%d %H:%M}: {exc}"
                raise NetworkError(msg) from exc
            logger.debug("no journey %s -> %s at %s: %s", o_lonlat, d_lonlat, depart, exc)
            minutes = float("nan")
        self._memo[key] = minutes
        return minutes

    def arrive_minutes(self, o_lonlat: tuple[float, float], d_lonlat: tuple[float, float],
                       arrive: dt.datetime, *, max_minutes: float | None = None) -> float:
        """Minutes before ``arrive`` one must leave to get there in time (latest departure, 1-min steps).

        Searches departures up to ``max_minutes`` (default the router's horizon) before ``arrive``;
        NaN when even leaving that early does not get there in time.
        """
        def ok(offset: int) -> bool:  # leave `offset` minutes before `arrive`
            m = self.depart_minutes(o_lonlat, d_lonlat, arrive - dt.timedelta(minutes=offset))
            return bool(np.isfinite(m) and m <= offset + 1e-6)

        hi = int(np.ceil(self.horizon_minutes if max_minutes is None else min(max_minutes, self.horizon_minutes)))
        if not ok(hi):
            return float("nan")
        lo = 0  # offset 0 is never feasible (needs 0 minutes travel)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if ok(mid):
                hi = mid
            else:
                lo = mid
        return float(hi)

    # -- Router interface ------------------------------------------------------------------
    def site_origin_minutes_window(self, sites_xy: np.ndarray, origins_xy: np.ndarray, *,
                                   max_minutes: float | None = None,
                                   progress: ProgressFn | None = None) -> np.ndarray:
        """``(n_times, n_sites, n_origins)`` minutes for every time in the window."""
        sites = check_xy(sites_xy, what="sites")
        origins = check_xy(origins_xy, what="origins")
        cap = self.horizon_minutes if max_minutes is None else min(float(max_minutes), self.horizon_minutes)
        out = np.full((len(self.times), len(sites), len(origins)), np.nan)
        if not len(sites) or not len(origins):
            return out
        s_lon, s_lat = lonlat_from_bng(sites[:, 0], sites[:, 1])
        o_lon, o_lat = lonlat_from_bng(origins[:, 0], origins[:, 1])
        dist = np.hypot(sites[:, None, 0] - origins[None, :, 0], sites[:, None, 1] - origins[None, :, 1])
        plausible = dist / (MAX_PLAUSIBLE_KPH * 1000 / 60) <= cap
        pairs = np.argwhere(plausible)
        total = len(pairs) * len(self.times)
        t0 = time.perf_counter()
        for k, (i, j) in enumerate(pairs):
            d_ll = (round(float(s_lon[i]), 6), round(float(s_lat[i]), 6))
            o_ll = (round(float(o_lon[j]), 6), round(float(o_lat[j]), 6))
            for t, when in enumerate(self.times):
                m = (self.arrive_minutes(o_ll, d_ll, when, max_minutes=cap) if self.arrive_by
                     else self.depart_minutes(o_ll, d_ll, when))
                out[t, i, j] = m if np.isfinite(m) and m <= cap else np.nan
            report(progress, (k + 1) * len(self.times), total, "public-transport journeys")
        logger.info("transit: %d pairs x %d times, %d Valhalla routes in %.1f s", len(pairs), len(self.times),
                    self.n_requests, time.perf_counter() - t0)
        return out

    def reduce_window(self, window: np.ndarray) -> np.ndarray:
        """Median / worst / best over the window axis; a time with no journey counts as infinite."""
        filled = np.where(np.isnan(window), np.inf, window)
        if self.statistic == "worst":
            red = filled.max(axis=0)
        elif self.statistic == "best":
            red = filled.min(axis=0)
        else:
            red = np.median(filled, axis=0)
        return np.where(np.isfinite(red), red, np.nan)

    def site_origin_minutes(self, sites_xy: np.ndarray, origins_xy: np.ndarray, *,
                            max_minutes: float | None = None) -> np.ndarray:
        """``(n_sites, n_origins)`` minutes (the window statistic); NaN = no journey."""
        red = self.reduce_window(self.site_origin_minutes_window(sites_xy, origins_xy, max_minutes=max_minutes))
        if max_minutes is not None:
            red = np.where(red <= max_minutes, red, np.nan)
        return red

    def nearest(self, sites_xy: np.ndarray, origins_xy: np.ndarray, *,
                max_minutes: float | None = None) -> NearestResult:
        """Minutes from each origin to its nearest site by public transport."""
        return nearest_from_matrix(self.site_origin_minutes(sites_xy, origins_xy, max_minutes=max_minutes),
                                   method=self.method)


def pbf_for_area(area: Area | None, network: Any, settings: Settings) -> Path:
    if network is not None and not (isinstance(network, str) and network.lower() in {"auto", "none", "estimate"}):
        if isinstance(network, str | Path):
            return Path(network)
        msg = "transit routing needs an OpenStreetMap .osm.pbf path as network= (a built road network cannot be used)"
        raise InputError(msg)
    from geo.data.sources import get_dataset

    pbf = get_dataset("rutland_pbf").path(settings.data_dir)
    covered = {"E06000017"}
    if area is not None and not set(area.lad_codes) <= covered:
        msg = (f"no OpenStreetMap extract for {area.name} in the bundle (only Rutland); pass --network "
               "PATH.osm.pbf, e.g. the county extract from https://download.geofabrik.de/europe/great-britain/england.html")
        raise NetworkError(msg)
    if not pbf.is_file():
        msg = f"{pbf}: the bundled Rutland OSM extract is missing; pass --network PATH.osm.pbf"
        raise NetworkError(msg)
    return pbf


def make_transit_router(*, area: Area | None = None, settings: Settings, network: Any = "auto",
                        progress: ProgressFn | None = None, gtfs: str | Path | None = None,
                        arrive_by: str | dt.datetime | None = None, depart_at: str | dt.datetime | None = None,
                        window_minutes: float = 120.0, step_minutes: float = 15.0, statistic: str = "median",
                        clip_buffer_metres: float = 10_000.0, max_walk_metres: float | None = None,
                        horizon_minutes: float = 180.0, rebuild: bool = False,
                        **unknown: Any) -> TransitRouter:
    """Validate the feed, build or reuse tiles, and return a :class:`TransitRouter`.

    Exactly one of ``arrive_by``/``depart_at`` ("Tue 12:00" = next Tuesday, or ISO
    "2026-12-01T12:00"); default arrive by next Tuesday 12:00.
    """
    if unknown:
        msg = f"unknown transit option(s) {', '.join(sorted(unknown))}"
        raise InputError(msg)
    if gtfs is None:
        msg = "public-transport routing needs a GTFS feed: pass --gtfs FEED.zip (e.g. a BODS regional GTFS zip)"
        raise InputError(msg)
    if arrive_by is not None and depart_at is not None:
        msg = "give either arrive_by or depart_at, not both"
        raise InputError(msg)
    spec = arrive_by if arrive_by is not None else depart_at if depart_at is not None else settings.transit_arrive_by
    when = spec if isinstance(spec, dt.datetime) else resolve_service_datetime(spec)
    arriving = arrive_by is not None or depart_at is None
    times = window_times(when, arrive_by=arriving, window_minutes=window_minutes, step_minutes=step_minutes)
    pbf = pbf_for_area(area, network, settings)
    tiles = build_transit_tiles(Path(gtfs), pbf=pbf, settings=settings, area=area,
                                clip_buffer_metres=clip_buffer_metres,
                                needed_dates=tuple(sorted({t.date() for t in times})), rebuild=rebuild,
                                progress=progress)
    days = tiles.service_dates
    missing = sorted({t.date() for t in times} - days)
    if missing:
        span = f"{min(days)} to {max(days)}" if days else "no dates at all"
        msg = (f"{Path(gtfs).name}: no service on {missing[0]:%a %d %b %Y} in the study area (the feed runs "
               f"{span}); choose a day inside the feed's calendar or download a current feed")
        raise InputError(msg)
    return TransitRouter(tiles, when=when, arrive_by=arriving, settings=settings,
                         window_minutes=window_minutes, step_minutes=step_minutes, statistic=statistic,
                         horizon_minutes=horizon_minutes, max_walk_metres=max_walk_metres,
                         feed_name=Path(gtfs).name)


__all__ = ["STATISTICS", "TransitRouter", "TransitTiles", "build_transit_tiles", "make_transit_router",
           "valhalla_bin_dir", "window_times"]
