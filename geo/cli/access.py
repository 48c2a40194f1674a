"""``geo access``: minutes from every LSOA to the nearest site (per type on request), or
capacity-based access (2SFCA / E2SFCA) driven by site capacity.

Examples::

    geo access --area Rutland --sites hub,pharmacy --at "Sat 19:00"
    geo access --area Northamptonshire --sites hub --measure 2sfca --catchment-minutes 30 --network none
"""

from __future__ import annotations

import argparse
import sys

from geo.cli._options import add_format_options, add_study_options, study_from_args
from geo.cli._output import emit

OUTPUT_COLUMNS = ("lsoa21nm", "lad24nm", "in_area", "adults", "imd_decile", "urban_rural",
                  "minutes", "minutes_if_missing_closed", "site_id", "site_name", "site_type", "site_in_area",
                  "origin_snap_metres", "site_snap_metres", "method", "status")
MEASURES = ("nearest", "2sfca", "e2sfca")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("access", help="minutes from every LSOA to the nearest site, or 2SFCA/E2SFCA access")
    add_study_options(p, thresholds=False)
    p.add_argument("--measure", choices=MEASURES, default="nearest",
                   help="nearest = minutes to the nearest site; 2sfca / e2sfca = capacity per 1,000 adults "
                        "within the catchment (two-step floating catchment; E2SFCA weights 1/0.68/0.22 by "
                        "thirds of the catchment); sites without capacity count 1")
    p.add_argument("--catchment-minutes", type=float, default=30.0, help="2sfca/e2sfca catchment (default 30)")
    p.add_argument("--by-type", action="store_true", help="also minutes to the nearest site of each type")
    p.add_argument("--k", type=int, default=1, help="also the 2nd..k-th nearest sites")
    p.add_argument("--max-minutes", type=float, default=None, help="search limit (minutes)")
    p.add_argument("--at", default=None,
                   help='count only sites open at this time, e.g. "Sat 19:00" (needs opening hours)')
    p.add_argument("--missing-hours", choices=("range", "open", "closed", "error"), default="range",
                   help="with --at: sites without opening hours: 'range' (default) reports both assumptions "
                        "(minutes = missing open, minutes_if_missing_closed = missing closed), or assume open/closed")
    add_format_options(p, default="csv")
    p.set_defaults(func=run)


def filter_open_at(sites, when: str, missing: str):
    """Sites open at ``when`` (delegates to geo.measures.hours); prints the count and the assumption.

    ``missing='range'`` prints the range (missing = closed .. missing = open) and returns the
    sites open if missing hours count as open, plus the mask under "missing = closed".
    """
    from geo import SiteHours

    hours = SiteHours(sites)
    if missing == "range":
        r = hours.open_range(when)
        print(f"open at {when}: {r['text']}", file=sys.stderr)
        for w in r["hours_warnings"][:5]:
            print(f"warning: hours of {w}", file=sys.stderr)
        hi, lo = r["open_mask_if_missing_open"], r["open_mask_if_missing_closed"]
        return sites[hi].reset_index(drop=True), lo[hi]
    mask = hours.open_at(when, missing=missing)
    n_missing = len(mask.attrs.get("missing_hours", []))
    r = hours.open_range(when)
    mask = getattr(mask, "values", mask)
    print(f"open at {when}: {r['text']}; {int(mask.sum())} of {len(sites)} counted "
          f"({n_missing} of unknown hours assumed {missing})", file=sys.stderr)
    return sites[mask].reset_index(drop=True), None


def _capacity_run(args: argparse.Namespace, study) -> int:
    if args.at:
        sites, _ = filter_open_at(study.sites, args.at, "open" if args.missing_hours == "range" else args.missing_hours)
    else:
        sites = study.sites
    res = study.capacity_access(sites=sites, measure=args.measure, catchment_minutes=args.catchment_minutes)
    col = res.attrs["score_column"]
    lsoas = study.area.all_lsoas
    keep = [c for c in ("lsoa21nm", "lad24nm", "imd_decile", "urban_rural") if c in lsoas.columns]
    out = res.join(lsoas[keep][~lsoas.index.duplicated()])
    out = out[[*keep, "in_area", "adults", col]]
    core = out[out["in_area"]]
    w = core["adults"].astype(float)
    mean = float((core[col] * w).sum() / w.sum()) if w.sum() else 0.0
    a = res.attrs
    note = (f"{args.measure.upper()}: capacity per 1,000 adults within {a['catchment_minutes']:g} min "
            f"({study.label}); {a['sites']} sites, total capacity {a['total_capacity']:g}"
            + (f" ({a['sites_without_capacity']} sites without capacity counted as 1)" if a["sites_without_capacity"] else "")
            + f"; adults-weighted mean {mean:.3f}")
    print(note, file=sys.stderr)
    emit(out, args.format, args.out, title=f"Access ({args.measure}): {study.area.name}")
    return 0


def run(args: argparse.Namespace) -> int:
    study = study_from_args(args, needs_minutes="geo access")
    if args.measure != "nearest":
        return _capacity_run(args, study)
    sites = study.sites
    closed_mask = None
    if args.at:
        sites, closed_mask = filter_open_at(sites, args.at, args.missing_hours)
    table = study.times(sites=sites, by_type=args.by_type, max_minutes=args.max_minutes, k=args.k)
    if closed_mask is not None and not closed_mask.all():
        strict = sites[closed_mask].reset_index(drop=True)
        if len(strict):
            lo = study.times(sites=strict, max_minutes=args.max_minutes)
            table["minutes_if_missing_closed"] = lo["minutes"].reindex(table.index).to_numpy()
        else:
            table["minutes_if_missing_closed"] = float("nan")
    elif closed_mask is not None:
        table["minutes_if_missing_closed"] = table["minutes"]
    extra = [c for c in table.columns if c.startswith(("minutes_", "site_id_")) and c not in OUTPUT_COLUMNS]
    out = table[[c for c in OUTPUT_COLUMNS if c in table.columns] + extra]
    if args.format == "table":
        emit(out, "table", args.out, title=f"Access: {study.area.name} ({study.label})")
    else:
        emit(out, args.format, args.out)
    bad = (out["status"] != "ok").sum()
    if bad:
        print(f"{bad} LSOAs have no reachable site (see the status column)", file=sys.stderr)
    return 0
