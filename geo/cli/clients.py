"""``geo clients summarise``: disclosure-controlled summary of a client extract for an area.

Every output (any ``--table``, any ``--format``) comes from one
:func:`geo.measures.client_release.build_release`, so all of them together reveal no count of 1-4.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo.cli._options import add_format_options, settings_from_args
from geo.cli._output import emit

TABLES = ("summary", "all", "quintile", "decile", "lad", "lsoa")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("clients", help="summarise a treatment-client extract (counts 1-4 suppressed)")
    csub = p.add_subparsers(dest="clients_command", required=True, metavar="ACTION")
    sm = csub.add_parser("summarise", aliases=["summarize"],
                         help="clients per 1,000 adults and by IMD quintile; small counts suppressed")
    sm.add_argument("--file", type=Path, required=True,
                    help="client CSV: one row per client with a postcode or lsoa21cd column")
    sm.add_argument("--area", required=True, help="study area (e.g. Northamptonshire)")
    sm.add_argument("--table", choices=TABLES, default="summary",
                    help="what to output: summary (headline, quintiles, districts), all, or one table "
                         "(csv needs a single table: quintile, decile, lad or lsoa)")
    sm.add_argument("--round-to", type=int, default=None, help="round visible counts to this base (e.g. 5)")
    sm.add_argument("--list-unmapped-rows", action="store_true",
                    help="print the row numbers that could not be mapped (to fix the file; not for publication)")
    add_format_options(sm)
    sm.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from geo.data.areas import select_area
    from geo.measures.client_release import build_release
    from geo.measures.clients import read_client_extract

    s = settings_from_args(args)
    area = select_area(args.area, settings=s)
    clients = read_client_extract(args.file, s, source=str(args.file))
    release = build_release(clients, area, round_to=args.round_to)
    label = " (SYNTHETIC DATA)" if release.headline["synthetic_data"] else ""
    if args.table == "summary":
        obj = release.summary()
        if args.format == "csv":
            obj = release.by_quintile
    elif args.table == "all":
        obj = release.everything()
    else:
        obj = release.table(args.table)
    emit(obj, args.format, args.out, title=f"Clients in {area.name}{label}")
    not_mapped = release.headline["rows_not_mapped"]
    if not_mapped:
        print(f"{not_mapped} row(s) could not be mapped to an LSOA and are not counted"
              + ("" if args.list_unmapped_rows else "; add --list-unmapped-rows to see which"), file=sys.stderr)
        if args.list_unmapped_rows:
            rows = ", ".join(str(r) for r in release.unmapped_rows[:50])
            print(f"rows to fix (not for publication): {rows}" + (" ..." if len(release.unmapped_rows) > 50 else ""),
                  file=sys.stderr)
    return 0
