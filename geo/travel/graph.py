"""The routable graph as arrays, and the speed and one-way rules every OSM reader shares.

:class:`Network` (one travel mode: node coordinates in EPSG:27700 metres, directed edges with
metres and seconds) and :func:`build_directed` are used by every reader -- pyosmium
(:mod:`geo.travel.pbf`), pyrosm and osmnx (:mod:`geo.travel.network`) -- so a network means the
same whatever built it.  What each way means for a mode (speeds, directions, class, junction
priority) is :mod:`geo.travel.rules`; :func:`build_directed` applies it: it picks each segment's
speed by the road density around it and adds the delay of giving way at junctions.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from geo._errors import NetworkError
from geo.crs import bng_from_lonlat
from geo.travel.modes import TravelMode
from geo.travel.rules import WayRules, built_up_mask, junction_delay_seconds, speed_note

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

    from geo.config import Settings

logger = logging.getLogger(__name__)

@dataclass(frozen=True, eq=False)
class Network:
    """One mode of a road network as arrays (read-only; share freely).

    Attributes
    ----------
    mode : the travel mode (one routed on roads).
    node_x, node_y : node coordinates, EPSG:27700 metres.
    osmid : OSM node ids (``node_idx`` is the position in these arrays).
    edge_u, edge_v : node_idx of each directed edge (travel from u to v).
    edge_metres, edge_seconds : length and travel time of each edge.
    edge_road_class : :data:`ROAD_CLASSES` code of each edge (motorway, trunk, primary, ...).
    source : where it came from (file name or "osmnx download").
    """

    mode: TravelMode
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
        return f"{self.mode.heading} on OpenStreetMap roads ({self.source})"

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

    def __post_init__(self) -> None:
        if not isinstance(self.mode, TravelMode):  # a network built by hand names its mode
            object.__setattr__(self, "mode", TravelMode.parse_road(self.mode))

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
        return cls(mode=TravelMode(str(arrays["mode"])), node_x=arrays["node_x"], node_y=arrays["node_y"],
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


def build_directed(*, mode: TravelMode, u: np.ndarray, v: np.ndarray, length_metres: np.ndarray,
                   rules: WayRules, node_osmid: np.ndarray, node_lon: np.ndarray, node_lat: np.ndarray,
                   source: str, settings: Settings, rule_of_segment: np.ndarray | None = None) -> Network:
    """A :class:`Network` from undirected segments ``u``-``v`` (node positions, -1 = missing).

    ``rules`` (:func:`~geo.travel.rules.way_rules`; one row per segment, or per tag combination
    with ``rule_of_segment`` giving each segment's row) say in which directions each segment may
    be travelled and how fast; each edge's seconds are its length at the speed of the segment
    (built-up or open road, :func:`~geo.travel.rules.built_up_mask`) plus the delay of the
    junction it arrives at (:func:`~geo.travel.rules.junction_delay_seconds`).  Nodes that no
    kept edge uses are dropped and the rest renumbered (vectorised); the road class is kept per
    edge for map context.  Per-segment and per-edge arrays use the smallest types that hold
    them: this function sets the memory of an England-size build.
    """
    def of(values: np.ndarray, where: np.ndarray | slice = slice(None)) -> np.ndarray:
        """The rule ``values`` of segments ``where``."""
        return values[rule_of_segment[where]] if rule_of_segment is not None else values[where]

    length_metres = np.asarray(length_metres, dtype=float)
    seg_ok = (u >= 0) & (v >= 0) & (u != v)
    x_all = y_all = None
    if mode.profile.speed_rule == "posted-limits" and seg_ok.any():  # built-up or open road
        x_all, y_all = bng_from_lonlat(np.asarray(node_lon), np.asarray(node_lat))
        a, b = u[seg_ok], v[seg_ok]
        built = np.ones(len(u), dtype=bool)
        built[seg_ok] = built_up_mask(((x_all[a] + x_all[b]) * 0.5).astype(np.float32),
                                      ((y_all[a] + y_all[b]) * 0.5).astype(np.float32),
                                      length_metres[seg_ok])
        del a, b
        speed_kph = np.where(built, of(rules.built_up_kph), of(rules.open_road_kph)).astype(np.float32)
        del built
    else:
        speed_kph = of(rules.built_up_kph).astype(np.float32)
    degree = (np.bincount(u[seg_ok], minlength=len(node_osmid))
              + np.bincount(v[seg_ok], minlength=len(node_osmid))).astype(np.int32)
    fwd = np.flatnonzero(of(rules.forward) & seg_ok)
    rev = np.flatnonzero(of(rules.backward) & seg_ok)
    idx = np.int32 if len(u) < 2**31 else np.int64
    seg = np.concatenate([fwd, rev]).astype(idx)  # the segment of each directed edge
    eu = np.concatenate([u[fwd], v[rev]])
    ev = np.concatenate([v[fwd], u[rev]])
    del fwd, rev
    metres = length_metres[seg]
    speed_mps = speed_kph[seg] / np.float32(3.6)
    secs = metres / speed_mps
    secs += junction_delay_seconds(mode, eu, ev, speed_mps, of(rules.road_rank, seg),
                                   of(rules.roundabout, seg), degree)
    del speed_mps, degree
    ok = np.isfinite(secs)
    dropped = int((~ok).sum() + ((~seg_ok) & of(rules.forward)).sum() + ((~seg_ok) & of(rules.backward)).sum())
    if not ok.all():
        eu, ev, metres, secs, seg = eu[ok], ev[ok], metres[ok], secs[ok], seg[ok]
    rc = of(rules.road_class, seg).astype(np.int8)
    del seg, ok
    used = np.unique(np.concatenate([eu, ev]))
    if len(used) == 0:
        msg = f"{source}: no routable {mode} ways found; is this an OpenStreetMap road extract?"
        raise NetworkError(msg)
    remap = np.full(len(node_osmid), -1, dtype=np.int32 if len(used) < 2**31 else np.int64)
    remap[used] = np.arange(len(used))
    if x_all is not None and y_all is not None:
        x, y = x_all[used], y_all[used]
        del x_all, y_all
    else:
        x, y = bng_from_lonlat(np.asarray(node_lon)[used], np.asarray(node_lat)[used])
    notes = [speed_note(mode, speed_kph[seg_ok], of(rules.from_posted, seg_ok), settings)]
    if dropped:
        notes.append(f"{dropped} edges dropped (missing node or zero length loop)")
    net = Network(mode=mode, node_x=np.asarray(x, dtype=float), node_y=np.asarray(y, dtype=float),
                  osmid=np.asarray(node_osmid)[used].astype(np.int64),
                  edge_u=remap[eu].astype(np.int32), edge_v=remap[ev].astype(np.int32),
                  edge_metres=metres, edge_seconds=secs, source=source, notes=tuple(notes),
                  edge_road_class=rc)
    logger.info("network %s %s: %d nodes, %d edges", source, mode, net.n_nodes, net.n_edges)
    return net


def clip_network(network: Network, keep: np.ndarray, *, source: str | None = None) -> Network:
    """The part of ``network`` on the nodes where ``keep`` is True (edges between kept nodes).

    Like an extract cut at a boundary: used to check the mixed method (roads inside, the
    estimate beyond) against the full network's times.
    """
    keep = np.asarray(keep, dtype=bool)
    remap = np.full(network.n_nodes, -1, dtype=np.int64)
    remap[keep] = np.arange(int(keep.sum()))
    e = keep[network.edge_u] & keep[network.edge_v]
    rc = network.edge_road_class[e] if network.edge_road_class is not None else None
    return Network(mode=network.mode, node_x=network.node_x[keep], node_y=network.node_y[keep],
                   osmid=network.osmid[keep], edge_u=remap[network.edge_u[e]].astype(np.int32),
                   edge_v=remap[network.edge_v[e]].astype(np.int32), edge_metres=network.edge_metres[e],
                   edge_seconds=network.edge_seconds[e], source=source or f"{network.source} (clipped)",
                   notes=network.notes, edge_road_class=rc)
