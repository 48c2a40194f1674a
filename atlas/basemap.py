"""The atlas's base map: a folium map fitted to an area, that works offline.

:func:`base_map` fits the study area left of the legend strip (:data:`LEGEND_WIDTH_PX`) at a
zoom computed here (:func:`zoom_for_bounds`), draws no tiles unless asked (and a note on the map
when tiles fail), and :func:`use_assets` serves Leaflet from the copy vendored under
``atlas/static/leaflet`` (:func:`find_leaflet_dir`, :func:`leaflet_data_urls`) instead of a CDN.
The layers drawn on it are :mod:`atlas.leaflet`.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geo import InputError, geojson

if TYPE_CHECKING:
    import folium


TILES = {
    "osm": ("OpenStreetMap", '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'),
    "carto": ("https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
              '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors '
              '&copy; <a href="https://carto.com/attributions">CARTO</a>'),
}


ATTRIBUTION = "Contains OS data and National Statistics data © Crown copyright and database right 2025"


#: Width kept free on the right of every map for the legends (they never cover the study area).
LEGEND_WIDTH_PX = 240


def base_map(bounds: Sequence[Sequence[float]] | None, *, tiles: str | None = None,
             attribution: str = ATTRIBUTION, width_px: int = 900, height_px: int = 540,
             legend_gutter_px: int = LEGEND_WIDTH_PX) -> folium.Map:
    """A folium map fitted to ``bounds`` (``[[south, west], [north, east]]`` in degrees).

    ``tiles=None`` (default) draws no tiles: a plain background, no network requests, works
    offline.  ``"auto"`` or ``"carto"`` use CARTO Positron (quiet, good under choropleths);
    ``"osm"`` uses OpenStreetMap standard tiles; a tile that fails to load shows a note on
    the map instead of leaving it blank (the layers never depend on tiles).  The study area
    is fitted into the map left of a ``legend_gutter_px`` strip where the legends sit.
    """
    import folium
    from branca.element import MacroElement
    from jinja2 import Template

    b = bounds or [[49.9, -6.4], [55.8, 1.8]]
    gutter = legend_gutter_px if width_px - legend_gutter_px >= 320 else 0
    zoom = zoom_for_bounds(b, width_px=width_px - gutter, height_px=height_px)
    shift_lon = (gutter / 2.0) / (256.0 * 2.0 ** zoom) * 360.0  # move the view right: area sits left
    area_centre = [(b[0][0] + b[1][0]) / 2, (b[0][1] + b[1][1]) / 2]
    centre = [area_centre[0], area_centre[1] + shift_lon]
    m = folium.Map(location=centre, zoom_start=zoom,
                   tiles=None, control_scale=True, prefer_canvas=False,
                   zoom_snap=0.25)
    key = None if tiles is None else ("carto" if tiles in {"auto", "carto"} else tiles)
    if key is not None:
        if key not in TILES:
            msg = f"unknown tiles {tiles!r}; use None (offline), 'auto', 'carto' or 'osm'"
            raise InputError(msg)
        url, attr = TILES[key]
        folium.TileLayer(url, attr=attr, name="Street map", control=False, max_zoom=18).add_to(m)
    tile_note = TILE_ERROR_NOTE if key is not None else ""
    bg = MacroElement()
    bg._template = Template("""
    {% macro header(this, kwargs) %}
    <style>
    .leaflet-control-layers-toggle{background-image:none!important;width:auto!important;height:auto!important;
      padding:5px 9px;font:600 12px system-ui,sans-serif;color:#222;text-decoration:none}
    .leaflet-control-layers-toggle:after{content:"Layers"}
    .leaflet-tooltip{font:12px/1.4 system-ui,sans-serif}
    .geo-site{background:transparent;border:none}
    </style>
    {% endmacro %}
    {% macro script(this, kwargs) %}
    (function(){ var m = {{ this._parent.get_name() }};
      m.getContainer().style.background = '""" + (geojson.PLAIN_BACKGROUND if key is None else "#f8f8f6") + """';
      m.attributionControl.setPrefix(false);
      m.attributionControl.addAttribution(""" + json.dumps(html.escape(attribution)) + """);
      window.geoMap = m; window.geoAreaCentre = """ + json.dumps(area_centre) + """;
      var note = """ + json.dumps(tile_note) + """, shown = false;
      if (note) { m.eachLayer(function(l){ if (l instanceof L.TileLayer) { l.on('tileerror', function(){
        if (shown) return; shown = true;
        var c = L.control({position: 'bottomleft'});
        c.onAdd = function(){ var d = L.DomUtil.create('div', 'geo-tile-note');
          d.style.cssText = 'background:#fff4e5;border:1px solid #ed8b00;padding:4px 8px;border-radius:4px;'
            + 'font:12px system-ui,sans-serif;color:#7a3e00';
          d.innerHTML = note; return d; };
        c.addTo(m); }); } }); }
    })();
    {% endmacro %}
    """)
    m.add_child(bg)
    return m


#: Shown on the map when street-map tiles cannot be fetched (offline): the map stays usable.
TILE_ERROR_NOTE = "Street map unavailable (no internet?): showing the map without it."


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


#: Folders searched for a local Leaflet build: the copy vendored with the atlas
#: (``atlas/static/leaflet``, BSD-2-Clause), then Debian/Ubuntu ``libjs-leaflet``.
LEAFLET_DIRS = (str(Path(__file__).resolve().parent / "static" / "leaflet"),
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


__all__ = ["ATTRIBUTION", "LEAFLET_DIRS", "LEGEND_WIDTH_PX", "TILES", "TILE_ERROR_NOTE", "base_map",
           "find_leaflet_dir", "leaflet_data_urls", "use_assets", "zoom_for_bounds"]
