"""``geo transit``: public-transport timetables (GTFS) -- fetch, check, build, times.

Examples::

    geo transit fetch --area "North Northamptonshire"     # the BODS region(s) covering it + 15 km
    geo transit fetch --region east_midlands              # one BODS export (or all = every region)
    geo transit list                                      # the catalogue and what is cached
    geo transit check --gtfs auto --area Rutland          # validate every row, summarise, clip
    geo transit build --gtfs auto --area Rutland          # Valhalla tiles (cached)
    geo transit times --gtfs auto --area Rutland --to "LE15 6RB" --arrive-by "Tue 12:00"
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from geo import Study, StudySpec
from geo.cli._options import add_format_options, progress_from_args, settings_from_args
from geo.cli._output import emit

GTFS_HELP = ("GTFS zip, several separated by ';', or 'auto' (the Bus Open Data Service region(s) covering "
             "--area, downloaded and cached; GEO_GTFS_MIRROR for a mirror)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("transit", help="public transport: fetch, check and build GTFS timetables; door-to-door times")
    actions = p.add_subparsers(dest="transit_action", metavar="ACTION", required=True)
    f = actions.add_parser("fetch", help="download (or reuse) the Bus Open Data Service GTFS export(s)")
    which = f.add_mutually_exclusive_group(required=True)
    which.add_argument("--area", help="the BODS region(s) covering this area + --buffer-km")
    which.add_argument("--region", help="one export: east_anglia, east_midlands, london, north_east, north_west, "
                                        "south_east, south_west, west_midlands, yorkshire, or all (the national export; also: england)")
    f.add_argument("--buffer-km", type=float, default=None,
                   help="also cover LSOAs this far beyond the border (default Settings.cross_border_buffer_km)")
    f.add_argument("--refresh", action="store_true", help="download the newest export even when one is cached")
    add_format_options(f)
    f.set_defaults(func=run_fetch)
    ls = actions.add_parser("list", help="the BODS export catalogue and what is cached")
    add_format_options(ls)
    ls.set_defaults(func=run_list)
    for name, helptext in (("check", "validate a GTFS feed row by row and summarise it (clipped to --area if given)"),
                           ("build", "validate the feed and build (or reuse) Valhalla tiles for --area")):
        q = actions.add_parser(name, help=helptext)
        q.add_argument("--gtfs", required=True, help=GTFS_HELP)
        q.add_argument("--area", required=(name == "build"), help="LAD, county, 'A;B' or polygon file")
        q.add_argument("--clip-buffer-km", type=float, default=10.0,
                       help="keep trips calling within this distance of the area (default 10 km)")
        if name == "build":
            q.add_argument("--network", default="auto",
                           help="OpenStreetMap .osm.pbf for walking (default auto: the bundle, else Geofabrik extracts)")
            q.add_argument("--rebuild", action="store_true", help="ignore cached tiles")
        add_format_options(q)
        q.set_defaults(func=run)
    t = actions.add_parser("times", help="door-to-door minutes from every LSOA of --area to one destination")
    t.add_argument("--gtfs", required=True, help=GTFS_HELP)
    t.add_argument("--area", required=True, help="LAD, county, 'A;B' or polygon file")
    t.add_argument("--to", required=True, help="destination: a postcode ('LE15 6RB') or 'EASTING,NORTHING' (BNG metres)")
    when = t.add_mutually_exclusive_group()
    when.add_argument("--arrive-by", default=None, help="e.g. 'Tue 12:00' (next Tuesday) or 2026-12-01T12:00 "
                                                        "(default: arrive by Tue 12:00)")
    when.add_argument("--depart-at", default=None, help="e.g. 'Tue 09:30'")
    t.add_argument("--window-minutes", type=float, default=120.0, help="window of times evaluated (default 120)")
    t.add_argument("--step-minutes", type=float, default=15.0, help="step between times (default 15)")
    t.add_argument("--threshold", type=float, default=None,
                   help="report the share of adults within this many minutes (default Settings.threshold_minutes)")
    t.add_argument("--clip-buffer-km", type=float, default=10.0, help="feed clipping buffer (default 10 km)")
    t.add_argument("--network", default="auto", help="OpenStreetMap .osm.pbf (default auto)")
    add_format_options(t)
    t.set_defaults(func=run_times)


def run_list(args: argparse.Namespace) -> int:
    import pandas as pd

    from geo import BusTimetables

    s = settings_from_args(args)
    emit(pd.DataFrame(BusTimetables(s).catalogue()).set_index("region"), args.format, args.out,
         title="Bus Open Data Service GTFS exports (Open Government Licence v3)")
    return 0


def run_fetch(args: argparse.Namespace) -> int:
    from geo import BusTimetables

    s = settings_from_args(args)
    bus = BusTimetables(s)
    buffer_km = s.cross_border_buffer_km if args.buffer_km is None else args.buffer_km
    if args.region:
        chosen, what = [bus.region(args.region)], args.region
    else:
        area = Study(StudySpec(area=args.area), settings=s).area
        chosen, what = bus.regions_for(area, buffer_km=buffer_km), f"{area.name} + {buffer_km:g} km"
    print(f"{what}: BODS {', '.join(r.slug for r in chosen)} from {bus.server}", file=sys.stderr)
    bar = progress_from_args(args, unit="B", unit_scale=True)
    rows = []
    for region in chosen:
        path = bus.fetch(region, progress=bar, refresh=args.refresh)
        rec = bus.record(path) or {}
        rows.append({"region": region.slug, "path": str(path), "mb": round(path.stat().st_size / 1e6, 1),
                     "downloaded": rec.get("downloaded", ""), "sha256": str(rec.get("sha256", ""))[:16],
                     "timetable": f"{rec.get('first_service', '')} to {rec.get('last_service', '')}"})
    emit({"for": what, "feeds": rows}, args.format, args.out, title="BODS GTFS feeds ready")
    return 0


def run(args: argparse.Namespace) -> int:
    from geo import BusTimetables

    s = settings_from_args(args)
    bus = BusTimetables(s)
    area = None
    if args.area:
        area = Study(StudySpec(area=args.area), settings=s).area
    bar = progress_from_args(args)
    feeds = bus.resolve(args.gtfs, area, buffer_km=s.cross_border_buffer_km, progress=bar)
    out: dict[str, Any]
    if args.transit_action == "check":
        checked = []
        for path in feeds:
            feed = bus.read(path, progress=bar)
            entry: dict[str, Any] = {"status": "ok", **bus.summarise(feed)}
            if area is not None:
                clipped = bus.clip(feed, area, buffer_metres=args.clip_buffer_km * 1000, progress=bar)
                entry["clipped_to"] = f"{area.name} + {args.clip_buffer_km:g} km"
                entry["clipped"] = {k: v for k, v in bus.summarise(clipped).items()
                                    if k in {"routes", "stops", "trips", "stop_times", "service_days"}}
            checked.append(entry)
        out = checked[0] if len(checked) == 1 else {"status": "ok", "feeds": checked}
        emit(out, "json" if args.format == "csv" else args.format, args.out,
             title=f"GTFS check: {', '.join(p.name for p in feeds)}")
        return 0
    tiles, pbfs = bus.build_tiles(feeds, area=area, network=args.network, clip_buffer_metres=args.clip_buffer_km * 1000,
                                  rebuild=args.rebuild, progress=bar)
    first, last = tiles.schedule_dates
    out = {"status": "reused cached tiles" if tiles.reused else "built", "tiles": str(tiles.folder),
           "build_seconds": round(tiles.build_seconds, 1), "osm_extracts": [str(p) for p in pbfs],
           "feeds": tiles.feed_label, "timetable_dates": f"{first} to {last}",
           "stops": tiles.stops, "stops_off_roads": tiles.stops_off_roads, "warnings": tiles.warnings,
           **tiles.feed_summary}
    emit(out, "json" if args.format == "csv" else args.format, args.out, title=f"Transit tiles: {area.name if area else ''}")
    return 0


def _destination_xy(text: str, study: Study) -> tuple[float, float, str]:
    import re

    from geo import InputError

    m = re.match(r"^\s*(\d{5,6}(?:\.\d*)?)\s*,\s*(\d{5,7}(?:\.\d*)?)\s*$", text)
    if m:
        return float(m.group(1)), float(m.group(2)), f"{float(m.group(1)):.0f},{float(m.group(2)):.0f}"
    row = study.geocode([text]).iloc[0]
    if row["status"] != "found":
        msg = f"--to {text!r}: postcode {row['status']}; give a live English postcode or EASTING,NORTHING"
        raise InputError(msg)
    return float(row["easting"]), float(row["northing"]), str(row["postcode"])


def run_times(args: argparse.Namespace) -> int:
    import numpy as np
    import pandas as pd

    from geo import TransitOptions, TravelSpec

    s = settings_from_args(args)
    transit = TransitOptions(gtfs=args.gtfs,
                             arrive_by=args.arrive_by or (s.transit_arrive_by if args.depart_at is None else None),
                             depart_at=args.depart_at, window_minutes=args.window_minutes,
                             step_minutes=args.step_minutes)
    study = Study(StudySpec(area=args.area, travel=TravelSpec.parse(mode="transit", network=args.network,
                                                                    transit=transit)),
                  settings=s, progress=progress_from_args(args))
    area = study.area
    x, y, dest = _destination_xy(args.to, study)
    router = study.transit_router(clip_buffer_metres=args.clip_buffer_km * 1000)
    threshold = s.threshold_minutes if args.threshold is None else float(args.threshold)
    lsoas = area.lsoas
    window = router.site_origin_minutes_window(np.array([[x, y]]), lsoas[["easting", "northing"]].to_numpy(float))
    table = pd.DataFrame({"lsoa21nm": lsoas["lsoa21nm"].astype(str), "adults": lsoas["adults"],
                          "imd_decile": lsoas["imd_decile"], "urban_rural": lsoas["urban_rural"]}, index=lsoas.index)
    for stat in ("best", "median", "worst"):
        router.statistic = stat
        table[f"{stat}_minutes"] = np.round(router.reduce_window(window)[0], 1)
    router.statistic = "median"
    adults = table["adults"].to_numpy(float)
    within = (table["median_minutes"] <= threshold).to_numpy()
    by_time = [float(adults[(window[k, 0] <= threshold)].sum() / adults.sum()) for k in range(len(router.times))]
    out: dict[str, Any] = {
        "label": router.label, "destination": dest, "lsoas": len(table), "adults": int(adults.sum()),
        f"share_adults_within_{threshold:g}_minutes_median": float(adults[within].sum() / adults.sum()),
        f"share_adults_within_{threshold:g}_minutes_range_over_window": [min(by_time), max(by_time)],
        "share_adults_no_journey_median": float(adults[table["median_minutes"].isna().to_numpy()].sum() / adults.sum()),
        "valhalla_routes": router.n_requests, "warnings": router.tiles.warnings, "lsoa_minutes": table,
    }
    if args.format == "csv":
        emit(table, "csv", args.out)
    else:
        emit(out, args.format, args.out, title=f"Public transport to {dest}: {area.name}")
    return 0
