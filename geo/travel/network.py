"""Routable road networks from OpenStreetMap, as compact arrays.

A :class:`Network` is one travel mode on one OSM source: node coordinates in EPSG:27700
metres and directed edges with their length (metres) and free-flow travel time (seconds).
Sources, in order of preference:

* a local ``.osm.pbf`` file, read with pyrosm (offline; the bundle holds Rutland 2018);
* a local OSM XML file (``.osm``, ``.osm.xml``, ``.xml.bz2``), read with ``osmnx.graph_from_xml``;
* ``"download"``: the area's roads fetched through ``osmnx.graph_from_polygon`` (internet).

Speeds
------
Drive: the posted ``maxspeed`` (mph or km/h; ``national`` limits resolved by road class) times
``Settings.maxspeed_factor`` (0.85 -- junctions, bends, traffic; minor roads capped at 1.25 x
their class speed); where a way has no usable
``maxspeed``, the road-class table ``Settings.drive_speeds_kph`` (CDRC AHAH-style classes).
One-way streets (``oneway=yes/1/true/-1``, roundabouts, motorways) are respected for driving.
Walk (4.8 km/h) and cycle (15 km/h) use every way they may legally use in both directions.

Built networks are cached in ``Settings.cache_dir`` as ``.npz`` keyed by the source file's
sha256, the mode, the speed settings and the package version, written atomically, so a second
run loads in milliseconds.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo import __version__
from geo._errors import InputError, NetworkError
from geo.cache import atomic_write_text, cache_key, cached_npz
from geo.config import Settings
from geo.crs import bng_from_lonlat
from geo.progress import report

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

    from geo.data.areas import Area
    from geo.progress import ProgressFn

logger = logging.getLogger(__name__)

NETWORK_MODES = ("drive", "walk", "cycle")
#: Bumped when the cached arrays change (2: per-edge road class).
NETWORK_SCHEMA = 2
PYROSM_TYPES = {"drive": "driving", "walk": "walking", "cycle": "cycling"}
OSMNX_TYPES = {"drive": "drive", "walk": "walk", "cycle": "bike"}
#: National speed limits (km/h) used when ``maxspeed`` says "national" / "GB:nsl_*".
NATIONAL_LIMITS_KPH = {"single": 96.56, "dual": 112.65, "motorway": 112.65}
MPH_TO_KPH = 1.609344
MINOR_ROADS = ("unclassified", "residential", "service", "living_street", "track", "road")
MINOR_ROAD_CAP = 1.25
ONEWAY_YES = {"yes", "true", "1"}
#: Road classes kept per edge for maps (code = position; links count as their road).
ROAD_CLASSES = ("other", "motorway", "trunk", "primary", "secondary")
_SPEED_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", re.IGNORECASE)


@dataclass(frozen=True, eq=False)
class Network:
    """One mode of a road network as arrays (read-only; share freely).

    Attributes
    ----------
    mode : "drive", "walk" or "cycle".
    node_x, node_y : node coordinates, EPSG:27700 metres.
    osmid : OSM node ids (``node_idx`` is the position in these arrays).
    edge_u, edge_v : node_idx of each directed edge (travel from u to v).
    edge_metres, edge_seconds : length and travel time of each edge.
    edge_road_class : :data:`ROAD_CLASSES` code of each edge (motorway, trunk, primary, ...).
    source : where it came from (file name or "osmnx download").
    """

    mode: str
    node_x: np.ndarray
    node_y: np.ndarray
    osmid: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_metres: np.ndarray
    edge_seconds: np.ndarray
    source: str
    key: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: Road class code of each edge (index into :data:`ROAD_CLASSES`; 0 = other), for map context.
    edge_road_class: np.ndarray | None = None

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_x)

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return len(self.edge_u)

    @property
    def label(self) -> str:
        """Human label, e.g. ``Drive on OSM roads (rutland-2018.osm.pbf)``."""
        return f"{self.mode.capitalize()} on OpenStreetMap roads ({self.source})"

    @cached_property
    def csr(self) -> csr_matrix:
        """Travel-time graph (seconds) as CSR; parallel edges reduced to their minimum."""
        return to_csr(self.edge_u, self.edge_v, self.edge_seconds, self.n_nodes)

    @cached_property
    def main_component(self) -> np.ndarray:
        """Boolean mask of nodes in the largest strongly connected component.

        Points are snapped only to these nodes, so nobody is joined to a cul-de-sac island
        (e.g. a private estate road cut off by a one-way error in OSM) from which nothing can
        be reached.
        """
        from scipy.sparse.csgraph import connected_components

        _, labels = connected_components(self.csr, directed=True, connection="strong")
        counts = np.bincount(labels)
        return labels == int(np.argmax(counts))

    def bounds(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) of the nodes in metres."""
        return (float(self.node_x.min()), float(self.node_y.min()),
                float(self.node_x.max()), float(self.node_y.max()))

    def hull(self) -> Any:
        """Convex hull of the nodes (shapely polygon, EPSG:27700)."""
        import shapely

        return shapely.convex_hull(shapely.multipoints(np.column_stack([self.node_x, self.node_y])))

    def to_arrays(self) -> dict[str, Any]:
        """Arrays for the on-disk cache (no pickles)."""
        return {"mode": np.array(self.mode), "node_x": self.node_x, "node_y": self.node_y,
                "osmid": self.osmid, "edge_u": self.edge_u, "edge_v": self.edge_v,
                "edge_metres": self.edge_metres, "edge_seconds": self.edge_seconds,
                "source": np.array(self.source), "notes": np.array(json.dumps(list(self.notes))),
                **({"edge_road_class": self.edge_road_class} if self.edge_road_class is not None else {})}

    @classmethod
    def from_arrays(cls, arrays: dict[str, Any], *, key: str = "") -> Network:
        """Inverse of :meth:`to_arrays`."""
        return cls(mode=str(arrays["mode"]), node_x=arrays["node_x"], node_y=arrays["node_y"],
                   osmid=arrays["osmid"], edge_u=arrays["edge_u"], edge_v=arrays["edge_v"],
                   edge_metres=arrays["edge_metres"], edge_seconds=arrays["edge_seconds"],
                   source=str(arrays["source"]), key=key,
                   notes=tuple(json.loads(str(arrays["notes"]))),
                   edge_road_class=arrays.get("edge_road_class"))


def to_csr(u: np.ndarray, v: np.ndarray, weight: np.ndarray, n: int) -> csr_matrix:
    """CSR adjacency with the minimum weight of parallel edges, weights clipped to > 0.

    ``scipy`` would *sum* duplicate COO entries, and explicit zeros are dropped by some
    csgraph routines, so both are handled here.
    """
    from scipy.sparse import csr_matrix

    w = np.maximum(np.asarray(weight, dtype=float), 1e-3)
    order = np.lexsort((w, v, u))
    u, v, w = u[order], v[order], w[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    return csr_matrix((w[first], (u[first], v[first])), shape=(n, n))


# --------------------------------------------------------------------------- speeds


def parse_maxspeed_kph(values: pd.Series, highway: pd.Series) -> np.ndarray:
    """Posted speed limits in km/h from OSM ``maxspeed`` strings (NaN where unusable).

    Handles ``"30 mph"``, ``"50"`` (km/h), ``"national"``/``"GB:nsl_single"``/``"GB:nsl_dual"``
    and lists such as ``"30 mph;40 mph"`` (the lowest is taken).
    """
    import pandas as pd

    text = values.astype("string").str.lower().str.split(";").str[0].str.strip()
    out = np.full(len(text), np.nan)
    m = text.str.extract(_SPEED_RE, expand=True)
    num = pd.to_numeric(m[0], errors="coerce").to_numpy(dtype=float)
    unit = m[1].fillna("").to_numpy(dtype=object)
    is_mph = unit == "mph"
    out = np.where(is_mph, num * MPH_TO_KPH, num)
    # A bare number in Great Britain is sometimes mph written without unit; values that are
    # UK mph limits and implausible as km/h (e.g. 30, 40, 60, 70) are ambiguous: OSM says
    # bare = km/h, and we follow OSM.
    hw = highway.astype("string").fillna("").to_numpy(dtype=object)
    national = text.fillna("").str.contains("national|nsl", regex=True).to_numpy()
    dual = text.fillna("").str.contains("dual", regex=False).to_numpy()
    motorway = np.isin(hw, ["motorway", "motorway_link"])
    nat_speed = np.where(motorway | dual, NATIONAL_LIMITS_KPH["dual"], NATIONAL_LIMITS_KPH["single"])
    out = np.where(national, nat_speed, out)
    out = np.where((out > 0) & (out <= 130), out, np.nan)
    return out


def edge_speeds_kph(highway: pd.Series, maxspeed: pd.Series | None, *, mode: str,
                    settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Speed (km/h) of each edge for ``mode`` and whether it came from ``maxspeed``."""
    n = len(highway)
    if mode == "walk":
        return np.full(n, settings.walk_kph), np.zeros(n, dtype=bool)
    if mode == "cycle":
        return np.full(n, settings.cycle_kph), np.zeros(n, dtype=bool)
    hw = highway.astype("string").fillna("road").str.split(";").str[0].to_numpy(dtype=object)
    table = dict(settings.drive_speeds_kph)
    default = table.get("road", 32.0)
    class_kph = np.array([table.get(h, default) for h in np.unique(hw)], dtype=float)
    uniq, inv = np.unique(hw, return_inverse=True)
    class_speed = class_kph[inv] if len(uniq) else np.zeros(0)
    posted = (parse_maxspeed_kph(maxspeed, highway) if maxspeed is not None
              else np.full(n, np.nan))
    from_posted = np.isfinite(posted)
    # Minor roads: a national-limit sign on a single-track lane does not make it fast, so
    # their speed is capped at 1.25 x the class speed (MINOR_ROAD_CAP).
    minor = np.isin(hw, MINOR_ROADS)
    posted_speed = posted * settings.maxspeed_factor
    posted_speed = np.where(minor, np.minimum(posted_speed, class_speed * MINOR_ROAD_CAP), posted_speed)
    speed = np.where(from_posted, posted_speed, class_speed)
    return speed, from_posted


def oneway_flags(oneway: pd.Series | None, highway: pd.Series,
                 junction: pd.Series | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(forward_only, reverse_only) masks for driving."""
    n = len(highway)
    if oneway is None:
        ow = np.full(n, "", dtype=object)
    else:
        ow = oneway.astype("string").str.lower().fillna("").to_numpy(dtype=object)
    hw = highway.astype("string").fillna("").to_numpy(dtype=object)
    jn = (junction.astype("string").str.lower().fillna("").to_numpy(dtype=object)
          if junction is not None else np.full(n, "", dtype=object))
    reverse = ow == "-1"
    implied = np.isin(hw, ["motorway"]) | np.isin(jn, ["roundabout", "circular"])
    forward = (np.isin(ow, list(ONEWAY_YES)) | (implied & (ow != "no"))) & ~reverse
    return forward, reverse


# --------------------------------------------------------------------------- building


def _assemble(*, mode: str, osmid_u: np.ndarray, osmid_v: np.ndarray, length_metres: np.ndarray,
              highway: pd.Series, maxspeed: pd.Series | None, oneway: pd.Series | None,
              junction: pd.Series | None, node_osmid: np.ndarray, node_lon: np.ndarray,
              node_lat: np.ndarray, settings: Settings, source: str,
              directed_input: bool = False) -> Network:
    """Turn OSM segments into a directed :class:`Network` (vectorised)."""
    speed_kph, from_posted = edge_speeds_kph(highway, maxspeed, mode=mode, settings=settings)
    seconds = np.asarray(length_metres, dtype=float) / (speed_kph / 3.6)
    order = np.argsort(node_osmid)
    sorted_ids = node_osmid[order]

    def idx(ids: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(sorted_ids, ids)
        pos = np.clip(pos, 0, len(sorted_ids) - 1)
        ok = sorted_ids[pos] == ids
        return np.where(ok, order[pos], -1)

    u, v = idx(np.asarray(osmid_u)), idx(np.asarray(osmid_v))
    if directed_input or mode != "drive":
        fwd = np.ones(len(u), dtype=bool)
        rev = ~fwd if directed_input else np.ones(len(u), dtype=bool)
    else:
        fwd_only, rev_only = oneway_flags(oneway, highway, junction)
        fwd = ~rev_only
        rev = ~fwd_only
    eu = np.concatenate([u[fwd], v[rev]])
    ev = np.concatenate([v[fwd], u[rev]])
    metres = np.concatenate([length_metres[fwd], length_metres[rev]]).astype(float)
    secs = np.concatenate([seconds[fwd], seconds[rev]])
    cls = road_class_codes(highway)
    rclass = np.concatenate([cls[fwd], cls[rev]])
    ok = (eu >= 0) & (ev >= 0) & (eu != ev) & np.isfinite(secs)
    dropped = int((~ok).sum())
    eu, ev, metres, secs, rclass = eu[ok], ev[ok], metres[ok], secs[ok], rclass[ok]
    used = np.unique(np.concatenate([eu, ev]))
    if len(used) == 0:
        msg = f"{source}: no routable {mode} ways found; is this an OpenStreetMap road extract?"
        raise NetworkError(msg)
    remap = np.full(len(node_osmid), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    x, y = bng_from_lonlat(np.asarray(node_lon)[used], np.asarray(node_lat)[used])
    notes = [f"{int(from_posted.mean() * 100)}% of ways have a posted maxspeed"
             if mode == "drive" else f"constant {speed_kph[0] if len(speed_kph) else 0:g} km/h"]
    if dropped:
        notes.append(f"{dropped} edges dropped (missing node or zero length loop)")
    net = Network(mode=mode, node_x=np.asarray(x, dtype=float), node_y=np.asarray(y, dtype=float),
                  osmid=np.asarray(node_osmid)[used].astype(np.int64),
                  edge_u=remap[eu].astype(np.int32), edge_v=remap[ev].astype(np.int32),
                  edge_metres=metres, edge_seconds=secs, source=source, notes=tuple(notes),
                  edge_road_class=rclass.astype(np.int8))
    logger.info("network %s %s: %d nodes, %d edges", source, mode, net.n_nodes, net.n_edges)
    return net


def road_class_codes(highway: pd.Series) -> np.ndarray:
    """:data:`ROAD_CLASSES` code per OSM ``highway`` value (``primary_link`` counts as primary)."""
    base = highway.astype(str).str.removesuffix("_link")
    return pd.Categorical(base, categories=ROAD_CLASSES[1:]).codes.astype(np.int8) + 1


def _read_pbf(path: Path, mode: str, settings: Settings) -> Network:
    try:
        import pyrosm
    except ImportError as exc:  # pragma: no cover - dependency of the osm extra
        msg = "reading .osm.pbf files needs pyrosm: pip install 'geo-access[osm]'"
        raise NetworkError(msg) from exc
    try:
        nodes, edges = pyrosm.OSM(str(path)).get_network(network_type=PYROSM_TYPES[mode], nodes=True)
    except Exception as exc:
        msg = (f"{path.name}: cannot read this OpenStreetMap PBF file ({type(exc).__name__}: {exc}); "
               "it may be truncated or not a .osm.pbf - download it again (e.g. from Geofabrik)")
        raise NetworkError(msg) from exc
    if edges is None or nodes is None or len(edges) == 0:
        msg = f"{path.name}: no {mode} roads in this file; check it covers your study area"
        raise NetworkError(msg)
    return _assemble(mode=mode, osmid_u=edges["u"].to_numpy(np.int64),
                     osmid_v=edges["v"].to_numpy(np.int64),
                     length_metres=edges["length"].to_numpy(float), highway=edges["highway"],
                     maxspeed=edges.get("maxspeed"), oneway=edges.get("oneway"),
                     junction=edges.get("junction"), node_osmid=nodes["id"].to_numpy(np.int64),
                     node_lon=nodes["lon"].to_numpy(float), node_lat=nodes["lat"].to_numpy(float),
                     settings=settings, source=path.name)


def _from_osmnx_graph(graph: Any, mode: str, settings: Settings, source: str, *,
                      filter_ways: bool = False) -> Network:
    """Arrays from an osmnx graph; ``filter_ways`` drops ways ``mode`` may not use (OSM XML)."""
    import osmnx as ox

    nodes, edges = ox.graph_to_gdfs(graph, nodes=True, edges=True)
    edges = edges.reset_index()
    hw = edges["highway"].map(_first)
    if filter_ways:
        access = edges["access"].map(_first) if "access" in edges else pd.Series(None, index=edges.index)
        if mode == "drive":
            drivable = sorted(set(settings.drive_speeds_kph) - {"track"})
            keep = hw.isin(drivable) & ~access.isin(["private", "no"])
        else:
            keep = ~hw.isin(sorted(NOT_FOR[mode]))
        edges, hw = edges[keep.to_numpy()], hw[keep.to_numpy()]
        if len(edges) == 0:
            msg = f"{source}: no {mode} roads in this OSM file; check it is a road extract covering your area"
            raise NetworkError(msg)
    ms = edges["maxspeed"].map(_first) if "maxspeed" in edges else None
    return _assemble(mode=mode, osmid_u=edges["u"].to_numpy(np.int64),
                     osmid_v=edges["v"].to_numpy(np.int64),
                     length_metres=edges["length"].to_numpy(float), highway=hw, maxspeed=ms,
                     oneway=None, junction=None, node_osmid=nodes.index.to_numpy(np.int64),
                     node_lon=nodes["x"].to_numpy(float), node_lat=nodes["y"].to_numpy(float),
                     settings=settings, source=source, directed_input=True)


def _first(value: Any) -> Any:
    """osmnx keeps merged tag values as lists; take the first."""
    return value[0] if isinstance(value, list) else value


def _read_xml(path: Path, mode: str, settings: Settings) -> Network:
    import bz2
    import tempfile

    import osmnx as ox

    try:
        if path.suffix == ".bz2":
            with tempfile.TemporaryDirectory() as tmp:
                plain = Path(tmp) / path.stem
                plain.write_bytes(bz2.decompress(path.read_bytes()))
                graph = ox.graph_from_xml(plain, bidirectional=mode != "drive", simplify=False)
        else:
            graph = ox.graph_from_xml(path, bidirectional=mode != "drive", simplify=False)
    except Exception as exc:
        msg = (f"{path.name}: cannot read this OSM XML file ({type(exc).__name__}: {exc}); "
               "check it is complete OSM XML (.osm / .osm.xml, optionally .bz2)")
        raise NetworkError(msg) from exc
    if graph.number_of_edges() == 0:
        msg = f"{path.name}: no {mode} roads in this OSM file; check it is a road extract covering your area"
        raise NetworkError(msg)
    return _from_osmnx_graph(graph, mode, settings, path.name, filter_ways=True)


#: Ways a mode may not use (OSM XML holds every highway; pyrosm and osmnx downloads filter).
NOT_FOR = {"walk": {"motorway", "motorway_link"},
           "cycle": {"motorway", "motorway_link", "footway", "steps", "pedestrian", "corridor"}}


def read_network(source: str | Path, *, mode: str = "drive", settings: Settings | None = None,
                 use_cache: bool = True, progress: ProgressFn | None = None) -> Network:
    """Build (or load from cache) the ``mode`` network of an OSM file.

    Parameters
    ----------
    source : path of an ``.osm.pbf``, ``.osm``, ``.osm.xml`` or ``.osm.xml.bz2`` file.
    mode : "drive", "walk" or "cycle".
    """
    s = settings if settings is not None else Settings.from_env()
    if mode not in NETWORK_MODES:
        msg = f"unknown network mode {mode!r}; choose one of {', '.join(NETWORK_MODES)}"
        raise InputError(msg)
    path = Path(source).expanduser()
    if not path.is_file():
        msg = f"{path}: road network file not found; give an .osm.pbf or .osm(.xml)(.bz2) path"
        raise NetworkError(msg)
    name = path.name.lower()
    if name.endswith(".pbf"):
        reader = _read_pbf
    elif name.endswith((".osm", ".xml", ".osm.bz2", ".xml.bz2")):
        reader = _read_xml
    else:
        msg = f"{path.name}: unknown network format; use .osm.pbf, .osm, .osm.xml or .osm.xml.bz2"
        raise NetworkError(msg)
    from geo.data.sources import sha256_file

    digest = sha256_file(path)
    key = cache_key("network", NETWORK_SCHEMA, digest, mode, sorted(s.drive_speeds_kph.items()),
                    s.maxspeed_factor, s.walk_kph, s.cycle_kph, __version__)
    report(progress, 0, 1, f"loading {mode} network from {path.name}")
    start = time.perf_counter()
    if not use_cache:
        net = reader(path, mode, s)
    else:
        target = s.cache_dir / "networks" / f"{key}.npz"
        arrays = cached_npz(target, lambda: reader(path, mode, s).to_arrays())
        net = Network.from_arrays(arrays, key=key)
        _remember_extent(s, path, digest, net)
    report(progress, 1, 1, f"{mode} network ready")
    logger.info("network %s (%s) ready in %.2f s", path.name, mode, time.perf_counter() - start)
    return net if net.key else replace(net, key=key)


def download_network(area: Area, *, mode: str = "drive", settings: Settings | None = None,
                     buffer_metres: float = 5_000.0) -> Network:
    """Fetch the area's roads (plus a buffer) from OpenStreetMap through osmnx (internet)."""
    import geopandas as gpd

    from geo.crs import to_web

    poly = to_web(gpd.GeoSeries([area.polygon_buffered(buffer_metres)], crs="EPSG:27700")).iloc[0]
    return _download("graph_from_polygon", poly, what=area.name, mode=mode, settings=settings)


def download_network_by_place(place: str, *, mode: str = "drive",
                              settings: Settings | None = None) -> Network:
    """Fetch the roads of a named place (e.g. ``"Rutland, England"``) through osmnx (internet)."""
    return _download("graph_from_place", place, what=repr(place), mode=mode, settings=settings)


def _download(fetch: str, query: Any, *, what: str, mode: str, settings: Settings | None) -> Network:
    """One osmnx download (``ox.<fetch>(query)``), with the one error message users need."""
    s = settings if settings is not None else Settings.from_env()
    try:
        import osmnx as ox

        graph = getattr(ox, fetch)(query, network_type=OSMNX_TYPES[mode], simplify=False)
    except Exception as exc:
        msg = (f"could not download the {mode} road network of {what} through osmnx "
               f"({type(exc).__name__}: {exc}); check the place name and the internet connection, "
               "or pass a local .osm.pbf with --network, or use --network none for the "
               "straight-line estimate")
        raise NetworkError(msg) from exc
    return _from_osmnx_graph(graph, mode, s, f"osmnx download {what.strip(chr(39))}")


def bundled_networks(settings: Settings) -> list[Path]:
    """OSM files shipped in the data bundle (``networks/``)."""
    folder = settings.data_dir / "networks"
    return sorted(folder.glob("*.osm.pbf")) if folder.is_dir() else []


def _extent_path(settings: Settings) -> Path:
    return settings.cache_dir / "networks" / "extents.json"


def _remember_extent(settings: Settings, path: Path, digest: str, net: Network) -> None:
    target = _extent_path(settings)
    try:
        known = json.loads(target.read_text()) if target.is_file() else {}
    except (OSError, ValueError):
        known = {}
    if known.get(str(path), {}).get("sha256") == digest:
        return
    known[str(path)] = {"sha256": digest, "hull_wkt": net.hull().wkt}
    atomic_write_text(json.dumps(known), target)


def network_hull(path: Path, settings: Settings) -> Any:
    """Convex hull (BNG) of an OSM file's drive network, from the cache when known."""
    import shapely

    target = _extent_path(settings)
    try:
        known = json.loads(target.read_text()) if target.is_file() else {}
    except (OSError, ValueError):
        known = {}
    entry = known.get(str(path))
    if entry:
        return shapely.from_wkt(entry["hull_wkt"])
    return read_network(path, mode="drive", settings=settings).hull()


def covers(hull: Any, area: Area, *, share: float = 0.95) -> bool:
    """True if ``share`` of the area's LSOA centroids lie inside ``hull``."""
    import shapely

    x = area.lsoas["easting"].to_numpy(float)
    y = area.lsoas["northing"].to_numpy(float)
    return bool(shapely.contains_xy(hull, x, y).mean() >= share) if len(x) else False


def network_for_area(area: Area | None, *, mode: str, settings: Settings,
                     source: str | Path | None = "auto",
                     progress: ProgressFn | None = None) -> Network | None:
    """The network to route ``area`` on, or None when only the estimate is possible.

    ``source="auto"``: the first bundled OSM extract whose extent covers the area;
    ``"download"``: osmnx download of the area polygon (+5 km); ``"place:NAME"``: osmnx download
    by place name; a path: that file.
    """
    if source is None:
        return None
    if isinstance(source, str) and source.lower().startswith("place:"):
        return download_network_by_place(source.split(":", 1)[1].strip(), mode=mode, settings=settings)
    if isinstance(source, str) and source.lower() == "download":
        if area is None:
            msg = "downloading a network needs a study area"
            raise InputError(msg)
        return download_network(area, mode=mode, settings=settings)
    if isinstance(source, str) and source.lower() == "auto":
        if area is None:
            return None
        for path in bundled_networks(settings):
            try:
                if covers(network_hull(path, settings), area):
                    return read_network(path, mode=mode, settings=settings, progress=progress)
            except NetworkError as exc:
                logger.warning("skipping %s: %s", path.name, exc)
        return None
    return read_network(source, mode=mode, settings=settings, progress=progress)
