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
    A place name never sits under a site marker: it moves above, below or beside the town's
    point to the first spot that is clear of markers (and is left out only when none is).
    """
    import folium
    from branca.element import MacroElement
    from jinja2 import Template

    from geo import markers

    sizes = markers.marker_sizes()

    group = folium.FeatureGroup(name=name, show=True)
    el = MacroElement()
    el._template = Template("""
    {% macro header(this, kwargs) %}
    <style>
    .geo-place span,.geo-site-label span{position:absolute;white-space:nowrap;pointer-events:none;
      text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff;font-family:system-ui,sans-serif}
    .geo-place span{font-size:12px;font-weight:600;color:#222}.geo-place-big span{font-size:14px;font-weight:700}
    .geo-place-locality span{font-size:11px;font-weight:500;color:#444}
    .geo-site-label span{font-size:11px;font-style:italic;color:#4a1a5c}
    </style>
    {% endmacro %}
    {% macro script(this, kwargs) %}
    (function(){
      var g = {{ this._parent.get_name() }}, ctx = """ + json.dumps(context, separators=(",", ":")) + """;
      var sizes = """ + json.dumps(sizes) + """;
      L.geoJSON(ctx.roads, {interactive: false, style: function(f){
        return {color: f.properties.color, weight: f.properties.weight, opacity: 0.9, lineCap: 'round'}; }}).addTo(g);
      var esc = function(t){ var d = document.createElement('div'); d.textContent = t; return d.innerHTML; };
      var items = [];
      ctx.places.features.forEach(function(f){
        var p = f.properties, big = p.rank <= 3;
        items.push({ll: [f.geometry.coordinates[1], f.geometry.coordinates[0]], text: p.name, z: p.min_zoom,
                    order: big ? p.rank : 100 + p.rank, cls: 'geo-place geo-place-' + p.kind + (p.min_zoom <= 9 ? ' geo-place-big' : ''),
                    dy: 0, place: true, side: p.kind === 'town', must: big});
      });
      ctx.sites.features.forEach(function(f, i){
        var p = f.properties; if (!p.name) return;
        items.push({ll: [f.geometry.coordinates[1], f.geometry.coordinates[0]], text: p.name, z: p.min_zoom,
                    order: 10 + p.min_zoom + i / 10000, cls: 'geo-site-label', dy: 14, place: false, mark: i});
      });
      items.sort(function(a, b){ return a.order - b.order; });
      var layer = L.layerGroup().addTo(g);
      function box(pt, d, w, h){
        return [pt.x + d[0] - w / 2, pt.y + d[1] - h / 2, pt.x + d[0] + w / 2, pt.y + d[1] + h / 2];
      }
      function hits(box, boxes){
        for (var k = 0; k < boxes.length; k++) { var t = boxes[k];
          if (!(box[2] < t[0] || box[0] > t[2] || box[3] < t[1] || box[1] > t[3])) return true; }
        return false;
      }
      function update(){
        var m = g._map; if (!m) return;
        var z = m.getZoom(), taken = [], marks = []; layer.clearLayers();
        ctx.sites.features.forEach(function(f){  // the site markers' boxes (drawn by the site layer)
          var r = (sizes[f.properties.site_type] || 14) / 2 + 2;
          var pt = m.latLngToContainerPoint([f.geometry.coordinates[1], f.geometry.coordinates[0]]);
          marks.push([pt.x - r, pt.y - r, pt.x + r, pt.y + r]);
        });
        items.forEach(function(it){
          if (it.place ? z < it.z - 1.5 : z < it.z) return;
          var pt = m.latLngToContainerPoint(it.ll), w = it.text.length * (it.place ? 7.2 : 6.4) + 6, h = 16;
          // place names: at the point, else just above or below it (towns, not wards, also beside it),
          // clear of markers; site names below their marker (over other markers when that is not clear)
          var tries = it.place ? [[0, 0], [0, -h], [0, h], [0, -2 * h], [0, 2 * h]] : [[0, it.dy]];
          if (it.side) tries.push([w / 2 + 10, 0], [-w / 2 - 10, 0]);
          var others = it.place ? marks : marks.filter(function(_b, j){ return j !== it.mark; });
          var pick = null, top = false;
          for (var c = 0; c < tries.length && !pick; c++) {
            var b = box(pt, tries[c], w, h);
            if (!hits(b, taken) && !hits(b, others)) pick = [tries[c], b];
          }
          // no spot clear of markers: site names and the biggest towns still show (drawn above the
          // markers, so never hidden under them); other places are left out at this zoom
          if (!pick && (!it.place || it.must)) {
            for (var c2 = 0; c2 < tries.length && !pick; c2++) {
              var b2 = box(pt, tries[c2], w, h);
              if (!hits(b2, taken)) { pick = [tries[c2], b2]; top = true; }
            }
          }
          if (!pick) return;
          taken.push(pick[1]);
          var shift = 'translate(calc(-50% + ' + pick[0][0] + 'px), calc(-50% + ' + pick[0][1] + 'px))';
          L.marker(it.ll, {interactive: false, keyboard: false, zIndexOffset: top ? 10000 : 0,
            icon: L.divIcon({className: it.cls, html: '<span style="transform:' + shift + '">' + esc(it.text)
              + '</span>', iconSize: [0, 0]})}).addTo(layer);
        });
      }
      function hook(){ var m = g._map; if (!m) return; m.on('zoomend', update); update(); }
      if (g._map) { hook(); } else { g.on('add', hook); }
    })();
    {% endmacro %}
    """)
    group.add_child(el)
    return group


__all__ = ["context_layer"]
