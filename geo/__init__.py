"""geo: drug and alcohol service access and equity analysis for England.

Data flows one way: sources -> loaders/tables -> network -> routing -> access/equity ->
scenarios/optimise -> maps/report.  The library never configures logging or prints.
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
    "select_area": "geo.areas", "load_lsoa_table": "geo.tables", "load_sites": "geo.sites",
    "read_sites_file": "geo.sites", "make_router": "geo.routing", "read_network": "geo.network",
    "nearest_times": "geo.catchments", "site_lsoa_minutes": "geo.catchments",
    "isochrones": "geo.catchments", "coverage_table": "geo.coverage",
    "coverage_summary": "geo.coverage", "straight_line_coverage": "geo.coverage",
    "equity_summary": "geo.equity", "gap_scores": "geo.gaps", "outreach_list": "geo.gaps",
    "is_open_at": "geo.hours", "suppress_counts": "geo.disclosure",
    "read_client_extract": "geo.clients", "closure_impact": "geo.closure",
    "optimise_sites": "geo.optimise", "Scenario": "geo.scenarios", "build_report": "geo.report",
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
