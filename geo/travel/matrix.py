"""Site x origin matrices: minutes from every demand point to every site, and their reductions.

The dense ``(n_sites, n_origins)`` matrix (NaN = unreachable) is what scenarios, closure
impact, optimisation and the app's scenario view share; every router (network, estimate,
public transport) fills it through :meth:`~geo.travel.base.Router.site_origin_minutes`.
Origins are the core LSOAs of an area (population-weighted centroids), weighted by adults or
another need column.
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
    from geo.travel.base import Router

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


__all__ = ["GROUP_COLUMNS", "Origins", "area_origins", "best_two", "site_origin_matrix", "sites_xy"]
