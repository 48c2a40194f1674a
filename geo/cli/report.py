"""``geo report``: a standalone HTML access and equity report for an area.

Example::

    geo report --area Rutland --sites hub,pharmacy --mode drive --threshold 20 --out report.html
    geo report --area Rutland --threshold 15 --out r.html --gpkg r.gpkg --csv r_lsoas.csv
    geo report --area Rutland --sites hub,pharmacy --threshold 15 --scenario sat.json --closure 5 \
        --optimise 2 --out r.html

With several ``--sites`` services the report shows access to each side by side (and the
GeoPackage/CSV carry ``minutes_<service>`` with its range); ``--scenario``, ``--closure`` and
``--optimise`` add planning sections, every figure with its range and verdict.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geo import BREAKDOWNS, PLACE_BREAKDOWNS, Method
from geo.cli._options import add_need_options, add_study_options, build_need, study_from_args

if TYPE_CHECKING:
    from geo import Study


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="standalone HTML report: coverage, equity, outreach, sources")
    add_study_options(p)
    add_need_options(p)
    p.add_argument("--top", type=int, default=20, help="outreach LSOAs listed (default 20)")
    p.add_argument("--title", default=None, help="report title")
    p.add_argument("--by", action="append", choices=(*BREAKDOWNS, *PLACE_BREAKDOWNS), default=None,
                   help="coverage tables to include (repeatable; default: deprivation, rurality, "
                        "district, and former district where districts were merged)")
    p.add_argument("--pdf", action="store_true", help="also write a PDF (needs WeasyPrint)")
    p.add_argument("--no-charts", action="store_true", help="leave out the charts")
    p.add_argument("--out", type=Path, required=True, help="output .html file")
    p.add_argument("--gpkg", type=Path, default=None,
                   help="also write a GeoPackage: layer 'lsoas' (polygons + metrics) and 'sites' (with --scenario "
                        "also 'scenario_lsoas' and 'scenario_sites')")
    p.add_argument("--csv", type=Path, default=None, help="also write the per-LSOA metrics as CSV")
    p.add_argument("--scenario", type=Path, default=None,
                   help="add a section for this saved scenario (geo scenario ... --save FILE), per service with ranges")
    p.add_argument("--closure", type=int, default=0, metavar="N",
                   help="add the N most harmful closures, per service with ranges (default 0 = none)")
    p.add_argument("--optimise", type=int, default=0, metavar="K",
                   help="add the best K new sites per service, ranked by the gain they can show (default 0 = none)")
    p.add_argument("--candidates", default="pharmacy,gp,town",
                   help="candidate locations for --optimise: pharmacy, gp, town (default all three)")
    p.set_defaults(func=run)


def _sections(study: Study, args: argparse.Namespace) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Scenario, closure and optimiser sections the flags ask for (each per service, with ranges),
    and the scenario's GIS layers for ``--gpkg``."""
    from geo import report

    out, layers = [], {}
    t = study.threshold_minutes
    if args.scenario is not None:
        from geo import load_scenario, scenario_layers

        answer = study.scenario(load_scenario(args.scenario))
        out.append(report.scenario_section(answer, threshold_minutes=t))
        if args.gpkg is not None:
            layers = scenario_layers(study.area, answer, allowed_postcodes=study.public_site_postcodes())
    if args.closure > 0:
        out.append(report.closure_section(study.closure(), threshold_minutes=t, top=args.closure))
    if args.optimise > 0:
        kinds = [k.strip() for k in args.candidates.split(",") if k.strip()]
        cand = study.candidates(kinds)
        out.append(report.optimiser_section(study.optimise(cand, k=args.optimise), threshold_minutes=t))
    return out, layers


def run(args: argparse.Namespace) -> int:
    from geo import report

    study = study_from_args(args, needs_minutes="geo report")
    s, area, sites, times, label = study.settings, study.area, study.sites, study.baseline_times, study.label
    need = build_need(study, args)
    sections, layers = _sections(study, args)
    notes = [f"Sites counted: {study.sites_label}."]
    allowed = None
    if args.gpkg is not None:
        allowed = study.public_site_postcodes()
    res = report.build_report(area, times, out_path=args.out, threshold_minutes=study.threshold_minutes, sites=sites,
                       need=need, settings=s, pdf=args.pdf, router_label=label, mode_label=study.travel.mode.label,
                       title=args.title, outreach_top=args.top, notes=notes,
                       charts=not args.no_charts, gpkg_path=args.gpkg, csv_path=args.csv,
                       allowed_postcodes=allowed, gpkg_layers=layers, breakdowns=args.by,
                       network=study.context_network(), services=study.services, sections=sections)
    # routed times say how (network or timetable), from the one vocabulary
    tag = "ESTIMATED times" if res["is_estimate"] else f"{Method.of_result(study.router.method).value} times"
    print(f"wrote {res['html']} ({tag}; {res['headline']['pct_beyond']:.1f}% of adults "
          f"{study.threshold_minutes:g}+ min)", file=sys.stderr)
    if args.pdf:
        print(res["pdf_note"], file=sys.stderr)
    for key in ("gpkg", "csv"):
        if res[key] is not None:
            print(f"wrote {res[key]}", file=sys.stderr)
    return 0
