"""The atlas's capacity (2SFCA) section and site-list upload on the real bundle (Rutland)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

pytestmark = [pytest.mark.app, pytest.mark.slow]

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def test_capacity_section_shows_2sfca_before_and_after() -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=600)
    at.run()
    assert not at.exception, at.exception
    at.toggle(key="cap_show").set_value(True).run()
    assert not at.exception, at.exception
    labels = {m.label: m.value for m in at.metric}
    assert "2SFCA before" in labels and "2SFCA after" in labels
    assert float(labels["2SFCA before"]) > 0
    at.radio(key="cap_measure").set_value("e2sfca").run()
    assert "E2SFCA after" in {m.label for m in at.metric}


def test_capacity_edit_changes_sites() -> None:
    from atlas.views.capacity import edited_sites

    sites = pd.DataFrame({"site_id": ["a", "b"], "capacity": [float("nan"), 3.0]})
    out = edited_sites(sites, pd.DataFrame({"site_id": ["a"], "capacity": [12.0]}))
    assert out["capacity"].tolist() == [12.0, 3.0]


def test_uploaded_list_preview_and_save(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from atlas.views import site_lists
    from geo.config import Settings

    monkeypatch.setenv("GEO_USER_SITES_DIR", str(tmp_path / "lists"))
    s = Settings.from_env()
    ph = pd.read_csv(Path(s.data_dir) / "sites" / "pharmacies_england.csv", dtype=str)
    codes = ph[(ph["lad24cd"] == "E06000017") & (ph["status"] == "active")]["ods_code"].head(3)
    raw = pd.DataFrame({"ods_code": codes, "naloxone": "yes"}).to_csv(index=False).encode()
    res = site_lists.preview(raw, "rutland_naloxone.csv", ("nsp",))
    # the default service applies to rows that name none; these name naloxone
    assert res.counts["exact"] == 3 and set(res.sites["services"]) == {"naloxone;dispensing"}
    from geo.data.site_lists import save_site_list

    save_site_list(res.sites, "rutland-naloxone", s)
    lists = site_lists.saved_lists()
    assert lists.to_dict("records") == [{"List": "rutland-naloxone", "Sites": 3,
                                         "Services": "dispensing, naloxone"}]
