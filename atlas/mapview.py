"""Assemble folium maps from cached GeoJSON dicts and render them.

Display-only maps (:func:`show_html`) are rendered to an HTML string once per key of
primitives (``st.cache_data`` on a ``str``) and drawn with ``st.iframe``: a rerun that hits the
cache runs no folium/branca template code and sends the same ``srcdoc``, so the browser keeps the
map.  Only the scenario click map uses ``st_folium`` (:func:`show`), with ``returned_objects``
limited to ``last_clicked``; panning or zooming never reruns the script.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from atlas import basemap, data, labels, leaflet
from atlas.context import Analysis, MetricSpec, metric_frame
from geo import Method, geojson

if TYPE_CHECKING:
    import folium

MAP_HEIGHT = 560


def build_map(an: Analysis, *, sites: pd.DataFrame | None = None, frame: Any = None,
              spec: MetricSpec | None = None, extra_key: tuple[Any, ...] = (),
              catchments: Any = None, proposed: pd.DataFrame | None = None,
              width_px: int = 980, height_px: int = MAP_HEIGHT, site_legend: bool = True) -> folium.Map:
    """The atlas map: choropleth + district lines + area outline + sites (+ catchments)."""
    import folium

    if frame is None or spec is None:
        frame, spec = metric_frame(an)
    c = an.controls
    ss = st.session_state
    key = (*an.cache_key, spec.column, c.threshold_minutes, c.metric, ss.get("client_counts_key"),
           ss.get("gap_need"), ss.get("gap_w_need"), ss.get("gap_w_time"), *extra_key)
    gj = data.choropleth_dict(key, frame, spec.column, spec.bins, spec.colours, spec.label_format)
    outline = data.outline_dict(an.area.key, an.area)
    m = basemap.base_map(geojson.geojson_bounds(outline), tiles=c.tiles, width_px=width_px, height_px=height_px)
    group = leaflet.lsoa_choropleth(gj, legend_title=spec.title, bins=spec.bins, colours=spec.colours,
                                 labels=spec.labels, value_label=spec.title.split(" (")[0],
                                 no_data_label=spec.no_data_label,
                                 fill_opacity=0.62 if c.tiles else 0.78)
    group.add_to(m)
    if catchments is not None:
        leaflet.catchment_layer(catchments).add_to(m)
    leaflet.district_boundaries(data.district_dict(data.neighbour_lads(an.area))).add_to(m)
    leaflet.area_outline(outline).add_to(m)
    s = an.sites if sites is None else sites
    labels.context_layer(data.context_dict(an.area.key, data.site_key(s), an.area, s)).add_to(m)
    if len(s):
        skey = (an.area.key, data.site_key(s), c.when)
        leaflet.site_markers(data.sites_dict(skey, s), legend=site_legend).add_to(m)
    if proposed is not None and len(proposed):
        marks = proposed if "site_type" in proposed.columns else proposed.assign(site_type="proposed")
        leaflet.site_markers(geojson.sites_geojson(marks), name="Scenario changes",
                          legend=False).add_to(m)
    folium.LayerControl(collapsed=True, position="topleft").add_to(m)
    assets = offline_assets()  # Leaflet from the vendored copy always: the map never needs a CDN
    if assets is not None:
        basemap.use_assets(m, assets)
    return m


def offline_html(m: folium.Map) -> str:
    """The map as a standalone page with Leaflet inlined from the local copy (no CDN: draws offline)."""
    assets = offline_assets()
    if assets is not None:
        basemap.use_assets(m, assets)
    return str(m.get_root().render())


@st.cache_resource(show_spinner=False)
def offline_assets() -> dict[str, list[tuple[str, str]]] | None:
    """Leaflet inlined from a local copy (GEO_LEAFLET_DIR or the libjs-leaflet package), if any."""
    import os

    d = basemap.find_leaflet_dir(os.environ.get("GEO_LEAFLET_DIR"))
    return basemap.leaflet_data_urls(d) if d else None


def _html_key(an: Analysis, *, sites: pd.DataFrame | None, extra_key: tuple[Any, ...],
              proposed: pd.DataFrame | None, catchments: bool, width_px: int, height_px: int,
              site_legend: bool) -> tuple[Any, ...]:
    """Everything the drawn map depends on, as primitives (controls, view state, sites, extras)."""
    ss = st.session_state
    prop = (None if proposed is None
            else tuple(map(tuple, proposed[[c for c in ("name", "easting", "northing", "site_type")
                                            if c in proposed.columns]].astype(str).to_numpy())))
    return (*an.cache_key, repr(an.controls), ss.get("client_counts_key"), ss.get("gap_need"),
            ss.get("gap_w_need"), ss.get("gap_w_time"), None if sites is None else data.site_key(sites),
            prop, catchments, width_px, height_px, site_legend, offline_assets() is not None, *extra_key)


@st.cache_data(show_spinner=False, max_entries=96)
def _map_html(key: tuple[Any, ...], _build: Any) -> str:
    """The standalone Leaflet page for ``key`` (folium renders ~180 Jinja templates; do it once)."""
    return _build().get_root().render()


def show_html(an: Analysis, *, key: str, height: int = MAP_HEIGHT, width_px: int = 980,
              sites: pd.DataFrame | None = None, frame_spec: Callable[[], tuple[Any, MetricSpec]] | None = None,
              extra_key: tuple[Any, ...] = (), catchments: Any = None, proposed: pd.DataFrame | None = None,
              site_legend: bool = True) -> None:
    """Draw a display-only map from cached HTML in an iframe (wrapped in a container keyed ``key``).

    ``frame_spec`` (called only when the HTML is not cached) gives the choropleth frame and spec;
    ``extra_key`` must identify it and ``catchments`` when they are passed.
    """
    hk = _html_key(an, sites=sites, extra_key=(key, *extra_key), proposed=proposed,
                   catchments=catchments is not None, width_px=width_px, height_px=height,
                   site_legend=site_legend)

    def build() -> folium.Map:
        frame, spec = frame_spec() if frame_spec is not None else (None, None)
        return build_map(an, sites=sites, frame=frame, spec=spec, extra_key=extra_key, catchments=catchments,
                         proposed=proposed, width_px=width_px, height_px=height, site_legend=site_legend)

    html = _map_html(hk, build)
    with st.container(key=key):
        st.iframe(html, height=height)


def show(m: folium.Map, *, key: str, clicks: bool = False, height: int = MAP_HEIGHT) -> dict[str, Any]:
    """Render with st_folium; only ``last_clicked`` is returned, and only when asked."""
    return st_folium(m, key=key, height=height, use_container_width=True,
                     returned_objects=["last_clicked"] if clicks else [], return_on_hover=False) or {}


def method_badge(an: Analysis) -> None:
    """A clear line saying how times were calculated (estimate is never hidden)."""
    if an.times is None:
        return
    if an.is_estimate:
        st.warning(f"**Travel times are an ESTIMATE** – {an.label}. No road network is loaded for "
                   f"{an.area.name}; treat minutes as indicative.", icon=":material/warning:")
        _real_roads_offer(an)
    elif an.method_label == Method.TIMETABLE.label:
        st.success(f"Public-transport times are **timetable-based** – {an.label}.")
    elif an.times.attrs.get("estimated_trips", 0):
        st.info(f"Travel times on the **real road network**, with an **estimated leg** beyond its roads for "
                f"{an.times.attrs['estimated_trips']} of {an.times.attrs.get('trips', '?')} neighbourhoods (mixed method) "
                f"– {an.label}.", icon=":material/alt_route:")
    else:
        st.success(f"Travel times on the **real road network**  – {an.label}.")


def _real_roads_offer(an: Analysis) -> None:
    """Offer to download the area's OpenStreetMap roads when the server is reachable."""
    from geo import RoadExtracts

    roads = RoadExtracts(data.settings())
    offer = roads.offer_for(an.area)
    if offer is None:
        return
    text, extracts = offer
    if st.button(text, key=f"real-roads-{an.area.name}", icon=":material/download:"):
        bar = st.progress(0.0)
        for ex in extracts:
            roads.fetch(ex, progress=lambda done, total, label: bar.progress(min(done / max(total, 1), 1.0), label))
        data.router.clear()  # the next run finds the cached extracts and routes on real roads
        data.times.clear()
        st.rerun()
