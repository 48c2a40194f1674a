"""Streamlit AppTest checks of the atlas (``app.py``) on the real bundle (Rutland by default)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.app, pytest.mark.slow]

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 600


@pytest.fixture(scope="module")
def _bundle() -> None:
    from geo._errors import DataSourceError
    from geo.config import Settings

    try:
        Settings.from_env()
    except DataSourceError as exc:
        pytest.skip(f"open-data bundle not found: {exc}")


@pytest.fixture
def at(_bundle: None):
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.run()
    assert not app.exception, app.exception
    return app


def _texts(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [w.value for w in at.warning]
    parts += [s.value for s in at.success] + [i.value for i in at.info] + [e.value for e in at.error]
    return "\n".join(str(p) for p in parts)


def test_rutland_default_runs(at) -> None:
    labels = {m.label: m.value for m in at.metric}
    assert labels["Adults (18+) in the area"] not in {"", "–"}
    assert "Median minutes" in labels
    assert not at.error
    text = _texts(at)
    assert "Rutland" in text
    assert "real road network" in text
    assert at.radio(key="view").options == ["Coverage", "Gaps", "Scenario", "Opening hours", "Clients",
                                            "Data & sources", "National"]
    assert at.radio(key="view").value == "Coverage"
    assert not at.tabs  # only the chosen view is run


def _view(at, label: str):
    """Switch the view (only that view's script runs)."""
    at.radio(key="view").set_value(label).run()
    assert not at.exception, (label, at.exception)
    return at


@pytest.mark.parametrize(("label", "expected"), [("Gaps", "Outreach list"), ("Scenario", "Change the sites"),
                                                  ("Opening hours", "published opening hours"),
                                                  ("Clients", "client extract"), ("Data & sources", "Attribution"),
                                                  ("Coverage", "By deprivation")])
def test_every_view_renders(at, label: str, expected: str) -> None:
    assert "Outreach list" not in _texts(at)  # Coverage only: the other views are not run
    _view(at, label)
    text = _texts(at)
    assert "This view is coming" not in text
    assert expected in text, label
    assert not at.error, [e.value for e in at.error]
    if label == "Gaps":
        assert any(b.label == "Download the outreach list (CSV)" for b in at.get("download_button"))


def test_view_state_survives_switching(at) -> None:
    _view(at, "Gaps")
    at.slider(key="gap_w_need").set_value(2.5).run()
    _view(at, "Scenario")
    at.radio(key="scen_place_by").set_value("postcode").run()
    at.text_input(key="scen_postcode").input("LE15 9EH").run()
    at.button(key="scen_add").click().run()
    _view(at, "Coverage")
    _view(at, "Gaps")
    assert at.slider(key="gap_w_need").value == 2.5
    _view(at, "Scenario")
    assert at.radio(key="scen_place_by").value == "postcode"
    assert "What changes" in _texts(at)  # the scenario change is kept


def test_northamptonshire_shows_estimate(at) -> None:
    at.sidebar.selectbox(key="area_choice").select("Northamptonshire").run()
    assert not at.exception, at.exception
    text = _texts(at)
    assert "ESTIMATE" in text
    assert "Northamptonshire" in text


def test_threshold_and_mode_change(at) -> None:
    before = {m.label: m.value for m in at.metric}
    at.sidebar.slider(key="threshold").set_value(5).run()
    assert not at.exception
    after = {m.label: m.value for m in at.metric}
    assert "Adults beyond 5 min" in after
    assert after["Adults beyond 5 min"] != before.get("Adults beyond 30 min")
    at.sidebar.radio(key="mode").set_value("walk").run()
    assert not at.exception
    assert "walk" in _texts(at)
    at.sidebar.radio(key="mode").set_value("drive").run()
    at.sidebar.toggle(key="force_estimate").set_value(True).run()
    assert not at.exception
    assert "ESTIMATE" in _texts(at)


def test_metric_choices_render(at) -> None:
    for metric in ("imd", "deaths", "gap", "clients", "minutes"):
        at.sidebar.selectbox(key="metric").select(metric).run()
        assert not at.exception, (metric, at.exception)
        assert not at.error, metric


def test_scenario_add_by_postcode(at) -> None:
    _view(at, "Scenario")
    at.radio(key="scen_place_by").set_value("postcode").run()
    at.text_input(key="scen_postcode").input("LE15 9EH").run()
    at.button(key="scen_add").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert "What changes" in _texts(at)


def test_bad_area_upload_shows_error(at, tmp_path: Path) -> None:
    # AppTest cannot drive st.file_uploader, so feed the bytes the uploader would hand over.
    from atlas import data
    from geo._errors import GeoError

    with pytest.raises(GeoError, match=r"(?i)readable|polygon|geojson"):
        data.area_from_upload.__wrapped__("x", b"this is not geojson", "bad.geojson")


def test_bad_client_upload_shows_error(at) -> None:
    import streamlit as st  # noqa: F401

    from geo._errors import GeoError
    from geo.measures.clients import read_client_extract

    with pytest.raises(GeoError):
        read_client_extract(b"name,age\nx,1\n", source="bad.csv")


def test_catchments_toggle(at) -> None:
    at.toggle(key="cov_catchments").set_value(True).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def test_synthetic_clients_and_map_metric(at) -> None:
    _view(at, "Clients")
    at.button(key="clients_synth").click().run()
    assert not at.exception, at.exception
    labels = {m.label for m in at.metric}
    assert "Clients per 1,000 adults" in labels
    assert "synthetic" in _texts(at)
    _view(at, "Coverage")  # the uploaded counts survive the switch
    at.sidebar.selectbox(key="metric").select("clients").run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]


def test_optimiser_runs(at) -> None:
    at.sidebar.slider(key="threshold").set_value(10).run()  # at 30 min nobody in Rutland is beyond
    _view(at, "Scenario")
    at.number_input(key="opt_k").set_value(1)
    at.multiselect(key="opt_kinds").set_value(["town"])
    submit = [b for b in at.get("button") if "Find the best sites" in str(getattr(b, "label", ""))]
    assert submit, "optimiser form button"
    submit[0].click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert any("Opening these" in s.value for s in at.success)


def _run_optimiser(at, k: int, kinds: list[str]) -> None:
    at.number_input(key="opt_k").set_value(k)
    at.multiselect(key="opt_kinds").set_value(kinds)
    [b for b in at.get("button") if "Find the best sites" in str(getattr(b, "label", ""))][0].click().run()
    assert not at.exception, at.exception


def test_optimiser_never_offers_a_zero_gain_pick(at) -> None:
    _view(at, "Scenario")  # hubs + pharmacies at 30 min: every Rutland adult is within reach
    _run_optimiser(at, 2, ["town"])
    assert not any("Opening these" in s.value for s in at.success)
    assert any("No candidate adds coverage" in i.value for i in at.info)
    assert not any(b.label == "Add these sites to the scenario" for b in at.get("button"))


def test_nothing_beyond_says_so_and_charts_follow_the_threshold(at) -> None:
    text = _texts(at)
    assert "Everyone is within 30 minutes" in text and "Try " in text
    assert at.radio(key="cov_chart_show").value == "median"
    at.sidebar.slider(key="threshold").set_value(5).run()
    assert "Everyone is within" not in _texts(at)
    assert at.radio(key="cov_chart_show").value == "beyond"  # the charts follow the new threshold
    labels = {m.label: m for m in at.metric}
    assert "Adults beyond 5 min" in labels


def test_imd_version_and_place_breakdowns(at) -> None:
    assert "IMD 2025 decile" in _texts(at)
    at.sidebar.selectbox(key="imd_version").select(2019).run()
    assert not at.exception, at.exception
    assert "IMD 2019 decile" in _texts(at)
    at.segmented_control(key="cov_by").set_value("ward").run()
    assert not at.exception, at.exception
    frames = [d.value for d in at.dataframe]
    assert any(getattr(f, "index", None) is not None and "Oakham North West" in set(map(str, f.index))
               for f in frames if hasattr(f, "index")), "ward table"
    at.sidebar.selectbox(key="area_choice").select("Another district or county…").run()
    at.sidebar.selectbox(key="area_other").select("Daventry").run()
    assert not at.exception, at.exception
    assert "Daventry" in _texts(at)
    # NHS areas a commissioner plans by: a sub-ICB location (the former CCG) from the same picker
    at.sidebar.selectbox(key="area_other").select("NHS Leicester, Leicestershire and Rutland ICB - 04V").run()
    assert not at.exception, at.exception
    assert "NHS Leicester, Leicestershire and Rutland ICB - 04V" in _texts(at)


def test_scenario_bad_postcode_is_refused_and_one_change_removed(at) -> None:
    _view(at, "Scenario")
    at.radio(key="scen_place_by").set_value("postcode").run()
    at.text_input(key="scen_postcode").input("LE15 9EH").run()
    at.button(key="scen_add").click().run()
    assert "What changes" in _texts(at)
    at.text_input(key="scen_postcode").input("ZZ9 9ZZ").run()
    at.button(key="scen_add").click().run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert any("Not added" in e and "ZZ9 9ZZ" in e for e in errors), errors
    assert "What changes" in _texts(at)  # the earlier result stays
    assert len(at.session_state["scenario_changes"]) == 1
    change = at.session_state["scenario_changes"][0]
    assert change["easting"] and change["northing"]  # a postcode site is located, so it is drawn
    remove = [b for b in at.get("button") if str(getattr(b, "key", "")).startswith("scen_del_0")]
    remove[0].click().run()
    assert not at.exception, at.exception
    assert at.session_state["scenario_changes"] == []
    assert "What changes" not in _texts(at)


def test_site_key_names_the_sites_and_where_they_are() -> None:
    """The digest keying cached travel times: row order does not matter, a moved site (same id) does."""
    import pandas as pd

    from atlas.data import site_key

    sites = pd.DataFrame({"site_id": ["ods:A", "ods:B", "seed:hub"], "easting": [480000.0, 486000.0, 486500.0],
                          "northing": [300000.0, 308000.0, 308500.0], "name": ["A", "B", "Hub"]})
    key = site_key(sites)
    assert isinstance(key, str) and len(key) == 20
    assert site_key(sites.iloc[::-1]) == key and site_key(sites.assign(name="renamed")) == key
    moved = sites.copy()
    moved.loc[2, "easting"] = 487500.0  # a scenario's "move": the same site id somewhere else
    assert site_key(moved) != key
    assert site_key(sites.iloc[:2]) != key


# ---------------------------------------------------------------- geo.outputs.maps (synthetic, no bundle)
def test_maps_geojson_is_small_rounded_wgs84() -> None:
    import geopandas as gpd
    from shapely.geometry import box

    from geo.outputs import geojson

    gdf = gpd.GeoDataFrame({"lsoa21nm": ["A", "B"], "adults": [100, 200], "minutes": [5.0, float("nan")]},
                           geometry=[box(500000, 300000, 501000, 301000), box(501000, 300000, 502000, 301000)],
                           crs="EPSG:27700", index=["E1", "E2"])
    gj = geojson.choropleth_geojson(gdf, "minutes", bins=geojson.MINUTES_BINS, colours=geojson.MINUTES_COLOURS)
    assert [f["id"] for f in gj["features"]] == ["E1", "E2"]
    x, y = gj["features"][0]["geometry"]["coordinates"][0][0]
    assert -2 < x < 0 and 52 < y < 53  # degrees, lon first
    assert round(x, 5) == x
    assert gj["features"][1]["properties"]["fill"] == geojson.NO_DATA_COLOUR
    assert gj["features"][1]["properties"]["value_label"] == "no data"


def test_maps_classify_and_labels() -> None:
    from geo.outputs import geojson

    cols = ("a", "b", "c")
    assert geojson.classify([1, 10, 11, float("nan")], (10, 20), cols) == ["a", "a", "b", geojson.NO_DATA_COLOUR]
    assert geojson.legend_labels((10, 20), unit="min") == ["up to 10 min", "10–20 min", "over 20 min"]
    with pytest.raises(Exception, match="colours"):
        geojson.classify([1], (10, 20), ("a",))


def test_maps_offline_map_has_no_cdn_links() -> None:
    import geopandas as gpd
    from shapely.geometry import box

    from atlas import basemap, leaflet
    from geo.outputs import geojson

    gdf = gpd.GeoDataFrame({"lsoa21nm": ["A"], "minutes": [5.0]}, geometry=[box(500000, 300000, 501000, 301000)],
                           crs="EPSG:27700")
    gj = geojson.choropleth_geojson(gdf, "minutes", bins=geojson.MINUTES_BINS, colours=geojson.MINUTES_COLOURS)
    m = basemap.base_map(geojson.geojson_bounds(gj), tiles=None)
    leaflet.lsoa_choropleth(gj, legend_title="Minutes").add_to(m)
    import pandas as pd

    sites = pd.DataFrame({"name": ["Hub"], "site_type": ["hub"], "easting": [500500.0], "northing": [300500.0]})
    leaflet.site_markers(sites).add_to(m)
    basemap.use_assets(m, {"js": [("leaflet", "leaflet.js")], "css": [("leaflet_css", "leaflet.css")]})
    html = m.get_root().render()
    assert "tile.openstreetmap" not in html and "basemaps.cartocdn" not in html
    assert 5 <= basemap.zoom_for_bounds(geojson.geojson_bounds(gj)) <= 16


def test_first_page_warns_only_about_the_area(at) -> None:
    """Rutland on the bundled roads: no warning about sites or neighbourhoods outside Rutland; the
    badge says how trips beyond the roads are timed (the mixed method)."""
    assert [w.value for w in at.warning] == []
    text = _texts(at)
    for outside in ("E01025809", "LSOAs", "are not used", "count as unreachable"):
        assert outside not in text
    assert "no trip from the area needs an estimated leg" in text
    assert "reached by a mixed route" in text
    labels = {m.label: m.value for m in at.metric}
    assert labels["Adults beyond 30 min"] == "0"


def test_hours_view_counts_unknown_apart(at) -> None:
    _view(at, "Opening hours")
    text = _texts(at)
    assert "At Tuesday 10:00: 0 open, 0 closed, 74 hours unknown (of 74 sites)" in text
    assert "counted apart as 'hours unknown'" in text
    assert "coverage by day and hour is unknown" in text
    table = at.dataframe[0].value
    assert set(table["Tuesday 10:00"]) == {"hours unknown"}
    where = table["Where hours were looked for"]
    assert where.str.contains("OpenStreetMap rutland-2018.osm.pbf: no opening_hours tag", regex=False).any()
    assert where.str.contains("NHS ODS pharmacy list (bundle)", regex=False).any()
    at.sidebar.selectbox(key="missing_hours").select("open").run()
    assert not at.exception
    assert "assumed open at all times" in _texts(at)


def test_the_coverage_tip_can_be_followed_on_the_slider(at) -> None:
    """Tips and controls agree: every threshold a tip suggests is one the slider can take."""
    import re

    from atlas.state import THRESHOLD_SLIDER

    lo, hi, step = THRESHOLD_SLIDER
    seen = 0
    for threshold in (30, 20):
        at.sidebar.slider(key="threshold").set_value(threshold).run()
        tips = [i.value for i in at.info if "Try " in i.value]
        if not tips:
            continue
        value = float(re.search(r"Try ([\d.]+) minutes", tips[0])[1])
        assert lo <= value <= hi and (value - lo) % step == 0, tips[0]
        at.sidebar.slider(key="threshold").set_value(int(value)).run()
        assert not at.exception
        assert at.sidebar.slider(key="threshold").value == int(value)
        labels = {m.label: m.value for m in at.metric}
        assert labels[f"Adults beyond {int(value)} min"] != "0"
        seen += 1
    assert seen >= 1  # sub-5-minute tips: tests/test_hints.py


def test_scenario_same_postcode_twice_is_refused(at) -> None:
    _view(at, "Scenario")
    at.radio(key="scen_place_by").set_value("postcode").run()
    at.text_input(key="scen_postcode").input("LE15 9EH").run()
    at.button(key="scen_add").click().run()
    assert not at.error, [e.value for e in at.error]
    at.button(key="scen_add").click().run()
    errors = [e.value for e in at.error]
    assert errors and "already added at postcode LE15 9EH" in errors[0] and "not added twice" in errors[0]
    assert len(at.session_state["scenario_changes"]) == 1
