"""The travel-time error every range is drawn from, built on the measured errors of :mod:`geo.travel.accuracy`.

:func:`geo.travel.accuracy.travel_error_bands` holds what was *measured* (per mode, method and
straight-line distance band: bias and 10th/90th percentile of ``method - reference``).  This
module decides how the ranges *use* it -- one :class:`ErrorModel` per router:

* ``estimate`` -- the estimate's held-out errors against our road router (the calibration the
  estimate was fitted with), bias included: ``true = estimate - error``.  Walk and cycle errors
  scale with the speeds in :class:`~geo.config.Settings`, as the estimate's minutes do;
* ``network`` -- the road router against Valhalla on the same OpenStreetMap roads.  Valhalla is
  another model of the same roads, not the truth, so the disagreement sets the *size* of the
  error and not its direction: each band's error is a normal centred on zero whose standard
  deviation is the root-mean-square disagreement, ``sqrt(bias^2 + sd^2)`` (our router's mean
  +1 to +2 minutes against Valhalla on 5-20 km drives widens the range both ways instead of
  being subtracted from every journey);
* ``transit`` (or anything unmeasured) -- ``None``: no travel-time range.

:meth:`ErrorModel.minutes_range` gives the low-high range of one journey (per-LSOA
``minutes_low``/``minutes_high``); :meth:`ErrorModel.normal` the normal distribution with the same
10th and 90th percentiles that :mod:`geo.measures.uncertainty` draws journeys from.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from geo.travel.modes import TravelMode

if TYPE_CHECKING:
    from geo.config import Settings

logger = logging.getLogger(__name__)

#: z-score of the 90th percentile of a standard normal (10th-90th = 2 x 1.2816 sd).
Z90 = 1.2815515655446004


@dataclass(frozen=True)
class ErrorModel:
    """``router - true`` minutes per straight-line distance band, as the ranges use it.

    Attributes
    ----------
    mode, method : the router these errors belong to.
    edges_km : band edges (straight-line km), e.g. ``(0, 2, 5, 10, 20, 60)``.
    p10, p90 : per band, minutes (10th/90th percentile of the error).
    reference : what the router was compared with, in words (shown with every range).
    centred : True when the measured spread is used centred on zero (the road router).
    """

    mode: str
    method: str
    edges_km: tuple[float, ...]
    p10: tuple[float, ...]
    p90: tuple[float, ...]
    reference: str
    centred: bool = False

    def quantiles(self, km: Any) -> tuple[np.ndarray, np.ndarray]:
        """10th and 90th percentile of the error (minutes) at straight-line ``km``.

        Linear between band midpoints, flat beyond the first and last (as the accuracy tables are read).
        """
        from geo.travel.accuracy import interpolate_bands

        e = self.edges_km
        return interpolate_bands(np.asarray(km, dtype=float), list(zip(e[:-1], e[1:], strict=True)),
                                 list(self.p10), list(self.p90))

    def normal(self, km: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(mean, sd)`` of the normal with the band's 10th and 90th percentiles at ``km``."""
        p10, p90 = self.quantiles(km)
        return 0.5 * (p10 + p90), np.maximum(p90 - p10, 0.0) / (2.0 * Z90)

    def minutes_range(self, minutes: Any, km: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(low, high)`` true minutes for router ``minutes`` at straight-line ``km``.

        ``true = router - error``: ``low = minutes - p90``, ``high = minutes - p10``, widened to
        contain ``minutes`` and never below 0 (NaN stays NaN).
        """
        m = np.asarray(minutes, dtype=float)
        p10, p90 = self.quantiles(km)
        return np.maximum(m - np.maximum(p90, 0.0), 0.0), m - np.minimum(p10, 0.0)

    @property
    def widest_sd_minutes(self) -> float:
        """Largest standard deviation of any band (for safety margins)."""
        return float(np.max(np.subtract(self.p90, self.p10)) / (2.0 * Z90)) if self.p10 else 0.0

    def describe(self) -> str:
        """One line: the reference and the 10th-90th percentile error at 2-5 and 5-10 km."""
        p10, p90 = self.quantiles(np.array([3.5, 7.5]))
        how = ", centred on zero" if self.centred else ""
        return (f"{self.mode} {self.method} travel-time error against {self.reference}{how}: "
                f"{float(p10[0]):+.1f} to {float(p90[0]):+.1f} min at 2-5 km, "
                f"{float(p10[1]):+.1f} to {float(p90[1]):+.1f} min at 5-10 km (10th-90th percentile)")


def travel_error_model(mode: str | TravelMode, method: str, settings: Settings | None = None) -> ErrorModel | None:
    """The error the ranges of a ``mode``/``method`` router are drawn from (``None``: unmeasured)."""
    from geo.travel.accuracy import travel_error_bands

    mode, method = str(mode), str(method)
    if mode not in TravelMode.road_modes() or method not in {"estimate", "network"}:
        return None
    bands = travel_error_bands(mode, method)
    if bands is None:
        return None
    edges = (*(b.lo_km for b in bands.bands), bands.bands[-1].hi_km)
    p10 = np.array([b.p10_minutes for b in bands.bands], dtype=float)
    p90 = np.array([b.p90_minutes for b in bands.bands], dtype=float)
    if method == "network":
        bias = np.array([b.bias_minutes for b in bands.bands], dtype=float)
        rms = np.sqrt(bias**2 + ((p90 - p10) / (2.0 * Z90)) ** 2)  # the disagreement's size, either way
        half = Z90 * rms
        return ErrorModel(mode=mode, method=method, edges_km=tuple(map(float, edges)), p10=tuple(-half),
                          p90=tuple(half), reference=bands.reference, centred=True)
    from geo.travel.estimate import calibrate

    scale = calibrate(settings, mode=mode).speed_scale
    return ErrorModel(mode=mode, method=method, edges_km=tuple(map(float, edges)), p10=tuple(p10 * scale),
                      p90=tuple(p90 * scale), reference=bands.reference)


__all__ = ["ErrorModel", "travel_error_model"]
