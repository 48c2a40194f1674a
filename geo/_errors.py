"""Exception hierarchy for :mod:`geo`.

Every error a user can cause derives from :class:`GeoError`; the CLI and the app
catch it and show its message.  Anything else is a bug and should surface.
Messages name the file, the row or column at fault, and what to do about it.
"""

from __future__ import annotations


class GeoError(Exception):
    """Base class of every error raised on purpose by ``geo``."""


class DataSourceError(GeoError):
    """A dataset is missing, unreadable, corrupt or fails its checksum."""


class SchemaError(GeoError, ValueError):
    """A table lacks required columns or has values of the wrong kind."""


class CrsError(GeoError, ValueError):
    """Geometries have no CRS, the wrong CRS, or lie outside England."""


class InputError(GeoError, ValueError):
    """A user-supplied file or value cannot be used (bad upload, unknown postcode, ...)."""


class AreaError(GeoError, ValueError):
    """A study area name, code or polygon cannot be resolved."""


class NetworkError(GeoError):
    """A road or transit network is empty, unreadable or cannot be routed."""


class OptimisationError(GeoError, RuntimeError):
    """A location model did not solve to optimality."""


class DisclosureError(GeoError):
    """An output would reveal small counts or record-level data."""


class OutputError(GeoError, OSError):
    """An output cannot be written where asked (an input file, a folder, a full or read-only disk)."""
