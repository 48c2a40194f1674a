"""``geo gaps``: outreach priority list -- LSOAs where high need meets long travel times.

Example::

    geo gaps --area Northamptonshire --sites hub --threshold 45 --in-county-only --out outreach.csv
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo.cli._options import add_need_options, add_study_options, build_need, study_from_args
from geo.cli._output import FORMATS, emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gaps", help="outreach priority list: need x travel time, rural gaps flagged")
    add_study_options(p)
    add_need_options(p)
    p.add_argument("--top", type=int, default=50, help="rows to list (0 = all LSOAs)")
    p.add_argument("--beyond-only", action="store_true", help="only LSOAs beyond the threshold")
    p.add_argument("--format", choices=FORMATS, default="table", help="output format")
    p.add_argument("--out", type=Path, default=None, help="write to this file (CSV if it ends .csv)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from geo.measures.gaps import export_outreach_csv, outreach_list

    study = study_from_args(args, needs_minutes="geo gaps")
    area, times, label = study.area, study.baseline_times, study.label
    need = build_need(study, args)
    out = outreach_list(times, need, threshold_minutes=study.threshold_minutes, top=args.top or None,
                        beyond_only=args.beyond_only, w_need=args.w_need, w_time=args.w_time,
                        form=args.score_form)
    if args.out is not None and (args.format == "csv" or str(args.out).lower().endswith(".csv")):
        export_outreach_csv(out, args.out)
        print(f"wrote {len(out)} LSOAs to {args.out} ({label}; {out.attrs.get('gap_method')})",
              file=sys.stderr)
        return 0
    emit(out.set_index("rank"), args.format, args.out,
         title=f"Outreach priorities in {area.name} ({out.attrs.get('gap_method')})")
    return 0
