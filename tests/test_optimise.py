"""Site optimisation: exact MCLP / p-median (existing sites fixed) proved optimal against an
exhaustive brute force on real areas, greedy ranking, and error paths."""

from __future__ import annotations

import re

import numpy as np
import pulp
import pytest

from geo._errors import InputError, OptimisationError
from geo.planning.candidates import load_candidates
from geo.planning.location_models import (
    brute_force,
    objective_value,
    rank_greedy,
    solve,
    solve_mclp,
    solve_p_median,
)
from geo.planning.optimise import optimise_sites
from geo.travel.matrix import area_origins, best_two, site_origin_matrix

SOLVER = pulp.PULP_CBC_CMD(msg=False)


@pytest.fixture(scope="module")
def rutland_problem(settings, rutland):
    """Real Rutland: existing hubs fixed, pharmacies and GP practices within 10 km as candidates."""
    from geo.data.sites import load_sites
    from geo.travel.estimate import EstimateRouter

    router = EstimateRouter(mode="drive", settings=settings)
    existing = load_sites(settings, area=rutland, types=["hub"])
    cand = load_candidates("pharmacy,gp", rutland, settings=settings, existing=existing, buffer_km=10)
    origins = area_origins(rutland)
    _, baseline, _ = best_two(site_origin_matrix(router, existing, origins))
    cm = site_origin_matrix(router, cand, origins)
    return cm, origins.weights, baseline


@pytest.fixture(scope="module")
def northants_problem(settings, northants):
    """Real Northamptonshire (442 LSOAs), hubs fixed, 14 pharmacies spread over the county."""
    from geo.data.sites import load_sites
    from geo.travel.estimate import EstimateRouter

    router = EstimateRouter(mode="drive", settings=settings)
    existing = load_sites(settings, area=northants, types=["hub"], buffer_km=0)
    cand = load_candidates("pharmacy", northants, settings=settings, existing=existing)
    cand = cand.sort_values("site_id").iloc[:: max(1, len(cand) // 14)].head(14)
    origins = area_origins(northants)
    _, baseline, _ = best_two(site_origin_matrix(router, existing, origins))
    return site_origin_matrix(router, cand, origins), origins.weights, baseline


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("threshold", [8.0, 12.0])
def test_mclp_is_optimal_rutland(rutland_problem, k: int, threshold: float) -> None:
    cm, w, base = rutland_problem
    assert cm.shape[0] >= 8
    res = solve_mclp(cm, w, k=k, threshold_minutes=threshold, baseline_minutes=base, solver=SOLVER)
    best, _ = brute_force(cm, w, k=k, objective="mclp", baseline_minutes=base, threshold_minutes=threshold)
    assert res.value_after == pytest.approx(best)
    assert objective_value("mclp", cm, w, res.chosen, baseline_minutes=base,
                           threshold_minutes=threshold) == pytest.approx(best)
    assert res.marginal_gain.sum() == pytest.approx(res.value_after - res.value_before)
    assert len(set(res.chosen.tolist())) == k


@pytest.mark.parametrize("engine", ["sparse", "spopt"])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_pmedian_is_optimal_rutland(rutland_problem, k: int, engine: str) -> None:
    cm, w, base = rutland_problem
    res = solve_p_median(cm, w, k=k, baseline_minutes=base, solver=SOLVER, engine=engine)
    best, _ = brute_force(cm, w, k=k, objective="pmedian", baseline_minutes=base)
    assert res.value_after == pytest.approx(best, rel=1e-9)
    assert res.marginal_gain.sum() == pytest.approx(res.value_before - res.value_after)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_both_optimal_northants(northants_problem, k: int) -> None:
    cm, w, base = northants_problem
    res = solve_mclp(cm, w, k=k, threshold_minutes=10, baseline_minutes=base, solver=SOLVER)
    best, _ = brute_force(cm, w, k=k, objective="mclp", baseline_minutes=base, threshold_minutes=10)
    assert res.value_after == pytest.approx(best)
    best_pm, _ = brute_force(cm, w, k=k, objective="pmedian", baseline_minutes=base)
    for engine in ("sparse", "spopt"):
        pm = solve_p_median(cm, w, k=k, baseline_minutes=base, solver=SOLVER, engine=engine)
        assert pm.value_after == pytest.approx(best_pm, rel=1e-9)


def test_existing_sites_are_respected() -> None:
    # origin 0 is already covered by an existing site; candidate 0 only covers origin 0
    cm = np.array([[1.0, 50.0, 50.0], [50.0, 5.0, 50.0]])
    w = np.array([100.0, 10.0, 1.0])
    base = np.array([2.0, 40.0, 40.0])
    res = solve_mclp(cm, w, k=1, threshold_minutes=10, baseline_minutes=base, solver=SOLVER)
    assert res.chosen.tolist() == [1] and res.gain == 10
    # without the existing site, candidate 0 would win
    res0 = solve_mclp(cm, w, k=1, threshold_minutes=10, solver=SOLVER)
    assert res0.chosen.tolist() == [0]
    for engine in ("sparse", "spopt"):
        pm = solve_p_median(cm, w, k=1, baseline_minutes=base, solver=SOLVER, engine=engine)
        assert pm.chosen.tolist() == [1]
    assert pm.value_after == pytest.approx(100 * 2 + 10 * 5 + 1 * 40)  # cand 1 saves 350 > 100


def test_all_covered_is_trivial() -> None:
    cm = np.full((3, 4), 5.0)
    res = solve_mclp(cm, np.ones(4), k=2, threshold_minutes=10, baseline_minutes=np.full(4, 1.0))
    assert res.gain == 0 and len(res.chosen) == 2


def test_greedy_k1_equals_brute_force_and_never_beats_exact(rutland_problem) -> None:
    cm, w, base = rutland_problem
    for obj, t in (("mclp", 10.0), ("pmedian", None)):
        g1 = rank_greedy(cm, w, k=1, objective=obj, baseline_minutes=base, threshold_minutes=t)
        best, _ = brute_force(cm, w, k=1, objective=obj, baseline_minutes=base, threshold_minutes=t)
        assert g1.value_after == pytest.approx(best)
        g3 = rank_greedy(cm, w, k=3, objective=obj, baseline_minutes=base, threshold_minutes=t)
        ex = solve(cm, w, k=3, objective=obj, baseline_minutes=base, threshold_minutes=t, solver=SOLVER)
        if obj == "mclp":
            assert g3.value_after <= ex.value_after + 1e-9
        else:
            assert g3.value_after >= ex.value_after - 1e-6
        assert (np.diff(g3.marginal_gain) <= 1e-9).all()  # greedy gains never increase


def test_greedy_ranks_500_candidates(settings, northants) -> None:
    rng = np.random.default_rng(42)
    origins = area_origins(northants)
    lo, hi = origins.xy.min(axis=0), origins.xy.max(axis=0)
    cand_xy = rng.uniform(lo, hi, size=(500, 2))
    from geo.travel.estimate import EstimateRouter

    cm = EstimateRouter(mode="drive", settings=settings).site_origin_minutes(cand_xy, origins.xy)
    res = rank_greedy(cm, origins.weights, k=10, objective="mclp", threshold_minutes=10)
    assert len(res.chosen) == 10 and res.marginal_gain[0] >= res.marginal_gain[-1]
    assert res.value_after == pytest.approx(objective_value("mclp", cm, origins.weights, res.chosen,
                                                            threshold_minutes=10))


def test_errors() -> None:
    cm = np.ones((2, 3))
    with pytest.raises(InputError, match="cannot choose 3"):
        rank_greedy(cm, np.ones(3), k=3, objective="mclp", threshold_minutes=5)
    with pytest.raises(InputError, match="unknown objective"):
        solve(cm, np.ones(3), k=1, objective="lscp")
    with pytest.raises(InputError, match="threshold"):
        solve(cm, np.ones(3), k=1, objective="mclp")
    with pytest.raises(InputError, match="weights"):
        solve_p_median(cm, np.ones(2), k=1)


class _FailingSolver(pulp.LpSolver):
    """A solver that reports the problem infeasible."""

    def available(self) -> bool:
        return True

    def actualSolve(self, lp, **kwargs):  # noqa: N802 - pulp API
        lp.assignStatus(pulp.LpStatusInfeasible)
        return pulp.LpStatusInfeasible


def test_non_optimal_status_raises() -> None:
    cm = np.array([[1.0, 20.0], [20.0, 1.0]])
    with pytest.raises(OptimisationError, match="MCLP did not solve"):
        solve_mclp(cm, np.ones(2), k=1, threshold_minutes=5, solver=_FailingSolver())
    with pytest.raises(OptimisationError, match="p-median did not solve"):
        solve_p_median(cm, np.ones(2), k=1, baseline_minutes=np.array([30.0, 30.0]), solver=_FailingSolver())
    with pytest.raises(OptimisationError, match="p-median did not solve"):
        solve_p_median(cm, np.ones(2), k=1, baseline_minutes=np.array([30.0, 30.0]), solver=_FailingSolver(),
                       engine="spopt")


def test_optimise_sites_rutland_network(settings, rutland) -> None:
    from geo.data.sites import load_sites
    from geo.travel.routing import make_router

    router = make_router("drive", area=rutland, settings=settings)
    existing = load_sites(settings, area=rutland, types=["hub"])
    cand = load_candidates("pharmacy", rutland, settings=settings, existing=existing)
    out = optimise_sites(rutland, existing, cand, router, k=2, objective="mclp", threshold_minutes=10,
                         solver=SOLVER)
    s = out["summary"]
    assert s["adults_covered_after"] >= s["adults_covered_before"]
    # only picks that add coverage are listed (the second Rutland pick at 10 min adds nobody)
    assert 1 <= len(out["chosen"]) == s["useful_sites"] <= 2
    assert (out["chosen"]["adults_newly_covered"] > 0).all()
    assert out["chosen"]["cumulative_adults_newly_covered"].iloc[-1] == pytest.approx(
        s["adults_covered_after"] - s["adults_covered_before"])
    pm = optimise_sites(rutland, existing, cand, router, k=2, objective="pmedian", solver=SOLVER)
    assert pm["summary"]["mean_minutes_after"] <= pm["summary"]["mean_minutes_before"]


def test_town_candidates(settings, rutland) -> None:
    cand = load_candidates("town", rutland, settings=settings)
    assert len(cand) >= 2
    assert cand["site_id"].str.startswith("town:").all()
    assert {"Oakham (town centre)", "Uppingham (town centre)"} <= set(cand["name"])


def test_cli_optimise(settings, capsys) -> None:
    import json

    from geo.cli import main

    for obj in ("mclp", "pmedian"):
        assert main(["--data-dir", str(settings.data_dir), "optimise", "--area", "Rutland", "--sites", "hub",
                     "--candidates", "pharmacy,town", "--k", "2", "--objective", obj, "--threshold", "10",
                     "--network", "none", "--format", "json"]) == 0
        res = json.loads(capsys.readouterr().out)
        assert len(res["chosen"]) == 2 and res["summary"]["objective"] == obj
        assert {r["service"] for r in res["chosen"]} == {"hub"}
        assert all(re.search(r"\([A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}\)$", r["label"]) for r in res["chosen"]), res["chosen"]


def test_optimiser_never_recommends_a_zero_gain_pick(settings, capsys) -> None:
    """Hubs and pharmacies at 30 min leave nobody beyond in Rutland: nothing to recommend."""
    import json

    from geo.cli import main

    assert main(["--data-dir", str(settings.data_dir), "optimise", "--area", "Rutland", "--sites", "hub,pharmacy",
                 "--candidates", "pharmacy,town", "--k", "2", "--threshold", "30", "--network", "none",
                 "--format", "json"]) == 0
    cap = capsys.readouterr()
    res = json.loads(cap.out)
    assert res["chosen"] == []
    for row in res["by_service"]:  # per service: hub, pharmacy
        assert row["picks"] == 0 and row["pct_covered_before"] == row["pct_covered_after"]
        assert "No candidate adds coverage" in row["message"]
    assert {r["service"] for r in res["by_service"]} == {"hub", "pharmacy"}
    assert "No candidate adds coverage" in cap.err and "tighter threshold" in cap.err
