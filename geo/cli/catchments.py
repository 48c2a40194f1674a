"""``geo catchments``: isochrone polygons per site and time band (GeoPackage/GeoJSON)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo import InputError
from geo.cli._options import add_study_options, study_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("catchments", help="catchment isochrones per site for time bands")
    add_study_options(p, thresholds=False)
    p.add_argument("--bands", default="10,20,30,45,60", help="minutes, comma separated")
    p.add_argument("--site-id", action="append", default=[], help="only these sites (repeatable)")
    p.add_argument("--out", type=Path, required=True, help=".gpkg or .geojson output file")
    p.set_defaults(func=run)


def parse_bands(text: str) -> tuple[float, ...]:
    """``"10,20,30"`` -> (10.0, 20.0, 30.0) with a clear error."""
    try:
        bands = tuple(float(b) for b in str(text).split(",") if b.strip())
    except ValueError as exc:
        msg = f"--bands {text!r}: give minutes separated by commas, e.g. 10,20,30"
        raise InputError(msg) from exc
    if not bands or min(bands) <= 0:
        msg = f"--bands {text!r}: every band must be a positive number of minutes"
        raise InputError(msg)
    return bands


def run(args: argparse.Namespace) -> int:
    from geo import export

    bands = parse_bands(args.bands)
    out = Path(args.out)
    export.catchment_driver(out)  # a wrong suffix fails before any routing
    study = study_from_args(args, needs_minutes="geo catchments")
    sites = study.sites
    if args.site_id:
        unknown = sorted(set(args.site_id) - set(sites["site_id"]))
        if unknown:
            msg = f"--site-id {unknown[0]}: no such site here; list them with `geo sites list --area ...`"
            raise InputError(msg)
        sites = sites[sites["site_id"].isin(args.site_id)]
    iso = study.isochrones(bands, sites=sites)
    for text in iso.attrs.get("warnings", []):
        print(f"warning: {text}", file=sys.stderr)
    if len(iso) == 0:
        msg = (f"no catchment has any area for these {len(sites)} site(s) ({study.router.label}); "
               "nothing written - check the sites lie on the road network or widen --bands")
        raise InputError(msg)
    iso["label"] = study.router.label
    export.export_catchments(out, iso)
    print(f"wrote {len(iso)} catchment polygons for {len(sites)} sites to {out} "
          f"({study.router.label})", file=sys.stderr)
    return 0
