"""The fitted straight-line estimate: coefficients per mode and class, and their arithmetic.

The model (see :mod:`geo.travel.estimate`, which routes with it) is, per mode and urban/rural
class of the origin, ``minutes = overhead + 60 * circuity * km / v(km)`` with
``v(km) = v_long - (v_long - v_short) * exp(-km / k_km)``.

How the coefficients were made
------------------------------
:data:`MODEL` is the output of ``benchmarks/calibrate_estimate.py`` (a model, not data):

* real road minutes routed by :class:`~geo.travel.routing.NetworkRouter` on the bundled Rutland
  2018 OpenStreetMap extract, for drive, walk and cycle, from each of the 26 Rutland LSOA
  population-weighted centroids (the estimate's one use) to every point within 40 km among
  361: the other centroids, 14 town and village centres, the pharmacies and GP practices in
  Rutland and every n-th live Rutland postcode (~8,800 trips per mode);
* for drive also the SAMueL modelled road minutes from every England LSOA to its five nearest
  stroke units (< 60 km, ~158,000 trips), which set the long-distance speed.  SAMueL times carry
  a fixed overhead against free-flow OSM road times (its shortest trips take 6-9 min); one
  offset (``samuel_offset_minutes``) is fitted alongside, so the curve predicts what the
  network router would give;
* ``circuity`` is the median road km / straight-line km of Rutland trips of 2 km or more on the
  mode's own network (walk and cycle networks for walk and cycle, not an assumed factor).
* the curves are fitted to relative errors, robustly (soft-L1, outliers beyond 10%), each
  distance band weighing the same: the accuracy goals are relative, and a minute off a
  4-minute trip matters as much as ten off a 40-minute one.

Errors are measured out of sample by geography: the model fitted on the west of Rutland and
half of England's regions predicts the east of Rutland and the other regions, and the other
way round.  ``error_bands`` holds, per distance band, the 10th and 90th percentiles, the mean
(bias) and the mean absolute value of ``estimate - road minutes`` on those held-out trips;
:meth:`EstimateRouter.minutes_range` turns them into a low-high range for every estimate.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from geo.travel.modes import TravelMode

if TYPE_CHECKING:
    from geo.config import Settings

CLASSES = ("Urban", "Rural")
#: Straight-line distance bands (km) of the error table.
BAND_EDGES_KM = (0.0, 2.0, 5.0, 10.0, 20.0, 60.0)
#: Fitted by benchmarks/calibrate_estimate.py --update (see the module docstring).  ``curve`` is
#: ``(v_short_kph, v_long_kph, k_km, overhead_minutes)`` per class; ``error_bands`` is
#: ``(p10, p90, bias, mae)`` minutes of estimate - road per band, held out by geography, over
#: ``band_trips`` trips.
# <fitted: calibrate_estimate.py>
MODEL: dict[str, dict[str, Any]] = {
    'drive': {
        'circuity': {
            'Rural': 1.2369,
            'Urban': 1.2122,
        },
        'curve': {
            'Urban': (46.6499, 83.3668, 20.8181, 0.577),
            'Rural': (47.7832, 77.4256, 16.4284, 0.3978),
        },
        'error_bands': {
            '0-2': (-1.24, 0.24, -0.49, 0.6),
            '2-5': (-1.38, 1.0, -0.29, 0.81),
            '5-10': (-1.83, 1.9, 0.11, 1.21),
            '10-20': (-2.81, 1.53, -0.48, 1.35),
            '20-60': (-4.26, -1.04, -2.45, 2.52),
        },
        'band_trips': {
            '0-2': 1137,
            '2-5': 849,
            '5-10': 2943,
            '10-20': 3639,
            '20-60': 201,
        },
        'samuel_offset_minutes': 8.284,
        'samuel_mae_minutes': {
            'Urban': 4.42,
            'Rural': 5.15,
        },
    },
    'walk': {
        'circuity': {
            'Rural': 1.1923,
            'Urban': 1.1692,
        },
        'curve': {
            'Urban': (3.491, 4.8564, 2.4337, 0.0169),
            'Rural': (2.9847, 4.8175, 1.1338, 0.0),
        },
        'error_bands': {
            '0-2': (-5.68, 3.61, -0.57, 2.96),
            '2-5': (-10.17, 5.47, -1.73, 5.48),
            '5-10': (-15.32, 6.71, -3.13, 7.2),
            '10-20': (-18.18, 11.01, -2.94, 9.31),
            '20-60': (-21.26, 13.12, 0.48, 10.47),
        },
        'band_trips': {
            '0-2': 1143,
            '2-5': 931,
            '5-10': 3174,
            '10-20': 3830,
            '20-60': 224,
        },
    },
    'cycle': {
        'circuity': {
            'Rural': 1.2275,
            'Urban': 1.2025,
        },
        'curve': {
            'Urban': (11.3288, 16.144, 2.6095, 0.1498),
            'Rural': (9.8157, 15.9394, 1.5465, 0.006),
        },
        'error_bands': {
            '0-2': (-2.11, 1.16, -0.23, 0.99),
            '2-5': (-3.78, 2.01, -0.72, 2.01),
            '5-10': (-5.4, 2.65, -1.31, 2.73),
            '10-20': (-7.28, 3.58, -1.62, 3.53),
            '20-60': (-5.46, 4.89, 0.21, 3.4),
        },
        'band_trips': {
            '0-2': 1139,
            '2-5': 870,
            '5-10': 3005,
            '10-20': 3700,
            '20-60': 205,
        },
    },
}
# </fitted>
MODEL_SOURCE = ("real OSM road times in Rutland (drive, walk, cycle) and SAMueL LSOA to "
                "stroke-unit drive times, held out by geography")



def curve_minutes(km: np.ndarray, circuity: float, v_short: float, v_long: float,
                  k_km: float, overhead_minutes: float = 0.0) -> np.ndarray:
    """``overhead + 60 * circuity * km / v(km)``, ``v(km) = v_long - (v_long - v_short) * exp(-km / k_km)``."""
    km = np.asarray(km, dtype=float)
    v = v_long - (v_long - v_short) * np.exp(-km / k_km)
    return overhead_minutes + 60.0 * circuity * km / v


@dataclass(frozen=True)
class Calibration:
    """The fitted model of one mode (see the module docstring).

    Attributes
    ----------
    mode : the travel mode (drive, walk or cycle).
    circuity : road km / straight-line km per class.
    curve : ``(v_short_kph, v_long_kph, k_km, overhead_minutes)`` per class.
    error_bands : ``(p10, p90, bias, mae)`` minutes of estimate - road per band label.
    mae_minutes : held-out mean absolute error per class where measured (SAMueL, drive).
    speed_scale : minutes multiplier for walk/cycle speeds other than the fitted ones.
    """

    mode: TravelMode
    circuity: dict[str, float]
    curve: dict[str, tuple[float, ...]]
    error_bands: dict[str, tuple[float, float, float, float]]
    mae_minutes: dict[str, float] = field(default_factory=dict)
    speed_scale: float = 1.0
    source: str = MODEL_SOURCE

    @property
    def coefficients(self) -> dict[str, tuple[float, ...]]:
        """``curve`` (kept under its old name)."""
        return self.curve

    def minutes(self, km: np.ndarray, cls: np.ndarray) -> np.ndarray:
        """Estimated minutes for straight-line ``km`` from origins of classes ``cls``."""
        km = np.asarray(km, dtype=float)
        cls = np.broadcast_to(np.asarray(cls), km.shape)
        out = np.full(km.shape, np.nan)
        for name, params in self.curve.items():
            sel = cls == name
            out[sel] = curve_minutes(km[sel], self.circuity[name], *params)
        unknown = ~np.isin(cls, list(self.curve))
        if unknown.any():  # an origin without a class: the mean of the classes
            out[unknown] = np.mean([curve_minutes(km[unknown], self.circuity[c], *self.curve[c])
                                    for c in self.curve], axis=0)
        return out * self.speed_scale

    def leg_minutes(self, km: np.ndarray, cls: np.ndarray) -> np.ndarray:
        """Estimated minutes for the leg of a trip beyond the roads of a loaded network.

        The curve's slow start (``v_short``: side streets and junctions at *both* ends of a
        trip) is counted at the far end only -- the near end is a node of the network, where the
        trip is already under way: the mean of :meth:`minutes` and the time at ``v_long``.
        Checked on real roads by cropping the Rutland network and comparing mixed routes with
        full-network times (``benchmarks/validate_mixed.py``: median error +0.1 min and MAE
        1.4 min, against +1.4 and 1.9 min with the whole-trip curve for the leg).
        """
        km = np.asarray(km, dtype=float)
        cls = np.broadcast_to(np.asarray(cls), km.shape)
        cruise = np.full(km.shape, np.nan)
        for name, params in self.curve.items():  # (v_short, v_long, k_km, overhead_minutes)
            sel = cls == name
            cruise[sel] = 60.0 * self.circuity[name] * km[sel] / params[1]
        unknown = ~np.isin(cls, list(self.curve))
        if unknown.any():
            cruise[unknown] = np.mean([60.0 * self.circuity[c] * km[unknown] / self.curve[c][1]
                                       for c in self.curve], axis=0)
        return 0.5 * (self.minutes(km, cls) + cruise * self.speed_scale)

    def leg_minutes_range(self, km: np.ndarray, cls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(low, high)`` of :meth:`leg_minutes` from the held-out errors at ``km`` (as :meth:`minutes_range`)."""
        m = self.leg_minutes(km, cls)
        p10, p90 = self.error_quantiles(km)
        return np.maximum(m - np.maximum(p90, 0.0), 0.0), m - np.minimum(p10, 0.0)

    def error_quantiles(self, km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """10th and 90th percentile of ``estimate - road`` minutes at ``km``.

        Interpolated linearly between band midpoints (held flat beyond the first and last), so
        the range changes smoothly with distance.
        """
        mids = 0.5 * (np.asarray(BAND_EDGES_KM[:-1]) + np.asarray(BAND_EDGES_KM[1:]))
        table = np.array([self.error_bands[label] for label in band_labels()])
        km = np.asarray(km, dtype=float)
        p10 = np.interp(km, mids, table[:, 0]) * self.speed_scale
        p90 = np.interp(km, mids, table[:, 1]) * self.speed_scale
        return p10, p90

    def minutes_range(self, km: np.ndarray, cls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(low, high)`` road minutes consistent with the held-out errors (10th-90th pct).

        ``road = estimate - error``, so ``low = estimate - p90`` and ``high = estimate - p10``;
        the range always contains the estimate and never goes below 0.
        """
        m = self.minutes(km, cls)
        p10, p90 = self.error_quantiles(km)
        low = np.maximum(m - np.maximum(p90, 0.0), 0.0)
        high = m - np.minimum(p10, 0.0)
        return low, high

    def describe(self) -> str:
        """One line for labels and reports."""
        labels = band_labels()
        text = (f"calibrated on real road times; held-out error {self.error_bands[labels[0]][3]:.1f} "
                f"min under 2 km, {self.error_bands[labels[2]][3]:.1f} min at 5-10 km")
        if self.mae_minutes:
            text += (", SAMueL " + ", ".join(f"{k.lower()} {v:.1f}" for k, v in self.mae_minutes.items())
                     + " min")
        return text


def band_labels() -> list[str]:
    """Labels of the error-table bands: ``["0-2", "2-5", "5-10", "10-20", "20-60"]``."""
    e = BAND_EDGES_KM
    return [f"{lo:g}-{hi:g}" for lo, hi in itertools.pairwise(e)]


def calibrate(settings: Settings | None = None, *, mode: str | TravelMode = TravelMode.DRIVE) -> Calibration:
    """The fitted model of ``mode`` (constants from :data:`MODEL`; no data is read).

    Minutes are scaled when ``settings`` give the mode another speed than the one it was fitted
    at (:attr:`~geo.travel.modes.ModeProfile.fitted_kph`: walk, cycle).
    """
    from geo._errors import InputError

    mode = TravelMode.parse(mode)
    if mode not in MODEL:
        msg = f"no estimate model for mode {mode.value!r}; choose one of {', '.join(MODEL)}"
        raise InputError(msg)
    m = MODEL[mode]
    scale = 1.0
    fitted, speed = mode.profile.fitted_kph, (mode.speed_kph(settings) if settings is not None else None)
    if fitted is not None and speed is not None:
        scale = fitted / speed
    return Calibration(mode=mode, circuity=dict(m["circuity"]),
                       curve={k: tuple(v) for k, v in m["curve"].items()},
                       error_bands={k: tuple(v) for k, v in m["error_bands"].items()},
                       mae_minutes=dict(m.get("samuel_mae_minutes", {})), speed_scale=scale)
