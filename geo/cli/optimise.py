"""``geo optimise``: where to open k new sites, keeping the existing ones.

Examples::

    geo optimise --area Rutland --sites hub --candidates pharmacy --k 2 --objective mclp --threshold 15
    geo optimise --area Northamptonshire --sites hub --candidates pharmacy,town --k 3 --objective pmedian
    geo optimise --area Northamptonshire --candidates pharmacy,gp --k 10 --method greedy --threshold 20

``mclp`` maximises the need (adults, or ``--need-column``) newly within ``--threshold``;
``pmedian`` minimises need-weighted mean minutes.  ``--method exact`` solves the integer
programme (spopt + CBC); ``greedy`` ranks candidates by marginal gain (fast, near-optimal).
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
    add_format_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from geo._errors import InputError
    from geo.planning.optimise import load_candidates, optimise_sites

    study = study_from_args(args, needs_minutes="geo optimise")
    kinds = [k for k in args.candidates.split(",") if k.strip() and k.strip() != "none"]
    cand = load_candidates(kinds, study.area, settings=study.settings, existing=study.sites,
                           user_file=str(args.candidates_file) if args.candidates_file else None,
                           buffer_km=args.candidate_buffer_km)
    if len(cand) == 0:
        msg = f"no candidate sites ({args.candidates}) in {study.area.name}; try --candidates pharmacy,gp,town"
        raise InputError(msg)
    out = optimise_sites(study.area, study.sites, cand, study.router, k=args.k, objective=args.objective,
                         threshold_minutes=study.threshold_minutes if args.objective == "mclp" else None,
                         need_column=args.need_column, method=args.solver)
    if out["summary"]["useful_sites"] < args.k:
        print(f"geo optimise: {out['summary']['message']}", file=sys.stderr)
    if args.format == "csv":
        emit(out["chosen"], "csv", args.out)
        return 0
    out["summary"]["area"] = study.area.name
    emit({"summary": out["summary"], "chosen": out["chosen"]}, args.format, args.out,
         title=f"Optimise: {args.k} new site(s), {args.objective}, {study.area.name}")
    return 0
