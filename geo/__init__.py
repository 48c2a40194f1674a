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

__all__ = [
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
