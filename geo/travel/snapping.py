"""Join points (LSOA centroids, sites) to a routable network.

A KD-tree in EPSG:27700 metres over the nodes of the network's largest strongly connected
component, so a point is never joined to an island it cannot leave.

* A point within ``Settings.snap_tolerance_metres`` of the roads joins the *nearest point of the
  nearest road segment*, as Valhalla does (its loki snaps to the edge, not to a node): a
  *connector* over the perpendicular straight line, timed at the mode's ``connector_kph``
  (:class:`~geo.travel.modes.ModeProfile`), then the part of the segment to each of its ends that
  the mode may travel (one-way streets honoured), pro rata of the segment's seconds.  Segments
  are straight (a way is cut at every OSM node), so the foot of the perpendicular lies on the
  road.  The candidate segments are those meeting the :data:`EDGE_CANDIDATE_NODES` nodes nearest
  to the point (vectorised; never worse than the nearest node, which is among them).
* A point beyond it -- a pharmacy across the border, outside the extract that was loaded -- joins
  the network by *estimated* links when the router is given a calibrated straight-line estimate
  (:class:`~geo.travel.estimate.EstimateRouter`): one link to each of the
  :data:`GATEWAY_NODES` nearest nodes within :data:`GATEWAY_MARGIN_METRES` of the closest one,
  timed by the estimate for that straight line (``EstimateRouter.leg_minutes_for_km``: a leg
  that starts on the roads).  The router then takes the best of them (roads
  inside the network, the estimate for the leg beyond: the *mixed* method).  Points further than
  the estimate's calibrated range (``EstimateRouter.max_leg_km``) are not joined.
* Without an estimate (``--method network``) points beyond the tolerance are not joined.

Points that are not joined are reported by the callers, never silently dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from geo.travel.modes import TravelMode
    from geo.travel.network import Network

logger = logging.getLogger(__name__)

#: A point beyond the roads joins at most this many of the network's nodes nearest to it ...
#: (chosen with benchmarks/validate_mixed.py: 64 nodes leave detours along the network's edge,
#: +0.6 min median, MAE 1.8 min; 1024 pick the luckiest leg, -0.4 min; 256 gives +0.1 min, MAE 1.4 min)
GATEWAY_NODES = 256
#: ... lying within this distance of the nearest one (metres): the edge of the network facing it.
GATEWAY_MARGIN_METRES = 3_000.0
#: A point near the roads joins the nearest of the segments meeting its this many nearest nodes.
EDGE_CANDIDATE_NODES = 8
#: Points per block of the nearest-segment search (bounds its temporaries).
SNAP_BLOCK_POINTS = 50_000


@dataclass(frozen=True)
class Snap:
    """Snapping result for n points.

    ``node_idx``: the nearer end of the point's nearest segment; ``distance_metres``: the
    straight line to the nearest point of that segment; ``segment`` (index into
    :class:`Segments`, -1: none) and ``fraction`` (0 at its ``lo`` end, 1 at its ``hi`` end)
    say where on it.
    """

    node_idx: np.ndarray
    distance_metres: np.ndarray
    within_tolerance: np.ndarray
    segment: np.ndarray | None = None
    fraction: np.ndarray | None = None

    @property
    def n_unsnapped(self) -> int:
        """Points beyond the snap tolerance."""
        return int((~self.within_tolerance).sum())


class Snapper:
    """KD-tree over a network's main component (build once per network, reuse)."""

    def __init__(self, network: Network) -> None:
        from scipy.spatial import cKDTree

        self.network = network
        self._nodes = np.flatnonzero(network.main_component)
        xy = np.column_stack([network.node_x[self._nodes], network.node_y[self._nodes]])
        self._tree = cKDTree(xy)

    @cached_property
    def segments(self) -> Segments:
        """The main component's road segments (built on first use)."""
        return Segments.of(self.network)

    def snap(self, xy: np.ndarray, *, tolerance_metres: float) -> Snap:
        """Nearest point of the main component's roads to each ``(x, y)`` point (metres)."""
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        if len(xy) == 0:
            empty = np.zeros(0)
            return Snap(np.zeros(0, dtype=np.int64), empty, np.zeros(0, dtype=bool),
                        np.zeros(0, dtype=np.int64), empty)
        k = min(EDGE_CANDIDATE_NODES, len(self._nodes))
        _, pos = self._tree.query(xy, k=k)
        cand = self._nodes[np.asarray(pos).reshape(len(xy), k)]
        parts = [self.segments.nearest(xy[i:i + SNAP_BLOCK_POINTS], cand[i:i + SNAP_BLOCK_POINTS],
                                       self.network)
                 for i in range(0, len(xy), SNAP_BLOCK_POINTS)]  # blocks bound memory
        seg, frac, dist, node = (np.concatenate(a) for a in zip(*parts, strict=True))
        within = dist <= tolerance_metres
        if (~within).any():
            logger.info("%d of %d points are more than %g m from the %s network",
                        int((~within).sum()), len(xy), tolerance_metres, self.network.mode)
        return Snap(node, dist, within, seg, frac)

    def join(self, xy: np.ndarray, *, tolerance_metres: float, mode: TravelMode, beyond: Any = None,
             arriving: bool = False) -> Joins:
        """How each point joins the network (see the module docstring).

        ``beyond`` is the estimate router that times links for points beyond the tolerance
        (``None``: they are not joined).  ``arriving``: the point is where trips end (a site;
        links are timed from the network to the point), else where they start (an origin).
        Vectorised: one KD-tree query for all far points.
        """
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        snap = self.snap(xy, tolerance_metres=tolerance_metres)
        near = np.flatnonzero(snap.within_tolerance)
        p_near, n_near, s_near = self.segments.links(snap, near, arriving=arriving)
        point = [p_near]
        node = [n_near]
        metres = [snap.distance_metres[p_near]]
        seconds = [connector_seconds(snap.distance_metres[p_near], mode) + s_near]
        estimated = [np.zeros(len(p_near), dtype=bool)]
        far = np.flatnonzero(~snap.within_tolerance)
        if beyond is not None and len(far):
            far = far[snap.distance_metres[far] <= float(beyond.max_leg_km) * 1000.0]
        if beyond is not None and len(far):
            k = min(GATEWAY_NODES, len(self._nodes))
            dist, pos = self._tree.query(xy[far], k=k)
            dist, pos = dist.reshape(len(far), k), pos.reshape(len(far), k)
            keep = dist <= dist[:, :1] + GATEWAY_MARGIN_METRES
            rows, cols = np.nonzero(keep)  # row-major: links stay grouped by point
            leg_km = dist[rows, cols] / 1000.0
            classes = beyond.origin_classes(xy[far])[rows]
            point.append(far[rows])
            node.append(self._nodes[pos[rows, cols]].astype(np.int64))
            metres.append(dist[rows, cols])
            seconds.append(beyond.leg_minutes_for_km(leg_km, classes) * 60.0)
            estimated.append(np.ones(len(rows), dtype=bool))
        p = np.concatenate(point)
        order = np.argsort(p, kind="stable")
        return Joins(point=p[order], node=np.concatenate(node)[order].astype(np.int64),
                     seconds=np.concatenate(seconds)[order], metres=np.concatenate(metres)[order],
                     estimated=np.concatenate(estimated)[order], snap=snap)


@dataclass(frozen=True)
class Segments:
    """A network's road segments between main-component nodes, for snapping onto roads.

    ``lo < hi`` are the segment's end nodes; ``up_seconds`` / ``down_seconds`` the least seconds
    of its directed edges ``lo -> hi`` / ``hi -> lo`` (``inf``: not allowed, a one-way street);
    ``indptr`` / ``of_node``: the segments meeting each node (CSR).
    """

    lo: np.ndarray
    hi: np.ndarray
    up_seconds: np.ndarray
    down_seconds: np.ndarray
    indptr: np.ndarray
    of_node: np.ndarray

    @classmethod
    def of(cls, net: Network) -> Segments:
        """The segments of ``net``'s main component (vectorised; parallel edges to their least time)."""
        main = net.main_component
        u, v = net.edge_u.astype(np.int64), net.edge_v.astype(np.int64)
        keep = main[u] & main[v] & (u != v)
        u, v, secs = u[keep], v[keep], np.asarray(net.edge_seconds, dtype=float)[keep]
        lo, hi = np.minimum(u, v), np.maximum(u, v)
        key, seg = np.unique(lo * net.n_nodes + hi, return_inverse=True)
        up, down = np.full(len(key), np.inf), np.full(len(key), np.inf)
        np.minimum.at(up, seg[u < v], secs[u < v])
        np.minimum.at(down, seg[u > v], secs[u > v])
        lo, hi = key // net.n_nodes, key % net.n_nodes
        ends = np.concatenate([lo, hi])
        order = np.argsort(ends, kind="stable")
        indptr = np.concatenate([[0], np.cumsum(np.bincount(ends, minlength=net.n_nodes))])
        of_node = np.tile(np.arange(len(key)), 2)[order]
        return cls(lo=lo, hi=hi, up_seconds=up, down_seconds=down, indptr=indptr, of_node=of_node)

    def nearest(self, xy: np.ndarray, cand: np.ndarray,
                net: Network) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per point, the nearest of the segments meeting its candidate nodes ``cand`` (n x k):
        ``(segment, fraction along it, distance metres, nearer end node)``."""
        n, k = cand.shape
        flat = cand.ravel()
        counts = self.indptr[flat + 1] - self.indptr[flat]
        point = np.repeat(np.repeat(np.arange(n), k), counts)
        first = np.repeat(self.indptr[flat] - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
        seg = self.of_node[first + np.arange(len(first))]
        ax, ay = net.node_x[self.lo[seg]], net.node_y[self.lo[seg]]
        dx, dy = net.node_x[self.hi[seg]] - ax, net.node_y[self.hi[seg]] - ay
        px, py = xy[point, 0] - ax, xy[point, 1] - ay
        length2 = dx * dx + dy * dy
        t = np.clip((px * dx + py * dy) / np.where(length2 > 0, length2, 1.0), 0.0, 1.0)
        dist = np.hypot(px - t * dx, py - t * dy)
        order = np.lexsort((dist, point))
        best = order[np.r_[True, point[order][1:] != point[order][:-1]]] if len(order) else order
        # every main-component node meets a segment, so each point has candidates; else its node
        out_seg, out_t = np.full(n, -1, dtype=np.int64), np.zeros(n)
        out_d = np.hypot(xy[:, 0] - net.node_x[cand[:, 0]], xy[:, 1] - net.node_y[cand[:, 0]])
        out_node = cand[:, 0].astype(np.int64)
        pts = point[best]
        out_seg[pts], out_t[pts], out_d[pts] = seg[best], t[best], dist[best]
        out_node[pts] = np.where(t[best] <= 0.5, self.lo[seg[best]], self.hi[seg[best]])
        return out_seg, out_t, out_d, out_node

    def links(self, snap: Snap, points: np.ndarray, *,
              arriving: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(point, node, seconds along the segment)`` linking ``points`` to their segment's ends.

        Leaving a point (an origin) the trip runs on to ``hi`` over ``lo -> hi`` or back to ``lo``
        over ``hi -> lo``; arriving (a site) it comes from ``lo`` over ``lo -> hi`` or from ``hi``
        over ``hi -> lo``; each over its share of the segment, and only where the mode may.
        """
        n = len(points)
        seg = snap.segment[points] if snap.segment is not None else np.full(n, -1, dtype=np.int64)
        t = snap.fraction[points] if snap.fraction is not None else np.zeros(n)
        s = np.clip(seg, 0, None)
        lo, hi = (self.lo[s], self.hi[s]) if len(self.lo) else (np.zeros(n, np.int64),) * 2
        up, down = ((self.up_seconds[s], self.down_seconds[s]) if len(self.lo)
                    else (np.full(n, np.inf),) * 2)
        if arriving:  # from lo over lo -> hi, from hi over hi -> lo
            ends, share, secs = np.stack([lo, hi], 1), np.stack([t, 1.0 - t], 1), np.stack([up, down], 1)
        else:  # on to hi over lo -> hi, back to lo over hi -> lo
            ends, share, secs = np.stack([hi, lo], 1), np.stack([1.0 - t, t], 1), np.stack([up, down], 1)
        along = np.where(share > 0, share * np.where(np.isfinite(secs), secs, 0.0), 0.0)
        ok = (share <= 0) | np.isfinite(secs)
        none = seg[:, None] < 0  # no segment: its node alone, at no cost
        ends = np.where(none, snap.node_idx[points][:, None], ends)
        along = np.where(none, 0.0, along)
        ok = np.where(none, np.arange(2) == 0, ok)
        rows, cols = np.nonzero(ok)  # row-major: links stay grouped by point
        return points[rows], ends[rows, cols].astype(np.int64), along[rows, cols]


@dataclass(frozen=True)
class Joins:
    """Links joining n points to a network, grouped by point (``point`` is sorted).

    Each link ``point[i] -> node[i]`` takes ``seconds[i]`` over ``metres[i]`` of straight line;
    ``estimated[i]`` marks links timed by the calibrated estimate (the point lies beyond the
    roads).  A point without links is not joined (too far; reported by the caller).
    """

    point: np.ndarray
    node: np.ndarray
    seconds: np.ndarray
    metres: np.ndarray
    estimated: np.ndarray
    snap: Snap

    @property
    def n_points(self) -> int:
        """Number of points joined or not."""
        return len(self.snap.node_idx)

    @property
    def joined(self) -> np.ndarray:
        """Boolean per point: at least one link."""
        return np.bincount(self.point, minlength=self.n_points) > 0

    @property
    def beyond_roads(self) -> np.ndarray:
        """Boolean per point: joined by estimated links (it lies beyond the roads)."""
        return np.bincount(self.point[self.estimated], minlength=self.n_points) > 0

    def best(self, node_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per point: the least ``seconds + node_values[node]`` over its links, and that link.

        ``node_values`` is 1-D (one value per node) or 2-D (rows x nodes: one answer per row).
        Points without links give ``inf`` and link -1.
        """
        vals = np.asarray(node_values, dtype=float)
        total = vals[..., self.node] + self.seconds
        shape = (*vals.shape[:-1], self.n_points)
        best = np.full(shape, np.inf)
        link = np.full(shape, -1, dtype=np.int64)
        if not len(self.point):
            return best, link
        starts = np.flatnonzero(np.r_[True, self.point[1:] != self.point[:-1]])
        pts = self.point[starts]
        if len(starts) == len(self.point):  # one link per point: no reduction needed
            best[..., pts] = total
            link[..., pts] = np.arange(len(self.point))
            return best, link
        mins = np.minimum.reduceat(total, starts, axis=-1)
        best[..., pts] = mins
        # the link giving the minimum: the first link of the group whose total equals it
        group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(self.point)]))
        hit = total == mins[..., group]
        idx = np.where(hit, np.arange(len(self.point)), len(self.point))
        first = np.minimum.reduceat(idx, starts, axis=-1)
        link[..., pts] = np.where(np.isfinite(mins), first, -1)
        return best, link


def connector_seconds(distance_metres: np.ndarray, mode: TravelMode) -> np.ndarray:
    """Time to cover a snap distance at the mode's connector speed."""
    return np.asarray(distance_metres, dtype=float) / (mode.profile.connector_kph / 3.6)
