"""``geo closure-impact``: what closing each site would do to access (leave-one-out).

Example::

    geo closure-impact --area Rutland --sites hub,pharmacy --threshold 15

One row per site and service it counts for (``service``: each service studied and ``any``, the
nearest site of any type): adults whose nearest site it is, adults who would fall outside the
threshold if it closed (overall and by IMD decile), adults left with no site of that service,
the rise in adults-weighted mean minutes, and an ``irreplaceable`` flag.  Closing the only hub
is a loss of hub access even when pharmacies are near.  Every figure carries its range
(``_low``/``_high``; docs/uncertainty.md) and ``verdict`` says whether the loss is
distinguishable from no change.
"""

from __future__ import annotations

import argparse

import pandas as pd

from geo.cli._options import add_format_options, add_study_options, study_from_args
from geo.cli._output import emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("closure-impact", help="leave-one-out impact of closing each site")
    add_study_options(p, default_sites="hub,pharmacy")
    p.add_argument("--need-column", default="adults", help="LSOA column weighting the results (default adults)")
    p.add_argument("--in-area-sites-only", action="store_true",
                   help="list only sites inside the area (cross-border sites still count as alternatives)")
    p.add_argument("--deciles", action="store_true", help="add need newly beyond by IMD decile (d1 = most deprived)")
    p.add_argument("--top", type=int, default=0, help="show only the N most harmful closures")
    add_format_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from geo import ranges

    study = study_from_args(args, needs_minutes="geo closure-impact")
    threshold = study.threshold_minutes
    res = study.closure(weight_column=args.need_column, deciles=args.deciles)
    uncertainty = res.attrs.get("uncertainty", {})
    if args.in_area_sites_only and "in_area" in res:
        res = res[res["in_area"].astype(bool)]
    if args.top > 0:
        res = res[res.index <= args.top]
    if args.format == "csv":
        emit(res, "csv", args.out)
        return 0
    wc = args.need_column
    worst = res.groupby("service", sort=False)[f"newly_beyond_{wc}"].max() if len(res) else pd.Series(dtype=float)
    summary = {"area": study.area.name, "router": study.label, "sites_counted": study.sites_label,
               "threshold_minutes": threshold, "sites": int(res["site_id"].nunique()),
               "irreplaceable_sites": int(res.loc[res["irreplaceable"].astype(bool), "site_id"].nunique()),
               f"{wc}_at_risk_worst_closure": {str(k): float(v) for k, v in worst.items()},
               "ranges": uncertainty.get("method", ""), "travel_time_error": uncertainty.get("travel_time_error", "")}
    table = res if args.format != "table" else ranges.collapse_ranges(res.drop(columns=["service_label"]))
    emit({"summary": summary, "sites": table}, args.format, args.out,
         title=f"Closure impact: {study.area.name}, {threshold:g} min, per service")
    return 0
