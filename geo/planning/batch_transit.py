"""National batch runs: public transport, routed in LSOA chunks on the workers.

:func:`plan_transit` builds the Valhalla tiles once on the client.  Each LAD's run is cut into
:class:`~geo.planning.batch.TransitChunk` pieces (:func:`transit_chunks`: a chunk of LSOAs, every
departure time of the window -- the arrive-by search shares probes between them), routed on the
workers (:func:`run_transit_chunk`) from those tiles, only to the sites that could be nearest.
The LAD's task joins the chunks into a :class:`WindowRouter` that answers nearest times.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from geo._errors import InputError
from geo.config import Settings
from geo.planning.batch import BatchJob, LadTask, TransitChunk, TransitSetup, settings_from_json
from geo.planning.batch_inputs import assign_networks, lad_study
from geo.travel.modes import Method, TravelMode

if TYPE_CHECKING:
    from geo.progress import ProgressFn
    from geo.travel.base import NearestResult


def plan_transit(job: BatchJob, lads: Sequence[str], settings: Settings,
                 progress: ProgressFn | None = None) -> tuple[dict[str, TransitSetup], Any]:
    """Build the Valhalla tiles once on the client: ``({lad: setup}, the client's TransitRouter)``.

    ``auto`` feeds/extracts cover every LAD; a given ``.osm.pbf`` only the LADs inside it (others say no network).
    """
    from geo.data.areas import select_area
    from geo.travel.transit import make_transit_router

    if TravelMode.TRANSIT not in job.modes:
        return {}, None
    t = job.transit
    assert t is not None and t.gtfs is not None
    covered = list(lads)
    if str(job.network).lower() not in {"auto", "none", "estimate"}:
        covered = [lad for lad, m in assign_networks(lads, BatchJob(area=job.area, modes=(TravelMode.WALK,),
                                                                    network=job.network), settings).items() if m]
        if not covered:
            return {}, None  # no LAD inside the extract: every row says no public-transport network
    area = select_area(";".join(covered), settings=settings)
    router = make_transit_router(area=area, settings=settings, network=job.network, progress=progress, gtfs=t.gtfs,
                                 arrive_by=t.arrive_by, depart_at=t.depart_at, window_minutes=t.window_minutes,
                                 step_minutes=t.step_minutes, statistic=t.statistic, network_buffer_km=job.buffer_km)
    setup = TransitSetup(tiles_folder=str(router.tiles.folder), when=router.when.isoformat(),
                         arrive_by=router.arrive_by, window_minutes=t.window_minutes, step_minutes=t.step_minutes,
                         statistic=router.statistic, horizon_minutes=router.horizon_minutes, label=router.label)
    return dict.fromkeys(covered, setup), router


class WindowRouter:
    """Nearest sites from a ``(n_times, n_sites, n_origins)`` window the workers routed (pairs the
    preselection skipped are NaN, so only :meth:`nearest` is answered, as the serial router does)."""

    mode = "transit"
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
    s = settings_from_json(chunk.settings_json)
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


def window_router(task: LadTask, parts: tuple[np.ndarray, ...]) -> WindowRouter | None:
    """The LAD's public-transport router from its routed chunks (``None``: no feed or extract covers it)."""
    setup = task.transit
    if setup is None:  # no feed/extract covers this LAD: say so in every row
        return None
    if not parts:
        raise InputError(f"LAD {task.lad24cd}: no public-transport chunks were routed")
    return WindowRouter(np.concatenate(parts, axis=2), statistic=setup.statistic, label=setup.label)


__all__ = ["WindowRouter", "clear_transit_answers", "plan_transit", "run_transit_chunk", "transit_chunks",
           "transit_router_for", "window_router"]
