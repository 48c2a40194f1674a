"""Cached access to geo/: every heavy call the atlas makes goes through here.

* ``st.cache_resource`` holds big immutable objects shared by reference (settings, LSOA table,
  areas, sites, routers, per-LSOA times frames).  Callers must not mutate them.
* ``st.cache_data`` holds small derived results (GeoJSON dicts, summary tables) keyed on
  primitives only (area spec, mode, threshold, tuples of site ids).
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import logging
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import streamlit as st

from geo.outputs import maps
from geo.config import Settings

if TYPE_CHECKING:
    import geopandas as gpd

    from geo.data.areas import Area

logger = logging.getLogger(__name__)

#: Buffer ring of neighbouring LSOAs shown faded around the area (km).
RING_KM = 5.0


def has_module(name: str) -> bool:
    """True when ``geo.<name>`` exists (modules land in parallel while the atlas grows)."""
    return importlib.util.find_spec(f"geo.{name}") is not None


# ------------------------------------------------------------------ resources
@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    """One Settings object for the session (GEO_* environment variables)."""
    return Settings.from_env()


@st.cache_resource(show_spinner="Reading area names…")
def area_names() -> dict[str, list[str]]:
    from geo.data.areas import list_area_names

    return list_area_names(settings())


@st.cache_resource(show_spinner="Selecting the study area…", max_entries=16)
def area(spec: str, buffer_km: float = RING_KM) -> Area:
    """A named area (LAD, county, ICB, region) with a buffer ring."""
    from geo.data.areas import select_area

    return select_area(spec, settings=settings(), buffer_km=buffer_km)


@st.cache_resource(show_spinner="Reading the uploaded polygon…", max_entries=8)
def area_from_upload(digest: str, _data: bytes, filename: str, buffer_km: float = RING_KM) -> Area:
    """An area from an uploaded GeoJSON/GeoPackage/zipped Shapefile (held in memory only)."""
    from geo.data.areas import polygon_from_frame, select_area
    from geo.data.uploads import read_user_vector

    gdf = read_user_vector(_data, source=filename)
    poly = polygon_from_frame(gdf, source=filename)
    name = filename.rsplit(".", 1)[0] or "Uploaded area"
    return select_area(poly, settings=settings(), buffer_km=buffer_km, name=name)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


@st.cache_resource(show_spinner="Loading service sites…", max_entries=24)
def sites(area_key: str, _area: Area, types: tuple[str, ...], cross_border_km: float) -> gpd.GeoDataFrame:
    """Sites of ``types`` in the area, plus those within ``cross_border_km`` of its border."""
    from geo.data.sites import load_sites

    s = load_sites(settings(), area=_area, types=list(types), buffer_km=cross_border_km,
                   include_pharmacies="pharmacy" in types)
    return s


@st.cache_resource(show_spinner="Loading district boundaries…")
def lads() -> gpd.GeoDataFrame:
    from geo.data.loaders import load_lad_boundaries

    return load_lad_boundaries(settings())


@st.cache_resource(show_spinner="Preparing the road network (first time only)…", max_entries=8)
def router(area_key: str, _area: Area, mode: str, use_network: bool, gtfs: str | None = None,
           when: str | None = None) -> Any:
    """A router for the area and mode: the real road network where one exists, else the estimate.

    ``mode="transit"`` needs ``gtfs`` (a path to a GTFS zip) and routes arriving by ``when``.
    """
    from geo.travel.routing import make_router

    if mode == "transit":
        return make_router("transit", area=_area, settings=settings(), gtfs=gtfs, arrive_by=when or "Tue 12:00")
    return make_router(mode, area=_area, settings=settings(), network="auto" if use_network else None)


def gtfs_path() -> str | None:
    """Path of the GTFS feed uploaded in this session (public timetable data, kept in the cache dir)."""
    return st.session_state.get("gtfs_path")


def save_gtfs(raw: bytes, name: str) -> str:
    """Write an uploaded GTFS zip (public timetables, not personal data) into the cache folder."""
    folder = settings().cache_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"gtfs_{digest(raw)}.zip"
    if not path.exists():
        path.write_bytes(raw)
    return str(path)


def routing_available() -> bool:
    return has_module("routing") and has_module("estimate")


@st.cache_resource(show_spinner="Calculating travel times…", max_entries=48)
def times(area_key: str, _area: Area, site_key: tuple[str, ...], _sites: pd.DataFrame, mode: str,
          use_network: bool) -> pd.DataFrame:
    """Per-LSOA minutes to the nearest site (core + ring LSOAs), with method and label attrs."""
    r = router(area_key, _area, mode, use_network, gtfs_path() if mode == "transit" else None)
    if has_module("catchments"):
        from geo.travel.catchments import nearest_times

        out = nearest_times(_area, _sites, r)
    else:  # until geo.travel.catchments lands: the router's own nearest-site answer
        lsoas = _area.all_lsoas.drop(columns="geometry")
        res = r.nearest(_sites[["easting", "northing"]].to_numpy(float),
                        lsoas[["easting", "northing"]].to_numpy(float))
        out = pd.DataFrame(lsoas).copy()
        idx = np.clip(res.site_index, 0, None)
        found = res.site_index >= 0
        out["minutes"] = res.minutes
        for col, src in (("site_id", "site_id"), ("site_name", "name"), ("site_type", "site_type")):
            out[col] = np.where(found, _sites[src].to_numpy()[idx], None)
        out["method"] = r.method
    out.attrs["label"] = str(getattr(r, "label", r.method))
    out.attrs["method"] = str(r.method)
    return out


def site_key(s: pd.DataFrame) -> tuple[str, ...]:
    return tuple(sorted(s["site_id"].astype(str)))


# ------------------------------------------------------------------ charts
@st.cache_data(show_spinner=False, max_entries=128)
def chart_spec(key: tuple[Any, ...], _build: Any) -> dict[str, Any]:
    """Vega-Lite spec (data inlined) of the Altair chart ``_build()`` makes; ``key`` identifies it.

    Altair validates its schema in ``to_dict`` (tens of ms per chart), so do it once per key.
    """
    return _build().to_dict()


def show_chart(key: tuple[Any, ...], build: Any) -> None:
    """Draw a cached chart spec (see :func:`chart_spec`)."""
    st.vega_lite_chart(chart_spec(key, build), width="stretch")


# ------------------------------------------------------------------ map data (small dicts)
@st.cache_data(show_spinner=False, max_entries=64)
def choropleth_dict(key: tuple[Any, ...], _frame: gpd.GeoDataFrame, column: str,
                    bins: tuple[float, ...], colours: tuple[str, ...], label_format: str) -> dict[str, Any]:
    """Cached GeoJSON for a choropleth (``key`` identifies the frame; it is not hashed)."""
    return maps.choropleth_geojson(_frame, column, bins=bins, colours=colours, label_format=label_format)


@st.cache_data(show_spinner=False, max_entries=32)
def sites_dict(key: tuple[Any, ...], _sites: pd.DataFrame) -> dict[str, Any]:
    return maps.sites_geojson(_sites)


@st.cache_data(show_spinner=False, max_entries=16)
def district_dict(lad_codes: tuple[str, ...]) -> dict[str, Any]:
    l = lads()
    sel = l[l.index.isin(lad_codes)]
    return maps.district_geojson(sel)


@st.cache_data(show_spinner=False, max_entries=16)
def outline_dict(area_key: str, _area: Area) -> dict[str, Any]:
    return maps.outline_geojson(_area.polygon)


def neighbour_lads(a: Area) -> tuple[str, ...]:
    """LAD codes of the area and its buffer ring."""
    codes = set(a.lad_codes)
    if len(a.buffer_lsoas):
        codes |= set(a.buffer_lsoas["lad24cd"].astype(str))
    return tuple(sorted(codes))


def csv_bytes(df: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    df.to_csv(buf, index=True)
    return buf.getvalue().encode("utf-8")


def fmt_int(x: float | int | None) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "–"
    return f"{round(float(x)):,}"


@st.cache_resource(show_spinner="Routing every site to every neighbourhood…", max_entries=24)
def matrix(area_key: str, _area: Area, site_key: tuple[str, ...], _sites: pd.DataFrame, mode: str,
           use_network: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(n_sites, n_core_lsoas)`` minutes and the adults weights of the core LSOAs."""
    from geo.planning.closure import area_origins, site_origin_matrix

    origins = area_origins(_area)
    r = router(area_key, _area, mode, use_network, gtfs_path() if mode == "transit" else None)
    return site_origin_matrix(r, _sites, origins), origins.weights


@st.cache_resource(show_spinner="Drawing catchments…", max_entries=16)
def catchments(area_key: str, _area: Area, site_key: tuple[str, ...], _sites: pd.DataFrame, mode: str,
               use_network: bool, bands: tuple[float, ...]) -> dict[str, Any] | None:
    """Catchment polygons (GeoJSON) around the in-area sites, one per band (sites unioned)."""
    import geopandas as gpd
    import shapely

    from geo.travel.catchments import isochrones

    inside = _sites[_sites["in_area"]] if "in_area" in _sites else _sites
    if inside.empty:
        return None
    r = router(area_key, _area, mode, use_network)
    iso = isochrones(r, inside, bands_minutes=bands)
    if iso.empty:
        return None
    merged = iso.groupby("band_minutes")["geometry"].apply(lambda g: shapely.union_all(g.to_numpy()))
    gdf = gpd.GeoDataFrame({"minutes": merged.index.astype(float)}, geometry=list(merged.to_numpy()), crs=iso.crs)
    return maps.frame_to_geojson(gdf.sort_values("minutes", ascending=False).reset_index(drop=True),
                                 properties=["minutes"], simplify_metres=30.0)
