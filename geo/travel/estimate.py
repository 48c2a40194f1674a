"""Straight-line travel-time estimate, calibrated on real road times.

Used where no road network is loaded (e.g. Northamptonshire offline) and labelled
**estimate** everywhere it shows.

Drive model
-----------
``minutes = a + b * km + c * ln(1 + km)`` where ``km`` is the straight-line distance, fitted
separately for each rural-urban class of the origin (ONS RUC 2021 urban/rural) by least
squares on the SAMueL modelled road times from every England LSOA to its five nearest stroke
units (pairs under 60 km; Routino on OpenStreetMap, calibrated against Google Maps).  ``a``
absorbs getting to and from the car, ``b`` and ``c`` the road circuity and the faster roads of
longer trips.  Half of the LSOAs (even rows) fit the model and the other half measure its
error, reported as the mean absolute error in minutes (:attr:`Calibration.mae_minutes`).

Walk and cycle
--------------
No open calibration data exists for walking or cycling times, so they use a circuity factor of
1.3 (the median road/straight-line ratio for short urban trips in the literature) and the
mode's speed from :class:`~geo.config.Settings`; the error is not measured and is said so.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from geo.cache import cache_key, cache_write_text
from geo.config import Settings

if TYPE_CHECKING:
    from scipy.spatial import cKDTree

logger = logging.getLogger(__name__)

WALK_CYCLE_CIRCUITY = 1.3
CALIBRATION_MAX_KM = 60.0
CALIBRATION_NEAREST_UNITS = 5
CLASSES = ("Urban", "Rural")


@dataclass(frozen=True)
class Calibration:
    """Fitted drive model per origin class: ``minutes = a + b*km + c*ln(1+km)``."""

    coefficients: dict[str, tuple[float, float, float]]
    mae_minutes: dict[str, float]
    median_abs_pct: dict[str, float]
    n_pairs: dict[str, int]
    source: str = "SAMueL LSOA to stroke-unit road times (2023)"

    def minutes(self, km: np.ndarray, cls: np.ndarray) -> np.ndarray:
        """Predicted drive minutes for distances ``km`` and origin classes ``cls``."""
        out = np.empty(np.shape(km))
        for name, (a, b, c) in self.coefficients.items():
            sel = cls == name
            out[sel] = a + b * km[sel] + c * np.log1p(km[sel])
        return out

    def describe(self) -> str:
        """One line for labels and reports."""
        parts = [f"{k.lower()} MAE {v:.1f} min" for k, v in self.mae_minutes.items()]
        return f"calibrated on {self.source}: " + ", ".join(parts)


def _fit(km: np.ndarray, minutes: np.ndarray) -> tuple[float, float, float]:
    design = np.column_stack([np.ones_like(km), km, np.log1p(km)])
    coef, *_ = np.linalg.lstsq(design, minutes, rcond=None)
    a, b, c = (float(v) for v in coef)
    grid = np.linspace(0, 200, 401)
    if np.any(b + c / (1 + grid) <= 0):  # must increase with distance; fall back to linear
        design = np.column_stack([np.ones_like(km), km])
        (a, b), *_ = np.linalg.lstsq(design, minutes, rcond=None)
        c = 0.0
    return float(a), float(b), float(c)


def calibrate(settings: Settings | None = None) -> Calibration:
    """Fit (or load from cache) the drive model on the real road-time matrix."""
    from geo.data.loaders import dataset_path

    s = settings if settings is not None else Settings.from_env()
    path = dataset_path("stroke_drive_times", s)
    stamp = path.stat()
    key = cache_key("estimate-calibration", str(path), stamp.st_size, int(stamp.st_mtime))
    target = s.cache_dir / "estimate" / f"{key}.json"
    if target.is_file():
        try:
            raw = json.loads(target.read_text())
            return Calibration(coefficients={k: tuple(v) for k, v in raw["coefficients"].items()},
                               mae_minutes=raw["mae_minutes"], median_abs_pct=raw["median_abs_pct"],
                               n_pairs=raw["n_pairs"], source=raw["source"])
        except (OSError, ValueError, KeyError):
            logger.warning("estimate calibration cache %s unreadable; refitting", target)
    cal = _calibrate(s)
    cache_write_text(json.dumps(asdict(cal)), target)
    return cal


def _calibrate(s: Settings) -> Calibration:
    from scipy.spatial import cKDTree

    from geo.data.loaders import load_lsoa11_lsoa21_lookup, load_stroke_drive_times, load_stroke_units
    from geo.data.tables import load_lsoa_table

    times = load_stroke_drive_times(s)
    units = load_stroke_units(s).reindex(times.columns)
    lookup = load_lsoa11_lsoa21_lookup(s).drop_duplicates("lsoa11cd").set_index("lsoa11cd")
    table = load_lsoa_table(s)
    l21 = lookup["lsoa21cd"].reindex(times.index)
    keep = l21.notna() & l21.isin(table.index) & units["easting"].notna().all()
    times = times[keep.to_numpy()]
    rows = table.loc[l21[keep].to_numpy()]
    oxy = rows[["easting", "northing"]].to_numpy(float)
    uxy = units[["easting", "northing"]].to_numpy(float)
    tree = cKDTree(uxy)
    dist, idx = tree.query(oxy, k=CALIBRATION_NEAREST_UNITS)
    km = dist / 1000.0
    minutes = np.take_along_axis(times.to_numpy(float), idx, axis=1)
    cls = np.repeat(rows["urban_rural"].astype(str).to_numpy()[:, None], idx.shape[1], axis=1)
    half = np.repeat((np.arange(len(rows)) % 2 == 0)[:, None], idx.shape[1], axis=1)
    ok = np.isfinite(minutes) & (km < CALIBRATION_MAX_KM) & (km > 0)
    coefs, mae, mape, npairs = {}, {}, {}, {}
    for name in CLASSES:
        sel = ok & (cls == name)
        fit_sel, test_sel = sel & half, sel & ~half
        a, b, c = _fit(km[fit_sel], minutes[fit_sel])
        pred = a + b * km[test_sel] + c * np.log1p(km[test_sel])
        err = pred - minutes[test_sel]
        coefs[name] = (a, b, c)
        mae[name] = float(np.mean(np.abs(err)))
        mape[name] = float(np.median(np.abs(err) / minutes[test_sel]) * 100)
        npairs[name] = int(sel.sum())
    cal = Calibration(coefficients=coefs, mae_minutes=mae, median_abs_pct=mape, n_pairs=npairs)
    logger.info("estimate calibration: %s", cal.describe())
    return cal


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
    """

    method = "estimate"

    def __init__(self, *, mode: str = "drive", settings: Settings | None = None) -> None:
        self.mode = mode
        self.settings = settings if settings is not None else Settings.from_env()
        if mode == "drive":
            self.calibration: Calibration | None = calibrate(self.settings)
            self.label = ("Drive, straight-line ESTIMATE (no road network loaded; "
                          f"{self.calibration.describe()})")
        else:
            self.calibration = None
            speed = self.settings.walk_kph if mode == "walk" else self.settings.cycle_kph
            self.label = (f"{mode.capitalize()}, straight-line ESTIMATE (x{WALK_CYCLE_CIRCUITY} "
                          f"circuity at {speed:g} km/h; error not measured)")

    def origin_classes(self, origins_xy: np.ndarray) -> np.ndarray:
        """Urban/Rural class of each origin (nearest LSOA centroid)."""
        tree, classes = _origin_classifier(str(self.settings.data_dir), self.settings)
        _, idx = tree.query(origins_xy, k=1)
        return classes[idx]

    def minutes_for_km(self, km: np.ndarray, classes: np.ndarray) -> np.ndarray:
        """Model minutes for straight-line ``km`` from origins of ``classes``."""
        if self.calibration is not None:
            return self.calibration.minutes(km, classes)
        speed = self.settings.walk_kph if self.mode == "walk" else self.settings.cycle_kph
        return km * WALK_CYCLE_CIRCUITY / speed * 60.0

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

    def nearest(self, sites_xy: np.ndarray, origins_xy: np.ndarray, *,
                max_minutes: float | None = None):
        """Nearest site by straight line and its estimated minutes."""
        from scipy.spatial import cKDTree

        from geo.travel.base import NearestResult, check_xy

        sites_xy = check_xy(sites_xy, what="sites")
        origins_xy = check_xy(origins_xy, what="origins")
        n = len(origins_xy)
        if len(sites_xy) == 0:
            return NearestResult(np.full(n, np.nan), np.full(n, -1, dtype=np.int64),
                                 np.zeros(n), np.full(n, np.nan), self.method)
        dist, idx = cKDTree(sites_xy).query(origins_xy, k=1)
        minutes = self.minutes_for_km(dist / 1000.0, self.origin_classes(origins_xy))
        idx = idx.astype(np.int64)
        if max_minutes is not None:
            beyond = minutes > max_minutes
            minutes = np.where(beyond, np.nan, minutes)
            idx = np.where(beyond, -1, idx)
        return NearestResult(minutes=minutes, site_index=idx, origin_snap_metres=np.zeros(n),
                             site_snap_metres=np.where(idx >= 0, 0.0, np.nan), method=self.method)
