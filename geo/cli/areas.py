"""``geo areas [--kind lad|county|region|icb|sub_icb|former_district|ward|other]``: names accepted by ``--area``.

Wards (6,800) are listed only with ``--kind ward``."""

from __future__ import annotations

import argparse

import pandas as pd

from geo.cli._options import add_format_options, settings_from_args
from geo.cli._output import emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("areas", help="list area names accepted by --area")
    p.add_argument("--kind", default=None, metavar="KIND",
                   help="one kind only: lad, county, region, icb, sub_icb, former_district, ward, other "
                        "(wards are listed only with --kind ward)")
    add_format_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from geo import Area, InputError

    names = Area.names(settings_from_args(args))
    if args.kind is not None and args.kind not in names:
        msg = f"unknown --kind {args.kind!r}; use one of: {', '.join(names)}"
        raise InputError(msg)
    rows = [{"kind": k, "name": n} for k, v in names.items() if args.kind == k or (args.kind is None and k != "ward") for n in v]
    emit(pd.DataFrame(rows).set_index("kind"), args.format, args.out)
    return 0
