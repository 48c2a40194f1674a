"""How few Valhalla routes answer "how long before T must I leave?" -- and to which sites at all.

Valhalla routes multimodal journeys *depart at* only.  A depart-at query at minute ``d`` gives
the arrival ``a(d)``; ``a`` never decreases when leaving later, so the latest departure that
arrives by ``T`` is ``d*(T) = max{d : a(d) <= T}`` and the answer is ``T - d*(T)`` minutes.

:func:`arrive_by_minutes` finds ``d*`` for every target time of a window at once, sharing every
probe between targets:

* each probe also says until when the *same* journey can be caught: the *latest departure*
  ``L >= d`` (the first boarding's departure in the timetable minus the walk to the stop, from
  :class:`DepartureIndex`).  So ``a(t) = a(d)`` for all ``t`` in ``[d, L]``;
* for a target ``T`` the best known feasible journey gives ``lo``; probing ``lo.L + 1`` (the
  *successor*) either finds the next journey that still arrives by ``T`` (move on to it) or
  proves that none leaves later (done, exact to the minute).  A first guess ``T - duration``
  jumps close to the answer;
* the answer ``L`` is checked by probing at ``L`` itself (it must arrive by ``T``); when the
  timetable lookup cannot be matched or disagrees, the probes of that pair fall back to plain
  bisection to the minute (exact, just slower).

About 1-2 probes per target instead of ~9 for bisection per target (``benchmarks/bench_transit.py``
counts them).  :func:`nearest_sites` routes an origin's candidate sites in order of a safe lower
bound and stops when no remaining site can be nearer (branch and bound, see its docs).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Probe:
    """One depart-at query: leave at minute ``depart``, arrive at minute ``arrive`` (inf: no journey).

    ``latest`` is the latest whole minute one can leave and catch the same journey (``depart``
    when unknown, e.g. an unmatched boarding).  ``walk_only``: the journey is on foot, so it
    takes as long from any departure.
    """

    depart: int
    arrive: float
    latest: int
    walk_only: bool = False

    @property
    def jumps(self) -> bool:
        """True when the probe knows its journey's latest departure beyond ``depart``."""
        return self.latest > self.depart


QueryFn = Callable[[int], Probe]
#: Two arrivals closer than this (minutes) are the same journey.
SAME_JOURNEY_MINUTES = 0.01


class ArriveBySearch:
    """Probes of one origin-site pair, shared by every target time (see the module docs)."""

    def __init__(self, query: QueryFn, *, cap_minutes: int) -> None:
        self.query = query
        self.cap = int(cap_minutes)
        self.probes: dict[int, Probe] = {}
        self.trusted = True  # latest departures from the timetable index are used

    def probe(self, depart: int) -> Probe:
        """The probe at ``depart`` (queried once)."""
        p = self.probes.get(depart)
        if p is None:
            p = self.query(depart)
            if p.latest < depart or (math.isfinite(p.arrive) and p.latest > p.arrive):
                p = Probe(depart, p.arrive, depart)  # an impossible latest departure: ignore it
            self.probes[depart] = p
        return p

    def _latest(self, p: Probe) -> int:
        return p.latest if self.trusted else p.depart

    def _bounds(self, target: int) -> tuple[Probe | None, int]:
        """Best feasible probe (largest latest departure arriving by ``target``) and the first infeasible departure.

        A walk-only probe of ``w`` minutes stands for walking at any time: leaving at
        ``target - ceil(w)`` is feasible without a probe.
        """
        lo: Probe | None = None
        walks = [p.arrive - p.depart for p in self.probes.values() if p.walk_only]
        if walks:
            w = min(walks)
            leave = target - math.ceil(w - 1e-9)
            lo = Probe(leave, leave + w, leave, walk_only=True)
        for p in self.probes.values():
            if p.arrive <= target and (lo is None or self._latest(p) > self._latest(lo)):
                lo = p
        floor = self._latest(lo) if lo is not None else target - self.cap - 1
        hi = target  # leaving at the target itself never arrives by it
        for p in self.probes.values():
            if p.arrive > target and floor < p.depart < hi:
                hi = p.depart
        return lo, hi

    def latest_departure(self, target: int) -> int | None:
        """``d*(target)`` in whole minutes, or None when no journey within the cap arrives by ``target``."""
        lo, _ = self._bounds(target)
        if lo is None and any(p.depart <= target - self.cap and math.isinf(p.arrive) for p in self.probes.values()):
            return None  # no journey at all from an earlier departure: none from a later one either
        if (lo is None or self._latest(lo) < target - self.cap) and self.probe(target - self.cap).arrive > target:
            return None  # not even leaving a full cap early gets there in time
        guessed = False
        for _ in range(8 * self.cap + 16):  # each pass adds a probe inside the gap or drops the index
            lo, hi = self._bounds(target)
            assert lo is not None
            start = self._latest(lo)
            if start + 1 >= hi:
                if self._confirm(lo, target):
                    return start
                continue  # the timetable lookup was wrong: bounds are recomputed without it
            follow = (self.trusted and lo.jumps) or lo.walk_only
            if not guessed:
                guessed = True
                guess = target - math.ceil(lo.arrive - start)  # a journey as long, arriving just in time
                if start < guess < hi and guess not in self.probes:
                    self.probe(guess)
                    continue
            p = self.probe(start + 1 if follow else (start + hi) // 2)
            if follow and not lo.walk_only and abs(p.arrive - lo.arrive) < SAME_JOURNEY_MINUTES:
                self.trusted = False  # leaving after the claimed latest departure caught the same journey
        msg = f"arrive-by search did not converge for minute {target}"
        raise RuntimeError(msg)

    def _confirm(self, lo: Probe, target: int) -> bool:
        """Leaving at the claimed latest departure must arrive by the target (one probe)."""
        if not self.trusted or not lo.jumps:
            return True
        check = self.probe(lo.latest)
        if check.arrive <= target:
            return True
        self.trusted = False
        return False


def arrive_by_minutes(query: QueryFn, targets: Sequence[int], *, cap_minutes: int) -> tuple[np.ndarray, int]:
    """Minutes before each target one must leave (NaN: no journey within ``cap_minutes``) and probes used."""
    search = ArriveBySearch(query, cap_minutes=cap_minutes)
    out = np.full(len(targets), np.nan)
    for k, t in enumerate(sorted(targets)):
        d = search.latest_departure(int(t))
        if d is not None and t - d <= cap_minutes:
            out[k] = float(t - d)
    order = np.argsort(np.argsort(targets))
    return out[order], len(search.probes)


def depart_at_minutes(query: QueryFn, departures: Sequence[int], *, cap_minutes: int) -> tuple[np.ndarray, int]:
    """Door-to-door minutes leaving at each departure (NaN beyond the cap) and probes used."""
    out = np.full(len(departures), np.nan)
    for k, t in enumerate(departures):
        minutes = query(int(t)).arrive - int(t)
        if math.isfinite(minutes) and minutes <= cap_minutes:
            out[k] = minutes
    return out, len(departures)


def reduce_times(window: np.ndarray, statistic: str) -> np.ndarray:
    """Median / worst / best over the first (time) axis; a time with no journey counts as infinite."""
    filled = np.where(np.isnan(window), np.inf, window)
    if statistic == "worst":
        red = filled.max(axis=0)
    elif statistic == "best":
        red = filled.min(axis=0)
    else:
        red = np.median(filled, axis=0)
    return np.where(np.isfinite(red), red, np.nan)


def nearest_sites(route: Callable[[int], np.ndarray], lower_bounds: np.ndarray, *, statistic: str,
                  n_times: int) -> tuple[np.ndarray, np.ndarray]:
    """Branch and bound over one origin's sites; returns its ``(n_times, n_sites)`` window and routed mask.

    ``route(j)`` gives site ``j``'s minutes at every time (NaN: no journey); ``lower_bounds[j]``
    is a time no journey to ``j`` can beat (NaN/inf: unreachable, never routed).  Sites are
    routed in order of their bound; a site is skipped when its bound exceeds *both* the best
    window statistic found so far and the worst over times of the per-time best, so the nearest
    site by the statistic and the nearest site at each time are both exact (a skipped site
    cannot be nearer under either).  Skipped pairs stay NaN in the window.
    """
    n_sites = len(lower_bounds)
    window = np.full((n_times, n_sites), np.nan)
    routed = np.zeros(n_sites, dtype=bool)
    best_stat = np.inf
    best_each = np.full(n_times, np.inf)
    for j in np.argsort(np.where(np.isfinite(lower_bounds), lower_bounds, np.inf), kind="stable"):
        lb = lower_bounds[j]
        if not np.isfinite(lb):
            break
        if lb > max(best_stat, float(best_each.max())):
            break
        times = np.asarray(route(int(j)), dtype=float)
        window[:, j] = times
        routed[j] = True
        stat = reduce_times(times[:, None], statistic)[0]
        if np.isfinite(stat):
            best_stat = min(best_stat, float(stat))
        best_each = np.fmin(best_each, np.where(np.isnan(times), np.inf, times))
    return window, routed


__all__ = ["ArriveBySearch", "Probe", "arrive_by_minutes", "depart_at_minutes", "nearest_sites", "reduce_times"]
