"""Sites registry: seed sites, ODS pharmacies, user files, area filter and unknown postcodes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo._errors import InputError, SchemaError
from geo.config import Settings
from geo.data.site_types import SITE_TYPES
from geo.data.sites import (
    load_pharmacy_sites,
    load_seed_sites,
    load_sites,
    read_sites_file,
    unlocated_sites,
)


def test_seed_registry_locates_every_current_site(settings: Settings) -> None:
    seed = load_seed_sites(settings)
    assert seed["site_id"].is_unique
    assert set(seed["site_type"]) <= set(SITE_TYPES)
    assert set(seed["location_precision"]) <= {"postcode", "town"}
    # Open Road's South Essex centre is named in the seeds with no town: listed, not missing
    assert unlocated_sites(seed)["site_id"].tolist() == ["seed:openroad-south-essex"]
    nn = seed.set_index("site_id").loc["seed:cgl-northampton"]
    assert nn["location_precision"] == "postcode" and nn["postcode"] == "NN1 5BA"
    assert seed.set_index("site_id").loc["seed:cgl-corby", "location_precision"] == "town"


def test_historical_sites_are_optional(settings: Settings) -> None:
    assert "seed:cri-daventry-2015" not in set(load_seed_sites(settings)["site_id"])
    assert "seed:cri-daventry-2015" in set(load_seed_sites(settings, include_historical=True)["site_id"])


def test_all_active_pharmacies(settings: Settings) -> None:
    ph = load_pharmacy_sites(settings)
    assert len(ph) == 10545  # 10,546 active, one has no coordinates in the ODS extract
    bad = unlocated_sites(ph)
    assert bad["site_id"].tolist() == ["ods:FF141"]  # reported, not silently dropped
    assert ph.crs.to_epsg() == 27700


def test_area_filter_and_cross_border(settings: Settings, rutland) -> None:
    s0 = load_sites(settings, area=rutland, buffer_km=0)
    assert s0["in_area"].all()
    assert set(s0["site_type"]) == {"hub", "pharmacy"}
    s10 = load_sites(settings, area=rutland, buffer_km=10)
    assert len(s10) > len(s0) and (~s10["in_area"]).sum() > 0
    hubs = load_sites(settings, area=rutland, types=["hub"], buffer_km=15)
    assert set(hubs["site_type"]) == {"hub"}
    assert "seed:cgl-corby" in set(hubs["site_id"])  # cross-border hub near Rutland


def test_user_csv_postcodes_and_coordinates(settings: Settings, tmp_path: Path) -> None:
    f = tmp_path / "mine.csv"
    pd.DataFrame({
        "name": ["Oakham NSP", "Van stop", "Lat/lon site"],
        "site_type": ["nsp", "outreach", "satellite"],
        "postcode": ["le15 6rb", "", ""],
        "lat": ["", "", "52.59"], "lon": ["", "", "-0.72"],
        "easting": ["", "490000", ""], "northing": ["", "305000", ""],
        "opening_hours": ["Mo-Fr 09:00-17:00", "", ""],
    }).to_csv(f, index=False)
    s = read_sites_file(f, settings)
    assert s["location_precision"].tolist() == ["postcode", "coordinates", "coordinates"]
    assert s["site_id"].tolist() == ["user:2", "user:3", "user:4"]
    assert s.iloc[0]["postcode"] == "LE15 6RB"


def test_unknown_postcodes_reported_row_by_row(settings: Settings, tmp_path: Path) -> None:
    f = tmp_path / "bad.csv"
    f.write_text("name,postcode\nA,LE15 6RB\nB,ZZ9 9ZZ\nC,banana\nD,CF10 1AA\n")
    with pytest.raises(InputError) as exc:
        read_sites_file(f, settings)
    msg = str(exc.value)
    assert "bad.csv: 3 of 4 site(s) cannot be located" in msg
    assert "row 3 (B): postcode 'ZZ9 9ZZ' is not a live English postcode" in msg
    assert "row 4 (C)" in msg and "not a valid UK postcode" in msg
    assert "row 5 (D)" in msg
    ok = read_sites_file(f, settings, on_unlocated="report")
    assert len(ok) == 1 and unlocated_sites(ok)["row"].tolist() == [3, 4, 5]


def test_swapped_lat_lon_detected(settings: Settings, tmp_path: Path) -> None:
    f = tmp_path / "swap.csv"
    f.write_text("name,lat,lon\nX,-0.72,52.59\n")
    with pytest.raises(InputError, match="swapped"):
        read_sites_file(f, settings)


def test_missing_columns(settings: Settings, tmp_path: Path) -> None:
    f = tmp_path / "cols.csv"
    f.write_text("title,town\nA,Oakham\n")
    with pytest.raises(SchemaError, match="cols.csv: missing column 'name'"):
        read_sites_file(f, settings)
    g = tmp_path / "noloc.csv"
    g.write_text("name,town\nA,Oakham\n")
    with pytest.raises(SchemaError, match="no location columns"):
        read_sites_file(g, settings)


def test_unknown_site_type(settings: Settings, tmp_path: Path) -> None:
    f = tmp_path / "t.csv"
    f.write_text("name,postcode,site_type\nA,LE15 6RB,bus\n")
    with pytest.raises(SchemaError, match=r"unknown site_type \['bus'\] at rows \[2\]"):
        read_sites_file(f, settings)
