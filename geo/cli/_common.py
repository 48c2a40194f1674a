"""Shared helpers for CLI commands: settings, common options and output formatting."""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.config import Settings

FORMATS = ("table", "json", "csv")


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings for this run, honouring ``--data-dir`` and ``--imd``."""
    imd = getattr(args, "imd", None)
    return Settings.from_env(getattr(args, "data_dir", None), **({"imd_version": int(imd)} if imd else {}))


def add_area_options(p: argparse.ArgumentParser, *, required: bool = True) -> None:
    """``--area`` (name/code/county/ICB/region/England/polygon file) and ``--buffer-km``."""
    p.add_argument("--area", required=required,
                   help="LAD name or code, county (e.g. Northamptonshire), ICB, region, 'England', "
                        "several LADs separated by ';', or a GeoJSON/GeoPackage polygon file")
    p.add_argument("--buffer-km", type=float, default=None,
                   help="also count sites (and LSOAs) this far beyond the area border (default 15 km "
                        "for sites; 0 disables cross-border sites)")
    add_imd_option(p)


def add_imd_option(p: argparse.ArgumentParser) -> None:
    """``--imd 2019|2025``: which Indices of Deprivation fill the deprivation deciles."""
    p.add_argument("--imd", choices=("2019", "2025"), default=None,
                   help="Indices of Deprivation edition for deciles and ranks (default 2025, or "
                        "GEO_IMD); 2019 = the seeds' version, mapped from LSOA 2011 to 2021")


def add_format_options(p: argparse.ArgumentParser, *, default: str = "table") -> None:
    """``--format`` and ``--out``."""
    p.add_argument("--format", choices=FORMATS, default=default, help="output format")
    p.add_argument("--out", type=Path, default=None, help="write to this file instead of stdout")


def _jsonable(o: Any) -> Any:
    if isinstance(o, dict):
        return {str(k): _jsonable(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [_jsonable(v) for v in o]
    if isinstance(o, pd.DataFrame):
        return [_jsonable(r) for r in o.reset_index().to_dict(orient="records")]
    if isinstance(o, pd.Series):
        return _jsonable(o.to_dict())
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating | float):
        f = float(o)
        return None if math.isnan(f) or math.isinf(f) else round(f, 6)
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, Path):
        return str(o)
    if o is pd.NA or o is pd.NaT:
        return None
    return o


def to_json(obj: Any) -> str:
    """JSON text with NaN as null and numpy scalars converted."""
    return json.dumps(_jsonable(obj), indent=2, ensure_ascii=False)


def emit(obj: pd.DataFrame | dict[str, Any], fmt: str, out: Path | None = None, *,
         title: str | None = None) -> None:
    """Write a frame or a dict of frames/values as table, JSON or CSV to ``out`` or stdout."""
    if fmt == "json":
        text = to_json(obj)
    elif fmt == "csv":
        if isinstance(obj, pd.DataFrame):
            text = obj.to_csv()
        else:
            frames = {k: v for k, v in obj.items() if isinstance(v, pd.DataFrame)}
            if len(frames) != 1:
                msg = ("CSV output needs a single table; this command gives several "
                       f"({', '.join(frames) or 'none'}): use --format json or table")
                raise InputError(msg)
            text = next(iter(frames.values())).to_csv()
    else:
        text = render_table(obj, title=title)
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        from geo.cache import atomic_write_text

        atomic_write_text(text, Path(out))
        print(f"wrote {out}", file=sys.stderr)


def render_table(obj: pd.DataFrame | dict[str, Any], *, title: str | None = None) -> str:
    """Plain-text rendering for terminals."""
    parts: list[str] = [title, "=" * len(title)] if title else []
    if isinstance(obj, pd.DataFrame):
        parts.append(_fmt_frame(obj))
    else:
        scalars = {k: v for k, v in obj.items() if not isinstance(v, pd.DataFrame | dict | list)}
        if scalars:
            width = max(len(str(k)) for k in scalars)
            parts.extend(f"{k:<{width}}  {_fmt_value(v)}" for k, v in scalars.items())
        for k, v in obj.items():
            if isinstance(v, pd.DataFrame):
                parts.extend(["", f"{k}:", _fmt_frame(v)])
            elif isinstance(v, dict):
                parts.extend(["", f"{k}:"])
                parts.extend(f"  {kk}: {_fmt_value(vv)}" for kk, vv in v.items())
            elif isinstance(v, list):
                parts.extend(["", f"{k}:"])
                parts.extend(f"  - {_fmt_value(x)}" for x in v)
    return "\n".join(parts) + "\n"


def _fmt_value(v: Any) -> str:
    if isinstance(v, dict):
        return ", ".join(f"{k} {_fmt_value(x)}" for k, x in v.items())
    if isinstance(v, float | np.floating):
        return "" if math.isnan(float(v)) else _fmt_float(float(v))
    if isinstance(v, int | np.integer):
        return f"{int(v):,}"
    return str(v)


def _fmt_float(x: float) -> str:
    """Whole numbers without decimals (counts of adults), others to 2 d.p."""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


def _fmt_frame(df: pd.DataFrame) -> str:
    out = df.copy()
    for col in out.columns:  # per column: a column of whole numbers shows no decimals
        values = out[col]
        if pd.api.types.is_float_dtype(values):
            finite = values.dropna()
            whole = len(finite) > 0 and bool((finite == finite.round()).all())
            out[col] = values.map(lambda x, w=whole: "" if pd.isna(x) else f"{x:,.0f}" if w else f"{x:,.2f}")
    with pd.option_context("display.max_rows", 500, "display.max_columns", 50, "display.width", 200):
        return out.to_string()


# --------------------------------------------------------------------------- routing runs

ROUTING_MODES = ("drive", "walk", "cycle", "transit")


def add_routing_options(p: argparse.ArgumentParser, *, default_sites: str = "hub") -> None:
    """Area, site and travel options shared by access/coverage/gaps/report/scenario/optimise."""
    add_area_options(p)
    p.add_argument("--sites", default=default_sites,
                   help="site types, comma separated (hub,satellite,outreach,pharmacy,nsp,"
                        f"supervised_consumption,young_people,hospital,recovery,other); default {default_sites}")
    p.add_argument("--extra-sites", action="append", type=Path, default=[],
                   help="your own sites (CSV with postcode or easting/northing or lat/lon, or GeoJSON/GPKG)")
    p.add_argument("--in-county-only", action="store_true",
                   help="count only sites inside the area (the seed method); default also counts "
                        "cross-border sites within --buffer-km")
    p.add_argument("--include-historical", action="store_true",
                   help="also use sites the seeds list as historical (2015)")
    p.add_argument("--mode", choices=ROUTING_MODES, default="drive", help="travel mode")
    p.add_argument("--network", default="auto",
                   help="road network: auto (bundled extract covering the area, else estimate), "
                        "none (straight-line estimate), download (osmnx, area polygon, internet), "
                        "place:NAME (osmnx by place name), or an "
                        ".osm.pbf/.osm file")
    p.add_argument("--gtfs", type=Path, default=None, help="GTFS zip for --mode transit")
    p.add_argument("--arrive-by", default=None, help='transit: arrive by, e.g. "Tue 12:00"')
    p.add_argument("--depart-at", default=None, help='transit: depart at, e.g. "Tue 10:00"')
    p.add_argument("--window-minutes", type=float, default=120.0,
                   help="transit: evaluate times across this window before arrive-by / after depart-at")
    p.add_argument("--step-minutes", type=float, default=15.0, help="transit: step within the window")
    p.add_argument("--statistic", choices=("median", "worst", "best"), default="median",
                   help="transit: which journey time across the window to report")


@dataclass
class RoutingRun:
    """Everything a routing command needs, prepared once from the arguments."""

    settings: Settings
    area: Any
    sites: Any
    router: Any


def prepare_run(args: argparse.Namespace, *, progress: Any = None) -> RoutingRun:
    """Settings, area (with buffer), sites (in-county only on request) and router from args."""
    from geo.data.areas import select_area
    from geo.travel.routing import make_router
    from geo.data.sites import load_sites, parse_site_types

    s = settings_from_args(args)
    buffer_km = 15.0 if args.buffer_km is None else float(args.buffer_km)
    area = select_area(args.area, settings=s)
    types = parse_site_types(args.sites)
    sites = load_sites(s, area=area, types=types, buffer_km=0.0 if args.in_county_only else buffer_km,
                       include_historical=args.include_historical,
                       extra=[str(p) for p in args.extra_sites])
    if args.in_county_only:
        sites = sites[sites["in_area"]].reset_index(drop=True)
    if len(sites) == 0:
        msg = (f"no sites of type {', '.join(types)} in or near {area.name}; add your own with "
               "--extra-sites FILE or widen --buffer-km")
        raise InputError(msg)
    network = None if str(args.network).lower() in {"none", "estimate"} else args.network
    transit: dict[str, Any] = {}
    if args.mode == "transit":
        transit = {"gtfs": args.gtfs, "arrive_by": args.arrive_by, "depart_at": args.depart_at,
                   "window_minutes": args.window_minutes, "step_minutes": args.step_minutes,
                   "statistic": args.statistic}
    router = make_router(args.mode, area=area, settings=s, network=network, progress=progress,
                         **transit)
    print(f"travel times: {router.label}", file=sys.stderr)
    return RoutingRun(settings=s, area=area, sites=sites, router=router)
