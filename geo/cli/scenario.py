"""``geo scenario``: what-if changes to the sites and their effect on access.

Examples::

    geo scenario add --area Rutland --sites hub --mode drive --threshold 20 \\
        --postcode "LE15 9PZ" --name "Uppingham satellite" --save uppingham.json
    geo scenario remove --area Rutland --sites hub,pharmacy --site-id ods:FC826 --threshold 15
    geo scenario move --area Rutland --site-id seed:tp-oakham --postcode "LE15 9PZ"
    geo scenario compare --scenario uppingham.json

Each action evaluates the changed sites against the baseline for each service studied and for
the nearest site of any type, side by side (adults within before/after, newly within/beyond,
percentage points, mean and median minutes; by IMD decile, rurality and district; LSOAs whose
nearest site changes).  Every figure carries its range (``_low``/``_high``: 10th-90th
percentile over seeded draws of travel-time error and site-location precision, see
docs/uncertainty.md); a change whose range includes zero is "not distinguishable from no
change".  ``--format csv`` writes the per-service table; ``--changed-out FILE`` the changed LSOAs;
``--gpkg FILE`` both as GIS layers (changed LSOA polygons, sites with what changed).  ``--scenario FILE`` starts from a saved scenario and ``--save FILE`` writes the
result, so changes can be built up one command at a time.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from geo import NEW_SITE_TYPE, SITE_TYPES, InputError
from geo.cli._options import add_format_options, add_study_options, study_from_args
from geo.cli._output import emit

ACTIONS = ("add", "remove", "move", "hours", "capacity", "compare")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scenario", help="what-if: add/remove/move sites, change hours; compare access")
    acts = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    for action in ACTIONS:
        a = acts.add_parser(action, help=_HELP[action])
        add_study_options(a, area_required=False)
        a.set_defaults(sites=None, mode=None, network=None, func=run)
        a.add_argument("--scenario", type=Path, default=None, required=action == "compare",
                       help="start from this saved scenario JSON")
        a.add_argument("--save", type=Path, default=None, help="save the scenario (with this change) as JSON")
        a.add_argument("--scenario-name", default=None, help="name of the scenario (default: from the change)")
        a.add_argument("--need-column", default="adults", help="LSOA column weighting the results (default adults)")
        a.add_argument("--at", default=None,
                       help='only sites open at this time, e.g. "Sat 19:00" (known-closed sites drop out; '
                            'sites of unknown hours are kept, and counted apart on stderr)')
        a.add_argument("--show-lsoas", type=int, default=20, help="list this many changed LSOAs (0 = none)")
        a.add_argument("--changed-out", type=Path, default=None,
                       help="write every changed LSOA (per service, minutes before/after with ranges) to this CSV")
        a.add_argument("--gpkg", type=Path, default=None,
                       help="write GIS layers to this GeoPackage: 'scenario_lsoas' (changed LSOA polygons per service, "
                            "minutes before/after with ranges) and 'scenario_sites' (each site added, removed, moved, "
                            "changed or unchanged)")
        a.add_argument("--measure", choices=("nearest", "2sfca", "e2sfca"),
                       default="2sfca" if action == "capacity" else "nearest",
                       help="also report capacity-based access (2SFCA/E2SFCA per 1,000 adults) before and after "
                            f"(default {'2sfca' if action == 'capacity' else 'nearest: travel time only'})")
        a.add_argument("--catchment-minutes", type=float, default=30.0, help="2sfca/e2sfca catchment (default 30)")
        add_format_options(a)
        if action in {"remove", "move", "hours", "capacity"}:
            a.add_argument("--site-id", required=True, help="site to change (see `geo sites`)")
        if action in {"add", "move"}:
            a.add_argument("--postcode", nargs="+", default=None, help="new location by postcode")
            a.add_argument("--easting", type=float, default=None, help="new location, EPSG:27700 metres")
            a.add_argument("--northing", type=float, default=None, help="new location, EPSG:27700 metres")
        if action == "add":
            a.add_argument("--name", required=True, help="name of the new site")
            a.add_argument("--ods", default=None, help="open at an existing pharmacy/GP practice (ODS code)")
            a.add_argument("--from-site", default=None, help="open at this candidate site_id (e.g. ods:FC826)")
            a.add_argument("--type", dest="site_type", default=NEW_SITE_TYPE, choices=tuple(SITE_TYPES),
                           help=f"site type (default {NEW_SITE_TYPE}; see `geo sites types`)")
            a.add_argument("--new-site-id", default=None, help="site_id for the new site")
            a.add_argument("--hours", default="", help="opening hours, OSM syntax (Mo-Fr 09:00-17:00)")
            a.add_argument("--capacity", type=float, default=None, help="capacity (e.g. client places)")
        if action == "hours":
            a.add_argument("--hours", required=True, help="opening hours, OSM syntax")
        if action == "capacity":
            a.add_argument("--capacity", type=float, required=True, help="new capacity")


_HELP = {
    "add": "open a new site (postcode, coordinates, or at a pharmacy/GP practice)",
    "remove": "close a site",
    "move": "relocate a site",
    "hours": "change a site's opening hours",
    "capacity": "change a site's capacity",
    "compare": "evaluate a saved scenario against the baseline",
}


def _change(args: argparse.Namespace) -> Any:
    from geo import AddSite, ChangeCapacity, ChangeHours, MoveSite, RemoveSite

    postcode = " ".join(args.postcode) if getattr(args, "postcode", None) else None
    if args.action in {"add", "move"}:
        has_xy = args.easting is not None and args.northing is not None
        if (args.easting is None) != (args.northing is None):
            msg = "give both --easting and --northing"
            raise InputError(msg)
        located = has_xy or postcode or (args.action == "add" and (args.ods or args.from_site))
        if not located:
            msg = "give a location: --postcode, --easting/--northing" + (
                ", --ods or --from-site" if args.action == "add" else "")
            raise InputError(msg)
    if args.action == "add":
        return AddSite(name=args.name, site_type=args.site_type, easting=args.easting, northing=args.northing,
                       postcode=postcode, ods_code=args.ods, from_site_id=args.from_site, site_id=args.new_site_id,
                       opening_hours=args.hours, capacity=args.capacity)
    if args.action == "remove":
        return RemoveSite(site_id=args.site_id)
    if args.action == "move":
        return MoveSite(site_id=args.site_id, easting=args.easting, northing=args.northing, postcode=postcode)
    if args.action == "hours":
        return ChangeHours(site_id=args.site_id, opening_hours=args.hours)
    import math

    if not math.isfinite(args.capacity) or args.capacity < 0:
        msg = f"--capacity {args.capacity}: give a finite number of places, 0 or more (e.g. 40)"
        raise InputError(msg)
    return ChangeCapacity(site_id=args.site_id, capacity=args.capacity)


def _fill_from_base(args: argparse.Namespace, base: Mapping[str, Any]) -> None:
    """Options not given on the command line come from the saved scenario's ``base``."""
    keys = {"area": "area", "sites": "sites", "mode": "mode", "method": "method", "network": "network",
            "buffer_km": "buffer_km"}
    for dest, key in keys.items():
        if getattr(args, dest, None) is None and base.get(key) is not None:
            setattr(args, dest, base[key])
    if args.mode is None:
        args.mode = "drive"
    if args.threshold is None and base.get("threshold_minutes") is not None:
        args.threshold = (float(base["threshold_minutes"]),)
    if args.area is None:
        msg = "give --area (or --scenario FILE saved with one)"
        raise InputError(msg)
    if not args.in_county_only and base.get("in_county_only"):
        args.in_county_only = True


def run(args: argparse.Namespace) -> int:
    from geo import BaseSpec, Scenario, load_scenario, ranges, save_scenario

    scenario = load_scenario(args.scenario) if args.scenario else None
    _fill_from_base(args, scenario.base if scenario else {})
    if args.action != "compare":
        change = _change(args)
        if scenario is None:
            label = args.scenario_name or (args.name if args.action == "add" else f"{args.action} {args.site_id}")
            scenario = Scenario(name=label)
        scenario = scenario.with_change(change)
    if scenario is None:  # compare always has --scenario (argparse requires it)
        msg = "give --scenario FILE to compare"
        raise InputError(msg)
    study = study_from_args(args, needs_minutes="geo scenario")
    threshold = study.threshold_minutes
    base: BaseSpec = {"area": args.area, "sites": args.sites, "mode": study.travel.mode.value,
            "method": study.travel.method.value, "network": study.travel.network, "threshold_minutes": threshold,
            "buffer_km": args.buffer_km, "in_county_only": args.in_county_only}
    scenario = Scenario(name=args.scenario_name or scenario.name, changes=scenario.changes, base=base,
                        created=scenario.created, description=scenario.description)
    if args.at:  # open, closed and unknown hours are counted apart; unknown ones are kept (assumed open)
        from geo import SiteHours

        print(f"open at {args.at}: {SiteHours(study.sites).open_range(args.at)['text']}; sites of unknown hours are kept "
              "(assumed open)", file=sys.stderr)
    res = study.scenario(scenario, weight_column=args.need_column, at=args.at)
    if args.save:
        save_scenario(scenario, args.save)
        print(f"saved scenario to {args.save}", file=sys.stderr)
    if args.changed_out is not None:
        emit(res["changed_lsoas"].reset_index(), "csv", args.changed_out)
    if args.gpkg is not None:
        from geo import export_scenario_geopackage

        export_scenario_geopackage(args.gpkg, study.area, res, allowed_postcodes=study.public_site_postcodes())
        print(f"wrote {args.gpkg}", file=sys.stderr)
    summary = dict(res["summary"])
    headlines = summary.pop("headlines")
    out: dict[str, Any] = {"summary": summary, "headlines": headlines,
                           "changes": [f"{c.kind}: {_describe(c)}" for c in scenario.changes]}
    by_service = res["by_service"]
    out["by_service"] = (by_service if args.format != "table"
                         else ranges.side_by_side(by_service, ranges.SCENARIO_TABLE, threshold_minutes=threshold,
                                           verdicts=(("verdict", "Verdict (adults within)"),
                                                     ("mean_minutes_verdict", "Verdict (mean minutes)"))))
    for key in ("by_imd_decile", "by_urban_rural", "by_lad"):
        if key in res:
            out[key] = res[key] if args.format != "table" else ranges.collapse_ranges(res[key])
    if args.measure != "nearest":
        cap = study.capacity_change(res["sites_after"], measure=args.measure, catchment_minutes=args.catchment_minutes)
        out["capacity_access"] = cap["summary"]
        if "by_imd_decile" in cap:
            out["capacity_access_by_imd_decile"] = cap["by_imd_decile"]
    if args.format == "csv":
        emit(by_service, "csv", args.out)
        return 0
    if args.show_lsoas > 0 or args.format == "json":
        changed = res["changed_lsoas"]
        out["changed_lsoas"] = changed if args.format == "json" else ranges.collapse_ranges(changed.head(args.show_lsoas))
    if args.format == "json":
        out["uncertainty"] = res["uncertainty"]
    emit(out, args.format, args.out, title=f"Scenario: {scenario.name} ({study.area.name})")
    return 0


def _describe(c: Any) -> str:
    parts = [f"{k}={v}" for k, v in c.model_dump(exclude={"kind"}).items() if v not in (None, "")]
    return ", ".join(parts)
