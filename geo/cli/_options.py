"""CLI option groups and the one adapter from flags to a :class:`~geo.planning.study.Study`.

Every default shown here comes from :class:`~geo.config.Settings` (so ``GEO_*`` variables
change the CLI and the app alike); the flags only say "not given" (``None``).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from geo import InputError, Method, Settings, TransitOptions, TravelMode, TravelSpec, formats

if TYPE_CHECKING:
    import pandas as pd

    from geo import ProgressFn, Study, StudySpec

#: ``--mode`` choices: the travel modes plus the older spelling ``straight-line`` (= ``--method straight-line``).
MODE_CHOICES = (*(m.value for m in TravelMode), "straight-line")


def site_help() -> str:
    """Help for ``--sites``: every site type of the registry and the services (``geo sites types``)."""
    from geo import SERVICES, SITE_TYPES

    return (f"site types or services, comma separated (types: {','.join(SITE_TYPES)}; "
            f"services: {','.join(SERVICES)}; see `geo sites types`)")


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings for this run, honouring ``--data-dir`` and ``--imd``.

    On the command line ``--network auto`` downloads missing OSM extracts (Geofabrik or
    ``GEO_OSM_MIRROR``) unless ``GEO_OSM_AUTO_FETCH`` says otherwise.
    """
    imd = getattr(args, "imd", None)
    s = Settings.from_env(getattr(args, "data_dir", None), **({"imd_version": int(imd)} if imd else {}))
    return s if "GEO_OSM_AUTO_FETCH" in os.environ else s.with_(osm_auto_fetch=True)


def progress_from_args(args: argparse.Namespace, **tqdm_kwargs: object) -> ProgressFn | None:
    """A tqdm bar on stderr with ``-v``; none by default (a user's terminal stays quiet)."""
    if not getattr(args, "verbose", 0):
        return None
    from geo import TqdmProgress

    return TqdmProgress(**tqdm_kwargs)


def add_area_options(p: argparse.ArgumentParser, *, required: bool = True) -> None:
    """``--area`` (name/code/county/ICB/region/England/polygon file) and ``--buffer-km``."""
    p.add_argument("--area", required=required,
                   help="LAD name or code, county (e.g. Northamptonshire), ICB, sub-ICB location, region, former district "
                        "(e.g. Daventry), ward, 'England', several separated by ';', or a "
                        "GeoJSON/GeoPackage polygon file")
    p.add_argument("--buffer-km", type=float, default=None,
                   help="also count sites this far beyond the area border (default: Settings."
                        "cross_border_buffer_km, 15 km; GEO_CROSS_BORDER_BUFFER_KM; 0 = in-area sites only)")
    add_imd_option(p)


def add_imd_option(p: argparse.ArgumentParser) -> None:
    """``--imd 2019|2025``: which Indices of Deprivation fill the deprivation deciles."""
    p.add_argument("--imd", choices=("2019", "2025"), default=None,
                   help="Indices of Deprivation edition for deciles and ranks (default Settings.imd_version "
                        "2025, GEO_IMD_VERSION); 2019 = the seeds' version, mapped from LSOA 2011 to 2021")


def add_format_options(p: argparse.ArgumentParser, *, default: str = "table") -> None:
    """``--format`` and ``--out``."""
    p.add_argument("--format", choices=formats.FORMATS, default=default, help="output format")
    p.add_argument("--out", type=Path, default=None, help="write to this file instead of stdout")


def _thresholds(text: str) -> tuple[float, ...]:
    from geo import parse_thresholds

    try:
        return parse_thresholds(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_study_options(p: argparse.ArgumentParser, *, default_sites: str | None = None,
                      area_required: bool = True, thresholds: bool = True) -> None:
    """Area, services, travel and threshold options shared by every analysis command.

    ``--threshold`` takes one value or a comma list (``15,30,45``); commands that need one
    threshold use the first.  Defaults: Settings.thresholds_minutes / threshold_minutes.
    """
    add_area_options(p, required=area_required)
    p.add_argument("--sites", default=default_sites,
                   help=f"{site_help()}; default {default_sites or 'Settings.default_services (hub)'}")
    p.add_argument("--extra-sites", action="append", type=Path, default=[],
                   help="your own sites (CSV with postcode or easting/northing or lat/lon, or GeoJSON/GPKG)")
    p.add_argument("--in-county-only", "--in-area-only", dest="in_county_only", action="store_true",
                   help="count only sites inside the area (the seed method); default also counts "
                        "cross-border sites within --buffer-km")
    p.add_argument("--any-commissioner", action="store_true",
                   help="also count other authorities' commissioned treatment sites within --buffer-km "
                        "(default: only services commissioned for the area; pharmacy services always cross borders)")
    p.add_argument("--include-historical", action="store_true",
                   help="also use sites the seeds list as historical (2015)")
    p.add_argument("--mode", choices=MODE_CHOICES, default="drive",
                   help="how people travel (straight-line = --method straight-line)")
    p.add_argument("--method", choices=[m.value for m in Method], default=None,
                   help="auto (real roads where a network covers the area, else the estimate), network "
                        "(real roads or error), estimate (calibrated straight-line time), straight-line "
                        "(distance in km)")
    p.add_argument("--network", default=None,
                   help="where real roads come from: auto (an extract on disk/in the cache, else the "
                        "Geofabrik county extracts, fetched if reachable), download "
                        "(osmnx, internet), place:NAME, or an .osm.pbf/.osm file; 'none' = --method estimate")
    p.add_argument("--gtfs", default=None,
                   help="--mode transit: a GTFS zip, or 'auto' = the Bus Open Data Service region(s) covering the "
                        "area + buffer (downloaded and cached; GEO_GTFS_MIRROR for a mirror)")
    p.add_argument("--arrive-by", default=None, help='transit: arrive by, e.g. "Tue 12:00" (default Settings.transit_arrive_by)')
    p.add_argument("--depart-at", default=None, help='transit: depart at, e.g. "Tue 10:00"')
    p.add_argument("--window-minutes", type=float, default=120.0,
                   help="transit: evaluate times across this window before arrive-by / after depart-at")
    p.add_argument("--step-minutes", type=float, default=15.0, help="transit: step within the window")
    p.add_argument("--statistic", choices=TransitOptions.STATISTICS, default="median",
                   help="transit: which journey time across the window to report")
    if thresholds:
        p.add_argument("--threshold", type=_thresholds, default=None,
                       help="travel-time threshold(s) in minutes, one value or a comma list "
                            "(default: Settings.thresholds_minutes 15,30,45 for coverage, else 30)")
        p.add_argument("--threshold-km", type=float, default=None,
                       help="distance threshold for --method straight-line (default 1.6 km = 1 mile)")


def travel_from_args(args: argparse.Namespace, settings: Settings) -> TravelSpec:
    """The travel spec the flags describe (parsed once, by :meth:`TravelSpec.parse`)."""
    transit = None
    if str(args.mode) == TravelMode.TRANSIT.value:
        if args.arrive_by is not None and args.depart_at is not None:
            msg = "give either --arrive-by or --depart-at, not both"
            raise InputError(msg)
        arrive = args.arrive_by if args.depart_at is None else None
        transit = TransitOptions(gtfs=None if args.gtfs is None else str(args.gtfs),
                                 arrive_by=arrive or (settings.transit_arrive_by if args.depart_at is None else None),
                                 depart_at=args.depart_at, window_minutes=args.window_minutes,
                                 step_minutes=args.step_minutes, statistic=args.statistic)
    return TravelSpec.parse(mode=args.mode, method=args.method, network=args.network, transit=transit)


def spec_from_args(args: argparse.Namespace, settings: Settings) -> StudySpec:
    """The :class:`StudySpec` the flags describe."""
    from geo import StudySpec, parse_site_types

    sites = getattr(args, "sites", None)
    thresholds = getattr(args, "threshold", None)
    if isinstance(thresholds, int | float):
        thresholds = (float(thresholds),)
    return StudySpec(
        area=str(args.area), services=None if sites is None else parse_site_types(sites),
        travel=travel_from_args(args, settings), buffer_km=args.buffer_km,
        in_area_only=bool(args.in_county_only), include_historical=bool(args.include_historical),
        extra_sites=tuple(str(p) for p in args.extra_sites), thresholds_minutes=thresholds,
        threshold_km=getattr(args, "threshold_km", None),
        any_commissioner=bool(getattr(args, "any_commissioner", False)))


def study_from_args(args: argparse.Namespace, *, progress: ProgressFn | None = None,
                    needs_minutes: str | None = None, announce: bool = True) -> Study:
    """Build the run's :class:`Study` from the flags; say on stderr how travel is measured.

    ``needs_minutes`` names the command when it cannot work on straight-line distances.
    """
    from geo import Study

    s = settings_from_args(args)
    study = Study(spec_from_args(args, s), settings=s, progress=progress)
    if needs_minutes:
        study.require_minutes(needs_minutes)
    if announce:
        what = "travel times" if study.is_time else "distances"
        print(f"{what}: {study.label}; {study.sites_label}", file=sys.stderr)
    return study


def add_need_options(p: argparse.ArgumentParser) -> None:
    """Gap-score weights and need-index weights."""
    p.add_argument("--w-need", type=float, default=1.0, help="exponent (weight) of need (default 1)")
    p.add_argument("--w-time", type=float, default=1.0, help="exponent (weight) of travel time (default 1)")
    p.add_argument("--score-form", choices=("product", "rank"), default="product",
                   help="product: need^w x (minutes/threshold)^w; rank: weighted mean of percentiles")
    p.add_argument("--need-weights", default=None,
                   help="composite need weights, e.g. 'imd_score=0.4,health_deprivation_disability_score=0.3,"
                        "drug_deaths_rate_per_100k=0.3' (default)")
    p.add_argument("--need-method", choices=("z", "rank"), default="z",
                   help="standardise need indicators as weighted z-scores or percentile ranks")


def parse_weights(text: str | None) -> dict[str, float] | None:
    """``"a=1,b=0.5"`` -> {"a": 1.0, "b": 0.5}."""
    if not text:
        return None
    out: dict[str, float] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        key, sep, val = part.partition("=")
        try:
            out[key.strip()] = float(val)
        except ValueError as exc:
            msg = f"--need-weights {text!r}: write name=number pairs separated by commas"
            raise InputError(msg) from exc
        if not sep:
            msg = f"--need-weights {text!r}: write name=number pairs separated by commas"
            raise InputError(msg)
    return out


def build_need(study: Study, args: argparse.Namespace) -> pd.Series:
    """Composite need for the study's core LSOAs from the options."""
    return study.need(weights=parse_weights(args.need_weights), method=args.need_method)
