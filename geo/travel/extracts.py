"""A catalogue of OpenStreetMap extracts for England, and the networks built from them.

Geofabrik publishes a daily ``.osm.pbf`` for each of England's 47 ceremonial counties (the
county and its unitaries, e.g. ``essex`` holds Essex, Southend-on-Sea and Thurrock) and for all
of England, each with its ``.md5`` beside it.  (Geofabrik no longer publishes the nine English
regions separately, so the fallback above a county is England.)  :data:`CATALOGUE` lists them
with their bounding box in EPSG:27700 (km, from Geofabrik's extract index), an approximate size
and the upper-tier local authorities (UTLA 2023) they hold.

:func:`choose_extracts` picks the smallest set that covers a study area plus a buffer: every
LSOA whose population-weighted centroid lies in the area or within ``buffer_km`` of it must be
in a chosen extract.  Each LSOA belongs to exactly one county, so the set of its counties is the
smallest cover; when it would be bigger than half of England (in MB), England is used instead.
:func:`merge_networks` joins the networks of several extracts (cross-border buffers): nodes
are matched by OSM id, and a way present in two extracts (Geofabrik keeps ways that cross the
border complete in both) gives its edges once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from geo._errors import AreaError, NetworkError
from geo.travel.fetch import GEOFABRIK

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from geo.config import Settings
    from geo.data.areas import Area
    from geo.progress import ProgressFn
    from geo.travel.graph import Network
    from geo.travel.modes import TravelMode

logger = logging.getLogger(__name__)

ENGLAND_DIR = "europe/united-kingdom/england"


@dataclass(frozen=True)
class Extract:
    """One downloadable extract.

    Attributes
    ----------
    slug : Geofabrik's name (``essex``); the file is ``<slug>-latest.osm.pbf``.
    name : display name.
    path : path below the server root (``europe/united-kingdom/england/essex-latest.osm.pbf``).
    bbox_km : (min easting, min northing, max easting, max northing), EPSG:27700 kilometres.
    approx_mb : approximate file size (late 2024), for planning and offers; the real size comes
        from the server.
    utlas : UTLA 2023 codes of the county and unitaries it holds (empty for England).
    kind : ``"county"`` or ``"country"``.
    """

    slug: str
    name: str
    path: str
    bbox_km: tuple[float, float, float, float]
    approx_mb: float
    utlas: tuple[str, ...] = ()
    kind: str = "county"

    @property
    def filename(self) -> str:
        """File name on the server and in the cache."""
        return self.path.rsplit("/", 1)[-1]


#: slug: (bbox km, approx MB, UTLA 2023 codes).  Boxes from Geofabrik's extract index
#: (WGS84, transformed to EPSG:27700); counties are ceremonial (county + its unitaries).
_COUNTIES: dict[str, tuple[tuple[float, float, float, float], float, tuple[str, ...]]] = {
    "bedfordshire": ((488, 212, 528, 271), 14, ("E06000055", "E06000056", "E06000032")),
    "berkshire": ((429, 159, 505, 188), 22, ("E06000036", "E06000038", "E06000039", "E06000037",
                                             "E06000040", "E06000041")),
    "bristol": ((349, 166, 365, 183), 13, ("E06000023",)),
    "buckinghamshire": ((459, 177, 505, 256), 22, ("E06000060", "E06000042")),
    "cambridgeshire": ((501, 235, 573, 319), 33, ("E10000003", "E06000031")),
    "cheshire": ((324, 339, 402, 399), 36, ("E06000049", "E06000050", "E06000006", "E06000007")),
    "cornwall": ((52, -34, 249, 126), 32, ("E06000052", "E06000053")),
    "cumbria": ((275, 445, 390, 590), 43, ("E06000063", "E06000064")),
    "derbyshire": ((398, 311, 457, 405), 41, ("E10000007", "E06000015")),
    "devon": ((203, 24, 339, 160), 54, ("E10000008", "E06000026", "E06000027")),
    "dorset": ((332, 67, 423, 132), 29, ("E06000059", "E06000058")),
    "durham": ((377, 506, 458, 559), 22, ("E06000047", "E06000005", "E06000001", "E06000004")),
    # Brighton and Hove: Geofabrik's East Sussex box stops at 0.137 W, west of which half of
    # Hove lies; the West Sussex extract holds all of it.
    "east-sussex": ((530, 91, 603, 143), 20, ("E10000011",)),
    "east-yorkshire-with-hull": ((458, 407, 565, 482), 18, ("E06000011", "E06000010")),
    "essex": ((536, 174, 630, 249), 47, ("E10000012", "E06000033", "E06000034")),
    "gloucestershire": ((351, 168, 427, 247), 38, ("E10000013", "E06000025")),
    "greater-london": ((503, 155, 563, 202), 121, tuple(f"E090000{i:02d}" for i in range(1, 34))),
    "greater-manchester": ((351, 381, 406, 421), 48, tuple(f"E080000{i:02d}" for i in range(1, 11))),
    "hampshire": ((403, 88, 490, 166), 60, ("E10000014", "E06000044", "E06000045")),
    "herefordshire": ((321, 214, 377, 278), 11, ("E06000019",)),
    "hertfordshire": ((486, 190, 552, 245), 36, ("E10000015",)),
    "isle-of-wight": ((424, 67, 469, 101), 9, ("E06000046",)),
    "kent": ((541, 103, 648, 183), 50, ("E10000016", "E06000035")),
    "lancashire": ((328, 398, 398, 484), 39, ("E10000017", "E06000008", "E06000009")),
    "leicestershire": ((427, 277, 491, 343), 19, ("E10000018", "E06000016")),
    "lincolnshire": ((469, 305, 569, 429), 41, ("E10000019", "E06000012", "E06000013")),
    "merseyside": ((311, 377, 362, 424), 24, ("E08000011", "E08000012", "E08000013", "E08000014",
                                              "E08000015")),
    "norfolk": ((543, 275, 672, 392), 44, ("E10000020",)),
    "north-yorkshire": ((363, 414, 530, 536), 57, ("E06000065", "E06000014", "E06000002",
                                                   "E06000003")),
    "northamptonshire": ((445, 231, 514, 306), 21, ("E06000061", "E06000062")),
    "northumberland": ((356, 543, 450, 662), 25, ("E06000057",)),
    "nottinghamshire": ((444, 321, 490, 402), 36, ("E10000024", "E06000018")),
    "oxfordshire": ((419, 174, 479, 253), 26, ("E10000025",)),
    "rutland": ((480, 292, 507, 319), 2, ("E06000017",)),
    "shropshire": ((316, 268, 384, 345), 24, ("E06000051", "E06000020")),
    "somerset": ((270, 102, 383, 180), 47, ("E06000066", "E06000024", "E06000022")),
    "south-yorkshire": ((412, 378, 477, 419), 28, ("E08000016", "E08000017", "E08000018",
                                                   "E08000019")),
    "staffordshire": ((368, 280, 428, 370), 29, ("E10000028", "E06000021")),
    "suffolk": ((559, 229, 659, 301), 31, ("E10000029",)),
    "surrey": ((480, 131, 544, 177), 41, ("E10000030",)),
    "tyne-and-wear": ((409, 545, 448, 580), 18, ("E08000037", "E08000021", "E08000022",
                                                 "E08000023", "E08000024")),
    "warwickshire": ((403, 228, 457, 310), 23, ("E10000031",)),
    "west-midlands": ((386, 272, 439, 308), 56, ("E08000025", "E08000026", "E08000027",
                                                 "E08000028", "E08000029", "E08000030",
                                                 "E08000031")),
    "west-sussex": ((473, 90, 544, 143), 46, ("E10000032", "E06000043")),
    "west-yorkshire": ((388, 402, 453, 452), 50, ("E08000032", "E08000033", "E08000034",
                                                  "E08000035", "E08000036")),
    "wiltshire": ((375, 116, 436, 201), 32, ("E06000054", "E06000030")),
    "worcestershire": ((354, 230, 417, 284), 19, ("E10000034",)),
}
_DISPLAY = {"east-yorkshire-with-hull": "East Yorkshire with Hull", "isle-of-wight": "Isle of Wight",
            "tyne-and-wear": "Tyne and Wear"}

ENGLAND = Extract(slug="england", name="England", path="europe/united-kingdom/england-latest.osm.pbf",
                  bbox_km=(80, -35, 672, 662), approx_mb=1400, kind="country")

#: Every extract, counties first (slug -> Extract).
CATALOGUE: dict[str, Extract] = {
    slug: Extract(slug=slug, name=_DISPLAY.get(slug, slug.replace("-", " ").title()),
                  path=f"{ENGLAND_DIR}/{slug}-latest.osm.pbf", bbox_km=bbox, approx_mb=mb,
                  utlas=utlas)
    for slug, (bbox, mb, utlas) in _COUNTIES.items()
} | {"england": ENGLAND}


def find_extract(name: str) -> Extract:
    """The catalogue entry for a slug or display name (``"essex"``, ``"Greater London"``)."""
    key = name.strip().lower().replace(" ", "-")
    if key in CATALOGUE:
        return CATALOGUE[key]
    msg = f"no OpenStreetMap extract called {name!r}; known: {', '.join(CATALOGUE)}"
    raise AreaError(msg)


def _utla_to_county() -> dict[str, str]:
    return {code: slug for slug, ex in CATALOGUE.items() for code in ex.utlas}


def choose_extracts(area: Area, *, buffer_km: float, settings: Settings | None = None,
                    england_share: float = 0.5) -> list[Extract]:
    """The smallest set of extracts that covers ``area`` plus ``buffer_km``.

    Parameters
    ----------
    area : the study area.
    buffer_km : also cover every LSOA whose population-weighted centroid lies within this many
        km of the area (the cross-border sites and LSOAs the analysis counts).
    england_share : use the England extract instead when the counties would add up to more
        than this share of its size.

    Returns
    -------
    list of :class:`Extract`, counties sorted by slug (or ``[ENGLAND]``).
    """
    import shapely

    from geo.config import Settings
    from geo.data.tables import load_lsoa_table

    if buffer_km < 0:
        msg = f"buffer_km must be >= 0, got {buffer_km}"
        raise AreaError(msg)
    if area.kind == "england":
        return [ENGLAND]
    s = settings if settings is not None else Settings.from_env()
    table = load_lsoa_table(s)
    x, y = table["easting"].to_numpy(float), table["northing"].to_numpy(float)
    need = table.index.isin(area.lsoas.index)
    if buffer_km > 0:
        poly = area.polygon_buffered(buffer_km * 1000.0)
        shapely.prepare(poly)
        need |= shapely.contains_xy(poly, x, y)
    lookup = _utla_to_county()
    utlas = table.loc[need, "utla23cd"].astype(str)
    unknown = sorted(set(utlas) - set(lookup))
    if unknown:
        msg = f"UTLA code(s) {unknown} are in no catalogue extract; use the England extract"
        raise NetworkError(msg)
    chosen = sorted({lookup[c] for c in utlas})
    total_mb = sum(CATALOGUE[c].approx_mb for c in chosen)
    if total_mb > england_share * ENGLAND.approx_mb:
        logger.info("%s + %g km needs %d counties (~%d MB); using the England extract",
                    area.name, buffer_km, len(chosen), total_mb)
        return [ENGLAND]
    logger.info("%s + %g km: extracts %s (~%d MB)", area.name, buffer_km, ", ".join(chosen), total_mb)
    return [CATALOGUE[c] for c in chosen]


def merge_networks(networks: Sequence[Network]) -> Network:
    """One network from several extracts of the same mode (vectorised).

    Nodes are matched by OSM id (the first extract's coordinates win; they are the same OSM
    node); edges that appear in more than one extract with the same ends and length are kept
    once, with the longest of their times (see below).  Nodes come out sorted by OSM id.
    """
    from geo.travel.graph import Network

    if not networks:
        msg = "no networks to merge"
        raise NetworkError(msg)
    modes = {n.mode for n in networks}
    if len(modes) > 1:
        msg = f"cannot merge networks of different modes ({', '.join(sorted(modes))})"
        raise NetworkError(msg)
    osmid = np.concatenate([n.osmid for n in networks])
    node_x = np.concatenate([n.node_x for n in networks])
    node_y = np.concatenate([n.node_y for n in networks])
    uniq, first = np.unique(osmid, return_index=True)
    offsets = np.cumsum([0] + [n.n_nodes for n in networks])
    # Global index of every input node: position of its OSM id in ``uniq``.
    global_idx = np.searchsorted(uniq, osmid)
    eu = np.concatenate([global_idx[o + n.edge_u] for o, n in zip(offsets[:-1], networks, strict=True)])
    ev = np.concatenate([global_idx[o + n.edge_v] for o, n in zip(offsets[:-1], networks, strict=True)])
    metres = np.concatenate([n.edge_metres for n in networks])
    secs = np.concatenate([n.edge_seconds for n in networks])
    src = np.concatenate([np.full(n.n_edges, i) for i, n in enumerate(networks)])
    order = np.lexsort((src, -secs, metres, ev, eu))
    eu, ev, metres, secs, src = eu[order], ev[order], metres[order], secs[order], src[order]
    # An edge repeats across extracts when its ends and length match one in another extract.  Its
    # time may differ near an extract's edge (a junction or built-up area whose other roads lie
    # only in the neighbouring extract); the slowest copy, which saw them, is kept.
    dup = np.zeros(len(eu), dtype=bool)
    dup[1:] = ((eu[1:] == eu[:-1]) & (ev[1:] == ev[:-1]) & (metres[1:] == metres[:-1])
               & (src[1:] != src[:-1]))
    keep = ~dup
    notes = tuple(dict.fromkeys(note for n in networks for note in n.notes))
    merged = Network(mode=networks[0].mode, node_x=node_x[first], node_y=node_y[first],
                     osmid=uniq.astype(np.int64), edge_u=eu[keep].astype(np.int32),
                     edge_v=ev[keep].astype(np.int32), edge_metres=metres[keep],
                     edge_seconds=secs[keep], source=" + ".join(n.source for n in networks),
                     key="+".join(n.key for n in networks), notes=notes)
    logger.info("merged %d networks: %d nodes, %d edges (%d shared edges dropped)", len(networks),
                merged.n_nodes, merged.n_edges, int(dup.sum()))
    return merged


def local_extracts(extracts: Sequence[Extract], settings: Settings) -> list[Path] | None:
    """Cached files of all ``extracts``, or None when any is missing."""
    from geo.travel.fetch import cached_extract

    paths = [cached_extract(ex, settings) for ex in extracts]
    return None if any(p is None for p in paths) else [p for p in paths if p is not None]


def network_from_extracts(area: Area, *, mode: TravelMode, settings: Settings, buffer_km: float,
                          fetch: bool = True, progress: ProgressFn | None = None) -> Network | None:
    """The ``mode`` network of the extracts that cover ``area`` + ``buffer_km``.

    Cached extracts are used as they are; missing ones are downloaded when ``fetch`` and the
    server (or ``GEO_OSM_MIRROR``) is reachable, otherwise None (the caller falls back to the
    labelled estimate).  Several extracts are merged (:func:`merge_networks`).
    """
    from geo.travel.fetch import base_url, fetch_extract, is_reachable
    from geo.travel.network import read_network

    chosen = choose_extracts(area, buffer_km=buffer_km, settings=settings)
    paths = local_extracts(chosen, settings)
    if paths is None:
        if not fetch or not is_reachable(base_url(settings)):
            logger.info("extracts %s not cached and %s not reachable", [e.slug for e in chosen],
                        base_url(settings))
            return None
        paths = [fetch_extract(ex, settings=settings, progress=progress) for ex in chosen]
    nets = [read_network(p, mode=mode, settings=settings, progress=progress) for p in paths]
    return nets[0] if len(nets) == 1 else merge_networks(nets)


def fetch_hint(area_name: str) -> str:
    """How to get real roads for an area (for estimate labels, errors and app offers)."""
    return (f"for real roads run `geo network fetch --area \"{area_name}\"` "
            "or set GEO_OSM_MIRROR to a local mirror")


def real_roads_offer(area: Area, *, settings: Settings,
                     buffer_km: float = 15.0) -> tuple[str, list[Extract]] | None:
    """An offer to download real roads for ``area``, or None.

    None when the extracts are already cached (``network="auto"`` uses them) or the server
    (or ``GEO_OSM_MIRROR``) cannot be reached.  Otherwise ``(text, extracts)`` with text such as
    "Get real roads for this area (47 MB from OpenStreetMap: Essex)".
    """
    from geo.travel.fetch import base_url, is_reachable

    chosen = choose_extracts(area, buffer_km=buffer_km, settings=settings)
    if local_extracts(chosen, settings) is not None or not is_reachable(base_url(settings)):
        return None
    mb = sum(e.approx_mb for e in chosen)
    names = ", ".join(e.name for e in chosen)
    return f"Get real roads for this area (about {mb:,.0f} MB from OpenStreetMap: {names})", chosen


def area_extent_text(area: Area) -> str:
    """``Essex (E 536-630 km, N 174-249 km)`` for error messages."""
    x = area.lsoas["easting"].to_numpy(float) / 1000.0
    y = area.lsoas["northing"].to_numpy(float) / 1000.0
    return f"{area.name} (E {x.min():.0f}-{x.max():.0f} km, N {y.min():.0f}-{y.max():.0f} km)"


def network_extent_text(network: Network) -> str:
    """``rutland-2018.osm.pbf (E 480-507 km, N 292-319 km)`` for error messages."""
    x0, y0, x1, y1 = (v / 1000.0 for v in network.bounds())
    return f"{network.source} (E {x0:.0f}-{x1:.0f} km, N {y0:.0f}-{y1:.0f} km)"


__all__ = ["CATALOGUE", "ENGLAND", "GEOFABRIK", "Extract", "area_extent_text", "choose_extracts",
           "fetch_hint", "find_extract", "local_extracts", "merge_networks", "network_extent_text",
           "network_from_extracts", "real_roads_offer"]
