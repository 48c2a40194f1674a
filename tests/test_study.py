"""The one study pipeline: defaults from Settings reach the CLI and the app; one travel vocabulary;
public-transport day and time follow the app's sidebar."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from geo import InputError, Method, Settings, Study, StudySpec, TransitOptions, TravelMode, TravelSpec

APP = str(Path(__file__).resolve().parent.parent / "app.py")


# --------------------------------------------------------------------------- vocabulary (pure)

def test_travel_spec_parses_every_spelling_once() -> None:
    assert TravelSpec.parse(mode="walk") == TravelSpec(mode=TravelMode.WALK, method=Method.AUTO)
    assert TravelSpec.parse(mode="straight-line").method is Method.STRAIGHT_LINE
    assert TravelSpec.parse(mode="drive", network="none").method is Method.ESTIMATE
    assert TravelSpec.parse(mode="cycle", method="estimate").mode is TravelMode.CYCLE
    transit = TravelSpec.parse(mode="transit", transit=TransitOptions(gtfs="f.zip", arrive_by="Wed 09:00"))
    assert transit.transit is not None and transit.transit.arrive_by == "Wed 09:00"
    assert TravelSpec.parse(mode="drive", transit=TransitOptions(gtfs="f.zip")).transit is None
    assert not TravelSpec.parse(mode="drive", method="straight-line").is_time
    with pytest.raises(InputError, match="unknown travel mode 'teleport'"):
        TravelSpec.parse(mode="teleport")
    with pytest.raises(InputError, match="unknown method"):
        TravelSpec.parse(mode="drive", method="guess")
    with pytest.raises(InputError, match="no straight-line estimate"):
        TravelSpec.parse(mode="transit", method="estimate")
    with pytest.raises(InputError, match="asks for the estimate"):
        TravelSpec.parse(mode="drive", method="network", network="none")


def test_specs_are_hashable_cache_keys() -> None:
    a = StudySpec(area="Rutland", services=("hub",), travel=TravelSpec.parse(mode="walk"))
    b = StudySpec(area="Rutland", services=("hub",), travel=TravelSpec.parse(mode="walk"))
    assert hash(a) == hash(b) and a == b
    t1 = TravelSpec.parse(mode="transit", transit=TransitOptions(gtfs="g.zip", arrive_by="Tue 10:00"))
    t2 = TravelSpec.parse(mode="transit", transit=TransitOptions(gtfs="g.zip", arrive_by="Tue 18:00"))
    assert t1 != t2 and hash(t1) != hash(t2)  # the app's router cache key follows the sidebar time


def test_spec_bounds() -> None:
    with pytest.raises(InputError, match="at most 255"):
        StudySpec(area="x" * 300)
    with pytest.raises(InputError, match="--buffer-km"):
        StudySpec(area="Rutland", buffer_km=-1)
    with pytest.raises(InputError, match="threshold"):
        StudySpec(area="Rutland", thresholds_minutes=(-5.0,))
    with pytest.raises(InputError, match="threshold"):
        StudySpec(area="Rutland", thresholds_minutes=(1e308,))


# --------------------------------------------------------------------------- defaults in one place

def test_settings_defaults_resolve_in_study(settings: Settings) -> None:
    study = Study(StudySpec(area="Rutland"), settings=settings)
    assert study.buffer_km == settings.cross_border_buffer_km == 15.0
    assert study.thresholds_minutes == settings.thresholds_minutes
    assert study.threshold_minutes == settings.threshold_minutes
    assert study.services == settings.default_services
    assert Study(StudySpec(area="Rutland", in_area_only=True), settings=settings).buffer_km == 0.0
    narrow = Study(StudySpec(area="Rutland"), settings=settings.with_(cross_border_buffer_km=2.0))
    assert narrow.buffer_km == 2.0


def test_env_default_reaches_the_cli(monkeypatch, capsys) -> None:
    """GEO_CROSS_BORDER_BUFFER_KM (a Settings field) changes what the CLI counts, with no flag."""
    from geo.cli import main

    def sites_used() -> tuple[int, str]:
        # pharmacies count across the border (hubs only where commissioned for Rutland: Oakham)
        assert main(["coverage", "--area", "Rutland", "--sites", "hub,pharmacy", "--method", "estimate",
                     "--threshold", "30", "--format", "json"]) == 0
        cap = capsys.readouterr()
        return int(json.loads(cap.out)["sites"]), cap.err

    default, err = sites_used()
    assert "within 15 km of its border" in err
    monkeypatch.setenv("GEO_CROSS_BORDER_BUFFER_KM", "0")
    inside, err = sites_used()
    assert "sites inside Rutland only" in err
    assert inside < default  # Rutland's only hub is Oakham; the others are across the border


@pytest.mark.app
@pytest.mark.slow
def test_env_default_reaches_the_app(monkeypatch) -> None:
    """The same Settings field reaches the atlas: its area line states the buffer it used."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("GEO_CROSS_BORDER_BUFFER_KM", "7")
    st.cache_resource.clear()  # the app holds one Settings per process; read the new variable
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=600)
    at.run()
    assert not at.exception, at.exception
    line = "\n".join(str(m.value) for m in at.markdown)
    assert "within 7 km of its border" in line
    st.cache_resource.clear()  # later tests must not see this process's Settings
    st.cache_data.clear()


# --------------------------------------------------------------------------- the pipeline on real data

def test_study_times_match_the_router(settings: Settings) -> None:
    study = Study(StudySpec(area="Rutland", services=("hub",), travel=TravelSpec.parse(mode="drive")),
                  settings=settings)
    times = study.times()
    assert study.method == "network" and "OpenStreetMap" in study.label
    assert times.attrs["method"] == "network"
    core = times[times["in_area"]]
    assert len(core) == 26 and core["minutes"].notna().all()
    m, origins = study.matrix()
    assert m.shape == (len(study.sites), origins.n)
    # the matrix and the nearest-site search agree (same router, same sites)
    nearest = np.nanmin(m, axis=0)  # sites beyond the extract have no route (NaN rows)
    assert abs(float(nearest.mean()) - float(core["minutes"].mean())) < 0.05


def test_straight_line_study_answers_in_km(settings: Settings) -> None:
    study = Study(StudySpec(area="Rutland", services=("pharmacy",), travel=TravelSpec.parse(mode="straight-line"),
                            threshold_km=2.0), settings=settings)
    times = study.times()
    assert "distance_km" in times.columns and "minutes" not in times.columns
    cov = study.coverage()
    assert len(cov) == 1 and cov[0]["threshold"] == 2.0 and cov[0]["unit"] == "km"
    with pytest.raises(InputError, match="needs travel times"):
        study.matrix()


def test_no_sites_says_so(settings: Settings) -> None:
    study = Study(StudySpec(area="Rutland", services=("young_people",), in_area_only=True), settings=settings)
    with pytest.raises(InputError, match="no sites of type young_people in Rutland"):
        _ = study.sites


# --------------------------------------------------------------------------- transit day/time in the app

@pytest.mark.transit
@pytest.mark.app
@pytest.mark.slow
def test_app_transit_follows_the_sidebar_time(valhalla_module, synthetic_feed) -> None:
    """Changing the sidebar's time changes public-transport times (the router is keyed on it)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=900)
    at.session_state["gtfs_path"] = str(synthetic_feed.path)
    at.run()
    assert not at.exception, at.exception
    at.multiselect(key="site_types").set_value(["hub"])  # few sites: each change routes sites x LSOAs x window
    at.radio(key="mode").set_value("transit").run()
    assert not at.exception, at.exception

    def median_minutes() -> str:
        labels = {m.label: m.value for m in at.metric}
        return str(next(v for k, v in labels.items() if k.startswith("Median minutes")))

    import datetime as dt

    at.selectbox(key="day").set_value(1)
    at.time_input(key="clock").set_value(dt.time(12, 0)).run()
    assert not at.exception, at.exception
    noon = median_minutes()
    line = "\n".join(str(m.value) for m in at.markdown)
    assert "Tuesday 12:00" in line
    at.time_input(key="clock").set_value(dt.time(6, 0)).run()  # before the first bus (07:00)
    assert not at.exception, at.exception
    early = median_minutes()
    assert noon != early, (noon, early)


@pytest.mark.transit
@pytest.mark.app
@pytest.mark.slow
def test_app_bods_timetable_for_the_area(valhalla_module, synthetic_feed, tmp_path, monkeypatch) -> None:
    """The sidebar's "Bus Open Data Service timetable" (gtfs auto) from a local mirror folder holding the
    SYNTHETIC feed under the BODS names: times are labelled timetable-based, never an estimate."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from geo.travel.bods import CATALOGUE

    mirror = tmp_path / "bods"
    mirror.mkdir()
    for region in ("east_midlands", "east_anglia"):
        (mirror / CATALOGUE[region].filename).write_bytes(synthetic_feed.path.read_bytes())
    monkeypatch.setenv("GEO_GTFS_MIRROR", str(mirror))
    monkeypatch.setenv("GEO_CACHE_DIR", str(tmp_path / "cache"))
    st.cache_resource.clear()  # the app holds one Settings per process; read the new variables
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=900)
    at.run()
    at.multiselect(key="site_types").set_value(["hub"])
    at.toggle(key="gtfs_auto").set_value(True).run()
    at.radio(key="mode").set_value("transit").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    text = "\n".join(str(m.value) for m in [*at.markdown, *at.success, *at.warning, *at.info])
    assert "timetable-based" in text and "itm_east_midlands_gtfs.zip" in text
    assert "Travel times are an ESTIMATE" not in text
    assert any("over the window" in str(m.delta) for m in at.metric), [m.delta for m in at.metric]
    st.cache_resource.clear()  # later tests must not see this process's Settings
    st.cache_data.clear()
