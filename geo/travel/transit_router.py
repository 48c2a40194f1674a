"""The public-transport router: door-to-door minutes on Valhalla transit tiles, over a window.

:func:`geo.travel.transit.make_transit_router` resolves the feed(s) and roads and builds the
tiles; :class:`TransitRouter` asks ``valhalla.Actor.route`` (``costing="multimodal"``) per
origin-site pair: walk to a stop, wait, ride, transfer, walk (walking speed ``Settings.walk_kph``).

Times
-----
* *depart at* ``t``: Valhalla's door-to-door minutes leaving at ``t`` (includes the first wait);
* *arrive by* ``T``: the latest departure ``d`` (to the minute) that arrives by ``T``; minutes =
  ``T - d``, how long before the appointment one must leave.  Valhalla cannot route multimodal
  arrive-by, so :mod:`geo.travel.transit_search` finds ``d`` with depart-at probes shared by all
  the window's times;
* a window (default every 15 minutes over the 2 hours before an arrive-by time / after a
  depart-at time) is summarised by its median (default), worst or best.  NaN = no journey.

Which pairs are routed
----------------------
:meth:`TransitRouter.nearest` (what coverage, gaps and reports ask) routes, per origin, only the
sites that could be nearest: sites in order of a lower bound -- the larger of straight-line
distance at :data:`MAX_PLAUSIBLE_KPH` and :data:`PRESELECT_MARGIN` x the calibrated drive
estimate (a bus is not faster than a car on the same roads; the margin absorbs the estimate's
error) -- until the bound exceeds the best time found (:func:`geo.transit_search.nearest_sites`).
:meth:`TransitRouter.site_origin_minutes` (full matrices: access scores, scenarios) routes every
pair within reach.  Never routed (no journey can exist): pairs further apart than
:data:`MAX_PLAUSIBLE_KPH` allows in the horizon, and pairs more than Valhalla's longest walk
(:data:`VALHALLA_START_END_METRES`) apart where one end has no stop within that walk.  Pairs run on :attr:`TransitRouter.threads` threads, one ``valhalla.Actor`` each.

Every label says the times are timetable-based (:attr:`geo.travel.modes.Method.TIMETABLE`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import TYPE_CHECKING, Any

import numpy as np

from geo._errors import InputError, NetworkError
from geo.crs import lonlat_from_bng
from geo.progress import report
from geo.travel.base import NearestResult, check_xy, nearest_from_matrix
from geo.travel.modes import TRANSIT_STATISTICS, Method, TravelMode
from geo.travel.transit_search import Probe, arrive_by_minutes, depart_at_minutes, nearest_sites, reduce_times
from geo.travel.transit_tiles import (
    SCHEDULE_DAYS,
    TransitTiles,
    actor,
)

if TYPE_CHECKING:
    from geo.config import Settings
    from geo.progress import ProgressFn

logger = logging.getLogger(__name__)

#: Fastest door-to-door speed assumed: pairs further apart than this allows are never routed.
MAX_PLAUSIBLE_KPH = 80.0
#: Valhalla's default ``transit_start_end_max_distance``: the longest walk to the first or from the
#: last stop, and (measured) the longest walk-only multimodal journey.
VALHALLA_START_END_METRES = 2145.0
#: Lower bound of public-transport minutes as a share of the calibrated drive estimate (safe margin).
PRESELECT_MARGIN = 0.5
STATISTICS = TRANSIT_STATISTICS
#: Origin-site pair answers kept per router (each the minutes at every time of the window).
PAIRS_KEPT = 500_000
#: Window answers kept per router (one per site set asked: each service, then all sites).
WINDOWS_KEPT = 8
#: Valhalla error texts that mean "no journey" (reported as NaN); any other error is raised.
_NO_JOURNEY = ("no path", "no suitable edges", "exceeds the max", "outside the valid walking",
               "walking distance", "no data found for location", "unconnected regions")


def window_times(when: dt.datetime, *, arrive_by: bool, window_minutes: float,
                 step_minutes: float) -> list[dt.datetime]:
    """Times evaluated: every ``step`` over the ``window`` before an arrive-by / after a depart-at time."""
    if window_minutes < 0 or step_minutes <= 0:
        msg = f"window_minutes must be >= 0 and step_minutes > 0 (got {window_minutes}, {step_minutes})"
        raise InputError(msg)
    n = int(window_minutes // step_minutes)
    sign = -1 if arrive_by else 1
    return sorted(when + dt.timedelta(minutes=sign * k * step_minutes) for k in range(n + 1))


def reduce_window(window: np.ndarray, statistic: str) -> np.ndarray:
    """Median / worst / best over the window axis; a time with no journey counts as infinite."""
    return reduce_times(window, statistic)


class TransitRouter:
    """Door-to-door public-transport minutes from Valhalla multimodal routes (see the module docs)."""

    mode = TravelMode.TRANSIT
    method = Method.TIMETABLE.value

    def __init__(self, tiles: TransitTiles, *, when: dt.datetime, arrive_by: bool, settings: Settings,
                 window_minutes: float = 120.0, step_minutes: float = 15.0, statistic: str = "median",
                 horizon_minutes: float = 180.0, max_walk_metres: float | None = None,
                 feed_name: str | None = None, threads: int | None = None) -> None:
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
                   f"({first:%d %b %Y} to {last:%d %b %Y}, {SCHEDULE_DAYS + 1} days from the tile build); "
                   "ask for a date in that range")
            raise InputError(msg)
        self.statistic = statistic
        self.horizon_minutes = float(horizon_minutes)
        self.walk_kph = settings.walk_kph
        self.max_walk_metres = max_walk_metres
        self.settings = settings
        self.threads = max(1, int(threads if threads is not None else min(os.cpu_count() or 1, 4)))
        self.day = dt.datetime.combine(self.times[0].date(), dt.time())
        from geo.travel.transit_index import DepartureIndex

        self.index = DepartureIndex.load(tiles.folder)
        verb = "arrive by" if arrive_by else "depart at"
        span = (f"; {statistic} of {len(self.times)} times {self.times[0]:%H:%M}-{self.times[-1]:%H:%M} every "
                f"{step_minutes:g} min" if len(self.times) > 1 else "")
        source = feed_name or tiles.feed_label
        warn = "".join(f"; WARNING: {w}" for w in tiles.warnings)
        self.label = (f"Public transport, {Method.TIMETABLE.label}: GTFS {source}, {verb} "
                      f"{when:%a %d %b %Y %H:%M}{span}{warn}")
        self._count = threading.Lock()
        self.n_requests = 0
        self.n_pairs = 0
        self._windows: dict[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] = {}
        self._pairs: dict[tuple[Any, ...], np.ndarray] = {}

    # -- one journey -----------------------------------------------------------------------
    def _request(self, o_ll: tuple[float, float], d_ll: tuple[float, float], depart: dt.datetime) -> str:
        transit: dict[str, Any] = {}
        if self.max_walk_metres is not None:
            transit["transit_start_end_max_distance"] = int(self.max_walk_metres)
        return json.dumps({
            "locations": [{"lon": o_ll[0], "lat": o_ll[1]}, {"lon": d_ll[0], "lat": d_ll[1]}],
            "costing": "multimodal",
            "costing_options": {"pedestrian": {"walking_speed": self.walk_kph, **transit}, "transit": {}},
            "date_time": {"type": 1, "value": depart.strftime("%Y-%m-%dT%H:%M")},
            "directions_type": "maneuvers" if self.index is not None else "none",
        })

    def probe(self, o_ll: tuple[float, float], d_ll: tuple[float, float], minute: int) -> Probe:
        """Leave ``minute`` minutes after the first window day's midnight: arrival minute and latest departure.

        Valhalla does not board, from a departure before midnight, a trip of the same service day
        timed after 24:00 (it does from just after midnight).  So when the next midnight is
        within the horizon and the journey found arrives after it (or none is found), the
        journey leaving at midnight is asked too and the earlier arrival kept -- one may wait at
        home -- which keeps arrival times non-decreasing in the departure time.
        """
        p = self._probe_once(o_ll, d_ll, minute)
        midnight = (minute // 1440 + 1) * 1440
        if midnight - minute <= self.horizon_minutes and p.arrive > midnight:
            q = self._probe_once(o_ll, d_ll, midnight)
            if q.arrive < p.arrive:
                return Probe(minute, q.arrive, q.latest if q.jumps else minute)
        return p

    def _probe_once(self, o_ll: tuple[float, float], d_ll: tuple[float, float], minute: int) -> Probe:
        depart = self.day + dt.timedelta(minutes=minute)
        with self._count:
            self.n_requests += 1
        try:
            out = json.loads(actor(self.tiles.config_path).route(self._request(o_ll, d_ll, depart)))
        except RuntimeError as exc:  # pyvalhalla's ValhallaError derives from RuntimeError
            if not any(k in str(exc).lower() for k in _NO_JOURNEY):
                msg = f"Valhalla could not route {o_ll} -> {d_ll} at {depart:%Y-%m-%d %H:%M}: {exc}"
                raise NetworkError(msg) from exc
            return Probe(minute, float("inf"), minute)
        trip = out["trip"]
        arrive = minute + float(trip["summary"]["time"]) / 60.0
        if self.index is None:
            return Probe(minute, arrive, minute)
        maneuvers = trip["legs"][0].get("maneuvers", [])
        if not any(m.get("travel_mode") == "transit" for m in maneuvers):
            return Probe(minute, arrive, minute, walk_only=True)
        found = self.index.latest_departure_minute(depart, maneuvers)
        latest = minute if found is None else found + int((depart.date() - self.day.date()).days) * 1440
        return Probe(minute, arrive, max(latest, minute))

    def depart_minutes(self, o_ll: tuple[float, float], d_ll: tuple[float, float], depart: dt.datetime) -> float:
        """Door-to-door minutes leaving at ``depart`` (NaN when Valhalla finds no journey)."""
        minute = int(round((depart - self.day).total_seconds() / 60.0))
        m = self.probe(o_ll, d_ll, minute).arrive - minute
        return float(m) if np.isfinite(m) else float("nan")

    def pair_minutes(self, o_ll: tuple[float, float], d_ll: tuple[float, float], *,
                     cap_minutes: float | None = None) -> np.ndarray:
        """Minutes at every time of the window for one origin -> site pair (NaN: none within the cap)."""
        cap = int(np.ceil(self.horizon_minutes if cap_minutes is None else min(cap_minutes, self.horizon_minutes)))
        minutes = [int(round((t - self.day).total_seconds() / 60.0)) for t in self.times]

        def query(m: int) -> Probe:
            return self.probe(o_ll, d_ll, m)

        key = (o_ll, d_ll, cap)
        known = self._pairs.get(key)
        if known is not None:  # asked before (per-service searches share most pairs with the any-site one)
            return known.copy()
        with self._count:
            self.n_pairs += 1
        if self.arrive_by:
            out, _ = arrive_by_minutes(query, minutes, cap_minutes=cap)
        else:
            out, _ = depart_at_minutes(query, minutes, cap_minutes=cap)
        with self._count:
            if len(self._pairs) >= PAIRS_KEPT:
                self._pairs.clear()
            self._pairs[key] = out.copy()
        return out

    # -- many pairs ------------------------------------------------------------------------
    def _prepare(self, sites_xy: np.ndarray, origins_xy: np.ndarray, cap: float) -> tuple[Any, ...]:
        sites = check_xy(sites_xy, what="sites")
        origins = check_xy(origins_xy, what="origins")
        s_lon, s_lat = lonlat_from_bng(sites[:, 0], sites[:, 1])
        o_lon, o_lat = lonlat_from_bng(origins[:, 0], origins[:, 1])
        s_ll = [(round(float(a), 6), round(float(b), 6)) for a, b in zip(s_lon, s_lat, strict=True)]
        o_ll = [(round(float(a), 6), round(float(b), 6)) for a, b in zip(o_lon, o_lat, strict=True)]
        dist = np.hypot(sites[:, None, 0] - origins[None, :, 0], sites[:, None, 1] - origins[None, :, 1])
        bound = dist / (MAX_PLAUSIBLE_KPH * 1000 / 60)
        reach = (bound <= cap) & self._reachable(sites, origins)
        return sites, origins, s_ll, o_ll, np.where(reach, bound, np.inf)

    def _run(self, jobs: Sequence[Callable[[], Any]], progress: ProgressFn | None, label: str) -> list[Any]:
        """Run jobs on the router's threads (in order of submission in the result)."""
        out: list[Any] = [None] * len(jobs)
        t0 = time.perf_counter()
        before = self.n_requests
        if self.threads == 1 or len(jobs) <= 1:
            for k, job in enumerate(jobs):
                out[k] = job()
                report(progress, k + 1, len(jobs), label)
        else:
            with ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="valhalla") as pool:
                futures = {pool.submit(job): k for k, job in enumerate(jobs)}
                for done, fut in enumerate(as_completed(futures), start=1):
                    out[futures[fut]] = fut.result()
                    report(progress, done, len(jobs), label)
        logger.info("transit: %d jobs, %d Valhalla routes in %.1f s on %d thread(s)", len(jobs),
                    self.n_requests - before, time.perf_counter() - t0, self.threads)
        return out

    def site_origin_minutes_window(self, sites_xy: np.ndarray, origins_xy: np.ndarray, *,
                                   max_minutes: float | None = None,
                                   progress: ProgressFn | None = None) -> np.ndarray:
        """``(n_times, n_sites, n_origins)`` minutes for every pair within reach (all pairs routed)."""
        cap = self.horizon_minutes if max_minutes is None else min(float(max_minutes), self.horizon_minutes)
        sites, origins, s_ll, o_ll, bound = self._prepare(sites_xy, origins_xy, cap)
        out = np.full((len(self.times), len(sites), len(origins)), np.nan)
        pairs = np.argwhere(np.isfinite(bound))
        jobs = [lambda i=int(i), j=int(j): self.pair_minutes(o_ll[j], s_ll[i], cap_minutes=cap) for i, j in pairs]
        for (i, j), minutes in zip(pairs, self._run(jobs, progress, "public-transport journeys"), strict=True):
            out[:, i, j] = minutes
        return out

    def lower_bounds(self, sites_xy: np.ndarray, origins_xy: np.ndarray, cap: float) -> np.ndarray:
        """``(n_sites, n_origins)`` minutes no journey can beat (inf: beyond ``cap``; see the module docs)."""
        from geo.travel.estimate import EstimateRouter

        _, _, _, _, bound = self._prepare(sites_xy, origins_xy, cap)
        drive = EstimateRouter(mode=TravelMode.DRIVE, settings=self.settings).site_origin_minutes(sites_xy, origins_xy)
        lb = np.fmax(bound, PRESELECT_MARGIN * np.nan_to_num(drive, nan=0.0))
        return np.where(lb <= cap, lb, np.inf)

    def _reachable(self, sites_xy: np.ndarray, origins_xy: np.ndarray) -> np.ndarray:
        """``(n_sites, n_origins)``: False where no journey can exist -- one end has no stop within
        Valhalla's walk to or from transit and the ends are further apart than that walk (a walk
        is never shorter than the straight line), so only walking could join them and it cannot."""
        from scipy.spatial import cKDTree

        from geo.travel.transit_index import stop_xy

        stops = stop_xy(self.tiles.folder)
        walk = float(self.max_walk_metres or VALHALLA_START_END_METRES)
        if stops is None or not len(stops):
            return np.ones((len(sites_xy), len(origins_xy)), dtype=bool)
        tree = cKDTree(stops)
        s_near = tree.query(np.asarray(sites_xy, float), k=1)[0] <= walk
        o_near = tree.query(np.asarray(origins_xy, float), k=1)[0] <= walk
        dist = np.hypot(sites_xy[:, None, 0] - origins_xy[None, :, 0], sites_xy[:, None, 1] - origins_xy[None, :, 1])
        return (s_near[:, None] & o_near[None, :]) | (dist <= walk)

    def nearest_window(self, sites_xy: np.ndarray, origins_xy: np.ndarray, *, max_minutes: float | None = None,
                       progress: ProgressFn | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(n_times, n_sites, n_origins)`` window with only the pairs that could be nearest routed
        (others NaN), and the ``(n_sites, n_origins)`` mask of routed pairs."""
        cap = self.horizon_minutes if max_minutes is None else min(float(max_minutes), self.horizon_minutes)
        sites, origins, s_ll, o_ll, _ = self._prepare(sites_xy, origins_xy, cap)
        memo = (sites.tobytes(), origins.tobytes(), cap, self.statistic)
        if memo in self._windows:
            return self._windows[memo]
        n_t = len(self.times)
        window = np.full((n_t, len(sites), len(origins)), np.nan)
        routed = np.zeros((len(sites), len(origins)), dtype=bool)
        if not len(sites) or not len(origins):
            return window, routed
        lb = self.lower_bounds(sites, origins, cap)

        def origin_job(j: int) -> tuple[np.ndarray, np.ndarray]:
            return nearest_sites(lambda i: self.pair_minutes(o_ll[j], s_ll[i], cap_minutes=cap), lb[:, j],
                                 statistic=self.statistic, n_times=n_t)

        jobs = [lambda j=j: origin_job(j) for j in range(len(origins))]
        for j, (win, mask) in enumerate(self._run(jobs, progress, "public-transport journeys")):
            window[:, :, j] = win
            routed[:, j] = mask
        logger.info("transit preselection: %d of %d origin-site pairs routed (%.1f per origin)", int(routed.sum()),
                    routed.size, routed.sum() / max(len(origins), 1))
        self._windows[memo] = (window, routed)  # coverage asks again for its range over the window
        while len(self._windows) > WINDOWS_KEPT:  # per-service studies ask once per service, then for all
            self._windows.pop(next(iter(self._windows)))
        return window, routed

    def clear_cache(self) -> None:
        """Forget the pair and window answers kept so far (the next questions route afresh)."""
        with self._count:
            self._pairs.clear()
            self._windows.clear()

    def reduce_window(self, window: np.ndarray) -> np.ndarray:
        """Median / worst / best over the window axis (:func:`reduce_window`)."""
        return reduce_window(window, self.statistic)

    def site_origin_minutes(self, sites_xy: np.ndarray, origins_xy: np.ndarray, *,
                            max_minutes: float | None = None) -> np.ndarray:
        """``(n_sites, n_origins)`` minutes (the window statistic); NaN = no journey."""
        red = self.reduce_window(self.site_origin_minutes_window(sites_xy, origins_xy, max_minutes=max_minutes))
        return red if max_minutes is None else np.where(red <= max_minutes, red, np.nan)

    def nearest(self, sites_xy: np.ndarray, origins_xy: np.ndarray, *,
                max_minutes: float | None = None) -> NearestResult:
        """Minutes from each origin to its nearest site by public transport (preselected pairs only)."""
        window, _ = self.nearest_window(sites_xy, origins_xy, max_minutes=max_minutes)
        red = self.reduce_window(window)
        if max_minutes is not None:
            red = np.where(red <= max_minutes, red, np.nan)
        return nearest_from_matrix(red, method=self.method)

    def nearest_by_time(self, sites_xy: np.ndarray, origins_xy: np.ndarray, *,
                        max_minutes: float | None = None) -> np.ndarray:
        """``(n_times, n_origins)`` minutes to the nearest site at each time of the window (exact: the
        preselection keeps every site that could be nearest at some time)."""
        window, _ = self.nearest_window(sites_xy, origins_xy, max_minutes=max_minutes)
        if not window.shape[1]:
            return np.full((window.shape[0], window.shape[2]), np.nan)
        best = np.where(np.isnan(window), np.inf, window).min(axis=1)
        return np.where(np.isfinite(best), best, np.nan)


__all__ = ["MAX_PLAUSIBLE_KPH", "PAIRS_KEPT", "PRESELECT_MARGIN", "STATISTICS", "VALHALLA_START_END_METRES",
           "WINDOWS_KEPT", "TransitRouter", "reduce_window", "window_times"]
