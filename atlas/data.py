"""Cached access to geo/: every heavy call the atlas makes goes through here.

* ``st.cache_resource`` holds big immutable objects shared by reference (settings, LSOA table,
  areas, sites, routers, per-LSOA times frames).  Callers must not mutate them.
* ``st.cache_data`` holds small derived results (GeoJSON dicts, summary tables) keyed on
  primitives only (area spec, mode, threshold, tuples of site ids).
"""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import streamlit as st

from geo import Settings, Study, StudySpec, geojson

if TYPE_CHECKING:
    import geopandas as gpd

    from geo import Area, TravelSpec

logger = logging.getLogger(__name__)


# ------------------------------------------------------------------ resources
@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    """One Settings object for the session (GEO_* environment variables)."""
    return Settings.from_env()


@st.cache_resource(show_spinner="Reading area names…")
def area_names() -> dict[str, list[str]]:
    from geo import Area

    return Area.names(settings())


@st.cache_resource(show_spinner="Selecting the study area…", max_entries=16)
def area(spec: str, imd_version: int | None = None) -> Area:
    """A named area (LAD, county, ICB, sub-ICB location, region, former district, ward) with the display ring of
    Settings.display_ring_km; ``imd_version`` picks the deprivation deciles (default Settings)."""
    s = settings() if imd_version is None else settings().with_(imd_version=int(imd_version))
    return Study(StudySpec(area=spec, display_ring_km=s.display_ring_km), settings=s).area


@st.cache_resource(show_spinner="Reading the uploaded polygon…", max_entries=8)
def area_from_upload(digest: str, _data: bytes, filename: str, imd_version: int | None = None) -> Area:
    """An area from an uploaded GeoJSON/GeoPackage/zipped Shapefile (held in memory only)."""
    from geo import Area

    name = filename.rsplit(".", 1)[0] or "Uploaded area"
    s = settings() if imd_version is None else settings().with_(imd_version=int(imd_version))
    return Area.from_upload(_data, source=filename, settings=s, buffer_km=s.display_ring_km, name=name)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


@st.cache_resource(show_spinner="Loading service sites…", max_entries=24)
def sites(_study: Study, key: tuple[Any, ...]) -> gpd.GeoDataFrame:
    """The study's sites (``key`` = area key, services, buffer); an empty frame when there are none."""
    from geo import InputError

    try:
        return _study.sites
    except InputError:
        import geopandas as gpd

        return gpd.GeoDataFrame({"site_id": [], "name": [], "site_type": [], "easting": [], "northing": [],
                                 "in_area": []}, geometry=[], crs="EPSG:27700")


@st.cache_resource(show_spinner="Loading district boundaries…")
def lads() -> gpd.GeoDataFrame:
    from geo import Area

    return Area.districts(settings())


@st.cache_resource(show_spinner="Preparing the road network (first time only)…", max_entries=8)
def router(area_key: str, _area: Area, travel: TravelSpec) -> Any:
    """The router a travel spec asks for (real roads where one exists, else the estimate).

    ``travel`` is hashable and carries everything that decides the router, including the
    public-transport arrive-by time from the sidebar.
    """
    s = settings()
    if travel.transit is not None and str(travel.transit.gtfs).lower() == "auto":
        s = s.with_(osm_auto_fetch=True)  # the user asked for the area's timetable: fetch it (and roads)
    return Study(StudySpec(area=area_key, travel=travel), settings=s, area=_area).router


def save_gtfs(raw: bytes, name: str) -> str:
    """Write an uploaded GTFS zip (public timetables, not personal data) into the cache folder."""
    folder = settings().cache_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"gtfs_{digest(raw)}.zip"
    if not path.exists():
        path.write_bytes(raw)
    return str(path)


@st.cache_resource(show_spinner="Calculating travel times…", max_entries=48)
def times(_study: Study, key: tuple[Any, ...], site_key: str, _sites: pd.DataFrame) -> pd.DataFrame:
    """Per-LSOA minutes to the nearest of ``_sites`` (core + ring LSOAs), with method and label attrs.

    ``key`` identifies the study's area and travel spec; ``site_key`` the sites.
    """
    return _study.times(sites=_sites)


def site_key(s: pd.DataFrame) -> str:
    """A short digest naming a set of sites by their ids and where they are, in any row order.

    A moved site (same id, new place) is another set; a digest keeps every cache key that holds it
    cheap to hash on each rerun (a tuple of every site id cost milliseconds per cached call).
    """
    ids = s["site_id"].astype(str).to_numpy()
    order = np.argsort(ids, kind="stable")
    digest = hashlib.sha256("\x1f".join(ids[order]).encode())
    for col in ("easting", "northing"):
        if col in s.columns:
            digest.update(pd.to_numeric(s[col], errors="coerce").to_numpy(dtype=float)[order].tobytes())
    return digest.hexdigest()[:20]


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
    return geojson.choropleth_geojson(_frame, column, bins=bins, colours=colours, label_format=label_format)


@st.cache_data(show_spinner=False, max_entries=32)
def sites_dict(key: tuple[Any, ...], _sites: pd.DataFrame) -> dict[str, Any]:
    return geojson.sites_geojson(_sites)


@st.cache_data(show_spinner=False, max_entries=16)
def district_dict(lad_codes: tuple[str, ...]) -> dict[str, Any]:
    l = lads()
    sel = l[l.index.isin(lad_codes)]
    return geojson.district_geojson(sel)


@st.cache_data(show_spinner=False, max_entries=16)
def outline_dict(area_key: str, _area: Area) -> dict[str, Any]:
    return geojson.outline_geojson(_area.polygon)


@st.cache_resource(show_spinner=False, max_entries=16)
def road_network(area_key: str, _area: Area) -> Any:
    """The drive network on disk that covers the area (for main roads on maps), or None."""
    from geo import GeoError

    try:
        return Study(StudySpec(area=_area.name), settings=settings(), area=_area).bundled_network(mode="drive")
    except GeoError as exc:
        logger.warning("no road network for map context: %s", exc)
        return None


@st.cache_resource(show_spinner=False, max_entries=16)
def osm_extract(area_key: str, _area: Area) -> str | None:
    """The bundled OpenStreetMap extract covering the area (its pharmacies' opening_hours tags), or None."""
    path = Study(StudySpec(area=_area.name), settings=settings(), area=_area).bundled_extract()
    return None if path is None else str(path)


@st.cache_data(show_spinner=False, max_entries=32)
def context_dict(area_key: str, site_key: str, _area: Area, _sites: pd.DataFrame) -> dict[str, Any]:
    """Place names, main roads and site names for the maps of an area (GeoJSON, WGS84)."""
    from geo import map_context

    ctx = map_context(_area, sites=_sites, network=road_network(area_key, _area), settings=settings())
    return ctx.geojson()


@st.cache_data(show_spinner=False, ttl=300)
def tiles_reachable(url: str = "https://a.basemaps.cartocdn.com/light_all/0/0/0.png") -> bool:
    """Whether street-map tiles can be fetched from here (checked at most every 5 minutes)."""
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2.0) as r:
            return bool(r.status == 200)
    except OSError:
        return False


def neighbour_lads(a: Area) -> tuple[str, ...]:
    """LAD codes of the area and its buffer ring."""
    codes = set(a.lad_codes)
    if len(a.buffer_lsoas):
        codes |= set(a.buffer_lsoas["lad24cd"].astype(str))
    return tuple(sorted(codes))


def fmt_int(x: float | int | None) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "–"
    return f"{round(float(x)):,}"


@st.cache_resource(show_spinner="Routing every site to every neighbourhood…", max_entries=24)
def matrix(_study: Study, key: tuple[Any, ...], site_key: str,
           _sites: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``(n_sites, n_core_lsoas)`` minutes and the adults weights of the core LSOAs."""
    m, origins = _study.matrix(sites=_sites)
    return m, origins.weights


@st.cache_resource(show_spinner="Drawing catchments…", max_entries=16)
def catchments(_study: Study, key: tuple[Any, ...], site_key: str, _sites: pd.DataFrame,
               bands: tuple[float, ...]) -> dict[str, Any] | None:
    """Catchment polygons (GeoJSON) around the in-area sites, one per band (sites unioned)."""
    import geopandas as gpd
    import shapely

    inside = _sites[_sites["in_area"]] if "in_area" in _sites else _sites
    if inside.empty or not _study.is_time:
        return None
    iso = _study.isochrones(bands, sites=inside)
    if iso.empty:
        return None
    merged = iso.groupby("band_minutes")["geometry"].apply(lambda g: shapely.union_all(g.to_numpy()))
    gdf = gpd.GeoDataFrame({"minutes": merged.index.astype(float)}, geometry=list(merged.to_numpy()), crs=iso.crs)
    return geojson.frame_to_geojson(gdf.sort_values("minutes", ascending=False).reset_index(drop=True),
                                    properties=["minutes"], simplify_metres=30.0)


@st.cache_data(show_spinner="Scoring gaps…", max_entries=64)
def gap_table(key: tuple[Any, ...], _study: Study, _times: pd.DataFrame, _lsoas: pd.DataFrame, threshold: int,
               w_need: float, w_time: float, need_source: str, clients_key: str | None,
               _clients: dict[str, float] | None, service: str | None = None) -> pd.DataFrame:
    need = None
    if need_source == "composite":
        counts = pd.Series(_clients, dtype=float) if _clients else None
        need = _study.need(client_counts=counts, lsoas=_lsoas)
    g = _study.gaps(_times, need, threshold_minutes=float(threshold), w_need=w_need, w_time=w_time, service=service)
    g = pd.DataFrame(g.drop(columns="geometry", errors="ignore"))
    g["gap_score"] = g["score"]
    return g
