"""GeoJSON for web maps: LSOA choropleths, sites, districts, outlines -- plain, cacheable dicts.

Everything upstream is in EPSG:27700; this module reprojects to EPSG:4326 at the last step,
after simplifying polygons in metres, rounds coordinates and keeps only the properties a map
shows.  No folium here: the atlas (``atlas/leaflet.py``) wraps these dicts in map layers.
Every text property is HTML-escaped at the property level (:func:`safe_text`), so a site,
scenario or area name supplied by a user stays text wherever the GeoJSON is rendered.
"""

from __future__ import annotations

import html
import logging
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.crs import WGS84, to_bng
from geo.outputs.markers import site_style

if TYPE_CHECKING:
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


def _round_coords(geoms: np.ndarray, decimals: int) -> np.ndarray:
    import shapely

    return shapely.transform(geoms, lambda xy: np.round(xy, decimals))


def safe_text(value: Any) -> str:
    """Text made safe to put into HTML (``innerHTML``): ``<img onerror=..>`` becomes ``&lt;img ...``.

    Idempotent (already-escaped text is not escaped twice), so it holds wherever a property is
    rendered: Leaflet tooltips, folium ``GeoJsonTooltip``, popups, legends.
    """
    return html.escape(html.unescape(str(value)), quote=True)


def _clean(value: Any) -> Any:
    """JSON-safe scalar (NaN -> None, numpy -> python); text is HTML-escaped (:func:`safe_text`).

    Every string property of the GeoJSON built here goes through this, so names supplied by
    users (sites, scenarios, areas, uploaded layers) are inert text in any map.
    """
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
    if isinstance(value, int):
        return value
    return safe_text(value)


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


#: Tooltip fields shown when present: (column, label).
TOOLTIP_FIELDS = (
    ("place", "Place (ward)"),
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


def popup_html(row: Mapping[str, Any]) -> str:
    def get(k: str) -> str:
        v = row.get(k)
        return "" if v is None or (isinstance(v, float) and math.isnan(v)) else html.unescape(str(v))

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


def district_geojson(lads: gpd.GeoDataFrame, *, simplify_metres: float = 100.0) -> dict[str, Any]:
    """District (LAD) boundaries as a small GeoJSON dict with the district name."""
    f = lads.copy()
    if "lad24nm" not in f.columns:
        f["lad24nm"] = f.index.astype(str)
    return frame_to_geojson(f, properties=["lad24nm"], simplify_metres=simplify_metres)


def outline_geojson(polygon: BaseGeometry, *, simplify_metres: float = 50.0) -> dict[str, Any]:
    """The study-area outline (a shapely geometry in EPSG:27700) as GeoJSON."""
    import geopandas as gpd

    from geo.crs import BNG

    gdf = gpd.GeoDataFrame({"name": ["Study area"]}, geometry=[polygon], crs=BNG)
    return frame_to_geojson(gdf, properties=["name"], simplify_metres=simplify_metres)


def click_to_bng(lat: float, lon: float) -> tuple[float, float]:
    """A map click (degrees) as easting/northing metres (EPSG:27700), rounded to 1 m."""
    from geo.crs import bng_from_lonlat

    e, n = bng_from_lonlat(np.array([lon]), np.array([lat]))
    return round(float(e[0])), round(float(n[0]))


__all__ = ["popup_html", "safe_text", "COORD_DECIMALS", "DECILE_COLOURS", "MINUTES_BINS", "MINUTES_COLOURS", "NO_DATA_COLOUR", "PLAIN_BACKGROUND", "SEQUENTIAL_COLOURS", "SIMPLIFY_METRES", "TOOLTIP_FIELDS", "bounds_from_bng", "choropleth_geojson", "classify", "click_to_bng", "district_geojson", "frame_to_geojson", "geojson_bounds", "legend_labels", "logger", "outline_geojson", "quantile_bins", "sites_geojson"]
