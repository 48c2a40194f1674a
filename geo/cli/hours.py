"""``geo hours check|at``: check opening hours, and list which sites are open at a time of the week."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from geo.cli._options import add_area_options, add_format_options, settings_from_args, sites_study_from_args
from geo.cli._output import emit

if TYPE_CHECKING:
    import pandas as pd

    from geo.config import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("hours", help="opening hours: check they parse, or list sites open at a time")
    hsub = p.add_subparsers(dest="hours_command", required=True, metavar="ACTION")
    ck = hsub.add_parser("check", help="list sites and whether their opening_hours parse (OSM syntax)")
    ck.add_argument("--sites", type=Path, default=None,
                    help="sites CSV/GeoJSON with an opening_hours column (default: the seed registry)")
    ck.add_argument("--no-text", action="store_true",
                    help="do not convert opening_hours_text when opening_hours is empty")
    add_format_options(ck)
    ck.set_defaults(func=run_check)
    at = hsub.add_parser("at", help="which sites are open at a time, e.g. 'Sat 19:00' or 'weekday 09:00'")
    at.add_argument("when", help="day and time ('Sat 19:00', 'Tuesday 9am', 'weekday 17:30') or ISO datetime; "
                                 "days fall in the reference week of Mon 23 Nov 2026 (no bank holidays)")
    add_area_options(at)
    at.add_argument("--sites", default="all", help="comma-separated site types or 'all' (e.g. hub,pharmacy)")
    at.add_argument("--add", action="append", type=Path, default=[], help="user sites file (CSV/GeoJSON)")
    at.add_argument("--missing", choices=("open", "closed", "error"), required=True,
                    help="what to assume for sites with no opening hours (pharmacies have none): "
                         "'open', 'closed' or 'error'")
    at.add_argument("--all", action="store_true", help="list closed sites too")
    add_format_options(at)
    at.set_defaults(func=run_at)


def _read_any(path: Path, s: Settings) -> pd.DataFrame:
    from geo.data.uploads import read_user_csv

    if path.suffix.lower() == ".csv":
        return read_user_csv(path, source=str(path))
    from geo.data.sites import read_sites_file

    return read_sites_file(path, s, on_unlocated="report")


def run_check(args: argparse.Namespace) -> int:
    from geo.data.sites import load_seed_sites
    from geo.measures.hours import validate_hours, weekly_summary

    s = settings_from_args(args)
    sites = _read_any(args.sites, s) if args.sites else load_seed_sites(s)
    report = validate_hours(sites, use_text=not args.no_text)
    if not (report["status"] == "invalid").any():
        week = weekly_summary(sites, missing="closed", use_text=not args.no_text)
        report["open_hours_per_week"] = week["open_hours_per_week"].where(~week["hours_assumed"]).to_numpy()
        report["evenings"] = week["open_weekday_evenings"].where(~week["hours_assumed"]).to_numpy()
        report["weekend"] = week["open_weekend"].where(~week["hours_assumed"]).to_numpy()
    report = report.set_index("row")
    name = args.sites or "seed registry"
    counts = report["status"].value_counts().to_dict()
    emit(report, args.format, args.out,
         title=f"{name}: {len(report)} site(s); " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return 1 if counts.get("invalid") else 0


def run_at(args: argparse.Namespace) -> int:
    from geo.measures.hours import is_open_at, parse_when

    parse_when(args.when)  # fail on a bad time before loading any data
    study = sites_study_from_args(args)
    area, sites = study.area, study.sites
    is_open = is_open_at(sites, args.when, missing=args.missing, source="sites")
    notes = is_open.attrs
    assumed = set(notes["assumed_open"]) | set(notes["assumed_closed"])
    table = sites[["site_id", "name", "site_type", "town", "in_area", "opening_hours"]].assign(
        open=is_open.to_numpy(),
        basis=["assumed " + notes["missing_policy"] if i in assumed else
               "opening_hours_text" if i in notes["from_text"] else "opening_hours"
               for i in sites["site_id"].astype(str)],
    ).set_index("site_id")
    shown = table if args.all else table[table["open"]]
    title = (f"{int(is_open.sum())} of {len(sites)} site(s) open at {notes['weekday']} {notes['when'][11:]} "
             f"in/near {area.name}; {len(assumed)} without hours assumed {notes['missing_policy']}")
    emit(shown, args.format, args.out, title=title)
    return 0
