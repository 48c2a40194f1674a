"""Reading Monte Carlo draws: a figure's range and whether a change is distinguishable from none.

A figure's range is the 10th-90th percentile of its draws (:func:`interval`), widened where
needed to include the figure computed on the router's own times.  A change whose range includes
zero is "not distinguishable from no change" (:func:`verdict`).  The draws themselves come from
:mod:`geo.measures.uncertainty`.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

#: Percentiles of the reported interval.
INTERVAL_PERCENTILES = (10.0, 90.0)
#: Words for a change whose range includes zero.
NOT_DISTINGUISHABLE = "not distinguishable from no change"


def interval(samples: np.ndarray, point: Any, *, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """10th and 90th percentile of ``samples`` along ``axis``, widened to contain ``point``.

    NaN samples are ignored; where every sample is NaN the interval is the point itself.
    """
    s = np.asarray(samples, dtype=float)
    p = np.asarray(point, dtype=float)
    lo_pct, hi_pct = INTERVAL_PERCENTILES
    if s.shape[axis] == 0:
        return p.copy(), p.copy()
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices: the point is used
        lo = np.nanpercentile(s, lo_pct, axis=axis)
        hi = np.nanpercentile(s, hi_pct, axis=axis)
    lo = np.where(np.isnan(lo), p, np.fmin(lo, p))
    hi = np.where(np.isnan(hi), p, np.fmax(hi, p))
    return lo, hi


def verdict(point: float, low: float, high: float, *, tolerance: float = 0.0,
            better: str = "higher") -> str:
    """``"gain"``, ``"loss"``, ``"no change"`` or :data:`NOT_DISTINGUISHABLE` for a change.

    ``better="lower"`` for figures where less is better (minutes): a negative change is a gain.
    A range that includes zero (beyond ``tolerance``) is not distinguishable from no change.
    """
    if not np.isfinite(point):
        return ""
    if abs(point) <= tolerance and low >= -tolerance and high <= tolerance:
        return "no change"
    if low <= tolerance and high >= -tolerance:
        return NOT_DISTINGUISHABLE
    up = point > 0
    return "gain" if up == (better == "higher") else "loss"


def add_interval_columns(frame: pd.DataFrame, column: str, samples: np.ndarray) -> None:
    """Insert ``<column>_low`` and ``<column>_high`` right after ``column`` (draws on axis 0)."""
    lo, hi = interval(samples, frame[column].to_numpy(dtype=float))
    at = list(frame.columns).index(column) + 1
    frame.insert(at, f"{column}_low", lo)
    frame.insert(at + 1, f"{column}_high", hi)


__all__ = ["INTERVAL_PERCENTILES", "NOT_DISTINGUISHABLE", "add_interval_columns", "interval", "verdict"]
