"""How wrong each travel-time method is, measured: per mode and straight-line distance band.

One question, one function: :func:`travel_error_bands` ``(mode, method)`` returns the signed error
``method - reference`` (minutes and relative to the reference) per distance band, with what it was
compared against and where, when and how it was measured.  Uncertainty ranges (the estimate's
``minutes_low``/``minutes_high``, scenario and closure gains) are built from it.

=============  =====================  ============================================================
method         default reference      where the figures come from
=============  =====================  ============================================================
``network``    ``valhalla``           :data:`ROUTER_VS_VALHALLA`: our road router against Valhalla
                                      on the same Rutland 2018 OSM extract, every ordered pair of
                                      the 26 Rutland LSOA centroids (650 per mode);
                                      ``benchmarks/validate_router.py`` prints it
``estimate``   ``road``               the straight-line estimate against our road router, held out
                                      by geography (``error_bands`` of
                                      :data:`geo.travel.estimate_model.MODEL`,
                                      ``benchmarks/calibrate_estimate.py``); these make its ranges
``estimate``   ``valhalla``           :data:`ESTIMATE_VS_VALHALLA`: the shipped estimate against
                                      Valhalla on the same 650 pairs per mode
=============  =====================  ============================================================

Public transport (``transit``) has no measured error here (its times come from a timetable):
:func:`travel_error_bands` returns ``None`` for it.

Reading a band: ``bias`` is the mean signed error, ``p10``/``p90`` its 10th and 90th percentiles,
``median_abs_pct`` the median absolute relative error.  A positive error means the method gives
*longer* times than the reference.  Bands are straight-line km between origin and destination
(:data:`BAND_EDGES_KM`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from geo._errors import InputError
from geo.travel.estimate_model import BAND_EDGES_KM, band_labels
from geo.travel.modes import TravelMode

if TYPE_CHECKING:
    import pandas as pd

    from geo.travel.modes import Method

#: Measured by ``benchmarks/validate_router.py --update`` (re-run it when the router or the estimate
#: changes).  ``ROUTER_VS_VALHALLA`` / ``ESTIMATE_VS_VALHALLA``: the signed error of the road router
#: (``NetworkRouter``) / the shipped estimate against Valhalla per mode and band:
#: ``(n, bias_minutes, p10_minutes, p90_minutes, bias_pct, median_abs_pct, p10_pct, p90_pct)``
#: (``_pct`` are shares: 0.05 = 5%).  ``VALHALLA_MEASURED``: where, when and how.  ``NEAREST_SITE_VS_VALHALLA``: mean difference (minutes, method
#: - Valhalla) to the nearest site per Rutland LSOA, among the sites within 15 km that lie on the
#: extract, ``{(method, mode): {site_type: minutes}}``.
# <measured: validate_router.py>
VALHALLA_MEASURED = 'Rutland 2018 OpenStreetMap extract (Geofabrik, 27 Feb 2018); every ordered pair of the 26 Rutland LSOA 2021 population-weighted centroids (650 per mode); Valhalla 3.9.1 (pyvalhalla) matrix on tiles built from the same file: auto, pedestrian at 4.8 km/h, hybrid bicycle at 16 km/h on the fastest route (use_roads 1; as the DfT Journey Time Statistics); benchmarks/validate_router.py, 2026-12-05'
ROUTER_VS_VALHALLA: dict[str, dict[str, tuple[float, ...]]] = {
    'drive': {
        '0-2': (84, 0.082, -0.083, 0.274, 0.037, 0.039, -0.039, 0.115),
        '2-5': (54, 0.164, -0.462, 0.85, 0.047, 0.061, -0.058, 0.116),
        '5-10': (230, 0.163, -2.628, 1.438, 0.027, 0.09, -0.208, 0.148),
        '10-20': (268, 0.612, -1.307, 2.459, 0.046, 0.071, -0.078, 0.155),
        '20-60': (14, 1.821, 0.045, 3.523, 0.079, 0.077, 0.002, 0.142),
    },
    'walk': {
        '0-2': (84, 0.496, 0.039, 0.963, 0.031, 0.018, 0.002, 0.073),
        '2-5': (54, 0.795, -0.253, 2.349, 0.014, 0.014, -0.005, 0.039),
        '5-10': (230, -0.12, -2.523, 1.812, -0.001, 0.005, -0.023, 0.016),
        '10-20': (268, 0.152, -1.109, 1.917, 0.001, 0.004, -0.005, 0.01),
        '20-60': (14, -0.068, -3.43, 2.252, 0.0, 0.002, -0.01, 0.007),
    },
    'cycle': {
        '0-2': (84, 0.015, -0.218, 0.289, 0.006, 0.023, -0.033, 0.06),
        '2-5': (54, 0.565, -0.47, 3.129, 0.033, 0.016, -0.022, 0.172),
        '5-10': (230, -0.136, -3.288, 3.958, 0.0, 0.021, -0.074, 0.106),
        '10-20': (268, -0.796, -3.128, 1.45, -0.011, 0.024, -0.047, 0.025),
        '20-60': (14, -0.93, -2.887, 0.024, -0.009, 0.005, -0.028, 0.0),
    },
}
ESTIMATE_VS_VALHALLA: dict[str, dict[str, tuple[float, ...]]] = {
    'drive': {
        '0-2': (84, -0.282, -0.99, 0.42, -0.059, 0.171, -0.355, 0.262),
        '2-5': (54, -0.299, -1.581, 1.191, -0.007, 0.134, -0.212, 0.271),
        '5-10': (230, -0.071, -3.108, 2.466, 0.028, 0.147, -0.26, 0.275),
        '10-20': (268, 0.222, -2.87, 3.042, 0.033, 0.094, -0.137, 0.212),
        '20-60': (14, -1.225, -3.91, 0.709, -0.046, 0.042, -0.146, 0.032),
    },
    'walk': {
        '0-2': (84, -0.512, -4.522, 2.869, 0.002, 0.127, -0.233, 0.218),
        '2-5': (54, -0.001, -6.737, 4.827, 0.008, 0.063, -0.103, 0.088),
        '5-10': (230, -3.723, -17.561, 6.025, -0.03, 0.045, -0.163, 0.058),
        '10-20': (268, -0.192, -14.445, 12.774, -0.0, 0.034, -0.063, 0.062),
        '20-60': (14, 4.511, -17.11, 14.211, 0.017, 0.04, -0.05, 0.049),
    },
    'cycle': {
        '0-2': (84, -0.2, -1.704, 1.004, -0.003, 0.138, -0.3, 0.21),
        '2-5': (54, -0.284, -2.106, 1.736, -0.002, 0.047, -0.136, 0.101),
        '5-10': (230, -2.037, -5.59, 1.498, -0.05, 0.057, -0.156, 0.052),
        '10-20': (268, -1.924, -6.579, 2.74, -0.028, 0.039, -0.092, 0.042),
        '20-60': (14, -1.252, -8.486, 4.236, -0.01, 0.045, -0.08, 0.047),
    },
}
NEAREST_SITE_VS_VALHALLA: dict[tuple[str, str], dict[str, float]] = {
    ('network', 'drive'): {'pharmacy': 0.37, 'hub': 0.35},
    ('estimate', 'drive'): {'pharmacy': 0.80, 'hub': 0.91},
    ('network', 'walk'): {'pharmacy': 0.65, 'hub': -0.40},
    ('estimate', 'walk'): {'pharmacy': 3.55, 'hub': 1.97},
    ('network', 'cycle'): {'pharmacy': 0.08, 'hub': -0.72},
    ('estimate', 'cycle'): {'pharmacy': 0.94, 'hub': -0.00},
}
# </measured>

_REFERENCES = {"network": ("valhalla",), "estimate": ("road", "valhalla")}


@dataclass(frozen=True)
class BandError:
    """Signed error ``method - reference`` of one straight-line distance band.

    Relative figures are shares of the reference time (``0.05`` = 5% longer); NaN where the
    source measured minutes only.
    """

    lo_km: float
    hi_km: float
    n: int
    bias_minutes: float
    p10_minutes: float
    p90_minutes: float
    bias_pct: float = float("nan")
    median_abs_pct: float = float("nan")
    p10_pct: float = float("nan")
    p90_pct: float = float("nan")

    @property
    def label(self) -> str:
        """``"2-5"`` for the 2-5 km band."""
        return f"{self.lo_km:g}-{self.hi_km:g}"


@dataclass(frozen=True)
class ErrorBands:
    """Measured error of one method and mode against one reference, per distance band."""

    mode: str
    method: str
    reference: str
    measured: str
    bands: tuple[BandError, ...]

    def band(self, km: float) -> BandError:
        """The band holding straight-line ``km`` (the last band beyond its end)."""
        for b in self.bands:
            if km < b.hi_km:
                return b
        return self.bands[-1]

    def quantiles_minutes(self, km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """10th and 90th percentile of the signed error (minutes) at straight-line ``km``.

        Interpolated linearly between band midpoints and held flat beyond the first and last, so
        a range changes smoothly with distance.
        """
        return interpolate_bands(km, [(b.lo_km, b.hi_km) for b in self.bands],
                                 [b.p10_minutes for b in self.bands], [b.p90_minutes for b in self.bands])

    def reference_range(self, minutes: np.ndarray, km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(low, high)`` reference minutes consistent with the error: ``minutes - p90 .. minutes - p10``.

        The range always contains ``minutes`` and never goes below 0.
        """
        m = np.asarray(minutes, dtype=float)
        p10, p90 = self.quantiles_minutes(km)
        return np.maximum(m - np.maximum(p90, 0.0), 0.0), m - np.minimum(p10, 0.0)

    def to_frame(self) -> pd.DataFrame:
        """One row per band (for tables and reports)."""
        import pandas as pd

        return pd.DataFrame([{"band_km": b.label, "n": b.n, "bias_minutes": b.bias_minutes,
                              "p10_minutes": b.p10_minutes, "p90_minutes": b.p90_minutes,
                              "bias_pct": 100 * b.bias_pct, "median_abs_pct": 100 * b.median_abs_pct,
                              "p10_pct": 100 * b.p10_pct, "p90_pct": 100 * b.p90_pct}
                             for b in self.bands]).set_index("band_km")


def interpolate_bands(km: np.ndarray, edges: list[tuple[float, float]], low: list[float],
                      high: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """``low``/``high`` per band, interpolated linearly between band midpoints at ``km``."""
    mids = np.array([0.5 * (lo + hi) for lo, hi in edges])
    km = np.asarray(km, dtype=float)
    return np.interp(km, mids, np.asarray(low, float)), np.interp(km, mids, np.asarray(high, float))


def _bands_from_table(table: dict[str, tuple[float, ...]]) -> tuple[BandError, ...]:
    out = []
    edges = list(zip(BAND_EDGES_KM[:-1], BAND_EDGES_KM[1:], strict=True))
    for (lo, hi), label in zip(edges, band_labels(), strict=True):
        n, bias, p10, p90, bias_pct, med_pct, p10_pct, p90_pct = table[label]
        out.append(BandError(lo, hi, int(n), bias, p10, p90, bias_pct, med_pct, p10_pct, p90_pct))
    return tuple(out)


def travel_error_bands(mode: str | TravelMode, method: str | Method, *,
                       reference: str | None = None) -> ErrorBands | None:
    """The measured error of ``method`` for ``mode`` per distance band (see the module table).

    Parameters
    ----------
    mode : ``drive``, ``walk``, ``cycle`` (``transit`` gives ``None``: no measured error).
    method : ``network`` (road router) or ``estimate`` (a router's ``.method``).
    reference : ``valhalla`` or ``road`` (estimate only); default: ``valhalla`` for the network,
        ``road`` (the held-out calibration behind the estimate's ranges) for the estimate.

    Raises
    ------
    InputError
        An unknown mode, method or reference, or ``auto``/``straight-line`` (resolve the router
        first and pass its ``.method``).
    """
    travel_mode, method_text = TravelMode.parse(mode), str(method).strip().lower()
    if not travel_mode.profile.on_roads or method_text == "transit":
        return None
    mode_text = travel_mode.value
    if method_text not in _REFERENCES:
        msg = (f"no measured travel error for method {method_text!r}; pass a router's method "
               f"({' or '.join(_REFERENCES)}), not auto or straight-line")
        raise InputError(msg)
    ref = reference or _REFERENCES[method_text][0]
    if ref not in _REFERENCES[method_text]:
        msg = f"no {ref!r} reference for the {method_text}; choose one of {', '.join(_REFERENCES[method_text])}"
        raise InputError(msg)
    if method_text == "estimate" and ref == "road":
        return _estimate_held_out(mode_text)
    table = (ROUTER_VS_VALHALLA if method_text == "network" else ESTIMATE_VS_VALHALLA).get(mode_text)
    if table is None:  # a mode not measured yet (benchmarks/validate_router.py)
        return None
    what = "road router (NetworkRouter)" if method_text == "network" else "straight-line estimate"
    return ErrorBands(mode=mode_text, method=method_text, reference="Valhalla on the same OSM roads",
                      measured=f"{what} vs Valhalla: {VALHALLA_MEASURED}", bands=_bands_from_table(table))


def _estimate_held_out(mode: str) -> ErrorBands:
    from geo.travel.estimate_model import MODEL, MODEL_SOURCE

    table = MODEL[mode]["error_bands"]
    edges = list(zip(BAND_EDGES_KM[:-1], BAND_EDGES_KM[1:], strict=True))
    bands = []
    for (lo, hi), label in zip(edges, band_labels(), strict=True):
        p10, p90, bias, _mae = table[label]
        bands.append(BandError(lo, hi, int(MODEL[mode]["band_trips"][label]), bias, p10, p90))
    return ErrorBands(mode=mode, method="estimate", reference="our road router (NetworkRouter), held out by geography",
                      measured=f"{MODEL_SOURCE}; benchmarks/calibrate_estimate.py", bands=tuple(bands))


__all__ = ["BandError", "ErrorBands", "interpolate_bands", "travel_error_bands"]
