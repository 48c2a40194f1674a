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

from geo.cli._options import add_need_options, add_study_options, build_need, study_from_args
from geo.measures.coverage import BREAKDOWNS, PLACE_BREAKDOWNS

if TYPE_CHECKING:
    from geo.planning.study import Study
    from geo.travel.network import Network


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
                   help="also write a GeoPackage: layer 'lsoas' (polygons + metrics) and 'sites'")
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


def _context_network(study: Study) -> Network | None:
    """The drive network whose main roads the report maps draw: the one routed on, else a bundled
    extract covering the area (never a download just for the map)."""
    from geo.travel.network import Network, network_for_area

    net = getattr(study.router, "network", None) if study.is_time else None
    if isinstance(net, Network) and net.mode == "drive":
        return net
    source = str(study.travel.network)
    if source.lower() in {"download", "none", "estimate"} or source.lower().startswith("place:"):
        source = "auto"
    return network_for_area(study.area, mode="drive", settings=study.settings, source=source)


def _sections(study: Study, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Scenario, closure and optimiser sections the flags ask for (each per service, with ranges)."""
    from geo.outputs import report_sections

    out = []
    t = study.threshold_minutes
    if args.scenario is not None:
        from geo.planning.scenario_file import load_scenario

        out.append(report_sections.scenario_section(study.scenario(load_scenario(args.scenario)), threshold_minutes=t))
    if args.closure > 0:
        out.append(report_sections.closure_section(study.closure(), threshold_minutes=t, top=args.closure))
    if args.optimise > 0:
        from geo.planning.candidates import load_candidates

        kinds = [k.strip() for k in args.candidates.split(",") if k.strip()]
        cand = load_candidates(kinds, study.area, settings=study.settings, existing=study.sites)
        out.append(report_sections.optimiser_section(study.optimise(cand, k=args.optimise), threshold_minutes=t))
    return out


def run(args: argparse.Namespace) -> int:
    from geo.outputs.report import build_report

    study = study_from_args(args, needs_minutes="geo report")
    s, area, sites, times, label = study.settings, study.area, study.sites, study.baseline_times, study.label
    need = build_need(study, args)
    sections = _sections(study, args)
    notes = [f"Sites counted: {study.sites_label}."]
    allowed = None
    if args.gpkg is not None:
        from geo.data.sites import public_site_postcodes

        allowed = public_site_postcodes(s)
    res = build_report(area, times, out_path=args.out, threshold_minutes=study.threshold_minutes, sites=sites,
                       need=need, settings=s, pdf=args.pdf, router_label=label, mode_label=study.travel.mode.label,
                       title=args.title, outreach_top=args.top, notes=notes,
                       charts=not args.no_charts, gpkg_path=args.gpkg, csv_path=args.csv,
                       allowed_postcodes=allowed, breakdowns=args.by,
                       network=_context_network(study), services=study.services, sections=sections)
    tag = "ESTIMATED times" if res["is_estimate"] else "network times"
    print(f"wrote {res['html']} ({tag}; {res['headline']['pct_beyond']:.1f}% of adults "
          f"{study.threshold_minutes:g}+ min)", file=sys.stderr)
    if args.pdf:
        print(res["pdf_note"], file=sys.stderr)
    for key in ("gpkg", "csv"):
        if res[key] is not None:
            print(f"wrote {res[key]}", file=sys.stderr)
    return 0
