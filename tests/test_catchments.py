"""Nearest-site tables and isochrones on real Rutland roads and Northamptonshire estimates."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import shapely

from geo.data.sites import load_sites
from geo.travel.catchments import isochrones, nearest_times, site_lsoa_minutes
from geo.travel.routing import make_router


@pytest.fixture(scope="module")
def rutland_run(settings, rutland_buffered):
    router = make_router("drive", area=rutland_buffered, settings=settings)
    sites = load_sites(settings, area=rutland_buffered, types=["hub", "pharmacy"])
    return rutland_buffered, sites, router


def test_nearest_times_rutland(rutland_run):
    area, sites, router = rutland_run
    t = nearest_times(area, sites, router, by_type=True, k=2)
    assert len(t) == len(area.all_lsoas)  # nothing dropped
    core = t[t["in_area"]]
    assert len(core) == 26 and core["adults"].sum() == 33_402
    assert core["status"].eq("ok").all() and (core["method"] == "network").all()
    assert core["minutes"].min() > 0 and core["minutes"].max() < 30
    assert (core["minutes_hub"] >= core["minutes"] - 1e-9).all()
    assert (core["minutes_2"] >= core["minutes"] - 1e-9).all()
    # LSOAs outside the Rutland extract are reached by a labelled mixed route or the estimate, never dropped
    ring = t[~t["in_area"]]
    assert set(ring["method"]) == {"network", "mixed", "estimate"} and ring["minutes"].notna().all()
    oakham = core.loc[core["site_id"] == "seed:tp-oakham"]
    assert len(oakham) >= 1


def test_site_lsoa_matrix_long_form(rutland_run):
    area, sites, router = rutland_run
    long = site_lsoa_minutes(area, sites, router)
    assert list(long.columns) == ["site_id", "lsoa21cd", "minutes"]
    assert long["minutes"].notna().all()
    t = nearest_times(area, sites, router)
    best = long.groupby("lsoa21cd")["minutes"].min()
    ok = t["minutes"].dropna()
    assert np.allclose(best.reindex(ok.index), ok)


def test_isochrones_nest_and_contain_reached_nodes(rutland_run):
    area, sites, router = rutland_run
    hub = sites[sites["site_id"] == "seed:tp-oakham"]
    iso = isochrones(router, hub, bands_minutes=(5, 10, 20))
    assert iso.crs.to_epsg() == 27700 and list(iso["band_minutes"]) == [5, 10, 20]
    areas = iso.area.to_numpy()
    assert np.all(np.diff(areas) > 0)
    assert iso.geometry.iloc[0].buffer(60).covers(iso.geometry.iloc[0])
    inner, outer = iso.geometry.iloc[1], iso.geometry.iloc[2]
    assert inner.difference(outer.buffer(60)).area < 0.001 * inner.area  # nested (simplify slack)
    secs, _ = router.node_seconds_to(hub[["easting", "northing"]].to_numpy(float), max_minutes=10)
    net = router.network
    reached = np.flatnonzero(secs <= 600)
    inside = shapely.contains_xy(iso.geometry.iloc[1].buffer(30), net.node_x[reached], net.node_y[reached])
    assert inside.mean() > 0.99


def test_estimate_isochrones_labelled(settings, northants):
    r = make_router("drive", area=northants, settings=settings)
    sites = load_sites(settings, area=northants, types=["hub"])
    iso = isochrones(r, sites.head(1), bands_minutes=(10, 20))
    assert (iso["method"] == "estimate").all() and iso.area.iloc[1] > iso.area.iloc[0]


def test_northamptonshire_estimate(settings, northants):
    r = make_router("drive", area=northants, settings=settings)
    sites = load_sites(settings, area=northants, types=["hub"])
    t = nearest_times(northants, sites, r)
    core = t[t["in_area"]]
    assert len(core) == 442 and (core["method"] == "estimate").all()
    assert core["minutes"].between(0, 90).all()
    assert "ESTIMATE" in t.attrs["router_label"]


def _geo(*args):
    return subprocess.run([sys.executable, "-m", "geo", *args], capture_output=True, text=True, check=False)


def test_cli_access_json(tmp_path):
    out = tmp_path / "access.json"
    res = _geo("access", "--area", "Rutland", "--sites", "hub,pharmacy", "--format", "json", "--out", str(out))
    assert res.returncode == 0, res.stderr
    rows = json.loads(out.read_text())
    assert len(rows) == 26 and {"minutes", "site_name", "method"} <= set(rows[0])
    assert "OpenStreetMap roads" in res.stderr


def test_cli_catchments_gpkg(tmp_path):
    import geopandas as gpd

    out = tmp_path / "c.gpkg"
    res = _geo("catchments", "--area", "Rutland", "--sites", "hub", "--in-county-only", "--bands", "10,20",
               "--out", str(out))
    assert res.returncode == 0, res.stderr
    gdf = gpd.read_file(out)
    assert len(gdf) == 2 and gdf.crs.to_epsg() == 27700
    bad = _geo("catchments", "--area", "Rutland", "--bands", "ten", "--out", str(out))
    assert bad.returncode == 2 and "--bands" in bad.stderr and "Traceback" not in bad.stderr
