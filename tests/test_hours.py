"""Opening hours: parsing times of the week, OSM hours, missing-hours policy, weekly matrices."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from geo._errors import InputError, SchemaError
from geo.data.hours_syntax import is_valid_osm_hours
from geo.data.hours_text import text_to_osm
from geo.measures.hours import is_open_at, open_matrix, validate_hours
from geo.measures.hours_report import weekly_summary
from geo.measures.reference_week import REFERENCE_MONDAY, parse_when, weekly_slots

DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")


def _sites(*hours: str, texts: tuple[str, ...] | None = None) -> pd.DataFrame:
    df = pd.DataFrame({"site_id": [f"s{i}" for i in range(len(hours))], "name": [f"Site {i}" for i in range(len(hours))],
                       "opening_hours": list(hours)})
    if texts is not None:
        df["opening_hours_text"] = list(texts)
    return df


# ---------------------------------------------------------------- parse_when
@pytest.mark.parametrize(("text", "expected"), [
    ("Sat 19:00", dt.datetime(2026, 11, 28, 19, 0)),
    ("Saturday 7pm", dt.datetime(2026, 11, 28, 19, 0)),
    ("weekday 09:00", dt.datetime(2026, 11, 23, 9, 0)),
    ("Tuesday 12:00", dt.datetime(2026, 11, 24, 12, 0)),
    ("tue 9.30am", dt.datetime(2026, 11, 24, 9, 30)),
    ("Sun at 23:59", dt.datetime(2026, 11, 29, 23, 59)),
    ("thurs noon", dt.datetime(2026, 11, 26, 12, 0)),
    ("weekend 11:00", dt.datetime(2026, 11, 28, 11, 0)),
    ("2026-12-24T10:00", dt.datetime(2026, 12, 24, 10, 0)),
    ("2026-12-24 10:00+00:00", dt.datetime(2026, 12, 24, 10, 0)),
    ("2026-07-01T09:00+00:00", dt.datetime(2026, 7, 1, 10, 0)),  # BST: converted to local clock time
    ("19:00 Sat", dt.datetime(2026, 11, 28, 19, 0)),
])
def test_parse_when(text: str, expected: dt.datetime) -> None:
    assert parse_when(text) == expected


def test_reference_week_is_monday_to_sunday() -> None:
    assert REFERENCE_MONDAY.weekday() == 0
    for i, d in enumerate(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")):
        assert parse_when(f"{d} 10:00").weekday() == i


@pytest.mark.parametrize(("text", "match"), [
    ("junk", "give a day and a time"),
    ("Funday 10:00", "not a day of the week"),
    ("Sat 25:00", "not a valid clock time"),
    ("Sat 13pm", "not a 12-hour clock hour"),
    ("Sat teatime", "cannot read the clock time"),
    ("", "give a day and a time"),
    ("2026-13-40T10:00", "not a valid ISO datetime"),
    ("S 10:00", "not a day of the week"),
])
def test_parse_when_rejects_junk(text: str, match: str) -> None:
    with pytest.raises(InputError, match=match):
        parse_when(text)


def test_parse_when_passes_datetimes() -> None:
    when = dt.datetime(2026, 1, 5, 8, 15, tzinfo=dt.UTC)
    assert parse_when(when) == dt.datetime(2026, 1, 5, 8, 15)
    assert parse_when(pd.Timestamp("2026-01-05 08:15")) == dt.datetime(2026, 1, 5, 8, 15)


# ---------------------------------------------------------------- is_open_at
def test_open_at_basic_forms() -> None:
    sites = _sites("Mo-Fr 09:00-17:00", "24/7", "Sa 10:00-13:00", "Mo-Fr 09:00-17:00; We 12:00-13:00 off",
                   "Mo-Su 18:00-02:00")
    assert is_open_at(sites, "Wed 10:00", missing="error").tolist() == [True, True, False, True, False]
    assert is_open_at(sites, "Wed 12:30", missing="error").tolist() == [True, True, False, False, False]
    assert is_open_at(sites, "Sat 19:00", missing="error").tolist() == [False, True, False, False, True]
    assert is_open_at(sites, "Sat 11:00", missing="error").tolist() == [False, True, True, False, False]
    assert is_open_at(sites, "Sun 01:00", missing="error").tolist() == [False, True, False, False, True]


def test_public_holidays_use_gb_calendar() -> None:
    sites = _sites("Mo-Fr 09:00-17:00; PH off")
    assert is_open_at(sites, "Fri 10:00", missing="error").iloc[0]  # reference week: no holidays
    assert not is_open_at(sites, "2026-12-25T10:00", missing="error").iloc[0]  # Christmas Day (Friday)


def test_boundaries_are_half_open() -> None:
    sites = _sites("Mo-Fr 09:00-17:00")
    assert not is_open_at(sites, "Mon 08:59", missing="error").iloc[0]
    assert is_open_at(sites, "Mon 09:00", missing="error").iloc[0]
    assert is_open_at(sites, "Mon 16:59", missing="error").iloc[0]
    assert not is_open_at(sites, "Mon 17:00", missing="error").iloc[0]


def test_missing_policy_is_explicit_and_recorded() -> None:
    sites = _sites("Mo-Fr 09:00-17:00", "", "24/7")
    res_open = is_open_at(sites, "Sat 19:00", missing="open")
    assert res_open.tolist() == [False, True, True]
    assert res_open.attrs["assumed_open"] == ["s1"]
    assert res_open.attrs["assumed_closed"] == []
    assert res_open.attrs["missing_policy"] == "open"
    res_closed = is_open_at(sites, "Sat 19:00", missing="closed")
    assert res_closed.tolist() == [False, False, True]
    assert res_closed.attrs["assumed_closed"] == ["s1"]
    with pytest.raises(InputError, match=r"row 2 site s1.*missing='open' or 'closed'"):
        is_open_at(sites, "Sat 19:00", missing="error")
    with pytest.raises(InputError, match="choose 'open', 'closed' or 'error'"):
        is_open_at(sites, "Sat 19:00", missing="maybe")
    with pytest.raises(TypeError):
        is_open_at(sites, "Sat 19:00")  # type: ignore[call-arg]  # the policy must be chosen


def test_unknown_state_follows_missing_policy() -> None:
    sites = _sites("Mo 10:00-12:00 unknown")
    assert is_open_at(sites, "Mon 11:00", missing="open").iloc[0]
    assert not is_open_at(sites, "Mon 11:00", missing="closed").iloc[0]


def test_invalid_hours_name_site_row_and_string() -> None:
    sites = _sites("Mo-Fr 09:00-17:00", "Mon-Fri 9am-5pm maybe", "garbage")
    sites.loc[:, "opening_hours_text"] = ""
    with pytest.raises(InputError, match=r"2 site\(s\).*row 2 site s1: 'Mon-Fri 9am-5pm maybe'.*row 3 site s2: 'garbage'"):
        is_open_at(sites, "Mon 10:00", missing="open")
    report = validate_hours(sites)
    assert report["status"].tolist() == ["ok", "invalid", "invalid"]
    assert report.loc[1, "row"] == 2
    assert "not OSM opening_hours syntax" in report.loc[2, "problem"]


def test_text_used_when_osm_empty() -> None:
    sites = _sites("", "", texts=("Mon-Fri 9am-5pm", "Clinic held fortnightly"))
    res = is_open_at(sites, "Sat 10:00", missing="open")
    assert res.tolist() == [False, True]
    assert res.attrs["from_text"] == ["s0"]
    assert res.attrs["assumed_open"] == ["s1"]
    res2 = is_open_at(sites, "Sat 10:00", missing="open", use_text=False)
    assert res2.tolist() == [True, True]


def test_sites_without_hours_column_is_schema_error() -> None:
    with pytest.raises(SchemaError, match="opening_hours"):
        is_open_at(pd.DataFrame({"site_id": ["a"]}), "Mon 10:00", missing="open")


# ---------------------------------------------------------------- text_to_osm
@pytest.mark.parametrize(("text", "expected"), [
    ("Mon-Fri 9am-5pm", "Mo-Fr 09:00-17:00"),
    ("24 hours, 7 days", "24/7"),
    ("24 hours a day, 7 days a week", "24/7"),
    ("24/7", "24/7"),
    ("Monday to Friday 09:00-17:00, Sat 10am-1pm", "Mo-Fr 09:00-17:00; Sa 10:00-13:00"),
    ("Mon, Wed, Fri 9am-5pm", "Mo,We,Fr 09:00-17:00"),
    ("Tues 9.30am-12.30pm and 1.30pm-4pm; Sunday closed", "Tu 09:30-12:30,13:30-16:00; Su off"),
    ("daily 8am-8pm", "Mo-Su 08:00-20:00"),
    ("Weekdays 9-5", "Mo-Fr 09:00-17:00"),
    ("Mo-Fr 09:00-17:00", "Mo-Fr 09:00-17:00"),
    ("fortnightly", None),
    ("Clinic held fortnightly; 4 appointments per session", None),
    ("Evening clinics at the main centres", None),
    ("5-6 days a week", None),
    ("", None),
    (None, None),
])
def test_text_to_osm(text: str | None, expected: str | None) -> None:
    assert text_to_osm(text) == expected


@pytest.fixture(scope="module")
def seeds(settings) -> pd.DataFrame:
    from geo.data.sites import load_seed_sites

    return load_seed_sites(settings)


def test_seed_texts_convert_or_decline(seeds) -> None:
    for text in seeds["opening_hours_text"]:
        out = text_to_osm(text)
        assert out is None or is_valid_osm_hours(out)
    level = seeds[seeds["site_id"] == "seed:the-level-nottingham"]
    assert text_to_osm(level["opening_hours_text"].iloc[0]) == "24/7"


# ---------------------------------------------------------------- real seed sites
def test_seed_sites_parse_and_closed_sites_not_counted(seeds) -> None:
    report = validate_hours(seeds)
    assert (report["status"] != "invalid").all(), report[report["status"] == "invalid"]
    assert len(report) == len(seeds)
    late = is_open_at(seeds, "Sat 19:00", missing="closed")
    assert late.dtype == bool
    assert late.sum() == 1  # only the 24/7 unit
    assert seeds.loc[late.to_numpy(), "site_id"].tolist() == ["seed:the-level-nottingham"]
    assumed = is_open_at(seeds, "Sat 19:00", missing="open")
    assert assumed.sum() == len(seeds)
    assert len(assumed.attrs["assumed_open"]) == int((report["status"] == "missing").sum())


def test_rutland_pharmacies_have_no_hours(settings, rutland) -> None:
    from geo.data.sites import load_sites

    sites = load_sites(settings, area=rutland, types=("hub", "pharmacy"), buffer_km=0)
    assert len(sites) > 0
    closed = is_open_at(sites, "Sat 19:00", missing="closed")
    opened = is_open_at(sites, "Sat 19:00", missing="open")
    pharm = (sites["site_type"] == "pharmacy").to_numpy()
    assert not closed[pharm].any()
    assert opened[pharm].all()
    assert set(opened.attrs["assumed_open"]) >= set(sites.loc[pharm, "site_id"])


# ---------------------------------------------------------------- weekly matrix
def test_weekly_slots_shape() -> None:
    slots = weekly_slots()
    assert len(slots) == 168
    assert slots[0] == pd.Timestamp("2026-11-23 00:00")
    assert slots[-1] == pd.Timestamp("2026-11-29 23:00")
    assert len(weekly_slots(15)) == 672
    with pytest.raises(InputError, match="dividing 1440"):
        weekly_slots(7)
    with pytest.raises(InputError, match="dividing 1440"):
        weekly_slots(0)


def test_open_matrix_matches_point_evaluation() -> None:
    sites = _sites("Mo-Fr 09:00-17:00", "24/7", "", "Sa 10:00-13:00; Su 11:00-12:30", "Mo-Fr 09:00-17:00")
    slots = weekly_slots(30)
    m = open_matrix(sites, slots, missing="closed")
    assert m.shape == (5, 336)
    assert m.dtype == bool
    assert m[0].sum() == 5 * 16  # 8 h x 2 half-hours x 5 days
    assert m[1].all()
    assert not m[2].any()
    assert (m[0] == m[4]).all()
    for j in range(0, len(slots), 7):
        assert (m[:, j] == is_open_at(sites, slots[j].to_pydatetime(), missing="closed").to_numpy()).all()


def test_open_matrix_missing_policy_and_errors() -> None:
    sites = _sites("", "Mo 09:00-10:00")
    assert open_matrix(sites, missing="open")[0].all()
    with pytest.raises(InputError, match="row 1 site s0"):
        open_matrix(sites, missing="error")
    with pytest.raises(InputError, match="not OSM syntax"):
        open_matrix(_sites("nonsense"), missing="open")


def test_open_matrix_evaluates_each_string_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import geo.measures.hours as hours

    calls: list[str] = []
    real = hours._state_codes

    def spy(h: str, times: np.ndarray) -> np.ndarray:
        calls.append(h)
        return real(h, times)

    monkeypatch.setattr(hours, "_state_codes", spy)
    sites = _sites(*(["Mo-Fr 09:00-17:00"] * 50 + ["24/7"] * 50))
    m = hours.open_matrix(sites, missing="error")
    assert m.shape == (100, 168)
    assert sorted(calls) == ["24/7", "Mo-Fr 09:00-17:00"]


def test_weekly_summary() -> None:
    sites = _sites("Mo-Fr 09:00-17:00", "24/7", "", "Tu 17:00-20:00; Sa 10:00-12:30")
    w = weekly_summary(sites, missing="closed")
    assert w["open_hours_per_week"].tolist() == [40.0, 168.0, 0.0, 5.5]
    assert w["open_weekday_evenings"].tolist() == [False, True, False, True]
    assert w["open_weekend"].tolist() == [False, True, False, True]
    assert w["open_24_7"].tolist() == [False, True, False, False]
    assert w["hours_assumed"].tolist() == [False, False, True, False]
    assert weekly_summary(sites, missing="open")["open_hours_per_week"].iloc[2] == 168.0


# ---------------------------------------------------------------- properties
_day_idx = st.integers(0, 6)
_minute = st.integers(0, 24 * 60 - 1)


@given(day=_day_idx, minute=_minute)
@hsettings(max_examples=60, deadline=None)
def test_always_open_string_is_open(day: int, minute: int) -> None:
    when = dt.datetime.combine(REFERENCE_MONDAY, dt.time()) + dt.timedelta(days=day, minutes=minute)
    sites = _sites("Mo-Su 00:00-24:00", "24/7")
    assert is_open_at(sites, when, missing="error").all()


@given(a=_day_idx, b=_day_idx, day=_day_idx, minute=_minute)
@hsettings(max_examples=80, deadline=None)
def test_day_range_excludes_other_days(a: int, b: int, day: int, minute: int) -> None:
    lo, hi = min(a, b), max(a, b)
    rule = f"{DAYS[lo]}-{DAYS[hi]} 00:00-24:00" if lo != hi else f"{DAYS[lo]} 00:00-24:00"
    when = dt.datetime.combine(REFERENCE_MONDAY, dt.time()) + dt.timedelta(days=day, minutes=minute)
    assert is_open_at(_sites(rule), when, missing="error").iloc[0] == (lo <= day <= hi)


@given(start=st.integers(0, 22), length=st.integers(1, 8), hour=st.integers(0, 23))
@hsettings(max_examples=60, deadline=None)
def test_time_span_membership(start: int, length: int, hour: int) -> None:
    end = min(start + length, 24)
    rule = f"Mo-Su {start:02d}:00-{end:02d}:00"
    assert is_open_at(_sites(rule), f"Wed {hour:02d}:30", missing="error").iloc[0] == (start <= hour < end)


@given(st.lists(st.sampled_from(["Mo-Fr 09:00-17:00", "24/7", "", "Sa 10:00-12:00", "Tu,Th 18:00-21:00"]),
                min_size=1, max_size=12))
@hsettings(max_examples=40, deadline=None)
def test_policy_only_changes_sites_without_hours(hours_list: list[str]) -> None:
    sites = _sites(*hours_list)
    m_open = open_matrix(sites, missing="open")
    m_closed = open_matrix(sites, missing="closed")
    has = np.array([bool(h) for h in hours_list])
    assert (m_open[has] == m_closed[has]).all()
    assert m_open[~has].all()
    assert not m_closed[~has].any()


# ---------------------------------------------------------------- CLI
def test_cli_hours_check_seed_and_file(settings, tmp_path, capsys) -> None:
    from geo.cli import main

    assert main(["--data-dir", str(settings.data_dir), "hours", "check"]) == 0
    out = capsys.readouterr().out
    assert "seed:the-level-nottingham" in out and "24/7" in out
    f = tmp_path / "my_sites.csv"
    pd.DataFrame({"site_id": ["a", "b", "c"], "name": ["A", "B", "C"],
                  "opening_hours": ["Mo-Fr 09:00-17:00", "Mon-Fri 9 till late", ""],
                  "opening_hours_text": ["", "", "Mon-Fri 9am-5pm"]}).to_csv(f, index=False)
    report = tmp_path / "report.csv"
    assert main(["--data-dir", str(settings.data_dir), "hours", "check", "--sites", str(f),
                 "--format", "csv", "--out", str(report)]) == 1
    df = pd.read_csv(report)
    assert df["status"].tolist() == ["ok", "invalid", "ok"]
    assert df["origin"].tolist() == ["opening_hours", "opening_hours", "opening_hours_text"]


def test_cli_hours_at_rutland(settings, tmp_path, capsys) -> None:
    from geo.cli import main

    base = ["--data-dir", str(settings.data_dir), "hours", "at", "Sat 19:00", "--area", "Rutland",
            "--sites", "hub,pharmacy", "--buffer-km", "0"]
    out = tmp_path / "open.csv"
    assert main([*base, "--format", "csv", "--out", str(out)]) == 0
    df = pd.read_csv(out)  # nothing assumed: Rutland's sites publish no hours, so their state is unknown
    assert len(df) > 0 and set(df["state"]) == {"hours unknown"} and set(df["counted_as"]) == {"unknown"}
    assert df["hours_sources"].str.contains("NHS ODS pharmacy list").any()
    assert df["hours_sources"].str.contains("seed documents").any()
    assert main([*base, "--missing", "open", "--format", "csv", "--out", str(out)]) == 0
    df = pd.read_csv(out)
    assert set(df["counted_as"]) == {"open (assumed)"} and set(df["state"]) == {"hours unknown"}
    assert main([*base, "--missing", "closed", "--all", "--format", "csv", "--out", str(out)]) == 0
    df = pd.read_csv(out)
    assert set(df["counted_as"]) == {"closed (assumed)"}
    capsys.readouterr()
    assert main([*base, "--missing", "error"]) == 2
    assert "no opening hours" in capsys.readouterr().err
    assert main(["--data-dir", str(settings.data_dir), "hours", "at", "Caturday 19:00", "--area", "Rutland",
                 "--missing", "open"]) == 2


def test_unknown_hours_are_counted_apart() -> None:
    """Open, closed and hours unknown: nothing is assumed for sites without hours."""
    from geo.measures.hours import states_at, states_text

    sites = _sites("Mo-Fr 09:00-17:00", "", "24/7", "Mo 10:00-12:00 unknown")
    st = states_at(sites, "Mon 11:00")
    assert st.tolist() == ["open", "hours unknown", "open", "hours unknown"]
    assert st.attrs["counts"] == {"open": 2, "closed": 0, "hours unknown": 2}
    night = states_at(sites, "Sun 03:00")
    assert night.tolist() == ["closed", "hours unknown", "open", "closed"]
    assert states_text(night.attrs["counts"], "Sunday 03:00") == (
        "At Sunday 03:00: 1 open, 2 closed, 1 hours unknown (of 4 sites)")


def test_state_matrix_keeps_unknown_apart_and_open_matrix_applies_the_policy() -> None:
    from geo.measures.hours import state_matrix
    from geo.measures.reference_week import weekly_slots

    sites = _sites("Mo-Fr 09:00-17:00", "")
    slots = weekly_slots(60)
    codes = state_matrix(sites, slots)
    assert set(np.unique(codes[0])) == {0, 1} and (codes[1] == -1).all()
    assert np.array_equal(open_matrix(sites, slots, missing="open")[1], np.ones(len(slots), dtype=bool))
    assert np.array_equal(open_matrix(sites, slots, missing="closed")[0], codes[0] == 1)


def test_rutland_sunday_night_is_unknown_not_open(settings, rutland) -> None:
    """The bundle has no hours for Rutland's sites: Sunday 03:00 is 'hours unknown', never a flat 100% open."""
    from geo.data.sites import load_sites
    from geo.measures.hours import open_range
    from geo.measures.hours_report import hours_provenance

    sites = load_sites(settings, area=rutland, types=("hub", "pharmacy"), buffer_km=0)
    r = open_range(sites, "Sun 03:00")
    assert r["open"] == 0 and r["hours_unknown"] == len(sites)
    assert r["text"].startswith(f"At Sunday 03:00: 0 open, 0 closed, {len(sites)} hours unknown")
    where = hours_provenance(sites)
    hub = where[sites["site_id"] == "seed:tp-oakham"].iloc[0]
    assert hub.startswith("seed documents (") and "no hours stated" in hub
    pharm = where[sites["site_type"] == "pharmacy"]
    assert pharm.str.contains("NHS ODS pharmacy list (bundle): publishes no opening hours", regex=False).all()
    assert pharm.str.contains("OpenStreetMap: not checked", regex=False).all()


def test_hours_sources_name_osm_and_the_users_list(settings, rutland, rutland_pbf, tmp_path) -> None:
    from geo.data.sites import load_sites
    from geo.measures.hours_report import hours_provenance

    mine = tmp_path / "my_hours.csv"
    pd.DataFrame({"site_id": ["ods:FC826"], "name": ["Rutland Late Night Pharmacy"], "site_type": ["pharmacy"],
                  "postcode": ["LE15 6AJ"], "opening_hours": ["Mo-Sa 08:00-22:00"]}).to_csv(mine, index=False)
    from geo.data.osm_pois import harvest_osm_sites

    sites = load_sites(settings, area=rutland, types=("pharmacy",), buffer_km=0,
                       extra=[harvest_osm_sites(rutland_pbf, settings).sites, str(mine)])
    where = hours_provenance(sites, osm_checked=rutland_pbf.name).set_axis(sites["site_id"])
    assert "user file my_hours.csv: Mo-Sa 08:00-22:00" in where["ods:FC826"]
    assert "OpenStreetMap rutland-2018.osm.pbf: no opening_hours tag" in where["ods:FC826"]
    assert where.str.contains("OpenStreetMap rutland-2018.osm.pbf: not in this extract", regex=False).any()
