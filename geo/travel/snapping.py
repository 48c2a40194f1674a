"""Join points (LSOA centroids, sites) to the nearest routable network node.

A KD-tree in EPSG:27700 metres over the nodes of the network's largest strongly connected
component, so a point is never joined to an island it cannot leave.  The straight-line snap
distance is returned and later converted to time at a connector speed (see
:data:`CONNECTOR_KPH`); points further than ``Settings.snap_tolerance_metres`` are flagged
as *unsnapped* and reported, never silently dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from geo.travel.network import Network

logger = logging.getLogger(__name__)

#: Speed (km/h) over the straight line between a point and its network node: walking for
#: walk, a slow cycle for cycle, and for driving the residential-street speed of the class table
#: (the leg stands for the access roads, driveways and car parks the drive network leaves out,
#: and for an LSOA centroid, for the streets its residents actually join the network by).
CONNECTOR_KPH = {"drive": 32.0, "walk": 4.8, "cycle": 12.0}


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


def connector_seconds(distance_metres: np.ndarray, mode: str) -> np.ndarray:
    """Time to cover a snap distance at the mode's connector speed."""
    return np.asarray(distance_metres, dtype=float) / (CONNECTOR_KPH[mode] / 3.6)
