"""``geo optimise``: where to open k new sites, keeping the existing ones.

Examples::

    geo optimise --area Rutland --sites hub --candidates pharmacy --k 2 --objective mclp --threshold 15
    geo optimise --area Northamptonshire --sites hub --candidates pharmacy,town --k 3 --objective pmedian
    geo optimise --area Northamptonshire --candidates pharmacy,gp --k 10 --method greedy --threshold 20

``mclp`` maximises the need (adults, or ``--need-column``) newly within ``--threshold``;
``pmedian`` minimises need-weighted mean minutes.  ``--solver exact`` solves the integer
programme (spopt + CBC); ``greedy`` ranks candidates by marginal gain (fast, near-optimal).

Each service of ``--sites`` is optimised in turn (a new treatment site is judged against the
existing hubs, a new pharmacy against pharmacies).  Picks are ranked by the gain they can show
-- the 10th percentile of their marginal gain over the seeded draws of travel-time error and
site-location precision -- and named by place and postcode; near-ties are said, and a pick
whose range includes zero is "not distinguishable from no change" (docs/uncertainty.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo.cli._options import add_format_options, add_study_options, study_from_args
from geo.cli._output import emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("optimise", help="choose k new sites (MCLP or p-median), existing sites fixed",
                       aliases=["optimize"])
    add_study_options(p)
    p.add_argument("--candidates", default="pharmacy",
                   help="candidate locations, comma separated: pharmacy, gp, town (default pharmacy)")
    p.add_argument("--candidates-file", type=Path, default=None, help="your own candidate sites (CSV/GeoJSON)")
    p.add_argument("--candidate-buffer-km", type=float, default=0.0,
                   help="also consider candidates this far outside the area (default 0)")
    p.add_argument("--k", type=int, default=1, help="number of new sites (default 1)")
    p.add_argument("--objective", choices=("mclp", "pmedian"), default="mclp", help="what to optimise")
    p.add_argument("--need-column", default="adults", help="LSOA column weighting demand (default adults)")
    p.add_argument("--solver", choices=("exact", "greedy"), default="exact", help="exact (ILP) or greedy ranking")
    p.add_argument("--service", default=None,
                   help="optimise for this one of the --sites services only (default: each in turn)")
    add_format_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from geo import InputError, ranges

    study = study_from_args(args, needs_minutes="geo optimise")
    kinds = [k for k in args.candidates.split(",") if k.strip() and k.strip() != "none"]
    cand = study.candidates(kinds, user_file=str(args.candidates_file) if args.candidates_file else None,
                            buffer_km=args.candidate_buffer_km)
    if len(cand) == 0:
        msg = f"no candidate sites ({args.candidates}) in {study.area.name}; try --candidates pharmacy,gp,town"
        raise InputError(msg)
    out = study.optimise(cand, k=args.k, objective=args.objective, method=args.solver,
                         weight_column=args.need_column, service=args.service)
    by_service, chosen = out["by_service"], out["chosen"]
    for _, row in by_service.iterrows():
        if row["picks"] < args.k:
            print(f"geo optimise: {row['message']}", file=sys.stderr)
    if len(chosen):
        chosen = chosen.set_index(["service", "rank"])
    if args.format == "csv":
        emit(chosen, "csv", args.out)
        return 0
    if args.format == "table":
        figures = (("adults_covered_before", "adults_covered_after", "adults_newly_covered")
                   if args.objective == "mclp" else ("mean_minutes_before", "mean_minutes_after", "mean_minutes_saved"))
        by_service = ranges.side_by_side(by_service, figures, threshold_minutes=study.threshold_minutes,
                                  verdicts=(("verdict", "Verdict"), ("message", "What was found")))
        drop = ("easting", "northing", "name", "place", "postcode", "site_type")  # the label says them
        chosen = ranges.collapse_ranges(chosen.drop(columns=[c for c in drop if c in chosen]))
    emit({"summary": out["summary"], "by_service": by_service, "chosen": chosen}, args.format, args.out,
         title=f"Optimise: {args.k} new site(s) per service, {args.objective}, {study.area.name}")
    return 0
