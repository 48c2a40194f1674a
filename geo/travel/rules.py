"""What an OpenStreetMap way means for each travel mode: speeds, directions, class, junctions.

Every reader -- pyosmium (:mod:`geo.travel.pbf`), pyrosm and osmnx (:mod:`geo.travel.network`) --
turns its tags into :class:`WayRules` with :func:`way_rules` and hands them to
:func:`geo.travel.graph.build_directed`, so a network means the same whatever built it.

Drive speeds come from the posted limit times the share cars keep up on roads of that limit
(:data:`DRIVE_LIMIT_FACTORS`, DfT free-flow statistics), with minor roads capped; an unsigned way
takes the class table inside built-up areas and the national limit outside them
(:func:`built_up_mask`).  Walking and cycling run at the DfT Journey Time Statistics speeds,
cycling slower on unsealed ways.  Giving way at a junction costs the time to stop and start
again (:func:`junction_delay_seconds`).  The rules were checked against Valhalla on the same
roads (``benchmarks/validate_router.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo._errors import NetworkError
from geo.travel.modes import TravelMode

if TYPE_CHECKING:
    from geo.config import Settings

#: National speed limits (km/h) used when ``maxspeed`` says "national" / "GB:nsl_*".
NATIONAL_LIMITS_KPH = {"single": 96.56, "dual": 112.65, "motorway": 112.65}
MPH_TO_KPH = 1.609344
MINOR_ROADS = ("unclassified", "residential", "service", "living_street", "track", "road")
MINOR_ROAD_CAP = 1.25
#: Share of the posted limit cars keep up on roads of that limit, ``(upper bound km/h, share)``:
#: DfT free-flow speed surveys (*Vehicle speed compliance statistics for Great Britain*, 2019-2023)
#: find car speeds close to the limit on 20/30 mph roads and motorways, and below it on national-
#: limit single carriageways, where only 9-12% of cars exceed 60 mph.  Junction delays are added
#: separately (:func:`junction_delay_seconds`).
DRIVE_LIMIT_FACTORS: tuple[tuple[float, float], ...] = (
    (50.0, 1.0),    # 20 and 30 mph
    (70.0, 0.95),   # 40 mph
    (100.0, 0.85),  # 50 and 60 mph: national-limit single carriageways
    (200.0, 0.95),  # 70 mph: dual carriageways and motorways
)
#: Cycling on unsealed ways (gravel, dirt, grass; tracks, bridleways and paths unless sealed):
#: rolling resistance on loose surfaces cuts a cyclist's speed by about a third.
UNSEALED_CYCLE_FACTOR = 0.7
SEALED_SURFACES = frozenset({"asphalt", "paved", "concrete", "concrete:plates", "concrete:lanes",
                             "paving_stones", "sett", "chipseal", "metal", "wood"})
UNSEALED_SURFACES = frozenset({"unpaved", "compacted", "gravel", "fine_gravel", "pebblestone", "dirt",
                               "earth", "ground", "grass", "mud", "sand", "woodchips", "grass_paver"})
UNSEALED_BY_DEFAULT = frozenset({"track", "bridleway", "path"})
#: Ways with a posted limit above this (km/h) are not cycled (70 mph dual carriageways).
CYCLE_MAX_LIMIT_KPH = 100.0
#: Priority of each road class at a junction (higher = has priority; links and anything unlisted 1).
ROAD_RANKS = {"motorway": 7, "trunk": 6, "primary": 5, "secondary": 4, "tertiary": 3, "unclassified": 2,
              "residential": 2, "living_street": 2, "road": 2}
#: Giving way at a junction per mode (a view of :attr:`~geo.travel.modes.ModeProfile.give_way`).
GIVE_WAY = {m: m.profile.give_way for m in TravelMode if m.profile.give_way is not None}
#: Built-up areas: road density (km of road per km²) at or above which a segment counts as
#: built up, over 3 x 3 cells of ``DENSITY_CELL_METRES``.
BUILT_UP_ROAD_KM_PER_KM2 = 3.0
DENSITY_CELL_METRES = 250.0
ONEWAY_YES = {"yes", "true", "1"}
#: Road classes kept per edge for maps (code = position; links count as their road).
ROAD_CLASSES = ("other", "motorway", "trunk", "primary", "secondary")
_SPEED_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", re.IGNORECASE)


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


def edge_speeds_kph(highway: pd.Series, maxspeed: pd.Series | None, *, mode: TravelMode,
                    settings: Settings, surface: pd.Series | None = None,
                    tracktype: pd.Series | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Speed (km/h) of each edge for ``mode`` and whether it came from ``maxspeed``.

    By the mode's ``speed_rule`` (:class:`~geo.travel.modes.ModeProfile`) -- ``flat`` (walk):
    the mode's speed (``Settings.walk_kph``) everywhere.  ``flat-unsealed-slower`` (cycle):
    ``Settings.cycle_kph`` on sealed ways, slower where the way is unsealed
    (:func:`cycle_surface_factor`).  ``posted-limits`` (drive): the posted limit times the share
    cars reach on roads of that limit (:func:`drive_limit_factor`), capped on minor roads; the
    class table where no limit is posted.
    """
    n = len(highway)
    rule, base = mode.profile.speed_rule, mode.speed_kph(settings)
    if rule == "flat" and base is not None:
        return np.full(n, base), np.zeros(n, dtype=bool)
    if rule == "flat-unsealed-slower" and base is not None:
        factor = cycle_surface_factor(highway, surface, tracktype)
        if maxspeed is not None:  # nobody cycles along a 70 mph dual carriageway
            limit = parse_maxspeed_kph(maxspeed, highway)
            factor = np.where(np.nan_to_num(limit, nan=0.0) > CYCLE_MAX_LIMIT_KPH, np.nan, factor)
        return base * factor, np.zeros(n, dtype=bool)
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
    # their speed is capped at MINOR_ROAD_CAP x the class speed.
    minor = np.isin(hw, MINOR_ROADS)
    posted_speed = posted * drive_limit_factor(posted) * settings.maxspeed_factor
    posted_speed = np.where(minor, np.minimum(posted_speed, class_speed * MINOR_ROAD_CAP), posted_speed)
    speed = np.where(from_posted, posted_speed, class_speed)
    return speed, from_posted


def speed_note(mode: TravelMode, speed_kph: np.ndarray, from_posted: np.ndarray, settings: Settings) -> str:
    """One line on the speeds of a network (per-segment ``speed_kph`` and ``from_posted``)."""
    base = mode.speed_kph(settings)
    if base is None:
        return f"{int(np.mean(from_posted) * 100) if len(from_posted) else 0}% of ways have a posted maxspeed"
    slow = float(np.mean(speed_kph < base - 1e-9)) if len(speed_kph) else 0.0
    return f"{base:g} km/h" + (f"; slower on unsealed ways ({slow:.0%} of segments)" if slow else "")


def drive_limit_factor(limit_kph: np.ndarray) -> np.ndarray:
    """Share of a posted limit cars reach, by limit (:data:`DRIVE_LIMIT_FACTORS`)."""
    bounds = np.array([b for b, _ in DRIVE_LIMIT_FACTORS])
    factors = np.array([f for _, f in DRIVE_LIMIT_FACTORS])
    lim = np.nan_to_num(np.asarray(limit_kph, dtype=float), nan=0.0)
    return factors[np.clip(np.searchsorted(bounds, lim, side="left"), 0, len(factors) - 1)]


def cycle_surface_factor(highway: pd.Series, surface: pd.Series | None,
                         tracktype: pd.Series | None) -> np.ndarray:
    """Share of the cycling speed on each way: 1 sealed, :data:`UNSEALED_CYCLE_FACTOR` unsealed.

    A way is unsealed when its ``surface`` says so, or when it is a track, bridleway or path
    with no sealed ``surface`` (and not ``tracktype=grade1``).
    """
    n = len(highway)

    def text(series: pd.Series | None) -> np.ndarray:
        if series is None:
            return np.full(n, "", dtype=object)
        return series.astype("string").str.lower().str.split(";").str[0].str.strip().fillna("").to_numpy(dtype=object)

    hw, sf, tt = text(highway), text(surface), text(tracktype)
    sealed = np.isin(sf, list(SEALED_SURFACES)) | (tt == "grade1")
    unsealed = np.isin(sf, list(UNSEALED_SURFACES)) | (np.isin(hw, list(UNSEALED_BY_DEFAULT)) & ~sealed)
    return np.where(unsealed, UNSEALED_CYCLE_FACTOR, 1.0)


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


def road_ranks(highway: pd.Series) -> np.ndarray:
    """Junction priority (:data:`ROAD_RANKS`) per OSM ``highway`` value."""
    base = highway.astype("string").fillna("").str.split(";").str[0].str.strip()
    return base.map(ROAD_RANKS).fillna(1).to_numpy(dtype=np.int8)


def is_roundabout(junction: pd.Series | None, n: int) -> np.ndarray:
    """True where ``junction`` is a roundabout (or circular)."""
    if junction is None:
        return np.zeros(n, dtype=bool)
    return junction.astype("string").str.lower().isin(["roundabout", "circular"]).fillna(False).to_numpy(dtype=bool)


@dataclass(frozen=True)
class WayRules:
    """What each way (or each distinct tag combination) means for one mode; see :func:`way_rules`.

    ``built_up_kph`` / ``open_road_kph`` are the speeds inside and outside built-up areas (equal
    where a limit is posted, and for walk and cycle); :func:`geo.travel.graph.build_directed` picks
    one per segment from the density of the road network around it (:func:`built_up_mask`).
    """

    built_up_kph: np.ndarray
    open_road_kph: np.ndarray
    from_posted: np.ndarray
    forward: np.ndarray
    backward: np.ndarray
    road_class: np.ndarray
    road_rank: np.ndarray
    roundabout: np.ndarray


def way_rules(tags: dict[str, pd.Series | None], *, mode: TravelMode, settings: Settings,
              directed_input: bool = False) -> WayRules:
    """Speeds, directions, class and junction priority of each way for ``mode``.

    ``tags`` holds one Series per OSM key (``highway`` required; ``maxspeed``, ``oneway``,
    ``junction``, ``surface``, ``tracktype`` optional).  ``directed_input``: the ways are already
    directed edges (osmnx graphs), so each is travelled forwards only.
    """
    highway = tags["highway"]
    if highway is None:
        msg = "way rules need the highway tag"
        raise NetworkError(msg)
    n = len(highway)
    junction = tags.get("junction")
    built, from_posted = edge_speeds_kph(highway, tags.get("maxspeed"), mode=mode, settings=settings,
                                         surface=tags.get("surface"), tracktype=tags.get("tracktype"))
    open_road = built.copy()
    if mode.profile.speed_rule == "posted-limits":
        open_road = np.where(from_posted, built, open_road_speeds_kph(highway, settings))
    if directed_input:
        forward, backward = np.ones(n, dtype=bool), np.zeros(n, dtype=bool)
    elif mode.profile.one_way:
        fwd_only, rev_only = oneway_flags(tags.get("oneway"), highway, junction)
        forward, backward = ~rev_only, ~fwd_only
    else:
        forward = backward = np.ones(n, dtype=bool)
    return WayRules(built_up_kph=built, open_road_kph=open_road, from_posted=from_posted,
                    forward=forward, backward=backward, road_class=road_class_codes(highway),
                    road_rank=road_ranks(highway), roundabout=is_roundabout(junction, n))


def open_road_speeds_kph(highway: pd.Series, settings: Settings) -> np.ndarray:
    """Drive speed of ways with no posted limit outside built-up areas.

    In Great Britain an unsigned road outside a built-up area has the national speed limit (60 mph
    single carriageway, 70 mph motorway); OpenStreetMap rarely tags it.  The share cars reach and
    the minor-road cap are those of posted limits (:func:`edge_speeds_kph`).
    """
    hw = highway.astype("string").fillna("").str.split(";").str[0].to_numpy(dtype=object)
    motorway = np.isin(hw, ["motorway", "motorway_link"])
    limit = pd.Series(np.where(motorway, "GB:nsl_dual", "national"), dtype=object)
    speed, _ = edge_speeds_kph(highway.reset_index(drop=True), limit, mode=TravelMode.DRIVE, settings=settings)
    return speed


def built_up_mask(x: np.ndarray, y: np.ndarray, metres: np.ndarray) -> np.ndarray:
    """True for segments (midpoints ``x``, ``y`` in metres) inside a built-up area.

    Built-up = at least :data:`BUILT_UP_ROAD_KM_PER_KM2` km of road per km² within the 3 x 3
    block of :data:`DENSITY_CELL_METRES` cells around the segment.  The road length is summed on
    a dense grid over the segments' extent (England: ~8M cells, 60 MB), four bytes per segment.
    """
    if not len(x):
        return np.zeros(0, dtype=bool)
    c = DENSITY_CELL_METRES
    cx = np.floor(np.asarray(x) / c).astype(np.int64)
    cy = np.floor(np.asarray(y) / c).astype(np.int64)
    x0, y0 = int(cx.min()) - 1, int(cy.min()) - 1
    nx, ny = int(cx.max()) - x0 + 2, int(cy.max()) - y0 + 2
    cell: Any = ((cx - x0) * ny + (cy - y0)).astype(np.int32 if nx * ny < 2**31 else np.int64)
    del cx, cy
    grid = np.bincount(cell, weights=metres, minlength=nx * ny).reshape(nx, ny)
    total = np.zeros_like(grid)
    for dx in (-1, 0, 1):  # 3 x 3 block sum (the border row and column are empty padding)
        for dy in (-1, 0, 1):
            total[1:-1, 1:-1] += grid[1 + dx:nx - 1 + dx, 1 + dy:ny - 1 + dy]
    built = total.reshape(-1) / 1000.0 / (9 * (c / 1000.0) ** 2) >= BUILT_UP_ROAD_KM_PER_KM2
    return built[cell]


def junction_delay_seconds(mode: TravelMode, u: np.ndarray, v: np.ndarray, speed_mps: np.ndarray,
                           rank: np.ndarray, roundabout: np.ndarray, degree: np.ndarray) -> np.ndarray:
    """Time lost at the junction each directed edge ``u -> v`` arrives at (seconds; 0 for none).

    A node is a junction when three or more ways meet there (``degree``: segments per node).  An
    edge gives way at a junction where a road of higher priority (:data:`ROAD_RANKS`) meets it,
    or where it enters a roundabout: it slows to a stop and speeds up again, losing
    ``v / 2 * (1 / decel + 1 / accel)`` at its speed ``v``, plus a mean wait for a gap
    (the mode's ``give_way``, :class:`~geo.travel.modes.ModeProfile`).  Turns are not known on a
    node graph, so going straight on and turning cost the same.
    """
    if mode.profile.give_way is None or not len(u):
        return np.zeros(len(u))
    decel, accel, wait = mode.profile.give_way
    n = len(degree)
    top = np.zeros(n, dtype=np.int8)
    np.maximum.at(top, u, rank)
    np.maximum.at(top, v, rank)
    on_roundabout = np.zeros(n, dtype=bool)
    on_roundabout[u[roundabout]] = True
    on_roundabout[v[roundabout]] = True
    gives_way = (degree[v] >= 3) & ((rank < top[v]) | (on_roundabout[v] & ~roundabout))
    return np.where(gives_way, speed_mps / 2 * (1 / decel + 1 / accel) + wait, 0.0)
