"""How wrong a travel time can be: the measured error of each router, by distance band.

One small interface, :func:`travel_error_bands` ``(mode, method)``, answers for every router:

* ``estimate`` -- the calibrated straight-line estimate's held-out errors against real road
  times (:data:`geo.travel.estimate.MODEL`, fitted by ``benchmarks/calibrate_estimate.py``);
* ``network`` -- the OpenStreetMap road router's error against an independent engine
  (Valhalla on the bundled Rutland roads), read from :mod:`geo.travel.accuracy` when that module
  is installed.  Until it is, the estimate's held-out spread is used *centred on zero*
  (``reference`` says so): a stand-in wider than the road router's own error, never narrower;
* ``transit`` -- no measured error (``None``): public-transport figures carry no travel-time range.

Errors are ``router minutes - reference minutes`` per straight-line distance band: the 10th and
90th percentiles and the mean (bias).  :meth:`ErrorBands.minutes_range` turns them into a
low-high range of the *true* minutes, :meth:`ErrorBands.normal` into the normal distribution
with the same 10th and 90th percentiles that :mod:`geo.measures.uncertainty` draws from.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from geo.config import Settings

logger = logging.getLogger(__name__)

#: z-score of the 90th percentile of a standard normal (10th-90th = 2 x 1.2816 sd).
Z90 = 1.2815515655446004


@dataclass(frozen=True)
class ErrorBands:
    """Measured ``router - reference`` minutes per straight-line distance band.

    Attributes
    ----------
    mode, method : the router these errors belong to.
    edges_km : band edges (straight-line km), e.g. ``(0, 2, 5, 10, 20, 60)``.
    p10, p90, bias : per band, minutes (10th/90th percentile and mean of the error).
    reference : what the router was compared with, in words (shown with every range).
    """

    mode: str
    method: str
    edges_km: tuple[float, ...]
    p10: tuple[float, ...]
    p90: tuple[float, ...]
    bias: tuple[float, ...]
    reference: str

    def _interp(self, km: Any, values: tuple[float, ...]) -> np.ndarray:
        """Linear between band midpoints, flat beyond the first and last (as the estimate does)."""
        e = np.asarray(self.edges_km, dtype=float)
        mids = 0.5 * (e[:-1] + e[1:])
        return np.interp(np.asarray(km, dtype=float), mids, np.asarray(values, dtype=float))

    def quantiles(self, km: Any) -> tuple[np.ndarray, np.ndarray]:
        """10th and 90th percentile of the error (minutes) at straight-line ``km``."""
        return self._interp(km, self.p10), self._interp(km, self.p90)

    def normal(self, km: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(mean, sd)`` of the normal with the band's 10th and 90th percentiles at ``km``."""
        p10, p90 = self.quantiles(km)
        return 0.5 * (p10 + p90), np.maximum(p90 - p10, 0.0) / (2.0 * Z90)

    def minutes_range(self, minutes: Any, km: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(low, high)`` true minutes for router ``minutes`` at straight-line ``km``.

        ``true = router - error``: ``low = minutes - p90``, ``high = minutes - p10``, widened to
        contain ``minutes`` and never below 0 (the estimate's own rule; NaN stays NaN).
        """
        m = np.asarray(minutes, dtype=float)
        p10, p90 = self.quantiles(km)
        low = np.maximum(m - np.maximum(p90, 0.0), 0.0)
        high = m - np.minimum(p10, 0.0)
        return low, high

    @property
    def widest_sd_minutes(self) -> float:
        """Largest standard deviation of any band (for safety margins)."""
        return float(np.max(np.subtract(self.p90, self.p10)) / (2.0 * Z90)) if self.p10 else 0.0

    def describe(self) -> str:
        """One line: the reference and the 10th-90th percentile spread under 5 km."""
        p10, p90 = self.quantiles(np.array([3.5]))
        return (f"{self.mode} {self.method} travel-time error against {self.reference}: "
                f"{float(p10[0]):+.1f} to {float(p90[0]):+.1f} min (10th-90th percentile) at 2-5 km")


def _estimate_bands(mode: str, settings: Settings | None) -> ErrorBands:
    from geo.travel.estimate import BAND_EDGES_KM, band_labels, calibrate

    cal = calibrate(settings, mode=mode)
    rows = np.array([cal.error_bands[label] for label in band_labels()], dtype=float)
    scale = cal.speed_scale
    return ErrorBands(mode=mode, method="estimate", edges_km=tuple(float(x) for x in BAND_EDGES_KM),
                      p10=tuple(rows[:, 0] * scale), p90=tuple(rows[:, 1] * scale),
                      bias=tuple(rows[:, 2] * scale),
                      reference="real road times, held out by geography (estimate calibration)")


def _network_bands(mode: str, settings: Settings | None) -> ErrorBands:
    """The road router's measured error (geo.travel.accuracy), or the centred estimate stand-in."""
    try:
        from geo.travel import accuracy  # type: ignore[attr-defined]
    except ImportError:
        accuracy = None
    if accuracy is not None and hasattr(accuracy, "travel_error_bands"):
        measured = accuracy.travel_error_bands(mode, "network")
        if measured is not None:
            return ErrorBands(mode=mode, method="network", edges_km=tuple(measured.edges_km),
                              p10=tuple(measured.p10), p90=tuple(measured.p90), bias=tuple(measured.bias),
                              reference=str(measured.reference))
    est = _estimate_bands(mode, settings)
    half = 0.5 * (np.asarray(est.p90) - np.asarray(est.p10))
    return ErrorBands(mode=mode, method="network", edges_km=est.edges_km, p10=tuple(-half), p90=tuple(half),
                      bias=tuple(0.0 for _ in half),
                      reference=("no independent engine measured yet: the estimate's held-out spread, "
                                 "centred on zero (wider than the road router's own error)"))


def travel_error_bands(mode: str, method: str, settings: Settings | None = None) -> ErrorBands | None:
    """The measured error of the router for ``mode`` and ``method`` (``None``: not measured).

    ``method`` is ``"estimate"`` or ``"network"``; transit (``"transit"``) and anything else
    has no measured error and gives ``None``.
    """
    mode, method = str(mode), str(method)
    if mode not in {"drive", "walk", "cycle"}:
        return None
    if method == "estimate":
        return _estimate_bands(mode, settings)
    if method == "network":
        return _network_bands(mode, settings)
    return None


__all__ = ["ErrorBands", "travel_error_bands"]
