"""Routable road networks from OpenStreetMap, as compact arrays.

A :class:`Network` is one travel mode on one OSM source: node coordinates in EPSG:27700
metres and directed edges with their length (metres) and free-flow travel time (seconds).
Sources, in order of preference:

* a local ``.osm.pbf`` file, streamed with pyosmium (:mod:`geo.travel.pbf`; pyrosm when
  pyosmium is missing -- both give the same network; the bundle holds Rutland 2018);
* a local OSM XML file (``.osm``, ``.osm.xml``, ``.xml.bz2``), read with ``osmnx.graph_from_xml``;
* ``"download"``: the area's roads fetched through ``osmnx.graph_from_polygon`` (internet).

Speeds (the rules are in :mod:`geo.travel.graph`, shared by every reader)
------
Drive: the posted ``maxspeed`` (mph or km/h; ``national`` limits resolved by road class) times
the share cars keep up on roads of that limit (DfT free-flow statistics: 1.0 at 20/30 mph, 0.95
at 40 mph, 0.85 on 50/60 mph single carriageways, 0.95 at 70 mph; ``Settings.maxspeed_factor``
multiplies it, default 1), with minor roads capped at 1.25 x their class speed.  A way with no
usable ``maxspeed`` takes the road-class table ``Settings.drive_speeds_kph`` (CDRC AHAH-style
classes) inside built-up areas and the national limit (60 mph; 70 on motorways) outside them,
as British law has it; built-up means at least 3 km of road per km² around the segment.  Each
edge that gives way at a junction -- a road of higher class meets it, or it enters a roundabout
-- loses the time to stop and start again (2.5 m/s² braking, 1.5 m/s² acceleration, 2 s wait).
One-way streets (``oneway=yes/1/true/-1``, roundabouts, motorways) are respected for driving.
Walk (4.8 km/h) and cycle (16 km/h: the DfT Journey Time Statistics speeds) use every way they
may legally use in both directions; cycling is 30% slower on unsealed ways (tracks, bridleways
and paths unless paved; gravel, dirt, grass), gives way at junctions like driving (1.5 / 1.0 m/s²),
and does not use roads with a limit over 100 km/h (70 mph dual carriageways).

The rules were checked against an independent engine (Valhalla on the same file,
``benchmarks/validate_router.py``; the measured error per band is in :mod:`geo.travel.accuracy`).

Built networks are cached in ``Settings.cache_dir`` as ``.npz`` keyed by the source file's
sha256, the mode, the speed settings and the package version, written atomically, so a second
run loads in milliseconds.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo import __version__
from geo._errors import InputError, NetworkError
from geo.cache import cache_key, cache_write_text, cached_npz
from geo.config import Settings
from geo.progress import report
from geo.travel.graph import Network, build_directed
from geo.travel.modes import TravelMode
from geo.travel.rules import way_rules

if TYPE_CHECKING:
    from geo.data.areas import Area
    from geo.progress import ProgressFn

logger = logging.getLogger(__name__)

#: Bumped when the cached arrays or the way rules change (2: per-edge road class for map context;
#: 3: speeds by limit and built-up area, unsealed cycling, junction delays).
NETWORK_SCHEMA = 3



# --------------------------------------------------------------------------- building


def _assemble(*, mode: TravelMode, osmid_u: np.ndarray, osmid_v: np.ndarray, length_metres: np.ndarray,
              highway: pd.Series, maxspeed: pd.Series | None, oneway: pd.Series | None,
              junction: pd.Series | None, node_osmid: np.ndarray, node_lon: np.ndarray,
              node_lat: np.ndarray, settings: Settings, source: str,
              directed_input: bool = False, surface: pd.Series | None = None,
              tracktype: pd.Series | None = None) -> Network:
    """Turn OSM segments into a directed :class:`Network` (vectorised)."""
    order = np.argsort(node_osmid)
    sorted_ids = node_osmid[order]

    def idx(ids: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(sorted_ids, ids)
        pos = np.clip(pos, 0, len(sorted_ids) - 1)
        ok = sorted_ids[pos] == ids
        return np.where(ok, order[pos], -1)

    tags = {"highway": highway, "maxspeed": maxspeed, "oneway": oneway, "junction": junction,
            "surface": surface, "tracktype": tracktype}
    rules = way_rules({k: (t.reset_index(drop=True) if t is not None else None) for k, t in tags.items()},
                      mode=mode, settings=settings, directed_input=directed_input)
    return build_directed(mode=mode, u=idx(np.asarray(osmid_u)), v=idx(np.asarray(osmid_v)),
                          length_metres=np.asarray(length_metres, dtype=float), rules=rules,
                          node_osmid=node_osmid, node_lon=node_lon, node_lat=node_lat, source=source,
                          settings=settings)


def _read_pbf(path: Path, mode: TravelMode, settings: Settings) -> Network:
    """Streaming pyosmium reader (:mod:`geo.travel.pbf`); pyrosm when pyosmium is missing."""
    try:
        import osmium  # noqa: F401
    except ImportError:
        return read_pbf_pyrosm(path, mode, settings)
    from geo.travel.pbf import read_pbf_network

    return read_pbf_network(path, mode=mode, settings=settings)


def read_pbf_pyrosm(path: Path, mode: str | TravelMode, settings: Settings) -> Network:
    """The pyrosm reader (the reference the streaming reader is tested and benchmarked against)."""
    mode = TravelMode.parse_road(mode)
    try:
        import pyrosm
    except ImportError as exc:  # pragma: no cover - dependency of the osm extra
        msg = "reading .osm.pbf files needs pyrosm: pip install 'geo-access[osm]'"
        raise NetworkError(msg) from exc
    try:
        nodes, edges = pyrosm.OSM(str(path)).get_network(network_type=mode.profile.pyrosm_type, nodes=True)
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
                     junction=edges.get("junction"), surface=edges.get("surface"),
                     tracktype=edges.get("tracktype"), node_osmid=nodes["id"].to_numpy(np.int64),
                     node_lon=nodes["lon"].to_numpy(float), node_lat=nodes["lat"].to_numpy(float),
                     settings=settings, source=path.name)


def _from_osmnx_graph(graph: Any, mode: TravelMode, settings: Settings, source: str, *,
                      filter_ways: bool = False) -> Network:
    """Arrays from an osmnx graph; ``filter_ways`` drops ways ``mode`` may not use (OSM XML)."""
    import osmnx as ox

    nodes, edges = ox.graph_to_gdfs(graph, nodes=True, edges=True)
    edges = edges.reset_index()
    hw = edges["highway"].map(_first)
    if filter_ways:
        access = edges["access"].map(_first) if "access" in edges else pd.Series(None, index=edges.index)
        if mode.profile.speed_rule == "posted-limits":  # the classes of the speed table
            drivable = sorted(set(settings.drive_speeds_kph) - {"track"})
            keep = hw.isin(drivable) & ~access.isin(["private", "no"])
        else:
            keep = ~hw.isin(sorted(mode.profile.osm_xml_excluded))
        edges, hw = edges[keep.to_numpy()], hw[keep.to_numpy()]
        if len(edges) == 0:
            msg = f"{source}: no {mode} roads in this OSM file; check it is a road extract covering your area"
            raise NetworkError(msg)
    def tag(key: str) -> pd.Series | None:
        return edges[key].map(_first) if key in edges else None

    return _assemble(mode=mode, osmid_u=edges["u"].to_numpy(np.int64),
                     osmid_v=edges["v"].to_numpy(np.int64),
                     length_metres=edges["length"].to_numpy(float), highway=hw, maxspeed=tag("maxspeed"),
                     oneway=None, junction=tag("junction"), surface=tag("surface"),
                     tracktype=tag("tracktype"), node_osmid=nodes.index.to_numpy(np.int64),
                     node_lon=nodes["x"].to_numpy(float), node_lat=nodes["y"].to_numpy(float),
                     settings=settings, source=source, directed_input=True)


def _first(value: Any) -> Any:
    """osmnx keeps merged tag values as lists; take the first."""
    return value[0] if isinstance(value, list) else value


def _read_xml(path: Path, mode: TravelMode, settings: Settings) -> Network:
    import bz2
    import tempfile

    import osmnx as ox

    try:
        if path.suffix == ".bz2":
            with tempfile.TemporaryDirectory() as tmp:
                plain = Path(tmp) / path.stem
                plain.write_bytes(bz2.decompress(path.read_bytes()))
                graph = ox.graph_from_xml(plain, bidirectional=not mode.profile.one_way, simplify=False)
        else:
            graph = ox.graph_from_xml(path, bidirectional=not mode.profile.one_way, simplify=False)
    except Exception as exc:
        msg = (f"{path.name}: cannot read this OSM XML file ({type(exc).__name__}: {exc}); "
               "check it is complete OSM XML (.osm / .osm.xml, optionally .bz2)")
        raise NetworkError(msg) from exc
    if graph.number_of_edges() == 0:
        msg = f"{path.name}: no {mode} roads in this OSM file; check it is a road extract covering your area"
        raise NetworkError(msg)
    return _from_osmnx_graph(graph, mode, settings, path.name, filter_ways=True)


def read_network(source: str | Path, *, mode: str | TravelMode = TravelMode.DRIVE, settings: Settings | None = None,
                 use_cache: bool = True, progress: ProgressFn | None = None) -> Network:
    """Build (or load from cache) the ``mode`` network of an OSM file.

    Parameters
    ----------
    source : path of an ``.osm.pbf``, ``.osm``, ``.osm.xml`` or ``.osm.xml.bz2`` file.
    mode : a mode routed on roads (drive, walk, cycle; a name is checked here).
    """
    s = settings if settings is not None else Settings.from_env()
    mode = TravelMode.parse_road(mode)
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
    key = cache_key("network", NETWORK_SCHEMA, digest, mode, sorted(s.drive_speeds_kph.items()), s.maxspeed_factor,
                    s.walk_kph, s.cycle_kph, __version__)
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


def download_network(area: Area, *, mode: str | TravelMode = TravelMode.DRIVE, settings: Settings | None = None,
                     buffer_metres: float = 5_000.0) -> Network:
    """Fetch the area's roads (plus a buffer) from OpenStreetMap through osmnx (internet)."""
    import geopandas as gpd

    from geo.crs import to_web

    poly = to_web(gpd.GeoSeries([area.polygon_buffered(buffer_metres)], crs="EPSG:27700")).iloc[0]
    return _download("graph_from_polygon", poly, what=area.name, mode=mode, settings=settings)


def download_network_by_place(place: str, *, mode: str | TravelMode = TravelMode.DRIVE,
                              settings: Settings | None = None) -> Network:
    """Fetch the roads of a named place (e.g. ``"Rutland, England"``) through osmnx (internet)."""
    return _download("graph_from_place", place, what=repr(place), mode=mode, settings=settings)


def _download(fetch: str, query: Any, *, what: str, mode: str | TravelMode, settings: Settings | None) -> Network:
    """One osmnx download (``ox.<fetch>(query)``), with the one error message users need."""
    s = settings if settings is not None else Settings.from_env()
    mode = TravelMode.parse_road(mode)
    try:
        import osmnx as ox

        graph = getattr(ox, fetch)(query, network_type=mode.profile.osmnx_type, simplify=False)
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
    cache_write_text(json.dumps(known), target)


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
    return read_network(path, mode=TravelMode.DRIVE, settings=settings).hull()


def covers(hull: Any, area: Area, *, share: float = 0.95) -> bool:
    """True if ``share`` of the area's LSOA centroids lie inside ``hull``."""
    import shapely

    x = area.lsoas["easting"].to_numpy(float)
    y = area.lsoas["northing"].to_numpy(float)
    return bool(shapely.contains_xy(hull, x, y).mean() >= share) if len(x) else False


def network_for_area(area: Area | None, *, mode: str | TravelMode, settings: Settings,
                     source: str | Path | None = "auto",
                     progress: ProgressFn | None = None) -> Network | None:
    """The network to route ``area`` on, or None when only the estimate is possible.

    ``source="auto"``: the first bundled OSM extract whose extent covers the area;
    ``"download"``: osmnx download of the area polygon (+5 km); ``"place:NAME"``: osmnx download
    by place name; a path: that file.  ``mode``: a road mode (a name is checked here).
    """
    mode = TravelMode.parse_road(mode)
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
