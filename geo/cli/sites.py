"""``geo sites list|check``: the sites registry for an area, and checks of a user's sites file."""

from __future__ import annotations

import argparse
from pathlib import Path

from geo.cli._options import add_area_options, add_format_options, settings_from_args, sites_study_from_args
from geo.cli._output import emit

_COLUMNS = ["site_id", "name", "site_type", "town", "postcode", "location_precision", "in_area",
            "opening_hours", "source"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sites", help="list service sites of an area, or check a sites file")
    ssub = p.add_subparsers(dest="sites_command", required=True, metavar="ACTION")
    ls = ssub.add_parser("list", help="sites in (and near) an area")
    add_area_options(ls)
    ls.add_argument("--sites", default="all", help="comma-separated site types or 'all'")
    ls.add_argument("--add", action="append", type=Path, default=[], help="user sites file (CSV/GeoJSON)")
    add_format_options(ls)
    ls.set_defaults(func=run_list)
    ck = ssub.add_parser("check", help="validate and geocode a sites CSV/GeoJSON; lists every bad row")
    ck.add_argument("file", type=Path)
    add_format_options(ck)
    ck.set_defaults(func=run_check)


def run_list(args: argparse.Namespace) -> int:
    from geo.data.sites import unlocated_sites

    study = sites_study_from_args(args)
    sites = study.sites
    emit(sites[_COLUMNS].set_index("site_id"), args.format, args.out,
         title=f"Sites in and within {study.buffer_km:g} km of {study.area.name}")
    bad = unlocated_sites(sites)
    if len(bad):
        emit(bad, "table", None, title="Not located (not included above)")
    return 0


def run_check(args: argparse.Namespace) -> int:
    from geo.data.sites import read_sites_file, unlocated_sites

    s = settings_from_args(args)
    sites = read_sites_file(args.file, s, on_unlocated="report")
    emit(sites[[c for c in _COLUMNS if c != "in_area"]].set_index("site_id"), args.format, args.out,
         title=f"{args.file}: {len(sites)} site(s) located")
    bad = unlocated_sites(sites)
    if len(bad):
        emit(bad, "table", None, title=f"{len(bad)} row(s) could not be located")
        return 1
    return 0
