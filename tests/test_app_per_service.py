"""The atlas's per-service answers (issue 22) through AppTest on the real bundle (Rutland, roads):
coverage per service with the median's range, the Gaps download with minute ranges per service,
and the scenario view's verdict words."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.app, pytest.mark.slow]

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def test_gaps_download_carries_minute_ranges_per_service(settings) -> None:
    from atlas.views.gaps import outreach_download
    from geo import Study, StudySpec, TravelSpec
    from geo.measures.gaps import gap_scores

    st = Study(StudySpec(area="Rutland", services=("hub", "pharmacy"), travel=TravelSpec.parse(mode="drive"),
                         thresholds_minutes=(15,)), settings=settings)
    g = gap_scores(st.baseline_times, threshold_minutes=15, service="hub")
    full = outreach_download(g, st.result_services, method=st.method)
    cols = list(full.columns)
    at = cols.index("minutes")
    assert cols[at:at + 3] == ["minutes", "minutes_low", "minutes_high"]
    for key in ("hub", "pharmacy"):
        assert {f"minutes_{key}", f"minutes_{key}_low", f"minutes_{key}_high", f"site_name_{key}"} <= set(cols)
        assert (full[f"minutes_{key}_low"] <= full[f"minutes_{key}"]).all()
        assert (full[f"minutes_{key}"] <= full[f"minutes_{key}_high"]).all()
    assert len(full) == 26 and (full["method"] == st.method).all()
    # the hub scoring ranks by hub journeys; the any-type minutes stay beside them
    assert full["minutes_hub"].iloc[:3].mean() > full["minutes"].iloc[:3].mean()


def test_app_per_service_coverage_and_scenario_words() -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=600)
    at.run()
    assert not at.exception, at.exception
    at.slider(key="threshold").set_value(15).run()
    tables = [t.value for t in at.table]
    assert any("Nearest treatment hub" in t.columns and "Nearest site of any type" in t.columns for t in tables)
    median = next(m for m in at.metric if m.label.startswith("Median minutes"))
    assert "range" in str(median.delta)  # the median has its range like the mean
    at.radio(key="view").set_value("Scenario").run()
    assert not at.exception, at.exception
    at.radio(key="scen_place_by").set_value("postcode").run()
    at.text_input(key="scen_postcode").set_value("LE15 6HW").run()
    at.button(key="scen_add").click().run()
    assert not at.exception, at.exception
    words = " ".join(w.value for w in at.warning)
    assert "Nearest treatment hub: not distinguishable from no change." in words
    # +1,039 on the calibrated router (issue 26); issue 22 reported +4,224 on the router before it
    assert any(str(m.delta).startswith("+1,039 (range +0") for m in at.metric)
    at.button(key="scen_clear").click().run()
    at.selectbox(key="scen_target").set_value("seed:tp-oakham").run()
    at.button(key="scen_remove").click().run()
    assert not at.exception, at.exception
    assert "Nearest treatment hub: access lost." in " ".join(e.value for e in at.error)
    captions = " ".join(c.value for c in at.caption)
    assert "Nearest community pharmacy: no change" in captions
