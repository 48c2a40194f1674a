"""Disclosure checks: small counts, postcodes and identifiers in frames and written files."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from geo._errors import DisclosureError, InputError
from geo.measures.disclosure import (
    DEFAULT_THRESHOLD,
    check_disclosure,
    find_disclosure_problems,
    scan_file,
    scan_text_for_postcodes,
)


def test_threshold_comes_from_the_ptable() -> None:
    from geo.measures.cellkey import SMALL_COUNT, default_ptable

    assert DEFAULT_THRESHOLD == SMALL_COUNT + 1 == default_ptable().small_count + 1 == 5


# ---------------------------------------------------------------- checks
def test_check_disclosure_flags_small_counts() -> None:
    df = pd.DataFrame({"lad": ["A", "B"], "clients": [10, 3]})
    with pytest.raises(DisclosureError, match=r"'clients' shows 1 count\(s\) between 1 and 4 \(row 2\)"):
        check_disclosure(df)
    check_disclosure(df.assign(clients=[10, 5]))


def test_check_disclosure_ignores_rates_errors_and_zero() -> None:
    df = pd.DataFrame({"clients": [0, 10], "clients_per_1000_adults": [2.5, 3.0], "share_of_clients_pct": [1.0, 3.0],
                       "adults": [3, 4], "clients_error": [4, 3]})
    check_disclosure(df)


def test_check_disclosure_postcodes_and_identifiers() -> None:
    df = pd.DataFrame({"note": ["lives near NN1 5BA", "ok"], "clients": [10, 12]})
    with pytest.raises(DisclosureError, match=r"'note' holds 1 postcode-like value\(s\) \(row 1\)") as exc:
        check_disclosure(df)
    assert "5BA" not in str(exc.value)
    with pytest.raises(DisclosureError, match="record-level identifier"):
        check_disclosure(pd.DataFrame({"client_id": ["x"], "clients": [10]}))
    with pytest.raises(DisclosureError, match="postcode-like"):
        check_disclosure(pd.DataFrame({"x": ["nn15ba"]}))
    check_disclosure(pd.DataFrame({"site": ["NN1 5BA"]}), allowed_postcodes=["nn15ba"])


def test_check_disclosure_scans_index() -> None:
    df = pd.DataFrame({"clients": [10]}, index=pd.Index(["LE3 8RA"], name="area"))
    assert find_disclosure_problems(df)


@pytest.mark.parametrize(("text", "n"), [
    ("NN1 5BA", 1), ("at LE3 8RA and E1 6AN.", 2), ("EC1A 1BB", 1), ("GIR 0AA", 1),
    ("E01027178", 0), ("colour #AB12CD", 0), ("NN1", 0), ("W1A 0AX,SW1A 2AA", 2), ("ANN1 5BAX", 0),
])
def test_scan_text_for_postcodes(text: str, n: int) -> None:
    found = scan_text_for_postcodes(text)
    assert len(found) == n
    assert all(f.endswith(" ***") for f in found)


def test_scan_text_loose_and_allowed() -> None:
    assert scan_text_for_postcodes("nn15ba") == []
    assert scan_text_for_postcodes("nn15ba", loose=True) == ["NN1 ***"]
    assert scan_text_for_postcodes("NN1 5BA", allowed=["NN15BA"]) == []


def test_scan_file_formats(tmp_path) -> None:
    clean = tmp_path / "clean.csv"
    pd.DataFrame({"lsoa21cd": ["E01027178"], "clients": [12]}).to_csv(clean, index=False)
    assert scan_file(clean) == []
    small = tmp_path / "small.csv"
    pd.DataFrame({"lsoa21cd": ["E01027178", "E01027179"], "clients": [12, 2]}).to_csv(small, index=False)
    assert any("between 1 and 4" in f for f in scan_file(small))
    assert scan_file(small, check_counts=False) == []
    html = tmp_path / "report.html"
    html.write_text("<p>Client at NN1 5BA</p>\n<p style='color:#AB12CD'>ok</p>")
    found = scan_file(html)
    assert found == ["report.html: line 1: postcode-like string NN1 ***"]
    gj = tmp_path / "out.geojson"
    gj.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": None, "properties": {"clients": 3, "pc": "LE3 8RA"}}]}))
    found = scan_file(gj)
    assert any("between 1 and 4" in f for f in found)
    assert any("postcode" in f for f in found)
    assert all("8RA" not in f for f in found)


def test_scan_file_gpkg(tmp_path) -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    p = tmp_path / "out.gpkg"
    gpd.GeoDataFrame({"deaths": [2, 20], "name": ["x", "SW1A 2AA"]}, geometry=[Point(0, 0), Point(1, 1)],
                     crs="EPSG:27700").to_file(p, layer="a", engine="pyogrio")
    found = scan_file(p)
    assert any("'deaths'" in f for f in found)
    assert any("postcode" in f for f in found)


def test_scan_file_missing(tmp_path) -> None:
    with pytest.raises(InputError, match="not found"):
        scan_file(tmp_path / "nope.csv")
