"""Routers: travel minutes between sites and origins, on a network or estimated.

Every router answers the same two questions with arrays in EPSG:27700 metres:

* :meth:`Router.site_origin_minutes` -- a dense ``(n_sites, n_origins)`` matrix of minutes
  from each origin to each site (NaN where unreachable or beyond ``max_minutes``);
* :meth:`Router.nearest` -- for every origin, the minutes to its nearest site and which site.

Travel is *to* the site (origin -> site), so on a directed network the search runs on the
transposed graph from the sites.  Edges store seconds; minutes appear only here.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np

from geo._errors import InputError, NetworkError
from geo.travel.base import NearestResult, Router, check_xy, nearest_from_matrix
from geo.travel.modes import Method, TransitOptions, TravelMode, TravelSpec

if TYPE_CHECKING:
    from pathlib import Path

    from geo.config import Settings
    from geo.data.areas import Area
    from geo.progress import ProgressFn
    from geo.travel.network import Network

logger = logging.getLogger(__name__)

#: A network must join at least this share of the area's LSOA centroids (within the snap
#: tolerance) to be used; below it the run stops with both extents named.
MIN_COVERED_SHARE = 0.9


def make_router(travel: TravelSpec | TravelMode | str, *, area: Area | None = None,
                settings: Settings | None = None, network: str | Path | Network | None = None,
                method: str | Method | None = None, progress: ProgressFn | None = None,
                extract_buffer_km: float | None = None, **transit_options: Any) -> Router:
    """The router a :class:`~geo.travel.modes.TravelSpec` asks for.

    ``travel`` is a spec, or a mode name parsed together with ``method``/``network`` by
    :meth:`TravelSpec.parse` (the one parser).  Method ``auto`` uses a network on disk or in the
    cache that covers the area and falls back to the calibrated straight-line estimate
    (labelled "estimate"); ``network`` insists on real roads (an error when there are none);
    ``estimate`` forces the estimate.  ``network`` may also be a loaded :class:`Network`.
    ``mode=transit`` needs a GTFS feed (``transit.gtfs`` or ``gtfs=``: a zip, or ``"auto"`` for the
    Bus Open Data Service region(s) of the area) and the ``transit`` extra; its times are
    timetable-based (:attr:`~geo.travel.modes.Method.TIMETABLE`).

    Where no bundled network covers the area, network ``auto`` uses the cached Geofabrik extracts
    covering the area + ``extract_buffer_km`` (default ``Settings.cross_border_buffer_km``),
    downloaded when missing if ``Settings.osm_auto_fetch`` and the server (or
    ``GEO_OSM_MIRROR``) is reachable; the estimate's label then says how to get real roads.

    Raises
    ------
    NetworkError
        The network does not cover the area (fewer than :data:`MIN_COVERED_SHARE` of its LSOA
        centroids within the snap tolerance of its roads); the message names both extents.
    """
    from geo.config import Settings
    from geo.travel.estimate import EstimateRouter
    from geo.travel.network import Network, network_for_area

    s = settings if settings is not None else Settings.from_env()
    loaded = network if isinstance(network, Network) else None
    if isinstance(travel, TravelSpec):
        spec = travel
    else:
        unknown = sorted(set(transit_options) - set(TransitOptions.__dataclass_fields__))
        if unknown:
            msg = f"unknown transit option(s) {', '.join(unknown)}"
            raise InputError(msg)
        options = TransitOptions(**transit_options) if transit_options else None
        source = None if loaded is not None or isinstance(network, Network) else network
        spec = TravelSpec.parse(mode=travel, method=method, network=source, transit=options)
    if spec.method is Method.STRAIGHT_LINE:
        msg = "straight-line distance has no router: use geo.measures.coverage.nearest_site_straight_line"
        raise InputError(msg)
    if spec.mode is TravelMode.TRANSIT:
        from geo.travel.transit import make_transit_router

        t = spec.transit or TransitOptions()
        return make_transit_router(area=area, settings=s, network=spec.network, progress=progress,
                                   gtfs=t.gtfs, arrive_by=t.arrive_by, depart_at=t.depart_at,
                                   window_minutes=t.window_minutes, step_minutes=t.step_minutes,
                                   statistic=t.statistic, network_buffer_km=extract_buffer_km)
    mode = spec.mode.value
    if spec.method is Method.ESTIMATE:
        return EstimateRouter(mode=mode, settings=s)
    net = loaded if loaded is not None else network_for_area(area, mode=mode, settings=s, source=spec.network,
                                                             progress=progress)
    if net is None and str(spec.network).lower() == "auto" and area is not None:
        from geo.travel.extracts import network_from_extracts

        buffer_km = s.cross_border_buffer_km if extract_buffer_km is None else extract_buffer_km
        net = network_from_extracts(area, mode=mode, settings=s, buffer_km=buffer_km,
                                    fetch=s.osm_auto_fetch, progress=progress)
    if net is None:
        from geo.travel.extracts import fetch_hint

        where = getattr(area, "name", "the area")
        hint = fetch_hint(where)
        if spec.method is Method.NETWORK:
            msg = (f"no road network covers {where}: pass --network FILE.osm.pbf (an OpenStreetMap extract "
                   f"of the area) or use --method estimate; {hint}")
            raise NetworkError(msg)
        logger.info("no road network covers %s; using the straight-line estimate", where)
        estimate = EstimateRouter(mode=mode, settings=s)
        # one hint for real roads: the area's fetch command replaces the generic --network one
        estimate.label = estimate.label.replace("; for real roads use --network PATH.osm.pbf)", f"; {hint} or --network PATH.osm.pbf)")
        return estimate
    router = NetworkRouter(net, settings=s)
    if area is not None:
        router.require_covers(area)
    return router


class NetworkRouter:
    """Shortest travel times on an OSM :class:`~geo.travel.network.Network` with csgraph Dijkstra.

    Searches run from the sites on the *transposed* graph, so one-way streets are honoured in
    the direction people travel (origin -> site).  Each site enters the graph as a virtual
    node joined to its snapped node by its connector time, so ``min_only`` multi-source
    Dijkstra gives the exact nearest site including both snap legs.  Nothing loops in Python
    over nodes or origins.
    """

    method = "network"

    def __init__(self, network: Network, *, settings: Settings | None = None) -> None:
        from geo.config import Settings
        from geo.travel.snapping import Snapper

        self.network = network
        self.mode = network.mode
        self.settings = settings if settings is not None else Settings.from_env()
        self.label = network.label
        self.snapper = Snapper(network)
        self.csr_to_site = network.csr.T.tocsr()  # reversed edges: search from sites
        self.csr_to_site.sort_indices()

    # ------------------------------------------------------------------ helpers
    def snap(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(node_idx, snap metres, connector seconds; NaN beyond the snap tolerance)."""
        from geo.travel.snapping import connector_seconds

        snap = self.snapper.snap(xy, tolerance_metres=self.settings.snap_tolerance_metres)
        secs = connector_seconds(snap.distance_metres, self.mode)
        return snap.node_idx, snap.distance_metres, np.where(snap.within_tolerance, secs, np.nan)

    def _with_virtual_sites(self, nodes: np.ndarray, seconds: np.ndarray) -> Any:
        """Transposed CSR plus one row per site (virtual node -> its snapped node)."""
        from scipy.sparse import csr_matrix

        g = self.csr_to_site
        n, k = g.shape[0], len(nodes)
        indptr = np.concatenate([g.indptr, g.indptr[-1] + np.arange(1, k + 1)])
        indices = np.concatenate([g.indices, nodes.astype(g.indices.dtype)])
        data = np.concatenate([g.data, np.maximum(seconds, 1e-9)])
        return csr_matrix((data, indices, indptr), shape=(n + k, n + k))

    def node_seconds_to(self, sites_xy: np.ndarray, *, max_minutes: float | None = None,
                        _snapped: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
                        ) -> tuple[np.ndarray, np.ndarray]:
        """Seconds from every node to its nearest site, and that site's index (-1 if none)."""
        from scipy.sparse.csgraph import dijkstra

        sites_xy = check_xy(sites_xy, what="sites")
        nodes, _, secs = _snapped if _snapped is not None else self.snap(sites_xy)
        ok = np.isfinite(secs)
        n = self.network.n_nodes
        if not ok.any():
            return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
        graph = self._with_virtual_sites(nodes[ok], secs[ok])
        sources = n + np.arange(int(ok.sum()))
        limit = np.inf if max_minutes is None else float(max_minutes) * 60.0
        dist, _, src = dijkstra(graph, directed=True, indices=sources, min_only=True,
                                return_predecessors=True, limit=limit)
        site_of_virtual = np.flatnonzero(ok)
        site = np.where(src >= n, site_of_virtual[np.clip(src - n, 0, None)], -1)
        return dist[:n], site[:n].astype(np.int64)

    def covered_share(self, xy: np.ndarray) -> float:
        """Share of points within the snap tolerance of this network's roads."""
        if not len(xy):
            return 1.0
        snap = self.snapper.snap(check_xy(xy, what="points"),
                                 tolerance_metres=self.settings.snap_tolerance_metres)
        return float(np.mean(snap.within_tolerance))

    def require_covers(self, area: Area) -> None:
        """Raise :class:`NetworkError` naming both extents unless the network covers ``area``."""
        from geo.travel.extracts import area_extent_text, fetch_hint, network_extent_text

        xy = area.lsoas[["easting", "northing"]].to_numpy(float)
        share = self.covered_share(xy)
        if share < MIN_COVERED_SHARE:
            msg = (f"the road network {network_extent_text(self.network)} does not cover "
                   f"{area_extent_text(area)}: only {share:.0%} of its LSOA centroids lie within "
                   f"{self.settings.snap_tolerance_metres:g} m of its roads; {fetch_hint(area.name)}, "
                   "or use --network none")
            raise NetworkError(msg)

    # ------------------------------------------------------------------ Router API
    def nearest(self, sites_xy: np.ndarray, origins_xy: np.ndarray, *,
                max_minutes: float | None = None) -> NearestResult:
        """Minutes from each origin to its nearest site (both snap legs included)."""
        origins_xy = check_xy(origins_xy, what="origins")
        sites_xy = check_xy(sites_xy, what="sites")
        site_snap = self.snap(sites_xy)
        node_secs, node_site = self.node_seconds_to(sites_xy, max_minutes=max_minutes,
                                                    _snapped=site_snap)
        o_nodes, o_metres, o_secs = self.snap(origins_xy)
        total = node_secs[o_nodes] + o_secs
        if max_minutes is not None:
            total = np.where(total <= max_minutes * 60.0, total, np.inf)
        reach = np.isfinite(total)
        site_idx = np.where(reach, node_site[o_nodes], -1)
        s_metres = site_snap[1]
        site_metres = (np.where(site_idx >= 0, s_metres[np.clip(site_idx, 0, None)], np.nan)
                       if len(s_metres) else np.full(len(site_idx), np.nan))
        return NearestResult(minutes=np.where(reach, total / 60.0, np.nan), site_index=site_idx,
                             origin_snap_metres=o_metres, site_snap_metres=site_metres,
                             method=self.method, unsnapped_origins=np.flatnonzero(~np.isfinite(o_secs)),
                             unsnapped_sites=np.flatnonzero(~np.isfinite(site_snap[2])))

    def site_origin_minutes(self, sites_xy: np.ndarray, origins_xy: np.ndarray, *,
                            max_minutes: float | None = None, chunk: int = 64) -> np.ndarray:
        """``(n_sites, n_origins)`` minutes; searches run in chunks of unique site nodes."""
        from scipy.sparse.csgraph import dijkstra

        sites_xy = check_xy(sites_xy, what="sites")
        origins_xy = check_xy(origins_xy, what="origins")
        s_nodes, _, s_secs = self.snap(sites_xy)
        o_nodes, _, o_secs = self.snap(origins_xy)
        out = np.full((len(sites_xy), len(origins_xy)), np.nan)
        ok = np.flatnonzero(np.isfinite(s_secs))
        if len(ok) == 0 or len(origins_xy) == 0:
            return out
        uniq, inv = np.unique(s_nodes[ok], return_inverse=True)
        limit = np.inf if max_minutes is None else float(max_minutes) * 60.0
        node_rows = np.empty((len(uniq), len(origins_xy)))
        for start in range(0, len(uniq), chunk):  # chunks of sites bound memory, not a hot loop
            block = dijkstra(self.csr_to_site, directed=True, indices=uniq[start:start + chunk],
                             limit=limit)
            node_rows[start:start + chunk] = block[:, o_nodes]
        total = node_rows[inv] + s_secs[ok, None] + o_secs[None, :]
        if max_minutes is not None:
            total = np.where(total <= limit, total, np.inf)
        out[ok] = np.where(np.isfinite(total), total / 60.0, np.nan)
        return out


__all__ = ["NearestResult", "NetworkError", "Router", "check_xy",
           "make_router", "nearest_from_matrix"]
