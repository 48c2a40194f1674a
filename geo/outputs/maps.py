"""Folium layer builders for the atlas: LSOA choropleths, sites, catchments, boundaries.

Everything upstream is in EPSG:27700; this is the only module that reprojects to EPSG:4326,
and it does so at the last step, after simplifying polygons in metres.  Builders come in
two halves so that apps can cache the heavy part:

* ``*_geojson`` functions turn frames into small GeoJSON dicts (simplified, coordinates
  rounded, only the properties the map shows) -- plain data, safe to cache;
* the layer functions (:func:`lsoa_choropleth`, :func:`site_markers`, :func:`catchment_layer`,
  :func:`district_boundaries`, :func:`area_outline`) wrap a dict (or a frame) in a folium
  ``FeatureGroup``; build them fresh on each render, never cache folium objects.

:func:`base_map` works offline: ``tiles=None`` gives a plain background (no network
requests), ``tiles="auto"``/``"osm"``/``"carto"`` add a tile layer for online use.
"""

from __future__ import annotations

import html
import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.crs import WGS84, to_bng

if TYPE_CHECKING:
    import folium
    import geopandas as gpd
    from shapely.geometry.base import BaseGeometry

logger = logging.getLogger(__name__)

#: Decimal places kept in map coordinates (5 dp ~ 1 m, finer than the BSC boundaries).
COORD_DECIMALS = 5
#: Default simplification of LSOA polygons before reprojection (metres).
SIMPLIFY_METRES = 25.0
#: Plain background used when no tiles are drawn (offline-safe).
PLAIN_BACKGROUND = "#eef0f2"

#: Minutes bands (upper edges) and a sequential light-to-dark palette (ColorBrewer YlGnBu,
#: colour-blind safe): longer journeys are darker.
MINUTES_BINS = (10.0, 15.0, 20.0, 30.0, 45.0, 60.0)
MINUTES_COLOURS = ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84")
#: IMD decile colours, 1 = most deprived (dark) to 10 = least deprived (light); ColorBrewer PuRd.
DECILE_COLOURS = ("#67001f", "#980043", "#ce1256", "#e7298a", "#df65b0",
                  "#c994c7", "#d4b9da", "#e7e1ef", "#f1eef6", "#fbf8fc")
#: Generic sequential palette (ColorBrewer OrRd, 6 classes) for scores and rates.
SEQUENTIAL_COLOURS = ("#fef0d9", "#fdd49e", "#fdbb84", "#fc8d59", "#e34a33", "#b30000")
NO_DATA_COLOUR = "#bdbdbd"


@dataclass(frozen=True)
class SiteStyle:
    """How one site type is drawn: a shape, a fill colour and a one-letter glyph."""

    label: str
    colour: str
    shape: str  # "square" | "circle" | "diamond" | "triangle"
    glyph: str
    size_px: int


#: Distinct shape + colour per site type (Okabe-Ito colour-blind-safe palette).
SITE_STYLES: dict[str, SiteStyle] = {
    "hub": SiteStyle("Treatment hub", "#5b2a86", "square", "H", 22),
    "satellite": SiteStyle("Satellite clinic", "#0072b2", "square", "S", 18),
    "outreach": SiteStyle("Outreach point", "#d55e00", "triangle", "O", 18),
    "pharmacy": SiteStyle("Community pharmacy", "#009e73", "circle", "+", 13),
    "nsp": SiteStyle("Needle & syringe programme", "#cc79a7", "diamond", "N", 16),
    "supervised_consumption": SiteStyle("Supervised consumption", "#e69f00", "diamond", "C", 16),
    "young_people": SiteStyle("Young people's service", "#56b4e9", "circle", "Y", 16),
    "hospital": SiteStyle("Hospital", "#c00000", "square", "+", 18),
    "recovery": SiteStyle("Recovery service", "#8c6d31", "circle", "R", 16),
    "other": SiteStyle("Other site", "#555555", "circle", "•", 14),
    "proposed": SiteStyle("Proposed site", "#000000", "square", "★", 22),
}


# --------------------------------------------------------------------------------------
# Geometry -> GeoJSON (cacheable dicts)
# --------------------------------------------------------------------------------------

def _round_coords(geoms: np.ndarray, decimals: int) -> np.ndarray:
    import shapely

    return shapely.transform(geoms, lambda xy: np.round(xy, decimals))


def _clean(value: Any) -> Any:
    """JSON-safe scalar (NaN -> None, numpy -> python)."""
    if value is None:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return None if math.isnan(v) else round(v, 2)
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    return value if isinstance(value, (int, str)) else str(value)


def frame_to_geojson(gdf: gpd.GeoDataFrame, *, properties: Sequence[str] = (),
                     simplify_metres: float = SIMPLIFY_METRES,
                     decimals: int = COORD_DECIMALS, id_column: str | None = None) -> dict[str, Any]:
    """A small GeoJSON FeatureCollection in EPSG:4326.

    Geometries are simplified by ``simplify_metres`` in EPSG:27700 (topology preserved),
    reprojected, and coordinates rounded to ``decimals``; only ``properties`` are kept.
    """
    import shapely

    if gdf.crs is None:
        msg = "map layer: the frame has no CRS; set EPSG:27700 before mapping"
        raise InputError(msg)
    missing = [p for p in properties if p not in gdf.columns]
    if missing:
        msg = f"map layer: missing column(s) {', '.join(missing)}"
        raise InputError(msg)
    bng = to_bng(gdf, what="map layer")
    geoms = bng.geometry.to_numpy()
    if simplify_metres > 0:
        geoms = shapely.simplify(geoms, simplify_metres, preserve_topology=True)
    import geopandas as gpd

    web = gpd.GeoSeries(geoms, crs=bng.crs).to_crs(WGS84).to_numpy()
    web = _round_coords(web, decimals)
    ids = bng[id_column].to_numpy() if id_column else bng.index.to_numpy()
    cols = {p: bng[p].to_numpy() for p in properties}
    feats = []
    for i, g in enumerate(web):
        if g is None or g.is_empty:
            continue
        props = {p: _clean(cols[p][i]) for p in properties}
        feats.append({"type": "Feature", "id": str(ids[i]), "properties": props,
                      "geometry": shapely.geometry.mapping(g)})
    return {"type": "FeatureCollection", "features": feats}


def geojson_bounds(geojson: Mapping[str, Any]) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` of a FeatureCollection (for ``fit_bounds``)."""
    xs: list[float] = []
    ys: list[float] = []

    def walk(c: Any) -> None:
        if isinstance(c, (list, tuple)) and c and isinstance(c[0], (int, float)):
            xs.append(float(c[0]))
            ys.append(float(c[1]))
        elif isinstance(c, (list, tuple)):
            for x in c:
                walk(x)

    for f in geojson.get("features", []):
        walk(f["geometry"]["coordinates"])
    if not xs:
        return None
    return [[min(ys), min(xs)], [max(ys), max(xs)]]


def bounds_from_bng(xmin: float, ymin: float, xmax: float, ymax: float) -> list[list[float]]:
    """``[[south, west], [north, east]]`` in degrees from a BNG box (for :func:`base_map`)."""
    from geo.crs import lonlat_from_bng

    lon, lat = lonlat_from_bng(np.array([xmin, xmax, xmin, xmax]), np.array([ymin, ymin, ymax, ymax]))
    return [[round(float(lat.min()), 5), round(float(lon.min()), 5)],
            [round(float(lat.max()), 5), round(float(lon.max()), 5)]]


# --------------------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------------------

def classify(values: pd.Series | np.ndarray, bins: Sequence[float], colours: Sequence[str]) -> list[str]:
    """Colour per value: ``colours[i]`` for ``bins[i-1] < v <= bins[i]``; NaN -> grey.

    ``colours`` must have ``len(bins) + 1`` entries (the last is for values above the last bin).
    """
    if len(colours) != len(bins) + 1:
        msg = f"classify: {len(bins)} bins need {len(bins) + 1} colours, got {len(colours)}"
        raise InputError(msg)
    v = np.asarray(values, dtype=float)
    idx = np.searchsorted(np.asarray(bins, dtype=float), v, side="left")
    out = [colours[int(i)] for i in idx]
    return [NO_DATA_COLOUR if math.isnan(x) else c for x, c in zip(v, out, strict=True)]


def legend_labels(bins: Sequence[float], *, unit: str = "", decimals: int = 0) -> list[str]:
    """Human labels for the classes of :func:`classify` ("up to 10 min", "10-15 min", "over 60 min")."""
    fmt = f"{{:.{decimals}f}}"
    u = f" {unit}" if unit else ""
    labels = [f"up to {fmt.format(bins[0])}{u}"]
    labels += [f"{fmt.format(a)}–{fmt.format(b)}{u}" for a, b in zip(bins[:-1], bins[1:], strict=True)]
    labels.append(f"over {fmt.format(bins[-1])}{u}")
    return labels


def quantile_bins(values: pd.Series | np.ndarray, k: int = 5) -> tuple[float, ...]:
    """Up to ``k - 1`` rounded quantile breaks of the finite values (for scores and rates)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return (0.0,)
    qs = np.quantile(v, np.linspace(0, 1, k + 1)[1:-1])
    span = float(v.max() - v.min()) or 1.0
    digits = max(0, 2 - int(math.floor(math.log10(span))))
    out = sorted({round(float(q), digits) for q in qs})
    return tuple(out) if out else (float(v.min()),)


# --------------------------------------------------------------------------------------
# Choropleth
# --------------------------------------------------------------------------------------

#: Tooltip fields shown when present: (column, label).
TOOLTIP_FIELDS = (
    ("lsoa21nm", "Neighbourhood (LSOA)"),
    ("lad24nm", "District"),
    ("adults", "Adults (18+)"),
    ("imd_decile", "IMD decile (1 = most deprived)"),
    ("minutes", "Minutes to nearest site"),
    ("site_name", "Nearest site"),
    ("gap_score", "Gap score"),
    ("value_label", "Value"),
)


def choropleth_geojson(frame: gpd.GeoDataFrame, column: str, *, bins: Sequence[float],
                       colours: Sequence[str], label_format: str = "{:.1f}",
                       extra_properties: Sequence[str] = (),
                       simplify_metres: float = SIMPLIFY_METRES) -> dict[str, Any]:
    """GeoJSON of LSOA polygons with a ``fill`` colour per feature and tooltip properties."""
    if column not in frame.columns:
        msg = f"choropleth: no column {column!r} to colour by (have: {', '.join(map(str, frame.columns[:12]))})"
        raise InputError(msg)
    f = frame.copy()
    f["fill"] = classify(f[column], bins, colours)
    vals = pd.to_numeric(f[column], errors="coerce")
    f["value_label"] = [("no data" if pd.isna(x) else label_format.format(x)) for x in vals]
    if "in_area" in f.columns:
        f["in_area"] = f["in_area"].astype(bool)
    props = ["fill", "value_label", *[c for c, _ in TOOLTIP_FIELDS if c in f.columns and c != "value_label"],
             *[c for c in ("in_area",) if c in f.columns], *extra_properties]
    props = list(dict.fromkeys(props))
    return frame_to_geojson(f, properties=props, simplify_metres=simplify_metres)


def lsoa_choropleth(frame: gpd.GeoDataFrame | Mapping[str, Any], column: str | None = None, *,
                    legend_title: str, bins: Sequence[float] = MINUTES_BINS,
                    colours: Sequence[str] = MINUTES_COLOURS, labels: Sequence[str] | None = None,
                    name: str = "Neighbourhoods", value_label: str = "Value",
                    fill_opacity: float = 0.72) -> folium.FeatureGroup:
    """An LSOA choropleth layer with tooltips and a legend control.

    ``frame`` is an LSOA frame (EPSG:27700, coloured by ``column``) or a dict already made
    by :func:`choropleth_geojson`.  LSOAs outside the study area (``in_area`` False) are
    drawn faded.
    """
    import folium

    gj = frame if isinstance(frame, Mapping) else choropleth_geojson(
        frame, column or "", bins=bins, colours=colours)
    group = folium.FeatureGroup(name=name, show=True)
    feats = gj.get("features", [])
    if not feats:
        return group
    present = [c for c, _ in TOOLTIP_FIELDS if c in feats[0]["properties"]]
    aliases = [value_label if c == "value_label" else dict(TOOLTIP_FIELDS)[c] for c in present]

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        p = feature["properties"]
        inside = p.get("in_area", True) is not False
        return {"fillColor": p.get("fill", NO_DATA_COLOUR), "color": "#ffffff" if inside else "#9e9e9e",
                "weight": 0.6, "fillOpacity": fill_opacity if inside else fill_opacity * 0.35,
                "dashArray": None if inside else "2 3"}

    folium.GeoJson(
        gj, name=name, style_function=style,
        highlight_function=lambda _f: {"weight": 2.5, "color": "#111111"},
        tooltip=folium.GeoJsonTooltip(fields=present, aliases=aliases, localize=True, sticky=True,
                                      style="font-size: 13px;"),
        smooth_factor=0.5,
    ).add_to(group)
    labs = list(labels) if labels is not None else legend_labels(bins)
    Legend(legend_title, list(zip(labs, colours, strict=False))).add_to(group)
    return group


# --------------------------------------------------------------------------------------
# Legend (a Leaflet control built in JS so it renders inside st_folium's iframe too)
# --------------------------------------------------------------------------------------

def _legend_html(title: str, items: Sequence[tuple[str, str]], *, note: str = "") -> str:
    rows = "".join(
        f'<div style="display:flex;align-items:center;gap:6px;margin:2px 0">'
        f'<span style="display:inline-block;width:18px;height:12px;background:{c};'
        f'border:1px solid #888"></span><span>{html.escape(lab)}</span></div>'
        for lab, c in items)
    extra = f'<div style="margin-top:4px;color:#555;font-size:11px">{html.escape(note)}</div>' if note else ""
    return (f'<div style="background:rgba(255,255,255,0.94);padding:8px 10px;border-radius:6px;'
            f'box-shadow:0 1px 4px rgba(0,0,0,.3);font:12px/1.35 system-ui,sans-serif;color:#222;'
            f'max-width:230px"><div style="font-weight:600;margin-bottom:4px">{html.escape(title)}</div>'
            f"{rows}{extra}</div>")


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
           position: str = "bottomright") -> Any:
    """A legend control (attach to a map or a FeatureGroup; it follows the group's visibility)."""
    cls = _make_legend_class()
    return cls(_legend_html(title, items, note=note), position)


# --------------------------------------------------------------------------------------
# Sites
# --------------------------------------------------------------------------------------

def _marker_svg(style: SiteStyle, *, faded: bool = False) -> str:
    s = style.size_px
    op = "0.55" if faded else "1"
    stroke = 'stroke="#ffffff" stroke-width="1.6"'
    if style.shape == "square":
        shape = f'<rect x="1" y="1" width="{s - 2}" height="{s - 2}" rx="3" fill="{style.colour}" {stroke}/>'
    elif style.shape == "diamond":
        h = s / 2
        shape = f'<polygon points="{h},1 {s - 1},{h} {h},{s - 1} 1,{h}" fill="{style.colour}" {stroke}/>'
    elif style.shape == "triangle":
        shape = f'<polygon points="{s / 2},1 {s - 1},{s - 1} 1,{s - 1}" fill="{style.colour}" {stroke}/>'
    else:
        shape = f'<circle cx="{s / 2}" cy="{s / 2}" r="{s / 2 - 1}" fill="{style.colour}" {stroke}/>'
    font = max(8, int(s * 0.6))
    text = (f'<text x="50%" y="{55 if style.shape != "triangle" else 68}%" dominant-baseline="middle" '
            f'text-anchor="middle" font-family="system-ui,sans-serif" font-weight="700" '
            f'font-size="{font}" fill="#ffffff">{html.escape(style.glyph)}</text>') if s >= 14 else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{s}" height="{s}" opacity="{op}" '
            f'style="filter:drop-shadow(0 1px 1px rgba(0,0,0,.45))">{shape}{text}</svg>')


def site_style(site_type: str) -> SiteStyle:
    """Drawing style of a site type (unknown types use ``other``)."""
    return SITE_STYLES.get(str(site_type), SITE_STYLES["other"])


def _popup_html(row: Mapping[str, Any]) -> str:
    def get(k: str) -> str:
        v = row.get(k)
        return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)

    st = site_style(get("site_type"))
    lines = [f'<div style="font:13px/1.4 system-ui,sans-serif;min-width:220px;max-width:300px">'
             f'<div style="font-weight:700;font-size:14px;margin-bottom:2px">{html.escape(get("name"))}</div>'
             f'<div style="color:{st.colour};font-weight:600;margin-bottom:6px">{html.escape(st.label)}'
             f'{" · outside the area" if row.get("in_area") is False else ""}</div>']
    addr = ", ".join(x for x in (get("address"), get("town"), get("postcode")) if x)
    for label, value in (("Provider", get("provider")), ("Address", addr)):
        if value:
            lines.append(f"<div><b>{label}:</b> {html.escape(value)}</div>")
    hours = get("opening_hours_text") or get("opening_hours")
    lines.append(f"<div><b>Hours:</b> {html.escape(hours) if hours else '<i>not recorded</i>'}</div>")
    open_now = row.get("open_now")
    when = get("open_when")
    if open_now is True:
        lines.append(f'<div style="color:#1a7f37"><b>Open</b> {html.escape(when)}</div>')
    elif open_now is False:
        lines.append(f'<div style="color:#b42318"><b>Closed</b> {html.escape(when)}</div>')
    elif when:
        lines.append(f'<div style="color:#666">Opening {html.escape(when)}: unknown</div>')
    if get("location_precision") == "town":
        lines.append('<div style="color:#8a5a00;margin-top:4px">Location approximate: only the town is '
                     "known, shown at the town centre.</div>")
    lines.append("</div>")
    return "".join(lines)


def sites_geojson(sites: pd.DataFrame) -> dict[str, Any]:
    """Sites as GeoJSON points (EPSG:4326) with the fields the markers and popups use."""
    from geo.crs import lonlat_from_bng

    need = {"easting", "northing", "name", "site_type"}
    missing = need - set(sites.columns)
    if missing:
        msg = f"site markers: missing column(s) {', '.join(sorted(missing))}"
        raise InputError(msg)
    ok = sites[np.isfinite(sites["easting"].astype(float)) & np.isfinite(sites["northing"].astype(float))]
    lon, lat = lonlat_from_bng(ok["easting"].to_numpy(float), ok["northing"].to_numpy(float))
    keep = [c for c in ("site_id", "name", "site_type", "provider", "address", "town", "postcode",
                        "opening_hours", "opening_hours_text", "in_area", "open_now", "open_when",
                        "location_precision") if c in ok.columns]
    feats = []
    for i, (_, r) in enumerate(ok[keep].iterrows()):
        props = {k: _clean(r[k]) for k in keep}
        feats.append({"type": "Feature", "properties": props,
                      "geometry": {"type": "Point", "coordinates": [round(float(lon[i]), COORD_DECIMALS),
                                                                    round(float(lat[i]), COORD_DECIMALS)]}})
    return {"type": "FeatureCollection", "features": feats}


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

    gj = sites if isinstance(sites, Mapping) else sites_geojson(sites)
    group = folium.FeatureGroup(name=name, show=True)
    types_seen: dict[str, SiteStyle] = {}
    # Small, numerous types first so hubs are drawn on top.
    feats = sorted(gj.get("features", []), key=lambda f: site_style(f["properties"].get("site_type", "")).size_px)
    slim = []
    for f in feats:
        p = f["properties"]
        t = str(p.get("site_type", "other"))
        types_seen[t] = site_style(t)
        slim.append({"type": "Feature", "geometry": f["geometry"],
                     "properties": {"t": t if t in SITE_STYLES else "other", "f": p.get("in_area") is False,
                                    "n": str(p.get("name", "")), "p": _popup_html(p)}})
    icons = {k: {"svg": _marker_svg(v), "faded": _marker_svg(v, faded=True), "s": v.size_px}
             for k, v in SITE_STYLES.items() if k in types_seen or k == "other"}
    _site_layer_class()({"type": "FeatureCollection", "features": slim}, icons).add_to(group)
    if legend and types_seen:
        items = sorted(types_seen.items(), key=lambda kv: -kv[1].size_px)
        rows = "".join(
            f'<div style="display:flex;align-items:center;gap:6px;margin:2px 0">'
            f'<span style="display:inline-flex;width:22px;justify-content:center">{_marker_svg(st)}</span>'
            f"<span>{html.escape(st.label)}</span></div>" for _, st in items)
        note = ('<div style="margin-top:4px;color:#555;font-size:11px">Faded: across the border</div>'
                if any(f["properties"].get("in_area") is False for f in feats) else "")
        box = (f'<div style="background:rgba(255,255,255,0.94);padding:8px 10px;border-radius:6px;'
               f'box-shadow:0 1px 4px rgba(0,0,0,.3);font:12px/1.35 system-ui,sans-serif;color:#222">'
               f'<div style="font-weight:600;margin-bottom:4px">Sites</div>{rows}{note}</div>')
        _make_legend_class()(box, legend_position).add_to(group)
    return group


# --------------------------------------------------------------------------------------
# Catchments, districts, outline
# --------------------------------------------------------------------------------------

CATCHMENT_COLOURS = ("#1b9e77", "#66c2a5", "#b3e2cd", "#e0f3ec")


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
        gj = frame_to_geojson(ordered.reset_index(drop=True), properties=props, simplify_metres=simplify_metres)
    bands = sorted({f["properties"].get(band_column) for f in gj["features"]
                    if f["properties"].get(band_column) is not None})
    colour = {b: CATCHMENT_COLOURS[min(i, len(CATCHMENT_COLOURS) - 1)] for i, b in enumerate(bands)}
    group = folium.FeatureGroup(name=name, show=True)
    folium.GeoJson(
        gj, name=name,
        style_function=lambda f: {"fillColor": colour.get(f["properties"].get(band_column), "#66c2a5"),
                                  "color": "#14523d", "weight": 1.8, "fillOpacity": 0.22},
        interactive=False,
    ).add_to(group)
    if bands:
        Legend(name, [(f"within {b:g} min", colour[b]) for b in bands], position="bottomleft").add_to(group)
    return group


def district_geojson(lads: gpd.GeoDataFrame, *, simplify_metres: float = 100.0) -> dict[str, Any]:
    """District (LAD) boundaries as a small GeoJSON dict with the district name."""
    f = lads.copy()
    if "lad24nm" not in f.columns:
        f["lad24nm"] = f.index.astype(str)
    return frame_to_geojson(f, properties=["lad24nm"], simplify_metres=simplify_metres)


def district_boundaries(lads: gpd.GeoDataFrame | Mapping[str, Any], *,
                        name: str = "District boundaries") -> folium.FeatureGroup:
    """District outlines (no fill) with the district name on hover."""
    import folium

    gj = lads if isinstance(lads, Mapping) else district_geojson(lads)
    group = folium.FeatureGroup(name=name, show=True)
    folium.GeoJson(gj, name=name,
                   style_function=lambda _f: {"fill": False, "color": "#37474f", "weight": 1.6,
                                              "dashArray": "6 4", "opacity": 0.8},
                   tooltip=folium.GeoJsonTooltip(fields=["lad24nm"], aliases=["District"]),
                   interactive=True).add_to(group)
    return group


def outline_geojson(polygon: BaseGeometry, *, simplify_metres: float = 50.0) -> dict[str, Any]:
    """The study-area outline (a shapely geometry in EPSG:27700) as GeoJSON."""
    import geopandas as gpd

    from geo.crs import BNG

    gdf = gpd.GeoDataFrame({"name": ["Study area"]}, geometry=[polygon], crs=BNG)
    return frame_to_geojson(gdf, properties=["name"], simplify_metres=simplify_metres)


def area_outline(outline: Mapping[str, Any], *, name: str = "Study area") -> folium.FeatureGroup:
    """A bold outline of the study area (from :func:`outline_geojson`)."""
    import folium

    group = folium.FeatureGroup(name=name, show=True)
    folium.GeoJson(outline, name=name, interactive=False,
                   style_function=lambda _f: {"fill": False, "color": "#111111", "weight": 2.6}).add_to(group)
    return group


# --------------------------------------------------------------------------------------
# Base map
# --------------------------------------------------------------------------------------

TILES = {
    "osm": ("OpenStreetMap", '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'),
    "carto": ("https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
              '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors '
              '&copy; <a href="https://carto.com/attributions">CARTO</a>'),
}

ATTRIBUTION = "Contains OS data and National Statistics data © Crown copyright and database right 2025"


def base_map(bounds: Sequence[Sequence[float]] | None, *, tiles: str | None = None,
             attribution: str = ATTRIBUTION, width_px: int = 900, height_px: int = 540) -> folium.Map:
    """A folium map fitted to ``bounds`` (``[[south, west], [north, east]]`` in degrees).

    ``tiles=None`` (default) draws no tiles: a plain background, no network requests, works
    offline.  ``"auto"`` or ``"carto"`` use CARTO Positron (quiet, good under choropleths);
    ``"osm"`` uses OpenStreetMap standard tiles.
    """
    import folium
    from branca.element import MacroElement
    from jinja2 import Template

    b = bounds or [[49.9, -6.4], [55.8, 1.8]]
    centre = [(b[0][0] + b[1][0]) / 2, (b[0][1] + b[1][1]) / 2]
    m = folium.Map(location=centre, zoom_start=zoom_for_bounds(b, width_px=width_px, height_px=height_px),
                   tiles=None, control_scale=True, prefer_canvas=False,
                   zoom_snap=0.25)
    key = None if tiles is None else ("carto" if tiles in {"auto", "carto"} else tiles)
    if key is not None:
        if key not in TILES:
            msg = f"unknown tiles {tiles!r}; use None (offline), 'auto', 'carto' or 'osm'"
            raise InputError(msg)
        url, attr = TILES[key]
        folium.TileLayer(url, attr=attr, name="Street map", control=False, max_zoom=18).add_to(m)
    bg = MacroElement()
    bg._template = Template("""
    {% macro script(this, kwargs) %}
    (function(){ var m = {{ this._parent.get_name() }};
      m.getContainer().style.background = '""" + (PLAIN_BACKGROUND if key is None else "#f8f8f6") + """';
      m.attributionControl.setPrefix(false);
      var css = document.createElement('style');
      css.innerHTML = '.leaflet-control-layers-toggle{background-image:none!important;width:auto!important;'
        + 'height:auto!important;padding:5px 9px;font:600 12px system-ui,sans-serif;color:#222;text-decoration:none}'
        + '.leaflet-control-layers-toggle:after{content:"Layers"}'
        + '.leaflet-tooltip{font:12px/1.4 system-ui,sans-serif}'
        + '.geo-site{background:transparent;border:none}';
      document.head.appendChild(css);
      m.attributionControl.addAttribution(""" + json.dumps(html.escape(attribution)) + """);
    })();
    {% endmacro %}
    """)
    m.add_child(bg)
    return m


def zoom_for_bounds(bounds: Sequence[Sequence[float]], *, width_px: int = 900, height_px: int = 540,
                    padding_px: int = 36) -> float:
    """Web-Mercator zoom (quarter steps) that fits ``bounds`` in a ``width_px`` x ``height_px`` map.

    Computed here rather than with Leaflet's ``fitBounds`` so the map opens at the right view
    even before its container has a size (inside a lazily sized iframe).
    """
    (s, w), (n, e) = bounds

    def merc(lat: float) -> float:
        r = math.radians(max(min(lat, 85.0), -85.0))
        return math.log(math.tan(math.pi / 4 + r / 2))

    xfrac = max((e - w) / 360.0, 1e-9)
    padding_px = max(padding_px, 8)
    yfrac = max((merc(n) - merc(s)) / (2 * math.pi), 1e-9)
    z = math.log2(min((width_px - 2 * padding_px) / (256 * xfrac), (height_px - 2 * padding_px) / (256 * yfrac)))
    return max(5.0, min(16.0, math.floor(z * 4) / 4))


# --------------------------------------------------------------------------------------
# Offline assets: Leaflet from a local folder instead of a CDN
# --------------------------------------------------------------------------------------

#: Folders searched for a local Leaflet build: the copy vendored with the atlas
#: (``atlas/static/leaflet``, BSD-2-Clause), then Debian/Ubuntu ``libjs-leaflet``.
LEAFLET_DIRS = (str(Path(__file__).resolve().parents[2] / "atlas" / "static" / "leaflet"),
                "/usr/share/javascript/leaflet", "/usr/share/nodejs/leaflet/dist")


def find_leaflet_dir(extra: str | None = None) -> str | None:
    """A folder holding ``leaflet.js`` (or ``leaflet.min.js``) and ``leaflet.css``, if any."""
    from pathlib import Path

    for d in ([extra] if extra else []) + list(LEAFLET_DIRS):
        p = Path(d)
        if (p / "leaflet.css").is_file() and ((p / "leaflet.min.js").is_file() or (p / "leaflet.js").is_file()):
            return str(p)
    return None


def leaflet_data_urls(leaflet_dir: str) -> dict[str, list[tuple[str, str]]]:
    """``{"js": [...], "css": [...]}`` with Leaflet inlined as ``data:`` URLs (no network needed)."""
    import base64
    from pathlib import Path

    d = Path(leaflet_dir)
    js = d / "leaflet.min.js" if (d / "leaflet.min.js").is_file() else d / "leaflet.js"
    css = d / "leaflet.css"

    def url(path: Path, mime: str) -> str:
        return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")

    return {"js": [("leaflet", url(js, "text/javascript"))], "css": [("leaflet_css", url(css, "text/css"))]}


def use_assets(m: folium.Map, assets: Mapping[str, Sequence[tuple[str, str]]]) -> folium.Map:
    """Load only Leaflet from ``assets`` (see :func:`leaflet_data_urls`), dropping every CDN link.

    The atlas layers need nothing but Leaflet (no jQuery, Bootstrap or icon fonts), so the map
    renders with no internet access.  Call after all layers are added.
    """
    def walk(el: Any) -> Any:
        yield el
        for child in getattr(el, "_children", {}).values():
            yield from walk(child)

    for el in walk(m):
        if hasattr(el, "default_js"):
            el.default_js = []
        if hasattr(el, "default_css"):
            el.default_css = []
    m.default_js = list(assets.get("js", []))
    m.default_css = list(assets.get("css", []))
    return m


__all__ = [
    "DECILE_COLOURS", "MINUTES_BINS", "MINUTES_COLOURS", "SEQUENTIAL_COLOURS", "SITE_STYLES",
    "Legend", "area_outline", "base_map", "bounds_from_bng", "catchment_layer", "choropleth_geojson",
    "classify", "district_boundaries", "zoom_for_bounds", "district_geojson", "frame_to_geojson", "geojson_bounds",
    "legend_labels", "lsoa_choropleth", "outline_geojson", "quantile_bins", "site_markers", "site_style",
    "sites_geojson", "find_leaflet_dir", "leaflet_data_urls", "use_assets",
]


def click_to_bng(lat: float, lon: float) -> tuple[float, float]:
    """A map click (degrees) as easting/northing metres (EPSG:27700), rounded to 1 m."""
    from geo.crs import bng_from_lonlat

    e, n = bng_from_lonlat(np.array([lon]), np.array([lat]))
    return round(float(e[0])), round(float(n[0]))
