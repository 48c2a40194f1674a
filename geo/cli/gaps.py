"""``geo gaps``: outreach priority list -- LSOAs where high need meets long travel times.

Example::

    geo gaps --area Northamptonshire --sites hub --threshold 45 --in-county-only --out outreach.csv
    geo gaps --area Rutland --sites hub,pharmacy --threshold 15 --service hub --out outreach.csv

``minutes`` is to the nearest site of any type, with ``minutes_low``/``minutes_high`` (the
router's measured error); with several services each gets ``minutes_<service>`` (and its
range) and ``site_name_<service>`` side by side; ``--service`` ranks by one service's journeys.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo import formats
from geo.cli._options import add_need_options, add_study_options, build_need, study_from_args
from geo.cli._output import emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gaps", help="outreach priority list: need x travel time, rural gaps flagged")
    add_study_options(p)
    add_need_options(p)
    p.add_argument("--top", type=int, default=50, help="rows to list (0 = all LSOAs)")
    p.add_argument("--beyond-only", action="store_true", help="only LSOAs beyond the threshold")
    p.add_argument("--service", default=None,
                   help="score journeys to this one of the --sites services (default: the nearest site of any type)")
    p.add_argument("--format", choices=formats.FORMATS, default="table", help="output format")
    p.add_argument("--out", type=Path, default=None, help="write to this file (CSV if it ends .csv)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from geo import export

    study = study_from_args(args, needs_minutes="geo gaps")
    area, times, label = study.area, study.baseline_times, study.label
    need = build_need(study, args)
    if args.service and args.service not in study.result_services:
        from geo import InputError

        msg = f"--service {args.service!r} is not one of the study's services ({', '.join(study.result_services)})"
        raise InputError(msg)
    keys = [k for k in study.result_services if k != "any"]
    out = study.outreach(need, times=times, top=args.top or None,
                        beyond_only=args.beyond_only, w_need=args.w_need, w_time=args.w_time,
                        form=args.score_form, services=keys if len(keys) > 1 else (),
                        score_service=args.service if args.service != "any" else None)
    if args.out is not None and (args.format == "csv" or str(args.out).lower().endswith(".csv")):
        export.export_outreach_csv(out, args.out)
        print(f"wrote {len(out)} LSOAs to {args.out} ({label}; {out.attrs.get('gap_method')})",
              file=sys.stderr)
        return 0
    emit(out.set_index("rank"), args.format, args.out,
         title=f"Outreach priorities in {area.name} ({out.attrs.get('gap_method')})")
    return 0
