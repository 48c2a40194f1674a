"""Study areas: select LSOAs by LAD, county, ICB, sub-ICB location, region, former district,
ward, England, several of those or a polygon.

Which names and codes select which LSOAs is :mod:`geo.data.area_names` (its ``AREA_KINDS``
declares each kind once).

A study area keeps its *core* LSOAs (whose people we measure) apart from a *buffer* ring of
neighbouring LSOAs, so that services across the border count (the seeds report villages near
Corby with Leicestershire postcodes).  LSOAs belong to a polygon area when their ONS
population-weighted centroid lies inside it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo._errors import AreaError, CrsError, InputError
from geo.config import Settings
from geo.crs import BNG, in_england_bng
from geo.data.area_names import list_area_names, resolve_area_part
from geo.data.tables import load_lsoa_table

if TYPE_CHECKING:
    import geopandas as gpd
    from shapely.geometry.base import BaseGeometry

logger = logging.getLogger(__name__)

@dataclass(frozen=True, eq=False)
class Area:
    """A study area: core LSOAs plus a ring of neighbouring LSOAs within ``buffer_km``."""

    name: str
    kind: str
    lsoas: gpd.GeoDataFrame
    buffer_lsoas: gpd.GeoDataFrame
    buffer_km: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)
    spec: str = ""

    @cached_property
    def key(self) -> str:
        """Stable text id for caches (kind, name, buffer, LSOA count, IMD edition if not 2025; computed once:
        the app asks for it many times in every rerun)."""
        imd = (int(self.lsoas["imd_version"].iloc[0]) if "imd_version" in self.lsoas.columns and len(self.lsoas)
               else 2025)
        return f"{self.kind}:{self.name}:{self.buffer_km:g}:{len(self.lsoas)}" + (f":imd{imd}" if imd != 2025 else "")

    @property
    def lad_codes(self) -> tuple[str, ...]:
        """LAD 2024 codes of the core LSOAs."""
        return tuple(sorted(self.lsoas["lad24cd"].astype(str).unique()))

    @property
    def all_lsoas(self) -> gpd.GeoDataFrame:
        """Core and buffer LSOAs with an ``in_area`` flag (core first)."""
        core = self.lsoas.assign(in_area=True)
        ring = self.buffer_lsoas.assign(in_area=False)
        return pd.concat([core, ring]) if len(ring) else core

    @cached_property
    def polygon(self) -> BaseGeometry:
        """Union of the core LSOA polygons (EPSG:27700)."""
        from shapely import union_all

        return union_all(self.lsoas.geometry.buffer(0.5).to_numpy())

    def polygon_buffered(self, metres: float) -> BaseGeometry:
        """The area polygon grown by ``metres`` (e.g. to clip networks or find border sites)."""
        return self.polygon.buffer(metres) if metres > 0 else self.polygon

    @property
    def adults(self) -> int:
        """Adults (18+) living in the core LSOAs."""
        return int(self.lsoas["adults"].sum())

    @staticmethod
    def names(settings: Settings | None = None) -> dict[str, list[str]]:
        """Every name an area can be given, by kind (:func:`list_area_names`)."""
        return list_area_names(settings)

    @staticmethod
    def districts(settings: Settings | None = None) -> gpd.GeoDataFrame:
        """Boundaries of every local authority district (:func:`geo.data.loaders.load_lad_boundaries`)."""
        from geo.data.loaders import load_lad_boundaries

        return load_lad_boundaries(settings)

    @staticmethod
    def from_upload(data: bytes, *, source: str, settings: Settings, buffer_km: float = 0.0,
                    name: str | None = None) -> Area:
        """The area inside an uploaded GeoJSON/GeoPackage/zipped Shapefile, held in memory only."""
        from geo.data.uploads import read_user_vector

        poly = polygon_from_frame(read_user_vector(data, source=source), source=source)
        return select_area(poly, settings=settings, buffer_km=buffer_km, name=name)


def select_area(spec: str | Path | Sequence[str] | BaseGeometry, *, settings: Settings | None = None,
                buffer_km: float = 0.0, name: str | None = None, repair: bool = False) -> Area:
    """Resolve a study area.

    Parameters
    ----------
    spec
        ``"England"``; a LAD name or code (``"Rutland"``, ``"E06000017"``); a county
        (``"Northamptonshire"`` = North + West Northamptonshire, ``"Leicestershire"``,
        ``"Essex"``); an ICB, sub-ICB location or region name or code; a former (2019) district such as
        ``"Daventry"`` or ``"Corby"``; a 2024 ward (``"Oakham North West"``, or
        ``"Abbey, Leicester"`` where the name is used in several districts); several areas separated by ``;`` or given
        as a list; a path to a GeoJSON/GeoPackage polygon; or a shapely polygon in EPSG:27700.
    buffer_km
        Width of the ring of neighbouring LSOAs (by centroid distance to the area polygon).
    name
        Display name (defaults to the resolved name).
    repair
        Repair invalid user polygons with ``make_valid`` instead of raising.
    """
    s = settings if settings is not None else Settings.from_env()
    table = load_lsoa_table(s)
    notes: list[str] = []
    if buffer_km < 0:
        msg = f"buffer_km must be >= 0, got {buffer_km}; use 0 for no ring of neighbouring LSOAs"
        raise AreaError(msg)
    if isinstance(spec, Path) or (isinstance(spec, str) and _looks_like_file(spec)):
        geom = read_area_polygon(Path(spec), repair=repair)
        mask = _centroids_in(table, geom)
        kind, resolved = "polygon", name or Path(spec).stem
        notes.append("LSOAs selected by population-weighted centroid inside the polygon")
    elif hasattr(spec, "geom_type"):
        mask = _centroids_in(table, spec)
        kind, resolved = "polygon", name or "polygon"
    else:
        parts = [spec] if isinstance(spec, str) else list(spec)
        parts = [p2.strip() for p in parts for p2 in str(p).split(";") if p2.strip()]
        if not parts:
            msg = "empty area: give a LAD, county, ICB, region name or code, 'England' or a polygon file"
            raise AreaError(msg)
        mask = np.zeros(len(table), dtype=bool)
        kinds, names = [], []
        for part in parts:
            k, n, m = resolve_area_part(table, part)
            mask |= m
            kinds.append(k)
            names.append(n)
        kind = kinds[0] if len(kinds) == 1 else "lads"
        resolved = name or " + ".join(names)
    core = table[mask]
    if core.empty:
        msg = f"area {resolved!r} contains no English LSOA (check the polygon lies in England)"
        raise AreaError(msg)
    ring = _buffer_ring(table, core, buffer_km) if buffer_km > 0 else table.iloc[0:0]
    logger.info("area %s: %d LSOAs, %d adults, buffer %g km (+%d LSOAs)",
                resolved, len(core), int(core["adults"].sum()), buffer_km, len(ring))
    return Area(name=resolved, kind=kind, lsoas=core, buffer_lsoas=ring, buffer_km=float(buffer_km),
                notes=tuple(notes), spec=str(spec) if not hasattr(spec, "geom_type") else "polygon")


def _looks_like_file(spec: str) -> bool:
    return spec.lower().endswith((".geojson", ".json", ".gpkg", ".shp")) or Path(spec).is_file()


def _centroids_in(table: gpd.GeoDataFrame, geom: BaseGeometry) -> np.ndarray:
    import shapely

    pts = shapely.points(table["easting"].to_numpy(), table["northing"].to_numpy())
    shapely.prepare(geom)
    return shapely.contains_xy(geom, table["easting"].to_numpy(), table["northing"].to_numpy()) | \
        shapely.touches(geom, pts)


def _buffer_ring(table: gpd.GeoDataFrame, core: gpd.GeoDataFrame, buffer_km: float) -> gpd.GeoDataFrame:
    from shapely import union_all

    poly = union_all(core.geometry.buffer(0.5).to_numpy()).buffer(buffer_km * 1000.0)
    inside = _centroids_in(table, poly)
    inside &= ~table.index.isin(core.index)
    return table[inside]


def read_area_polygon(path: Path, *, repair: bool = False, max_bytes: int = 50 * 1024 * 1024) -> BaseGeometry:
    """Read a user polygon file (GeoJSON, GeoPackage, Shapefile) as one geometry in EPSG:27700.

    Raises :class:`InputError` naming the file and the fix for: missing/oversized/unreadable
    files, no polygons, no CRS, coordinates outside England, invalid (e.g. self-intersecting)
    polygons unless ``repair`` is set.
    """
    import geopandas as gpd

    if not path.is_file():
        msg = f"{path}: polygon file not found; check the path, or give a LAD, county, ICB or region name"
        raise InputError(msg)
    size = path.stat().st_size
    if size > max_bytes:
        msg = f"{path}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit for area polygons; simplify it first"
        raise InputError(msg)
    if size == 0:
        msg = f"{path}: the file is empty; export the polygon as GeoJSON or GeoPackage"
        raise InputError(msg)
    if path.suffix.lower() in {".geojson", ".json"}:
        from geo.data.uploads import check_json_vector

        check_json_vector(path.read_bytes(), name=str(path))
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio.errors.DataSourceError and friends
        msg = (f"{path}: not a readable GeoJSON/GeoPackage ({type(exc).__name__}: {str(exc)[:200]}). "
               "Export the area from QGIS as GeoJSON (EPSG:4326) or GeoPackage")
        raise InputError(msg) from exc
    return polygon_from_frame(gdf, source=str(path), repair=repair)


def polygon_from_frame(gdf: gpd.GeoDataFrame, *, source: str, repair: bool = False) -> BaseGeometry:
    """Validate a frame of user polygons and return their union in EPSG:27700."""
    import shapely

    if gdf.empty or gdf.geometry.isna().all():
        msg = (f"{source}: no features with geometry; the file must hold at least one polygon. Draw the "
               "study area as a polygon and export it again")
        raise InputError(msg)
    types = set(gdf.geometry.dropna().geom_type)
    if not types <= {"Polygon", "MultiPolygon"}:
        msg = (f"{source}: expected polygons, found {', '.join(sorted(types))}; draw the study area "
               "as a polygon (points and lines cannot define an area)")
        raise InputError(msg)
    if gdf.crs is None:
        msg = f"{source}: no CRS; save it with EPSG:4326 (lon/lat) or EPSG:27700 (British National Grid)"
        raise CrsError(msg)
    bng = gdf.to_crs(BNG)
    x0, y0, x1, y1 = bng.total_bounds
    if not (in_england_bng(np.array([x0, x1]), np.array([y0, y1])).all()):
        hint = ""
        ox0, oy0, ox1, oy1 = gdf.total_bounds
        if gdf.crs.to_epsg() == 4326 and -8 < oy0 < 3 and 49 < ox0 < 56:
            hint = " The coordinates look like lat/lon swapped: GeoJSON wants longitude first, so swap the two numbers."
        elif gdf.crs.to_epsg() == 4326 and abs(ox0) > 180:
            hint = " The numbers look like metres (EPSG:27700) labelled as degrees: set the right CRS."
        hint = hint or (" Check the file is the right one: the study area must be drawn in England, "
                        "saved with EPSG:4326 (lon/lat) or EPSG:27700.")
        msg = f"{source}: the polygon lies outside England (bounds {x0:.0f},{y0:.0f},{x1:.0f},{y1:.0f} in EPSG:27700).{hint}"
        raise CrsError(msg)
    geoms = bng.geometry.dropna().to_numpy()
    valid = shapely.is_valid(geoms)
    if not valid.all():
        i = int(np.flatnonzero(~valid)[0])
        reason = shapely.is_valid_reason(geoms[i])
        if not repair:
            msg = (f"{source}: feature {i + 1} is an invalid polygon ({reason}). Fix it (QGIS: Vector > "
                   "Geometry Tools > Fix Geometries) or pass repair=True / --repair-polygon")
            raise InputError(msg)
        geoms = shapely.make_valid(geoms)
        logger.warning("%s: repaired %d invalid polygon(s) with make_valid", source, int((~valid).sum()))
    out = shapely.union_all(geoms)
    if out.area <= 0:
        msg = f"{source}: the polygon has zero area; draw the study area with at least three distinct corners"
        raise InputError(msg)
    return out


def area_summary(area: Area) -> dict[str, Any]:
    """Small dict describing an area (for logs, reports and the app)."""
    return {"name": area.name, "kind": area.kind, "lsoas": len(area.lsoas), "adults": area.adults,
            "lads": list(area.lsoas["lad24nm"].astype(str).unique()), "buffer_km": area.buffer_km,
            "buffer_lsoas": len(area.buffer_lsoas)}
