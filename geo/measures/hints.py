"""Plain words when a default gives an empty answer: nobody beyond the threshold, so say so and
suggest a threshold that shows a difference."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.data.services import selection_label
from geo.measures.coverage import _check, residents

#: Per-service minutes columns of a times frame (``minutes_<service>``, not their ranges).
_SERVICE_PREFIX = "minutes_"
_RANGE_SUFFIXES = ("_low", "_high")


def nothing_beyond_hint(times: pd.DataFrame, *, threshold_minutes: float, weight: str = "adults",
                        value_col: str = "minutes", share: float = 0.1,
                        resolution: float = 0.1) -> str | None:
    """When nobody is beyond the threshold, say so and suggest one that gives an answer.

    Returns None when some residents are beyond ``threshold_minutes`` (or unreachable).
    Otherwise a sentence naming the longest trip and a tighter threshold -- the adults-weighted
    ``1 - share`` quantile of the minutes, rounded down to 5 (below 5, down to ``resolution``:
    the finest threshold the caller's control can be set to, e.g. the app slider's step) --
    with the share beyond it, e.g. "Everyone is within 30 minutes of a site (longest trip
    22 min). Try 15 minutes: 12% of adults are beyond that."  Every suggestion is a multiple
    of ``resolution``, so the user can set it.
    """
    res = residents(times)
    _check(res, (value_col, weight))
    v = res[value_col].to_numpy(dtype=float)
    w = res[weight].to_numpy(dtype=float)
    if not len(v) or (~np.isfinite(v)).any() or (v >= threshold_minutes).any():
        return None
    unit = "km" if value_col.endswith("_km") else "minutes"
    short = "km" if unit == "km" else "min"
    longest = float(np.nanmax(v))
    text = f"Everyone is within {threshold_minutes:g} {unit} of a site (longest trip {longest:.0f} {short})."
    if value_col == "minutes":
        text += _worst_service(res, threshold_minutes=threshold_minutes, weight=weight)
    order = np.argsort(v)
    cum = np.cumsum(w[order]) / max(w.sum(), 1e-9)
    q = float(v[order][min(np.searchsorted(cum, 1.0 - share), len(v) - 1)])
    step = 1.0 if unit == "km" else 5.0
    ratio = step / resolution
    if resolution > step or abs(ratio - round(ratio)) > 1e-9:  # 5 minutes is not a multiple of it
        step = resolution
    fine = float(np.floor(q / resolution + 1e-9) * resolution)
    suggest = max(step, np.floor(q / step) * step) if q >= step else round(fine, 6)
    if suggest >= threshold_minutes or suggest <= 0:
        return text
    pct = 100.0 * w[v >= suggest].sum() / max(w.sum(), 1e-9)
    return text + f" Try {suggest:g} {unit}: {pct:.0f}% of {weight} are beyond that."


def _worst_service(res: pd.DataFrame, *, threshold_minutes: float, weight: str) -> str:
    """" But 10,601 adults (1.7%) are beyond 30 minutes of a treatment hub." when nobody is beyond
    the nearest site of any type but someone is beyond one service's nearest site (the service
    with most adults beyond); "" otherwise -- so "everyone" never hides a service's gap."""
    w = res[weight].to_numpy(dtype=float)
    worst, worst_adults = "", 0.0
    for col in res.columns:
        if not col.startswith(_SERVICE_PREFIX) or col.endswith(_RANGE_SUFFIXES):
            continue
        v = res[col].to_numpy(dtype=float)
        beyond = float(w[~np.isfinite(v) | (v >= threshold_minutes)].sum())  # as coverage counts beyond
        if beyond > worst_adults:
            worst, worst_adults = col[len(_SERVICE_PREFIX):], beyond
    if not worst:
        return ""
    pct = 100.0 * worst_adults / max(w.sum(), 1e-9)
    return (f" But not of every service: {worst_adults:,.0f} {weight} ({pct:.1f}%) are beyond "
            f"{threshold_minutes:g} minutes of a {selection_label(worst)}.")


__all__ = ["nothing_beyond_hint"]
