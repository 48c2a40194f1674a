"""The routable graph as arrays, and the speed and one-way rules every OSM reader shares.

:class:`Network` (one travel mode: node coordinates in EPSG:27700 metres, directed edges with
metres and seconds) and :func:`build_directed` are used by every reader -- pyosmium
(:mod:`geo.travel.pbf`), pyrosm and osmnx (:mod:`geo.travel.network`) -- so a network means the
same whatever built it.  See :mod:`geo.travel.network` for the speed assumptions.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo._errors import NetworkError
from geo.crs import bng_from_lonlat

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

    from geo.config import Settings

logger = logging.getLogger(__name__)

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


def road_class_codes(highway: pd.Series) -> np.ndarray:
    """:data:`ROAD_CLASSES` code per OSM ``highway`` value (``primary_link`` counts as primary)."""
    base = highway.astype("string").fillna("").str.split(";").str[0].str.removesuffix("_link")
    return (pd.Categorical(base, categories=ROAD_CLASSES[1:]).codes + 1).astype(np.int8)


def build_directed(*, mode: str, u: np.ndarray, v: np.ndarray, length_metres: np.ndarray,
                   seconds: np.ndarray, forward: np.ndarray, backward: np.ndarray,
                   node_osmid: np.ndarray, node_lon: np.ndarray, node_lat: np.ndarray,
                   source: str, note: str, road_class: np.ndarray | None = None) -> Network:
    """A :class:`Network` from undirected segments ``u``-``v`` (node positions, -1 = missing).

    ``forward``/``backward`` say in which directions each segment may be travelled; nodes
    that no kept edge uses are dropped and the rest renumbered (vectorised).  ``road_class``
    (:func:`road_class_codes` per segment) is kept per edge for map context.
    """
    fwd, rev = forward, backward
    eu = np.concatenate([u[fwd], v[rev]])
    ev = np.concatenate([v[fwd], u[rev]])
    metres = np.concatenate([length_metres[fwd], length_metres[rev]]).astype(float)
    secs = np.concatenate([seconds[fwd], seconds[rev]])
    rc = (np.concatenate([road_class[fwd], road_class[rev]]).astype(np.int8) if road_class is not None
          else None)
    ok = (eu >= 0) & (ev >= 0) & (eu != ev) & np.isfinite(secs)
    dropped = int((~ok).sum())
    eu, ev, metres, secs = eu[ok], ev[ok], metres[ok], secs[ok]
    rc = rc[ok] if rc is not None else None
    used = np.unique(np.concatenate([eu, ev]))
    if len(used) == 0:
        msg = f"{source}: no routable {mode} ways found; is this an OpenStreetMap road extract?"
        raise NetworkError(msg)
    remap = np.full(len(node_osmid), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    x, y = bng_from_lonlat(np.asarray(node_lon)[used], np.asarray(node_lat)[used])
    notes = [note]
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
