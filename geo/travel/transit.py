"""Public-transport travel times from a GTFS timetable, routed door to door by Valhalla (multimodal).

Pipeline
--------
1. the feed(s): a GTFS zip, or ``gtfs="auto"`` -- the Bus Open Data Service regions covering the
   area plus its buffer (:mod:`geo.travel.bods`, downloaded and cached);
2. the walking network: an ``.osm.pbf``, or ``network="auto"`` -- the bundled extract where it
   covers the area, else the Geofabrik county extracts (:mod:`geo.travel.extracts`);
3. :func:`geo.travel.transit_tiles.build_transit_tiles` clips the feed to the area + buffer while
   streaming ``stop_times`` and builds (or reuses) Valhalla tiles;
4. :class:`TransitRouter` asks ``valhalla.Actor.route`` (``costing="multimodal"``) per
   origin-site pair: walk to a stop, wait, ride, transfer, walk (walking speed ``Settings.walk_kph``).

The router itself -- times over a window, which pairs are routed -- is
:class:`~geo.travel.transit_router.TransitRouter`; this module resolves what it runs on.
Every label says the times are timetable-based (:attr:`geo.travel.modes.Method.TIMETABLE`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geo._errors import InputError, NetworkError
from geo.travel.gtfs import resolve_service_datetime
from geo.travel.transit_router import (
    MAX_PLAUSIBLE_KPH,
    PRESELECT_MARGIN,
    STATISTICS,
    TransitRouter,
    reduce_window,
    window_times,
)
from geo.travel.transit_tiles import TransitTiles, build_transit_tiles, tiles_from_folder, valhalla_bin_dir

if TYPE_CHECKING:
    from geo.config import Settings
    from geo.data.areas import Area
    from geo.progress import ProgressFn

logger = logging.getLogger(__name__)


def resolve_pbfs(area: Area | None, network: Any, settings: Settings, *, buffer_km: float,
                 progress: ProgressFn | None = None) -> list[Path]:
    """The OpenStreetMap extract(s) Valhalla walks on.

    A path (or several, ``;``-separated) is used as given.  ``auto``: the bundled extract when it
    covers the area, else the Geofabrik county extracts covering the area + ``buffer_km``
    (cached, or downloaded when ``Settings.osm_auto_fetch`` and the server or
    ``GEO_OSM_MIRROR`` answer).
    """
    if network is not None and not (isinstance(network, str) and network.lower() in {"auto", "none", "estimate"}):
        if isinstance(network, str | Path):
            return [Path(p.strip()) for p in str(network).split(";") if p.strip()]
        msg = "public-transport routing needs an OpenStreetMap .osm.pbf path as network= (a built road network cannot be used)"
        raise InputError(msg)
    from geo.data.sources import get_dataset

    pbf = get_dataset("rutland_pbf").path(settings.data_dir)
    if area is None or set(area.lad_codes) <= {"E06000017"}:
        if not pbf.is_file():
            msg = f"{pbf}: the bundled Rutland OSM extract is missing; pass --network PATH.osm.pbf"
            raise NetworkError(msg)
        return [pbf]
    from geo.travel.extracts import choose_extracts, fetch_hint, local_extracts
    from geo.travel.fetch import base_url, fetch_extract, is_reachable

    chosen = choose_extracts(area, buffer_km=buffer_km, settings=settings)
    paths = local_extracts(chosen, settings)
    if paths is not None:
        return paths
    if settings.osm_auto_fetch and is_reachable(base_url(settings)):
        return [fetch_extract(ex, settings=settings, progress=progress) for ex in chosen]
    msg = (f"no OpenStreetMap extract for {area.name} on this machine (needs {', '.join(e.slug for e in chosen)}); "
           f"{fetch_hint(area.name)}, or pass --network PATH.osm.pbf")
    raise NetworkError(msg)


def resolve_feeds(gtfs: str | Path | Sequence[str | Path], area: Area | None, settings: Settings, *,
                  buffer_km: float, progress: ProgressFn | None = None) -> list[Path]:
    """The GTFS zip(s): paths as given (``;``-separated for several), or ``auto`` -- the BODS regions
    covering the area + ``buffer_km`` (:func:`geo.travel.bods.feeds_for_area`)."""
    items = list(gtfs) if isinstance(gtfs, list | tuple) else [p for p in str(gtfs).split(";") if p.strip()]
    if len(items) == 1 and str(items[0]).strip().lower() == "auto":
        if area is None:
            msg = "--gtfs auto needs a study area (--area) to pick the BODS region(s)"
            raise InputError(msg)
        from geo.travel.bods import feeds_for_area

        return feeds_for_area(area, settings=settings, buffer_km=buffer_km, progress=progress)
    return [Path(str(p).strip()) for p in items]


def make_transit_router(*, area: Area | None = None, settings: Settings, network: Any = "auto",
                        progress: ProgressFn | None = None, gtfs: str | Path | Sequence[str | Path] | None = None,
                        arrive_by: str | dt.datetime | None = None, depart_at: str | dt.datetime | None = None,
                        window_minutes: float = 120.0, step_minutes: float = 15.0, statistic: str = "median",
                        clip_buffer_metres: float = 10_000.0, max_walk_metres: float | None = None,
                        horizon_minutes: float = 180.0, rebuild: bool = False, threads: int | None = None,
                        network_buffer_km: float | None = None, **unknown: Any) -> TransitRouter:
    """Resolve the feed and roads, build or reuse tiles, and return a :class:`TransitRouter`.

    Exactly one of ``arrive_by``/``depart_at`` ("Tue 12:00" = next Tuesday, or ISO
    "2026-12-01T12:00"); default ``Settings.transit_arrive_by``.  ``gtfs="auto"`` picks the BODS
    region(s); ``network="auto"`` the OpenStreetMap extract(s), covering the area plus
    ``network_buffer_km`` (default ``Settings.cross_border_buffer_km``, where cross-border sites lie).
    """
    if unknown:
        msg = f"unknown transit option(s) {', '.join(sorted(unknown))}"
        raise InputError(msg)
    if gtfs is None or (isinstance(gtfs, str) and not gtfs.strip()):
        msg = ("public-transport routing needs a GTFS feed: pass --gtfs auto (the area's Bus Open Data Service "
               "feed) or --gtfs FEED.zip")
        raise InputError(msg)
    if arrive_by is not None and depart_at is not None:
        msg = "give either arrive_by or depart_at, not both"
        raise InputError(msg)
    spec = arrive_by if arrive_by is not None else depart_at if depart_at is not None else settings.transit_arrive_by
    when = spec if isinstance(spec, dt.datetime) else resolve_service_datetime(spec)
    arriving = arrive_by is not None or depart_at is None
    times = window_times(when, arrive_by=arriving, window_minutes=window_minutes, step_minutes=step_minutes)
    buffer_km = settings.cross_border_buffer_km if network_buffer_km is None else network_buffer_km
    feeds = resolve_feeds(gtfs, area, settings, buffer_km=buffer_km, progress=progress)
    pbfs = resolve_pbfs(area, network, settings, buffer_km=buffer_km, progress=progress)
    tiles = build_transit_tiles(feeds, pbf=pbfs, settings=settings, area=area, clip_buffer_metres=clip_buffer_metres,
                                needed_dates=tuple(sorted({t.date() for t in times})), rebuild=rebuild,
                                progress=progress)
    return TransitRouter(tiles, when=when, arrive_by=arriving, settings=settings, window_minutes=window_minutes,
                         step_minutes=step_minutes, statistic=statistic, horizon_minutes=horizon_minutes,
                         max_walk_metres=max_walk_metres, threads=threads)


__all__ = ["MAX_PLAUSIBLE_KPH", "PRESELECT_MARGIN", "STATISTICS", "TransitRouter", "TransitTiles",
           "build_transit_tiles", "make_transit_router", "reduce_window", "resolve_feeds", "resolve_pbfs",
           "tiles_from_folder", "valhalla_bin_dir", "window_times"]
