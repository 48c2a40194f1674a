"""Valhalla tiles with a clipped GTFS timetable: build once, cache, reuse.

:func:`build_transit_tiles` takes one or more GTFS zips (several BODS regions when an area
crosses a regional border) and one or more OpenStreetMap ``.osm.pbf`` extracts (the walking
network):

1. each feed is opened (small tables only) and clipped to the study area plus a buffer while
   ``stop_times.txt`` is streamed (:func:`geo.travel.gtfs_stream.clip_feed`); several clipped
   feeds are merged (shared ATCO stop and trip ids);
2. before any Valhalla program runs, the dates asked for must have service
   (:func:`geo.travel.gtfs.require_service`) -- a one-line error otherwise;
3. Valhalla's own programs (``valhalla_ingest_transit``, ``valhalla_convert_transit``,
   ``valhalla_build_tiles``, from ``python -m valhalla print_bin_path``) build the graph into
   ``Settings.cache_dir/transit/<key>``; the key hashes the pbfs, the feeds, the area, the
   buffer and the Valhalla version.  It is built in a temporary folder and renamed into place,
   so an interrupted build is never used, and a second run reuses it;
4. every kept stop is located on the walking network (Valhalla ``locate``, pedestrian, within
   :data:`STOP_ROAD_METRES`): stops off the roads (outside the extract) are counted and named in
   the router's label; when no stop of the area itself is on the roads the build is an error;
5. the clipped timetable is kept beside the tiles (:mod:`geo.travel.transit_index`).

Dates: Valhalla stores the real schedule for 60 days from the build date.

Why this module is long: one engine's build life cycle (config, programs, cache key, atomic
publish, the stops-on-roads check, the kept timetable) belongs together.
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
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from geo._errors import InputError, NetworkError
from geo.cache import cache_key
from geo.progress import report
from geo.travel.gtfs import (
    WEEKDAYS,
    GtfsFeed,
    feed_dates,
    no_service_message,
    open_gtfs,
    require_service,
    service_dates,
    summarise_feed,
)

if TYPE_CHECKING:
    from geo.config import Settings
    from geo.data.areas import Area
    from geo.progress import ProgressFn

logger = logging.getLogger(__name__)

#: Bump when the tile layout, build options or the facts kept in meta.json change (4: file dates).
TILE_FORMAT_VERSION = 4
#: Days after the build date for which Valhalla keeps the real schedule.
SCHEDULE_DAYS = 59
#: A stop further than this from any walkable road (Valhalla ``locate``) counts as off the roads.
STOP_ROAD_METRES = 1000
_TOOLS = ("valhalla_ingest_transit", "valhalla_convert_transit", "valhalla_build_tiles")
_NO_VALHALLA = ("public-transport routing needs pyvalhalla (Python >= 3.12): "
                "pip install 'geo-access[transit]'")


def valhalla() -> Any:
    """The pyvalhalla module (a :class:`NetworkError` naming the extra when missing)."""
    try:
        import valhalla as vh
    except ImportError as exc:
        raise NetworkError(_NO_VALHALLA) from exc
    return vh


def valhalla_bin_dir() -> Path:
    """Folder holding the Valhalla programs shipped with pyvalhalla."""
    vh = valhalla()
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
    """A built Valhalla graph with transit, ready to route (read back from its ``meta.json``)."""

    folder: Path
    config_path: Path
    key: str
    build_date: dt.date
    reused: bool
    build_seconds: float
    feed_summary: dict[str, Any] = field(default_factory=dict)
    #: Dates on which the (clipped) feed runs at least one trip.
    service_dates: frozenset[dt.date] = frozenset()
    #: Publication and calendar dates of each feed (``name: {version, published, first_service, last_service}``).
    feeds: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Stops of the clipped feed and how many are off the walking network.
    stops: int = 0
    stops_off_roads: int = 0
    pbfs: tuple[str, ...] = ()

    @property
    def schedule_dates(self) -> tuple[dt.date, dt.date]:
        """First and last date with the real (not assumed) schedule."""
        return self.build_date, self.build_date + dt.timedelta(days=SCHEDULE_DAYS)

    @property
    def feed_label(self) -> str:
        """``itm_east_midlands_gtfs.zip (downloaded 2026-12-03; timetable 2026-11-30 to 2027-02-01)`` per feed."""
        parts = []
        for name, d in self.feeds.items():
            facts = ([f"downloaded {d['downloaded']}"] if d.get("downloaded")
                     else [f"file dated {d['file_date']}"] if d.get("file_date") else [])
            if d.get("version"):
                facts.append(f"version {d['version']}")
            if d.get("first_service"):
                facts.append(f"timetable {d['first_service']} to {d['last_service']}")
            parts.append(f"{name} ({'; '.join(facts)})" if facts else name)
        return " + ".join(parts) or str(self.feed_summary.get("feed", "feed"))

    @property
    def warnings(self) -> list[str]:
        """Labelled warnings every answer from these tiles carries."""
        out = []
        if self.stops_off_roads:
            out.append(f"{self.stops_off_roads:,} of {self.stops:,} stops lie off the walking network "
                       f"({', '.join(Path(p).name for p in self.pbfs)}): journeys through them are missing; "
                       "pass --network covering the area and its buffer")
        return out


def _valhalla_config(root: Path) -> dict[str, Any]:
    vh = valhalla()
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


def check_schedule_window(dates: Sequence[dt.date], build_date: dt.date) -> None:
    """An error for dates outside the 60 days Valhalla holds the timetable for when built on ``build_date``."""
    last = build_date + dt.timedelta(days=SCHEDULE_DAYS)
    bad = [d for d in dates if not build_date <= d <= last]
    if bad:
        msg = (f"{bad[0]:%a %d %b %Y} is outside the dates Valhalla can hold the timetable for when built today "
               f"({build_date:%d %b %Y} to {last:%d %b %Y}); ask for a date in that range, e.g. 'Tue 12:00' "
               "for next Tuesday")
        raise InputError(msg)


def tiles_from_folder(folder: str | Path, *, reused: bool = True) -> TransitTiles:
    """A built tile folder read back from its ``meta.json`` (batch workers get the path, not the object)."""
    final = Path(folder)
    meta_path, cfg_path = final / "meta.json", final / "valhalla.json"
    if not (meta_path.is_file() and cfg_path.is_file()):
        msg = f"{final}: not a built transit tile folder (no meta.json/valhalla.json); build it with `geo transit build`"
        raise InputError(msg)
    meta = json.loads(meta_path.read_text())
    return TransitTiles(folder=final, config_path=cfg_path, key=final.name,
                        build_date=dt.date.fromisoformat(meta["build_date"]), reused=reused,
                        build_seconds=float(meta["build_seconds"]), feed_summary=meta["feed_summary"],
                        service_dates=frozenset(dt.date.fromisoformat(d) for d in meta["service_dates"]),
                        feeds=meta.get("feeds", {}), stops=int(meta.get("stops", 0)),
                        stops_off_roads=int(meta.get("stops_off_roads", 0)), pbfs=tuple(meta.get("pbfs", ())))


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def clip_feeds(feeds: Sequence[GtfsFeed | str | Path], *, area: Area | None, buffer_metres: float,
               progress: ProgressFn | None = None) -> GtfsFeed:
    """Open and clip every feed to the area + buffer (streaming) and merge them into one."""
    from geo.travel.gtfs_stream import clip_feed, merge_feeds

    clipped = []
    for f in feeds:
        feed = f if isinstance(f, GtfsFeed) else open_gtfs(f)
        if area is not None:
            feed = clip_feed(feed, area.polygon, buffer_metres=buffer_metres, progress=progress, area_name=area.name)
        elif not feed.has_stop_times:
            msg = f"{feed.source}: give a study area to clip the feed to (a whole regional feed is too big to build)"
            raise InputError(msg)
        clipped.append(feed)
    return merge_feeds(clipped)


def build_transit_tiles(feed: GtfsFeed | str | Path | Sequence[GtfsFeed | str | Path], *,
                        pbf: str | Path | Sequence[str | Path], settings: Settings, area: Area | None = None,
                        clip_buffer_metres: float = 10_000.0, needed_dates: tuple[dt.date, ...] = (),
                        rebuild: bool = False, progress: ProgressFn | None = None) -> TransitTiles:
    """Build (or reuse) Valhalla tiles from OSM extract(s) and GTFS feed(s) (see the module docs).

    Parameters
    ----------
    feed : a feed, a GTFS zip path, or several (e.g. two BODS regions).
    pbf : OpenStreetMap ``.osm.pbf`` file(s) covering the area (walking network).
    settings : run settings; tiles go under ``settings.cache_dir / "transit"``.
    area : when given, feeds are clipped to the area polygon grown by ``clip_buffer_metres``.
    needed_dates : dates that will be routed: they must have service, and a cached build is
        reused when its 60-day timetable window covers them.  Default: today.
    rebuild : ignore a cached build.
    progress : optional ``(done, total, label)`` callback.
    """
    vh = valhalla()
    pbfs = [Path(p) for p in _as_list(pbf)]
    for p in pbfs:
        if not p.is_file():
            msg = f"{p}: OSM extract not found; pass the .osm.pbf that covers the area (e.g. from Geofabrik)"
            raise InputError(msg)
    from geo.travel.gtfs import file_sha256

    feeds = _as_list(feed)
    shas = []
    for f in feeds:
        if isinstance(f, GtfsFeed):
            shas.append(f.sha256)
            continue
        if not Path(f).is_file():
            msg = f"{f}: GTFS file not found; pass the feed's .zip (or --gtfs auto for the area's BODS feed)"
            raise InputError(msg)
        shas.append(file_sha256(Path(f)))
    today = dt.date.today()
    needed = tuple(needed_dates) or (today,)
    key = cache_key("valhalla-transit", TILE_FORMAT_VERSION, vh.__version__, *[file_sha256(p) for p in pbfs],
                    *sorted(shas), area.key if area is not None else None, clip_buffer_metres)
    final = Path(settings.cache_dir) / "transit" / key
    if (final / "meta.json").is_file() and (final / "valhalla.json").is_file() and not rebuild:
        tiles = tiles_from_folder(final)
        if all(tiles.build_date <= d <= tiles.schedule_dates[1] for d in needed):
            logger.info("transit tiles cache hit: %s (built %s)", final, tiles.build_date)
            if needed_dates:
                _require_days(tiles, needed, area)
            return tiles
        logger.info("cached transit tiles %s were built on %s: their timetable window does not cover %s; "
                    "rebuilding", final, tiles.build_date, ", ".join(map(str, needed)))
        rebuild = True
    check_schedule_window(needed, today)
    t0 = time.perf_counter()
    merged = clip_feeds([f if isinstance(f, GtfsFeed) else Path(f) for f in feeds], area=area,
                        buffer_metres=clip_buffer_metres, progress=progress)
    if needed_dates:
        require_service(merged, list(needed), where=f"in {area.name}" if area is not None else "in the feed")
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=final.parent))
    try:
        _build(merged, pbfs, tmp, final, key=key, progress=progress)
        seconds = time.perf_counter() - t0
        n_stops, off, area_on = _stops_off_roads(merged, tmp, area)
        if area is not None and area_on == 0:
            msg = (f"none of the feed's stops in {area.name} lies within {STOP_ROAD_METRES:,} m of a road of "
                   f"{', '.join(p.name for p in pbfs)}: the OpenStreetMap extract does not cover the area; pass "
                   "--network with the area's extract (or --network auto)")
            raise NetworkError(msg)
        days = sorted({str(d) for d in service_dates(merged)["date"]})
        from geo.travel.transit_index import write_index

        write_index(merged, tmp)
        meta = {"build_date": today.isoformat(), "build_seconds": seconds, "pbfs": [str(p) for p in pbfs],
                "feed_summary": summarise_feed(merged), "service_dates": days,
                "feeds": dict(_feed_facts(f, sha) for f, sha in zip(feeds, shas, strict=True)),
                "stops": n_stops, "stops_off_roads": off}
        _publish(tmp, final, meta, rebuild=rebuild)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _actor_for.cache_clear()
    report(progress, 3, 3, "Valhalla tiles built")
    logger.info("built transit tiles %s in %.1f s", final, seconds)
    tiles = tiles_from_folder(final, reused=False)
    if off:
        logger.warning("%s", tiles.warnings[0])
    return tiles


def _feed_facts(feed: GtfsFeed | str | Path, sha256: str) -> tuple[str, dict[str, str]]:
    """A feed's name and dates for labels: its calendar range and when it was downloaded (or saved)."""
    from geo.travel.bods import feed_record

    src = feed if isinstance(feed, GtfsFeed) else open_gtfs(feed, sha256=sha256)
    facts = feed_dates(src)
    if src.path is not None:
        rec = feed_record(src.path) or {}
        if rec.get("downloaded"):  # a BODS export this tool downloaded
            facts["downloaded"] = str(rec["downloaded"])
        else:  # a file the user passed: say how old the file is, not that we downloaded it
            facts["file_date"] = str(dt.date.fromtimestamp(src.path.stat().st_mtime))
    return src.source, facts


def _build(feed: GtfsFeed, pbfs: list[Path], tmp: Path, final: Path, *, key: str,
           progress: ProgressFn | None) -> None:
    """Write the clipped feed and run Valhalla's three programs into ``tmp`` (config pointing at ``tmp``)."""
    from geo.travel.gtfs_stream import write_gtfs_dir

    bins = valhalla_bin_dir()
    write_gtfs_dir(_with_calendar(feed), tmp / "feeds" / "feed")
    (tmp / "transit").mkdir()
    cfg = _valhalla_config(tmp)
    (tmp / "valhalla.json").write_text(json.dumps(cfg))
    log_file = final.parent / f"{key}.build.log"  # kept outside tmp, so it survives a failed build
    log_file.unlink(missing_ok=True)
    cfg_arg = str(tmp / "valhalla.json")
    steps = [(_TOOLS[0], ["-c", cfg_arg]), (_TOOLS[1], ["-c", cfg_arg]),
             (_TOOLS[2], ["-c", cfg_arg, *[str(p) for p in pbfs]])]
    for i, (tool, args) in enumerate(steps):
        report(progress, i, len(steps), f"Valhalla: {tool}")
        _run(bins / tool, args, log_file=log_file)
    if not any((tmp / "tiles").rglob("*.gph")):
        msg = f"Valhalla built no tiles from {', '.join(p.name for p in pbfs)}; see {log_file}"
        raise NetworkError(msg)
    if not (tmp / "tiles" / "3").is_dir():
        msg = (f"Valhalla built no transit tiles from {feed.source}: the feed's stops may be outside "
               f"{', '.join(p.name for p in pbfs)} or have no trips; see {log_file}")
        raise NetworkError(msg)
    shutil.rmtree(tmp / "feeds", ignore_errors=True)


def _with_calendar(feed: GtfsFeed) -> GtfsFeed:
    """A feed with ``calendar_dates.txt`` only gets an all-zero ``calendar.txt`` row per service (its
    exceptions then say every day), the form Valhalla's ingest reads."""
    from dataclasses import replace

    import pandas as pd

    if "calendar.txt" in feed.tables or "calendar_dates.txt" not in feed.tables:
        return feed
    cd = feed.tables["calendar_dates.txt"]
    dates = pd.to_datetime(cd["date"].str.strip(), format="%Y%m%d")
    span = pd.DataFrame({"service_id": cd["service_id"], "d": dates}).groupby("service_id")["d"].agg(["min", "max"])
    cal = pd.DataFrame({"service_id": span.index, **dict.fromkeys(WEEKDAYS, "0"),
                        "start_date": span["min"].dt.strftime("%Y%m%d").to_numpy(),
                        "end_date": span["max"].dt.strftime("%Y%m%d").to_numpy()})
    return replace(feed, tables={**feed.tables, "calendar.txt": cal})


def _stops_off_roads(feed: GtfsFeed, tmp: Path, area: Area | None) -> tuple[int, int, int]:
    """(kept stops, stops off the walking network, stops inside the area on it) via Valhalla ``locate``."""
    import shapely

    vh = valhalla()
    stops = feed.stops_bng
    stops = stops[stops["easting"].notna()]
    if not len(stops):
        return 0, 0, 0
    actor = vh.Actor(str(tmp / "valhalla.json"))
    lat = stops["stop_lat"].astype(float).to_numpy()
    lon = stops["stop_lon"].astype(float).to_numpy()
    on = np.zeros(len(stops), dtype=bool)
    for start in range(0, len(stops), 2000):
        locs = [{"lat": float(a), "lon": float(b), "search_cutoff": STOP_ROAD_METRES}
                for a, b in zip(lat[start:start + 2000], lon[start:start + 2000], strict=True)]
        out = json.loads(actor.locate(json.dumps({"locations": locs, "costing": "pedestrian", "verbose": False})))
        on[start:start + len(out)] = [bool(r.get("edges")) for r in out]
    inside = (shapely.contains_xy(area.polygon, stops["easting"].to_numpy(), stops["northing"].to_numpy())
              if area is not None else np.ones(len(stops), dtype=bool))
    return len(stops), int((~on).sum()), int((on & inside).sum())


def _publish(tmp: Path, final: Path, meta: dict[str, Any], *, rebuild: bool) -> None:
    # the config points at the final folder; written before the rename so a reader never sees
    # a graph without its config
    cfg_path = tmp / "valhalla.json"
    cfg_path.write_text(cfg_path.read_text().replace(str(tmp), str(final)))
    (tmp / "meta.json").write_text(json.dumps(meta, default=str))
    if final.exists() and (rebuild or not (final / "meta.json").is_file()):
        shutil.rmtree(final)
    try:
        os.replace(tmp, final)
    except OSError:
        if not (final / "meta.json").is_file():
            raise
        logger.info("another process built %s first; using its tiles", final)
        shutil.rmtree(tmp, ignore_errors=True)


def _require_days(tiles: TransitTiles, dates: Sequence[dt.date], area: Area | None) -> None:
    missing = sorted(set(dates) - tiles.service_dates)
    if missing:
        where = f"in {area.name}" if area is not None else "in the clipped feed"
        raise InputError(no_service_message(tiles.feed_label, missing[0], tiles.service_dates, where=where))


@lru_cache(maxsize=8)
def _actor_for(config_path: str, thread_id: int) -> Any:
    return valhalla().Actor(config_path)


def actor(config_path: str | Path) -> Any:
    """A ``valhalla.Actor`` for this thread (one Actor is not safe to share between threads)."""
    import threading

    return _actor_for(str(config_path), threading.get_ident())


__all__ = ["SCHEDULE_DAYS", "TransitTiles", "actor", "build_transit_tiles", "check_schedule_window", "clip_feeds",
           "tiles_from_folder", "valhalla", "valhalla_bin_dir"]
