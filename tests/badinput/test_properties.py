"""Property-based companions to the enumerated corpus: for ANY input, the loaders either succeed
or raise a GeoError -- never a bare traceback (KeyError, UnicodeDecodeError, IndexError, ...)."""

from __future__ import annotations

import json
import string

import pandas as pd
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from geo._errors import GeoError
from geo.config import Settings

PROFILE = hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

_cell = st.one_of(st.text(max_size=12), st.sampled_from(["LE15 6HP", "52.67", "-0.73", "486331", "308601", "",
                                                          "NaN", "inf", "-1", "1e9", "hub", "£", "é"]))
_header = st.sampled_from(["name", "site_name", "postcode", "easting", "northing", "lat", "lon", "latitude",
                           "longitude", "site_type", "site_id", "capacity", "Name", "POSTCODE", "x", ""])


@pytest.mark.badinput
@PROFILE
@given(data=st.binary(max_size=2048))
def test_any_bytes_as_csv_upload(data: bytes) -> None:
    from geo.data.uploads import read_user_csv

    try:
        df = read_user_csv(data, source="fuzz.csv")
    except GeoError as exc:
        assert "fuzz.csv" in str(exc)
    else:
        assert isinstance(df, pd.DataFrame) and len(df) > 0


@pytest.mark.badinput
@PROFILE
@given(text=st.text(alphabet=string.printable + "£é\u00a0\ufeff", max_size=600),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
def test_any_text_in_any_accepted_encoding(text: str, encoding: str) -> None:
    from geo.data.uploads import read_user_csv

    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return
    try:
        read_user_csv(data, source="fuzz_text.csv")
    except GeoError as exc:
        assert "fuzz_text.csv" in str(exc)


@pytest.mark.badinput
@PROFILE
@given(headers=st.lists(_header, min_size=1, max_size=6), rows=st.lists(st.lists(_cell, min_size=6, max_size=6),
                                                                         min_size=1, max_size=4))
def test_any_sites_table(settings: Settings, headers: list[str], rows: list[list[str]]) -> None:
    from geo.data.sites import sites_from_table

    df = pd.DataFrame([r[: len(headers)] for r in rows], columns=range(len(headers)))
    df.columns = headers
    try:
        out = sites_from_table(df, settings, source="fuzz_sites.csv")
    except GeoError as exc:
        assert "fuzz_sites.csv" in str(exc) or "site" in str(exc)
    else:
        assert out.crs.to_epsg() == 27700
        assert out["easting"].notna().all()


@pytest.mark.badinput
@PROFILE
@given(pcs=st.lists(st.one_of(st.text(max_size=10), st.from_regex(r"[A-Z]{1,2}[0-9]{1,2} ?[0-9][A-Z]{2}",
                                                                    fullmatch=True)), min_size=1, max_size=8))
def test_any_postcodes_get_a_status(settings: Settings, pcs: list[str]) -> None:
    from geo.data.geocode import geocode_postcodes

    g = geocode_postcodes(pcs, settings)
    assert len(g) == len(pcs)
    assert set(g["status"]) <= {"found", "missing", "invalid", "unknown"}


@pytest.mark.badinput
@hsettings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=st.text(max_size=30))
def test_any_area_name(settings: Settings, spec: str) -> None:
    from geo.data.areas import select_area

    try:
        area = select_area(spec, settings=settings)
    except GeoError as exc:
        assert str(exc)
    else:
        assert len(area.lsoas) > 0


_json = st.recursive(st.none() | st.booleans() | st.floats(allow_nan=False) | st.text(max_size=8),
                     lambda c: st.lists(c, max_size=4) | st.dictionaries(st.sampled_from(
                         ["type", "features", "geometry", "coordinates", "properties", "crs"]), c, max_size=4),
                     max_leaves=20)


@pytest.mark.badinput
@PROFILE
@given(doc=_json)
def test_any_json_as_area_upload(doc: object) -> None:
    from geo.data.areas import polygon_from_frame
    from geo.data.uploads import read_user_vector

    data = json.dumps(doc).encode()
    try:
        polygon_from_frame(read_user_vector(data, source="fuzz.geojson"), source="fuzz.geojson")
    except GeoError as exc:
        assert "fuzz.geojson" in str(exc)
