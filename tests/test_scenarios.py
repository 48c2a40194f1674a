"""Scenarios: JSON round trip and validation, applying changes, the incremental access model
against full recomputation, and comparisons on real Rutland and Northamptonshire data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from geo import (
    AddSite,
    ChangeCapacity,
    ChangeHours,
    MoveSite,
    RemoveSite,
    Scenario,
    load_scenario,
    save_scenario,
)
from geo._errors import InputError
from geo.planning.scenario_apply import apply_scenario
from geo.planning.scenarios import ScenarioModel, compare, evaluate, run_scenario
from tests.test_closure import StraightLineRouter


@pytest.fixture(scope="module")
def rutland_hubs(settings, rutland):
    from geo.data.sites import load_sites

    return load_sites(settings, area=rutland, types=["hub"])


@pytest.fixture(scope="module")
def estimate(settings):
    from geo.travel.estimate import EstimateRouter

    return EstimateRouter(mode="drive", settings=settings)


def _scenario() -> Scenario:
    return Scenario(name="Uppingham satellite", base={"area": "Rutland", "sites": "hub"}, changes=(
        AddSite(name="Uppingham satellite", postcode="LE15 9PZ", opening_hours="Mo-Fr 09:00-17:00"),
        AddSite(name="Ketton pop-up", easting=498046.0, northing=304563.0, site_type="outreach"),
        AddSite(name="Pharmacy NSP", ods_code="FC826", site_type="nsp"),
        ChangeHours(site_id="seed:tp-oakham", opening_hours="Mo-Sa 08:00-20:00"),
        ChangeCapacity(site_id="seed:tp-oakham", capacity=120),
    ))


# ----------------------------------------------------------------------------- file format


def test_save_load_round_trip(tmp_path) -> None:
    sc = _scenario()
    p = save_scenario(sc, tmp_path / "s.json")
    data = json.loads(p.read_text())
    assert data["schema"] == "geo-scenario" and data["version"] == 1
    assert [c["kind"] for c in data["changes"]] == ["add", "add", "add", "hours", "capacity"]
    back = load_scenario(p)
    assert back == sc


@pytest.mark.parametrize(("text", "match"), [
    ("{not json", r"not valid JSON \(line 1"),
    ("[]", "top level"),
    ('{"schema": "other"}', "field 'schema'"),
    ('{"schema": "geo-scenario", "version": 99, "name": "x"}', "field 'version'"),
    ('{"schema": "geo-scenario", "version": 1, "name": ""}', "field 'name'"),
    ('{"schema": "geo-scenario", "version": 1, "name": "x", "changes": [{"kind": "teleport"}]}',
     r"changes\[0\]: field 'kind'"),
    ('{"schema": "geo-scenario", "version": 1, "name": "x", "changes": [{"kind": "remove"}]}',
     r"changes\[0\]: field 'site_id' is missing"),
    ('{"schema": "geo-scenario", "version": 1, "name": "x", "changes": [{"kind": "add", "name": "a"}]}',
     r"changes\[0\]: give a location"),
    ('{"schema": "geo-scenario", "version": 1, "name": "x", "changes": '
     '[{"kind": "add", "name": "a", "easting": "east", "northing": 1}]}', r"changes\[0\]: field 'easting' is not valid: give British National Grid metres"),
    ('{"schema": "geo-scenario", "version": 1, "name": "x", "changes": [{"kind": "remove", "site_id": "a", "x": 1}]}',
     r"unknown field\(s\) x"),
])
def test_bad_files_name_file_and_field(tmp_path, text: str, match: str) -> None:
    p = tmp_path / "bad.json"
    p.write_text(text)
    with pytest.raises(InputError, match=match) as err:
        load_scenario(p)
    assert str(p) in str(err.value)


def test_missing_file(tmp_path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_scenario(tmp_path / "nope.json")


# ----------------------------------------------------------------------------- applying


def test_apply_all_change_kinds(settings, rutland_hubs) -> None:
    after = apply_scenario(_scenario(), rutland_hubs, settings=settings)
    assert len(after) == len(rutland_hubs) + 3
    new = after.set_index("site_id")
    assert new.loc["scenario:uppingham-satellite", "location_precision"] == "postcode"
    assert new.loc["scenario:ketton-pop-up", "easting"] == 498046.0
    assert new.loc["scenario:pharmacy-nsp", "postcode"] == "LE15 6AJ"  # Rutland Late Night Pharmacy
    assert new.loc["seed:tp-oakham", "opening_hours"] == "Mo-Sa 08:00-20:00"
    assert new.loc["seed:tp-oakham", "capacity"] == 120
    assert after.crs.to_epsg() == 27700
    assert len(rutland_hubs) == 3  # input untouched
    gone = apply_scenario(Scenario(name="x", changes=(RemoveSite("seed:tp-oakham"),)), rutland_hubs)
    assert "seed:tp-oakham" not in set(gone["site_id"])
    moved = apply_scenario(Scenario(name="m", changes=(MoveSite("seed:tp-oakham", postcode="LE15 9PZ"),)),
                           rutland_hubs, settings=settings)
    row = moved.set_index("site_id").loc["seed:tp-oakham"]
    assert row["postcode"] == "LE15 9PZ" and row["location_precision"] == "postcode"


def test_apply_errors(settings, rutland_hubs) -> None:
    with pytest.raises(InputError, match="no site with site_id 'nope'"):
        apply_scenario(Scenario(name="x", changes=(RemoveSite("nope"),)), rutland_hubs)
    with pytest.raises(InputError, match="not a live English postcode"):
        apply_scenario(Scenario(name="x", changes=(AddSite(name="a", postcode="ZZ99 9ZZ"),)), rutland_hubs,
                       settings=settings)
    with pytest.raises(InputError, match="outside England"):
        apply_scenario(Scenario(name="x", changes=(AddSite(name="a", easting=10.0, northing=10.0),)), rutland_hubs)
    with pytest.raises(InputError, match="already exists"):
        apply_scenario(Scenario(name="x", changes=(AddSite(name="a", site_id="seed:tp-oakham",
                                                           easting=486614.0, northing=299849.0),)), rutland_hubs)


# ----------------------------------------------------------------------------- incremental = full


@pytest.mark.parametrize("router_name", ["straight", "estimate"])
def test_add_site_matches_full_recompute(rutland, rutland_hubs, estimate, router_name) -> None:
    router = StraightLineRouter() if router_name == "straight" else estimate
    model = ScenarioModel.build(rutland, rutland_hubs, router)
    rng = np.random.default_rng(7)
    xy = model.origins.xy[rng.choice(model.origins.n, 5, replace=False)] + rng.normal(0, 500, (5, 2))
    for p in xy:
        fast = model.add_site_minutes(p[None, :])
        extra = pd.DataFrame({"site_id": ["new"], "easting": [p[0]], "northing": [p[1]]})
        full = ScenarioModel.build(rutland, pd.concat([rutland_hubs, extra], ignore_index=True), router)
        np.testing.assert_allclose(fast, full.nearest_minutes)
        assert (fast <= model.nearest_minutes + 1e-12).all()  # adding never makes anything worse


def test_apply_reuses_rows_and_equals_rebuild(settings, rutland, rutland_hubs, estimate) -> None:
    calls: list[int] = []

    class Counting:
        mode, method, label = "drive", "estimate", "counting"

        def site_origin_minutes(self, s, o, *, max_minutes=None):
            calls.append(len(s))
            return estimate.site_origin_minutes(s, o, max_minutes=max_minutes)

    router = Counting()
    model = ScenarioModel.build(rutland, rutland_hubs, router)
    assert calls == [3]
    sc = Scenario(name="mix", changes=(AddSite(name="Uppingham", postcode="LE15 9PZ"),
                                       RemoveSite("seed:cgl-corby"),
                                       MoveSite("seed:cgl-kettering", easting=492932.0, northing=305191.0)))
    after_sites = apply_scenario(sc, rutland_hubs, settings=settings)
    after = model.apply(after_sites)
    assert calls == [3, 2]  # only the added and the moved site are routed
    full = ScenarioModel.build(rutland, after_sites, estimate)
    np.testing.assert_allclose(after.nearest_minutes, full.nearest_minutes)
    np.testing.assert_array_equal(after.nearest_index, full.nearest_index)


def test_capped_rows_rerouted_after_removal(rutland, rutland_hubs, estimate) -> None:
    model = ScenarioModel.build(rutland, rutland_hubs, estimate)
    extra = pd.DataFrame({"site_id": ["far"], "easting": [520000.0], "northing": [330000.0]})
    added = model.apply(pd.concat([rutland_hubs, extra], ignore_index=True))
    assert added.capped_rows[-1]
    removed = added.apply(pd.concat([rutland_hubs.iloc[:0], extra], ignore_index=True))
    full = ScenarioModel.build(rutland, extra, estimate)
    np.testing.assert_allclose(removed.nearest_minutes, full.nearest_minutes)


# ----------------------------------------------------------------------------- comparisons


def test_compare_uppingham_rutland(settings, rutland, rutland_hubs, estimate) -> None:
    sc = Scenario(name="Uppingham satellite", changes=(AddSite(name="Uppingham satellite", postcode="LE15 9PZ"),))
    res = run_scenario(sc, rutland, rutland_hubs, estimate, threshold_minutes=10, settings=settings)
    s = res["summary"]
    assert s["adults_newly_beyond"] == 0 and s["adults_newly_within"] > 0
    assert s["mean_minutes_change"] < 0
    assert s["adults_within_after"] - s["adults_within_before"] == pytest.approx(s["adults_newly_within"])
    for key in ("by_imd_decile", "by_urban_rural", "by_lad"):
        g = res[key]
        assert g["adults_newly_within"].sum() == pytest.approx(s["adults_newly_within"])
        assert g["adults"].sum() == pytest.approx(rutland.adults)
    ch = res["changed_lsoas"]
    assert s["lsoas_nearest_site_changed"] == (ch["site_after"] == "scenario:uppingham-satellite").sum()
    assert (ch["minutes_change"] <= 0).all()


def test_remove_only_hub_northants(settings, northants, estimate) -> None:
    from geo.data.sites import load_sites

    sites = load_sites(settings, area=northants, types=["hub", "satellite"], buffer_km=0)
    model = ScenarioModel.build(northants, sites, estimate)
    base = model.evaluate(threshold_minutes=15)
    target = sites["site_id"].iloc[0]
    sc = Scenario(name="close", changes=(RemoveSite(target),))
    after = model.apply(apply_scenario(sc, sites)).evaluate(threshold_minutes=15, label="close")
    res = compare(base, after)
    s = res["summary"]
    assert s["adults_newly_within"] == 0
    assert s["mean_minutes_change"] >= 0
    lost = (base.nearest_site_id == target) & base.within & ~after.within
    assert s["adults_newly_beyond"] == pytest.approx(base.origins.weights[lost].sum())
    # equals the closure module's leave-one-out answer
    from geo.planning.closure import closure_impact

    ci = closure_impact(northants, sites, estimate, threshold_minutes=15).set_index("site_id")
    assert ci.loc[target, "newly_beyond_adults"] == pytest.approx(s["adults_newly_beyond"])


def test_evaluate_summary(rutland, rutland_hubs, estimate) -> None:
    ev = evaluate(rutland, rutland_hubs, estimate, threshold_minutes=20)
    s = ev.summary()
    assert s["adults"] == rutland.adults and s["lsoas"] == len(rutland.lsoas)
    per = ev.per_lsoa()
    assert per["within"].sum() == s["lsoas_within"]
    assert set(per["nearest_site_id"]) <= set(rutland_hubs["site_id"])


def test_network_router_rutland(settings, rutland, rutland_hubs) -> None:
    from geo.travel.routing import make_router

    router = make_router("drive", area=rutland, settings=settings)
    if router.method != "network":
        pytest.skip("no Rutland road network")
    model = ScenarioModel.build(rutland, rutland_hubs, router)
    p = np.array([[486614.0, 299849.0]])  # Uppingham
    fast = model.add_site_minutes(p)
    extra = pd.DataFrame({"site_id": ["new"], "easting": [p[0, 0]], "northing": [p[0, 1]]})
    full = ScenarioModel.build(rutland, pd.concat([rutland_hubs, extra], ignore_index=True), router)
    np.testing.assert_allclose(fast, full.nearest_minutes, rtol=1e-9)


# ----------------------------------------------------------------------------- CLI


def test_cli_add_save_then_compare(settings, tmp_path, capsys) -> None:
    from geo.cli import main

    out = tmp_path / "upp.json"
    argv = ["--data-dir", str(settings.data_dir), "scenario", "add", "--area", "Rutland", "--sites", "hub",
            "--network", "none", "--threshold", "10", "--postcode", "LE15", "9PZ",
            "--name", "Uppingham satellite", "--save", str(out), "--format", "json"]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    hub = {r["service"]: r for r in first["by_service"]}["hub"]  # per service, each figure with its range
    assert hub["adults_newly_within"] > 0
    assert hub["adults_newly_within_low"] <= hub["adults_newly_within"] <= hub["adults_newly_within_high"]
    assert load_scenario(out).base["area"] == "Rutland"
    argv = ["--data-dir", str(settings.data_dir), "scenario", "remove", "--scenario", str(out),
            "--site-id", "seed:tp-oakham", "--save", str(out), "--format", "json"]
    assert main(argv) == 0
    capsys.readouterr()
    assert [c.kind for c in load_scenario(out).changes] == ["add", "remove"]
    assert main(["--data-dir", str(settings.data_dir), "scenario", "compare", "--scenario", str(out),
                 "--format", "json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["summary"]["changes"] == 2 and res["summary"]["method"] == "estimate"
    assert {r["imd_decile"] for r in res["by_imd_decile"]} <= set(range(1, 11))
    assert {r["service"] for r in res["by_imd_decile"]} == {"hub"}


def test_cli_errors_are_one_line(settings, tmp_path, capsys) -> None:
    from geo.cli import main

    bad = tmp_path / "bad.json"
    bad.write_text("{")
    assert main(["--data-dir", str(settings.data_dir), "scenario", "compare", "--scenario", str(bad)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert main(["--data-dir", str(settings.data_dir), "scenario", "add", "--area", "Rutland",
                 "--network", "none", "--name", "x"]) == 2
    assert "give a location" in capsys.readouterr().err


def test_the_same_place_is_not_added_twice(settings, rutland_hubs) -> None:
    """Adding a site at a postcode (or point) a scenario already adds one at is refused, not duplicated."""
    twice = Scenario(name="x", changes=(AddSite(name="Uppingham satellite", postcode="LE15 9PZ"),
                                        AddSite(name="Another", postcode="le159pz")))
    with pytest.raises(InputError, match=r"change 2 \(add\): a site is already added at postcode LE15 9PZ "
                                         r"\(change 1, 'Uppingham satellite'\); it is not added twice"):
        apply_scenario(twice, rutland_hubs, settings=settings)
    point = Scenario(name="x", changes=(AddSite(name="a", easting=498046.0, northing=304563.0),
                                        AddSite(name="b", easting=498046.4, northing=304562.8)))
    with pytest.raises(InputError, match=r"already added at \(498,046, 304,563\)"):
        apply_scenario(point, rutland_hubs)
    # beside an existing site (the Oakham hub's postcode) is a real question, and allowed
    beside = Scenario(name="x", changes=(AddSite(name="Oakham satellite", postcode="LE15 6HW"),))
    assert len(apply_scenario(beside, rutland_hubs, settings=settings)) == len(rutland_hubs) + 1


def test_cli_refuses_a_duplicate_postcode_and_keeps_the_file(settings, tmp_path, capsys) -> None:
    from geo.cli import main

    out = tmp_path / "sc.json"
    argv = ["--data-dir", str(settings.data_dir), "scenario", "add", "--area", "Rutland", "--sites", "hub",
            "--network", "none", "--postcode", "LE15 9PZ", "--name", "Uppingham satellite", "--save", str(out)]
    assert main(argv) == 0
    saved = out.read_text()
    capsys.readouterr()
    again = [*argv[:6], "--scenario", str(out), *argv[6:]]
    assert main(again) == 2
    err = capsys.readouterr().err
    assert "already added at postcode LE15 9PZ" in err and "not added twice" in err
    assert out.read_text() == saved and len(load_scenario(out).changes) == 1


def test_changes_are_checked_when_built_in_code() -> None:
    """The one schema holds for the API, the CLI and the app as for files: InputError naming the field."""
    from geo.data.site_types import NEW_SITE_TYPE

    with pytest.raises(InputError, match=r"^add change: give a location: 'easting'\+'northing', 'postcode'"):
        AddSite(name="a")
    with pytest.raises(InputError, match=r"^capacity change: field 'capacity' is not valid: give a number"):
        ChangeCapacity("seed:tp-oakham", -1)
    with pytest.raises(InputError, match=r"^scenario: changes\[1\]: field 'site_id' is missing"):
        Scenario(name="x", changes=(RemoveSite("a"), {"kind": "remove"}))
    assert MoveSite("s", postcode="LE15 9PZ") == MoveSite(site_id="s", postcode="LE15 9PZ")
    editor = Scenario(name="atlas", changes=[{"kind": "add", "name": "New", "easting": 486614.0,
                                              "northing": 299849.0, "postcode": ""}])  # the app's dicts
    assert isinstance(editor.changes[0], AddSite) and editor.changes[0].site_type == NEW_SITE_TYPE
