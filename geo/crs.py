"""Coordinate reference systems: metric work in British National Grid, web maps in WGS84."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from geo._errors import CrsError

if TYPE_CHECKING:
    import geopandas as gpd

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"

# Generous England extent in BNG metres (includes the Isles of Scilly and Berwick).
ENGLAND_BOUNDS_METRES = (82_000.0, 5_000.0, 656_000.0, 658_000.0)
# The same extent in degrees (lon/lat) for checking uploads.
ENGLAND_BOUNDS_DEGREES = (-6.5, 49.8, 1.9, 55.9)


def require_bng(gdf: gpd.GeoDataFrame | gpd.GeoSeries, *, what: str = "data") -> None:
    """Raise :class:`CrsError` unless ``gdf`` is in EPSG:27700."""
    if gdf.crs is None:
        msg = f"{what} has no CRS; set one (e.g. gdf.set_crs('EPSG:4326')) before measuring"
        raise CrsError(msg)
    if gdf.crs.to_epsg() != 27700:
        msg = f"{what} is in {gdf.crs.to_string()}; metric work needs {BNG} (call geo.crs.to_bng)"
        raise CrsError(msg)


def to_bng(gdf: gpd.GeoDataFrame, *, what: str = "data") -> gpd.GeoDataFrame:
    """Return ``gdf`` in EPSG:27700, refusing frames without a CRS."""
    if gdf.crs is None:
        msg = f"{what} has no CRS; say which one it is in (EPSG:4326 for lat/lon, EPSG:27700 for BNG)"
        raise CrsError(msg)
    return gdf if gdf.crs.to_epsg() == 27700 else gdf.to_crs(BNG)


def to_web(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``gdf`` in EPSG:4326 for web maps (only maps.py should need this)."""
    if gdf.crs is None:
        msg = "cannot project a frame without CRS to EPSG:4326"
        raise CrsError(msg)
    return gdf if gdf.crs.to_epsg() == 4326 else gdf.to_crs(WGS84)


def in_england_bng(easting: np.ndarray, northing: np.ndarray) -> np.ndarray:
    """Boolean mask of BNG points inside the England extent."""
    x0, y0, x1, y1 = ENGLAND_BOUNDS_METRES
    e = np.asarray(easting, dtype=float)
    n = np.asarray(northing, dtype=float)
    return (e >= x0) & (e <= x1) & (n >= y0) & (n <= y1)


def in_england_degrees(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Boolean mask of lon/lat points inside the England extent."""
    x0, y0, x1, y1 = ENGLAND_BOUNDS_DEGREES
    lo = np.asarray(lon, dtype=float)
    la = np.asarray(lat, dtype=float)
    return (lo >= x0) & (lo <= x1) & (la >= y0) & (la <= y1)


def bng_from_lonlat(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised lon/lat (EPSG:4326) to easting/northing (EPSG:27700)."""
    from pyproj import Transformer

    t = Transformer.from_crs(WGS84, BNG, always_xy=True)
    e, n = t.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(e), np.asarray(n)


def lonlat_from_bng(easting: np.ndarray, northing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised easting/northing (EPSG:27700) to lon/lat (EPSG:4326)."""
    from pyproj import Transformer

    t = Transformer.from_crs(BNG, WGS84, always_xy=True)
    lo, la = t.transform(np.asarray(easting, dtype=float), np.asarray(northing, dtype=float))
    return np.asarray(lo), np.asarray(la)
