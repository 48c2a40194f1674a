"""What a map needs so people can find their way on it, offline: place names, main roads and
site labels, as GeoJSON (WGS84) for web maps and as EPSG:27700 frames for static maps.

* Places: :func:`geo.data.places.place_labels` (NaPTAN towns and suburbs where the bundle has
  stops, wards elsewhere), positioned at population-weighted centres, with ``rank`` and
  ``min_zoom`` so bigger places are shown first.
* Main roads: motorway, trunk and primary roads of a loaded road network
  (:func:`geo.travel.network.main_roads`), merged and simplified; none without a network.
* Sites: each site's name with a ``min_zoom`` by type (its
  :attr:`~geo.data.site_types.SiteType.label_zoom`: hubs from zoom 9, pharmacies from 13).

Nothing here fetches tiles or anything else from the internet.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo.data.site_types import site_type

if TYPE_CHECKING:
    from geo.config import Settings
    from geo.data.areas import Area
    from geo.travel.network import Network

logger = logging.getLogger(__name__)

#: Line width (pixels) and colour of main roads on maps, by class.
ROAD_STYLE = {"motorway": (3.0, "#5b6f8f"), "trunk": (2.4, "#6f7f96"), "primary": (1.6, "#8e99aa")}


@dataclass(frozen=True)
class MapContext:
    """Place, road and site labels for one map, in EPSG:27700.

    ``places``: :data:`geo.data.places.PLACE_COLUMNS`; ``roads``: ``road_class``, ``geometry``
    (shapely lines); ``sites``: ``name``, ``site_type``, ``easting``, ``northing``, ``min_zoom``.
    ``notes`` says what is missing (e.g. no road network loaded).
    """

    places: pd.DataFrame
    roads: pd.DataFrame
    sites: pd.DataFrame
    notes: tuple[str, ...] = field(default_factory=tuple)

    def geojson(self) -> dict[str, dict[str, Any]]:
        """``{"places": FeatureCollection, "roads": ..., "sites": ...}`` in WGS84 (lon/lat)."""
        return {"places": _points_geojson(self.places, ("name", "kind", "population", "rank", "min_zoom")),
                "roads": _lines_geojson(self.roads),
                "sites": _points_geojson(self.sites, ("name", "site_type", "min_zoom"))}


def map_context(area: Area, *, sites: pd.DataFrame | None = None, network: Network | None = None,
                settings: Settings | None = None, stops: pd.DataFrame | None = None,
                localities: bool = True) -> MapContext:
    """Labels and roads for a map of ``area`` (its core and buffer LSOAs).

    Parameters
    ----------
    area : the study area.
    sites : sites drawn on the map (``name``, ``site_type``, ``easting``, ``northing``).
    network : a loaded road network (drive); main roads are drawn from it when given.
    settings : where the bundle's NaPTAN files are.
    stops : NaPTAN stops to use instead of the bundle's (tests).
    localities : include suburb labels (closer zoom).
    """
    from geo.data.places import place_labels

    places = place_labels(area.all_lsoas, settings=settings, stops=stops, localities=localities)
    notes: list[str] = []
    if network is not None:
        from geo.travel.roads import main_roads

        roads = main_roads(network)
        box = area.polygon_buffered(max(area.buffer_km, 5.0) * 1000.0)
        if len(roads):
            import shapely

            shapely.prepare(box)
            roads = roads[shapely.intersects(box, roads["geometry"].to_numpy())].reset_index(drop=True)
        if not len(roads):
            notes.append("no motorway, trunk or primary roads in the loaded network")
    else:
        roads = pd.DataFrame({"road_class": pd.Series(dtype=str), "geometry": pd.Series(dtype=object)})
        notes.append("main roads are drawn only where a road network is loaded")
    return MapContext(places=places, roads=roads, sites=site_labels(sites), notes=tuple(notes))


def site_labels(sites: pd.DataFrame | None) -> pd.DataFrame:
    """Site names to label, with the zoom from which to show them (hubs first)."""
    cols = ["name", "site_type", "easting", "northing", "min_zoom"]
    if sites is None or not len(sites) or not {"easting", "northing"} <= set(sites.columns):
        return pd.DataFrame(columns=cols)
    ok = sites["easting"].notna() & sites["northing"].notna()
    s = sites[ok]
    types = s["site_type"].astype(str) if "site_type" in s.columns else pd.Series("other", index=s.index)
    names = s["name"] if "name" in s.columns else s.get("site_id", pd.Series("", index=s.index))
    return pd.DataFrame({"name": names.fillna("").astype(str).str.strip().to_numpy(),
                         "site_type": types.to_numpy(),
                         "easting": s["easting"].to_numpy(dtype=float),
                         "northing": s["northing"].to_numpy(dtype=float),
                         "min_zoom": np.array([site_type(t).label_zoom for t in types], dtype="int64")})


#: Place labels drawn on a static map (biggest first, overlapping ones skipped).
MAX_PLACE_LABELS = 14
MAX_SITE_LABELS = 8


def _text_box(x: float, y: float, text: str, *, fontsize: float, metres_per_point: float) -> tuple[float, ...]:
    w = 0.55 * fontsize * len(text) * metres_per_point
    h = 1.3 * fontsize * metres_per_point
    return (x - w / 2, y - h / 2, x + w / 2, y + h / 2)


def _free(box: tuple[float, ...], taken: list[tuple[float, ...]]) -> bool:
    return all(box[2] < t[0] or box[0] > t[2] or box[3] < t[1] or box[1] > t[3] for t in taken)


def plot_context(ax: Any, context: Any, bounds: Any, *, fig_width_inches: float = 6.4,
                 max_places: int = MAX_PLACE_LABELS, max_sites: int = MAX_SITE_LABELS) -> None:
    """Main roads, place names and hub names on a static EPSG:27700 map.

    ``context`` is a :class:`geo.outputs.map_context.MapContext`.  Places inside ``bounds``
    are labelled biggest first (towns and wards, not suburbs), skipping any that would overlap
    a label already drawn; hub names (then other site types with a low ``min_zoom``) follow.
    """
    import matplotlib.patheffects as pe

    if context is None:
        return
    x0, y0, x1, y1 = bounds
    halo = [pe.withStroke(linewidth=2.6, foreground="white")]
    for cls, g in context.roads.groupby("road_class") if len(context.roads) else ():
        width, colour = ROAD_STYLE.get(str(cls), (1.0, "#999999"))
        for geom in g["geometry"]:
            xy = np.asarray(geom.coords)
            ax.plot(xy[:, 0], xy[:, 1], color=colour, linewidth=width * 0.6, zorder=3.5,
                    solid_capstyle="round", alpha=0.9)
    metres_per_point = (x1 - x0) / (fig_width_inches * 72.0)
    taken: list[tuple[float, ...]] = []
    places = context.places
    if len(places):
        inside = places[(places["kind"] != "locality") & places["easting"].between(x0, x1)
                        & places["northing"].between(y0, y1)].sort_values("rank")
        drawn = 0
        for _, row in inside.iterrows():
            if drawn >= max_places:
                break
            size = 9.0 if row["min_zoom"] <= 8 else 8.0 if row["min_zoom"] <= 10 else 7.0
            box = _text_box(float(row["easting"]), float(row["northing"]), str(row["name"]),
                            fontsize=size, metres_per_point=metres_per_point)
            if not _free(box, taken):
                continue
            taken.append(box)
            drawn += 1
            ax.text(float(row["easting"]), float(row["northing"]), str(row["name"]), fontsize=size,
                    ha="center", va="center", color="#1b1b1b",
                    fontweight="bold" if row["min_zoom"] <= 9 else "normal", zorder=9, path_effects=halo)
    sites = context.sites
    if len(sites) and max_sites:
        inside = sites[(sites["easting"].between(x0, x1)) & (sites["northing"].between(y0, y1))]
        inside = inside[inside["min_zoom"] <= 11].sort_values(["min_zoom", "name"]).head(max_sites)
        gap = 11 * metres_per_point
        for _, row in inside.iterrows():
            text = _short(str(row["name"]), 26)
            x, y = float(row["easting"]), float(row["northing"])
            for dx, dy, ha, va in ((0, -gap, "center", "top"), (0, gap, "center", "bottom"),
                                   (gap, 0, "left", "center"), (-gap, 0, "right", "center")):
                w = 0.55 * 6.5 * len(text) * metres_per_point
                cx = x + dx + (w / 2 if ha == "left" else -w / 2 if ha == "right" else 0)
                cy = y + dy + (-4 * metres_per_point if va == "top" else 4 * metres_per_point if va == "bottom" else 0)
                box = _text_box(cx, cy, text, fontsize=6.5, metres_per_point=metres_per_point)
                if text and _free(box, taken):
                    taken.append(box)
                    ax.text(x + dx, y + dy, text, fontsize=6.5, ha=ha, va=va, color="#4a1a5c",
                            fontstyle="italic", zorder=9, path_effects=halo)
                    break


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "\u2026"


def _points_geojson(frame: pd.DataFrame, props: tuple[str, ...]) -> dict[str, Any]:
    from geo.crs import lonlat_from_bng

    if not len(frame):
        return {"type": "FeatureCollection", "features": []}
    lon, lat = lonlat_from_bng(frame["easting"].to_numpy(dtype=float), frame["northing"].to_numpy(dtype=float))
    cols = [c for c in props if c in frame.columns]
    records = frame[cols].to_dict(orient="records")
    feats = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(float(x), 6), round(float(y), 6)]},
              "properties": {k: _plain(v) for k, v in rec.items()}}
             for x, y, rec in zip(lon, lat, records, strict=True)]
    return {"type": "FeatureCollection", "features": feats}


def _lines_geojson(roads: pd.DataFrame) -> dict[str, Any]:
    import shapely

    from geo.crs import lonlat_from_bng

    if not len(roads):
        return {"type": "FeatureCollection", "features": []}
    geoms = roads["geometry"].to_numpy()
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    lon, lat = lonlat_from_bng(coords[:, 0], coords[:, 1])
    ll = np.round(np.column_stack([lon, lat]), 5)
    splits = np.flatnonzero(np.diff(index)) + 1
    feats = []
    for cls, part in zip(roads["road_class"].astype(str), np.split(ll, splits), strict=True):
        width, colour = ROAD_STYLE.get(cls, (1.2, "#999999"))
        feats.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": part.tolist()},
                      "properties": {"road_class": cls, "weight": width, "color": colour}})
    return {"type": "FeatureCollection", "features": feats}


def _plain(v: Any) -> Any:
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


__all__ = ["ROAD_STYLE", "MapContext", "map_context", "plot_context", "site_labels"]
