"""``geo clients summarise``: a client extract summarised for an area, from its one protected base.

Every output (any ``--table``, any ``--format``, the GeoPackage) is a sum of the extract's
perturbed LSOA counts (:func:`geo.measures.client_base.build_client_base`, cell key method), so any
number of runs over any areas reveals nothing beyond that base; each says how the counts were
perturbed and gives every count's error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo import CLIENT_LABEL_COL as LABEL_COL
from geo import Study, StudySpec
from geo.cli._options import add_format_options, add_imd_option, settings_from_args
from geo.cli._output import emit

TABLES = ("summary", "all", "quintile", "decile", "lad", "ward", "lsoa")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("clients", help="summarise a treatment-client extract (counts perturbed, cell key method)")
    csub = p.add_subparsers(dest="clients_command", required=True, metavar="ACTION")
    sm = csub.add_parser("summarise", aliases=["summarize"],
                         help="clients per 1,000 adults, by IMD quintile, district and ward; counts perturbed")
    sm.add_argument("--file", type=Path, required=True,
                    help="client CSV: one row per client with a postcode or lsoa21cd column")
    sm.add_argument("--area", required=True, help="study area (e.g. Northamptonshire)")
    sm.add_argument("--table", choices=TABLES, default="summary",
                    help="what to output: summary (headline, quintiles, districts), all, or one table "
                         "(csv needs a single table: quintile, decile, lad, ward or lsoa)")
    sm.add_argument("--round-to", type=int, default=None, help="also round every count to this base (e.g. 5)")
    sm.add_argument("--gpkg", type=Path, default=None,
                    help="also write the LSOA, ward and district tables with boundaries as a GeoPackage")
    add_imd_option(sm)
    sm.add_argument("--list-unmapped-rows", action="store_true",
                    help="print the row numbers that could not be mapped (to fix the file; not for publication)")
    add_format_options(sm)
    sm.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    study = Study(StudySpec(area=args.area), settings=settings_from_args(args))
    area = study.area
    clients = study.read_clients(args.file, source=str(args.file))
    release = study.client_release(study.client_base(clients), round_to=args.round_to)
    label = " (SYNTHETIC DATA)" if release.headline["synthetic_data"] else ""
    if args.table == "summary":
        obj = release.summary()
        if args.format == "csv":
            obj = release.by_quintile
    elif args.table == "all":
        obj = release.everything()
    else:
        obj = release.table(args.table)
    if args.format == "table":  # the title says how the counts were protected; the columns need not
        obj = obj.drop(columns=LABEL_COL) if not isinstance(obj, dict) else \
            {k: v.drop(columns=LABEL_COL) if hasattr(v, "columns") else v for k, v in obj.items() if k != LABEL_COL}
    emit(obj, args.format, args.out, title=f"Clients in {area.name}{label}: {release.label}")
    if args.gpkg is not None:
        from geo import export

        export.export_client_geopackage(args.gpkg, release, area)
        print(f"wrote {args.gpkg}", file=sys.stderr)
    head = release.headline
    print(f"rows not mapped to an LSOA (not counted): about {head['rows_not_mapped']} "
          f"(+/- {head['rows_not_mapped_error']}, perturbed)"
          + ("" if args.list_unmapped_rows else "; add --list-unmapped-rows to see which"), file=sys.stderr)
    if args.list_unmapped_rows:
        rows = ", ".join(str(r) for r in release.unmapped_rows[:50]) or "none"
        print(f"rows to fix (not for publication): {rows}" + (" ..." if len(release.unmapped_rows) > 50 else ""),
              file=sys.stderr)
    return 0
