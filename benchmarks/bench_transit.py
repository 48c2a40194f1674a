"""Public transport at regional scale (run by hand; never in the tests).

    .venv/bin/python benchmarks/bench_transit.py [--trips 40000] [--stops-per-trip 25] [--peer-pairs 30]

What is real and what is SYNTHETIC:

* the feed is SYNTHETIC (``synthetic_regional_gtfs.zip``, written to a temporary folder, never
  kept): invented routes laid through **all 19,576 active NaPTAN bus stops of the bundle** (8 areas:
  the Northamptonshires, Leicestershire, Leicester, Rutland, Essex, Southend, Thurrock), each a
  chain of nearby stops, run every 10-60 minutes from 06:00 to past midnight on weekday, Saturday
  and Sunday services -- about 40,000 trips and 1,000,000 stop times (the size of a BODS regional
  export's timetable);
* the roads are REAL but Rutland's only (the one OpenStreetMap extract available offline), so
  the clipped feed, the Valhalla tiles and every route are Rutland + 10 km; the regional part is
  the feed reading, validation and clipping.  The county-sized run routes 300 real postcode
  centroids of Rutland (as many origins as a county has LSOAs) on Rutland's roads: measured, on
  a graph smaller than a county's (said so in the output).

Stages, each in its own process so its peak memory and CPU seconds are its own (peak = the
process's ``VmHWM``; the Valhalla programs' peak is reported apart, as ``children_peak_mb``):

1. ``generate`` the synthetic feed;
2. ``read_peer``: gtfs-kit ``read_feed`` (every table into pandas) -- the peer;
   ``read_stream``: :func:`geo.travel.gtfs_stream.read_gtfs` (every row validated, streamed);
3. ``clip_peer``: pandas reads stop_times whole and filters the area's trips -- the peer;
   ``clip_stream``: :func:`geo.travel.gtfs_stream.clip_feed` (two streamed passes);
4. ``tiles``: Valhalla ingest/convert/build on the clipped feed and the Rutland roads;
5. ``route``: coverage of Rutland (hubs and pharmacies within 15 km, arrive by Tuesday 12:00,
   window of 9 times) with the preselection and the shared arrive-by search on 2 threads, and,
   on a sample of origin-site pairs, the previous method (every plausible pair, bisection per
   departure time) -- the peer, measured in the same run;
6. ``county``: the same questions from 300 origins (nearest of any type, per service, the
   per-time range), on 2 threads -- the county goal (5 minutes on 2 cores, 4 GB);
7. ``batch``: ``geo batch --modes transit`` for Rutland, serial vs a 2-worker Dask LocalCluster.

Ratios are reported (machines are shared and noisy); absolute seconds are for scale only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BUS_TYPES = ("BCT", "BCS", "BCQ", "BST")
TUESDAY_NOON = "Tue 12:00"


# --------------------------------------------------------------------------- the synthetic feed
def write_synthetic_regional_feed(out: Path, *, trips: int, stops_per_trip: int, seed: int = 1) -> dict[str, Any]:
    """Invented routes through every active NaPTAN bus stop of the bundle (see the module docs)."""
    import pandas as pd
    from scipy.spatial import cKDTree

    from geo.config import Settings

    s = Settings.from_env()
    files = sorted((s.data_dir / "sites").glob("naptan_stops_*.csv"))
    nap = pd.concat([pd.read_csv(f, dtype={"atco_code": str}) for f in files], ignore_index=True)
    nap = nap[nap["stop_type"].isin(BUS_TYPES) & (nap["status"] == "active")].drop_duplicates("atco_code")
    nap = nap.reset_index(drop=True)
    xy = nap[["easting", "northing"]].to_numpy(float)
    tree = cKDTree(xy)
    rng = np.random.default_rng(seed)
    trips_per_direction = 20  # 14 weekday + 4 Saturday + 2 Sunday
    n_routes = max(1, trips // (2 * trips_per_direction))
    seeds = rng.choice(len(nap), size=n_routes, replace=False)
    route_stops: list[np.ndarray] = []
    for start in seeds:  # a chain of nearby stops heading roughly one way (few hundred routes: not a hot loop)
        path, heading = [int(start)], rng.uniform(0, 2 * np.pi)
        while len(path) < stops_per_trip:
            _, near = tree.query(xy[path[-1]], k=12)
            cand = [int(c) for c in near[1:] if int(c) not in path]
            if not cand:
                break
            vec = xy[cand] - xy[path[-1]]
            ang = np.abs((np.arctan2(vec[:, 1], vec[:, 0]) - heading + np.pi) % (2 * np.pi) - np.pi)
            path.append(cand[int(np.argmin(ang + rng.uniform(0, 0.6, len(cand))))])
            heading += rng.normal(0, 0.2)
        route_stops.append(np.array(path))
    rows_trips, st_parts = [], []
    services = [("WEEKDAY", 14, 6 * 60, 24 * 60 + 30), ("SAT", 4, 8 * 60, 22 * 60), ("SUN", 2, 9 * 60, 18 * 60)]
    for r, stops in enumerate(route_stops):
        seg = np.hypot(*np.diff(xy[stops], axis=0).T)
        run = np.concatenate([[0.0], np.cumsum(np.ceil(seg * 1.3 / (22_000 / 60) + 0.4))])  # 22 km/h + dwell
        for direction in (0, 1):
            order = stops if direction == 0 else stops[::-1]
            offs = run if direction == 0 else run[-1] - run[::-1]
            for service, n, first, last in services:
                starts = np.round(np.linspace(first, last - offs[-1], n)) + rng.integers(0, 5)
                for k, t0 in enumerate(starts):
                    trip_id = f"R{r}_{direction}_{service}_{k}"
                    rows_trips.append((f"R{r}", service, trip_id, direction))
                    secs = ((t0 + offs) * 60).astype(int)
                    st_parts.append(pd.DataFrame({"trip_id": trip_id, "stop_id": nap["atco_code"].to_numpy()[order],
                                                  "stop_sequence": np.arange(1, len(order) + 1), "secs": secs}))
    st = pd.concat(st_parts, ignore_index=True)
    hhmmss = (st["secs"] // 3600).map("{:02d}".format) + ":" + (st["secs"] // 60 % 60).map("{:02d}".format) + ":00"
    st = st.assign(arrival_time=hhmmss, departure_time=hhmmss)[
        ["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"]]
    today = dt.date.today()
    start, end = (today - dt.timedelta(days=7)).strftime("%Y%m%d"), (today + dt.timedelta(days=90)).strftime("%Y%m%d")
    cal = pd.DataFrame([(sid, *flags, start, end) for sid, flags in (
        ("WEEKDAY", (1, 1, 1, 1, 1, 0, 0)), ("SAT", (0, 0, 0, 0, 0, 1, 0)), ("SUN", (0, 0, 0, 0, 0, 0, 1)))],
        columns=["service_id", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
                 "start_date", "end_date"])
    tables = {
        "agency.txt": pd.DataFrame({"agency_id": ["SYNTH"], "agency_name": ["Synthetic Regional Buses (not real)"],
                                    "agency_url": ["https://example.invalid"], "agency_timezone": ["Europe/London"]}),
        "stops.txt": pd.DataFrame({"stop_id": nap["atco_code"], "stop_name": nap["common_name"],
                                   "stop_lat": nap["latitude"], "stop_lon": nap["longitude"]}),
        "routes.txt": pd.DataFrame({"route_id": [f"R{r}" for r in range(len(route_stops))], "agency_id": "SYNTH",
                                    "route_short_name": [f"S{r}" for r in range(len(route_stops))],
                                    "route_type": 3}),
        "trips.txt": pd.DataFrame(rows_trips, columns=["route_id", "service_id", "trip_id", "direction_id"]),
        "stop_times.txt": st, "calendar.txt": cal,
    }
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, df in tables.items():
            zf.writestr(name, df.to_csv(index=False, lineterminator="\n"))
    unzipped = sum(i.file_size for i in zipfile.ZipFile(out).infolist())
    return {"stops": len(nap), "routes": len(route_stops), "trips": len(rows_trips), "stop_times": len(st),
            "zip_mb": round(out.stat().st_size / 1e6, 1), "unzipped_mb": round(unzipped / 1e6, 1)}


# --------------------------------------------------------------------------- stages (one process each)
def _settings(cache: str) -> Any:
    from geo.config import Settings

    return Settings.from_env().with_(cache_dir=Path(cache))


def stage_read_peer(feed: str, cache: str) -> dict[str, Any]:
    import gtfs_kit

    f = gtfs_kit.read_feed(feed, dist_units="km")
    return {"stop_times": len(f.stop_times), "trips": len(f.trips)}


def stage_read_stream(feed: str, cache: str) -> dict[str, Any]:
    from geo.travel.gtfs_stream import read_gtfs

    f = read_gtfs(feed)
    return {"stop_times": f.counts["stop_times.txt"], "trips": len(f.tables["trips.txt"])}


def _rutland(cache: str) -> Any:
    from geo.data.areas import select_area

    return select_area("Rutland", settings=_settings(cache))


def stage_clip_peer(feed: str, cache: str) -> dict[str, Any]:
    import pandas as pd
    import shapely

    from geo.travel.gtfs import open_gtfs

    area, f = _rutland(cache), open_gtfs(feed)
    stops = f.stops_bng
    inside = shapely.contains_xy(area.polygon.buffer(10_000), stops["easting"].to_numpy(), stops["northing"].to_numpy())
    with zipfile.ZipFile(feed) as zf, zf.open("stop_times.txt") as fh:
        st = pd.read_csv(fh, dtype=str)
    trips = set(st.loc[st["stop_id"].isin(set(stops.loc[inside, "stop_id"])), "trip_id"])
    kept = st[st["trip_id"].isin(trips)]
    return {"trips_kept": len(trips), "stop_times_kept": len(kept)}


def stage_clip_stream(feed: str, cache: str) -> dict[str, Any]:
    from geo.travel.gtfs import open_gtfs
    from geo.travel.gtfs_stream import clip_feed

    area = _rutland(cache)
    f = clip_feed(open_gtfs(feed), area.polygon, buffer_metres=10_000, area_name=area.name)
    return {"trips_kept": len(f.tables["trips.txt"]), "stop_times_kept": len(f.tables["stop_times.txt"])}


def stage_tiles(feed: str, cache: str) -> dict[str, Any]:
    from geo.travel.transit import build_transit_tiles, resolve_pbfs

    s, area = _settings(cache), _rutland(cache)
    tiles = build_transit_tiles(feed, pbf=resolve_pbfs(area, "auto", s, buffer_km=15), settings=s, area=area)
    return {"build_seconds": round(tiles.build_seconds, 1), "stops": tiles.stops,
            "stops_off_roads": tiles.stops_off_roads, "tiles": str(tiles.folder)}


def _study(feed: str, cache: str) -> Any:
    from geo.planning.study import Study
    from geo.planning.study_spec import StudySpec
    from geo.travel.modes import TransitOptions, TravelSpec

    travel = TravelSpec.parse(mode="transit", transit=TransitOptions(gtfs=feed, arrive_by=TUESDAY_NOON))
    return Study(StudySpec(area="Rutland", services=("hub", "pharmacy"), travel=travel), settings=_settings(cache))


def stage_route(feed: str, cache: str, peer_pairs: int) -> dict[str, Any]:
    study = _study(feed, cache)
    router = study.router  # tiles from the cache (stage "tiles")
    router.threads = 2
    sites = study.sites
    t0 = time.perf_counter()
    times = study.times()
    seconds = time.perf_counter() - t0
    n_lsoas, routes, pairs = len(times), router.n_requests, router.n_pairs
    reach = np.isfinite(router.lower_bounds(sites[["easting", "northing"]].to_numpy(float),
                                            times[["easting", "northing"]].to_numpy(float), router.horizon_minutes))
    plausible = int(reach.sum())
    # the peer: the previous method on a sample of pairs (bisection per departure time, no sharing)
    rng = np.random.default_rng(3)
    sxy, oxy = sites[["easting", "northing"]].to_numpy(float), times[["easting", "northing"]].to_numpy(float)
    from geo.crs import lonlat_from_bng

    s_ll = np.column_stack(lonlat_from_bng(sxy[:, 0], sxy[:, 1]))
    o_ll = np.column_stack(lonlat_from_bng(oxy[:, 0], oxy[:, 1]))
    within = np.argwhere(reach)  # the peer routed every pair within reach: sample those
    peer_pairs = min(peer_pairs, len(within))
    sample = [tuple(int(v) for v in within[k]) for k in rng.choice(len(within), size=peer_pairs, replace=False)]
    targets = [int(round((t - router.day).total_seconds() / 60)) for t in router.times]
    cap = int(router.horizon_minutes)
    router.clear_cache()  # both methods route the sample afresh
    t1, before = time.perf_counter(), router.n_requests
    peer_answers, new_answers = [], []
    for i, j in sample:
        o, d = tuple(o_ll[j]), tuple(s_ll[i])
        peer_answers.append([_bisect(router, o, d, t, cap) for t in targets])
    peer_seconds, peer_routes = time.perf_counter() - t1, router.n_requests - before
    t2, before = time.perf_counter(), router.n_requests
    for i, j in sample:
        new_answers.append(router.pair_minutes(tuple(o_ll[j]), tuple(s_ll[i])))
    new_seconds, new_routes = time.perf_counter() - t2, router.n_requests - before
    same = bool(np.array_equal(np.array(peer_answers, float), np.array(new_answers, float), equal_nan=True))
    return {"lsoas": n_lsoas, "sites": len(sites), "seconds": round(seconds, 1), "routes": routes,
            "pairs_routed": pairs, "pairs_within_reach": plausible, "routes_per_lsoa": round(routes / n_lsoas, 1),
            "pct_beyond_45": round(float(100 * (~(times.loc[times["in_area"], "minutes"] <= 45)).mean()), 1),
            "peer_sample_pairs": peer_pairs, "peer_routes_per_pair": round(peer_routes / peer_pairs, 1),
            "new_routes_per_pair": round(new_routes / peer_pairs, 1), "peer_seconds": round(peer_seconds, 1),
            "new_seconds": round(new_seconds, 1), "sample_answers_identical": same,
            "index_matched": router.index.matched if router.index else 0,
            "index_lookups": router.index.lookups if router.index else 0}


def stage_county(feed: str, cache: str, n_origins: int) -> dict[str, Any]:
    """A county-sized run measured, not extrapolated: ``n_origins`` real Rutland postcode centroids
    (Code-Point Open) as origins -- as many as a county's LSOAs -- to every hub and pharmacy within
    15 km, 9 arrive-by times, as coverage asks it: nearest of any type, nearest per service, and the
    per-time range, on 2 threads."""
    import pandas as pd

    study = _study(feed, cache)
    router = study.router
    router.threads = 2
    s = _settings(cache)
    pcs = pd.read_csv(s.data_dir / "postcodes" / "postcodes_england.csv.gz",
                      usecols=["pcd", "easting", "northing", "lad24cd"])
    pcs = pcs[pcs["lad24cd"] == "E06000017"].dropna(subset=["easting", "northing"])
    pick = np.random.default_rng(5).choice(len(pcs), size=min(n_origins, len(pcs)), replace=False)
    oxy = pcs.iloc[np.sort(pick)][["easting", "northing"]].to_numpy(float)
    sites = study.sites
    sxy = sites[["easting", "northing"]].to_numpy(float)
    t0, c0 = time.perf_counter(), time.process_time()
    best = router.nearest(sxy, oxy)
    for service in ("hub", "pharmacy"):  # what Study.times asks per service
        rows = np.flatnonzero(sites["site_type"].astype(str).str.contains(service).to_numpy())
        router.nearest(sxy[rows], oxy)
    per_time = router.nearest_by_time(sxy, oxy)
    seconds = time.perf_counter() - t0
    reach = np.isfinite(router.lower_bounds(sxy, oxy, router.horizon_minutes))
    beyond = [float(100 * np.mean(~(row <= 45))) for row in per_time]
    return {"origins": len(oxy), "sites": len(sites), "seconds": round(seconds, 1),
            "routing_cpu_s": round(time.process_time() - c0, 1), "routes": router.n_requests,
            "pairs_routed": router.n_pairs, "pairs_within_reach": int(reach.sum()),
            "pct_origins_beyond_45": round(float(100 * np.mean(~(best.minutes <= 45))), 1),
            "pct_beyond_45_range": [round(min(beyond), 1), round(max(beyond), 1)]}


def _bisect(router: Any, o: tuple[float, float], d: tuple[float, float], target: int, cap: int) -> float:
    """The previous arrive-by method: bisection to the minute over depart-at routes, per target."""
    def ok(offset: int) -> bool:
        return router.probe(o, d, target - offset).arrive <= target

    if not ok(cap):
        return float("nan")
    lo, hi = 0, cap
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    return float(hi)


def stage_batch(feed: str, cache: str) -> dict[str, Any]:
    from distributed import Client, LocalCluster

    from geo.planning.batch import BatchJob
    from geo.planning.batch_run import run_batch
    from geo.planning.batch_transit import clear_transit_answers
    from geo.travel.modes import TransitOptions

    s = _settings(cache)
    job = BatchJob.parse(area="Rutland", services=("hub", "pharmacy"), modes="transit",
                         transit=TransitOptions(gtfs=feed, arrive_by=TUESDAY_NOON))
    out = Path(cache) / "bench_batch"
    # both sides warm (tables, sites, tiles and timetable index loaded once beforehand), so the
    # ratio is the parallel part; start-up is reported on its own
    run_batch(job, out_dir=out / "warm_serial", settings=s, scheduler="serial")
    clear_transit_answers()  # warm, but every journey routed again
    t0, c0 = time.perf_counter(), _cpu_seconds()
    run_batch(job, out_dir=out / "serial", settings=s, scheduler="serial")
    serial, serial_cpu = time.perf_counter() - t0, _cpu_seconds() - c0
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        t_up = time.perf_counter()
        run_batch(job, out_dir=out / "warm_dask", settings=s, client=client)
        warmup = time.perf_counter() - t_up
        client.run(clear_transit_answers)
        before = client.run(_cpu_seconds)
        t1 = time.perf_counter()
        run_batch(job, out_dir=out / "dask", settings=s, client=client)
        parallel = time.perf_counter() - t1
        after = client.run(_cpu_seconds)
    workers = sorted(after[w] - before[w] for w in after)
    same = (out / "serial" / "lads" / "E06000017.parquet").read_bytes() == (
        out / "dask" / "lads" / "E06000017.parquet").read_bytes()
    # on a shared, loaded machine wall time says little; the busiest worker's CPU seconds against
    # the serial run's is the speed-up two free cores would give
    return {"serial_seconds": round(serial, 1), "dask_2_workers_seconds": round(parallel, 1),
            "dask_first_run_seconds": round(warmup, 1), "speedup": round(serial / parallel, 2),
            "serial_cpu_s": round(serial_cpu, 1), "worker_cpu_s": [round(w, 1) for w in workers],
            "cpu_speedup": round(serial_cpu / max(workers[-1], 1e-9), 2), "partitions_identical": same}


def _cpu_seconds() -> float:
    """CPU seconds of this process so far (all its threads)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def write_scaled_feed(src: Path, out: Path, times: int) -> dict[str, Any]:
    """The same SYNTHETIC feed with every trip repeated ``times`` times under new ids (text rewrite)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            lines = zin.read(name).decode().splitlines(keepends=True)
            if name in {"stop_times.txt", "trips.txt"}:
                col = lines[0].rstrip("\n").split(",").index("trip_id")
                body = []
                for k in range(times):
                    for line in lines[1:]:
                        parts = line.split(",")
                        parts[col] = f"x{k}_{parts[col]}"
                        body.append(",".join(parts))
                lines = [lines[0], *body]
            zout.writestr(name, "".join(lines))
    return {"times": times, "unzipped_mb": round(sum(i.file_size for i in zipfile.ZipFile(out).infolist()) / 1e6, 1)}


def stage_generate(feed: str, cache: str, trips: int, stops_per_trip: int) -> dict[str, Any]:
    return write_synthetic_regional_feed(Path(feed), trips=trips, stops_per_trip=stops_per_trip)


STAGES = {"generate": stage_generate, "read_peer": stage_read_peer, "read_stream": stage_read_stream, "clip_peer": stage_clip_peer,
          "clip_stream": stage_clip_stream, "tiles": stage_tiles, "route": stage_route, "county": stage_county,
          "batch": stage_batch}


def run_stage(name: str, *args: str) -> dict[str, Any]:
    """Run a stage in a fresh process: its result, wall seconds, CPU seconds and peak memory."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--stage", name, *args], capture_output=True, text=True,
                          check=False)
    wall = time.perf_counter() - t0
    if proc.returncode:
        return {"stage": name, "error": (proc.stderr or proc.stdout).strip().splitlines()[-1:]}
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"stage": name, "wall_s": round(wall, 1), **res}


def _in_child(name: str, args: list[str]) -> None:
    import gtfs_kit  # noqa: F401  -- every stage imports the same modules first, so their baselines match
    import pyarrow.csv  # noqa: F401

    import geo.travel.gtfs_stream
    import geo.travel.transit  # noqa: F401

    base_kb = _kb("VmRSS:")
    fn = STAGES[name]
    extra = [int(a) for a in args[2:]]
    out = fn(args[0], args[1], *extra)
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    out.update({"cpu_s": round(me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime, 1),
                "peak_mb": round(_kb("VmHWM:") / 1024), "work_mb": round((_kb("VmHWM:") - base_kb) / 1024),
                "children_peak_mb": round(kids.ru_maxrss / 1024)})
    print(json.dumps(out))


def _kb(field: str) -> int:
    """``VmRSS``/``VmHWM`` of this process (the peak since its exec; ``ru_maxrss`` would carry the
    parent's over)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--trips", type=int, default=40_000)
    p.add_argument("--stops-per-trip", type=int, default=25)
    p.add_argument("--peer-pairs", type=int, default=30)
    p.add_argument("--county-origins", type=int, default=300)
    p.add_argument("--skip-batch", action="store_true")
    p.add_argument("--stages", default=None,
                   help="comma-separated stages to run (default all); with --work-dir, a feed already there is reused")
    p.add_argument("--work-dir", default=None, help="keep the synthetic feed and tiles here (default: a temporary folder)")
    p.add_argument("--stage", default=None, help=argparse.SUPPRESS)
    args, rest = p.parse_known_args()
    if args.stage:
        _in_child(args.stage, rest)
        return 0
    os.environ.setdefault("GEO_OSM_AUTO_FETCH", "0")
    with tempfile.TemporaryDirectory(prefix="bench_transit_") as tmp:
        work = Path(args.work_dir or tmp)
        work.mkdir(parents=True, exist_ok=True)
        feed, cache = work / "synthetic_regional_gtfs.zip", str(work / "cache")
        results: dict[str, dict[str, Any]] = {}
        wanted = set(args.stages.split(",")) if args.stages else None
        if not feed.is_file():
            made = run_stage("generate", str(feed), cache, str(args.trips), str(args.stops_per_trip))
            print(f"generate: {made} (SYNTHETIC feed, real NaPTAN stop positions)", flush=True)
        if wanted is None or "scale" in wanted:
            big = work / "synthetic_regional_x4_gtfs.zip"
            print(f"scale x4: {write_scaled_feed(feed, big, 4)}", flush=True)
            for name in ("read_peer", "read_stream"):
                results[f"{name}_x4"] = run_stage(name, str(big), cache)
                print(json.dumps(results[f"{name}_x4"]), flush=True)
            big.unlink()
        names = ["read_peer", "read_stream", "clip_peer", "clip_stream", "tiles", "route", "county",
                 *([] if args.skip_batch else ["batch"])]
        for name in [n for n in names if wanted is None or n in wanted]:
            extra = ([str(args.peer_pairs)] if name == "route" else [str(args.county_origins)] if name == "county"
                     else [])
            results[name] = run_stage(name, str(feed), cache, *extra)
            print(json.dumps(results[name]), flush=True)
        report(results)
    return 0


def report(r: dict[str, dict[str, Any]]) -> None:
    def ratio(a: str, b: str, key: str) -> str:
        if "error" in r.get(a, {"error": 1}) or "error" in r.get(b, {"error": 1}):
            return "n/a"
        return f"{r[a][key] / max(r[b][key], 1e-9):.2f}x"

    print("\n| stage | wall s | CPU s | memory MB: peak above start (process peak; Valhalla programs) | vs peer (same run) |")
    print("|---|---|---|---|---|")
    rows = [("read: gtfs-kit read_feed (peer)", "read_peer", ""),
            ("read + validate every row: streaming", "read_stream",
             f"time {ratio('read_stream', 'read_peer', 'wall_s')} of the peer's (it validates every row), "
             f"memory {ratio('read_stream', 'read_peer', 'work_mb')} of the peer's"),
            ("read, 4x the rows: gtfs-kit (peer)", "read_peer_x4", ""),
            ("read, 4x the rows: streaming", "read_stream_x4",
             f"time {ratio('read_stream_x4', 'read_peer_x4', 'wall_s')}, memory "
             f"{ratio('read_stream_x4', 'read_peer_x4', 'work_mb')} of the peer's"),
            ("clip Rutland+10 km: pandas whole table (peer)", "clip_peer", ""),
            ("clip Rutland+10 km: streaming two passes", "clip_stream",
             f"time {ratio('clip_stream', 'clip_peer', 'wall_s')}, memory {ratio('clip_stream', 'clip_peer', 'work_mb')} "
             "of the peer's"),
            ("Valhalla tiles (clipped feed, Rutland roads)", "tiles", ""),
            ("route: Rutland coverage, 9 arrive-by times, 2 threads", "route", ""),
            ("county-sized: 300 postcode origins, per service + per-time range, 2 threads", "county", ""),
            ("batch --modes transit Rutland (serial, then Dask 2 workers)", "batch", "")]
    for label, key, note in rows:
        x = r.get(key, {})
        if not x:
            continue
        if "error" in x:
            print(f"| {label} | failed: {x['error']} | | | |")
            continue
        kids = f"; {x['children_peak_mb']}" if key == "tiles" else ""
        print(f"| {label} | {x['wall_s']} | {x['cpu_s']} | {x['work_mb']} ({x['peak_mb']}{kids}) | {note} |")
    route = r.get("route", {})
    if route and "error" not in route:
        per_route = route["new_seconds"] / max(route["new_routes_per_pair"] * route["peer_sample_pairs"], 1)
        print(f"\nroute: {route['lsoas']} LSOAs x {route['sites']} sites; {route['pairs_routed']} of "
              f"{route['pairs_within_reach']} pairs within reach routed (preselection); {route['routes']} Valhalla "
              f"routes ({route['routes_per_lsoa']} per LSOA) in {route['seconds']} s; timetable lookups matched "
              f"{route['index_matched']} of {route['index_lookups']}")
        print(f"peer (previous method: bisection per time) on {route['peer_sample_pairs']} sampled pairs: "
              f"{route['peer_routes_per_pair']} vs {route['new_routes_per_pair']} routes per pair "
              f"({route['peer_routes_per_pair'] / max(route['new_routes_per_pair'], 1e-9):.1f}x fewer), "
              f"answers identical: {route['sample_answers_identical']}")
        print(f"one route costs {1000 * per_route:.0f} ms (sampled pairs, 1 thread)")
    county = r.get("county", {})
    if county and "error" not in county:
        print(f"county-sized run (MEASURED on Rutland's roads): {county['origins']} origins x {county['sites']} sites, "
              f"{county['pairs_routed']} of {county['pairs_within_reach']} pairs within reach routed, "
              f"{county['routes']} routes in {county['seconds']} s ({county['seconds'] / 60:.1f} min; goal 5 min on "
              f"2 cores), peak memory {county['peak_mb']} MB (goal 4 GB); {county['pct_origins_beyond_45']}% of "
              f"origins 45+ min away (range over the window {county['pct_beyond_45_range']}). A county's own "
              "graph makes each route somewhat slower (more tiles); run it there where the extracts download.")
    batch = r.get("batch", {})
    if batch and "error" not in batch:
        print(f"batch (warm, every journey routed again): Dask 2 workers {batch['speedup']}x the serial run's wall "
              f"time; CPU: serial {batch['serial_cpu_s']} s, workers {batch['worker_cpu_s']} s, so "
              f"{batch['cpu_speedup']}x on two free cores (first Dask run with worker start-up "
              f"{batch['dask_first_run_seconds']} s); partitions identical: {batch['partitions_identical']}")


if __name__ == "__main__":
    raise SystemExit(main())
