"""Straight-line estimate calibrated on the real SAMueL road times."""

from __future__ import annotations

import numpy as np
import pytest

from geo.travel.estimate import EstimateRouter, calibrate


def test_calibration_error_is_reported_and_small(settings):
    cal = calibrate(settings)
    assert set(cal.coefficients) == {"Urban", "Rural"}
    for cls in ("Urban", "Rural"):
        assert 0 < cal.mae_minutes[cls] < 8  # held-out mean absolute error, minutes
        assert cal.n_pairs[cls] > 10_000
    assert "MAE" in cal.describe()


def test_minutes_increase_with_distance(settings):
    r = EstimateRouter(settings=settings)
    km = np.linspace(0, 100, 101)
    for cls in ("Urban", "Rural"):
        m = r.minutes_for_km(km, np.full(101, cls))
        assert np.all(np.diff(m) > 0)
        assert 30 < m[40] < 60  # 40 km straight line: half an hour to an hour by road


def test_estimate_router_nearest_matches_matrix(settings, northants):
    r = EstimateRouter(settings=settings)
    assert "ESTIMATE" in r.label and r.method == "estimate"
    o = northants.lsoas[["easting", "northing"]].to_numpy(float)
    s = o[::97]
    res = r.nearest(s, o)
    m = r.site_origin_minutes(s, o)
    assert np.allclose(np.nanmin(m, axis=0), res.minutes)
    lim = r.nearest(s, o, max_minutes=10)
    assert np.isnan(lim.minutes[res.minutes > 10]).all()


def test_walk_cycle_estimates(settings):
    w = EstimateRouter(mode="walk", settings=settings)
    km = np.array([1.0])
    assert w.minutes_for_km(km, np.array(["Urban"]))[0] == pytest.approx(1.3 / 4.8 * 60)
    assert "error not measured" in w.label
