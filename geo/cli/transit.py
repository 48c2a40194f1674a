"""``geo transit check|build --gtfs FEED.zip --area NAME``: validate a GTFS feed, build Valhalla tiles."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from geo.cli._options import add_format_options, settings_from_args
from geo.cli._output import emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("transit", help="public transport: check a GTFS feed, build Valhalla transit tiles")
    actions = p.add_subparsers(dest="transit_action", metavar="ACTION", required=True)
    for name, helptext in (("check", "validate a GTFS zip and summarise it (clipped to --area if given)"),
                           ("build", "validate the feed and build (or reuse) Valhalla tiles for --area")):
        q = actions.add_parser(name, help=helptext)
        q.add_argument("--gtfs", type=Path, required=True, help="GTFS zip (e.g. a BODS regional GTFS download)")
        q.add_argument("--area", required=(name == "build"), help="LAD, county, 'A;B' or polygon file")
        q.add_argument("--clip-buffer-km", type=float, default=10.0,
                       help="keep trips calling within this distance of the area (default 10 km)")
        if name == "build":
            q.add_argument("--network", default="auto",
                           help="OpenStreetMap .osm.pbf for walking (default: the bundled Rutland extract)")
            q.add_argument("--rebuild", action="store_true", help="ignore cached tiles")
        add_format_options(q)
        q.set_defaults(func=run)
    t = actions.add_parser("times", help="door-to-door minutes from every LSOA of --area to one destination")
    t.add_argument("--gtfs", type=Path, required=True, help="GTFS zip")
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
    t.add_argument("--network", default="auto", help="OpenStreetMap .osm.pbf (default: bundled Rutland)")
    add_format_options(t)
    t.set_defaults(func=run_times)


def run(args: argparse.Namespace) -> int:
    from geo.travel.gtfs import clip_feed, read_gtfs, summarise_feed

    s = settings_from_args(args)
    feed = read_gtfs(args.gtfs)
    area = None
    if args.area:
        from geo.data.areas import select_area

        area = select_area(args.area, settings=s)
    out: dict[str, Any]
    if args.transit_action == "check":
        out = {"status": "ok", **summarise_feed(feed)}
        if area is not None:
            clipped = clip_feed(feed, area.polygon, buffer_metres=args.clip_buffer_km * 1000)
            out["clipped_to"] = f"{area.name} + {args.clip_buffer_km:g} km"
            out["clipped"] = {k: v for k, v in summarise_feed(clipped).items()
                              if k in {"routes", "stops", "trips", "stop_times", "service_days"}}
        emit(out, "json" if args.format == "csv" else args.format, args.out, title=f"GTFS check: {feed.source}")
        return 0
    from geo.travel.transit import build_transit_tiles, pbf_for_area

    pbf = pbf_for_area(area, args.network, s)
    tiles = build_transit_tiles(feed, pbf=pbf, settings=s, area=area,
                                clip_buffer_metres=args.clip_buffer_km * 1000, rebuild=args.rebuild)
    first, last = tiles.schedule_dates
    out = {"status": "reused cached tiles" if tiles.reused else "built", "tiles": str(tiles.folder),
           "build_seconds": round(tiles.build_seconds, 1), "osm_extract": str(pbf),
           "timetable_dates": f"{first} to {last}", **tiles.feed_summary}
    emit(out, "json" if args.format == "csv" else args.format, args.out, title=f"Transit tiles: {area.name if area else ''}")
    return 0


def _destination_xy(text: str, settings: Any) -> tuple[float, float, str]:
    import re

    from geo._errors import InputError

    m = re.match(r"^\s*(\d{5,6}(?:\.\d*)?)\s*,\s*(\d{5,7}(?:\.\d*)?)\s*$", text)
    if m:
        return float(m.group(1)), float(m.group(2)), f"{float(m.group(1)):.0f},{float(m.group(2)):.0f}"
    from geo.data.geocode import geocode_postcodes

    row = geocode_postcodes([text], settings).iloc[0]
    if row["status"] != "found":
        msg = f"--to {text!r}: postcode {row['status']}; give a live English postcode or EASTING,NORTHING"
        raise InputError(msg)
    return float(row["easting"]), float(row["northing"]), str(row["postcode"])


def run_times(args: argparse.Namespace) -> int:
    import numpy as np
    import pandas as pd

    from geo.data.areas import select_area
    from geo.travel.transit import make_transit_router

    s = settings_from_args(args)
    area = select_area(args.area, settings=s)
    x, y, dest = _destination_xy(args.to, s)
    router = make_transit_router(area=area, settings=s, network=args.network, gtfs=args.gtfs,
                                 arrive_by=args.arrive_by or (s.transit_arrive_by if args.depart_at is None else None),
                                 depart_at=args.depart_at,
                                 window_minutes=args.window_minutes, step_minutes=args.step_minutes,
                                 clip_buffer_metres=args.clip_buffer_km * 1000)
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
    out: dict[str, Any] = {
        "label": router.label, "destination": dest, "lsoas": len(table), "adults": int(adults.sum()),
        f"share_adults_within_{threshold:g}_minutes_median": float(adults[within].sum() / adults.sum()),
        "share_adults_no_journey_median": float(adults[table["median_minutes"].isna().to_numpy()].sum() / adults.sum()),
        "valhalla_routes": router.n_requests, "lsoa_minutes": table,
    }
    if args.format == "csv":
        emit(table, "csv", args.out)
    else:
        emit(out, args.format, args.out, title=f"Public transport to {dest}: {area.name}")
    return 0
