"""HTML report and the coverage / gaps / report commands, on real data."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from geo.cli import main


@pytest.fixture(scope="module")
def rutland_run(settings, rutland):
    """Real routing on the bundled Rutland roads (network if available, else estimate)."""
    from geo.data.sites import load_sites
    from geo.travel.catchments import nearest_times
    from geo.travel.routing import make_router

    sites = load_sites(settings, area=rutland, types=["hub", "pharmacy"], buffer_km=15.0)
    router = make_router("drive", area=rutland, settings=settings)
    return sites, nearest_times(rutland, sites, router), router


def test_report_data_and_html(settings, rutland, rutland_run, tmp_path) -> None:
    from geo.measures.need import composite_need_index, need_table
    from geo.outputs.report import build_report, report_data

    sites, times, router = rutland_run
    need = composite_need_index(need_table(rutland.lsoas, settings))
    data = report_data(rutland, times, threshold_minutes=15, sites=sites, need=need, charts=False)
    assert data["headline"]["adults"] == 33402
    assert data["coverage"]["by_imd_decile"]["adults"].sum() == 33402
    assert data["is_estimate"] == (router.method != "network")
    assert len(data["outreach"]) == 20
    assert any(s["licence"].startswith("Open Government") for s in data["sources"])
    assert any("ODbL" in s["attribution"] or "Open Database" in s["licence"] for s in data["sources"]) \
        == (router.method == "network")
    res = build_report(rutland, times, out_path=tmp_path / "r.html", threshold_minutes=15, sites=sites,
                       need=need, settings=settings, pdf=True)
    text = (tmp_path / "r.html").read_text()
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert "Rutland" in text and "33,402" in text
    assert "Open Government Licence" in text
    assert "Concentration index" in text
    assert "<script" not in text and "http://" not in text.split("<h2>Data sources")[0]
    assert res["pdf"] is not None or "PDF skipped" in res["pdf_note"]
    assert not list(tmp_path.glob("*.tmp*"))  # atomic write leaves no temp file


def test_estimate_is_labelled(settings, northants, tmp_path) -> None:
    from geo.data.sites import load_sites
    from geo.measures.coverage import restrict_sites
    from geo.outputs.report import build_report
    from geo.travel.catchments import nearest_times
    from geo.travel.routing import make_router

    sites = restrict_sites(load_sites(settings, area=northants, types=["hub"]))
    router = make_router("drive", area=northants, settings=settings, network=None)
    times = nearest_times(northants, sites, router)
    res = build_report(northants, times, out_path=tmp_path / "n.html", threshold_minutes=45,
                       sites=sites, settings=settings)
    text = (tmp_path / "n.html").read_text()
    assert res["is_estimate"]
    assert "ESTIMATE" in text and "class='banner estimate'" in text
    assert res["headline"]["adults"] == 614188
    h = res["headline"]
    assert h["pct_beyond_low"] <= h["pct_beyond"] <= h["pct_beyond_high"]
    assert "(estimate range " in text  # the headline card carries the range


def test_report_escapes_html(rutland_run, rutland, tmp_path) -> None:
    from geo.outputs.report import build_report

    sites, times, _ = rutland_run
    evil = sites.copy()
    evil.loc[0, "name"] = "<script>alert(1)</script>"
    build_report("Rutland <b>", times, out_path=tmp_path / "e.html", threshold_minutes=15,
                 sites=evil, deaths={}, charts=False)
    text = (tmp_path / "e.html").read_text()
    assert "<script>alert" not in text and "&lt;script&gt;" in text


def test_cli_coverage_json(capsys) -> None:
    rc = main(["coverage", "--area", "Rutland", "--sites", "hub", "--mode", "drive",
               "--threshold", "20", "--in-county-only", "--format", "json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out["adults"] == 33402
    assert out["sites_in_area"] == out["sites"] == 1  # Oakham hub only
    assert sum(r["adults"] for r in out["by_imd_decile"]) == 33402


@pytest.mark.slow
def test_cli_coverage_england_straight_line(capsys) -> None:
    rc = main(["coverage", "--area", "England", "--sites", "pharmacy", "--mode", "straight-line",
               "--threshold-km", "1.6", "--by", "urban_rural", "--format", "csv"])
    assert rc == 0
    df = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out), index_col=0)
    share = df["adults_within"].sum() / df["adults"].sum()
    assert 0.8 < share < 0.95
    assert df.loc["Rural", "pct_within"] < df.loc["Urban", "pct_within"]


def test_cli_gaps_csv(tmp_path, capsys) -> None:
    out = tmp_path / "outreach.csv"
    rc = main(["gaps", "--area", "Northamptonshire", "--sites", "hub", "--network", "none",
               "--threshold", "45", "--in-county-only", "--top", "25", "--out", str(out)])
    assert rc == 0
    df = pd.read_csv(out)
    assert len(df) == 25
    assert list(df.columns[:3]) == ["lsoa21cd", "lsoa21nm", "lad24nm"]
    assert np.all(np.diff(df["score"]) <= 1e-9)
    assert df["lsoa21cd"].str.match(r"^E01\d{6}$").all()


def test_cli_report(tmp_path, capsys) -> None:
    out = tmp_path / "report.html"
    rc = main(["report", "--area", "Rutland", "--sites", "hub,pharmacy", "--mode", "drive",
               "--threshold", "15", "--no-charts", "--out", str(out)])
    assert rc == 0
    text = out.read_text()
    assert re.search(r"Outreach priorities \(top \d+ LSOAs\)", text)


def test_cli_bad_mode_for_gaps(capsys) -> None:
    rc = main(["gaps", "--area", "Rutland", "--mode", "straight-line"])
    assert rc == 2
    assert "needs travel times" in capsys.readouterr().err


def test_report_with_no_reachable_site(rutland, tmp_path) -> None:
    from geo.outputs.report import build_report

    t = rutland.all_lsoas.drop(columns="geometry").assign(minutes=np.nan, method="estimate", site_name=None)
    res = build_report(rutland, t, out_path=tmp_path / "none.html", threshold_minutes=20, deaths={})
    assert res["headline"]["adults_unreachable"] == 33402
    assert res["headline"]["pct_beyond"] == 100.0
    assert "ESTIMATE" in (tmp_path / "none.html").read_text()


# --------------------------------------------------------------------------- several thresholds
def test_cli_coverage_multi_threshold_csv_and_json(tmp_path, capsys) -> None:
    out = tmp_path / "cov.csv"
    base = ["coverage", "--area", "Northamptonshire", "--sites", "hub", "--network", "none",
            "--in-county-only", "--threshold", "45,15,30"]
    assert main([*base, "--format", "csv", "--out", str(out)]) == 0
    df = pd.read_csv(out)
    assert list(df.columns[:3]) == ["threshold_minutes", "breakdown", "group"]
    assert sorted(df["threshold_minutes"].unique()) == [15, 30, 45]
    sums = df.groupby(["threshold_minutes", "breakdown"])[["adults", "adults_within", "adults_beyond"]].sum()
    assert (sums["adults"] == 614188).all()
    assert (sums["adults_within"] + sums["adults_beyond"] == 614188).all()
    from geo.measures.disclosure import scan_file

    assert scan_file(out) == []
    capsys.readouterr()
    assert main([*base, "--format", "json"]) == 0
    js = json.loads(capsys.readouterr().out)
    assert js["thresholds"] == [15, 30, 45] and js["adults"] == 614188
    assert [b["threshold"] for b in js["by_threshold"]] == [15, 30, 45]
    for block in js["by_threshold"]:
        assert block["adults_within"] + block["adults_beyond"] == 614188
        assert sum(r["adults"] for r in block["by_imd_decile"]) == 614188
        assert sum(r["adults_beyond"] for r in block["by_urban_rural"]) == block["adults_beyond"]
    assert main([*base, "--format", "table"]) == 0
    text = capsys.readouterr().out
    assert "beyond 15 min" in text and "beyond 45 min" in text and "by_urban_rural" in text


def test_cli_coverage_bad_threshold(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["coverage", "--area", "Rutland", "--threshold", "15,x"])
    assert "not a number" in capsys.readouterr().err


# --------------------------------------------------------------------------- maps
def test_minute_bands() -> None:
    from geo.outputs.report_html import minute_bands

    band, labels = minute_bands(np.array([1.0, 6.0, 14.9, 15.0, 22.4, 30.0, np.nan]), threshold_minutes=15)
    assert band.tolist() == [0, 1, 2, 3, 3, 4, 5]
    assert labels[3].startswith("15-22.5") and "beyond" in labels[3] and labels[5] == "no reachable site"


def test_report_maps(settings, rutland, rutland_run, tmp_path) -> None:
    from geo.outputs.report import build_report, report_data

    sites, times, router = rutland_run
    data = report_data(rutland, times, threshold_minutes=15, sites=sites, deaths={})
    maps = data["maps"]
    assert maps["minutes_map"].startswith("data:image/png;base64,")
    assert maps["gap_map"].startswith("data:image/png;base64,")
    assert ("ESTIMATE" in maps["minutes_title"]) == (router.method != "network")
    assert len(data["lsoa_metrics"]) == 26 and data["lsoa_metrics"].crs.to_epsg() == 27700
    build_report(rutland, times, out_path=tmp_path / "m.html", threshold_minutes=15, sites=sites,
                 deaths={})
    text = (tmp_path / "m.html").read_text()
    assert "<h2>Maps</h2>" in text and text.count("data:image/png;base64,") == 3  # 2 maps + chart


def test_estimate_maps_say_estimate(settings, northants) -> None:
    from geo.data.sites import load_sites
    from geo.measures.coverage import restrict_sites
    from geo.outputs.report import report_data
    from geo.travel.catchments import nearest_times
    from geo.travel.routing import make_router

    sites = restrict_sites(load_sites(settings, area=northants, types=["hub"]))
    times = nearest_times(northants, sites, make_router("drive", area=northants, settings=settings,
                                                         network=None))
    data = report_data(northants, times, threshold_minutes=45, sites=sites)
    assert "ESTIMATE" in data["maps"]["minutes_title"] and "ESTIMATE" in data["maps"]["gap_title"]
    assert "ESTIMATE" in data["maps_note"]
