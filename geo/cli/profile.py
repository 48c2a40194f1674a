"""``geo profile --area NAME``: population, deprivation, rurality, sites and deaths of an area."""

from __future__ import annotations

import argparse

from geo import Study, StudySpec
from geo.cli._options import add_format_options, add_imd_option, settings_from_args
from geo.cli._output import emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("profile", help="area profile: LSOAs, adults, IMD deciles, rurality, sites, deaths")
    p.add_argument("--area", required=True, help="LAD, county, ICB, sub-ICB location, region, 'England', 'A;B' or polygon file")
    add_imd_option(p)
    add_format_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    prof = Study(StudySpec(area=args.area), settings=settings_from_args(args)).profile()
    if args.format == "csv":
        emit(prof["imd" + prof["imd"].removeprefix("IMD ") + "_deciles"], "csv", args.out)
    else:
        emit(prof, args.format, args.out, title=f"Profile: {prof['area']}")
    return 0
