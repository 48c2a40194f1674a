"""Map context layer for the atlas: place names, main roads and site names, drawn offline.

Data from :meth:`geo.outputs.map_context.MapContext.geojson`; labels are placed in the browser
at each zoom so that bigger places come first and labels never overlap.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import folium


def context_layer(context: Mapping[str, Any], *, name: str = "Places and roads") -> folium.FeatureGroup:
    """Place names, main roads and site names that orient the map, all offline.

    ``context`` is :meth:`geo.outputs.map_context.MapContext.geojson`.  Labels are placed in the
    browser at each zoom: the biggest towns first, then hub and site names from their
    ``min_zoom``, then smaller places, skipping any label that would overlap one already shown.
    """
    import folium
    from branca.element import MacroElement
    from jinja2 import Template

    group = folium.FeatureGroup(name=name, show=True)
    el = MacroElement()
    el._template = Template("""
    {% macro script(this, kwargs) %}
    (function(){
      var g = {{ this._parent.get_name() }}, ctx = """ + json.dumps(context, separators=(",", ":")) + """;
      L.geoJSON(ctx.roads, {interactive: false, style: function(f){
        return {color: f.properties.color, weight: f.properties.weight, opacity: 0.9, lineCap: 'round'}; }}).addTo(g);
      var esc = function(t){ var d = document.createElement('div'); d.textContent = t; return d.innerHTML; };
      var items = [];
      ctx.places.features.forEach(function(f){
        var p = f.properties, big = p.rank <= 3;
        items.push({ll: [f.geometry.coordinates[1], f.geometry.coordinates[0]], text: p.name, z: p.min_zoom,
                    order: big ? p.rank : 100 + p.rank, cls: 'geo-place geo-place-' + p.kind + (p.min_zoom <= 9 ? ' geo-place-big' : ''),
                    dy: 0, place: true});
      });
      ctx.sites.features.forEach(function(f, i){
        var p = f.properties; if (!p.name) return;
        items.push({ll: [f.geometry.coordinates[1], f.geometry.coordinates[0]], text: p.name, z: p.min_zoom,
                    order: 10 + p.min_zoom + i / 10000, cls: 'geo-site-label', dy: 14, place: false});
      });
      items.sort(function(a, b){ return a.order - b.order; });
      var layer = L.layerGroup().addTo(g);
      function update(){
        var m = g._map; if (!m) return;
        var z = m.getZoom(), taken = []; layer.clearLayers();
        items.forEach(function(it){
          if (it.place ? z < it.z - 1.5 : z < it.z) return;
          var pt = m.latLngToContainerPoint(it.ll), w = it.text.length * (it.place ? 7.2 : 6.4) + 6, h = 16;
          var box = [pt.x - w / 2, pt.y + it.dy - h / 2, pt.x + w / 2, pt.y + it.dy + h / 2];
          for (var k = 0; k < taken.length; k++) { var t = taken[k];
            if (!(box[2] < t[0] || box[0] > t[2] || box[3] < t[1] || box[1] > t[3])) return; }
          taken.push(box);
          L.marker(it.ll, {interactive: false, keyboard: false, icon: L.divIcon({className: it.cls,
            html: '<span style="transform:translate(-50%, ' + (it.dy ? '4px' : '-50%') + ')">' + esc(it.text) + '</span>',
            iconSize: [0, 0]})}).addTo(layer);
        });
      }
      var css = document.createElement('style');
      css.innerHTML = '.geo-place span,.geo-site-label span{position:absolute;white-space:nowrap;pointer-events:none;'
        + 'text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff;font-family:system-ui,sans-serif}'
        + '.geo-place span{font-size:12px;font-weight:600;color:#222}.geo-place-big span{font-size:14px;font-weight:700}'
        + '.geo-place-locality span{font-size:11px;font-weight:500;color:#444}'
        + '.geo-site-label span{font-size:11px;font-style:italic;color:#4a1a5c}';
      document.head.appendChild(css);
      function hook(){ var m = g._map; if (!m) return; m.on('zoomend', update); update(); }
      if (g._map) { hook(); } else { g.on('add', hook); }
    })();
    {% endmacro %}
    """)
    group.add_child(el)
    return group


__all__ = ["context_layer"]
