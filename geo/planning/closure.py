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
    from geo.config import Settings
    from geo.data.areas import Area
    from geo.measures.uncertainty import UncertaintySpec
    from geo.travel.matrix import Origins
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


#: Closure figures per site and service, each with ``_low``/``_high`` (:func:`closure_by_service`).
CLOSURE_FIGURES = ("newly_beyond_adults", "left_without_site_adults", "mean_minutes_increase")


def closure_by_service(sites: pd.DataFrame, router: Router, origins: Origins, *, services: tuple[str, ...],
                       threshold_minutes: float, spec: UncertaintySpec, settings: Settings | None = None,
                       matrix: np.ndarray | None = None, deciles: bool = False) -> pd.DataFrame:
    """Leave-one-out closure impact of every site, per service it counts for, with ranges.

    Returns one row per (site, service) -- index ``rank`` (sites ranked by their worst loss
    over services, then by the rise in mean minutes) -- with ``site_id``, ``name``,
    ``site_type``, ``in_area``, ``service``, ``service_label``, ``nearest_for_adults``, each
    :data:`CLOSURE_FIGURES` figure with ``_low``/``_high``, ``irreplaceable``, ``chance_of_loss``
    (share of draws in which someone falls beyond the threshold) and ``verdict``
    ("loss", "no change" or "not distinguishable from no change": on adults newly beyond).
    ``deciles`` adds ``newly_beyond_d1`` ... ``newly_beyond_d10`` (IMD decile; figures only).
    ``attrs["uncertainty"]`` says how the ranges were made.
    """
    from geo.data.services import result_services, selection_label, service_masks
    from geo.measures.intervals import interval, verdict
    from geo.measures.uncertainty import AccessDraws
    from geo.planning.by_service import ADULTS_TOLERANCE, describe_draws

    sites = pd.DataFrame(sites).reset_index(drop=True)
    m = site_origin_matrix(router, sites, origins) if matrix is None else np.asarray(matrix, dtype=float)
    m = np.where(np.isnan(m), np.inf, m)
    masks = service_masks(sites, services)
    keys = list(result_services(services))
    w, t = origins.weights, float(threshold_minutes)
    draws = AccessDraws(router, origins.xy, sites, m, spec=spec, settings=settings,
                        states=[masks[k] for k in keys], rank=2)
    cols = ("newly_beyond_weight", "left_without_site_weight", "mean_minutes_increase")
    sims = {k: np.full((draws.draws, int(masks[k].sum()), len(cols)), np.nan) for k in keys}
    for r, mat in draws.matrices():
        for k in keys:
            if masks[k].any():
                res = closure_impact_from_matrix(mat[masks[k]], w, threshold_minutes=t)
                sims[k][r] = res[list(cols)].to_numpy(dtype=float)
    frames = []
    info = [c for c in ("site_id", "name", "site_type", "in_area") if c in sites.columns]
    for k in keys:
        rows = np.flatnonzero(masks[k])
        if not len(rows):
            continue
        dec = origins.table["imd_decile"].to_numpy() if deciles and "imd_decile" in origins.table else None
        res = closure_impact_from_matrix(m[rows], w, threshold_minutes=t, deciles=dec)
        df = sites.iloc[rows][info].reset_index(drop=True)
        df["service"] = k
        df["service_label"] = selection_label(k)
        df["nearest_for_adults"] = res["nearest_for_weight"].to_numpy()
        for n, (col, name) in enumerate(zip(cols, CLOSURE_FIGURES, strict=True)):
            df[name] = res[col].to_numpy()
            lo, hi = interval(sims[k][:, :, n], df[name].to_numpy(dtype=float))
            df[f"{name}_low"], df[f"{name}_high"] = lo, hi
        for d in (c for c in res.columns if c.startswith("newly_beyond_d")):
            df[d] = res[d].to_numpy()
        df["irreplaceable"] = df["newly_beyond_adults"] > 0
        df["chance_of_loss"] = (np.mean(sims[k][:, :, 0] > ADULTS_TOLERANCE, axis=0) if draws.draws
                                else np.full(len(df), np.nan))
        df["verdict"] = [verdict(-p, -h, -lo, tolerance=ADULTS_TOLERANCE)
                         for p, lo, h in zip(df["newly_beyond_adults"], df["newly_beyond_adults_low"],
                                             df["newly_beyond_adults_high"], strict=True)]
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    worst = out.groupby("site_id")["newly_beyond_adults"].transform("max")
    rise = out.groupby("site_id")["mean_minutes_increase"].transform("max")
    order = {k: i for i, k in enumerate(keys)}
    out = out.assign(_w=worst, _r=rise, _s=out["service"].map(order)).sort_values(
        ["_w", "_r", "site_id", "_s"], ascending=[False, False, True, True], kind="stable")
    rank = pd.factorize(out["site_id"])[0] + 1
    out = out.drop(columns=["_w", "_r", "_s"])
    out.index = pd.Index(rank, name="rank")
    out.attrs["uncertainty"] = describe_draws(draws, spec)
    logger.info("closure by service: %d sites x %d services, %d draws", len(sites), len(keys), draws.draws)
    return out


__all__ = ["CLOSURE_FIGURES", "closure_by_service", "closure_impact", "closure_impact_from_matrix"]
