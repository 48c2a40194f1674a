"""``geo coverage``: share of adults within a travel-time (or straight-line distance) threshold of
the nearest site, overall and by IMD decile, rurality and district.

Examples::

    geo coverage --area Northamptonshire --sites hub --mode drive --threshold 45 --in-county-only
    geo coverage --area England --sites pharmacy --mode straight-line --threshold-km 1.6
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from geo._errors import InputError
from geo.cli._common import ROUTING_MODES, add_format_options, add_routing_options, emit

if TYPE_CHECKING:
    import pandas as pd

BY_CHOICES = ("imd_decile", "urban_rural", "ruc21nm", "lad24nm", "former_district", "ward")
STRAIGHT_LINE = "straight-line"


def _thresholds_arg(text: str) -> tuple[float, ...]:
    from geo.measures.coverage import parse_thresholds

    try:
        return parse_thresholds(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_threshold_options(p: argparse.ArgumentParser, *, default_minutes: float = 45.0,
                          multiple: bool = False) -> None:
    """Routing options (with ``--mode straight-line``) plus ``--threshold``/``--threshold-km``.

    With ``multiple`` both take a comma list (``15,30,45``) and arrive as sorted tuples;
    otherwise each is one float.
    """
    add_routing_options(p)
    for action in p._actions:
        if action.dest == "mode":
            action.choices = (*ROUTING_MODES, STRAIGHT_LINE)
            action.help = "travel mode; straight-line = distance to the nearest site (KD-tree)"
    kind = _thresholds_arg if multiple else float
    several = " (one value or a comma list, e.g. 15,30,45)" if multiple else ""
    p.add_argument("--threshold", type=kind,
                   default=(default_minutes,) if multiple else default_minutes,
                   help=f"travel-time threshold in minutes{several} (default {default_minutes:g})")
    p.add_argument("--threshold-km", type=kind, default=(1.6,) if multiple else 1.6,
                   help=f"distance threshold for --mode straight-line{several} "
                        "(default 1.6 km = 1 mile)")


def compute_times(args: argparse.Namespace, *, needs_minutes: str | None = None) -> tuple[Any, Any, Any, str]:
    """Area, sites, times frame and router label for the routing options in ``args``.

    ``--mode straight-line`` gives a frame with ``distance_km`` (and no routing at all); commands
    that need minutes pass their name as ``needs_minutes`` and get a clear error instead.
    """
    if needs_minutes and args.mode == STRAIGHT_LINE:
        msg = (f"{needs_minutes} needs travel times; use --mode drive/walk/cycle/transit "
               "(--network none = estimate)")
        raise InputError(msg)
    if args.mode == STRAIGHT_LINE:
        from geo.data.areas import select_area
        from geo.cli._common import settings_from_args
        from geo.measures.coverage import nearest_site_straight_line, restrict_sites
        from geo.data.sites import load_sites, parse_site_types

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
    from geo.travel.catchments import nearest_times
    from geo.cli._common import prepare_run

    run_ = prepare_run(args)
    times = nearest_times(run_.area, run_.sites, run_.router)
    return run_.area, run_.sites, times, run_.router.label


def compact_by_threshold(long: pd.DataFrame, *, unit: str = "minutes") -> pd.DataFrame:
    """One breakdown of :func:`geo.measures.coverage.coverage_by_thresholds` as a wide terminal table.

    Rows are the groups; columns ``adults`` then, per threshold ``T``, ``within <T>``,
    ``beyond <T>`` (adults; beyond includes unreachable) and ``% beyond <T>``.
    """
    short = "km" if unit == "km" else "min"
    first = long[long["threshold_minutes"] == long["threshold_minutes"].min()]
    out = first.set_index("group")[["adults"]].copy()
    for thr, g in long.groupby("threshold_minutes", sort=True):
        g = g.set_index("group")
        out[f"within {thr:g} {short}"] = g["adults_within"]
        out[f"beyond {thr:g} {short}"] = g["adults_beyond"]
        out[f"% beyond {thr:g} {short}"] = g["pct_beyond"].round(1)
    b = str(long["breakdown"].iloc[0])
    out.index.name = None if b == "all" else b
    return out


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("coverage", help="adults within a travel-time/distance threshold, by "
                                        "deprivation, rurality and district")
    add_threshold_options(p, multiple=True)
    p.add_argument("--by", choices=BY_CHOICES, default=None,
                   help="one breakdown only (default: headline plus every breakdown)")
    add_format_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Coverage at one or several thresholds.

    One threshold keeps the single-threshold layout (headline keys at the top level); several
    give ``thresholds`` and a ``by_threshold`` list (JSON) or one wide table per breakdown
    (terminal).  CSV without ``--by`` is one long table: ``threshold_minutes`` (``threshold_km``),
    ``breakdown``, ``group`` and the counts.  ``--by`` gives that breakdown's groups as rows
    (repeated per threshold) with a threshold column, in every format.
    """
    from geo.measures.coverage import coverage_by_thresholds, coverage_summary
    from geo.measures.equity import equity_summary

    area, sites, times, label = compute_times(args)
    straight = args.mode == STRAIGHT_LINE
    value_col = "distance_km" if straight else "minutes"
    thresholds = tuple(args.threshold_km if straight else args.threshold)
    unit = "km" if straight else "minutes"
    thr_col = "threshold_km" if straight else "threshold_minutes"
    thr_text = ", ".join(f"{t:g}" for t in thresholds)
    if straight:
        print(f"distances: {label}", file=sys.stderr)
    from geo.measures.coverage import nothing_beyond_hint

    hint = nothing_beyond_hint(times, threshold_minutes=max(thresholds), value_col=value_col)
    if hint:
        print(hint, file=sys.stderr)
    if args.by:  # one breakdown: rows are its groups (repeated per threshold)
        long = coverage_by_thresholds(times, thresholds_minutes=thresholds, value_col=value_col,
                                      breakdowns=(args.by,))
        table = long[long["breakdown"] == args.by].drop(columns="breakdown")
        table = table.rename(columns={"threshold_minutes": thr_col, "group": args.by})
        if args.by == "imd_decile":
            table[args.by] = table[args.by].astype(int)
        emit(table.set_index(args.by), args.format, args.out,
             title=f"Coverage of {area.name}: adults within {thr_text} {unit}, by {args.by}")
        return 0
    if args.format == "csv":  # one long table: threshold, breakdown, group, counts
        long = coverage_by_thresholds(times, thresholds_minutes=thresholds, value_col=value_col)
        emit(long.rename(columns={"threshold_minutes": thr_col}).set_index(thr_col), "csv", args.out)
        return 0
    per: list[dict[str, Any]] = []
    for thr in thresholds:
        summary = coverage_summary(times, threshold_minutes=thr, value_col=value_col)
        per.append({**summary.pop("headline"), **summary})
    first = per[0]
    out: dict[str, Any] = {"area": area.name}
    if len(per) == 1:
        out.update({k: v for k, v in first.items() if not k.startswith("by_")})
    else:
        out.update({"thresholds": list(thresholds), "unit": unit, "lsoas": first["lsoas"],
                    "adults": first["adults"], f"mean_{value_col}": first[f"mean_{value_col}"],
                    f"median_{value_col}": first[f"median_{value_col}"], "method": first["method"]})
    out["sites"] = len(sites)
    out["sites_in_area"] = int(sites["in_area"].sum()) if "in_area" in sites.columns else len(sites)
    out["times"] = label
    out["equity"] = {k: v for k, v in equity_summary(times, value_col=value_col).items()
                     if not isinstance(v, dict)}
    if len(per) == 1:
        out.update({k: v for k, v in first.items() if k.startswith("by_")})
    elif args.format == "json":
        out["by_threshold"] = per
    else:
        long = coverage_by_thresholds(times, thresholds_minutes=thresholds, value_col=value_col)
        for b in ("all", *BY_CHOICES):
            if (long["breakdown"] == b).any():
                out["overall" if b == "all" else f"by_{b}"] = compact_by_threshold(
                    long[long["breakdown"] == b], unit=unit)
    emit(out, args.format, args.out,
         title=f"Coverage of {area.name}: adults within {thr_text} {unit} of a site")
    return 0
