"""Public-transport coverage across the departure window: the range the headline figure hides.

A timetable-based coverage figure summarises a window of times (e.g. 9 arrive-by times every 15
minutes from 10:00 to 12:00) by the median journey per neighbourhood.  How many people are
45+ minutes away also depends on *when*: just after a bus leaves, more are.  :func:`window_coverage`
gives, for each threshold, the share of adults beyond (and within) it at every time of the window
and the range over the window -- from the same routes as the headline (the router keeps them).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def window_coverage(times: pd.DataFrame, sites: pd.DataFrame, router: Any,
                    thresholds_minutes: tuple[float, ...]) -> dict[str, Any] | None:
    """Coverage at each time of a public-transport window, or None for other routers.

    Parameters
    ----------
    times : :meth:`geo.planning.study.Study.times` of a timetable study (``easting``, ``northing``,
        ``adults``, ``in_area``).
    sites : the sites those times were measured to.
    router : the study's :class:`~geo.travel.transit.TransitRouter`.
    thresholds_minutes : thresholds to report.

    Returns
    -------
    dict with ``times`` (HH:MM of each departure/arrival time), ``statistic`` and, per threshold,
    ``pct_beyond`` / ``pct_within`` at each time with their ``min``/``max`` over the window
    (adults in the area's own LSOAs; no journey counts as beyond).
    """
    if not hasattr(router, "nearest_by_time") or not len(times):
        return None
    per_time = router.nearest_by_time(sites[["easting", "northing"]].to_numpy(float),
                                      times[["easting", "northing"]].to_numpy(float))
    core = times["in_area"].astype(bool).to_numpy() if "in_area" in times.columns else np.ones(len(times), bool)
    adults = times["adults"].to_numpy(float)[core]
    total = float(adults.sum()) or 1.0
    out: dict[str, Any] = {"times": [t.strftime("%H:%M") for t in router.times], "statistic": router.statistic,
                           "arrive_by": bool(router.arrive_by)}
    for thr in thresholds_minutes:
        within = [100.0 * float(adults[(row[core] <= thr)].sum()) / total for row in per_time]
        beyond = [100.0 - w for w in within]
        out[f"{thr:g}"] = {"pct_within": [round(w, 2) for w in within], "pct_beyond": [round(b, 2) for b in beyond],
                           "pct_beyond_min": round(min(beyond), 2), "pct_beyond_max": round(max(beyond), 2),
                           "pct_within_min": round(min(within), 2), "pct_within_max": round(max(within), 2)}
    return out


def range_line(window: dict[str, Any], threshold_minutes: float) -> str:
    """``"over the 9 times 10:00-12:00: 12.3-20.1% of adults 45+ minutes away"`` for terminals and logs."""
    t = window[f"{threshold_minutes:g}"]
    span = f"{window['times'][0]}-{window['times'][-1]}"
    verb = "arriving by" if window["arrive_by"] else "leaving at"
    return (f"{verb} each of the {len(window['times'])} times {span}: {t['pct_beyond_min']:.1f}-"
            f"{t['pct_beyond_max']:.1f}% of adults are {threshold_minutes:g}+ minutes away")


__all__ = ["range_line", "window_coverage"]
