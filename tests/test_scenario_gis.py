"""GIS layers of a scenario: the changed LSOA polygons and the sites with what changed, on Rutland."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

from geo._errors import InputError
from geo.outputs.scenario_gis import SITE_CHANGES, site_changes


def test_site_changes_names_each_kind_of_change() -> None:
    """Hand-made sites: one of each change, matched by ``site_id``."""
    before = pd.DataFrame({"site_id": ["a", "b", "c", "d"], "easting": [1.0, 2.0, 3.0, 4.0],
                           "northing": [1.0, 2.0, 3.0, 4.0],
                           "opening_hours": ["Mo-Fr 09:00-17:00", "", "", None], "capacity": [np.nan, 10, 5, 1]})
    after = pd.DataFrame({"site_id": ["a", "b", "d", "e"], "easting": [1.0, 2.0, 900.0, 5.0],
                          "northing": [1.0, 2.0, 4.0, 5.0],
                          "opening_hours": ["Mo-Fr 09:00-17:00", "", None, ""], "capacity": [np.nan, 20, 1, 1]})
    got = site_changes(before, after).set_index("site_id")["scenario_change"].to_dict()
    assert got == {"a": "unchanged", "b": "changed", "c": "removed", "d": "moved", "e": "added"}
    assert set(got.values()) == set(SITE_CHANGES)
    with pytest.raises(InputError, match="site_id"):
        site_changes(before.drop(columns="site_id"), after)


def test_cli_scenario_and_report_write_the_layers(settings, tmp_path, capsys) -> None:
    from geo.cli import main

    sat, gpkg, report_gpkg = tmp_path / "sat.json", tmp_path / "sat.gpkg", tmp_path / "report.gpkg"
    common = ["--data-dir", str(settings.data_dir)]
    assert main([*common, "scenario", "add", "--area", "Rutland", "--sites", "hub", "--network", "none",
                 "--threshold", "10", "--postcode", "LE15", "9PZ", "--name", "Uppingham satellite",
                 "--save", str(sat), "--gpkg", str(gpkg), "--format", "json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert [r[0] for r in pyogrio.list_layers(gpkg)] == ["scenario_lsoas", "scenario_sites"]
    lsoas = gpd.read_file(gpkg, layer="scenario_lsoas")
    assert lsoas.crs.to_epsg() == 27700 and lsoas.geometry.notna().all() and len(lsoas)
    assert set(lsoas["scenario"]) == {"Uppingham satellite"}
    hub = lsoas[lsoas["service"] == "hub"]
    # the layer holds the same changed LSOAs as the answer (which lists the first of them)
    assert hub["lsoa21cd"].str.startswith("E01").all() and hub["lsoa21cd"].is_unique
    assert (hub["minutes_change"] < 0).all()  # a new site only brings LSOAs closer
    assert (hub["minutes_change_low"] <= hub["minutes_change"]).all()
    assert (hub["minutes_change"] <= hub["minutes_change_high"]).all()
    newly = hub[(hub["minutes_before"] > 10) & (hub["minutes_after"] <= 10)]
    by_service = {r["service"]: r for r in answer["by_service"]}
    assert newly["adults"].sum() == pytest.approx(by_service["hub"]["adults_newly_within"])
    sites = gpd.read_file(gpkg, layer="scenario_sites")
    assert sites.set_index("site_id")["scenario_change"].to_dict() == {
        "seed:tp-oakham": "unchanged", "scenario:uppingham-satellite": "added"}
    assert "address" not in sites.columns
    # a postcode is written only when it is a public service address (LE15 9PZ is a GP practice's)
    from geo.data.sites import public_site_postcodes

    public = {p.replace(" ", "") for p in public_site_postcodes(settings)}
    written = {p.replace(" ", "") for p in sites["postcode"].fillna("") if p.strip()}
    assert written <= public and "LE159PZ" in written
    # the report's GeoPackage carries the same layers after its own
    assert main([*common, "report", "--area", "Rutland", "--sites", "hub", "--network", "none",
                 "--threshold", "10", "--scenario", str(sat), "--out", str(tmp_path / "r.html"),
                 "--gpkg", str(report_gpkg), "--no-charts"]) == 0
    capsys.readouterr()
    assert [r[0] for r in pyogrio.list_layers(report_gpkg)] == ["lsoas", "sites", "scenario_lsoas", "scenario_sites"]
    again = gpd.read_file(report_gpkg, layer="scenario_lsoas")
    assert sorted(again["lsoa21cd"]) == sorted(lsoas["lsoa21cd"])
