"""Bus Open Data Service feeds (geo.travel.bods): catalogue, download, checksum, mirror, offline, CLI.

Downloads run against a loopback HTTP mirror (tests/fixtures/loopback.py) serving a SYNTHETIC
GTFS feed the test writes (tests/fixtures/synthetic_gtfs.py, invented routes on real Rutland
NaPTAN stops) under the BODS file name; nothing touches the internet.  The end-to-end test runs
the seed-figure command (`geo coverage --mode transit --gtfs auto --network auto`) on Rutland's
real roads with that feed.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from geo._errors import AreaError, DataSourceError, InputError, NetworkError
from geo.config import Settings
from geo.data.areas import select_area
from geo.travel.bods import (
    CATALOGUE,
    NATIONAL,
    cached_feed,
    choose_regions,
    feed_record,
    feeds_for_area,
    fetch_feed,
    find_region,
    region_of_lsoas,
)
from tests.fixtures.loopback import Mirror, unreachable_url

EM = CATALOGUE["east_midlands"]


@pytest.fixture(scope="module")
def padded_feed(naptan_rutland_csv, tmp_path_factory) -> Path:
    """The synthetic feed plus 400 kB of stored random bytes (a transfer long enough to drop midway)."""
    import zipfile

    from tests.fixtures.synthetic_gtfs import feed_tables, write_feed_zip

    path = write_feed_zip(feed_tables(naptan_rutland_csv), tmp_path_factory.mktemp("bods") / "synthetic_padded.zip")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as zf:
        zf.writestr("padding.bin", np.random.default_rng(7).bytes(400_000))
    return path


@pytest.fixture
def served(loopback: Mirror, padded_feed: Path) -> Mirror:
    """The loopback mirror serving the synthetic feed as the East Midlands export, and again as East
    Anglia's (Rutland + 15 km reaches Huntingdonshire; a trip crossing a regional border is in both)."""
    loopback.serve(EM.filename, padded_feed.read_bytes())
    loopback.serve(CATALOGUE["east_anglia"].filename, padded_feed.read_bytes())
    return loopback


@pytest.fixture
def fresh(settings: Settings, tmp_path: Path, served: Mirror) -> Settings:
    return settings.with_(cache_dir=tmp_path / "cache", gtfs_mirror=served.url, osm_auto_fetch=True)


# --------------------------------------------------------------------------- catalogue
def test_every_english_lsoa_has_a_region(settings: Settings) -> None:
    from geo.data.tables import load_lsoa_table

    regions = region_of_lsoas(load_lsoa_table(settings))
    assert regions.notna().all()
    assert set(regions) == set(CATALOGUE) - {"all"}


@pytest.mark.parametrize(("area", "expect"), [
    ("Rutland", {"east_midlands"}), ("Essex", {"south_east"}), ("Norfolk", {"east_anglia"}),
    ("Peterborough", {"east_midlands"}), ("Hampshire", {"south_west"}), ("Leeds", {"yorkshire"}),
])
def test_choose_regions_follows_the_traveline_regions(settings: Settings, area: str, expect: set[str]) -> None:
    assert {r.slug for r in choose_regions(select_area(area, settings=settings), buffer_km=0, settings=settings)} == expect


def test_buffer_adds_neighbouring_regions_and_the_national_export_wins_when_large(settings: Settings) -> None:
    nn = select_area("North Northamptonshire", settings=settings)
    assert {r.slug for r in choose_regions(nn, buffer_km=0, settings=settings)} == {"east_midlands"}
    wide = {r.slug for r in choose_regions(nn, buffer_km=15, settings=settings)}
    assert "east_midlands" in wide and wide & {"east_anglia", "south_east"}  # Huntingdonshire / Bedford
    assert choose_regions(select_area("England", settings=settings), buffer_km=0, settings=settings) == [NATIONAL]


def test_find_region() -> None:
    assert find_region("East Midlands") is EM and find_region("em") is EM and find_region("east-midlands") is EM
    assert EM.filename == "itm_east_midlands_gtfs.zip" and EM.path == "timetable/download/gtfs-file/east_midlands/"
    with pytest.raises(AreaError, match="no BODS GTFS export called 'mars'.*east_midlands"):
        find_region("mars")
    assert find_region("england") is NATIONAL and find_region("all") is NATIONAL
    assert NATIONAL.path == "timetable/download/gtfs-file/all/" and NATIONAL.filename == "itm_all_gtfs.zip"


# --------------------------------------------------------------------------- download
def test_first_download_records_checksum_then_cache_is_checked(fresh: Settings, served: Mirror, padded_feed) -> None:
    path = fetch_feed(EM, settings=fresh)
    assert path.read_bytes() == padded_feed.read_bytes()
    rec = feed_record(path)
    import hashlib

    assert rec is not None and rec["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert rec["first_service"] and rec["last_service"] and rec["downloaded"]
    n = len(served.requests)
    assert fetch_feed(EM, settings=fresh) == path and len(served.requests) == n  # cached: no request
    # damaged on disk after the download: refused (deleted), the next fetch downloads it afresh
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    assert cached_feed(EM, fresh) is None and not path.exists()
    assert fetch_feed(EM, settings=fresh).read_bytes() == padded_feed.read_bytes()
    assert len(served.requests) == n + 1


def test_refresh_records_the_new_checksum(fresh: Settings, served: Mirror, naptan_rutland_csv, tmp_path: Path) -> None:
    import datetime as dt

    from tests.fixtures.synthetic_gtfs import build_synthetic_feed

    first = feed_record(fetch_feed(EM, settings=fresh))
    newer = build_synthetic_feed(naptan_rutland_csv, tmp_path, today=dt.date.today() + dt.timedelta(days=3))
    served.serve(EM.filename, newer.path.read_bytes())
    path = fetch_feed(EM, settings=fresh, refresh=True)
    second = feed_record(path)
    assert first and second and first["sha256"] != second["sha256"]
    assert path.read_bytes() == newer.path.read_bytes()


def test_interrupted_download_is_resumed(fresh: Settings, served: Mirror) -> None:
    served.drop_once.add(EM.filename)
    path = fetch_feed(EM, settings=fresh)
    ranges = [r for p, r in served.requests if p == EM.filename]
    assert len(ranges) == 2 and ranges[1] is not None and ranges[1].startswith("bytes=")
    assert feed_record(path) is not None


def test_error_page_and_missing_file(fresh: Settings, served: Mirror) -> None:
    served.serve(EM.filename, b"<!DOCTYPE html><html>Service unavailable</html>")
    with pytest.raises(DataSourceError, match=r"sent an HTML page, not a GTFS zip"):
        fetch_feed(EM, settings=fresh)
    assert cached_feed(EM, fresh) is None
    with pytest.raises(NetworkError, match="answered 404"):
        fetch_feed(CATALOGUE["london"], settings=fresh)


def test_local_folder_mirror(settings: Settings, tmp_path: Path, synthetic_feed) -> None:
    root = tmp_path / "mirror"
    root.mkdir()
    (root / EM.filename).write_bytes(synthetic_feed.path.read_bytes())
    s = settings.with_(cache_dir=tmp_path / "cache", gtfs_mirror=str(root))
    assert fetch_feed(EM, settings=s).read_bytes() == synthetic_feed.path.read_bytes()
    with pytest.raises(DataSourceError, match="lacks itm_london_gtfs.zip"):
        fetch_feed(CATALOGUE["london"], settings=s)


@pytest.mark.parametrize("where", ["closed-port", "unresolvable"])
def test_offline_fails_fast_with_one_clear_line(settings: Settings, tmp_path: Path, where: str) -> None:
    s = settings.with_(cache_dir=tmp_path / "cache", gtfs_mirror=unreachable_url(where, name="bods-mirror"))
    start = time.perf_counter()
    with pytest.raises(NetworkError) as err:
        fetch_feed(EM, settings=s)
    assert time.perf_counter() - start <= 5.0
    text = str(err.value)
    assert "\n" not in text and "--gtfs FILE.zip" in text and "GEO_GTFS_MIRROR" in text


def test_auto_without_download_permission_names_the_command(settings: Settings, tmp_path: Path) -> None:
    s = settings.with_(cache_dir=tmp_path / "cache", osm_auto_fetch=False)
    with pytest.raises(InputError, match=r'geo transit fetch --area "Rutland"'):
        feeds_for_area(select_area("Rutland", settings=s), settings=s, buffer_km=15)


# --------------------------------------------------------------------------- CLI
def test_cli_fetch_and_list(served: Mirror, settings: Settings, tmp_path: Path, capsys, monkeypatch) -> None:
    from geo.cli import main

    monkeypatch.setenv("GEO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("GEO_GTFS_MIRROR", served.url)
    data = ["--data-dir", str(settings.data_dir)]
    assert main([*data, "transit", "fetch", "--area", "Rutland", "--format", "json"]) == 0
    cap = capsys.readouterr()
    out = json.loads(cap.out)
    assert [f["region"] for f in out["feeds"]] == ["east_anglia", "east_midlands"] and out["feeds"][0]["sha256"]
    assert "%|" not in cap.err  # no progress bar when stderr is not a terminal (and no -v)
    assert main([*data, "transit", "list", "--format", "json"]) == 0
    rows = {r["region"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["east_midlands"]["cached"] and not rows["london"]["cached"]
    assert main([*data, "transit", "fetch", "--region", "atlantis"]) == 2
    assert "no BODS GTFS export called 'atlantis'" in capsys.readouterr().err


@pytest.mark.transit
def test_seed_command_end_to_end_on_rutland(valhalla_module, served: Mirror, settings: Settings, tmp_path: Path,
                                            capsys, monkeypatch) -> None:
    """The documented seed command, with --gtfs auto (fetched from the mirror) and --network auto (real roads)."""
    from geo.cli import main

    monkeypatch.setenv("GEO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("GEO_GTFS_MIRROR", served.url)
    monkeypatch.setenv("GEO_OSM_AUTO_FETCH", "1")  # downloads allowed, as on the command line by default
    args = ["--data-dir", str(settings.data_dir), "coverage", "--area", "Rutland", "--mode", "transit",
            "--gtfs", "auto", "--network", "auto", "--arrive-by", "Tue 12:00", "--threshold", "45",
            "--sites", "hub", "--in-county-only", "--format", "json"]
    assert main(args) == 0
    cap = capsys.readouterr()
    out = json.loads(cap.out)
    assert out["method"] == "timetable" and out["times"].startswith("Public transport, timetable-based")
    assert "itm_east_midlands_gtfs.zip" in out["times"] and "itm_east_anglia_gtfs.zip" in out["times"]
    assert "estimate" not in out["times"].lower()
    window = out["timetable_window"]
    assert len(window["times"]) == 9 and window["times"][-1] == "12:00"
    w45 = window["45"]
    assert w45["pct_beyond_min"] <= out["pct_beyond"] <= w45["pct_beyond_max"]
    assert 0 < w45["pct_beyond_min"] < 100 and np.isclose(100 - w45["pct_within_max"], w45["pct_beyond_min"])
    assert "range: arriving by each of the 9 times 10:00-12:00" in cap.err
