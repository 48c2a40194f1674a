"""Streaming ``.osm.pbf`` -> routing graph, with pyosmium (bounded memory, no tag DataFrame).

Two passes over a large file (:func:`read_ways`).  Pass 1 reads only ways: libosmium drops every
way without a ``highway`` tag before Python sees it, the way's modes and a few tag codes are
kept, and the ids of the kept ways and of their nodes go into a C++ ``IdTracker``.  Pass 2 reads
nodes and ways through that tracker, so only road nodes enter the location index (about 16 bytes
each: ~0.6 GB for England's ~35M road nodes, not the ~2.7 GB an index of all ~170M nodes needs)
and each kept way is streamed into flat arrays with its coordinates.  A county extract is read
in one pass (every node in the index), which costs less than the tracker's bitset.  Everything
after the passes is vectorised numpy.

The way selection (each road mode's :class:`~geo.travel.modes.OsmFilter`, on its profile)
mirrors pyrosm's ``driving``/``walking``/``cycling`` filters (themselves the
osmnx ``drive``/``walk``/``bike`` filters with OSM access rules), so a network read here equals
the one :func:`geo.travel.network.read_network` used to build through pyrosm (checked on Rutland
in tests/test_pbf.py); speeds and one-way rules are the shared ones in
:mod:`geo.travel.rules`.  Segment lengths are haversine metres (mean Earth radius 6371.0088 km)
rounded to the millimetre, as pyrosm computes them.
"""

from __future__ import annotations

import logging
import time
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo._errors import NetworkError
from geo.travel.modes import OsmFilter, TravelMode

if TYPE_CHECKING:
    from geo.config import Settings
    from geo.progress import ProgressFn
    from geo.travel.graph import Network

logger = logging.getLogger(__name__)

#: One bit per road mode in a way's mode mask (drive 1, walk 2, cycle 4), in declaration order.
MODE_BITS: dict[TravelMode, int] = {m: 1 << i for i, m in enumerate(TravelMode.road_modes())}
#: ``(bit, filter)`` of each road mode (:attr:`geo.travel.modes.ModeProfile.osm`), read per way.
_FILTERS: tuple[tuple[int, OsmFilter], ...] = tuple((MODE_BITS[m], m.profile.osm) for m in MODE_BITS
                                                    if m.profile.osm is not None)
CLOSED = frozenset({"no", "private"})
YES = frozenset({"yes"})
SEPARATE = frozenset({"separate"})
EARTH_RADIUS_METRES = 6_371_008.8
#: libosmium's coordinate for a node whose location is unknown (not in the file).
UNDEFINED_COORDINATE = 2_147_483_647
#: Segments per chunk of the length computation (bounds its temporaries).
HAVERSINE_CHUNK = 1_000_000
TAG_KEYS = ("highway", "maxspeed", "oneway", "junction", "surface", "tracktype")


def _matches(value: str | None, values: frozenset[str]) -> bool:
    """pyrosm's multi-value match: the value, or one of its ``;``-separated parts, is listed."""
    if value is None:
        return False
    if value in values:
        return True
    return ";" in value and any(p.strip() in values for p in value.split(";"))


def way_modes(get: Any) -> int:
    """Bit mask of the modes (:data:`MODE_BITS`) that may use a way.

    ``get(key, default)`` returns a tag value (``dict.get`` of a tag dict works).
    """
    hw = get("highway", None)
    if hw is None or _matches(get("area", None), YES):
        return 0
    service = get("service", None)
    mask = 0
    for bit, rule in _FILTERS:
        if _matches(hw, rule.highway) or _matches(service, rule.service):
            continue
        closed = False
        for key in rule.access:
            value = get(key, None)
            if value is not None:
                closed = _matches(value, CLOSED)
                break
        if closed or any(_matches(get(k, None), SEPARATE) for k in rule.separate):
            continue
        mask |= bit
    return mask


@dataclass(frozen=True)
class WayTable:
    """Highway ways of one file as flat arrays (read-only).

    ``offsets`` (n_ways + 1) index ``node_id``/``x``/``y`` (one entry per way node with a known
    location; fixed-point 1e-7 degrees); ``modes`` is the :data:`MODE_BITS` mask per way and
    ``codes[key]`` indexes ``values[key]`` (-1 = tag absent) for the keys in :data:`TAG_KEYS`;
    ``ways_read`` counts every ``highway`` way in the file (routable or not).
    """

    offsets: np.ndarray
    node_id: np.ndarray
    x: np.ndarray
    y: np.ndarray
    modes: np.ndarray
    codes: dict[str, np.ndarray]
    values: dict[str, list[str]]
    source: str
    ways_read: int = 0

    @property
    def n_ways(self) -> int:
        """Number of ways kept (usable by at least one mode)."""
        return len(self.modes)


#: Files at least this large are read in two passes (:func:`read_ways`); smaller ones in one.
TWO_PASS_MIN_BYTES = 512 * 1024 * 1024


def read_ways(path: str | Path, *, passes: int | None = None, storage: str = "sparse_mem_array",
              progress: ProgressFn | None = None) -> WayTable:
    """Stream the routable highway ways of an ``.osm.pbf`` into a :class:`WayTable`.

    Two passes (large files): pass 1 reads only the ways; libosmium drops every way without a
    ``highway`` tag, the modes and a few tag codes of the rest are kept, and the ids of the kept
    ways and of their nodes go into a libosmium ``IdTracker`` (C++; nothing per node in Python).
    Pass 2 reads nodes and ways through the tracker's filter, so only road nodes reach the
    location index (~16 bytes each) and the kept ways come back with their coordinates.  The
    tracker is a bitset over the id range (up to ~1.5 GB for today's ~12 billion node ids),
    which only pays off when the file holds far more nodes than roads, so smaller files are
    read in one pass with every node in the location index.  Both give the same table.

    Parameters
    ----------
    path : the ``.osm.pbf`` file.
    passes : 1 or 2; default 2 for files of at least :data:`TWO_PASS_MIN_BYTES`, else 1.
    storage : libosmium location index (``sparse_mem_array``; ``sparse_file_array,FILE`` keeps
        it on disk).
    progress : called as ``(ways_read, 0, label)`` every 100,000 ways (total unknown).
    """
    try:
        import osmium
    except ImportError as exc:  # pragma: no cover - dependency of the osm extra
        msg = "reading .osm.pbf files needs pyosmium: pip install 'geo-access[osm]'"
        raise NetworkError(msg) from exc
    path = Path(path)
    if passes is None:
        passes = 2 if path.is_file() and path.stat().st_size >= TWO_PASS_MIN_BYTES else 1
    start = time.perf_counter()
    out = _WayArrays()
    try:
        if passes == 2:
            _two_passes(osmium, path, out, storage, progress)
        else:
            _one_pass(osmium, path, out, storage, progress)
    except RuntimeError as exc:
        msg = (f"{path.name}: cannot read this OpenStreetMap PBF file ({exc}); it may be truncated "
               "or not a .osm.pbf - download it again (e.g. geo network fetch)")
        raise NetworkError(msg) from exc
    table = out.table(path.name)
    logger.info("pbf %s (%d pass%s): %d highway ways read, %d routable, %d way nodes in %.2f s",
                path.name, passes, "es" if passes == 2 else "", table.ways_read, table.n_ways,
                len(table.node_id), time.perf_counter() - start)
    return table


class _WayArrays:
    """The growing arrays of :func:`read_ways` (one entry per kept way or way node)."""

    def __init__(self) -> None:
        self.offsets = array("q", [0])
        self.ids, self.xs, self.ys = array("q"), array("i"), array("i")
        self.modes = array("B")
        self.codes = {k: array("i") for k in TAG_KEYS}
        self.lookup: dict[str, dict[str, int]] = {k: {} for k in TAG_KEYS}
        self.seen = 0

    def tags(self, way: Any) -> int:
        """Record a highway way's modes and tag codes; its mode mask (0: not kept)."""
        self.seen += 1
        get = way._pyosmium_data.tags_get_value_by_key  # C++ accessor: no Python tag objects
        mask = way_modes(get)
        if mask:
            self.modes.append(mask)
            for key in TAG_KEYS:
                value = get(key, None)
                self.codes[key].append(-1 if value is None else
                                       self.lookup[key].setdefault(value, len(self.lookup[key])))
        return mask

    def table(self, source: str) -> WayTable:
        if len(self.offsets) - 1 != len(self.modes):
            msg = (f"{source}: the file changed between the two passes ({len(self.modes)} road ways, "
                   f"then {len(self.offsets) - 1}); read it again when it is complete")
            raise NetworkError(msg)
        return WayTable(offsets=np.frombuffer(self.offsets, dtype=np.int64),
                        node_id=np.frombuffer(self.ids, dtype=np.int64),
                        x=np.frombuffer(self.xs, dtype=np.int32), y=np.frombuffer(self.ys, dtype=np.int32),
                        modes=np.frombuffer(self.modes, dtype=np.uint8),
                        codes={k: np.frombuffer(v, dtype=np.int32) for k, v in self.codes.items()},
                        values={k: list(d) for k, d in self.lookup.items()}, source=source,
                        ways_read=self.seen)


def _one_pass(osmium: Any, path: Path, out: _WayArrays, storage: str, progress: ProgressFn | None) -> None:
    """Every node into the location index, then each kept highway way with its coordinates."""
    ways = (osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations(storage)
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway")))
    wkb, all_nodes = osmium.geom.WKBFactory(), osmium.geom.use_nodes.ALL
    for way in ways:
        if progress is not None and out.seen % 100_000 == 0:
            progress(out.seen, 0, f"reading ways of {path.name}")
        if out.tags(way):
            _append_way(way, out, wkb, all_nodes)


def _two_passes(osmium: Any, path: Path, out: _WayArrays, storage: str, progress: ProgressFn | None) -> None:
    """Pass 1: the kept ways and their node ids (tracker); pass 2: only those nodes and ways."""
    tracker = osmium.IdTracker()
    for way in osmium.FileProcessor(str(path), osmium.osm.WAY).with_filter(osmium.filter.KeyFilter("highway")):
        if progress is not None and out.seen % 100_000 == 0:
            progress(out.seen, 0, f"reading ways of {path.name} (1/2)")
        if out.tags(way):
            tracker.add_way(way.id)
            tracker.add_references(way)
    locations = osmium.NodeLocationsForWays(osmium.index.create_map(storage))
    locations.ignore_errors()
    wkb, all_nodes = osmium.geom.WKBFactory(), osmium.geom.use_nodes.ALL
    # the iterator holds raw pointers to its handlers: keep every one referenced here
    kept, ways_only = tracker.id_filter(), osmium.filter.EntityFilter(osmium.osm.WAY)
    with osmium.io.Reader(str(path), osmium.osm.NODE | osmium.osm.WAY) as reader:
        for n, way in enumerate(osmium.OsmFileIterator(reader, kept, locations, ways_only), start=1):
            if progress is not None and n % 100_000 == 0:
                progress(n, 0, f"reading ways of {path.name} (2/2)")
            _append_way(way, out, wkb, all_nodes)


def _append_way(way: Any, out: _WayArrays, wkb: Any, all_nodes: Any) -> None:
    """Append a way's node ids and fixed-point coordinates (C++ accessors; one WKB call per way)."""
    import osmium

    ids, xs, ys = out.ids, out.xs, out.ys
    cway: Any = way._pyosmium_data  # the C++ way: skips pyosmium's per-call Python wrappers
    node_list = cway.nodes()
    count = node_list.size(cway)
    ids.extend([node_list.get(cway, i).ref for i in range(count)])
    try:  # all coordinates of the way in one C++ call (WKB doubles after a 9-byte header)
        coords = np.frombuffer(bytes.fromhex(wkb.create_linestring(way, all_nodes)),
                               dtype="<f8", offset=9).reshape(-1, 2)
        xs.extend(np.rint(coords[:, 0] * 1e7).astype(np.int32).tolist())
        ys.extend(np.rint(coords[:, 1] * 1e7).astype(np.int32).tolist())
    except (osmium.InvalidLocationError, RuntimeError):  # a node outside the extract
        refs = [node_list.get(cway, i) for i in range(count)]
        xs.extend([r.x if r.location.valid() else UNDEFINED_COORDINATE for r in refs])
        ys.extend([r.y if r.location.valid() else UNDEFINED_COORDINATE for r in refs])
    out.offsets.append(len(ids))


def haversine_metres(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray,
                     lat2: np.ndarray) -> np.ndarray:
    """Great-circle metres between lon/lat degree arrays (mean Earth radius)."""
    p1, p2 = np.deg2rad(lat1), np.deg2rad(lat2)
    dlat, dlon = p2 - p1, np.deg2rad(lon2) - np.deg2rad(lon1)
    d = np.sin(dlat * 0.5) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon * 0.5) ** 2
    return 2 * EARTH_RADIUS_METRES * np.arcsin(np.sqrt(d))


def network_from_ways(table: WayTable, *, mode: TravelMode, settings: Settings) -> Network:
    """Directed :class:`~geo.travel.network.Network` of one mode from a :class:`WayTable`.

    Speeds, one-way flags and junction priorities are computed once per distinct combination of
    the :data:`TAG_KEYS` tags with the shared rules of :mod:`geo.travel.rules`, and each segment
    points at its combination; nothing loops over ways or nodes in Python.
    """
    from geo.travel.graph import build_directed
    from geo.travel.rules import way_rules

    keep = (table.modes & MODE_BITS[mode]) > 0
    if not keep.any():
        msg = f"{table.source}: no {mode} roads in this file; check it covers your study area"
        raise NetworkError(msg)
    # Way nodes with a known location (a way cut by the extract border keeps its other nodes).
    # 32-bit positions and indices where they fit: memory, not speed, bounds England-size files.
    idx = np.int32 if len(table.x) < 2**31 else np.int64
    starts: np.ndarray[Any, Any] = table.offsets[:-1][keep].astype(idx)
    counts: np.ndarray[Any, Any] = table.offsets[1:][keep].astype(idx) - starts
    way_of = np.repeat(np.arange(len(starts), dtype=np.int32), counts)
    pos: np.ndarray[Any, Any] = np.arange(int(counts.sum()), dtype=idx)
    pos += np.repeat(starts - (np.cumsum(counts, dtype=idx) - counts), counts)
    valid = table.x[pos] != UNDEFINED_COORDINATE
    pos, way_of = pos[valid], way_of[valid]
    del valid, starts, counts
    # Nodes: unique OSM ids of the remaining way nodes (nodes no edge uses are dropped later).
    node_osmid, inverse = np.unique(table.node_id[pos], return_inverse=True)
    inverse = inverse.reshape(-1).astype(np.int32 if len(node_osmid) < 2**31 else np.int64)
    first = np.empty(len(node_osmid), dtype=idx)
    first[inverse] = pos  # any occurrence: every copy of a node has the same location
    node_lon, node_lat = table.x[first] * 1e-7, table.y[first] * 1e-7
    del first
    # Segments join consecutive remaining nodes of the same way.
    same = way_of[1:] == way_of[:-1]
    seg_way = way_of[:-1][same]
    del way_of
    u, v = inverse[:-1][same], inverse[1:][same]
    a, b = pos[:-1][same], pos[1:][same]
    del inverse, pos, same
    metres = np.empty(len(a))
    for i in range(0, len(a), HAVERSINE_CHUNK):  # in chunks: a few float temporaries of 1M, not of all
        ca, cb = a[i:i + HAVERSINE_CHUNK], b[i:i + HAVERSINE_CHUNK]
        metres[i:i + HAVERSINE_CHUNK] = haversine_metres(table.x[ca] * 1e-7, table.y[ca] * 1e-7,
                                                         table.x[cb] * 1e-7, table.y[cb] * 1e-7).round(3)
    del a, b
    # Rules once per distinct tag combination, spread to ways then segments.
    tags = pd.DataFrame({k: table.codes[k][keep] for k in TAG_KEYS})
    combos, combo_of_way = np.unique(tags.to_numpy(), axis=0, return_inverse=True)
    combo_of_way = np.asarray(combo_of_way).reshape(-1).astype(np.int32)

    def col(i: int, key: str) -> pd.Series:
        vals = np.array(table.values[key] + [None], dtype=object)
        return pd.Series(vals[np.where(combos[:, i] >= 0, combos[:, i], len(vals) - 1)], dtype=object)
    rules = way_rules({k: col(i, k) for i, k in enumerate(TAG_KEYS)}, mode=mode, settings=settings)
    rule_of_segment = combo_of_way[seg_way]
    del seg_way, combo_of_way
    return build_directed(mode=mode, u=u, v=v, length_metres=metres, rules=rules, rule_of_segment=rule_of_segment,
                          node_osmid=node_osmid, node_lon=node_lon, node_lat=node_lat,
                          source=table.source, settings=settings)


def read_pbf_network(path: str | Path, *, mode: TravelMode, settings: Settings, passes: int | None = None,
                     storage: str = "sparse_mem_array", progress: ProgressFn | None = None) -> Network:
    """One mode's network from an ``.osm.pbf`` (streamed; see :func:`read_ways`)."""
    return network_from_ways(read_ways(path, passes=passes, storage=storage, progress=progress),
                             mode=mode, settings=settings)


def read_pbf_networks(path: str | Path, *, modes: tuple[str | TravelMode, ...], settings: Settings,
                      passes: int | None = None, storage: str = "sparse_mem_array",
                      progress: ProgressFn | None = None) -> dict[TravelMode, Network]:
    """Several modes from one read of the file (mode names are checked here)."""
    chosen = [TravelMode.parse_road(m) for m in modes]
    table = read_ways(path, passes=passes, storage=storage, progress=progress)
    return {m: network_from_ways(table, mode=m, settings=settings) for m in chosen}


__all__ = ["MODE_BITS", "WayTable", "haversine_metres", "network_from_ways",
           "read_pbf_network", "read_pbf_networks", "read_ways", "way_modes"]
