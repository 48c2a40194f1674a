"""``geo coverage``: share of adults within a travel-time (or straight-line distance) threshold of
the nearest site, overall and by IMD decile, rurality and district.

Examples::

    geo coverage --area Northamptonshire --sites hub --mode drive --threshold 45 --in-county-only
    geo coverage --area England --sites pharmacy --mode straight-line --threshold-km 1.6
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from geo._errors import InputError
from geo.commands._common import ROUTING_MODES, add_format_options, add_routing_options, emit

BY_CHOICES = ("imd_decile", "urban_rural", "ruc21nm", "lad24nm")
STRAIGHT_LINE = "straight-line"


def add_threshold_options(p: argparse.ArgumentParser, *, default_minutes: float = 45.0) -> None:
    """Routing options (with ``--mode straight-line``) plus ``--threshold``/``--threshold-km``."""
    add_routing_options(p)
    for action in p._actions:
        if action.dest == "mode":
            action.choices = (*ROUTING_MODES, STRAIGHT_LINE)
            action.help = "travel mode; straight-line = distance to the nearest site (KD-tree)"
    p.add_argument("--threshold", type=float, default=default_minutes,
                   help=f"travel-time threshold in minutes (default {default_minutes:g})")
    p.add_argument("--threshold-km", type=float, default=1.6,
                   help="distance threshold for --mode straight-line (default 1.6 km = 1 mile)")


def compute_times(args: argparse.Namespace) -> tuple[Any, Any, Any, str]:
    """Area, sites, times frame and router label for the routing options in ``args``.

    ``--mode straight-line`` gives a frame with ``distance_km`` (and no routing at all).
    """
    if args.mode == STRAIGHT_LINE:
        from geo.areas import select_area
        from geo.commands._common import settings_from_args
        from geo.coverage import nearest_site_straight_line, restrict_sites
        from geo.sites import load_sites, parse_site_types

        s = settings_from_args(args)
        area = select_area(args.area, settings=s)
        types = parse_site_types(args.sites)
        if area.kind == "england":
            sites = load_sites(s, types=types, include_historical=args.include_historical,
                               extra=[str(p) for p in args.extra_sites])
        else:
            buffer_km = 15.0 if args.buffer_km is None else float(args.buffer_km)
            sites = load_sites(s, area=area, types=types, buffer_km=buffer_km,
                               include_historical=args.include_historical,
                               extra=[str(p) for p in args.extra_sites])
            sites = restrict_sites(sites, in_county_only=args.in_county_only)
        if len(sites) == 0:
            msg = f"no sites of type {', '.join(types)} in or near {area.name}"
            raise InputError(msg)
        times = nearest_site_straight_line(area.all_lsoas, sites)
        times["method"] = STRAIGHT_LINE
        label = f"straight-line distance to the nearest of {len(sites):,} sites (not travel time)"
        return area, sites, times, label
    from geo.catchments import nearest_times
    from geo.commands._common import prepare_run

    run_ = prepare_run(args)
    times = nearest_times(run_.area, run_.sites, run_.router)
    return run_.area, run_.sites, times, run_.router.label


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("coverage", help="adults within a travel-time/distance threshold, by "
                                        "deprivation, rurality and district")
    add_threshold_options(p)
    p.add_argument("--by", choices=BY_CHOICES, default=None,
                   help="one breakdown only (default: headline plus every breakdown)")
    add_format_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from geo.coverage import coverage_summary, coverage_table
    from geo.equity import equity_summary

    area, sites, times, label = compute_times(args)
    straight = args.mode == STRAIGHT_LINE
    value_col = "distance_km" if straight else "minutes"
    threshold = args.threshold_km if straight else args.threshold
    unit = "km" if straight else "minutes"
    if straight:
        print(f"distances: {label}", file=sys.stderr)
    if args.by:
        table = coverage_table(times, threshold_minutes=threshold, by=args.by, value_col=value_col)
        emit(table, args.format, args.out,
             title=f"Coverage of {area.name}: adults within {threshold:g} {unit}, by {args.by}")
        return 0
    summary = coverage_summary(times, threshold_minutes=threshold, value_col=value_col)
    if args.format == "csv":
        emit(summary["by_imd_decile"], "csv", args.out)
        return 0
    head = dict(summary.pop("headline"))
    head["sites"] = len(sites)
    head["sites_in_area"] = int(sites["in_area"].sum()) if "in_area" in sites.columns else len(sites)
    head["times"] = label
    out: dict[str, Any] = {"area": area.name, **head}
    out["equity"] = {k: v for k, v in equity_summary(times, value_col=value_col).items()
                     if not isinstance(v, dict)}
    out.update(summary)
    emit(out, args.format, args.out,
         title=f"Coverage of {area.name}: adults within {threshold:g} {unit} of a site")
    return 0
