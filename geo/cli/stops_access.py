"""``geo stops-access --area NAME``: share of adults with no bus stop within 400 m / 800 m (NaPTAN)."""

from __future__ import annotations

import argparse

from geo import Study, StudySpec
from geo.cli._options import add_format_options, settings_from_args
from geo.cli._output import emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "stops-access",
        help="bus-stop access proxy (no timetable): distance from each LSOA to the nearest NaPTAN bus stop")
    p.add_argument("--area", required=True, help="LAD, county, 'A;B' or polygon file inside the NaPTAN coverage")
    p.add_argument("--circuity", type=float, default=None,
                   help="street/straight-line distance factor for walking minutes (default 1.3)")
    p.add_argument("--per-lsoa", action="store_true", help="print the per-LSOA table instead of the summary")
    add_format_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    study = Study(StudySpec(area=args.area), settings=settings_from_args(args))
    area = study.area
    access = study.stop_access(circuity_factor=args.circuity)
    if args.per_lsoa or args.format == "csv":
        emit(access.lsoas, args.format, args.out, title=f"Bus-stop access by LSOA: {area.name}")
        return 0
    summary = access.summary()
    emit(summary, args.format, args.out, title=f"Bus-stop access (NaPTAN): {area.name}")
    return 0
