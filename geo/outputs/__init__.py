"""Outputs: what leaves the machine -- the one home of every output format.

* :mod:`~geo.outputs.formats` -- the answer formats (``FORMATS``: table, JSON, CSV; ``POINT_FORMATS``:
  GeoJSON) the CLI's ``--format`` offers; add a format there.
* :mod:`~geo.outputs.safe_csv` -- CSV that no spreadsheet can run (formula neutralising): every CSV
  geo writes or the app offers for download.
* :mod:`~geo.outputs.output_set` -- atomic output sets: a command's files appear together or not at all.
* :mod:`~geo.outputs.export` -- GeoPackage/CSV/GeoJSON exports, after the disclosure checks.
* :mod:`~geo.outputs.report` and ``report_*`` -- the HTML/PDF report; :mod:`~geo.outputs.geojson`,
  :mod:`~geo.outputs.map_context`, :mod:`~geo.outputs.markers` -- GeoJSON for web maps (EPSG:4326
  only here).  No folium: map widgets live in ``atlas/``.

May import everything upstream; tests/test_architecture.py checks that no module outside this
package writes a frame to a file format, lists formats or defines CSV safety.
"""
