"""Join points (LSOA centroids, sites) to a routable network.

A KD-tree in EPSG:27700 metres over the nodes of the network's largest strongly connected
component, so a point is never joined to an island it cannot leave.

* A point within ``Settings.snap_tolerance_metres`` of the roads joins its nearest node by one
  *connector* link, timed over the straight line at the mode's ``connector_kph``
  (:class:`~geo.travel.modes.ModeProfile`).
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


@dataclass(frozen=True)
class Snap:
    """Snapping result for n points."""

    node_idx: np.ndarray
    distance_metres: np.ndarray
    within_tolerance: np.ndarray

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

    def snap(self, xy: np.ndarray, *, tolerance_metres: float) -> Snap:
        """Nearest main-component node of each ``(x, y)`` point (metres)."""
        if len(xy) == 0:
            empty = np.zeros(0)
            return Snap(np.zeros(0, dtype=np.int64), empty, np.zeros(0, dtype=bool))
        dist, pos = self._tree.query(np.asarray(xy, dtype=float), k=1)
        node = self._nodes[pos].astype(np.int64)
        within = dist <= tolerance_metres
        if (~within).any():
            logger.info("%d of %d points are more than %g m from the %s network",
                        int((~within).sum()), len(xy), tolerance_metres, self.network.mode)
        return Snap(node, np.asarray(dist, dtype=float), within)

    def join(self, xy: np.ndarray, *, tolerance_metres: float, mode: TravelMode, beyond: Any = None) -> Joins:
        """How each point joins the network (see the module docstring).

        ``beyond`` is the estimate router that times links for points beyond the tolerance
        (``None``: they are not joined).  Vectorised: one KD-tree query for all far points.
        """
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        snap = self.snap(xy, tolerance_metres=tolerance_metres)
        near = np.flatnonzero(snap.within_tolerance)
        point = [near]
        node = [snap.node_idx[near]]
        metres = [snap.distance_metres[near]]
        seconds = [connector_seconds(snap.distance_metres[near], mode)]
        estimated = [np.zeros(len(near), dtype=bool)]
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
