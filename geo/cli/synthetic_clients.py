"""``geo synthetic-clients``: write a clearly labelled SYNTHETIC client extract for an area."""

from __future__ import annotations

import argparse
from pathlib import Path

from geo import Study, StudySpec, export
from geo.cli._options import settings_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("synthetic-clients",
                       help="invent a synthetic client extract (real postcodes, seed deprivation pattern)")
    p.add_argument("--area", required=True, help="study area (e.g. Northamptonshire, Rutland)")
    p.add_argument("--n", type=int, required=True, help="number of synthetic clients")
    p.add_argument("--seed", type=int, default=1, help="random seed (same seed, same file)")
    p.add_argument("--out", type=Path, required=True,
                   help="CSV to write; the name must contain 'synthetic' (e.g. synthetic_clients.csv)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys

    study = Study(StudySpec(area=args.area), settings=settings_from_args(args))
    area = study.area
    df = study.synthetic_clients(args.n, seed=args.seed)
    path = export.write_synthetic_clients(df, args.out)
    print(f"wrote {len(df):,} SYNTHETIC clients for {area.name} to {path} (seed {args.seed}); "
          "these are invented records, not real people", file=sys.stderr)
    return 0
