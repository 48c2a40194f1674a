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
                                      :data:`geo.travel.estimate.MODEL`,
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
from geo.travel.estimate import BAND_EDGES_KM, band_labels

if TYPE_CHECKING:
    import pandas as pd

    from geo.travel.modes import Method, TravelMode

#: Measured by ``benchmarks/validate_router.py --update`` (re-run it when the router or the estimate
#: changes).  ``ROUTER_VS_VALHALLA`` / ``ESTIMATE_VS_VALHALLA``: the signed error of the road router
#: (``NetworkRouter``) / the shipped estimate against Valhalla per mode and band:
#: ``(n, bias_minutes, p10_minutes, p90_minutes, bias_pct, median_abs_pct, p10_pct, p90_pct)``
#: (``_pct`` are shares: 0.05 = 5%).  ``VALHALLA_MEASURED``: where, when and how.  ``NEAREST_SITE_VS_VALHALLA``: mean difference (minutes, method
#: - Valhalla) to the nearest site per Rutland LSOA, among the sites within 15 km that lie on the
#: extract, ``{(method, mode): {site_type: minutes}}``.
# <measured: validate_router.py>
VALHALLA_MEASURED = ("Rutland 2018 OpenStreetMap extract (Geofabrik, 27 Feb 2018); every ordered pair of the 26 "
                     "Rutland LSOA 2021 population-weighted centroids (650 per mode); Valhalla 3.9.1 (pyvalhalla) "
                     "matrix on tiles built from the same file: auto, pedestrian at 4.8 km/h, hybrid bicycle at "
                     "16 km/h (DfT Journey Time Statistics speeds); benchmarks/validate_router.py, 2026-12-05")
ROUTER_VS_VALHALLA: dict[str, dict[str, tuple[float, ...]]] = {
    'drive': {
        '0-2': (84, 0.093, -0.133, 0.337, 0.054, 0.057, -0.054, 0.168),
        '2-5': (54, 0.949, 0.18, 2.635, 0.171, 0.118, 0.033, 0.433),
        '5-10': (230, 1.214, -0.946, 3.62, 0.122, 0.121, -0.073, 0.307),
        '10-20': (268, 2.217, 0.934, 4.102, 0.141, 0.129, 0.061, 0.242),
        '20-60': (14, 4.872, 3.533, 6.944, 0.203, 0.194, 0.152, 0.279),
    },
    'walk': {
        '0-2': (84, 0.683, 0.136, 1.378, 0.043, 0.034, 0.005, 0.082),
        '2-5': (54, 0.99, -0.554, 2.235, 0.019, 0.018, -0.009, 0.043),
        '5-10': (230, 0.057, -1.955, 2.184, 0.001, 0.009, -0.019, 0.019),
        '10-20': (268, 0.647, -1.428, 3.422, 0.003, 0.006, -0.007, 0.017),
        '20-60': (14, 0.14, -1.834, 1.704, 0.001, 0.002, -0.005, 0.006),
    },
    'cycle': {
        '0-2': (84, 0.306, 0.02, 0.621, 0.056, 0.055, 0.004, 0.121),
        '2-5': (54, 0.827, -0.936, 3.307, 0.048, 0.06, -0.037, 0.195),
        '5-10': (230, -0.818, -9.123, 5.378, -0.006, 0.058, -0.189, 0.141),
        '10-20': (268, -2.103, -8.107, 3.552, -0.027, 0.054, -0.118, 0.061),
        '20-60': (14, -4.698, -7.748, -0.186, -0.044, 0.066, -0.072, -0.002),
    },
}
ESTIMATE_VS_VALHALLA: dict[str, dict[str, tuple[float, ...]]] = {
    'drive': {
        '0-2': (84, -0.34, -1.11, 0.228, -0.113, 0.175, -0.453, 0.19),
        '2-5': (54, 0.315, -0.896, 1.854, 0.1, 0.139, -0.129, 0.428),
        '5-10': (230, 1.279, -1.94, 3.985, 0.165, 0.192, -0.157, 0.447),
        '10-20': (268, 2.174, -0.74, 4.889, 0.159, 0.161, -0.035, 0.357),
        '20-60': (14, 1.221, -1.46, 3.159, 0.056, 0.069, -0.054, 0.142),
    },
    'walk': {
        '0-2': (84, 0.572, -3.079, 3.987, 0.058, 0.154, -0.192, 0.293),
        '2-5': (54, 3.875, -3.461, 8.364, 0.079, 0.104, -0.053, 0.189),
        '5-10': (230, -1.152, -14.522, 8.773, -0.007, 0.045, -0.134, 0.084),
        '10-20': (268, 1.338, -13.746, 14.222, 0.007, 0.035, -0.054, 0.071),
        '20-60': (14, 5.245, -16.369, 14.94, 0.019, 0.042, -0.048, 0.051),
    },
    'cycle': {
        '0-2': (84, -0.113, -2.075, 1.224, -0.0, 0.152, -0.317, 0.209),
        '2-5': (54, 0.973, -3.022, 3.387, 0.063, 0.119, -0.155, 0.175),
        '5-10': (230, -1.259, -9.455, 3.296, -0.017, 0.066, -0.206, 0.102),
        '10-20': (268, -3.006, -11.015, 3.992, -0.038, 0.066, -0.148, 0.069),
        '20-60': (14, -7.455, -13.888, -2.804, -0.069, 0.054, -0.122, -0.027),
    },
}
NEAREST_SITE_VS_VALHALLA: dict[tuple[str, str], dict[str, float]] = {
    ('network', 'drive'): {'pharmacy': 0.95, 'hub': 0.92},
    ('estimate', 'drive'): {'pharmacy': 1.36, 'hub': 1.83},
    ('network', 'walk'): {'pharmacy': 1.10, 'hub': -0.15},
    ('estimate', 'walk'): {'pharmacy': 5.23, 'hub': 3.60},
    ('network', 'cycle'): {'pharmacy': -0.04, 'hub': -0.57},
    ('estimate', 'cycle'): {'pharmacy': 1.18, 'hub': 0.50},
}
# </measured>

_MODES = ("drive", "walk", "cycle")
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
    mode_text, method_text = str(mode).strip().lower(), str(method).strip().lower()
    if mode_text == "transit" or method_text == "transit":
        return None
    if mode_text not in _MODES:
        msg = f"unknown travel mode {mode_text!r}; choose one of {', '.join(_MODES)} (or transit)"
        raise InputError(msg)
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
    table = (ROUTER_VS_VALHALLA if method_text == "network" else ESTIMATE_VS_VALHALLA)[mode_text]
    what = "road router (NetworkRouter)" if method_text == "network" else "straight-line estimate"
    return ErrorBands(mode=mode_text, method=method_text, reference="Valhalla on the same OSM roads",
                      measured=f"{what} vs Valhalla: {VALHALLA_MEASURED}", bands=_bands_from_table(table))


def _estimate_held_out(mode: str) -> ErrorBands:
    from geo.travel.estimate import MODEL, MODEL_SOURCE

    table = MODEL[mode]["error_bands"]
    edges = list(zip(BAND_EDGES_KM[:-1], BAND_EDGES_KM[1:], strict=True))
    bands = []
    for (lo, hi), label in zip(edges, band_labels(), strict=True):
        p10, p90, bias, _mae = table[label]
        bands.append(BandError(lo, hi, int(MODEL[mode].get("band_trips", {}).get(label, 0)), bias, p10, p90))
    return ErrorBands(mode=mode, method="estimate", reference="our road router (NetworkRouter), held out by geography",
                      measured=f"{MODEL_SOURCE}; benchmarks/calibrate_estimate.py", bands=tuple(bands))


__all__ = ["BandError", "ErrorBands", "interpolate_bands", "travel_error_bands"]
