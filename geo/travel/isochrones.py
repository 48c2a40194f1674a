"""Catchment polygons (isochrones) per site and band, on the roads or from the estimate.

Network routers draw the roads from which a site is reached within each band, buffered by the
mode's half-width; estimate routers draw the circle whose estimated time equals the band.
Catchments with no area are dropped and reported, never written.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo._errors import InputError, NetworkError
from geo.crs import BNG
from geo.travel.base import sites_xy

if TYPE_CHECKING:
    import geopandas as gpd

    from geo.travel.routing import NetworkRouter, Router

logger = logging.getLogger(__name__)

DEFAULT_BANDS_MINUTES = (10, 20, 30, 45, 60)


def isochrones(router: Router, sites: pd.DataFrame, *,
               bands_minutes: tuple[float, ...] = DEFAULT_BANDS_MINUTES,
               simplify_metres: float = 25.0) -> gpd.GeoDataFrame:
    """Catchment polygons per site and band (EPSG:27700).

    Network routers: the roads from which the site is reached within the band -- every edge
    reached in full plus the reachable part of partly reached edges -- buffered by
    the mode's ``isochrone_buffer_metres`` (:class:`~geo.travel.modes.ModeProfile`) and unioned.  We chose buffered reached edges over a
    concave hull of reached nodes because a hull spans fields, rivers and railways that no
    road crosses and so overstates who is covered in rural areas; buffered edges show where
    the reach really is (tested: every reached node lies inside, and bands nest).
    Estimate routers: the circle whose estimated time equals the band (labelled estimate).
    """
    import geopandas as gpd

    sxy = sites_xy(sites)
    bands = tuple(sorted(float(b) for b in bands_minutes))
    if not bands or bands[0] <= 0:
        msg = f"isochrone bands must be positive minutes, got {bands_minutes}"
        raise InputError(msg)
    rows: list[dict[str, Any]] = []
    if getattr(router, "method", "") == "network":
        for i, sid in enumerate(sites["site_id"].to_numpy()):
            geoms = _network_isochrone(router, sxy[i], bands, simplify_metres)  # type: ignore[arg-type]
            rows += [{"site_id": sid, "band_minutes": b, "geometry": g} for b, g in zip(bands, geoms, strict=True)]
    else:
        rows = _estimate_isochrones(router, sites, sxy, bands)
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=BNG) if rows else gpd.GeoDataFrame(
        {"site_id": [], "band_minutes": []}, geometry=[], crs=BNG)
    gdf["method"] = getattr(router, "method", "")
    names = sites.set_index("site_id")["name"] if "name" in sites else None
    if names is not None:
        gdf["site_name"] = gdf["site_id"].map(names)
    return drop_empty_catchments(gdf)


def drop_empty_catchments(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Remove catchments with no area and list them in ``attrs["empty_catchments"]``.

    A 0 km² polygon is not a catchment: the site is off the network (beyond the snap
    tolerance), or the band is shorter than the time to join the roads.  The caller reports
    them (``attrs["warnings"]``) instead of writing them.
    """
    empty = gdf.geometry.is_empty.to_numpy() | (gdf.geometry.area.to_numpy() <= 0)
    cols = [c for c in ("site_id", "site_name", "band_minutes") if c in gdf.columns]
    dropped = pd.DataFrame(gdf.loc[empty, cols]).reset_index(drop=True)
    out = gdf.loc[~empty].reset_index(drop=True)
    warnings = []
    if len(dropped):
        label = dropped["site_name"] if "site_name" in dropped else dropped["site_id"]
        listed = "; ".join(f"{n} {b:g} min" for n, b in
                           zip(label.astype(str).head(10), dropped["band_minutes"].head(10), strict=True))
        more = f" and {len(dropped) - 10} more" if len(dropped) > 10 else ""
        warnings.append(f"{len(dropped)} catchment(s) have no area and were not written (site off the "
                        f"road network, or the band is shorter than reaching the roads): {listed}{more}")
        logger.warning("%s", warnings[0])
    out.attrs["empty_catchments"] = dropped
    out.attrs["warnings"] = warnings
    return out


def _network_isochrone(router: NetworkRouter, site_xy: np.ndarray, bands: tuple[float, ...],
                       simplify_metres: float) -> list[Any]:
    import shapely

    net = router.network
    # roads-only: a site beyond the roads has no catchment drawn on them (reported as empty)
    secs, _ = router.node_seconds_to(site_xy[None, :], max_minutes=bands[-1], mixed=False)
    u, v = net.edge_u, net.edge_v
    # Edge u->v is travelled towards the site: time at u = edge time + time at v.
    t_v = secs[v]
    t_u_via = t_v + net.edge_seconds
    geoms = []
    width = net.mode.profile.isochrone_buffer_metres
    for band in bands:
        limit = band * 60.0
        reach_v = t_v <= limit
        if not reach_v.any():
            geoms.append(shapely.Polygon())
            continue
        frac = np.clip((limit - t_v) / net.edge_seconds, 0.0, 1.0)
        sel = reach_v & (frac > 0)
        x0, y0 = net.node_x[v[sel]], net.node_y[v[sel]]
        x1, y1 = net.node_x[u[sel]], net.node_y[u[sel]]
        f = np.where(t_u_via[sel] <= limit, 1.0, frac[sel])
        coords = np.stack([np.column_stack([x0, y0]),
                           np.column_stack([x0 + f * (x1 - x0), y0 + f * (y1 - y0)])], axis=1)
        lines = shapely.linestrings(coords)
        poly = shapely.union_all(shapely.buffer(lines, width, quad_segs=2))
        geoms.append(shapely.simplify(poly, simplify_metres))
    return geoms


def _estimate_isochrones(router: Any, sites: pd.DataFrame, sxy: np.ndarray,
                         bands: tuple[float, ...]) -> list[dict[str, Any]]:
    """Circles whose estimated time equals each band, for the urban/rural class at the site."""
    import shapely

    km_grid = np.linspace(0, 150, 3001)
    classes = router.origin_classes(sxy) if len(sxy) else np.array([], dtype=object)
    radius: dict[str, dict[float, float]] = {}
    for cls in sorted(set(classes.tolist())):
        mins = router.minutes_for_km(km_grid, np.full(len(km_grid), cls))
        radius[cls] = {b: float(np.interp(b, mins, km_grid)) * 1000.0 for b in bands}
    rows = []
    for i, sid in enumerate(sites["site_id"].to_numpy()):
        for b in bands:
            rows.append({"site_id": sid, "band_minutes": b,
                         "geometry": shapely.Point(sxy[i]).buffer(radius[classes[i]][b], quad_segs=16)})
    return rows


def check_network_router(router: Router) -> NetworkRouter:
    """The router as a network router, or a clear error for estimate/transit routers."""
    if getattr(router, "method", "") != "network":
        msg = "this needs a road network; load one with --network PATH or --network download"
        raise NetworkError(msg)
    return router  # type: ignore[return-value]
