"""geo: drug and alcohol service access and equity analysis for England.

Data flows one way through five subpackages -- ``geo.data`` (bundle and user files) ->
``geo.travel`` (modes, networks, routing, estimate, transit, matrices) -> ``geo.measures``
(coverage, equity, access, need, gaps, clients, disclosure, hours) -> ``geo.planning`` (the
:class:`Study` pipeline, scenarios, closure, optimisation, batch) -> ``geo.outputs`` (report,
exports, GeoJSON) -- with ``geo.cli`` as a thin adapter on top.  The library never configures
logging or prints.
"""

from __future__ import annotations

import logging

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
    SchemaError,
)
from geo.config import Settings  # noqa: E402

#: Public API, imported lazily on first use (``geo.select_area``...) so ``import geo`` stays fast.
_LAZY = {
    # the pipeline
    "Study": "geo.planning.study", "StudySpec": "geo.planning.study_spec",
    "TravelSpec": "geo.travel.modes", "TravelMode": "geo.travel.modes", "Method": "geo.travel.modes",
    "TransitOptions": "geo.travel.modes",
    # building blocks
    "select_area": "geo.data.areas", "load_lsoa_table": "geo.data.tables", "load_sites": "geo.data.sites",
    "read_sites_file": "geo.data.sites", "make_router": "geo.travel.routing", "read_network": "geo.travel.network",
    "nearest_times": "geo.travel.catchments", "site_lsoa_minutes": "geo.travel.catchments",
    "isochrones": "geo.travel.catchments", "site_origin_matrix": "geo.travel.matrix",
    "coverage_table": "geo.measures.coverage", "coverage_summary": "geo.measures.coverage",
    "straight_line_coverage": "geo.measures.straight_line", "equity_summary": "geo.measures.equity",
    "gap_scores": "geo.measures.gaps", "outreach_list": "geo.measures.gaps", "area_need": "geo.measures.need",
    "is_open_at": "geo.measures.hours", "build_client_base": "geo.measures.client_base",
    "build_client_release": "geo.measures.client_release",
    "read_client_extract": "geo.measures.clients", "closure_impact": "geo.planning.closure",
    "optimise_sites": "geo.planning.optimise",
    "build_report": "geo.outputs.report",
    # scenarios: the changes, declared once, and their files
    **dict.fromkeys(("Scenario", "AddSite", "RemoveSite", "MoveSite", "ChangeHours", "ChangeCapacity"),
                    "geo.planning.scenario_schema"),
    "load_scenario": "geo.planning.scenario_file", "save_scenario": "geo.planning.scenario_file",
    # site types (the registry every map, report, importer and picker reads)
    "SITE_TYPES": "geo.data.site_types", "SiteType": "geo.data.site_types",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    msg = f"module 'geo' has no attribute {name!r}"
    raise AttributeError(msg)


__all__ = [*sorted(_LAZY),
    "AreaError",
    "CrsError",
    "DataSourceError",
    "DisclosureError",
    "GeoError",
    "InputError",
    "NetworkError",
    "OptimisationError",
    "SchemaError",
    "Settings",
    "__version__",
]
