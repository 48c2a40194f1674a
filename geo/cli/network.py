"""``geo network``: OpenStreetMap road extracts for any English area.

Examples::

    geo network fetch --area Essex                 # Essex + 15 km: the county extracts needed
    geo network fetch --area Rutland --buffer-km 0 # just the Rutland extract
    geo network list                               # the catalogue
    GEO_OSM_MIRROR=http://intranet/osm geo network fetch --area Leicestershire
"""

from __future__ import annotations

import argparse
import sys

from geo import TravelMode
from geo.cli._options import add_format_options, progress_from_args, settings_from_args
from geo.cli._output import emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("network", help="download OpenStreetMap road extracts (Geofabrik or GEO_OSM_MIRROR)")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    f = actions.add_parser("fetch", help="download (or reuse) the extracts covering an area + buffer")
    f.add_argument("--area", required=True, help="LAD, county, ICB, sub-ICB location, region name or code, or 'England'")
    f.add_argument("--buffer-km", type=float, default=15.0,
                   help="also cover LSOAs this far beyond the border (default 15 km, as site buffers)")
    f.add_argument("--refresh", action="store_true", help="ask the server for newer files")
    f.add_argument("--build", choices=[m.value for m in TravelMode.road_modes()], action="append", default=[],
                   help="also build (and cache) this mode's routing graph (repeatable)")
    add_format_options(f)
    f.set_defaults(func=run_fetch)
    ls = actions.add_parser("list", help="the extract catalogue")
    add_format_options(ls)
    ls.set_defaults(func=run_list)


def run_list(args: argparse.Namespace) -> int:
    import pandas as pd

    from geo import RoadExtracts

    rows = [{"extract": e.slug, "name": e.name, "approx_mb": e.approx_mb, "path": e.path}
            for e in RoadExtracts.CATALOGUE.values()]
    emit(pd.DataFrame(rows).set_index("extract"), args.format, args.out,
         title="OpenStreetMap extracts (Geofabrik layout)")
    return 0


def run_fetch(args: argparse.Namespace) -> int:
    from geo import RoadExtracts, Study, StudySpec

    s = settings_from_args(args)
    roads = RoadExtracts(s)
    roads.check_server()  # offline with nothing cached: say so at once, in one line
    area = Study(StudySpec(area=args.area), settings=s).area
    chosen = roads.choose(area, buffer_km=args.buffer_km)
    print(f"{area.name} + {args.buffer_km:g} km: {', '.join(e.slug for e in chosen)} "
          f"(~{sum(e.approx_mb for e in chosen):g} MB) from {roads.server}", file=sys.stderr)
    bar = progress_from_args(args, unit="B", unit_scale=True)
    paths = [roads.fetch(e, progress=bar, refresh=args.refresh) for e in chosen]
    out: dict[str, object] = {"area": area.name, "buffer_km": args.buffer_km,
                              "extracts": [str(p) for p in paths]}
    for mode in args.build:
        net = roads.read(paths, mode=mode)
        out[f"{mode}_network"] = f"{net.n_nodes:,} nodes, {net.n_edges:,} edges"
    emit(out, args.format, args.out, title="OpenStreetMap extracts ready")
    return 0
