"""Shared travel-time types: the :class:`Router` protocol and :class:`NearestResult`.

Every router (road network, straight-line estimate, public transport) answers with arrays
in EPSG:27700 metres; see :mod:`geo.travel.routing` for the implementations and the factory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from geo._errors import InputError

if TYPE_CHECKING:
    from geo.travel.modes import TravelMode


@dataclass(frozen=True)
class NearestResult:
    """Nearest site per origin.

    ``minutes`` is NaN and ``site_index`` -1 where no site is reachable within the limit.
    ``origin_snap_metres``/``site_snap_metres`` are the straight-line distances from each point
    to the nearest network node (0 for estimate routers).  ``unsnapped_origins`` and
    ``unsnapped_sites`` index the origins and sites that could not be joined to the network
    (beyond the snap tolerance, or on a mixed router beyond the estimate's calibrated range):
    they take no part in the result (reported, never silently used).

    Mixed routers (roads inside the network, the calibrated estimate for legs beyond it; see
    :class:`~geo.travel.routing.NetworkRouter`) also give ``origin_method`` (``network``,
    ``mixed`` or ``estimate`` per origin), ``minutes_low``/``minutes_high`` (the range of the
    estimated legs; equal to ``minutes`` for roads-only trips) and ``beyond_sites`` (sites
    beyond the roads, joined by estimated legs).  Other routers leave them ``None``.
    """

    minutes: np.ndarray
    site_index: np.ndarray
    origin_snap_metres: np.ndarray
    site_snap_metres: np.ndarray
    method: str
    unsnapped_origins: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    unsnapped_sites: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    origin_method: np.ndarray | None = None
    minutes_low: np.ndarray | None = None
    minutes_high: np.ndarray | None = None
    beyond_sites: np.ndarray | None = None


@runtime_checkable
class Router(Protocol):
    """What every router offers (network, estimate, transit)."""

    mode: TravelMode
    method: str
    label: str

    def site_origin_minutes(self, sites_xy: np.ndarray, origins_xy: np.ndarray, *,
                            max_minutes: float | None = None) -> np.ndarray:
        """``(n_sites, n_origins)`` minutes from each origin to each site; NaN = unreachable."""
        ...

    def nearest(self, sites_xy: np.ndarray, origins_xy: np.ndarray, *,
                max_minutes: float | None = None) -> NearestResult:
        """Minutes from each origin to its nearest site, and which site."""
        ...


def check_xy(xy: Any, *, what: str) -> np.ndarray:
    """Validate an ``(n, 2)`` array of BNG metres."""
    arr = np.asarray(xy, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != 2:
        msg = f"{what}: expected an (n, 2) array of easting/northing metres, got shape {arr.shape}"
        raise InputError(msg)
    if len(arr) and not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr).all(axis=1))[0])
        msg = f"{what}: row {bad} has no coordinates; locate it or drop it before routing"
        raise InputError(msg)
    return arr


def sites_xy(sites: Any) -> np.ndarray:
    """``(n, 2)`` easting/northing of a sites table, or an :class:`InputError` naming what it lacks."""
    missing = [c for c in ("site_id", "easting", "northing") if c not in sites.columns]
    if missing:
        msg = f"sites table lacks {missing}; load sites with geo.data.sites.load_sites or read_sites_file"
        raise InputError(msg)
    return np.asarray(sites[["easting", "northing"]].to_numpy(float))


def nearest_from_matrix(matrix: np.ndarray, *, method: str,
                        origin_snap_metres: np.ndarray | None = None,
                        site_snap_metres: np.ndarray | None = None) -> NearestResult:
    """Reduce a ``(n_sites, n_origins)`` minutes matrix to the nearest site per origin."""
    n_sites, n_origins = matrix.shape
    if n_sites == 0:
        minutes = np.full(n_origins, np.nan)
        idx = np.full(n_origins, -1, dtype=np.int64)
    else:
        filled = np.where(np.isnan(matrix), np.inf, matrix)
        idx = np.argmin(filled, axis=0).astype(np.int64)
        minutes = filled[idx, np.arange(n_origins)]
        none = ~np.isfinite(minutes)
        minutes = np.where(none, np.nan, minutes)
        idx[none] = -1
    zeros = np.zeros(n_origins)
    site_snap = np.zeros(n_origins) if site_snap_metres is None else np.where(
        idx >= 0, np.asarray(site_snap_metres)[np.clip(idx, 0, None)] if n_sites else 0.0, np.nan)
    return NearestResult(minutes=minutes, site_index=idx,
                         origin_snap_metres=zeros if origin_snap_metres is None else origin_snap_metres,
                         site_snap_metres=site_snap, method=method)
