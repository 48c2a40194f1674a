"""geo.travel.transit_search: the arrive-by search and the nearest-site preselection, against brute force.

A made-up timetable (pure functions, no Valhalla): buses leave a stop at random minutes and
arrive after a random ride; one walks ``s`` minutes to the stop, ``e`` from it, or the whole way
in ``w``.  ``a(d)`` is the earliest arrival leaving at ``d``; brute force tries every minute.
The timetable lookup that tells the search "until when the same bus can be caught" is given
exact, missing, too early or too late: the answer must not change (only the number of probes).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.travel.transit_search import (
    ArriveBySearch,
    Probe,
    arrive_by_minutes,
    depart_at_minutes,
    nearest_sites,
    reduce_times,
)

CAP = 180


def make_query(buses: list[tuple[int, float]], s: int, e: float, w: float, index: str, rng: np.random.Generator):
    """Depart-at probe on the made-up timetable, with the lookup of the latest departure as ``index`` says."""

    def query(d: int) -> Probe:
        best, latest, walk = d + w, d, math.isfinite(w)
        for dep, arr in buses:
            if dep >= d + s and arr + e < best:
                best, latest, walk = arr + e, dep - s, False
        if not math.isfinite(best):
            return Probe(d, math.inf, d)
        if walk:
            return Probe(d, best, d, walk_only=True)
        if index == "none":
            latest = d
        elif index == "early":
            latest = max(d, latest - int(rng.integers(1, 20)))
        elif index == "late":
            latest += int(rng.integers(1, 20))
        return Probe(d, best, latest)

    return query


def brute_force(query, targets: list[int]) -> np.ndarray:
    out = []
    for t in targets:
        ok = [d for d in range(t - CAP, t) if query(d).arrive <= t]
        out.append(float(t - max(ok)) if ok else np.nan)
    return np.array(out)


timetables = st.tuples(
    st.lists(st.tuples(st.integers(300, 900), st.integers(5, 90)), min_size=0, max_size=25),
    st.integers(0, 15), st.floats(0, 15), st.one_of(st.just(math.inf), st.floats(5, 200)),
    st.sampled_from(["exact", "none", "early", "late"]), st.integers(0, 2**31 - 1))


@settings(max_examples=150, deadline=None)
@given(timetables)
def test_arrive_by_equals_brute_force(case) -> None:
    raw, s, e, w, index, seed = case
    buses = sorted((dep, dep + ride + 0.3) for dep, ride in raw)
    rng = np.random.default_rng(seed)
    targets = [600 + 15 * k for k in range(9)]
    exact = make_query(buses, s, e, w, "exact", rng)
    got, probes = arrive_by_minutes(make_query(buses, s, e, w, index, rng), targets, cap_minutes=CAP)
    np.testing.assert_array_equal(got, brute_force(exact, targets))
    assert probes <= 9 * (2 + math.ceil(math.log2(CAP))) + 9  # never worse than bisection per target


def test_exact_lookup_needs_few_probes() -> None:
    """An hourly bus and an exact lookup: about one probe per target instead of ~9 (bisection)."""
    buses = [(h * 60, h * 60 + 25.0) for h in range(7, 20)]
    rng = np.random.default_rng(0)
    targets = [600 + 15 * k for k in range(9)]
    got, probes = arrive_by_minutes(make_query(buses, 2, 1.0, math.inf, "exact", rng), targets, cap_minutes=CAP)
    np.testing.assert_array_equal(got, brute_force(make_query(buses, 2, 1.0, math.inf, "exact", rng), targets))
    assert probes <= 15
    _, bisect = arrive_by_minutes(make_query(buses, 2, 1.0, math.inf, "none", rng), targets, cap_minutes=CAP)
    assert bisect > probes


def test_no_journey_and_cap() -> None:
    rng = np.random.default_rng(0)
    never = make_query([], 0, 0.0, math.inf, "exact", rng)
    got, _ = arrive_by_minutes(never, [600, 615], cap_minutes=CAP)
    assert np.isnan(got).all()
    slow = make_query([(300, 590.0)], 0, 0.0, math.inf, "exact", rng)  # leave 300 arrive 590: 300 min > cap
    assert np.isnan(arrive_by_minutes(slow, [600], cap_minutes=CAP)[0][0])
    search = ArriveBySearch(slow, cap_minutes=CAP)
    assert search.latest_departure(600) is None


def test_depart_at() -> None:
    rng = np.random.default_rng(0)
    q = make_query([(600, 625.0), (660, 685.0)], 0, 0.0, math.inf, "exact", rng)
    got, n = depart_at_minutes(q, [595, 610], cap_minutes=CAP)
    np.testing.assert_allclose(got, [30.0, 75.0])
    assert n == 2


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 8), st.integers(1, 5), st.integers(0, 2**31 - 1), st.sampled_from(["median", "worst", "best"]))
def test_nearest_sites_is_exact(n_sites: int, n_times: int, seed: int, statistic: str) -> None:
    """Branch and bound with valid lower bounds == routing every site (by the statistic and at each time)."""
    rng = np.random.default_rng(seed)
    full = rng.uniform(5, 120, size=(n_times, n_sites))
    full[rng.random(full.shape) < 0.2] = np.nan
    lb = np.nanmin(np.where(np.isnan(full), np.inf, full), axis=0) * rng.uniform(0.3, 1.0, n_sites)
    lb[rng.random(n_sites) < 0.1] = np.inf  # out of reach: never routed (all NaN)
    full[:, ~np.isfinite(lb)] = np.nan
    calls: list[int] = []

    def route(j: int) -> np.ndarray:
        calls.append(j)
        return full[:, j]

    window, routed = nearest_sites(route, lb, statistic=statistic, n_times=n_times)
    assert routed.sum() == len(calls)
    red_full, red_part = reduce_times(full, statistic), reduce_times(window, statistic)
    best_full = np.nanmin(red_full) if np.isfinite(red_full).any() else np.nan
    best_part = np.nanmin(red_part) if np.isfinite(red_part).any() else np.nan
    np.testing.assert_equal(best_part, best_full)
    per_time_full = np.where(np.isnan(full), np.inf, full).min(axis=1)
    per_time_part = np.where(np.isnan(window), np.inf, window).min(axis=1)
    np.testing.assert_array_equal(per_time_part, per_time_full)


def test_nearest_sites_prunes() -> None:
    full = np.array([[10.0, 50.0, 90.0]])
    calls: list[int] = []
    window, routed = nearest_sites(lambda j: (calls.append(j), full[:, j])[1], np.array([8.0, 30.0, 60.0]),
                                   statistic="median", n_times=1)
    assert calls == [0] and routed.tolist() == [True, False, False]
    assert window[0, 0] == 10.0 and np.isnan(window[0, 1:]).all()


@pytest.mark.parametrize("statistic", ["median", "worst", "best"])
def test_reduce_times_no_journey_is_infinite(statistic: str) -> None:
    w = np.array([[10.0], [np.nan], [30.0]])
    expect = {"median": 30.0, "worst": np.nan, "best": 10.0}[statistic]
    np.testing.assert_equal(reduce_times(w, statistic)[0], expect)
