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
            'Rural': 1.2359,
            'Urban': 1.2106,
        },
        'curve': {
            'Urban': (46.9337, 83.4676, 21.2574, 0.5647),
            'Rural': (48.6091, 77.559, 17.1122, 0.3802),
        },
        'error_bands': {
            '0-2': (-1.28, 0.22, -0.52, 0.62),
            '2-5': (-1.42, 0.99, -0.31, 0.82),
            '5-10': (-1.8, 1.89, 0.11, 1.2),
            '10-20': (-2.74, 1.53, -0.47, 1.34),
            '20-60': (-4.26, -1.07, -2.44, 2.52),
        },
        'band_trips': {
            '0-2': 1137,
            '2-5': 849,
            '5-10': 2943,
            '10-20': 3639,
            '20-60': 201,
        },
        'samuel_offset_minutes': 8.303,
        'samuel_mae_minutes': {
            'Urban': 4.42,
            'Rural': 5.15,
        },
    },
    'walk': {
        'circuity': {
            'Rural': 1.1903,
            'Urban': 1.1676,
        },
        'curve': {
            'Urban': (3.5597, 4.8532, 2.4823, 0.0),
            'Rural': (3.1577, 4.8202, 1.0385, 0.2168),
        },
        'error_bands': {
            '0-2': (-5.7, 3.42, -0.67, 2.91),
            '2-5': (-10.21, 5.42, -1.79, 5.46),
            '5-10': (-15.03, 6.73, -3.11, 7.15),
            '10-20': (-17.72, 11.01, -2.72, 9.18),
            '20-60': (-20.49, 13.03, 0.6, 10.35),
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
            'Rural': 1.2261,
            'Urban': 1.2005,
        },
        'curve': {
            'Urban': (11.5513, 16.1358, 2.7178, 0.1206),
            'Rural': (10.4554, 15.9516, 1.48, 0.0816),
        },
        'error_bands': {
            '0-2': (-2.12, 1.09, -0.32, 0.99),
            '2-5': (-3.88, 2.07, -0.77, 2.06),
            '5-10': (-5.52, 2.75, -1.32, 2.78),
            '10-20': (-7.26, 3.58, -1.64, 3.55),
            '20-60': (-5.49, 4.85, 0.17, 3.42),
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
