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
from geo.travel.mixed import Legs, path_roots
from geo.travel.modes import Method, TransitOptions, TravelMode, TravelSpec

if TYPE_CHECKING:
    from pathlib import Path

    from geo.config import Settings
    from geo.data.areas import Area
    from geo.progress import ProgressFn
    from geo.travel.network import Network
    from geo.travel.snapping import Joins

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

    With method ``auto`` the road router uses the *mixed* method for sites and neighbourhoods
    beyond the loaded roads (roads inside, the calibrated estimate for the leg beyond; see
    :class:`NetworkRouter`); ``network`` leaves them out (reported).

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
        msg = "straight-line distance has no router: use geo.measures.straight_line.nearest_site_straight_line"
        raise InputError(msg)
    if spec.mode is TravelMode.TRANSIT:
        from geo.travel.transit import make_transit_router

        t = spec.transit or TransitOptions()
        return make_transit_router(area=area, settings=s, network=spec.network, progress=progress,
                                   gtfs=t.gtfs, arrive_by=t.arrive_by, depart_at=t.depart_at,
                                   window_minutes=t.window_minutes, step_minutes=t.step_minutes,
                                   statistic=t.statistic, network_buffer_km=extract_buffer_km)
    mode = spec.mode
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
    router = NetworkRouter(net, settings=s, mixed=spec.method is Method.AUTO)
    if area is not None:
        router.require_covers(area)
    return router


class NetworkRouter:
    """Shortest travel times on an OSM :class:`~geo.travel.network.Network` with csgraph Dijkstra.

    Searches run from the sites on the *transposed* graph, so one-way streets are honoured in
    the direction people travel (origin -> site).  Each site enters the graph as a virtual
    node joined to the network by its links (see :mod:`geo.travel.snapping`), so ``min_only``
    multi-source Dijkstra gives the exact nearest site including both joining legs.  Nothing
    loops in Python over nodes or origins.

    **Mixed method** (``mixed=True``; method ``auto``): sites and origins beyond the roads of
    the loaded network -- further than ``Settings.snap_tolerance_metres``, e.g. pharmacies in
    the next county outside the bundled extract -- join it by links timed with the calibrated
    straight-line estimate (:class:`~geo.travel.estimate.EstimateRouter`).  A trip then runs
    on real roads inside the network and on the estimate for the leg beyond; two points both
    beyond the roads may also be joined by the estimate alone.  Each origin's answer says
    which (``network``, ``mixed`` or ``estimate`` in ``NearestResult.origin_method``) and
    carries the range of its estimated legs (``minutes_low``/``minutes_high``, the estimate's
    held-out 10th-90th percentile errors).  Points beyond the estimate's calibrated range are
    not joined.  Without it (``mixed=False``, ``--method network``) points beyond the snap
    tolerance are not joined: they take no part and are reported.
    """

    method = Method.NETWORK.value

    def __init__(self, network: Network, *, settings: Settings | None = None, mixed: bool = False) -> None:
        from geo.config import Settings
        from geo.travel.estimate import EstimateRouter
        from geo.travel.snapping import Snapper

        self.network = network
        self.mode = network.mode
        self.settings = settings if settings is not None else Settings.from_env()
        self.label = network.label
        self.snapper = Snapper(network)
        self.csr_to_site = network.csr.T.tocsr()  # reversed edges: search from sites
        self.csr_to_site.sort_indices()
        #: The estimate timing legs beyond the roads (None: points beyond them are not joined).
        self.beyond = EstimateRouter(mode=self.mode, settings=self.settings) if mixed else None

    @property
    def is_mixed(self) -> bool:
        """Whether legs beyond the roads are estimated (the mixed method)."""
        return self.beyond is not None

    # ------------------------------------------------------------------ helpers
    def snap(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(node_idx, snap metres, connector seconds; NaN beyond the snap tolerance)."""
        from geo.travel.snapping import connector_seconds

        snap = self.snapper.snap(xy, tolerance_metres=self.settings.snap_tolerance_metres)
        secs = connector_seconds(snap.distance_metres, self.mode)
        return snap.node_idx, snap.distance_metres, np.where(snap.within_tolerance, secs, np.nan)

    def join(self, xy: np.ndarray, *, mixed: bool | None = None, arriving: bool = False) -> Joins:
        """How each point joins the network (connector, estimated links, or not at all);
        ``arriving``: sites (trips end there), else origins."""
        beyond = self.beyond if mixed is None or mixed else None
        return self.snapper.join(xy, tolerance_metres=self.settings.snap_tolerance_metres, mode=self.mode,
                                 beyond=beyond, arriving=arriving)

    def _with_virtual_sites(self, joins: Joins) -> Any:
        """Transposed CSR plus one row per site (virtual node -> the nodes it joins)."""
        from scipy.sparse import csr_matrix

        g = self.csr_to_site
        n, k = g.shape[0], joins.n_points
        counts = np.bincount(joins.point, minlength=k)
        indptr = np.concatenate([g.indptr, g.indptr[-1] + np.cumsum(counts)])
        indices = np.concatenate([g.indices, joins.node.astype(g.indices.dtype)])
        data = np.concatenate([g.data, np.maximum(joins.seconds, 1e-9)])
        return csr_matrix((data, indices, indptr), shape=(n + k, n + k))

    def _search(self, joins: Joins, max_minutes: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Seconds from every node to its nearest site, that site (-1 if none) and the node its
        path enters the network by (an end of the site's road segment, or the gateway of its estimated leg)."""
        from scipy.sparse.csgraph import dijkstra

        n = self.network.n_nodes
        joined = np.flatnonzero(joins.joined)
        if not len(joined):
            return np.full(n, np.inf), np.full(n, -1, dtype=np.int64), np.arange(n)
        graph = self._with_virtual_sites(joins)
        limit = np.inf if max_minutes is None else float(max_minutes) * 60.0
        dist, pred, src = dijkstra(graph, directed=True, indices=n + joined, min_only=True,
                                   return_predecessors=True, limit=limit)
        site = np.where(src >= n, src - n, -1)
        return dist[:n], site[:n].astype(np.int64), path_roots(pred, n)

    def node_seconds_to(self, sites_xy: np.ndarray, *, max_minutes: float | None = None,
                        mixed: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Seconds from every node to its nearest site, and that site's index (-1 if none).

        ``mixed=False`` leaves sites beyond the roads out even on a mixed router (catchments
        are drawn on the roads around the sites the roads reach).
        """
        sites_xy = check_xy(sites_xy, what="sites")
        dist, site, _ = self._search(self.join(sites_xy, mixed=mixed, arriving=True), max_minutes)
        return dist, site

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
        """Minutes from each origin to its nearest site (both joining legs included).

        On a mixed router the result also says, per origin, whether the trip used an estimated
        leg (``origin_method``) and gives its range (``minutes_low``/``minutes_high``).
        """
        origins_xy = check_xy(origins_xy, what="origins")
        sites_xy = check_xy(sites_xy, what="sites")
        sj = self.join(sites_xy, arriving=True)
        node_secs, node_site, roots = self._search(sj, max_minutes)
        oj = self.join(origins_xy)
        total, link = oj.best(node_secs)
        via = np.where(link >= 0, oj.node[np.clip(link, 0, None)] if len(oj.node) else 0, 0)
        site_idx = np.where(np.isfinite(total), node_site[via], -1)
        legs = Legs.of(self.network, sj, oj, sites_xy, origins_xy, site_idx, link, roots[via])
        if self.beyond is not None:
            legs.direct_estimate(self.beyond, sj, oj, sites_xy, total, site_idx)
        if max_minutes is not None:
            total = np.where(total <= max_minutes * 60.0, total, np.inf)
        reach = np.isfinite(total)
        site_idx = np.where(reach, site_idx, -1)
        s_metres = sj.snap.distance_metres
        site_metres = (np.where(site_idx >= 0, s_metres[np.clip(site_idx, 0, None)], np.nan)
                       if len(s_metres) else np.full(len(site_idx), np.nan))
        minutes = np.where(reach, total / 60.0, np.nan)
        extra: dict[str, Any] = {}
        if self.beyond is not None:
            low, high = legs.range(self.beyond, minutes)
            extra = {"origin_method": np.where(reach, legs.method(), "network").astype(object),
                     "minutes_low": low, "minutes_high": high,
                     "beyond_sites": np.flatnonzero(sj.beyond_roads)}
        return NearestResult(minutes=minutes, site_index=site_idx,
                             origin_snap_metres=oj.snap.distance_metres, site_snap_metres=site_metres,
                             method=self.method, unsnapped_origins=np.flatnonzero(~oj.joined),
                             unsnapped_sites=np.flatnonzero(~sj.joined), **extra)

    def site_origin_minutes(self, sites_xy: np.ndarray, origins_xy: np.ndarray, *,
                            max_minutes: float | None = None, chunk: int = 64) -> np.ndarray:
        """``(n_sites, n_origins)`` minutes; searches run in chunks of unique site nodes.

        Sites beyond the roads (mixed router) are searched from their virtual node, which joins
        the network's edge by estimated links; origins beyond them take their best link.
        """
        from dataclasses import replace

        from scipy.sparse.csgraph import dijkstra

        sites_xy = check_xy(sites_xy, what="sites")
        origins_xy = check_xy(origins_xy, what="origins")
        sj, oj = self.join(sites_xy, arriving=True), self.join(origins_xy)
        out = np.full((len(sites_xy), len(origins_xy)), np.nan)
        if not sj.joined.any() or not oj.joined.any():
            return out
        need, node_col = np.unique(oj.node, return_inverse=True)  # nodes the origins join
        limit = np.inf if max_minutes is None else float(max_minutes) * 60.0
        at_nodes = np.full((len(sites_xy), len(need)), np.inf)
        beyond = sj.beyond_roads
        on_road = np.flatnonzero(~sj.estimated)  # links of sites on the roads (to a segment's ends)
        if len(on_road):
            uniq, inv = np.unique(sj.node[on_road], return_inverse=True)
            rows = np.empty((len(uniq), len(need)))
            for start in range(0, len(uniq), chunk):  # chunks of sites bound memory, not a hot loop
                block = dijkstra(self.csr_to_site, directed=True, indices=uniq[start:start + chunk], limit=limit)
                rows[start:start + chunk] = block[:, need]
            via = rows[inv] + sj.seconds[on_road][:, None]  # one row per link; a site's links are adjacent
            pts = sj.point[on_road]
            starts = np.flatnonzero(np.r_[True, pts[1:] != pts[:-1]])
            at_nodes[pts[starts]] = np.minimum.reduceat(via, starts, axis=0)
        far = np.flatnonzero(beyond)
        if len(far):
            graph = self._with_virtual_sites(sj)
            n = self.network.n_nodes
            for start in range(0, len(far), chunk):
                block = dijkstra(graph, directed=True, indices=n + far[start:start + chunk], limit=limit)
                at_nodes[far[start:start + chunk]] = block[:, need]
        total, _ = replace(oj, node=node_col.astype(np.int64)).best(at_nodes)
        if self.beyond is not None:
            o_far = np.flatnonzero(oj.beyond_roads)
            if len(far) and len(o_far):  # both ends beyond the roads: the estimate alone may be shorter
                direct = self.beyond.site_origin_minutes(sites_xy[far], origins_xy[o_far]) * 60.0
                total[np.ix_(far, o_far)] = np.fmin(total[np.ix_(far, o_far)], direct)
        if max_minutes is not None:
            total = np.where(total <= limit, total, np.inf)
        return np.where(np.isfinite(total), total / 60.0, np.nan)


__all__ = ["NearestResult", "NetworkError", "Router", "check_xy",
           "make_router", "nearest_from_matrix"]
