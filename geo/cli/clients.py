"""``geo clients summarise``: disclosure-controlled summary of a client extract for an area."""

from __future__ import annotations

import argparse
from pathlib import Path

from geo.cli._options import add_format_options, add_imd_option, settings_from_args
from geo.cli._output import emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("clients", help="summarise a treatment-client extract (counts 1-4 suppressed)")
    csub = p.add_subparsers(dest="clients_command", required=True, metavar="ACTION")
    sm = csub.add_parser("summarise", aliases=["summarize"],
                         help="clients per 1,000 adults and by IMD quintile; small counts suppressed")
    sm.add_argument("--file", type=Path, required=True,
                    help="client CSV: one row per client with a postcode or lsoa21cd column")
    sm.add_argument("--area", required=True, help="study area (e.g. Northamptonshire)")
    sm.add_argument("--table", choices=("summary", "quintile", "lad", "lsoa"), default="summary",
                    help="what to output (csv needs a single table: quintile, lad or lsoa)")
    sm.add_argument("--round-to", type=int, default=None, help="round visible counts to this base (e.g. 5)")
    add_imd_option(sm)
    add_format_options(sm)
    sm.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from geo.data.areas import select_area
    from geo.measures.clients import client_counts, penetration, read_client_extract, summarise_clients
    from geo.measures.disclosure import check_disclosure

    s = settings_from_args(args)
    area = select_area(args.area, settings=s)
    clients = read_client_extract(args.file, s, source=str(args.file))
    summary = summarise_clients(clients, area, round_to=args.round_to)
    label = " (SYNTHETIC DATA)" if summary["synthetic_data"] else ""
    if args.table == "lsoa":
        obj = penetration(client_counts(clients, area), area, round_to=args.round_to)
    elif args.table == "quintile":
        obj = summary["by_imd_quintile"]
    elif args.table == "lad":
        obj = summary["by_lad"]
    else:
        obj = summary
        if args.format == "csv":
            obj = summary["by_imd_quintile"]
    for frame in ([obj] if not isinstance(obj, dict) else [v for v in obj.values() if hasattr(v, "columns")]):
        check_disclosure(frame, count_cols=["clients"], source="clients summary")
    emit(obj, args.format, args.out, title=f"Clients in {area.name}{label}")
    problems = clients.attrs.get("problems", [])
    if problems:
        import sys

        shown = "; ".join(f"row {p['row']}: {p['problem']}" for p in problems[:10])
        print(f"{len(problems)} row(s) not mapped to an LSOA (not counted): {shown}"
              + (" ..." if len(problems) > 10 else ""), file=sys.stderr)
    return 0
