"""Closure impact: the vectorised leave-one-out against a naive per-site loop, on synthetic and
real (Rutland) data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo._errors import InputError, SchemaError
from geo.planning.closure import closure_impact, closure_impact_from_matrix
from geo.travel.matrix import area_origins, best_two, site_origin_matrix


class StraightLineRouter:
    """Stand-in router: 1.3 x straight line at 40 km/h."""

    mode = "drive"
    method = "straight-line"
    label = "straight line (test)"

    def site_origin_minutes(self, sites_xy, origins_xy, *, max_minutes=None):
        s = np.asarray(sites_xy, float).reshape(-1, 2)
        o = np.asarray(origins_xy, float).reshape(-1, 2)
        m = np.hypot(s[:, None, 0] - o[None, :, 0], s[:, None, 1] - o[None, :, 1]) * 1.3 / 1000 / 40 * 60
        return m if max_minutes is None else np.where(m <= max_minutes, m, np.nan)


def naive_closure(m: np.ndarray, w: np.ndarray, t: float) -> pd.DataFrame:
    """Oracle: recompute nearest minutes without each site, one site at a time."""
    full = np.where(np.isnan(m), np.inf, m)
    base = full.min(axis=0)
    rows = []
    for j in range(len(m)):
        rest = np.delete(full, j, axis=0)
        after = rest.min(axis=0) if len(rest) else np.full(m.shape[1], np.inf)
        lost = (base <= t) & ~(after <= t)
        both = np.isfinite(base) & np.isfinite(after)
        rows.append({"newly_beyond_weight": w[lost].sum(),
                     "mean_minutes_increase": (w[both] * (after - base)[both]).sum() / w.sum(),
                     "left_without_site_weight": w[np.isfinite(base) & ~np.isfinite(after)].sum()})
    return pd.DataFrame(rows)


def test_best_two_handles_nan_and_single_site() -> None:
    m = np.array([[5.0, np.nan, 1.0], [3.0, np.nan, 2.0]])
    idx, best, second = best_two(m)
    assert idx.tolist() == [1, -1, 0]
    assert best[0] == 3 and np.isinf(best[1]) and best[2] == 1
    assert second[0] == 5 and np.isinf(second[1]) and second[2] == 2
    idx1, _, second1 = best_two(m[:1])
    assert np.isinf(second1).all() and idx1.tolist() == [0, -1, 0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_naive_loop_on_random_matrix(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m = rng.uniform(1, 40, size=(12, 200))
    m[rng.random(m.shape) < 0.15] = np.nan
    w = rng.integers(0, 3000, 200).astype(float)
    got = closure_impact_from_matrix(m, w, threshold_minutes=15)
    want = naive_closure(m, w, 15)
    for col in want.columns:
        np.testing.assert_allclose(got[col].to_numpy(), want[col].to_numpy(), rtol=1e-9, atol=1e-9)
    assert (got["irreplaceable"] == (want["newly_beyond_weight"] > 0)).all()


def test_known_case_sole_site_is_irreplaceable() -> None:
    # site 0 alone serves origin 0 within 10; origin 1 has sites 0 and 1 both within 10
    m = np.array([[5.0, 4.0, 30.0], [20.0, 6.0, 9.0]])
    w = np.array([100.0, 50.0, 10.0])
    res = closure_impact_from_matrix(m, w, threshold_minutes=10, deciles=np.array([1, 2, 10]))
    assert res.loc[0, "newly_beyond_weight"] == 100
    assert res.loc[0, "newly_beyond_d1"] == 100 and res.loc[0, "newly_beyond_d2"] == 0
    assert res.loc[1, "newly_beyond_weight"] == 10 and res.loc[1, "newly_beyond_d10"] == 10
    assert res["irreplaceable"].tolist() == [True, True]
    # mean increase for site 0: origin0 +15 (x100), origin1 +2 (x50) over 160 need
    assert res.loc[0, "mean_minutes_increase"] == pytest.approx((15 * 100 + 2 * 50) / 160)


def test_weights_shape_is_checked() -> None:
    with pytest.raises(InputError, match="weights"):
        closure_impact_from_matrix(np.ones((2, 3)), np.ones(4), threshold_minutes=10)


def test_need_column_must_exist(rutland) -> None:
    with pytest.raises(SchemaError, match="need column"):
        area_origins(rutland, weight_column="no_such_column")


def test_rutland_real_sites(settings, rutland) -> None:
    from geo.data.sites import load_sites

    sites = load_sites(settings, area=rutland, types=["hub", "pharmacy"])
    router = StraightLineRouter()
    res = closure_impact(rutland, sites, router, threshold_minutes=15)
    assert len(res) == len(sites)
    assert set(res["site_id"]) == set(sites["site_id"])
    origins = area_origins(rutland)
    m = site_origin_matrix(router, sites, origins)
    want = naive_closure(m, origins.weights, 15)
    want.index = sites["site_id"].to_numpy()
    got = res.set_index("site_id")
    np.testing.assert_allclose(got["newly_beyond_adults"], want.loc[got.index, "newly_beyond_weight"])
    deciles = got[[f"newly_beyond_d{k}" for k in range(1, 11)]].sum(axis=1)
    np.testing.assert_allclose(deciles, got["newly_beyond_adults"])
    # nearest-for totals partition the area's adults
    assert got["nearest_for_adults"].sum() == pytest.approx(rutland.adults)


def test_rutland_estimate_router(settings, rutland) -> None:
    from geo.data.sites import load_sites
    from geo.travel.estimate import EstimateRouter

    sites = load_sites(settings, area=rutland, types=["hub"])
    res = closure_impact(rutland, sites, EstimateRouter(mode="drive", settings=settings), threshold_minutes=20)
    # the Oakham hub is the only hub in Rutland: closing it must cost most
    assert res.iloc[0]["site_id"] == "seed:tp-oakham"
    assert res.iloc[0]["mean_minutes_increase"] > 0


def test_cli_closure_impact(settings, capsys) -> None:
    import json

    from geo.cli import main

    assert main(["--data-dir", str(settings.data_dir), "closure-impact", "--area", "Rutland",
                 "--sites", "hub,pharmacy", "--threshold", "15", "--network", "none", "--deciles",
                 "--format", "json"]) == 0
    res = json.loads(capsys.readouterr().out)
    # one row per site and service it counts for (hub, pharmacy, any type)
    assert res["summary"]["sites"] == len({r["site_id"] for r in res["sites"]})
    assert {r["service"] for r in res["sites"]} == {"hub", "pharmacy", "any"}
    assert "newly_beyond_d1" in res["sites"][0]
    assert all(r["newly_beyond_adults_low"] <= r["newly_beyond_adults"] <= r["newly_beyond_adults_high"]
               for r in res["sites"])


def test_rutland_network_router_matches_oracle(settings, rutland) -> None:
    from geo.data.sites import load_sites
    from geo.travel.routing import make_router

    router = make_router("drive", area=rutland, settings=settings)
    if router.method != "network":
        pytest.skip("no Rutland road network")
    sites = load_sites(settings, area=rutland, types=["hub", "pharmacy"])
    origins = area_origins(rutland)
    m = site_origin_matrix(router, sites, origins)
    res = closure_impact_from_matrix(m, origins.weights, threshold_minutes=8)
    want = naive_closure(m, origins.weights, 8)
    np.testing.assert_allclose(res["newly_beyond_weight"], want["newly_beyond_weight"])
    np.testing.assert_allclose(res["mean_minutes_increase"], want["mean_minutes_increase"], atol=1e-12)
