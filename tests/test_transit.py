"""geo.travel.gtfs and geo.travel.transit on a SYNTHETIC GTFS feed laid on real Rutland stops and roads.

Expected journey times are worked out by hand from the synthetic timetable
(tests/fixtures/synthetic_gtfs.py): origins and sites sit on the stops themselves, so walking
is short and door-to-door = wait + ride (+ change) + a little walking between the NaPTAN point and
the road Valhalla joins the stop to.  Accepted: 1 minute under (rounding of Valhalla's stop
times) to 2.5 minutes over (walking up to ~100 m at each end) the hand-computed wait + ride.
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from geo._errors import CrsError, InputError, NetworkError, SchemaError
from geo.travel.gtfs import resolve_service_datetime, service_dates, summarise_feed
from geo.travel.gtfs_stream import clip_feed, read_gtfs
from tests.fixtures.synthetic_gtfs import feed_tables, write_feed_zip

UNDER_MINUTES, OVER_MINUTES = 1.0, 2.5


def assert_journey(minutes: float, wait_and_ride_minutes: float) -> None:
    """Door-to-door minutes agree with the hand-computed wait + ride (plus short walks)."""
    assert wait_and_ride_minutes - UNDER_MINUTES <= minutes <= wait_and_ride_minutes + OVER_MINUTES, (
        f"{minutes:.2f} min vs hand-computed {wait_and_ride_minutes} min")


def _next(weekday: int, hhmm: str) -> dt.datetime:
    """Next date (today included) with this weekday (0 = Monday) at ``hhmm``."""
    today = dt.date.today()
    day = today + dt.timedelta(days=(weekday - today.weekday()) % 7)
    h, m = map(int, hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(h, m))


# --------------------------------------------------------------------------- GTFS (no Valhalla)

def test_read_and_summarise_synthetic_feed(synthetic_feed) -> None:
    feed = read_gtfs(synthetic_feed.path)
    s = summarise_feed(feed)
    assert (s["agencies"], s["routes"], s["stops"]) == (1, 2, 7)
    assert s["trips"] == 4 * 13  # 4 patterns x hourly 07:00-19:00
    assert s["mean_trips_per_service_day_by_weekday"]["Tue"] == 52
    assert np.isnan(s["mean_trips_per_service_day_by_weekday"]["Sat"])
    assert synthetic_feed.start_date.weekday() == 0
    assert s["first_service_date"] == str(synthetic_feed.start_date)  # a Monday, whatever the run date
    days = service_dates(feed)
    assert all(d.weekday() < 5 for d in days["date"])


@pytest.mark.parametrize("offset_days", range(7))
def test_synthetic_feed_does_not_depend_on_the_run_date(naptan_rutland_csv, tmp_path, offset_days: int) -> None:
    today = dt.date(2026, 11, 23) + dt.timedelta(days=offset_days)  # Monday .. Sunday
    feed = read_gtfs(write_feed_zip(feed_tables(naptan_rutland_csv, today=today), tmp_path / "f.zip"))
    days = service_dates(feed)["date"]
    assert days.iloc[0] == dt.date(2026, 11, 16)  # the Monday of the week before
    assert today + dt.timedelta(days=300) in set(days) or (today + dt.timedelta(days=300)).weekday() >= 5
    assert summarise_feed(feed)["first_service_date"] == "2026-11-16"


def test_clip_keeps_whole_trips(synthetic_feed, rutland) -> None:
    from shapely.geometry import Point

    feed = read_gtfs(synthetic_feed.path)
    assert summarise_feed(clip_feed(feed, rutland.polygon))["trips"] == 52
    barrowden = synthetic_feed.stops.loc["barrowden_church_lane"]
    small = Point(barrowden["easting"], barrowden["northing"]).buffer(300)
    clipped = clip_feed(feed, small)
    assert set(clipped.tables["routes.txt"]["route_id"]) == {"SYN2"}
    assert len(clipped.tables["stops.txt"]) == 3  # Uppingham Bay 1, Morcott, Barrowden
    with pytest.raises(InputError, match=r"none of its 7 stops lies within 0 km of the study area \(nearest 18\d km "
                                         r"away.*feed for another region.*--gtfs auto"):
        clip_feed(feed, Point(300_000, 300_000).buffer(100))


def _broken(tmp_path: Path, naptan: Path, name: str, *, drop: tuple[str, ...] = (), edit=None) -> Path:
    tables = feed_tables(naptan)
    if edit is not None:
        edit(tables)
    return write_feed_zip(tables, tmp_path / name, drop=drop)


def test_truncated_zip(tmp_path, synthetic_feed) -> None:
    bad = tmp_path / "truncated.zip"
    bad.write_bytes(synthetic_feed.path.read_bytes()[:400])
    with pytest.raises(InputError, match=r"truncated.zip: damaged or truncated zip.*re-download"):
        read_gtfs(bad)


def test_not_a_zip_and_empty(tmp_path) -> None:
    page = tmp_path / "feed.zip"
    page.write_text("<!DOCTYPE html><html>login</html>")
    with pytest.raises(InputError, match="feed.zip: an HTML page, so not a GTFS zip"):
        read_gtfs(page)
    csv = tmp_path / "stops.zip"
    csv.write_text("stop_id,stop_lat\n1,2\n")
    with pytest.raises(InputError, match="not a zip archive"):
        read_gtfs(csv)
    empty = tmp_path / "empty.zip"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_gtfs(empty)
    with pytest.raises(InputError, match="not found"):
        read_gtfs(tmp_path / "nope.zip")


def test_missing_files(tmp_path, naptan_rutland_csv) -> None:
    with pytest.raises(InputError, match=r"lacks stops.txt"):
        read_gtfs(_broken(tmp_path, naptan_rutland_csv, "nostops.zip", drop=("stops.txt",)))
    with pytest.raises(InputError, match="neither calendar.txt nor calendar_dates.txt"):
        read_gtfs(_broken(tmp_path, naptan_rutland_csv, "nocal.zip", drop=("calendar.txt",)))


def test_member_cannot_be_unpacked(tmp_path, synthetic_feed) -> None:
    data = bytearray(synthetic_feed.path.read_bytes())
    with zipfile.ZipFile(synthetic_feed.path) as zf:
        info = zf.getinfo("stop_times.txt")
    start = info.header_offset + 30 + len(info.filename) + 5
    data[start:start + 40] = b"\x00" * 40  # corrupt the compressed stream
    bad = tmp_path / "corrupt.zip"
    bad.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"corrupt.zip: stop_times.txt cannot be unpacked"):
        read_gtfs(bad)


def test_schema_errors_name_file_row_column(tmp_path, naptan_rutland_csv) -> None:
    def no_col(t):
        t["stop_times.txt"] = t["stop_times.txt"].drop(columns="departure_time")

    with pytest.raises(SchemaError, match="stop_times.txt lacks required column.*departure_time"):
        read_gtfs(_broken(tmp_path, naptan_rutland_csv, "nocol.zip", edit=no_col))

    def bad_time(t):
        t["stop_times.txt"].loc[4, "arrival_time"] = "7.30am"

    with pytest.raises(SchemaError, match=r"stop_times.txt row 6 column arrival_time: '7.30am'"):
        read_gtfs(_broken(tmp_path, naptan_rutland_csv, "badtime.zip", edit=bad_time))

    def dangling(t):
        t["stop_times.txt"].loc[0, "stop_id"] = "NOPE"

    with pytest.raises(SchemaError, match=r"stop_times.txt row 2: stop_id 'NOPE' is not in stops.txt"):
        read_gtfs(_broken(tmp_path, naptan_rutland_csv, "dangling.zip", edit=dangling))

    def backwards(t):
        t["stop_times.txt"].loc[1, ["arrival_time", "departure_time"]] = "06:00:00"

    with pytest.raises(SchemaError, match="goes back in time"):
        read_gtfs(_broken(tmp_path, naptan_rutland_csv, "back.zip", edit=backwards))


def test_stops_must_be_in_england(tmp_path, naptan_rutland_csv) -> None:
    def swap(t):
        st = t["stops.txt"]
        st["stop_lat"], st["stop_lon"] = st["stop_lon"].copy(), st["stop_lat"].copy()

    with pytest.raises(CrsError, match="swapped"):
        read_gtfs(_broken(tmp_path, naptan_rutland_csv, "swapped.zip", edit=swap))


def test_gtfs_seconds_parses_after_midnight_and_blanks() -> None:
    import pandas as pd

    from geo.travel.gtfs import gtfs_seconds

    out = gtfs_seconds(pd.Series(["07:05:00", "25:10:30", "", " 7:01:02 "]), name="f.zip",
                       fname="stop_times.txt", column="arrival_time")
    np.testing.assert_array_equal(out[[0, 1, 3]], [7 * 3600 + 300, 25 * 3600 + 630, 7 * 3600 + 62])
    assert np.isnan(out[2])
    with pytest.raises(SchemaError, match="row 3 column departure_time: '12:60:00'"):
        gtfs_seconds(pd.Series(["01:00:00", "12:60:00"]), name="f.zip", fname="stop_times.txt",
                     column="departure_time")


def test_resolve_service_datetime() -> None:
    monday = dt.date(2026, 11, 30)
    assert resolve_service_datetime("Tue 12:00", today=monday) == dt.datetime(2026, 12, 1, 12, 0)
    assert resolve_service_datetime("Monday 08:30", today=monday) == dt.datetime(2026, 11, 30, 8, 30)
    assert resolve_service_datetime("2027-01-05 09:15") == dt.datetime(2027, 1, 5, 9, 15)
    with pytest.raises(InputError, match="Tue 12:00"):
        resolve_service_datetime("noon-ish")


# --------------------------------------------------------------------------- Valhalla

@pytest.fixture(scope="session")
def tiles(valhalla_module, synthetic_feed, settings, rutland, rutland_pbf):
    from geo.travel.transit import build_transit_tiles

    return build_transit_tiles(synthetic_feed.path, pbf=rutland_pbf, settings=settings, area=rutland)


def _router(tiles, settings, when: dt.datetime, *, arrive_by: bool, **kw):
    from geo.travel.transit import TransitRouter

    return TransitRouter(tiles, when=when, arrive_by=arrive_by, settings=settings,
                         window_minutes=kw.pop("window_minutes", 0), feed_name="synthetic", **kw)


def _xy(feed, *keys: str) -> np.ndarray:
    return feed.stops.loc[list(keys), ["easting", "northing"]].to_numpy(dtype=float)


@pytest.mark.transit
def test_tiles_built_then_reused(tiles, synthetic_feed, settings, rutland, rutland_pbf) -> None:
    from geo.travel.transit import build_transit_tiles

    # built here, or already by an earlier test of this session (e.g. the batch transit chunks)
    assert tiles.reused or tiles.build_seconds > 0
    assert (tiles.folder / "tiles" / "3").is_dir()  # transit level
    assert str(tiles.folder).startswith(str(settings.cache_dir))
    again = build_transit_tiles(synthetic_feed.path, pbf=rutland_pbf, settings=settings, area=rutland)
    assert again.reused and again.folder == tiles.folder


@pytest.mark.transit
def test_depart_at_direct_bus(tiles, settings, synthetic_feed) -> None:
    # leave Oakham Bus Station Tue 09:55 -> 10:00 bus -> Uppingham 10:25: 30 minutes
    r = _router(tiles, settings, _next(1, "09:55"), arrive_by=False)
    m = r.site_origin_minutes(_xy(synthetic_feed, "uppingham_bay3"), _xy(synthetic_feed, "oakham_bus_station"))
    assert m.shape == (1, 1)
    assert_journey(m[0, 0], 30)
    assert "Public transport, timetable-based" in r.label and "GTFS synthetic, depart at Tue" in r.label


@pytest.mark.transit
def test_transfer_journey(tiles, settings, synthetic_feed) -> None:
    # 09:55 Oakham -> 10:00 S1 -> 10:25 Uppingham Bay 3, walk to Bay 1, 10:35 S2 -> 10:50 Barrowden: 55 min
    r = _router(tiles, settings, _next(1, "09:55"), arrive_by=False)
    m = r.site_origin_minutes(_xy(synthetic_feed, "barrowden_church_lane", "morcott_weares_close"),
                              _xy(synthetic_feed, "oakham_bus_station"))
    assert_journey(m[0, 0], 55)
    assert_journey(m[1, 0], 50)  # Morcott 10:45


@pytest.mark.transit
def test_arrive_by(tiles, settings, synthetic_feed) -> None:
    # arrive by 12:00: Uppingham buses arrive :25, so take the 11:00 (arr 11:25): leave ~11:00 -> 60 min
    # before 12:00; Barrowden: 11:00 S1 + 11:35 S2 arrives 11:50 -> also ~60 min.  Return journey
    # Uppingham -> Oakham: bus :30 arrives :55, so 11:30 -> 11:55: ~30 min.
    r = _router(tiles, settings, _next(1, "12:00"), arrive_by=True)
    m = r.site_origin_minutes(_xy(synthetic_feed, "uppingham_bay3", "barrowden_church_lane"),
                              _xy(synthetic_feed, "oakham_bus_station"))
    assert_journey(m[0, 0], 60)
    assert_journey(m[1, 0], 60)
    back = r.site_origin_minutes(_xy(synthetic_feed, "oakham_bus_station"), _xy(synthetic_feed, "uppingham_bay3"))
    assert_journey(back[0, 0], 30)
    assert "arrive by" in r.label


@pytest.mark.transit
def test_window_median_worst_best(tiles, settings, synthetic_feed) -> None:
    # depart 09:55 (30 min), 10:10 (wait to 11:00: 75), 10:25 (60)
    sites, origins = _xy(synthetic_feed, "uppingham_bay3"), _xy(synthetic_feed, "oakham_bus_station")
    when = _next(1, "09:55")
    out = {}
    for stat in ("median", "worst", "best"):
        r = _router(tiles, settings, when, arrive_by=False, window_minutes=30, step_minutes=15, statistic=stat)
        out[stat] = r.site_origin_minutes(sites, origins)[0, 0]
    assert_journey(out["best"], 30)
    assert_journey(out["median"], 60)
    assert_journey(out["worst"], 75)
    assert "median of 3 times 09:55-10:25" in _router(tiles, settings, when, arrive_by=False, window_minutes=30,
                                                      step_minutes=15).label


@pytest.mark.transit
def test_no_service_is_nan(tiles, settings, synthetic_feed, rutland) -> None:
    # Saturday: the synthetic buses run on weekdays only
    sat = _router(tiles, settings, _next(5, "09:55"), arrive_by=False)
    m = sat.site_origin_minutes(_xy(synthetic_feed, "uppingham_bay3"), _xy(synthetic_feed, "oakham_bus_station"))
    assert np.isnan(m[0, 0])
    # LSOAs more than 4 km from every synthetic stop (north-east Rutland) have no journey to Uppingham
    lsoa_xy = rutland.lsoas[["easting", "northing"]].to_numpy(dtype=float)
    stops_xy = synthetic_feed.stops[["easting", "northing"]].to_numpy(dtype=float)
    far = np.hypot(lsoa_xy[:, None, 0] - stops_xy[None, :, 0], lsoa_xy[:, None, 1] - stops_xy[None, :, 1]).min(1) > 4000
    assert far.sum() >= 3
    r = _router(tiles, settings, _next(1, "12:00"), arrive_by=True)
    res = r.nearest(_xy(synthetic_feed, "uppingham_bay3"), lsoa_xy[far])
    assert np.isnan(res.minutes).all() and (res.site_index == -1).all()


@pytest.mark.transit
def test_lsoa_walk_and_ride(tiles, settings, synthetic_feed, rutland) -> None:
    lsoa_xy = rutland.lsoas[["easting", "northing"]].to_numpy(dtype=float)
    r = _router(tiles, settings, _next(1, "12:00"), arrive_by=True)
    m = r.site_origin_minutes(_xy(synthetic_feed, "uppingham_bay3"), lsoa_xy, max_minutes=120)
    site = _xy(synthetic_feed, "uppingham_bay3")[0]
    straight_minutes = np.hypot(*(lsoa_xy - site).T) / 80.0  # 4.8 km/h = 80 m/min
    ok = np.isfinite(m[0])
    assert ok.sum() >= 5
    assert (m[0, ok] <= 120).all()
    # walking-only journeys can never beat the straight line at walking speed (minus 1 minute of snap)
    walkers = ok & (straight_minutes < 20)
    assert walkers.any()
    assert (m[0, walkers] >= straight_minutes[walkers] - 1).all()


@pytest.mark.transit
def test_make_router_integration(valhalla_module, synthetic_feed, settings, rutland) -> None:
    from geo.travel.routing import make_router

    when = _next(1, "12:00")
    r = make_router("transit", area=rutland, settings=settings, gtfs=synthetic_feed.path,
                    arrive_by=when.strftime("%Y-%m-%dT%H:%M"), window_minutes=30)
    assert r.mode == "transit" and r.method == "timetable"
    assert r.label.startswith("Public transport, timetable-based") and "GTFS synthetic_rutland_gtfs.zip" in r.label
    assert "estimate" not in r.label.lower()
    res = r.nearest(_xy(synthetic_feed, "uppingham_bay3", "oakham_bus_station"),
                    _xy(synthetic_feed, "barrowden_church_lane"))
    assert res.site_index[0] == 0 and np.isfinite(res.minutes[0])
    with pytest.raises(InputError, match="needs a GTFS feed"):
        make_router("transit", area=rutland, settings=settings)
    sat = _next(5, "12:00").strftime("%Y-%m-%dT%H:%M")
    with pytest.raises(InputError, match=r"no service on Sat .*on Mon, Tue, Wed, Thu, Fri\); choose a day it runs"):
        make_router("transit", area=rutland, settings=settings, gtfs=synthetic_feed.path, arrive_by=sat)
    with pytest.raises(InputError, match="unknown transit option"):
        make_router("transit", area=rutland, settings=settings, gtfs=synthetic_feed.path, colour="red")


@pytest.mark.transit
def test_per_service_times_are_timetable_based_and_share_routes(valhalla_module, synthetic_feed, settings,
                                                                rutland) -> None:
    """Per-service minutes (hub, pharmacy) come from the same timetable router, labelled so; a pair
    asked again (per service, then the window range) is not routed again."""
    from geo.planning.study import Study
    from geo.planning.study_spec import StudySpec
    from geo.travel.modes import TransitOptions, TravelSpec

    when = _next(1, "12:00").strftime("%Y-%m-%dT%H:%M")
    travel = TravelSpec.parse(mode="transit", transit=TransitOptions(gtfs=str(synthetic_feed.path), arrive_by=when,
                                                                     window_minutes=30))
    study = Study(StudySpec(area="Rutland", services=("hub", "pharmacy"), travel=travel), settings=settings,
                  area=rutland)
    times = study.times()
    assert set(times["method"]) == {"timetable"} and "timetable-based" in times.attrs["label"]
    assert "estimate" not in times.attrs["label"].lower()
    both = times[["minutes_hub", "minutes_pharmacy"]].to_numpy(float)
    has = np.isfinite(both).any(axis=1)
    assert has.sum() >= 3
    np.testing.assert_array_equal(times["minutes"].to_numpy(float)[has], np.nanmin(both[has], axis=1))
    assert not {"minutes_hub_low", "minutes_low"} & set(times.columns)  # no made-up travel-time range
    routes, pairs = study.router.n_requests, study.router.n_pairs
    window = study.window_coverage(thresholds=(45.0,), times=times)
    assert window is not None and len(window["times"]) == 3
    lo, hi = window["45"]["pct_beyond_min"], window["45"]["pct_beyond_max"]
    assert 0.0 <= lo <= hi <= 100.0 and len(window["45"]["pct_beyond"]) == 3
    assert (study.router.n_requests, study.router.n_pairs) == (routes, pairs)  # answered from the kept routes


@pytest.mark.transit
def test_area_without_osm_extract(valhalla_module, synthetic_feed, settings, northants) -> None:
    from geo.travel.transit import make_transit_router

    with pytest.raises(NetworkError, match="no OpenStreetMap extract for Northamptonshire"):
        make_transit_router(area=northants, settings=settings, gtfs=synthetic_feed.path, arrive_by="Tue 12:00")


@pytest.mark.transit
def test_cli_check_and_build(valhalla_module, synthetic_feed, settings, tiles, capsys, monkeypatch) -> None:
    from geo.cli import main

    monkeypatch.setenv("GEO_CACHE_DIR", str(settings.cache_dir))
    data = ["--data-dir", str(settings.data_dir)]
    assert main([*data, "transit", "check", "--gtfs", str(synthetic_feed.path), "--area", "Rutland",
                 "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "ok" and out["routes"] == 2 and out["clipped"]["trips"] == 52
    assert main([*data, "transit", "build", "--gtfs", str(synthetic_feed.path), "--area", "Rutland",
                 "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "reused cached tiles" and out["tiles"] == str(tiles.folder)
    bad = synthetic_feed.path.parent / "cut.zip"
    bad.write_bytes(synthetic_feed.path.read_bytes()[:200])
    assert main([*data, "transit", "check", "--gtfs", str(bad)]) == 2
    assert "damaged or truncated zip" in capsys.readouterr().err


@pytest.mark.transit
def test_router_protocol_and_determinism(tiles, settings, synthetic_feed, rutland) -> None:
    from geo.travel.routing import Router

    lsoa_xy = rutland.lsoas[["easting", "northing"]].to_numpy(dtype=float)[:8]
    sites = _xy(synthetic_feed, "uppingham_bay3", "oakham_bus_station")
    runs = [_router(tiles, settings, _next(1, "12:00"), arrive_by=True, window_minutes=30).site_origin_minutes(
        sites, lsoa_xy) for _ in range(2)]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert isinstance(_router(tiles, settings, _next(1, "12:00"), arrive_by=True), Router)


@pytest.mark.transit
def test_failed_build_is_clear_and_leaves_no_graph(valhalla_module, synthetic_feed, settings, rutland,
                                                    tmp_path) -> None:
    from geo.travel.transit import build_transit_tiles

    bad = tmp_path / "broken.osm.pbf"
    bad.write_bytes(b"not a pbf" * 100)
    with pytest.raises(NetworkError, match=r"valhalla_build_tiles failed .*build.log"):
        build_transit_tiles(synthetic_feed.path, pbf=bad, settings=settings, area=rutland)
    leftovers = [p for p in (settings.cache_dir / "transit").iterdir() if p.is_dir() and p.name.startswith(".")]
    assert not leftovers  # the temporary build folder was removed
    with pytest.raises(InputError, match="OSM extract not found"):
        build_transit_tiles(synthetic_feed.path, pbf=tmp_path / "none.osm.pbf", settings=settings)


@pytest.mark.transit
def test_cli_times(valhalla_module, synthetic_feed, settings, tiles, capsys, monkeypatch) -> None:
    from geo.cli import main

    monkeypatch.setenv("GEO_CACHE_DIR", str(settings.cache_dir))
    dest = synthetic_feed.stops.loc["uppingham_bay3"]
    when = _next(1, "12:00").strftime("%Y-%m-%dT%H:%M")
    args = ["--data-dir", str(settings.data_dir), "transit", "times", "--gtfs", str(synthetic_feed.path),
            "--area", "Rutland", "--to", f"{dest['easting']:.0f},{dest['northing']:.0f}", "--arrive-by", when,
            "--window-minutes", "30", "--threshold", "45", "--format", "json"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["label"].startswith("Public transport, timetable-based") and "arrive by" in out["label"]
    assert 0 < out["share_adults_within_45_minutes_median"] < 1
    rows = {r["lsoa21cd"]: r for r in out["lsoa_minutes"]}
    assert len(rows) == 26
    finite = [r for r in rows.values() if r["median_minutes"] is not None]
    assert all(r["best_minutes"] <= r["median_minutes"] <= r["worst_minutes"] for r in finite)


@pytest.mark.transit
def test_dates_outside_timetable_window(valhalla_module, synthetic_feed, settings, rutland, tiles) -> None:
    from geo.travel.transit import build_transit_tiles, make_transit_router

    far = (dt.date.today() + dt.timedelta(days=120)).isoformat()
    with pytest.raises(InputError, match="outside the dates Valhalla can hold the timetable"):
        make_transit_router(area=rutland, settings=settings, gtfs=synthetic_feed.path, arrive_by=f"{far}T12:00")
    # a cached build is reused for any date inside its window
    ok = build_transit_tiles(synthetic_feed.path, pbf=settings.data_dir / "networks" / "rutland-2018.osm.pbf",
                             settings=settings, area=rutland,
                             needed_dates=(dt.date.today() + dt.timedelta(days=30),))
    assert ok.reused and ok.folder == tiles.folder
    assert _next(1, "12:00").date() in ok.service_dates


# --------------------------------------------------------------------------- bad input (SYNTHETIC feeds)
def _variant(tmp_path: Path, naptan: Path, name: str, edit) -> Path:
    tables = feed_tables(naptan)
    edit(tables)
    return write_feed_zip(tables, tmp_path / f"synthetic_{name}.zip")


def _calendar_dates_only(t) -> None:
    import pandas as pd

    cal = t.pop("calendar.txt").iloc[0]
    days = pd.date_range(cal["start_date"], cal["end_date"])
    days = days[days.day_of_week < 5]
    t["calendar_dates.txt"] = pd.DataFrame({"service_id": "WEEKDAY", "date": days.strftime("%Y%m%d"),
                                            "exception_type": 1})


def _late_trip(t) -> None:
    """SYN1 once more at 24:10 (00:10 the next morning) on the weekday service."""
    import pandas as pd

    st = t["stop_times.txt"]
    late = st[st["trip_id"] == "SYN1_0_19"].assign(trip_id="SYN1_0_24")
    late["arrival_time"] = late["departure_time"] = ["24:10:00", "24:20:00", "24:27:00", "24:35:00"]
    t["stop_times.txt"] = pd.concat([st, late], ignore_index=True)
    t["trips.txt"] = pd.concat([t["trips.txt"], pd.DataFrame([{"route_id": "SYN1", "service_id": "WEEKDAY",
                                                                "trip_id": "SYN1_0_24", "direction_id": 0}])])


@pytest.mark.transit
def test_calendar_dates_only_routes_like_calendar(valhalla_module, settings, rutland, rutland_pbf,
                                                  naptan_rutland_csv, synthetic_feed, tmp_path) -> None:
    from geo.travel.transit import TransitRouter, build_transit_tiles

    feed = read_gtfs(_variant(tmp_path, naptan_rutland_csv, "calendar_dates_only", _calendar_dates_only))
    assert "calendar_dates.txt only" in " ".join(feed.notes)
    tiles = build_transit_tiles(feed.path, pbf=rutland_pbf, settings=settings, area=rutland)
    r = TransitRouter(tiles, when=_next(1, "09:55"), arrive_by=False, settings=settings, window_minutes=0)
    assert_journey(r.site_origin_minutes(_xy(synthetic_feed, "uppingham_bay3"),
                                         _xy(synthetic_feed, "oakham_bus_station"))[0, 0], 30)


@pytest.mark.transit
def test_trips_past_midnight(valhalla_module, settings, rutland, rutland_pbf, naptan_rutland_csv, synthetic_feed,
                             tmp_path) -> None:
    """Times after 24:00 are read and routed: from 00:05 the 24:10 bus of the previous service day is
    taken, and arriving by 00:45 means leaving about 35 minutes before."""
    from geo.travel.transit import TransitRouter, build_transit_tiles

    path = _variant(tmp_path, naptan_rutland_csv, "late", _late_trip)
    assert summarise_feed(read_gtfs(path))["trips"] == 53
    tiles = build_transit_tiles(path, pbf=rutland_pbf, settings=settings, area=rutland)
    sites, origins = _xy(synthetic_feed, "uppingham_bay3"), _xy(synthetic_feed, "oakham_bus_station")
    tuesday = _next(1, "00:05")
    depart = TransitRouter(tiles, when=tuesday, arrive_by=False, settings=settings, window_minutes=0)
    assert_journey(depart.site_origin_minutes(sites, origins)[0, 0], 30)
    arrive = TransitRouter(tiles, when=tuesday.replace(minute=45), arrive_by=True, settings=settings,
                           window_minutes=0)
    assert_journey(arrive.site_origin_minutes(sites, origins)[0, 0], 35)


@pytest.mark.transit
def test_expired_feed_is_one_line_before_any_build(valhalla_module, settings, rutland, naptan_rutland_csv,
                                                   tmp_path) -> None:
    from geo.travel.transit import make_transit_router

    def expire(t) -> None:
        t["calendar.txt"]["end_date"] = (dt.date.today() - dt.timedelta(days=2)).strftime("%Y%m%d")

    path = _variant(tmp_path, naptan_rutland_csv, "expired", expire)
    s = settings.with_(cache_dir=tmp_path / "cache")
    with pytest.raises(InputError) as err:
        make_transit_router(area=rutland, settings=s, gtfs=path, arrive_by="Tue 12:00")
    text = str(err.value)
    assert "\n" not in text and "no service on Tue" in text and "download a current feed" in text
    assert not any((s.cache_dir / "transit").glob("*/tiles")) if (s.cache_dir / "transit").exists() else True


@pytest.mark.transit
def test_feed_for_another_region_is_one_line(valhalla_module, settings, synthetic_feed, rutland_pbf) -> None:
    from geo.data.areas import select_area
    from geo.travel.transit import make_transit_router

    essex = select_area("Essex", settings=settings)
    with pytest.raises(InputError) as err:
        make_transit_router(area=essex, settings=settings, gtfs=synthetic_feed.path, network=str(rutland_pbf),
                            arrive_by="Tue 12:00")
    text = str(err.value)
    assert "\n" not in text and "feed for another region" in text and "--gtfs auto" in text
    assert 'geo transit fetch --area "Essex"' in text


@pytest.mark.transit
def test_stops_off_the_roads_are_a_labelled_warning(valhalla_module, settings, rutland, rutland_pbf,
                                                    naptan_rutland_csv, tmp_path) -> None:
    """A route on to Corby (outside the Rutland extract, inside the clip buffer): the stop is off the
    walking network, counted, and every label says so."""
    import pandas as pd

    from geo.travel.transit import TransitRouter, build_transit_tiles

    def to_corby(t) -> None:
        t["stops.txt"] = pd.concat([t["stops.txt"], pd.DataFrame([{
            "stop_id": "305000075B", "stop_name": "Corby George Street (real NaPTAN position)",
            "stop_lat": 52.489505, "stop_lon": -0.704414, "location_type": 0}])], ignore_index=True)
        t["routes.txt"] = pd.concat([t["routes.txt"], pd.DataFrame([{
            "route_id": "SYN3", "agency_id": "SYNTH", "route_short_name": "S3",
            "route_long_name": "Synthetic Uppingham - Corby", "route_type": 3}])], ignore_index=True)
        t["trips.txt"] = pd.concat([t["trips.txt"], pd.DataFrame([{
            "route_id": "SYN3", "service_id": "WEEKDAY", "trip_id": "SYN3_0_10", "direction_id": 0}])])
        t["stop_times.txt"] = pd.concat([t["stop_times.txt"], pd.DataFrame([
            {"trip_id": "SYN3_0_10", "arrival_time": "10:40:00", "departure_time": "10:40:00",
             "stop_id": "268060073", "stop_sequence": 1},
            {"trip_id": "SYN3_0_10", "arrival_time": "11:05:00", "departure_time": "11:05:00",
             "stop_id": "305000075B", "stop_sequence": 2}])], ignore_index=True)

    tiles = build_transit_tiles(_variant(tmp_path, naptan_rutland_csv, "corby", to_corby), pbf=rutland_pbf,
                                settings=settings, area=rutland)
    assert (tiles.stops, tiles.stops_off_roads) == (8, 1)
    r = TransitRouter(tiles, when=_next(1, "12:00"), arrive_by=True, settings=settings, window_minutes=0)
    assert "WARNING: 1 of 8 stops lie off the walking network (rutland-2018.osm.pbf)" in r.label


def _crop_pbf(source: Path, target: Path, *, lon: tuple[float, float], lat: tuple[float, float]) -> Path:
    """Only the roads wholly inside a small box (a real extract cut down: a walking network that misses the stops)."""
    import osmium

    inside = {n.id for n in osmium.FileProcessor(str(source), osmium.osm.NODE)
              if lon[0] <= n.location.lon <= lon[1] and lat[0] <= n.location.lat <= lat[1]}
    ways = {w.id for w in osmium.FileProcessor(str(source), osmium.osm.WAY)
            if "highway" in w.tags and all(r.ref in inside for r in w.nodes)}
    writer = osmium.SimpleWriter(str(target))
    for obj in osmium.FileProcessor(str(source), osmium.osm.NODE | osmium.osm.WAY):
        if (obj.is_node() and obj.id in inside) or (obj.is_way() and obj.id in ways):
            writer.add(obj)
    writer.close()
    return target


@pytest.mark.transit
def test_no_stop_of_the_area_on_the_roads_is_one_line(valhalla_module, settings, rutland, rutland_pbf,
                                                       synthetic_feed, tmp_path) -> None:
    from geo.travel.transit import build_transit_tiles

    ketton = _crop_pbf(rutland_pbf, tmp_path / "ketton_only.osm.pbf", lon=(-0.565, -0.540), lat=(52.622, 52.640))
    with pytest.raises(NetworkError) as err:
        build_transit_tiles(synthetic_feed.path, pbf=ketton, settings=settings.with_(cache_dir=tmp_path / "c"),
                            area=rutland)
    text = str(err.value)
    assert "\n" not in text and "none of the feed's stops in Rutland lies within 1,000 m of a road" in text
    assert "--network" in text
