"""geo: drug and alcohol service access and equity analysis for England.

Data flows one way through five subpackages -- ``geo.data`` (bundle and user files) ->
``geo.travel`` (modes, networks, routing, estimate, transit, matrices) -> ``geo.measures``
(coverage, equity, access, need, gaps, clients, disclosure, hours) -> ``geo.planning`` (the
:class:`Study` pipeline, scenarios, closure, optimisation, batch) -> ``geo.outputs`` (report,
exports, GeoJSON) -- with ``geo.cli`` as a thin adapter on top.  The library never configures
logging or prints.
"""

# ruff: noqa: F401  (the TYPE_CHECKING block names the lazy exports of __all__ for type checkers)
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

from geo._errors import (  # noqa: E402
    AreaError,
    CrsError,
    DataSourceError,
    DisclosureError,
    GeoError,
    InputError,
    NetworkError,
    OptimisationError,
    OutputError,
    SchemaError,
)
from geo.config import Settings  # noqa: E402

#: Public API, imported lazily on first use (``geo.Study``...) so ``import geo`` stays fast.
#: The front ends (``geo/cli``, ``atlas/``, ``app.py``) import only the 57 names listed in
#: ``FRONT_END_NAMES`` of tests/test_architecture.py (some of these, some foundation names above,
#: the public modules below): a question about an area is a :class:`Study` method, a cluster
#: of non-area work one object with methods (``RoadExtracts``, ``BusTimetables``, ``DataBundle``,
#: ``SiteLists``, ``SiteHours``, ``BatchRuns``), never an import of an inner module.
_LAZY = {
    # the pipeline: one Study, its spec and the travel vocabulary
    "Study": "geo.planning.study", "StudySpec": "geo.planning.study_spec",
    "TravelSpec": "geo.travel.modes", "TravelMode": "geo.travel.modes", "Method": "geo.travel.modes",
    "TransitOptions": "geo.travel.modes", "ProgressFn": "geo.progress", "TqdmProgress": "geo.progress",
    "Area": "geo.data.areas",
    # building blocks (for notebooks; the front ends ask a Study instead)
    "select_area": "geo.data.areas", "load_lsoa_table": "geo.data.tables", "load_sites": "geo.data.sites",
    "read_sites_file": "geo.data.user_sites", "make_router": "geo.travel.routing", "read_network": "geo.travel.network",
    "nearest_times": "geo.travel.catchments", "site_lsoa_minutes": "geo.travel.catchments",
    "isochrones": "geo.travel.isochrones", "site_origin_matrix": "geo.travel.matrix",
    "coverage_table": "geo.measures.coverage", "coverage_summary": "geo.measures.coverage",
    "straight_line_coverage": "geo.measures.straight_line", "equity_summary": "geo.measures.equity",
    "gap_scores": "geo.measures.gaps", "outreach_list": "geo.measures.gaps", "area_need": "geo.measures.need",
    "is_open_at": "geo.measures.hours", "build_client_base": "geo.measures.client_base",
    "build_client_release": "geo.measures.client_release",
    "read_client_extract": "geo.measures.clients", "closure_impact": "geo.planning.closure",
    "optimise_sites": "geo.planning.optimise",
    # one object per cluster of non-area work: the data bundle, road extracts, bus timetables, the
    # user's site files and lists, the opening hours of a set of sites, batch runs
    "DataBundle": "geo.data.bundle", "RoadExtracts": "geo.travel.road_extracts",
    "BusTimetables": "geo.travel.bus_feeds", "SiteLists": "geo.data.site_files",
    "SiteHours": "geo.measures.site_hours", "BatchJob": "geo.planning.batch", "BatchRuns": "geo.planning.batch_runs",
    # site types and services (the registry every map, report, importer and picker reads)
    "SITE_TYPES": "geo.data.site_types", "SiteType": "geo.data.site_types", "NEW_SITE_TYPE": "geo.data.site_types",
    "SERVICES": "geo.data.services", "SERVICE_LABELS": "geo.data.services", "selection_label": "geo.data.services",
    "parse_site_types": "geo.data.sites", "lonlat_from_bng": "geo.crs",
    # measures' vocabulary: breakdowns, thresholds, gap and client-table columns, the perturbation table
    "BREAKDOWNS": "geo.measures.coverage", "PLACE_BREAKDOWNS": "geo.measures.coverage",
    "parse_thresholds": "geo.measures.coverage_sets", "SERVICE_COLUMNS": "geo.measures.gaps",
    "default_ptable": "geo.measures.cellkey",
    "CLIENT_LABEL_COL": "geo.measures.client_release:LABEL_COL",
    "CLIENT_ERROR_COL": "geo.measures.client_release:ERROR_COL",
    # scenarios: the changes, declared once, and their files; the optimiser's candidate kinds
    **dict.fromkeys(("Scenario", "AddSite", "RemoveSite", "MoveSite", "ChangeHours", "ChangeCapacity", "BaseSpec"),
                    "geo.planning.scenario_schema"),
    "load_scenario": "geo.planning.scenario_file", "save_scenario": "geo.planning.scenario_file",
    "CANDIDATE_KINDS": "geo.planning.candidates",
    # writing outputs: spreadsheet-safe CSV bytes (app downloads), atomic output sets, map context
    "csv_bytes": "geo.outputs.safe_csv", "output_set": "geo.outputs.output_set",
    "map_context": "geo.outputs.map_context",
    # a scenario as GIS layers (changed neighbourhoods, sites with what changed)
    "scenario_layers": "geo.outputs.scenario_gis", "export_scenario_geopackage": "geo.outputs.scenario_gis",
}

#: Public modules (osmnx's ``ox.plot``/``ox.io`` habit), each one concern and used only through its
#: ``__all__`` (tests/test_architecture.py): ``geojson`` (GeoJSON layers, bins, colours, popups
#: for Leaflet), ``batch_report`` (the national map and report of a batch run), ``ranges`` (every
#: figure with its range, and every range, as text), ``formats`` (the answer formats: table,
#: json, csv; geojson for points; rendering and saving them), ``export`` (GIS and CSV exports),
#: ``report`` (the HTML/PDF report and its scenario, closure and optimiser sections), ``markers``
#: (each site type's marker as SVG, for maps and the report).
_MODULES = {"geojson": "geo.outputs.geojson", "batch_report": "geo.outputs.batch_report",
            "ranges": "geo.outputs.ranges", "formats": "geo.outputs.formats", "export": "geo.outputs.export",
            "report": "geo.outputs.report", "markers": "geo.outputs.markers"}


if TYPE_CHECKING:  # the lazy names, for type checkers (tests/test_architecture.py keeps them equal to _LAZY)
    from geo.crs import lonlat_from_bng
    from geo.data.areas import Area, select_area
    from geo.data.bundle import DataBundle
    from geo.data.services import SERVICE_LABELS, SERVICES, selection_label
    from geo.data.site_files import SiteLists
    from geo.data.site_types import NEW_SITE_TYPE, SITE_TYPES, SiteType
    from geo.data.sites import load_sites, parse_site_types
    from geo.data.tables import load_lsoa_table
    from geo.data.user_sites import read_sites_file
    from geo.measures.cellkey import default_ptable
    from geo.measures.client_base import build_client_base
    from geo.measures.client_release import ERROR_COL as CLIENT_ERROR_COL
    from geo.measures.client_release import LABEL_COL as CLIENT_LABEL_COL
    from geo.measures.client_release import build_client_release
    from geo.measures.clients import read_client_extract
    from geo.measures.coverage import BREAKDOWNS, PLACE_BREAKDOWNS, coverage_summary, coverage_table
    from geo.measures.coverage_sets import parse_thresholds
    from geo.measures.equity import equity_summary
    from geo.measures.gaps import SERVICE_COLUMNS, gap_scores, outreach_list
    from geo.measures.hours import is_open_at
    from geo.measures.need import area_need
    from geo.measures.site_hours import SiteHours
    from geo.measures.straight_line import straight_line_coverage
    from geo.outputs import batch_report, export, formats, geojson, markers, ranges, report
    from geo.outputs.map_context import map_context
    from geo.outputs.output_set import output_set
    from geo.outputs.safe_csv import csv_bytes
    from geo.outputs.scenario_gis import export_scenario_geopackage, scenario_layers
    from geo.planning.batch import BatchJob
    from geo.planning.batch_runs import BatchRuns
    from geo.planning.candidates import CANDIDATE_KINDS
    from geo.planning.closure import closure_impact
    from geo.planning.optimise import optimise_sites
    from geo.planning.scenario_file import load_scenario, save_scenario
    from geo.planning.scenario_schema import (
        AddSite,
        BaseSpec,
        ChangeCapacity,
        ChangeHours,
        MoveSite,
        RemoveSite,
        Scenario,
    )
    from geo.planning.study import Study
    from geo.planning.study_spec import StudySpec
    from geo.progress import ProgressFn, TqdmProgress
    from geo.travel.bus_feeds import BusTimetables
    from geo.travel.catchments import nearest_times, site_lsoa_minutes
    from geo.travel.isochrones import isochrones
    from geo.travel.matrix import site_origin_matrix
    from geo.travel.modes import Method, TransitOptions, TravelMode, TravelSpec
    from geo.travel.network import read_network
    from geo.travel.road_extracts import RoadExtracts
    from geo.travel.routing import make_router


def __getattr__(name: str) -> object:
    import importlib

    if name in _MODULES:
        return importlib.import_module(_MODULES[name])
    if name in _LAZY:
        module, _, attr = _LAZY[name].partition(":")
        return getattr(importlib.import_module(module), attr or name)
    msg = f"module 'geo' has no attribute {name!r}"
    raise AttributeError(msg)


__all__ = [*sorted(_LAZY), *sorted(_MODULES),
    "AreaError",
    "CrsError",
    "DataSourceError",
    "DisclosureError",
    "GeoError",
    "InputError",
    "NetworkError",
    "OptimisationError",
    "OutputError",
    "SchemaError",
    "Settings",
    "__version__",
]
