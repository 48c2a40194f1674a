"""Bookkeeping of the mixed method (roads inside a network, the calibrated estimate beyond it).

:class:`~geo.travel.routing.NetworkRouter` joins points beyond its roads by estimated links
(:meth:`geo.travel.snapping.Snapper.join`); this module finds, for each origin's chosen trip,
which legs were estimated and how long they are (:class:`Legs`), so the router can label the
trip ``network``, ``mixed`` or ``estimate`` and give its range from the estimate's held-out errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from geo.travel.graph import Network
    from geo.travel.snapping import Joins


def path_roots(pred: np.ndarray, n: int) -> np.ndarray:
    """For every real node, the first real node on its shortest path from the (virtual) source.

    Pointer doubling over the predecessor tree (``log2`` of the path length in vectorised
    steps).  Unreached nodes and nodes entered straight from a source are their own root.
    """
    p = np.asarray(pred[:n])
    up = np.where((p >= 0) & (p < n), p, np.arange(n))
    while True:
        nxt = up[up]
        if np.array_equal(nxt, up):
            return up
        up = nxt


@dataclass
class Legs:
    """The estimated legs of each origin's chosen trip: beyond the roads at the origin's end
    (``origin_km``), at the site's end (``site_km``), or the whole trip (``direct``).  Each leg
    is timed -- and its error looked up -- for the urban/rural class of its far end."""

    origin_km: np.ndarray
    site_km: np.ndarray
    origin_xy: np.ndarray
    site_xy: np.ndarray
    direct: np.ndarray

    @classmethod
    def of(cls, net: Network, sj: Joins, oj: Joins, sites_xy: np.ndarray, origins_xy: np.ndarray,
           site_idx: np.ndarray, link: np.ndarray, gateway: np.ndarray) -> Legs:
        """The legs of each origin's chosen trip: ``link`` is its joining link (-1: none), ``gateway``
        the node its path entered the network by from the site's side."""
        n = len(site_idx)
        has = site_idx >= 0
        take = np.clip(site_idx, 0, None)
        lk = np.clip(link, 0, None)
        o_est = has & oj.estimated[lk] if len(oj.point) else np.zeros(n, dtype=bool)
        s_est = has & sj.beyond_roads[take] if len(sites_xy) else np.zeros(n, dtype=bool)
        sxy = sites_xy[take] if len(sites_xy) else np.zeros((n, 2))
        gxy = np.column_stack([net.node_x[gateway], net.node_y[gateway]])
        origin_km = np.where(o_est, oj.metres[lk] / 1000.0 if len(oj.point) else 0.0, 0.0)
        site_km = np.where(s_est, np.hypot(*(gxy - sxy).T) / 1000.0, 0.0)
        return cls(origin_km=origin_km, site_km=site_km, origin_xy=origins_xy, site_xy=sxy,
                   direct=np.zeros(n, dtype=bool))

    def direct_estimate(self, beyond: Any, sj: Joins, oj: Joins, sites_xy: np.ndarray,
                        total: np.ndarray, site_idx: np.ndarray) -> None:
        """Where both ends lie beyond the roads, the estimate alone when it is quicker.

        Updates ``total`` (seconds), ``site_idx`` and the legs in place.
        """
        from scipy.spatial import cKDTree

        far_s, far_o = np.flatnonzero(sj.beyond_roads), np.flatnonzero(oj.beyond_roads)
        if not len(far_s) or not len(far_o):
            return
        # for a fixed origin the estimate rises with distance: the nearest in a straight line wins
        metres, j = cKDTree(sites_xy[far_s]).query(self.origin_xy[far_o], k=1)
        km = np.asarray(metres, dtype=float) / 1000.0
        secs = beyond.minutes_for_km(km, beyond.origin_classes(self.origin_xy[far_o])) * 60.0
        better = secs < total[far_o]
        rows = far_o[better]
        total[rows] = secs[better]
        site_idx[rows] = far_s[j[better]]
        self.direct[rows] = True
        self.origin_km[rows] = km[better]
        self.site_km[rows] = 0.0

    def method(self) -> np.ndarray:
        """``network``, ``mixed`` or ``estimate`` per origin."""
        est = (self.origin_km > 0) | (self.site_km > 0)
        return np.where(self.direct, "estimate", np.where(est, "mixed", "network"))

    def range(self, beyond: Any, minutes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(low, high)`` minutes: each estimated leg at its 10th-90th percentile error range.

        Roads-only trips keep ``low == high == minutes``; the legs' ranges add (a cautious bound
        when a trip has two estimated legs).
        """
        low, high = minutes.copy(), minutes.copy()
        for km, xy in ((self.origin_km, self.origin_xy), (self.site_km, self.site_xy)):
            sel = (km > 0) & np.isfinite(minutes)
            if not sel.any():
                continue
            cls = beyond.origin_classes(xy[sel])
            # a direct trip (both ends beyond the roads) is a whole estimated trip, not a leg
            leg = np.where(self.direct[sel], beyond.minutes_for_km(km[sel], cls),
                           beyond.leg_minutes_for_km(km[sel], cls))
            lo_t, hi_t = beyond.minutes_range(km[sel], cls)
            lo_l, hi_l = beyond.leg_minutes_range(km[sel], cls)
            lo = np.where(self.direct[sel], lo_t, lo_l)
            hi = np.where(self.direct[sel], hi_t, hi_l)
            low[sel] = np.maximum(low[sel] + lo - leg, 0.0)
            high[sel] += hi - leg
        return low, high


__all__ = ["Legs", "path_roots"]
