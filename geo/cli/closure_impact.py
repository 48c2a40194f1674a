"""``geo closure-impact``: what closing each site would do to access (leave-one-out).

Example::

    geo closure-impact --area Rutland --sites hub,pharmacy --threshold 15

One row per site: adults whose nearest site it is, adults who would fall outside the
threshold if it closed (overall and by IMD decile), the rise in adults-weighted mean minutes,
and an ``irreplaceable`` flag (closing it leaves someone beyond the threshold).
"""

from __future__ import annotations

import argparse

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
    from geo.planning.closure import closure_impact

    study = study_from_args(args, needs_minutes="geo closure-impact")
    threshold = study.threshold_minutes
    res = closure_impact(study.area, study.sites, study.router, threshold_minutes=threshold,
                         weight_column=args.need_column)
    if args.in_area_sites_only and "in_area" in res:
        res = res[res["in_area"]].reset_index(drop=True)
    if not args.deciles:
        res = res.drop(columns=[c for c in res.columns if c.startswith("newly_beyond_d")])
    if args.top > 0:
        res = res.head(args.top)
    res.index = res.index + 1
    res.index.name = "rank"
    if args.format == "csv":
        emit(res, "csv", args.out)
        return 0
    wc = args.need_column
    summary = {"area": study.area.name, "router": study.label, "sites_counted": study.sites_label,
               "threshold_minutes": threshold, "sites": len(study.sites), "irreplaceable_sites": int(res["irreplaceable"].sum()),
               f"{wc}_at_risk_worst_closure": float(res[f"newly_beyond_{wc}"].max()) if len(res) else 0.0}
    emit({"summary": summary, "sites": res}, args.format, args.out,
         title=f"Closure impact: {study.area.name}, {threshold:g} min")
    return 0
