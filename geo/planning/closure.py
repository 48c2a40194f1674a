"""Closure impact: what happens to access if each existing site closed, one at a time.

The core works on a dense ``(n_sites, n_origins)`` minutes matrix (NaN = unreachable).  For
every origin it keeps the best and second-best site (one ``np.partition``), so leaving any
one site out costs nothing extra: origins whose nearest site is the closed one fall back to
their second best, every other origin is unchanged.  All sites are answered at once with
``np.bincount`` -- no re-routing and no loop over sites.

This module also holds the small array helpers that :mod:`geo.planning.scenarios` and
:mod:`geo.planning.optimise` share (origins of an area, the site x origin matrix).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo._errors import InputError, SchemaError

if TYPE_CHECKING:
    from geo.data.areas import Area
    from geo.travel.routing import Router

logger = logging.getLogger(__name__)

#: Columns of the LSOA table carried with each origin for breakdowns.
GROUP_COLUMNS = ("imd_decile", "urban_rural", "lad24nm")


@dataclass(frozen=True)
class Origins:
    """Demand points of an area: one per core LSOA (population-weighted centroid).

    ``xy`` is ``(n, 2)`` EPSG:27700 metres; ``weights`` the need weight (adults by default);
    ``table`` the LSOA rows (index ``lsoa21cd``) with :data:`GROUP_COLUMNS` for breakdowns.
    """

    xy: np.ndarray
    weights: np.ndarray
    table: pd.DataFrame
    weight_column: str

    @property
    def n(self) -> int:
        """Number of origins."""
        return len(self.xy)


def area_origins(area: Area, *, weight_column: str = "adults") -> Origins:
    """The core LSOAs of ``area`` as :class:`Origins` weighted by ``weight_column``."""
    lsoas = area.lsoas
    if weight_column not in lsoas.columns:
        msg = (f"need column {weight_column!r} is not in the LSOA table of {area.name}; "
               f"choose one of: adults, population, or a numeric column such as imd_score")
        raise SchemaError(msg)
    w = pd.to_numeric(lsoas[weight_column], errors="coerce").to_numpy(dtype=float)
    if np.isnan(w).any() or (w < 0).any():
        msg = f"need column {weight_column!r} has missing or negative values in {area.name}"
        raise SchemaError(msg)
    keep = [c for c in ("lsoa21nm", *GROUP_COLUMNS, "adults", "easting", "northing") if c in lsoas.columns]
    table = pd.DataFrame(lsoas[keep]).copy()
    xy = np.column_stack([lsoas["easting"].to_numpy(dtype=float), lsoas["northing"].to_numpy(dtype=float)])
    return Origins(xy=xy, weights=w, table=table, weight_column=weight_column)


def sites_xy(sites: pd.DataFrame) -> np.ndarray:
    """``(n, 2)`` easting/northing of a sites frame (EPSG:27700), checked for gaps."""
    for c in ("easting", "northing"):
        if c not in sites.columns:
            msg = f"sites have no {c!r} column; load them with geo.data.sites.load_sites"
            raise SchemaError(msg)
    xy = np.column_stack([sites["easting"].to_numpy(dtype=float), sites["northing"].to_numpy(dtype=float)])
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        ids = sites.loc[bad, "site_id"].astype(str).head(3).tolist() if "site_id" in sites else []
        msg = f"{int(bad.sum())} site(s) have no coordinates ({', '.join(ids)}); locate or drop them"
        raise InputError(msg)
    return xy.reshape(-1, 2)


def site_origin_matrix(router: Router, sites: pd.DataFrame, origins: Origins, *,
                       max_minutes: float | None = None) -> np.ndarray:
    """``(n_sites, n_origins)`` minutes from every origin to every site (NaN = unreachable)."""
    xy = sites_xy(sites)
    if len(xy) == 0:
        return np.full((0, origins.n), np.nan)
    m = np.asarray(router.site_origin_minutes(xy, origins.xy, max_minutes=max_minutes), dtype=float)
    if m.shape != (len(xy), origins.n):
        msg = f"router returned shape {m.shape}, expected {(len(xy), origins.n)}"
        raise RuntimeError(msg)
    return m


def best_two(matrix_minutes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per origin: index of the nearest site, its minutes and the second-best minutes.

    Unreachable entries (NaN) count as infinitely far; the outputs use ``inf`` for "none"
    and index -1 where no site is reachable.
    """
    m = np.where(np.isnan(matrix_minutes), np.inf, np.asarray(matrix_minutes, dtype=float))
    n_sites, n_origins = m.shape
    if n_sites == 0:
        inf = np.full(n_origins, np.inf)
        return np.full(n_origins, -1, dtype=np.int64), inf, inf.copy()
    idx = np.argmin(m, axis=0).astype(np.int64)
    cols = np.arange(n_origins)
    best = m[idx, cols]
    if n_sites == 1:
        second = np.full(n_origins, np.inf)
    else:
        second = np.partition(m, 1, axis=0)[1]
    idx[~np.isfinite(best)] = -1
    return idx, best, second


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


__all__ = ["GROUP_COLUMNS", "Origins", "area_origins", "best_two", "closure_impact",
           "closure_impact_from_matrix", "site_origin_matrix", "sites_xy"]
