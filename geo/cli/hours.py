"""``geo hours check|at``: check opening hours, and list which sites are open at a time of the week."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from geo.cli._options import add_area_options, add_format_options, settings_from_args
from geo.cli._output import emit

if TYPE_CHECKING:
    import pandas as pd

    from geo import Settings


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
    at.add_argument("--sites", default="all",
                    help="comma-separated site types and/or services or 'all' (e.g. hub,pharmacy or nsp)")
    at.add_argument("--add", action="append", type=Path, default=[], help="user sites file (CSV/GeoJSON)")
    at.add_argument("--osm", type=Path, default=None,
                    help="OpenStreetMap extract (.osm.pbf/.osm): take pharmacies' opening_hours from it "
                         "(your own lists still win)")
    at.add_argument("--missing", choices=("range", "open", "closed", "error"), default="range",
                    help="sites with no opening hours: 'range' (default) gives the count under both "
                         "assumptions; or assume 'open' / 'closed'; or 'error'")
    at.add_argument("--all", action="store_true", help="list closed sites too")
    add_format_options(at)
    at.set_defaults(func=run_at)


def _read_any(path: Path, s: Settings) -> pd.DataFrame:
    from geo import SiteLists

    if path.suffix.lower() == ".csv":
        return SiteLists.read_table(path, source=str(path))
    return SiteLists(s).read(path, on_unlocated="report")


def run_check(args: argparse.Namespace) -> int:
    from geo import SiteHours, SiteLists

    s = settings_from_args(args)
    sites = _read_any(args.sites, s) if args.sites else SiteLists(s).seed()
    hours = SiteHours(sites, use_text=not args.no_text)
    report = hours.validate()
    if not (report["status"] == "invalid").any():
        week = hours.weekly_summary(missing="closed")
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
    """Sites open, closed and of unknown hours at a time of the week (counted apart).

    ``state`` is what the hours say (``open``, ``closed`` or ``hours unknown``: nothing assumed);
    with ``--missing open``/``closed`` the ``counted_as`` column applies that assumption to the
    unknown ones.  ``hours_sources`` lists where hours were looked for, per site.
    """
    from geo import SiteHours, Study, StudySpec, parse_site_types

    SiteHours.parse_when(args.when)  # fail on a bad time before loading any data
    s = settings_from_args(args)
    study = Study(StudySpec(area=args.area, buffer_km=args.buffer_km), settings=s)
    area = study.area
    extra: list = list(args.add)
    if args.osm:
        from geo import SiteLists

        h = SiteLists(s).from_osm(args.osm)
        print(h.summary(), file=sys.stderr)
        extra.append(h.sites)
    sites = study.site_list(types=parse_site_types(args.sites), extra=extra)
    rng = SiteHours(sites, source="sites").open_range(args.when)
    if args.missing == "error" and rng["hours_unknown"]:
        from geo import InputError

        ids = sites["site_id"].astype(str).to_numpy()[rng["states"] == "hours unknown"]
        msg = (f"sites: {len(ids)} site(s) have no opening hours ({', '.join(ids[:5])}{' ...' if len(ids) > 5 else ''}); "
               "add OSM opening_hours or choose --missing open, closed or range")
        raise InputError(msg)
    for w in rng["hours_warnings"][:5]:
        print(f"warning: hours of {w}", file=sys.stderr)
    states = rng["states"]
    counted = np.where(states == "hours unknown",
                       {"open": "open (assumed)", "closed": "closed (assumed)"}.get(args.missing, "unknown"), states)
    table = sites[["site_id", "name", "site_type", "services", "town", "in_area", "opening_hours"]].assign(
        state=states, counted_as=counted,
        hours_sources=SiteHours(sites).provenance(osm_checked=args.osm.name if args.osm else None).to_numpy(),
    ).set_index("site_id")
    shown = table if args.all else table[table["state"] != "closed"]
    title = f"Sites in and near {area.name}. {rng['text']}"
    if args.missing in {"open", "closed"} and rng["hours_unknown"]:
        title += f"; the {rng['hours_unknown']} of unknown hours are assumed {args.missing} (counted_as)"
    emit(shown, args.format, args.out, title=title)
    return 0
