"""``geo areas [--kind lad|county|icb|region|former_district|ward]``: names accepted by ``--area``.

Wards (6,800) are listed only with ``--kind ward``."""

from __future__ import annotations

import argparse

import pandas as pd

from geo.cli._options import add_format_options, settings_from_args
from geo.cli._output import emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("areas", help="list area names accepted by --area")
    p.add_argument("--kind", choices=("lad", "county", "icb", "region", "former_district", "ward", "other"),
                   default=None, help="one kind only (wards are listed only with --kind ward)")
    add_format_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from geo import Area

    names = Area.names(settings_from_args(args))
    rows = [{"kind": k, "name": n} for k, v in names.items() if args.kind == k or (args.kind is None and k != "ward") for n in v]
    emit(pd.DataFrame(rows).set_index("kind"), args.format, args.out)
    return 0
