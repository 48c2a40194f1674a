"""Services at sites, commissioners' lists, OpenStreetMap hours, commissioning rules, hours
ranges and capacity-based access -- on the real bundle (ODS pharmacies, Rutland OSM extract)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo._errors import InputError
from geo.cli import main
from geo.config import Settings
from geo.data.areas import select_area
from geo.data.commissioning import known_vs_expected, restrict_to_commissioner
from geo.data.site_import import import_sites
from geo.data.site_lists import save_site_list
from geo.data.sites import load_sites, parse_site_types, unlocated_sites
from geo.measures.hours import is_open_at, open_range, validate_hours
from geo.measures.reference_week import parse_when


@pytest.fixture()
def user_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "user_sites"
    monkeypatch.setenv("GEO_USER_SITES_DIR", str(d))
    return d


def _pharmacies(settings: Settings, lad: str) -> pd.DataFrame:
    ph = pd.read_csv(Path(settings.data_dir) / "sites" / "pharmacies_england.csv", dtype=str)
    return ph[(ph["status"] == "active") & (ph["lad24cd"] == lad) & ph["easting"].notna()].sort_values("ods_code")


def _gp_postcode(settings: Settings, lad: str, not_in: set[str]) -> str:
    gp = pd.read_csv(Path(settings.data_dir) / "sites" / "gp_practices_england.csv", dtype=str)
    gp = gp[(gp["lad24cd"] == lad) & (gp["status"] == "active") & ~gp["postcode"].isin(not_in)]
    return str(gp["postcode"].iloc[0])


# --------------------------------------------------------------------------- services
def test_services_are_many_to_many_and_selectable(settings: Settings) -> None:
    assert parse_site_types("nsp,supervised_consumption") == ("nsp", "supervised_consumption")
    assert parse_site_types("Needle exchange".replace("Needle exchange", "treatment")) == ("treatment",)
    with pytest.raises(InputError, match="services"):
        parse_site_types("needles")
    leics = select_area("Leicestershire", settings=settings)
    nsp = load_sites(settings, area=leics, types=["nsp"], buffer_km=0)
    # the Turning Point hubs run NSP on site: they are hubs *and* NSP sites
    assert {"seed:tp-coalville", "seed:tp-loughborough", "seed:tp-hinckley"} <= set(nsp["site_id"])
    hub = nsp.set_index("site_id").loc["seed:tp-coalville"]
    assert hub["site_type"] == "hub" and set(hub["services"].split(";")) == {"treatment", "nsp", "naloxone"}


def test_open_road_south_essex_is_listed_unlocated(settings: Settings) -> None:
    essex = select_area("Essex", settings=settings)
    hubs = load_sites(settings, area=essex, types=["hub"])
    bad = unlocated_sites(hubs)
    assert "seed:openroad-south-essex" in set(bad["site_id"])
    assert bad.set_index("site_id").loc["seed:openroad-south-essex", "problem"].startswith("unlocated")


# --------------------------------------------------------------------------- import
def test_import_leicester_nsp_list_and_walk_coverage(settings: Settings, user_dir: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture) -> None:
    ph = _pharmacies(settings, "E06000016")  # Leicester
    assert len(ph) > 40
    by_code = ph.iloc[:8]
    by_name = ph.iloc[8:11]
    other_pc = _gp_postcode(settings, "E06000016", set(ph["postcode"]))
    rows = [{"ods_code": r.ods_code, "name": "", "postcode": "", "services": "NSP; naloxone"} for r in by_code.itertuples()]
    rows += [{"ods_code": "", "name": r.name.lower() + " ltd", "postcode": r.postcode.lower().replace(" ", ""),
              "services": "nsp"} for r in by_name.itertuples()]
    rows += [{"ods_code": "", "name": "Street van outside the GP surgery", "postcode": other_pc, "services": "nsp"},
             {"ods_code": "FZZZ9", "name": "Closed long ago", "postcode": "", "services": "nsp"}]
    table = pd.DataFrame(rows)
    table["mon_from"], table["mon_to"] = "09:00", "17:30"
    table.loc[0, ["mon_from", "mon_to"]] = ["closed", ""]
    f = tmp_path / "leicester_nsp.csv"
    table.to_csv(f, index=False)

    res = import_sites(f, settings, list_name="leicester-nsp")
    c = res.counts
    assert (c["rows"], c["exact"], c["probable"], c["unmatched"]) == (13, 8, 3, 2)
    assert (c["unmatched_located"], c["not_located"]) == (1, 1)
    assert len(res.report) == 13  # one line per input row: nothing silently dropped
    rep = res.report.set_index("row")
    assert rep.loc[14, "outcome"].startswith("not located") and "not in the registry" in rep.loc[14, "match_reason"]
    sites = res.sites.set_index("site_id")
    assert set(sites.loc[f"ods:{by_code.ods_code.iloc[1]}", "services"].split(";")) == {"nsp", "naloxone", "dispensing"}
    assert sites.loc[f"ods:{by_code.ods_code.iloc[1]}", "opening_hours"] == "Mo 09:00-17:30"
    assert sites.loc[f"ods:{by_code.ods_code.iloc[0]}", "opening_hours"] == "off"

    save_site_list(res.sites, "leicester-nsp", settings)
    with pytest.raises(InputError, match="exists"):
        save_site_list(res.sites, "leicester-nsp", settings)
    leicester = select_area("Leicester", settings=settings)
    nsp = load_sites(settings, area=leicester, types=["nsp"], buffer_km=0)
    assert set(sites.index) <= set(nsp["site_id"])  # the registered list is used by every command
    # registry pharmacy + user list = one site (the list adds NSP to the ODS row)
    both = load_sites(settings, area=leicester, types=["pharmacy"], buffer_km=0)
    assert both["site_id"].is_unique and len(both) == len(ph) + 1

    assert main(["coverage", "--area", "Leicester", "--sites", "nsp", "--mode", "walk", "--threshold", "15",
                 "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["sites_in_area"] == 12 and out["method"] == "estimate"
    assert "pharmacy services" in out["sites_counted"] and 0 < out["pct_within"] <= 100


def test_import_xlsx_with_flag_columns(settings: Settings, tmp_path: Path) -> None:
    ph = _pharmacies(settings, "E06000017")  # Rutland
    df = pd.DataFrame({"ODS Code": ph["ods_code"].iloc[:3].tolist(), "Needle exchange": ["Y", "N", "Y"],
                       "Supervised consumption": ["Y", "Y", ""],
                       "Opening hours": ["Mo-Fr 09:00-18:00; Sa 09:00-12:30", "", "24/7"]})
    f = tmp_path / "rutland.xlsx"
    df.to_excel(f, index=False)
    res = import_sites(f, settings)
    assert res.counts["exact"] == 3
    s = res.sites.set_index("ods_code")
    assert s.loc[ph["ods_code"].iloc[0], "services"] == "nsp;supervised_consumption;dispensing"
    assert s.loc[ph["ods_code"].iloc[1], "services"] == "supervised_consumption;dispensing"
    bad = df.assign(**{"Opening hours": ["Mo-Fr 25:00-26:00", "", ""]})
    bad.to_excel(f, index=False)
    with pytest.raises(InputError, match=r"row 2: .*25:00-26:00.*not a clock time"):
        import_sites(f, settings)


def test_known_versus_expected(settings: Settings, northants) -> None:
    ph = _pharmacies(settings, "E06000061")
    table = pd.DataFrame({"ods_code": ph["ods_code"].iloc[:3], "services": "nsp"})
    res = import_sites(table.to_csv(index=False).encode(), settings, source="nn.csv")
    before = known_vs_expected(load_sites(settings, area=northants, types=["nsp"]), northants, settings=settings)
    after = known_vs_expected(load_sites(settings, area=northants, types=["nsp"], extra=[res.sites]), northants,
                              settings=settings)
    msg = after.set_index("service").loc["nsp", "message"]
    assert msg.startswith("3 of 15 needle and syringe programme (NSP) pharmacies located") and "geo sites import" in msg
    assert before.set_index("service").loc["nsp", "located"] == 0
    assert after.set_index("service").loc["supervised_consumption", "expected"] == 57


# --------------------------------------------------------------------------- OpenStreetMap
def test_rutland_extract_pharmacies_match_ods(settings: Settings, rutland_pbf: Path) -> None:
    from geo.data.osm_pois import harvest_osm_sites

    h = harvest_osm_sites(rutland_pbf, settings)
    assert h.counts["osm_pharmacies"] == 5 and h.counts["matched"] == 4
    assert h.osm_date.startswith("2018-02-27")
    assert (h.matches.loc[h.matches["site_id"] != "", "match_metres"] < 150).all()
    assert h.sites["source"].str.contains("OpenStreetMap rutland-2018.osm.pbf").all()


def test_osm_hours_harvested_and_used_by_at(settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    import osmium

    from geo.data.osm_pois import harvest_osm_sites

    ph = _pharmacies(settings, "E06000017").iloc[:4]
    f = tmp_path / "rutland_hours.osm.pbf"
    tags = [{"opening_hours": "Mo-Fr 09:00-18:00; Sa 09:00-12:30", "harm_reduction:needle_exchange": "yes"},
            {"opening_hours": "Mo-Sa 08:00-22:00; Su 10:00-16:00"},
            {"opening_hours": "Mo-Fr 25:00-26:00"},  # impossible: not used
            {}]
    with osmium.SimpleWriter(str(f)) as w:
        for i, (r, extra) in enumerate(zip(ph.itertuples(), tags, strict=True)):
            w.add_node(osmium.osm.mutable.Node(id=-(i + 1), location=(float(r.lon), float(r.lat)),
                                               tags={"amenity": "pharmacy", "name": r.name.title(), **extra}))
    h = harvest_osm_sites(f, settings)
    assert h.counts["matched"] == 4 and h.counts["with_hours"] == 2 and h.counts["invalid_hours"] == 1
    s = h.sites.set_index("ods_code")
    assert s.loc[ph["ods_code"].iloc[0], "services"] == "nsp;dispensing"
    rutland = select_area("Rutland", settings=settings)
    sites = load_sites(settings, area=rutland, types=["pharmacy"], buffer_km=0, extra=[h.sites])
    sat_lunch = is_open_at(sites, "Sat 11:00", missing="closed")
    sat_night = is_open_at(sites, "Sat 21:00", missing="closed")
    ids = sites["site_id"].to_numpy()
    assert set(ids[sat_lunch.to_numpy()]) == {f"ods:{ph['ods_code'].iloc[0]}", f"ods:{ph['ods_code'].iloc[1]}"}
    assert set(ids[sat_night.to_numpy()]) == {f"ods:{ph['ods_code'].iloc[1]}"}
    # a user's list overrides OpenStreetMap
    mine = import_sites(pd.DataFrame({"ods_code": [ph["ods_code"].iloc[1]], "opening_hours": ["Mo-Fr 09:00-17:00"]})
                        .to_csv(index=False).encode(), settings, source="mine.csv")
    sites2 = load_sites(settings, area=rutland, types=["pharmacy"], buffer_km=0, extra=[h.sites, mine.sites])
    row = sites2.set_index("site_id").loc[f"ods:{ph['ods_code'].iloc[1]}"]
    assert row["opening_hours"] == "Mo-Fr 09:00-17:00" and row["hours_source"].startswith("user list")
    # ... and the CLI's --at uses the harvested hours, reporting the range over missing hours
    assert main(["hours", "at", "Sat 11:00", "--area", "Rutland", "--buffer-km", "0", "--sites", "pharmacy",
                 "--osm", str(f), "--format", "json"]) == 0
    cap = capsys.readouterr()
    rows = json.loads(cap.out)
    assert {r["site_id"] for r in rows if r["state"] == "open"} == set(ids[sat_lunch.to_numpy()])
    assert all("OpenStreetMap" in r["hours_sources"] for r in rows if r["state"] == "open")
    assert "2 matched with opening_hours" in cap.err


# --------------------------------------------------------------------------- hours
def test_hours_validation_rules() -> None:
    rep = validate_hours(pd.DataFrame({"site_id": ["a", "b", "c", "d"],
                                       "opening_hours": ["Mo-Fr 25:00-26:00", "Tu[1] 10:00-12:00",
                                                         "Fr 22:00-26:00", ""]}))
    assert rep["status"].tolist() == ["invalid", "ok", "ok", "missing"]
    assert "not a clock time" in rep["problem"].iloc[0]
    assert "n-th weekday" in rep["warning"].iloc[1] and rep["warning"].iloc[2] == ""
    with pytest.raises(InputError, match="24:00 is midnight at the end of the day"):
        parse_when("Mon 24:00")
    assert parse_when("Tue 00:00").isoformat() == "2026-11-24T00:00:00"
    with pytest.raises(InputError, match="not a clock time"):
        is_open_at(pd.DataFrame({"site_id": ["a"], "opening_hours": ["Mo-Fr 25:00-26:00"]}), "Mon 10:00",
                   missing="closed")


def test_hours_gaps_give_a_range(settings: Settings) -> None:
    rutland = select_area("Rutland", settings=settings)
    sites = load_sites(settings, area=rutland, types=["hub", "pharmacy"], buffer_km=0)
    sites.loc[sites.index[0], "opening_hours"] = "Mo-Fr 09:00-17:00"
    r = open_range(sites, "Sat 19:00")
    assert r["sites"] == len(sites) and r["missing_hours"] == len(sites) - 1
    assert r["open_if_missing_closed"] == 0 and r["open_if_missing_open"] == len(sites) - 1
    assert r["open"] == 0 and r["closed"] == 1 and r["hours_unknown"] == len(sites) - 1
    assert r["text"] == (f"At Saturday 19:00: 0 open, 1 closed, {len(sites) - 1} hours unknown (of {len(sites)} "
                         f"sites): between 0 and {len(sites) - 1} could be open")


# --------------------------------------------------------------------------- commissioning
def test_leicestershire_counts_only_its_commissioned_hubs(settings: Settings) -> None:
    from geo.travel.catchments import nearest_times
    from geo.travel.routing import make_router

    leics = select_area("Leicestershire", settings=settings)
    hubs = load_sites(settings, area=leics, types=["hub"])
    router = make_router("drive", area=leics, settings=settings, network=None)
    before = nearest_times(leics, restrict_to_commissioner(hubs, leics, any_commissioner=True), router)
    kept = restrict_to_commissioner(hubs, leics, settings=settings)
    after = nearest_times(leics, kept, router)
    b = before[before["in_area"]]["site_id"].value_counts()
    assert b.get("seed:tp-leicester", 0) > 100 and b.get("seed:cgl-corby", 0) > 0
    assert set(kept["site_id"]) == {"seed:tp-coalville", "seed:tp-loughborough", "seed:tp-hinckley", "seed:tp-oakham"}
    assert set(after[after["in_area"]]["site_id"]) == set(kept["site_id"])
    rule = kept.attrs["site_rule"]
    assert "Coalville, Hinckley, Loughborough, Oakham" in rule and "across the border" in rule
    assert any("Friar Lane" in x for x in kept.attrs["excluded_other_commissioner"])


def test_closure_impact_never_names_another_commissioners_hub(settings: Settings, capsys) -> None:
    assert main(["closure-impact", "--area", "Northamptonshire", "--sites", "hub", "--network", "none",
                 "--threshold", "30", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    ids = {r["site_id"] for r in out["sites"]}
    assert "seed:tp-oakham" not in ids and "seed:cgl-corby" in ids


# --------------------------------------------------------------------------- capacity
def test_scenario_capacity_changes_2sfca_on_northamptonshire(settings: Settings, northants, capsys) -> None:
    from geo.measures.access import capacity_access_change
    from geo.travel.routing import make_router

    hubs = restrict_to_commissioner(load_sites(settings, area=northants, types=["hub"]), northants, settings=settings)
    after = hubs.copy()
    after.loc[after["site_id"] == "seed:cgl-corby", "capacity"] = 10.0
    router = make_router("drive", area=northants, settings=settings, network=None)
    ch = capacity_access_change(northants, hubs, after, router, measure="e2sfca", max_minutes=30)
    s = ch["summary"]
    assert s["total_capacity_after"] == s["total_capacity_before"] + 9
    assert s["lsoas_score_up"] > 0 and s["lsoas_score_down"] == 0 and s["mean_score_change"] > 0
    corby = ch["lsoas"].join(northants.lsoas[["lsoa21nm"]])
    assert (corby[corby["lsoa21nm"].str.startswith("Corby")]["score_change"] > 0).all()

    assert main(["scenario", "capacity", "--area", "Northamptonshire", "--sites", "hub", "--network", "none",
                 "--site-id", "seed:cgl-corby", "--capacity", "10", "--show-lsoas", "0", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["capacity_access"]["lsoas_score_changed"] > 0
    assert out["capacity_access"]["mean_score_after"] > out["capacity_access"]["mean_score_before"]
    assert main(["scenario", "capacity", "--area", "Northamptonshire", "--site-id", "seed:cgl-corby",
                 "--capacity", "-5", "--network", "none"]) == 2


def test_access_measure_2sfca_cli(settings: Settings, tmp_path: Path, capsys) -> None:
    out = tmp_path / "access.csv"
    assert main(["access", "--area", "Rutland", "--sites", "hub,pharmacy", "--measure", "2sfca",
                 "--catchment-minutes", "20", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    t = pd.read_csv(out)
    core = t[t["in_area"]]
    assert len(core) == 26 and np.isfinite(core["access_per_1000_adults"]).all()
    assert "2SFCA: capacity per 1,000 adults within 20 min" in err and "counted as 1" in err


# --------------------------------------------------------------------------- listing
def test_sites_list_geojson_with_coordinates(settings: Settings, tmp_path: Path, capsys) -> None:
    out = tmp_path / "hubs.geojson"
    assert main(["sites", "list", "--area", "Essex", "--sites", "treatment", "--buffer-km", "0",
                 "--format", "geojson", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    gj = json.loads(out.read_text())
    props = {f["properties"]["site_id"]: f for f in gj["features"]}
    chelmsford = props["seed:openroad-chelmsford"]
    assert chelmsford["properties"]["location_precision"] == "town"
    lon, lat = chelmsford["geometry"]["coordinates"]
    assert 51.6 < lat < 51.8 and 0.4 < lon < 0.55
    assert {"easting", "northing", "source", "services"} <= set(chelmsford["properties"])
    assert "seed:openroad-south-essex" in err and "Named but not located" in err
