"""GeoPackage / CSV exports of LSOA access metrics and sites, on real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.cli import main

pyogrio = pytest.importorskip("pyogrio")
gpd = pytest.importorskip("geopandas")


@pytest.fixture(scope="module")
def rutland_metrics(settings, rutland):
    """Rutland on the bundled roads: sites, LSOA metrics and the public site postcodes."""
    from geo.data.sites import load_sites, public_site_postcodes
    from geo.measures.need import composite_need_index, need_table
    from geo.outputs.export import lsoa_metrics
    from geo.travel.catchments import nearest_times
    from geo.travel.routing import make_router

    sites = load_sites(settings, area=rutland, types=["hub", "pharmacy"], buffer_km=15.0)
    times = nearest_times(rutland, sites, make_router("drive", area=rutland, settings=settings))
    need = composite_need_index(need_table(rutland.lsoas, settings))
    metrics = lsoa_metrics(rutland, times, threshold_minutes=15, need=need)
    return sites, metrics, public_site_postcodes(settings)


def test_lsoa_metrics_columns(rutland_metrics) -> None:
    _, m, _ = rutland_metrics
    assert len(m) == 26 and m["adults"].sum() == 33402
    assert m.crs.to_epsg() == 27700
    for col in ("minutes", "site_name", "status", "method", "adults", "imd_decile", "urban_rural",
                "need_index", "need_percentile", "gap_score", "gap_rank", "rural_gap",
                "beyond_threshold", "threshold_minutes"):
        assert col in m.columns, col
    assert m["lsoa21cd"].is_unique and m.geometry.is_valid.all()
    assert (m["beyond_threshold"] == (m["minutes"] >= 15)).all()  # all reachable in Rutland
    assert not ({"postcode", "address", "drug_deaths_la"} & set(m.columns))


def test_export_geopackage_and_csv(rutland_metrics, tmp_path) -> None:
    from geo.measures.disclosure import scan_file
    from geo.outputs.export import export_geopackage, export_lsoa_csv

    sites, m, allowed = rutland_metrics
    path = export_geopackage(tmp_path / "rutland.gpkg", m, sites, allowed_postcodes=allowed)
    assert {name for name, _ in pyogrio.list_layers(path)} == {"lsoas", "sites"}
    lsoas = gpd.read_file(path, layer="lsoas", engine="pyogrio")
    pts = gpd.read_file(path, layer="sites", engine="pyogrio")
    assert lsoas.crs.to_epsg() == 27700 and pts.crs.to_epsg() == 27700
    assert len(lsoas) == 26 and lsoas["adults"].sum() == 33402
    assert lsoas.geometry.is_valid.all() and not lsoas.geometry.is_empty.any()
    assert set(lsoas.geom_type) <= {"Polygon", "MultiPolygon"}
    assert np.allclose(lsoas.geometry.area.sum(), m.geometry.area.sum())
    located = np.isfinite(sites[["easting", "northing"]].to_numpy(float)).all(axis=1)
    assert len(pts) == int(located.sum()) and (pts.geom_type == "Point").all()
    assert {"site_id", "name", "site_type", "in_area", "opening_hours"} <= set(pts.columns)
    assert "address" not in pts.columns
    assert pts["in_area"].sum() == sites.loc[located, "in_area"].sum()
    np.testing.assert_allclose(lsoas.set_index("lsoa21cd").loc[m["lsoa21cd"], "minutes"],
                               m["minutes"].to_numpy())
    assert scan_file(path, allowed_postcodes=allowed) == []
    csv = export_lsoa_csv(tmp_path / "rutland.csv", m)
    table = pd.read_csv(csv)
    assert len(table) == 26 and "geometry" not in table.columns and table["adults"].sum() == 33402
    assert scan_file(csv) == []
    assert not list(tmp_path.glob(".*tmp*"))  # atomic: no temporary files left


def test_site_postcodes_only_when_public(rutland_metrics, tmp_path) -> None:
    from geo.outputs.export import export_geopackage, site_layer

    sites, m, allowed = rutland_metrics
    private = sites.copy()
    private["postcode"] = private["postcode"].astype(object)
    private.loc[private.index[0], "postcode"] = "ZZ9 9ZZ"  # not a public service address
    layer = site_layer(private, allowed_postcodes=allowed)
    assert "ZZ9 9ZZ" not in set(layer["postcode"])
    assert "postcode" not in site_layer(sites, allowed_postcodes=None).columns
    path = export_geopackage(tmp_path / "p.gpkg", m, private, allowed_postcodes=allowed)
    assert "ZZ9 9ZZ" not in set(gpd.read_file(path, layer="sites")["postcode"])


def test_export_refuses_bad_inputs(rutland_metrics, tmp_path) -> None:
    from geo._errors import CrsError, SchemaError
    from geo.outputs.export import export_geopackage

    sites, m, _ = rutland_metrics
    with pytest.raises(SchemaError, match="gpkg"):
        export_geopackage(tmp_path / "x.shp", m, sites)
    with pytest.raises(CrsError):
        export_geopackage(tmp_path / "x.gpkg", m.to_crs(4326), sites)
    assert not (tmp_path / "x.gpkg").exists()


def test_northants_estimate_export(settings, northants, tmp_path) -> None:
    from geo.data.sites import load_sites
    from geo.measures.coverage import restrict_sites
    from geo.outputs.export import export_geopackage, lsoa_metrics
    from geo.travel.catchments import nearest_times
    from geo.travel.routing import make_router

    sites = restrict_sites(load_sites(settings, area=northants, types=["hub"]))
    times = nearest_times(northants, sites, make_router("drive", area=northants, settings=settings,
                                                         network=None))
    m = lsoa_metrics(northants, times, threshold_minutes=45)
    path = export_geopackage(tmp_path / "n.gpkg", m, sites)  # no allowed list: postcodes dropped
    lsoas = gpd.read_file(path, layer="lsoas")
    assert len(lsoas) == 442 and lsoas["adults"].sum() == 614188
    assert set(lsoas["method"]) == {"estimate"}
    # the estimate's range travels with every LSOA (10th-90th pct of held-out errors)
    assert (lsoas["minutes_low"] <= lsoas["minutes"]).all() and (lsoas["minutes_high"] >= lsoas["minutes"]).all()
    assert "postcode" not in gpd.read_file(path, layer="sites").columns


def test_cli_report_exports(settings, tmp_path, capsys) -> None:
    from geo.data.sites import public_site_postcodes
    from geo.measures.disclosure import scan_file

    rc = main(["report", "--area", "Rutland", "--sites", "hub,pharmacy", "--mode", "drive",
               "--threshold", "15", "--no-charts", "--out", str(tmp_path / "r.html"),
               "--gpkg", str(tmp_path / "r.gpkg"), "--csv", str(tmp_path / "r.csv")])
    assert rc == 0
    err = capsys.readouterr().err
    assert "r.gpkg" in err and "r.csv" in err
    assert len(gpd.read_file(tmp_path / "r.gpkg", layer="lsoas")) == 26
    assert pd.read_csv(tmp_path / "r.csv")["adults"].sum() == 33402
    allowed = public_site_postcodes(settings)
    for name in ("r.html", "r.gpkg", "r.csv"):
        assert scan_file(tmp_path / name, allowed_postcodes=allowed) == [], name
