"""Assemble folium maps from cached GeoJSON dicts and render them with st_folium.

Maps are rebuilt on each rerun from small cached dicts (cheap); analysis is never rerun by
panning or zooming because ``returned_objects`` is empty (or only ``last_clicked`` on the
scenario map) and every map has a stable key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from atlas import data
from atlas.context import Analysis, MetricSpec, metric_frame
from geo import maps

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
    m = maps.base_map(maps.geojson_bounds(outline), tiles=c.tiles, width_px=width_px, height_px=height_px)
    group = maps.lsoa_choropleth(gj, legend_title=spec.title, bins=spec.bins, colours=spec.colours,
                                 labels=spec.labels, value_label=spec.title.split(" (")[0],
                                 fill_opacity=0.62 if c.tiles else 0.78)
    group.add_to(m)
    if catchments is not None:
        maps.catchment_layer(catchments).add_to(m)
    maps.district_boundaries(data.district_dict(data.neighbour_lads(an.area))).add_to(m)
    maps.area_outline(outline).add_to(m)
    s = an.sites if sites is None else sites
    if len(s):
        skey = (an.area.key, data.site_key(s), c.when)
        maps.site_markers(data.sites_dict(skey, s), legend=site_legend).add_to(m)
    if proposed is not None and len(proposed):
        maps.site_markers(maps.sites_geojson(proposed.assign(site_type="proposed")), name="Proposed sites",
                          legend=False).add_to(m)
    folium.LayerControl(collapsed=True, position="topleft").add_to(m)
    if c.tiles is None:
        assets = offline_assets()
        if assets is not None:
            maps.use_assets(m, assets)
    return m


@st.cache_resource(show_spinner=False)
def offline_assets() -> dict[str, list[tuple[str, str]]] | None:
    """Leaflet inlined from a local copy (GEO_LEAFLET_DIR or the libjs-leaflet package), if any."""
    import os

    d = maps.find_leaflet_dir(os.environ.get("GEO_LEAFLET_DIR"))
    return maps.leaflet_data_urls(d) if d else None


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
    else:
        st.success(f"Travel times on the **real road network**  – {an.label}.")
