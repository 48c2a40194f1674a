"""Folium/Leaflet layers for the atlas: choropleths, site markers, catchments, boundaries, legends.

The data comes from ``geo.geojson`` (:mod:`geo.outputs.geojson`) as small cacheable dicts; this module wraps
them in folium ``FeatureGroup``s (built fresh on each render, never cached) that share one
legend and styling vocabulary.  The map they are drawn on (fitted, offline, with its tile
note) is :mod:`atlas.basemap`; the map-context labels live in :mod:`atlas.labels`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from atlas.basemap import LEGEND_WIDTH_PX
from geo import InputError, geojson, markers

if TYPE_CHECKING:
    import folium
    import geopandas as gpd

    from geo import SiteType


def lsoa_choropleth(frame: gpd.GeoDataFrame | Mapping[str, Any], column: str | None = None, *,
                    legend_title: str, bins: Sequence[float] = geojson.MINUTES_BINS,
                    colours: Sequence[str] = geojson.MINUTES_COLOURS, labels: Sequence[str] | None = None,
                    name: str = "Neighbourhoods", value_label: str = "Value",
                    fill_opacity: float = 0.72, no_data_label: str = "") -> folium.FeatureGroup:
    """An LSOA choropleth layer with tooltips and a legend control.

    ``frame`` is an LSOA frame (EPSG:27700, coloured by ``column``) or a dict already made
    by :func:`geojson.choropleth_geojson`.  LSOAs outside the study area (``in_area`` False) are
    drawn faded.  ``no_data_label`` adds a grey legend entry for neighbourhoods with no value.
    """
    import folium

    gj = frame if isinstance(frame, Mapping) else geojson.choropleth_geojson(
        frame, column or "", bins=bins, colours=colours)
    group = folium.FeatureGroup(name=name, show=True)
    feats = gj.get("features", [])
    if not feats:
        return group
    present = [c for c, _ in geojson.TOOLTIP_FIELDS if c in feats[0]["properties"]]
    if "value_label" in present and dict(geojson.TOOLTIP_FIELDS).get("minutes", "").startswith(value_label):
        present = [c for c in present if c != "minutes"]  # the value line already says the minutes
    aliases = [geojson.safe_text(value_label if c == "value_label" else dict(geojson.TOOLTIP_FIELDS)[c]) for c in present]

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        p = feature["properties"]
        inside = p.get("in_area", True) is not False
        return {"fillColor": p.get("fill", geojson.NO_DATA_COLOUR), "color": "#ffffff" if inside else "#9e9e9e",
                "weight": 0.6, "fillOpacity": fill_opacity if inside else fill_opacity * 0.35,
                "dashArray": None if inside else "2 3"}

    folium.GeoJson(
        gj, name=name, style_function=style,
        highlight_function=lambda _f: {"weight": 2.5, "color": "#111111"},
        tooltip=folium.GeoJsonTooltip(fields=present, aliases=aliases, localize=True, sticky=True,
                                      style="font-size: 13px;"),
        smooth_factor=0.5,
    ).add_to(group)
    labs = list(labels) if labels is not None else geojson.legend_labels(bins)
    items = list(zip(labs, colours, strict=False))
    if no_data_label:
        items.append((no_data_label, geojson.NO_DATA_COLOUR))
    Legend(legend_title, items).add_to(group)
    return group


def _legend_html(title: str, items: Sequence[tuple[str, str]], *, note: str = "") -> str:
    rows = "".join(
        f'<div style="display:flex;align-items:center;gap:6px;margin:2px 0">'
        f'<span style="display:inline-block;width:18px;height:12px;background:{c};'
        f'border:1px solid #888"></span><span>{geojson.safe_text(lab)}</span></div>'
        for lab, c in items)
    extra = f'<div style="margin-top:4px;color:#555;font-size:11px">{geojson.safe_text(note)}</div>' if note else ""
    return _collapsible(title, rows + extra)


def _collapsible(title: str, body_html: str) -> str:
    """A legend box that folds to its title (a ``<details>`` element: no script needed)."""
    return (f'<details open style="background:rgba(255,255,255,0.94);padding:6px 10px;border-radius:6px;'
            f'box-shadow:0 1px 4px rgba(0,0,0,.3);font:12px/1.35 system-ui,sans-serif;color:#222;'
            f'max-width:{LEGEND_WIDTH_PX - 20}px"><summary style="font-weight:600;cursor:pointer;'
            f'margin-bottom:3px">{geojson.safe_text(title)}</summary>{body_html}</details>')


def _make_legend_class() -> type:
    from branca.element import MacroElement
    from jinja2 import Template

    class _Legend(MacroElement):  # type: ignore[misc]
        _template = Template("""
        {% macro script(this, kwargs) %}
        (function(){
          var ctl = L.control({position: {{ this.position|tojson }}});
          ctl.onAdd = function(){ var d = L.DomUtil.create('div', 'geo-legend');
            d.innerHTML = {{ this.html|tojson }}; L.DomEvent.disableClickPropagation(d); return d; };
          var m = {{ this._parent.get_name() }};
          if (m._map) { ctl.addTo(m._map); } else if (m.on) {
            m.on('add', function(){ ctl.addTo(m._map); });
            m.on('remove', function(){ ctl.remove(); });
          } else { ctl.addTo(m); }
        })();
        {% endmacro %}
        """)

        def __init__(self, legend_html: str, position: str) -> None:
            super().__init__()
            self._name = "Legend"
            self.html = legend_html
            self.position = position

    return _Legend


def Legend(title: str, items: Sequence[tuple[str, str]], *, note: str = "",  # noqa: N802
           position: str = "topright") -> Any:
    """A legend control (attach to a map or a FeatureGroup; it follows the group's visibility)."""
    cls = _make_legend_class()
    return cls(_legend_html(title, items, note=note), position)


def _site_layer_class() -> type:
    """One ``L.geoJSON`` layer of DivIcon markers built in the browser (fast for 1,000+ sites)."""
    from branca.element import MacroElement
    from jinja2 import Template

    class _SiteLayer(MacroElement):  # type: ignore[misc]
        _template = Template("""
        {% macro script(this, kwargs) %}
        (function(){
          var icons = {{ this.icons|tojson }};
          L.geoJSON({{ this.data|tojson }}, {
            pointToLayer: function(f, ll) {
              var st = icons[f.properties.t] || icons['other'];
              var icon = L.divIcon({html: f.properties.f ? st.faded : st.svg, className: 'geo-site',
                                    iconSize: [st.s, st.s], iconAnchor: [st.s / 2, st.s / 2]});
              return L.marker(ll, {icon: icon, riseOnHover: true});
            },
            onEachFeature: function(f, layer) {
              layer.bindTooltip(f.properties.n);
              layer.bindPopup(f.properties.p, {maxWidth: 320});
            }
          }).addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """)

        def __init__(self, data: dict[str, Any], icons: dict[str, Any]) -> None:
            super().__init__()
            self._name = "SiteLayer"
            self.data = data
            self.icons = icons

    return _SiteLayer


def site_markers(sites: pd.DataFrame | Mapping[str, Any], *, name: str = "Service sites",
                 legend: bool = True, legend_position: str = "topright") -> folium.FeatureGroup:
    """Markers with a distinct shape/colour per site type and an HTML popup per site.

    Columns used (when present): name, site_type, provider, address, town, postcode,
    opening_hours(_text), in_area, ``open_now`` (True/False/None at the chosen time),
    ``open_when`` (e.g. "Tue 19:00"), location_precision.
    """
    import folium

    gj = sites if isinstance(sites, Mapping) else geojson.sites_geojson(sites)
    group = folium.FeatureGroup(name=name, show=True)
    types_seen: dict[str, SiteType] = {}
    # Small, numerous types first so hubs are drawn on top.
    feats = sorted(gj.get("features", []), key=lambda f: markers.site_style(f["properties"].get("site_type", "")).size_px)
    slim = []
    for f in feats:
        p = f["properties"]
        t = markers.marker_kind(p.get("site_type", "other"))
        types_seen[t] = markers.site_style(t)
        slim.append({"type": "Feature", "geometry": f["geometry"],
                     "properties": {"t": t, "f": p.get("in_area") is False,
                                    "n": geojson.safe_text(p.get("name", "")), "p": geojson.popup_html(p)}})
    icons = {k: {"svg": markers.marker_svg(v), "faded": markers.marker_svg(v, faded=True), "s": v.size_px}
             for k, v in {**types_seen, "other": markers.site_style("other")}.items()}
    _site_layer_class()({"type": "FeatureCollection", "features": slim}, icons).add_to(group)
    if legend and types_seen:
        items = sorted(types_seen.items(), key=lambda kv: -kv[1].size_px)
        rows = "".join(
            f'<div style="display:flex;align-items:center;gap:6px;margin:2px 0">'
            f'<span style="display:inline-flex;width:22px;justify-content:center">{markers.marker_svg(st)}</span>'
            f"<span>{html.escape(st.label)}</span></div>" for _, st in items)
        note = ('<div style="margin-top:4px;color:#555;font-size:11px">Faded: across the border</div>'
                if any(f["properties"].get("in_area") is False for f in feats) else "")
        box = _collapsible("Sites", rows + note)
        _make_legend_class()(box, legend_position).add_to(group)
    return group


#: Catchment bands, nearest first: dark green, then a clearly different light yellow-green.
CATCHMENT_COLOURS = ("#006d2c", "#c2e699", "#ffffb2", "#f0f0f0")


def catchment_layer(polygons: gpd.GeoDataFrame | Mapping[str, Any], *, band_column: str = "minutes",
                    name: str = "Travel-time catchments", simplify_metres: float = 30.0) -> folium.FeatureGroup:
    """Isochrone / catchment polygons, one colour per minutes band (smallest band on top)."""
    import folium

    if isinstance(polygons, Mapping):
        gj = polygons
    else:
        if band_column not in polygons.columns:
            msg = f"catchment layer: no {band_column!r} column in the polygons"
            raise InputError(msg)
        ordered = polygons.sort_values(band_column, ascending=False)
        props = [c for c in (band_column, "site_name", "site_id") if c in ordered.columns]
        gj = geojson.frame_to_geojson(ordered.reset_index(drop=True), properties=props, simplify_metres=simplify_metres)
    bands = sorted({f["properties"].get(band_column) for f in gj["features"]
                    if f["properties"].get(band_column) is not None})
    colour = {b: CATCHMENT_COLOURS[min(i, len(CATCHMENT_COLOURS) - 1)] for i, b in enumerate(bands)}
    group = folium.FeatureGroup(name=name, show=True)
    folium.GeoJson(
        gj, name=name,
        style_function=lambda f: {"fillColor": colour.get(f["properties"].get(band_column), "#66c2a5"),
                                  "color": colour.get(f["properties"].get(band_column), "#14523d"),
                                  "weight": 0.8, "opacity": 0.6, "fillOpacity": 0.35},
        interactive=False,
    ).add_to(group)
    if bands:
        Legend(name, [(f"within {b:g} min", colour[b]) for b in bands], position="topright").add_to(group)
    return group


def district_boundaries(lads: gpd.GeoDataFrame | Mapping[str, Any], *,
                        name: str = "District boundaries") -> folium.FeatureGroup:
    """District outlines (no fill) with the district name on hover."""
    import folium

    gj = lads if isinstance(lads, Mapping) else geojson.district_geojson(lads)
    group = folium.FeatureGroup(name=name, show=True)
    folium.GeoJson(gj, name=name,
                   style_function=lambda _f: {"fill": False, "color": "#37474f", "weight": 1.6,
                                              "dashArray": "6 4", "opacity": 0.8},
                   tooltip=folium.GeoJsonTooltip(fields=["lad24nm"], aliases=["District"]),
                   interactive=True).add_to(group)
    return group


def area_outline(outline: Mapping[str, Any], *, name: str = "Study area") -> folium.FeatureGroup:
    """A bold outline of the study area (from :func:`outline_geojson`)."""
    import folium

    group = folium.FeatureGroup(name=name, show=True)
    folium.GeoJson(outline, name=name, interactive=False,
                   style_function=lambda _f: {"fill": False, "color": "#111111", "weight": 2.6}).add_to(group)
    return group


__all__ = ["CATCHMENT_COLOURS", "Legend", "area_outline", "catchment_layer", "district_boundaries", "lsoa_choropleth",
           "site_markers"]
