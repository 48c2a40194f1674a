"""``geo gaps``: outreach priority list -- LSOAs where high need meets long travel times.

Example::

    geo gaps --area Northamptonshire --sites hub --threshold 45 --in-county-only --out outreach.csv
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from geo.cli._options import add_study_options, study_from_args
from geo.cli._output import FORMATS, emit

if TYPE_CHECKING:
    import pandas as pd

    from geo.planning.study import Study


def add_need_options(p: argparse.ArgumentParser) -> None:
    """Gap-score weights and need-index weights."""
    p.add_argument("--w-need", type=float, default=1.0, help="exponent (weight) of need (default 1)")
    p.add_argument("--w-time", type=float, default=1.0, help="exponent (weight) of travel time (default 1)")
    p.add_argument("--score-form", choices=("product", "rank"), default="product",
                   help="product: need^w x (minutes/threshold)^w; rank: weighted mean of percentiles")
    p.add_argument("--need-weights", default=None,
                   help="composite need weights, e.g. 'imd_score=0.4,health_deprivation_disability_score=0.3,"
                        "drug_deaths_rate_per_100k=0.3' (default)")
    p.add_argument("--need-method", choices=("z", "rank"), default="z",
                   help="standardise need indicators as weighted z-scores or percentile ranks")


def parse_weights(text: str | None) -> dict[str, float] | None:
    """``"a=1,b=0.5"`` -> {"a": 1.0, "b": 0.5}."""
    from geo._errors import InputError

    if not text:
        return None
    out: dict[str, float] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        key, sep, val = part.partition("=")
        try:
            out[key.strip()] = float(val)
        except ValueError as exc:
            msg = f"--need-weights {text!r}: write name=number pairs separated by commas"
            raise InputError(msg) from exc
        if not sep:
            msg = f"--need-weights {text!r}: write name=number pairs separated by commas"
            raise InputError(msg)
    return out


def build_need(study: Study, args: argparse.Namespace) -> pd.Series:
    """Composite need for the study's core LSOAs from the options."""
    from geo.measures.need import area_need

    return area_need(study.area.lsoas, study.settings, weights=parse_weights(args.need_weights),
                     method=args.need_method)


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
