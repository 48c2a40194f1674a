"""Places people name: former districts and wards as areas and breakdowns, IMD 2019 on demand,
local LSOA names, and the labels and roads that orient a map."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from geo._errors import AreaError, DataSourceError
from geo.config import Settings
from geo.data.areas import select_area
from geo.data.tables import load_lsoa_table

NORTHANTS_FORMER = {"Corby", "Daventry", "East Northamptonshire", "Kettering", "Northampton",
                    "South Northamptonshire", "Wellingborough"}
LEICS_DISTRICTS = {"Blaby", "Charnwood", "Harborough", "Hinckley and Bosworth", "Melton",
                   "North West Leicestershire", "Oadby and Wigston"}


def _raw(settings: Settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    imd = pd.read_csv(settings.data_dir / "tables/imd2019_lsoa11.csv",
                      usecols=["lsoa11cd", "lad19nm", "imd_decile", "imd_rank"])
    lookup = pd.read_csv(settings.data_dir / "tables/lookup_lsoa11_lsoa21.csv")
    return imd, lookup


def test_former_districts_follow_the_2011_parents(settings: Settings, northants) -> None:
    imd, lookup = _raw(settings)
    assert set(northants.lsoas["former_district"]) == NORTHANTS_FORMER
    pairs = lookup.merge(imd, on="lsoa11cd")
    parents = pairs.groupby("lsoa21cd")["lad19nm"].agg(lambda s: set(s))
    table = load_lsoa_table(settings)
    one = parents[parents.map(len) == 1].map(lambda s: next(iter(s)))
    assert (table.loc[one.index, "former_district"] == one).all()
    # the only LSOAs with parents in two districts (irregular changes) take one of them
    two = parents[parents.map(len) > 1]
    assert len(two) <= 5
    for code, names in two.items():
        assert table.loc[code, "former_district"] in names
    # Daventry: every 2011 Daventry LSOA is a parent of a Daventry LSOA 2021, and nothing else is
    daventry = select_area("Daventry", settings=settings)
    assert daventry.kind == "former_district"
    got = set(lookup.loc[lookup["lsoa21cd"].isin(daventry.lsoas.index), "lsoa11cd"])
    assert got == set(imd.loc[imd["lad19nm"] == "Daventry", "lsoa11cd"])


def test_lsoas_carry_a_local_place_name(lsoa_table) -> None:
    w = lsoa_table[lsoa_table["lad24nm"] == "West Northamptonshire"]
    assert all(lab.endswith(" \u2014 " + nm) for lab, nm in zip(w["lsoa_label"], w["lsoa21nm"], strict=True))
    d = w[w["former_district"] == "Daventry"]
    assert d["lsoa_label"].str.contains("Daventry").all()  # the ward says it, or "(Daventry)" does
    r = lsoa_table[lsoa_table["lad24nm"] == "Rutland"]
    assert (r["place"] == r["ward"]).all()  # Rutland is still a council: ward only
    assert r["lsoa_label"].str.contains(" \u2014 Rutland ").all()


def test_unknown_area_suggests_former_districts_and_wards(settings: Settings) -> None:
    with pytest.raises(AreaError, match="Did you mean: Daventry"):
        select_area("Daventri", settings=settings)
    with pytest.raises(AreaError, match=r"used in .* districts; say which, e.g. Abbey, "):
        select_area("Abbey", settings=settings)
    ward = select_area("Abbey, Leicester", settings=settings)
    assert ward.kind == "ward" and set(ward.lsoas["lad24nm"]) == {"Leicester"}
    assert set(ward.lsoas["ward"]) == {"Abbey"}


def test_imd_version_is_checked() -> None:
    with pytest.raises(DataSourceError, match="choose one of 2025, 2019"):
        Settings.from_env(imd_version=2015)


def test_imd2019_reproduces_leicestershire_deciles(settings: Settings) -> None:
    """IMD 2019 on LSOA 2021 keeps the published deciles: per decile, the 2011 LSOAs behind
    Leicestershire's 2021 LSOAs are exactly the 2011 file's Leicestershire LSOAs of that decile."""
    imd, lookup = _raw(settings)
    s19 = settings.with_(imd_version=2019)
    leics = select_area("Leicestershire", settings=s19)
    t = leics.lsoas
    assert (t["imd_version"] == 2019).all()
    assert (t["imd_decile"] == t["imd2019_decile"]).all()
    assert "imd2025_decile" in t.columns
    direct = imd[imd["lad19nm"].isin(LEICS_DISTRICTS)]
    parents = lookup[lookup["lsoa21cd"].isin(t.index)].merge(
        t[["imd_decile"]], left_on="lsoa21cd", right_index=True).drop_duplicates("lsoa11cd")
    want = direct.groupby("imd_decile").size()
    got = parents.groupby("imd_decile").size()
    pd.testing.assert_series_equal(got, want, check_names=False)
    # unchanged and split LSOAs carry their parent's published decile exactly
    same = lookup[lookup["chgind"].isin(["U", "S"]) & lookup["lsoa21cd"].isin(t.index)].merge(
        imd[["lsoa11cd", "imd_decile"]], on="lsoa11cd")
    assert (t.loc[same["lsoa21cd"], "imd_decile"].to_numpy() == same["imd_decile"].to_numpy()).all()
    # the seed's figures (Leicestershire JSNA 2023, IMD 2019 x 2020 mid-year population):
    # 88,190 people (12.4%) in deciles 1-4; 6,375 in decile 1, in 4 LSOAs of Charnwood and NW Leics
    pop = t.groupby("imd_decile")["population"].sum()
    d14 = int(pop.loc[[1, 2, 3, 4]].sum())
    share = 100.0 * d14 / int(t["population"].sum())
    first = t[t["imd_decile"] == 1]
    print(f"\nLeicestershire, IMD 2019 on Census 2021 population: deciles 1-4 {d14:,} people "
          f"({share:.1f}%), seed 88,190 (12.4%); decile 1 {int(pop.loc[1]):,} people in "
          f"{len(first)} LSOAs, seed 6,375 in 4 LSOAs")
    assert len(first) == 4
    assert set(first["lad24nm"]) == {"Charnwood", "North West Leicestershire"}
    # a different population vintage (Census 2021, not mid-2020) moves the count by ~1%, not more
    assert abs(d14 - 88_190) / 88_190 < 0.02
    assert abs(share - 12.4) < 0.3


def test_cli_former_district_ward_and_imd(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    from geo.cli import main

    base = ["--data-dir", str(settings.data_dir)]
    assert main([*base, "coverage", "--area", "Daventry", "--mode", "straight-line", "--threshold-km", "5",
                 "--by", "ward", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    daventry = select_area("Daventry", settings=settings)
    assert {r["ward"] for r in rows} == set(daventry.lsoas["ward"])
    assert sum(r["adults"] for r in rows) == daventry.adults
    assert main([*base, "coverage", "--area", "Northamptonshire", "--mode", "straight-line",
                 "--by", "former_district", "--imd", "2019", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["former_district"] for r in rows} == NORTHANTS_FORMER
    assert main([*base, "profile", "--area", "Leicestershire", "--imd", "2019", "--format", "json"]) == 0
    prof = json.loads(capsys.readouterr().out)
    assert prof["imd"] == "IMD 2019" and "imd2019_deciles" in prof
    assert prof["imd2019_deciles"][0]["lsoas"] == 4


def test_place_labels_use_naptan_towns_and_wards(settings: Settings, northants) -> None:
    from geo.data.places import place_labels

    area = select_area("Northamptonshire", settings=settings, buffer_km=5.0)
    p = place_labels(area.all_lsoas, settings=settings)
    towns = p[p["kind"] != "locality"]
    assert {"Northampton", "Corby", "Kettering", "Wellingborough", "Daventry"} <= set(towns["name"].head(8))
    assert towns["population"].sum() == int(area.all_lsoas["population"].sum()) or \
        abs(towns["population"].sum() - area.all_lsoas["population"].sum()) <= len(towns)  # rounding
    assert towns["rank"].is_monotonic_increasing
    assert (np.diff(towns["population"].to_numpy()) <= 0).all()
    assert towns["min_zoom"].iloc[0] <= towns["min_zoom"].iloc[-1]
    # the buffer ring outside the bundled NaPTAN districts is labelled by ward, not a far village
    outside = ~area.all_lsoas["lad24cd"].isin(["E06000061", "E06000062"])
    assert outside.any() and (towns["kind"] == "ward").any()
    x0, y0, x1, y1 = area.all_lsoas.total_bounds
    assert towns["easting"].between(x0, x1).all() and towns["northing"].between(y0, y1).all()


def test_main_roads_and_map_context(settings: Settings, rutland_buffered, rutland_pbf) -> None:
    from geo.outputs.map_context import map_context
    from geo.travel.network import read_network
    from geo.travel.roads import main_roads

    net = read_network(rutland_pbf, mode="drive", settings=settings)
    roads = main_roads(net)
    assert {"trunk", "primary"} <= set(roads["road_class"])  # the A1 and A47 are trunk roads
    ctx = map_context(rutland_buffered, network=net, settings=settings,
                      sites=pd.DataFrame({"name": ["Hub A"], "site_type": ["hub"],
                                          "easting": [486_000.0], "northing": [308_800.0]}))
    gj = ctx.geojson()
    names = [f["properties"]["name"] for f in gj["places"]["features"]]
    assert "Oakham" in names and "Uppingham" in names
    lon_lat = np.array([f["geometry"]["coordinates"] for f in gj["places"]["features"]])
    assert ((lon_lat[:, 0] > -1.2) & (lon_lat[:, 0] < -0.2) & (lon_lat[:, 1] > 52.4)
            & (lon_lat[:, 1] < 53.0)).all()
    assert gj["roads"]["features"] and gj["sites"]["features"][0]["properties"]["min_zoom"] == 9


def test_report_maps_label_places(settings: Settings, rutland) -> None:
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from geo.outputs.map_context import map_context, plot_context

    ctx = map_context(rutland, settings=settings, localities=False,
                      sites=pd.DataFrame({"name": ["Turning Point Rutland hub"], "site_type": ["hub"],
                                          "easting": [486_000.0], "northing": [308_800.0]}))
    ax = Figure(figsize=(6.4, 6.6)).subplots()
    plot_context(ax, ctx, rutland.lsoas.total_bounds)
    texts = [t.get_text() for t in ax.texts]
    assert "Oakham" in texts and "Uppingham" in texts
    assert any(t.startswith("Turning Point") for t in texts)
    assert len(texts) == len(set(texts))


def test_nothing_beyond_says_so_and_suggests_a_threshold(settings: Settings, rutland) -> None:
    from geo.data.sites import load_sites
    from geo.measures.coverage import coverage_headline
    from geo.measures.hints import nothing_beyond_hint
    from geo.travel.catchments import nearest_times
    from geo.travel.routing import make_router

    sites = load_sites(settings, area=rutland, types=["hub", "pharmacy"], buffer_km=15.0)
    times = nearest_times(rutland, sites, make_router("drive", area=rutland, settings=settings, network=None))
    longest = float(times.loc[times["in_area"], "minutes"].max())
    hint = nothing_beyond_hint(times, threshold_minutes=30)
    assert hint is not None and hint.startswith("Everyone is within 30 minutes")
    suggested = float(hint.split("Try ")[1].split(" minutes")[0])
    assert 0 < suggested < longest
    beyond = coverage_headline(times, threshold_minutes=suggested)["pct_beyond"]
    assert f"{beyond:.0f}% of adults are beyond" in hint
    assert beyond > 0
    assert nothing_beyond_hint(times, threshold_minutes=suggested) is None


def test_nothing_beyond_never_hides_a_service_gap() -> None:
    """Hand-made times: everyone is near a pharmacy, a quarter of adults are far from a hub; the
    tip for the nearest site of any type says so instead of "everyone"."""
    import pandas as pd

    from geo.measures.hints import nothing_beyond_hint

    times = pd.DataFrame({"in_area": [True] * 4, "adults": [100.0, 100.0, 100.0, 100.0],
                          "minutes": [3.0, 4.0, 6.0, 12.0], "minutes_pharmacy": [3.0, 4.0, 6.0, 12.0],
                          "minutes_pharmacy_low": [2.0] * 4, "minutes_pharmacy_high": [40.0] * 4,
                          "minutes_hub": [10.0, 20.0, 25.0, 45.0]})
    hint = nothing_beyond_hint(times, threshold_minutes=30)
    assert hint is not None and hint.startswith("Everyone is within 30 minutes of a site")
    assert "But not of every service: 100 adults (25.0%) are beyond 30 minutes of a treatment hub." in hint
    times["minutes_hub"] = [10.0, 20.0, 25.0, 29.0]
    assert "not of every service" not in (nothing_beyond_hint(times, threshold_minutes=30) or "")
