"""Straight-line travel-time estimate, calibrated on real road times, with an error range.

Used where no road network is loaded (e.g. Northamptonshire offline) and labelled
**estimate** everywhere it shows.

Model
-----
For each mode (drive, walk, cycle) and urban/rural class of the origin (ONS RUC 2021, taken from
the nearest LSOA population-weighted centroid)::

    minutes = overhead + 60 * circuity * km / v(km),
    v(km) = v_long - (v_long - v_short) * exp(-km / k_km)

``km`` is the straight-line distance, ``circuity`` the measured road/straight-line ratio and
``v(km)`` an effective speed that rises from ``v_short`` (short trips: side streets, junctions,
the extra detour of short trips) to ``v_long`` (longer trips reach faster roads).  ``overhead``
(a fraction of a minute to a few minutes) is getting going and arriving: the legs between a
point and the road, the first and last junctions.  The time rises strictly with distance for any
``0 < v_short <= v_long``, so the nearest site in a straight line is also the nearest in
estimated minutes.

The fitted coefficients and the model's arithmetic (:class:`Calibration`) are in
:mod:`geo.travel.estimate_model`; this module is the router that applies them.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from geo.config import Settings
from geo.travel.estimate_model import (
    BAND_EDGES_KM,
    CLASSES,
    MODEL,
    MODEL_SOURCE,
    Calibration,
    band_labels,
    calibrate,
    curve_minutes,
)
from geo.travel.modes import Method, TravelMode

if TYPE_CHECKING:
    from scipy.spatial import cKDTree

    from geo.travel.base import NearestResult

logger = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _origin_classifier(data_dir: str, settings: Settings) -> tuple[cKDTree, np.ndarray]:
    from scipy.spatial import cKDTree

    from geo.data.tables import load_lsoa_table

    table = load_lsoa_table(settings)
    tree = cKDTree(table[["easting", "northing"]].to_numpy(float))
    return tree, table["urban_rural"].astype(str).to_numpy()


class EstimateRouter:
    """Straight-line minutes from the calibrated model (method ``"estimate"``).

    Each origin takes the rural-urban class of the nearest LSOA population-weighted centroid.
    For a fixed origin minutes rise with distance, so the nearest site is the closest one in
    a straight line (a KD-tree query; no dense matrix for :meth:`nearest`).
    :meth:`nearest_range` gives the low-high range of those minutes from the held-out errors.
    """

    method = Method.ESTIMATE.value
    #: Longest straight line the error table was measured on (km): the estimate's calibrated
    #: range, and the longest leg a mixed route may estimate beyond the roads.
    max_leg_km = BAND_EDGES_KM[-1]

    def __init__(self, *, mode: str | TravelMode = TravelMode.DRIVE, settings: Settings | None = None) -> None:
        self.mode = TravelMode.parse(mode)
        self.settings = settings if settings is not None else Settings.from_env()
        self.calibration = calibrate(self.settings, mode=self.mode)
        kph = self.mode.speed_kph(self.settings)
        speed = f" at {kph:g} km/h" if kph is not None else ""
        self.label = (f"{self.mode.heading}, straight-line ESTIMATE{speed} (no road network loaded; "
                      f"{self.calibration.describe()}; for real roads use --network PATH.osm.pbf)")

    def origin_classes(self, origins_xy: np.ndarray) -> np.ndarray:
        """Urban/Rural class of each origin (nearest LSOA centroid)."""
        tree, classes = _origin_classifier(str(self.settings.data_dir), self.settings)
        _, idx = tree.query(origins_xy, k=1)
        return classes[idx]

    def minutes_for_km(self, km: np.ndarray, classes: np.ndarray) -> np.ndarray:
        """Model minutes for straight-line ``km`` from origins of ``classes``."""
        return self.calibration.minutes(km, classes)

    def minutes_range(self, km: np.ndarray, classes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(low, high)`` minutes for straight-line ``km`` (10th-90th pct of held-out errors)."""
        return self.calibration.minutes_range(km, classes)

    def leg_minutes_for_km(self, km: np.ndarray, classes: np.ndarray) -> np.ndarray:
        """Minutes of a leg beyond a road network (see :meth:`Calibration.leg_minutes`)."""
        return self.calibration.leg_minutes(km, classes)

    def leg_minutes_range(self, km: np.ndarray, classes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(low, high)`` minutes of such a leg (10th-90th pct of held-out errors)."""
        return self.calibration.leg_minutes_range(km, classes)

    def site_origin_minutes(self, sites_xy: np.ndarray, origins_xy: np.ndarray, *,
                            max_minutes: float | None = None) -> np.ndarray:
        """``(n_sites, n_origins)`` estimated minutes."""
        from geo.travel.base import check_xy

        sites_xy = check_xy(sites_xy, what="sites")
        origins_xy = check_xy(origins_xy, what="origins")
        if len(sites_xy) == 0 or len(origins_xy) == 0:
            return np.full((len(sites_xy), len(origins_xy)), np.nan)
        cls = self.origin_classes(origins_xy)
        km = np.hypot(sites_xy[:, None, 0] - origins_xy[None, :, 0],
                      sites_xy[:, None, 1] - origins_xy[None, :, 1]) / 1000.0
        minutes = self.minutes_for_km(km, np.broadcast_to(cls, km.shape))
        if max_minutes is not None:
            minutes = np.where(minutes <= max_minutes, minutes, np.nan)
        return minutes

    def _nearest_km(self, sites_xy: np.ndarray, origins_xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from scipy.spatial import cKDTree

        dist, idx = cKDTree(sites_xy).query(origins_xy, k=1)
        return dist / 1000.0, idx.astype(np.int64)

    def nearest(self, sites_xy: np.ndarray, origins_xy: np.ndarray, *,
                max_minutes: float | None = None) -> NearestResult:
        """Nearest site by straight line and its estimated minutes."""
        from geo.travel.base import NearestResult, check_xy

        sites_xy = check_xy(sites_xy, what="sites")
        origins_xy = check_xy(origins_xy, what="origins")
        n = len(origins_xy)
        if len(sites_xy) == 0:
            return NearestResult(np.full(n, np.nan), np.full(n, -1, dtype=np.int64),
                                 np.zeros(n), np.full(n, np.nan), self.method)
        km, idx = self._nearest_km(sites_xy, origins_xy)
        minutes = self.minutes_for_km(km, self.origin_classes(origins_xy))
        if max_minutes is not None:
            beyond = minutes > max_minutes
            minutes = np.where(beyond, np.nan, minutes)
            idx = np.where(beyond, -1, idx)
        return NearestResult(minutes=minutes, site_index=idx, origin_snap_metres=np.zeros(n),
                             site_snap_metres=np.where(idx >= 0, 0.0, np.nan), method=self.method)

    def nearest_range(self, sites_xy: np.ndarray, origins_xy: np.ndarray, *,
                      max_minutes: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(low, high)`` minutes to the nearest site (NaN where :meth:`nearest` gives NaN)."""
        from geo.travel.base import check_xy

        sites_xy = check_xy(sites_xy, what="sites")
        origins_xy = check_xy(origins_xy, what="origins")
        n = len(origins_xy)
        if len(sites_xy) == 0:
            return np.full(n, np.nan), np.full(n, np.nan)
        km, _ = self._nearest_km(sites_xy, origins_xy)
        cls = self.origin_classes(origins_xy)
        low, high = self.minutes_range(km, cls)
        if max_minutes is not None:
            beyond = self.minutes_for_km(km, cls) > max_minutes
            low, high = np.where(beyond, np.nan, low), np.where(beyond, np.nan, high)
        return low, high


__all__ = ["BAND_EDGES_KM", "CLASSES", "MODEL", "MODEL_SOURCE", "Calibration", "EstimateRouter", "band_labels",
           "calibrate", "curve_minutes"]
