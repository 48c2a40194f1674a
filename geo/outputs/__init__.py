"""Outputs: what leaves the machine — reports, exports and GeoJSON for maps.

Owns the HTML report and its maps, GeoPackage/CSV exports (with disclosure checks and formula
neutralising) and GeoJSON building for web maps (EPSG:4326 only here).  No folium: map widgets
live in ``atlas/``.  May import everything upstream.
"""
