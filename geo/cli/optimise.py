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

from geo.cli._common import add_format_options, add_routing_options, emit, prepare_run


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("optimise", help="choose k new sites (MCLP or p-median), existing sites fixed",
                       aliases=["optimize"])
    add_routing_options(p)
    p.add_argument("--candidates", default="pharmacy",
                   help="candidate locations, comma separated: pharmacy, gp, town (default pharmacy)")
    p.add_argument("--candidates-file", type=Path, default=None, help="your own candidate sites (CSV/GeoJSON)")
    p.add_argument("--candidate-buffer-km", type=float, default=0.0,
                   help="also consider candidates this far outside the area (default 0)")
    p.add_argument("--k", type=int, default=1, help="number of new sites (default 1)")
    p.add_argument("--objective", choices=("mclp", "pmedian"), default="mclp", help="what to optimise")
    p.add_argument("--threshold", type=float, default=15.0, help="coverage threshold in minutes (mclp; default 15)")
    p.add_argument("--need-column", default="adults", help="LSOA column weighting demand (default adults)")
    p.add_argument("--method", choices=("exact", "greedy"), default="exact", help="exact (ILP) or greedy ranking")
    add_format_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from geo._errors import InputError
    from geo.planning.optimise import load_candidates, optimise_sites

    r = prepare_run(args)
    kinds = [k for k in args.candidates.split(",") if k.strip() and k.strip() != "none"]
    cand = load_candidates(kinds, r.area, settings=r.settings, existing=r.sites,
                           user_file=str(args.candidates_file) if args.candidates_file else None,
                           buffer_km=args.candidate_buffer_km)
    if len(cand) == 0:
        msg = f"no candidate sites ({args.candidates}) in {r.area.name}; try --candidates pharmacy,gp,town"
        raise InputError(msg)
    out = optimise_sites(r.area, r.sites, cand, r.router, k=args.k, objective=args.objective,
                         threshold_minutes=args.threshold if args.objective == "mclp" else None,
                         need_column=args.need_column, method=args.method)
    if out["summary"]["useful_sites"] < args.k:
        print(f"geo optimise: {out['summary']['message']}", file=sys.stderr)
    if args.format == "csv":
        emit(out["chosen"], "csv", args.out)
        return 0
    out["summary"]["area"] = r.area.name
    emit({"summary": out["summary"], "chosen": out["chosen"]}, args.format, args.out,
         title=f"Optimise: {args.k} new site(s), {args.objective}, {r.area.name}")
    return 0
