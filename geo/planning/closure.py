"""Closure impact: what happens to access if each existing site closed, one at a time.

The core works on a dense ``(n_sites, n_origins)`` minutes matrix (NaN = unreachable).  For
every origin it keeps the best and second-best site (one ``np.partition``), so leaving any
one site out costs nothing extra: origins whose nearest site is the closed one fall back to
their second best, every other origin is unchanged.  All sites are answered at once with
``np.bincount`` -- no re-routing and no loop over sites.

The matrix itself and its helpers live in :mod:`geo.travel.matrix`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.travel.matrix import area_origins, best_two, site_origin_matrix

if TYPE_CHECKING:
    from geo.data.areas import Area
    from geo.travel.routing import Router

logger = logging.getLogger(__name__)

def closure_impact_from_matrix(matrix_minutes: np.ndarray, weights: np.ndarray, *,
                               threshold_minutes: float,
                               deciles: np.ndarray | None = None) -> pd.DataFrame:
    """Leave-one-out impact of closing each site, vectorised over all sites.

    Parameters
    ----------
    matrix_minutes : numpy.ndarray
        ``(n_sites, n_origins)`` minutes; NaN = unreachable.
    weights : numpy.ndarray
        Need weight per origin (e.g. adults).
    threshold_minutes : float
        Access standard: an origin is served when its nearest site is within this.
    deciles : numpy.ndarray, optional
        IMD decile (1-10) per origin; adds ``newly_beyond_d1`` ... ``newly_beyond_d10``.

    Returns
    -------
    pandas.DataFrame
        One row per site (positional index): ``nearest_for_weight`` (need whose nearest site
        it is), ``newly_beyond_weight`` / ``newly_beyond_origins`` (need that would fall
        outside the threshold), ``left_without_site_weight`` (need with no other reachable
        site), ``mean_minutes_increase`` (need-weighted over all origins, among those with
        another reachable site), ``irreplaceable`` (closing it leaves need beyond threshold).
    """
    m = np.asarray(matrix_minutes, dtype=float)
    w = np.asarray(weights, dtype=float)
    n_sites, n_origins = m.shape
    if w.shape != (n_origins,):
        msg = f"weights have shape {w.shape}; expected ({n_origins},) to match the matrix"
        raise InputError(msg)
    idx, best, second = best_two(m)
    has = idx >= 0
    site = np.where(has, idx, 0)
    total_w = float(w.sum()) or 1.0
    served = has & (best <= threshold_minutes)
    lost = served & ~(second <= threshold_minutes)
    no_other = has & ~np.isfinite(second)
    extra = np.where(has & np.isfinite(second), second - best, 0.0)

    def count(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
        return np.bincount(site[mask], weights=values[mask], minlength=n_sites)[:n_sites]

    out = pd.DataFrame({
        "nearest_for_weight": count(has, w),
        "nearest_for_origins": count(has, np.ones(n_origins)).astype(int),
        "newly_beyond_weight": count(lost, w),
        "newly_beyond_origins": count(lost, np.ones(n_origins)).astype(int),
        "left_without_site_weight": count(no_other, w),
        "mean_minutes_increase": count(has, w * extra) / total_w,
    })
    out["newly_beyond_share"] = out["newly_beyond_weight"] / total_w
    if deciles is not None:
        d = np.asarray(deciles, dtype=float)
        valid = lost & np.isfinite(d)
        key = site[valid] * 10 + (d[valid].astype(int) - 1).clip(0, 9)
        grid = np.bincount(key, weights=w[valid], minlength=n_sites * 10)[: n_sites * 10].reshape(n_sites, 10)
        for k in range(10):
            out[f"newly_beyond_d{k + 1}"] = grid[:, k]
    out["irreplaceable"] = out["newly_beyond_weight"] > 0
    return out


def closure_impact(area: Area, sites: pd.DataFrame, router: Router, *, threshold_minutes: float,
                   weight_column: str = "adults",
                   matrix_minutes: np.ndarray | None = None) -> pd.DataFrame:
    """Impact of closing each site in ``sites`` on the core LSOAs of ``area``.

    Returns one row per site (``site_id``, ``name``, ``site_type``, ``in_area`` plus the
    columns of :func:`closure_impact_from_matrix`), sorted by need newly beyond the threshold,
    then by the rise in mean minutes.  ``matrix_minutes`` reuses an already-routed matrix.
    """
    if len(sites) == 0:
        msg = "no sites to test: closure impact needs at least one existing site"
        raise InputError(msg)
    origins = area_origins(area, weight_column=weight_column)
    m = site_origin_matrix(router, sites, origins) if matrix_minutes is None else matrix_minutes
    deciles = origins.table["imd_decile"].to_numpy() if "imd_decile" in origins.table else None
    res = closure_impact_from_matrix(m, origins.weights, threshold_minutes=threshold_minutes, deciles=deciles)
    info = [c for c in ("site_id", "name", "site_type", "in_area") if c in sites.columns]
    out = pd.concat([sites[info].reset_index(drop=True), res], axis=1)
    out = out.rename(columns=lambda c: c.replace("_weight", f"_{weight_column}"))
    sort_by = [f"newly_beyond_{weight_column}", "mean_minutes_increase"]
    out = out.sort_values(sort_by, ascending=False, kind="stable").reset_index(drop=True)
    logger.info("closure impact: %d sites x %d LSOAs, %d irreplaceable at %g min", len(sites),
                origins.n, int(out["irreplaceable"].sum()), threshold_minutes)
    return out


__all__ = ["closure_impact", "closure_impact_from_matrix"]
