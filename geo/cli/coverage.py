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

import pandas as pd

from geo import BREAKDOWNS, PLACE_BREAKDOWNS
from geo.cli._options import add_format_options, add_study_options, study_from_args
from geo.cli._output import emit

#: ``--by`` breakdowns: the default ones plus former districts (councils before 2021) and 2024 wards.
BY_CHOICES = (*BREAKDOWNS, *PLACE_BREAKDOWNS)


def compact_by_threshold(long: pd.DataFrame, *, unit: str = "minutes") -> pd.DataFrame:
    """One breakdown of :func:`geo.measures.coverage_sets.coverage_by_thresholds` as a wide terminal table.

    Rows are the groups; columns ``adults`` then, per threshold ``T``, ``within <T>``,
    ``beyond <T>`` (adults; beyond includes unreachable) and ``% beyond <T>`` (and its
    ``range`` for estimates).
    """
    short = "km" if unit == "km" else "min"
    thr_col = "threshold_km" if unit == "km" else "threshold_minutes"
    first = long[long[thr_col] == long[thr_col].min()]
    out = first.set_index("group")[["adults"]].copy()
    for thr, g in long.groupby(thr_col, sort=True):
        g = g.set_index("group")
        out[f"within {thr:g} {short}"] = g["adults_within"]
        out[f"beyond {thr:g} {short}"] = g["adults_beyond"]
        out[f"% beyond {thr:g} {short}"] = g["pct_beyond"].round(1)
        if "pct_beyond_low" in g.columns:  # estimate range
            out[f"% beyond {thr:g} {short} range"] = [
                f"{lo:.1f}-{hi:.1f}" for lo, hi in zip(g["pct_beyond_low"], g["pct_beyond_high"], strict=True)]
    b = str(long["breakdown"].iloc[0])
    out.index.name = None if b == "all" else b
    return out


def _side_by_side(per_service: pd.DataFrame, *, thr_col: str, unit: str) -> pd.DataFrame:
    """Coverage per service as a terminal table: figures (per threshold) down, services across."""
    from geo import ranges

    short = "km" if unit == "km" else "min"
    cols: dict[str, dict[str, str]] = {}
    for _, row in per_service.iterrows():
        col = cols.setdefault(f"Nearest {row['service_label']}", {})
        thr = float(row[thr_col])
        col[f"Adults beyond {thr:g} {short}"] = ranges.format_range("adults_beyond", row)
        col[f"% beyond {thr:g} {short}"] = ranges.format_range("pct_beyond", row)
        value = "distance_km" if unit == "km" else "minutes"
        col[f"Mean {value.replace('_', ' ')}"] = ranges.format_range(f"mean_{value}", row)
        col[f"Median {value.replace('_', ' ')}"] = ranges.format_range(f"median_{value}", row)
    return pd.DataFrame(cols)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("coverage", help="adults within a travel-time/distance threshold, by "
                                        "deprivation, rurality and district")
    add_study_options(p)
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
    from geo import ranges

    study = study_from_args(args)
    area, sites, times = study.area, study.sites, study.baseline_times
    straight = not study.is_time
    value_col = "distance_km" if straight else "minutes"
    thresholds = (study.threshold_km,) if straight else study.thresholds_minutes
    unit = "km" if straight else "minutes"
    thr_col = "threshold_km" if straight else "threshold_minutes"

    def by_thresholds(breakdowns: tuple[str, ...] = BREAKDOWNS, *, per_service: bool = False) -> pd.DataFrame:
        """Long coverage table; ``per_service`` stacks one block per service (column ``service``)."""
        return study.coverage_by_thresholds(thresholds, breakdowns=breakdowns, per_service=per_service)

    thr_text = ", ".join(f"{t:g}" for t in thresholds)
    hint = ranges.nothing_beyond_hint(times, threshold_minutes=max(thresholds), value_col=value_col)
    if hint:
        print(hint, file=sys.stderr)
    if args.by:  # one breakdown: rows are its groups (repeated per threshold and service)
        long = by_thresholds((args.by,), per_service=True)
        table = long[long["breakdown"] == args.by].drop(columns="breakdown")
        table = table.rename(columns={"group": args.by})
        if args.by == "imd_decile":
            table[args.by] = table[args.by].astype(int)
        emit(table.set_index(args.by), args.format, args.out,
             title=f"Coverage of {area.name}: adults within {thr_text} {unit}, by {args.by}")
        return 0
    if args.format == "csv":  # one long table: threshold, breakdown, group, service, counts
        long = by_thresholds(per_service=True)
        emit(long.set_index(thr_col), "csv", args.out)
        return 0
    per = study.coverage(thresholds=thresholds)
    first = per[0]
    out: dict[str, Any] = {"area": area.name}
    if len(per) == 1:
        out.update({k: v for k, v in first.items() if not k.startswith("by_")})
    else:
        out.update({"thresholds": list(thresholds), "unit": unit, "lsoas": first["lsoas"],
                    "adults": first["adults"], f"mean_{value_col}": first[f"mean_{value_col}"],
                    f"median_{value_col}": first[f"median_{value_col}"], "method": first["method"]})
    estimate_ranges = [text for p in per if (text := ranges.range_text(p))]
    if estimate_ranges:  # estimate mode: every coverage figure carries its range
        out["estimate_range"] = estimate_ranges[0] if len(estimate_ranges) == 1 else estimate_ranges
    if study.travel.mode.value == "transit":  # the headline is a window statistic: give its range too
        window = study.window_coverage(thresholds=tuple(thresholds), times=times, sites=sites)
        if window is not None:
            out["timetable_window"] = window
            print(f"range: {ranges.range_line(window, thresholds[-1])}", file=sys.stderr)
    out["sites"] = times.attrs.get("sites_used", len(sites))
    out["sites_in_area"] = int(sites["in_area"].sum()) if "in_area" in sites.columns else len(sites)
    out["times"] = study.label
    out["sites_counted"] = study.sites_label
    if times.attrs.get("warnings"):  # about the study area only, one line each; lists in JSON
        out["warnings"] = list(times.attrs["warnings"])
        details = times.attrs.get("warning_details", {})
        if details:
            out["warning_details"] = {k: list(v) for k, v in details.items()}
        for text in out["warnings"]:
            more = " (listed under warning_details with --format json)" if text in details and args.format != "json" else ""
            print(f"warning: {text}{more}", file=sys.stderr)
    out["equity"] = {k: v for k, v in study.equity(times=times).items()
                     if not isinstance(v, dict)}
    per_service = study.coverage_by_service(thresholds=thresholds)
    if args.format == "table":
        out["by_service"] = _side_by_side(per_service, thr_col=thr_col, unit=unit)
    else:
        out["by_service"] = per_service
    if len(per) == 1:
        out.update({k: v for k, v in first.items() if k.startswith("by_")})
    elif args.format == "json":
        out["by_threshold"] = per
    else:
        long = by_thresholds()
        for b in ("all", *BREAKDOWNS):
            if (long["breakdown"] == b).any():
                out["overall" if b == "all" else f"by_{b}"] = compact_by_threshold(
                    long[long["breakdown"] == b], unit=unit)
    emit(out, args.format, args.out,
         title=f"Coverage of {area.name}: adults within {thr_text} {unit} of a site")
    return 0
