"""``geo sites list|check|import|types``: the sites registry for an area (with coordinates, precision,
source and services), checks of a user's sites file, import of a commissioner's list, and the
site types every command knows (:data:`geo.data.site_types.SITE_TYPES`).

Examples::

    geo sites types
    geo sites list --area Leicestershire --sites nsp,supervised_consumption --format geojson --out nsp.geojson
    geo sites import leicester_nsp.xlsx --services nsp --save leicester-nsp
    geo coverage --area Leicester --sites nsp --mode walk     # uses the saved list
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo import SITE_TYPES, Study, StudySpec, formats
from geo.cli._options import add_area_options, settings_from_args, site_help
from geo.cli._output import emit

_COLUMNS = ["site_id", "name", "site_type", "services", "town", "postcode", "easting", "northing", "lat", "lon",
            "location_precision", "in_area", "commissioner", "opening_hours", "hours_source", "hours_sources", "source"]


def _format_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=[*formats.FORMATS, *formats.POINT_FORMATS], default="table", help="output format (geojson: one point per site)")
    p.add_argument("--out", type=Path, default=None, help="write to this file instead of stdout")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sites", help="list service sites of an area, check a sites file, import a commissioner's list")
    ssub = p.add_subparsers(dest="sites_command", required=True, metavar="ACTION")
    ls = ssub.add_parser("list", help="sites in (and near) an area, with coordinates, precision, source and services")
    add_area_options(ls)
    ls.add_argument("--sites", default="all", help=f"{site_help()} or 'all'")
    ls.add_argument("--add", action="append", type=Path, default=[], help="user sites file (CSV/GeoJSON)")
    ls.add_argument("--osm", type=Path, default=None,
                    help="OpenStreetMap extract (.osm.pbf/.osm): add pharmacies' hours and harm-reduction tags")
    _format_options(ls)
    ls.set_defaults(func=run_list)
    ck = ssub.add_parser("check", help="validate and geocode a sites CSV/GeoJSON; lists every bad row")
    ck.add_argument("file", type=Path)
    _format_options(ck)
    ck.set_defaults(func=run_check)
    im = ssub.add_parser("import", help="match a commissioner's list (CSV/XLSX: ODS code, or name + postcode; "
                                        "services; hours) to the NHS pharmacy registry")
    im.add_argument("file", type=Path)
    im.add_argument("--services", default="",
                    help="services of rows that name none, e.g. 'nsp' for a list of NSP pharmacies")
    im.add_argument("--type", dest="site_type", default="pharmacy", choices=tuple(SITE_TYPES),
                    help="site type of unmatched rows (default pharmacy)")
    im.add_argument("--save", default=None,
                    help="save as a registered list under this name: every command then uses it "
                         "(folder: GEO_USER_SITES_DIR, else data/sites/user)")
    im.add_argument("--replace", action="store_true", help="overwrite a saved list of the same name")
    im.add_argument("--sites-out", type=Path, default=None, help="also write the matched sites as CSV here "
                                                                 "(usable with --extra-sites)")
    _format_options(im)
    im.set_defaults(func=run_import)
    ty = ssub.add_parser("types", help="the site types: label, services offered by default, marker, where they come from")
    ty.add_argument("--format", choices=formats.FORMATS, default="table", help="output format")
    ty.add_argument("--out", type=Path, default=None, help="write to this file instead of stdout")
    ty.set_defaults(func=run_types)


def with_lonlat(sites):
    """Add WGS84 ``lat``/``lon`` (6 d.p.) to a sites frame."""
    from geo import lonlat_from_bng

    lon, lat = lonlat_from_bng(sites["easting"].to_numpy(float), sites["northing"].to_numpy(float))
    return sites.assign(lat=lat.round(6), lon=lon.round(6))


def _emit_sites(sites, fmt: str, out: Path | None, *, title: str) -> None:
    cols = [c for c in _COLUMNS if c in sites.columns]
    if fmt in formats.POINT_FORMATS:  # one point per site, every column a property
        emit(sites[cols], fmt, out)
        return
    table = sites[cols].set_index("site_id")
    if fmt == "table":  # coordinates as text: metres whole, degrees to 6 places
        for c, f in (("easting", "{:.0f}"), ("northing", "{:.0f}"), ("lat", "{:.6f}"), ("lon", "{:.6f}")):
            if c in table.columns:
                table[c] = table[c].map(lambda v, f=f: "" if v != v else f.format(v))
    emit(table, fmt, out, title=title)


def run_types(args: argparse.Namespace) -> int:
    import pandas as pd

    rows = [{"site_type": t.name, "label": t.label, "default_services": ";".join(t.services),
             "marker": f"{t.shape} {t.colour} {t.glyph}", "commissioned": t.commissioned, "national": t.national,
             "source": t.source} for t in SITE_TYPES.values()]
    emit(pd.DataFrame(rows).set_index("site_type"), args.format, args.out, title="Site types")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from geo import SiteHours, SiteLists, parse_site_types

    s = settings_from_args(args)
    study = Study(StudySpec(area=args.area, buffer_km=args.buffer_km), settings=s)
    area, buffer_km = study.area, study.buffer_km
    extra: list = list(args.add)
    if args.osm:
        extra.append(SiteLists(s).from_osm(args.osm).sites)
    types = parse_site_types(args.sites)
    sites = study.site_list(types=types, extra=extra)
    sites = with_lonlat(sites.assign(hours_sources=SiteHours(sites).provenance(osm_checked=args.osm.name if args.osm else None)))
    _emit_sites(sites, args.format, args.out, title=f"Sites in and within {buffer_km:g} km of {area.name}")
    expected = study.known_vs_expected(study.site_list(types=types, extra=extra, include_pharmacies=False))
    expected = expected[expected["service"].isin(types) | expected["site_type"].isin(types)]
    for msg in expected["message"]:
        print(f"known vs expected: {msg}", file=sys.stderr)
    bad = SiteLists.unlocated(sites)
    if len(bad) and "area" in bad.columns:  # seed services named for another area are not this area's gap
        names = {area.name.lower(), *(str(n).lower() for n in area.lsoas.get("lad24nm", []))}
        here = [not str(a) or any(str(a).lower() in n or n in str(a).lower() for n in names) for a in bad["area"]]
        bad = bad[here]
    if len(bad):
        cols = [c for c in ("site_id", "name", "services", "area", "problem") if c in bad.columns]
        text = bad[cols].to_string(index=False)
        print(f"Named but not located ({len(bad)}, not on the map or in any figure):\n{text}", file=sys.stderr)
    return 0


def run_check(args: argparse.Namespace) -> int:
    from geo import SiteLists

    s = settings_from_args(args)
    sites = with_lonlat(SiteLists(s).read(args.file, on_unlocated="report"))
    _emit_sites(sites, args.format, args.out, title=f"{args.file}: {len(sites)} site(s) located")
    bad = SiteLists.unlocated(sites)
    if len(bad):
        emit(bad, "table", None, title=f"{len(bad)} row(s) could not be located")
        return 1
    return 0


def run_import(args: argparse.Namespace) -> int:
    from geo import SiteLists

    s = settings_from_args(args)
    lists = SiteLists(s)
    res = lists.import_file(args.file, default_services=args.services, default_type=args.site_type,
                            list_name=args.save)
    print(res.summary(), file=sys.stderr)
    fmt = "table" if args.format in formats.POINT_FORMATS else args.format
    emit(res.report.set_index("row"), fmt, args.out, title=f"Match report: {res.summary()}")
    if args.save:
        path = lists.save(res.sites, args.save, overwrite=args.replace)
        print(f"saved {len(res.sites)} site(s) as list '{args.save}' ({path}); every command now uses it "
              "(select them with --sites and the service, e.g. --sites nsp)", file=sys.stderr)
    if args.sites_out:
        lists.save(res.sites, args.sites_out.stem, folder=args.sites_out.parent, overwrite=True)
        print(f"wrote {args.sites_out}", file=sys.stderr)
    return 0
