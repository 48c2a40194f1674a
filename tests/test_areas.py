"""Area selection by name, code, county, ICB, region, England, several LADs and polygons."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Polygon, box

from geo._errors import AreaError, CrsError, InputError
from geo.config import Settings
from geo.data.areas import select_area


def test_lad_by_name_and_code_agree(settings: Settings) -> None:
    a = select_area("rutland", settings=settings)
    b = select_area("E06000017", settings=settings)
    assert a.name == b.name == "Rutland"
    assert len(a.lsoas) == 26 and a.adults == 33402
    assert list(a.lsoas.index) == list(b.lsoas.index)


def test_county_aliases(settings: Settings, lsoa_table) -> None:
    n = select_area("Northamptonshire", settings=settings)
    assert set(n.lsoas["lad24nm"]) == {"North Northamptonshire", "West Northamptonshire"}
    assert len(n.lsoas) == int(lsoa_table["lad24cd"].isin(["E06000061", "E06000062"]).sum())
    leics = select_area("Leicestershire", settings=settings)
    assert set(leics.lsoas["utla23nm"]) == {"Leicestershire"}
    assert "Leicester" not in set(leics.lsoas["lad24nm"])
    essex = select_area("Essex", settings=settings)
    assert essex.kind == "county" and "Southend-on-Sea" not in set(essex.lsoas["lad24nm"])


def test_icb_region_england_and_several_lads(settings: Settings, lsoa_table) -> None:
    icb = select_area("NHS Leicester, Leicestershire and Rutland Integrated Care Board", settings=settings)
    assert {"Leicester", "Rutland"} <= set(icb.lsoas["lad24nm"])
    region = select_area("East Midlands", settings=settings)
    assert region.kind == "region" and len(region.lsoas) == int((lsoa_table["rgn24nm"] == "East Midlands").sum())
    assert len(select_area("England", settings=settings).lsoas) == 33755
    two = select_area("Rutland; Melton", settings=settings)
    assert set(two.lsoas["lad24nm"]) == {"Rutland", "Melton"} and two.kind == "lads"


def test_unknown_area_suggests(settings: Settings) -> None:
    with pytest.raises(AreaError, match="Did you mean: Rutland"):
        select_area("Rutlnd", settings=settings)


def test_buffer_ring_holds_neighbours_only(settings: Settings) -> None:
    a = select_area("Rutland", settings=settings, buffer_km=10)
    assert len(a.buffer_lsoas) > 0
    assert not set(a.buffer_lsoas.index) & set(a.lsoas.index)
    assert set(a.buffer_lsoas["lad24nm"]) - {"Rutland"}
    d = a.polygon.distance(gpd.points_from_xy(a.buffer_lsoas["easting"], a.buffer_lsoas["northing"])[0])
    assert d <= 10_000
    assert a.all_lsoas["in_area"].sum() == len(a.lsoas)


def _write_geojson(path: Path, geom, crs: str = "EPSG:27700") -> Path:
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[geom], crs=crs).to_file(path, driver="GeoJSON")
    return path


def test_polygon_file_selects_by_centroid(settings: Settings, rutland, tmp_path: Path) -> None:
    poly = rutland.polygon.buffer(-200)
    f = _write_geojson(tmp_path / "rutland.geojson", poly)
    a = select_area(str(f), settings=settings)
    assert a.kind == "polygon" and a.name == "rutland"
    assert set(a.lsoas.index) <= set(rutland.lsoas.index)
    assert len(a.lsoas) >= 24


def test_polygon_in_wgs84(settings: Settings, rutland, tmp_path: Path) -> None:
    g = gpd.GeoSeries([rutland.polygon], crs="EPSG:27700").to_crs("EPSG:4326").iloc[0]
    f = _write_geojson(tmp_path / "r.geojson", g, crs="EPSG:4326")
    assert len(select_area(f, settings=settings).lsoas) == 26


def test_polygon_outside_england_and_swapped(settings: Settings, tmp_path: Path) -> None:
    f = _write_geojson(tmp_path / "paris.geojson", box(2.2, 48.8, 2.4, 48.9), crs="EPSG:4326")
    with pytest.raises(CrsError, match="outside England"):
        select_area(f, settings=settings)
    swapped = _write_geojson(tmp_path / "swapped.geojson", box(52.6, -0.8, 52.7, -0.6), crs="EPSG:4326")
    with pytest.raises(CrsError, match="swapped"):
        select_area(swapped, settings=settings)


def test_invalid_polygon_error_or_repair(settings: Settings, rutland, tmp_path: Path) -> None:
    x0, y0, x1, y1 = rutland.polygon.bounds
    bowtie = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])
    f = _write_geojson(tmp_path / "bowtie.geojson", bowtie)
    with pytest.raises(InputError, match="Self-intersection.*Fix Geometries"):
        select_area(f, settings=settings)
    assert len(select_area(f, settings=settings, repair=True).lsoas) > 0


def test_not_geojson(settings: Settings, tmp_path: Path) -> None:
    f = tmp_path / "area.geojson"
    f.write_text(json.dumps({"hello": "world"}))
    with pytest.raises(InputError, match="area.geojson"):
        select_area(f, settings=settings)


def test_sub_icb_location_by_name_and_code(settings: Settings) -> None:
    """The kind added through ``AREA_KINDS`` (one row) plus its lookup columns: selected by name or
    GSS code, exactly the LSOAs the ONS lookup gives that sub-ICB location, listed by ``geo areas``."""
    import pandas as pd

    from geo.data.area_names import list_area_names

    raw = pd.read_csv(settings.data_dir / "tables/lookup_lsoa21_geographies.csv", dtype=str)
    want = set(raw.loc[raw["sicbl24cd"] == "E38000201", "lsoa21cd"])
    by_name = select_area("NHS Leicester, Leicestershire and Rutland ICB - 04V", settings=settings)
    by_code = select_area("E38000201", settings=settings)
    assert by_name.kind == by_code.kind == "sub_icb"
    assert by_name.name == by_code.name == "NHS Leicester, Leicestershire and Rutland ICB - 04V"
    assert set(by_name.lsoas.index) == set(by_code.lsoas.index) == want
    assert "NHS Northamptonshire ICB - 78H" in list_area_names(settings)["sub_icb"]


def test_a_new_area_kind_is_one_registry_row(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/architecture.md's row "to add an area kind": a row in ``AREA_KINDS`` is enough for
    selection by name and code, listing and the unknown-code message (here wards by GSS code)."""
    from geo.data import area_names, areas

    kind = area_names.AreaKind("ward_2024", "ward (2024)", "wd24nm", "wd24cd")
    monkeypatch.setattr(area_names, "AREA_KINDS", (*area_names.AREA_KINDS, kind))
    table = areas.load_lsoa_table(settings)
    code = str(table.loc[table["wd24nm"] == "Oakham North West", "wd24cd"].iloc[0])
    ward = select_area(code, settings=settings)
    assert ward.kind == "ward_2024" and ward.name == "Oakham North West"
    assert set(ward.lsoas["wd24cd"]) == {code}
    assert "Oakham North West" in area_names.list_area_names(settings)["ward_2024"]
    with pytest.raises(AreaError, match=r"ward \(2024\)"):
        select_area("E05999999", settings=settings)
