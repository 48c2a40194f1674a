"""Equity of travel time: how unevenly minutes to the nearest service fall across adults.

All indices are adults-weighted (each LSOA counts with its adults, all at its centroid time)
and use reachable LSOAs only (unreachable rows are dropped and counted in ``n_unreachable``).

* **Concentration index** (Wagstaff, van Doorslaer & Watanabe 1991; Kakwani, Wagstaff & van
  Doorslaer 1997 "convenient covariance" form) of travel time by deprivation:
  ``CI = 2 cov_w(h, R) / mean_w(h)``, where ``R`` is the weighted fractional rank of each
  LSOA when ordered **from most to least deprived** (IMD rank 1 first), i.e.
  ``R_i = (W_{<i} + w_i / 2) / W``.  It lies in (-1, 1); **negative = travel time concentrated
  among the more deprived** (deprived adults travel longer); positive = concentrated among the
  less deprived (typical where affluent rural areas are far from town-centre services);
  0 = no association (e.g. equal times).
* **Gini** of travel time across adults, ``sum_i sum_j w_i w_j |h_i - h_j| / (2 W^2 mean)``,
  computed from the Lorenz curve (trapezoid rule; exact for discrete weights).  0 = everyone
  travels the same time.
* **Palma ratio**: share of total adult-minutes borne by the 10% of adults with the longest
  times divided by the share borne by the 40% with the shortest (Lorenz curve interpolated at
  0.9 and 0.4).  Equal times give 0.1 / 0.4 = 0.25; higher = more unequal.
* **Decile ratio**: adults-weighted mean minutes in IMD decile 1 (most deprived) / decile 10.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from geo._errors import InputError, SchemaError
from geo.data.tables import imd_label

logger = logging.getLogger(__name__)


def _clean(h: Any, w: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    h = np.asarray(h, dtype=float)
    w = np.asarray(w, dtype=float)
    if h.shape != w.shape:
        msg = f"values and weights differ in length ({h.shape} vs {w.shape})"
        raise InputError(msg)
    keep = np.isfinite(h) & np.isfinite(w) & (w > 0)
    if (w[np.isfinite(w)] < 0).any():
        msg = "weights must be non-negative"
        raise InputError(msg)
    return h[keep], w[keep], keep


def fractional_rank(order_key: Any, weights: Any) -> np.ndarray:
    """Weighted fractional rank in (0, 1) of each row when sorted ascending by ``order_key``.

    ``R_i = (sum of weights ranked before i + w_i / 2) / total weight``; tied keys share the
    mean rank of their block.
    """
    key = np.asarray(order_key, dtype=float)
    w = np.asarray(weights, dtype=float)
    order = np.argsort(key, kind="stable")
    ws = w[order]
    cum = np.cumsum(ws)
    total = cum[-1] if len(cum) else 0.0
    r_sorted = (cum - ws / 2.0) / total if total > 0 else np.zeros_like(ws)
    ks = key[order]
    # average within ties
    if len(ks) and (np.diff(ks) == 0).any():
        _, inv = np.unique(ks, return_inverse=True)
        sums = np.bincount(inv, weights=r_sorted * ws)
        wsum = np.bincount(inv, weights=ws)
        r_sorted = (sums / np.where(wsum > 0, wsum, 1.0))[inv]
    r = np.empty_like(r_sorted)
    r[order] = r_sorted
    return r


def concentration_index(values: Any, deprivation_rank: Any, weights: Any | None = None) -> float:
    """Weighted concentration index of ``values`` by deprivation (see module docstring).

    Parameters
    ----------
    values : array-like
        Travel minutes per LSOA (NaN rows dropped).
    deprivation_rank : array-like
        IMD rank, **1 = most deprived** (rows are ordered most deprived first).
    weights : array-like, optional
        Adults per LSOA (default 1).

    Returns
    -------
    float
        CI in (-1, 1); negative = values concentrated among the more deprived.
    """
    h = np.asarray(values, dtype=float)
    w = np.ones_like(h) if weights is None else np.asarray(weights, dtype=float)
    rank = np.asarray(deprivation_rank, dtype=float)
    h, w, keep = _clean(h, w)
    rank = rank[keep]
    if len(h) < 2:
        return float("nan")
    mu = np.average(h, weights=w)
    if mu == 0:
        return float("nan")
    r = fractional_rank(rank, w)
    cov = np.average((h - mu) * (r - np.average(r, weights=w)), weights=w)
    return float(2.0 * cov / mu)


def lorenz_curve(values: Any, weights: Any | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative population share ``p`` and value share ``L`` (both start at 0), sorted ascending."""
    h = np.asarray(values, dtype=float)
    w = np.ones_like(h) if weights is None else np.asarray(weights, dtype=float)
    h, w, _ = _clean(h, w)
    order = np.argsort(h, kind="stable")
    h, w = h[order], w[order]
    p = np.concatenate([[0.0], np.cumsum(w)])
    L = np.concatenate([[0.0], np.cumsum(w * h)])  # noqa: N806
    p = p / p[-1] if p[-1] > 0 else p
    L = L / L[-1] if L[-1] > 0 else L  # noqa: N806
    return p, L


def _weighted_lorenz(values: Any, weights: Any | None) -> tuple[np.ndarray, np.ndarray] | None:
    """Lorenz curve of cleaned, weighted values; None when empty or the total is 0."""
    h = np.asarray(values, dtype=float)
    w = np.ones_like(h) if weights is None else np.asarray(weights, dtype=float)
    h, w, _ = _clean(h, w)
    if not len(h) or (h * w).sum() <= 0:
        return None
    return lorenz_curve(h, w)


def gini(values: Any, weights: Any | None = None) -> float:
    """Weighted Gini coefficient of ``values`` (0 = all equal; NaN if the total is 0)."""
    curve = _weighted_lorenz(values, weights)
    if curve is None:
        return float("nan")
    p, L = curve  # noqa: N806
    return float(1.0 - np.sum(np.diff(p) * (L[1:] + L[:-1])))


def palma_ratio(values: Any, weights: Any | None = None) -> float:
    """Share of the total held by the top 10% (by value) over the share of the bottom 40%."""
    curve = _weighted_lorenz(values, weights)
    if curve is None:
        return float("nan")
    p, L = curve  # noqa: N806
    bottom40 = float(np.interp(0.4, p, L))
    top10 = 1.0 - float(np.interp(0.9, p, L))
    return top10 / bottom40 if bottom40 > 0 else float("inf")


def decile_ratio(times: pd.DataFrame, *, value_col: str = "minutes", weight: str = "adults",
                 decile_col: str = "imd_decile", low: int = 1, high: int = 10) -> float:
    """Weighted mean ``value_col`` in decile ``low`` (most deprived) / decile ``high``."""
    def mean(d: int) -> float:
        g = times[times[decile_col] == d]
        v = g[value_col].to_numpy(dtype=float)
        ww = g[weight].to_numpy(dtype=float)
        ok = np.isfinite(v)
        return float(np.average(v[ok], weights=ww[ok])) if ok.any() and ww[ok].sum() > 0 else float("nan")

    lo, hi = mean(low), mean(high)
    return lo / hi if hi and np.isfinite(hi) else float("nan")


def equity_summary(times: pd.DataFrame, *, value_col: str = "minutes", weight: str = "adults",
                   core_only: bool = True) -> dict[str, Any]:
    """All indices for a times frame (one row per LSOA; ``imd_rank``, ``imd_decile``, ``adults``).

    Returns
    -------
    dict
        ``concentration_index``, ``gini``, ``palma_ratio``, ``decile1_to_decile10_ratio``,
        ``mean_minutes_by_imd_decile`` (dict), ``n_lsoas``, ``n_unreachable``, ``note``.
    """
    missing = [c for c in (value_col, weight, "imd_rank", "imd_decile") if c not in times.columns]
    if missing:
        msg = f"times frame lacks column(s) {missing}"
        raise SchemaError(msg)
    df = times[times["in_area"].astype(bool)] if core_only and "in_area" in times.columns else times
    v = df[value_col].to_numpy(dtype=float)
    w = df[weight].to_numpy(dtype=float)
    unreachable = int((~np.isfinite(v)).sum())
    by_dec: dict[int, float] = {}
    for d, g in df.groupby("imd_decile"):
        gv = g[value_col].to_numpy(dtype=float)
        gw = g[weight].to_numpy(dtype=float)
        ok = np.isfinite(gv)
        by_dec[int(d)] = (round(float(np.average(gv[ok], weights=gw[ok])), 2)
                          if ok.any() and gw[ok].sum() > 0 else float("nan"))
    return {
        "concentration_index": round(concentration_index(v, df["imd_rank"], w), 4),
        "gini": round(gini(v, w), 4),
        "palma_ratio": round(palma_ratio(v, w), 3),
        "decile1_to_decile10_ratio": round(decile_ratio(df, value_col=value_col, weight=weight), 3),
        f"mean_{value_col}_by_imd_decile": by_dec,
        "n_lsoas": len(df),
        "n_unreachable": unreachable,
        "note": (f"adults-weighted over reachable LSOAs; concentration index by {imd_label(times)} rank, "
                 "negative = longer times concentrated among the more deprived"),
    }


__all__ = ["concentration_index", "decile_ratio", "equity_summary", "fractional_rank", "gini",
           "lorenz_curve", "palma_ratio"]
