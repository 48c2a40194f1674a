"""``geo access``: minutes from every LSOA to the nearest site (per type on request)."""

from __future__ import annotations

import argparse
import sys

from geo.cli._options import add_format_options, add_study_options, study_from_args
from geo.cli._output import emit

OUTPUT_COLUMNS = ("lsoa21nm", "lad24nm", "in_area", "adults", "imd_decile", "urban_rural",
                  "minutes", "site_id", "site_name", "site_type", "site_in_area",
                  "origin_snap_metres", "site_snap_metres", "method", "status")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("access", help="minutes from every LSOA to the nearest site")
    add_study_options(p, thresholds=False)
    p.add_argument("--by-type", action="store_true", help="also minutes to the nearest site of each type")
    p.add_argument("--k", type=int, default=1, help="also the 2nd..k-th nearest sites")
    p.add_argument("--max-minutes", type=float, default=None, help="search limit (minutes)")
    p.add_argument("--at", default=None,
                   help='count only sites open at this time, e.g. "Sat 19:00" (needs opening hours)')
    p.add_argument("--missing-hours", choices=("open", "closed", "error"), default="error",
                   help="with --at: treat sites without opening hours as open or closed (explicit)")
    add_format_options(p, default="csv")
    p.set_defaults(func=run)


def filter_open_at(sites, when: str, missing: str):
    """Sites open at ``when`` (delegates to geo.measures.hours); prints which assumption was used."""
    from geo.measures.hours import is_open_at

    mask = is_open_at(sites, when, missing=missing)
    mask = getattr(mask, "values", mask)
    print(f"open at {when}: {int(mask.sum())} of {len(sites)} sites "
          f"(sites without hours assumed {missing})", file=sys.stderr)
    return sites[mask].reset_index(drop=True)


def run(args: argparse.Namespace) -> int:
    study = study_from_args(args, needs_minutes="geo access")
    sites = study.sites
    if args.at:
        sites = filter_open_at(sites, args.at, args.missing_hours)
    table = study.times(sites=sites, by_type=args.by_type, max_minutes=args.max_minutes, k=args.k)
    extra = [c for c in table.columns if c.startswith(("minutes_", "site_id_"))]
    out = table[[c for c in OUTPUT_COLUMNS if c in table.columns] + extra]
    if args.format == "table":
        emit(out, "table", args.out, title=f"Access: {study.area.name} ({study.label})")
    else:
        emit(out, args.format, args.out)
    bad = (out["status"] != "ok").sum()
    if bad:
        print(f"{bad} LSOAs have no reachable site (see the status column)", file=sys.stderr)
    return 0
