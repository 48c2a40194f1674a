"""Bus-stop access without a timetable: distance from each LSOA to its nearest NaPTAN bus stop.

A proxy for public-transport access where no GTFS feed is at hand.  For every LSOA
population-weighted centroid (ONS) we find the nearest *active* bus stop in NaPTAN with a
KD-tree on EPSG:27700 metres, and turn the straight-line distance into walking minutes::

    walk_minutes = straight_line_metres * CIRCUITY_FACTOR / (walk_kph * 1000 / 60)

``CIRCUITY_FACTOR`` = 1.3 is the usual ratio of street-network to straight-line distance for
short urban walks (literature values 1.2-1.4); walking speed is ``Settings.walk_kph`` (4.8 km/h).
The 400 m and 800 m thresholds are the common planning rules of thumb for "a bus stop within
walking distance" (CIHT *Buses in Urban Developments*, 2018: 400 m; 800 m for high-frequency
routes).  A stop says nothing about how often buses call -- use :mod:`geo.travel.transit` with a GTFS
feed for that.

Coverage: the open-data bundle holds NaPTAN for 8 areas only (West and North Northamptonshire,
Leicestershire, Leicester, Rutland, Essex, Southend-on-Sea, Thurrock).  Every loaded file is used,
so border LSOAs may find their nearest stop in a neighbouring covered area; a stop just over the
border into an area *without* a file is missed, which can only overstate distances there.
Areas with a LAD outside the covered set raise :class:`~geo._errors.DataSourceError`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo._errors import DataSourceError, InputError
from geo.data.loaders import NAPTAN_AREAS, load_naptan

if TYPE_CHECKING:
    from geo.config import Settings
    from geo.data.areas import Area

logger = logging.getLogger(__name__)

#: NaPTAN stop types counted as bus stops: BCT on-street bus/coach/tram stop, BCS bus/coach
#: station bay, BCQ variable bay, BST bus/coach station access area.
BUS_STOP_TYPES: tuple[str, ...] = ("BCT", "BCS", "BCQ", "BST")
#: Street-network distance / straight-line distance assumed for short walks.
CIRCUITY_FACTOR = 1.3
#: Distance thresholds (metres) reported as "no bus stop within ...".
THRESHOLDS_METRES: tuple[float, ...] = (400.0, 800.0)


@dataclass(frozen=True)
class StopAccess:
    """Per-LSOA nearest-stop distances for an area, plus the assumptions used."""

    area_name: str
    lsoas: pd.DataFrame  # index lsoa21cd; see compute_stop_access
    n_stops: int
    thresholds_metres: tuple[float, ...]
    circuity_factor: float
    walk_kph: float
    naptan_files: tuple[str, ...]

    def summary(self) -> dict[str, Any]:
        """Adult-weighted shares with no bus stop within each threshold (:func:`summarise_stop_access`)."""
        return summarise_stop_access(self)


def load_bus_stops(settings: Settings, *, naptan_areas: tuple[str, ...] = NAPTAN_AREAS,
                   stop_types: tuple[str, ...] = BUS_STOP_TYPES) -> pd.DataFrame:
    """Active NaPTAN bus stops from every available per-area file (EPSG:27700 ``easting``/``northing``)."""
    stops = load_naptan(settings, areas=naptan_areas, missing_ok=True)
    if stops.empty:
        msg = (f"no NaPTAN stop files found under {settings.data_dir / 'sites'} "
               "(expected naptan_stops_<area>.csv); run `geo data fetch` or point --data-dir at the bundle")
        raise DataSourceError(msg)
    keep = stops["stop_type"].astype(str).isin(stop_types)
    if "status" in stops.columns:
        keep &= stops["status"].astype(str).str.lower().isin({"active", "act"})
    keep &= stops["easting"].notna() & stops["northing"].notna()
    out = stops.loc[keep].reset_index(drop=True)
    logger.info("NaPTAN: %d active bus stops of %d stops loaded", len(out), len(stops))
    return out


def covered_lad_codes(stops: pd.DataFrame) -> set[str]:
    """LAD 2024 codes that have a NaPTAN file in the bundle (taken from the stops themselves)."""
    return set(stops["lad24cd"].dropna().astype(str))


def nearest_stop_metres(origins_xy: np.ndarray, stops_xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Straight-line metres from each origin to its nearest stop and that stop's row (KD-tree).

    Both arrays are ``(n, 2)`` EPSG:27700 metres.  With no stops, distances are ``inf`` and
    indices -1.
    """
    from scipy.spatial import cKDTree

    origins = np.asarray(origins_xy, dtype=float).reshape(-1, 2)
    pts = np.asarray(stops_xy, dtype=float).reshape(-1, 2)
    if len(pts) == 0:
        return np.full(len(origins), np.inf), np.full(len(origins), -1, dtype=np.int64)
    dist, idx = cKDTree(pts).query(origins, k=1)
    return np.asarray(dist, dtype=float), np.asarray(idx, dtype=np.int64)


def walk_minutes_from_metres(straight_line_metres: np.ndarray, *, walk_kph: float,
                             circuity_factor: float = CIRCUITY_FACTOR) -> np.ndarray:
    """Estimated walking minutes for straight-line metres (× circuity ÷ walking speed)."""
    if walk_kph <= 0 or circuity_factor < 1:
        msg = f"walk_kph must be > 0 and circuity_factor >= 1 (got {walk_kph}, {circuity_factor})"
        raise InputError(msg)
    return np.asarray(straight_line_metres, dtype=float) * circuity_factor / (walk_kph * 1000.0 / 60.0)


def compute_stop_access(area: Area, *, settings: Settings,
                        thresholds_metres: tuple[float, ...] = THRESHOLDS_METRES,
                        circuity_factor: float = CIRCUITY_FACTOR,
                        stop_types: tuple[str, ...] = BUS_STOP_TYPES,
                        stops: pd.DataFrame | None = None) -> StopAccess:
    """Nearest active bus stop for every core LSOA of ``area``.

    Returns a :class:`StopAccess` whose ``lsoas`` frame (index ``lsoa21cd``) has ``lsoa21nm``,
    ``lad24nm``, ``adults``, ``imd_decile``, ``urban_rural``, ``nearest_stop_atco``,
    ``nearest_stop_name``, ``stop_distance_metres`` (straight line), ``stop_walk_minutes``
    (estimate) and one boolean ``no_stop_within_<m>m`` column per threshold.

    Raises
    ------
    DataSourceError
        When a LAD of the area has no NaPTAN file in the bundle.
    """
    if stops is None:
        stops = load_bus_stops(settings, stop_types=stop_types)
    covered = covered_lad_codes(stops)
    lsoas = area.lsoas
    missing = sorted(set(lsoas["lad24cd"].astype(str)) - covered)
    if missing:
        names = sorted(set(lsoas.loc[lsoas["lad24cd"].astype(str).isin(missing), "lad24nm"].astype(str)))
        shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
        codes = ", ".join(missing[:6]) + (", ..." if len(missing) > 6 else "")
        msg = (f"no NaPTAN bus-stop file covers {shown} ({codes}); the bundle has "
               f"sites/naptan_stops_<area>.csv only for {', '.join(NAPTAN_AREAS)}. Download the NaPTAN "
               "CSV for the area from https://beta-naptan.dft.gov.uk/ into the bundle, or choose a covered area")
        raise DataSourceError(msg)
    origins = lsoas[["easting", "northing"]].to_numpy(dtype=float)
    stops_xy = stops[["easting", "northing"]].to_numpy(dtype=float)
    dist, idx = nearest_stop_metres(origins, stops_xy)
    frame = pd.DataFrame({
        "lsoa21nm": lsoas["lsoa21nm"].astype(str),
        "lad24nm": lsoas["lad24nm"].astype(str),
        "adults": lsoas["adults"].astype(float),
        "imd_decile": lsoas["imd_decile"],
        "urban_rural": lsoas["urban_rural"].astype(str),
        "nearest_stop_atco": stops["atco_code"].astype(str).to_numpy()[idx],
        "nearest_stop_name": (stops["locality_name"].astype(str) + ", "
                              + stops["common_name"].astype(str)).to_numpy()[idx],
        "stop_distance_metres": np.round(dist, 1),
        "stop_walk_minutes": np.round(walk_minutes_from_metres(dist, walk_kph=settings.walk_kph,
                                                               circuity_factor=circuity_factor), 2),
    }, index=lsoas.index)
    for m in thresholds_metres:
        frame[f"no_stop_within_{m:g}m"] = frame["stop_distance_metres"] > m
    logger.info("stop access for %s: %d LSOAs, %d bus stops, median %.0f m", area.name, len(frame),
                len(stops), float(np.median(dist)) if len(dist) else float("nan"))
    return StopAccess(area_name=area.name, lsoas=frame, n_stops=len(stops),
                      thresholds_metres=tuple(thresholds_metres), circuity_factor=circuity_factor,
                      walk_kph=settings.walk_kph, naptan_files=NAPTAN_AREAS)


def _shares(df: pd.DataFrame, thresholds: tuple[float, ...]) -> dict[str, float]:
    adults = df["adults"].to_numpy(dtype=float)
    total = adults.sum()
    out: dict[str, float] = {"lsoas": float(len(df)), "adults": float(total)}
    for m in thresholds:
        flag = df[f"no_stop_within_{m:g}m"].to_numpy(dtype=bool)
        out[f"share_adults_no_stop_within_{m:g}m"] = float(adults[flag].sum() / total) if total else np.nan
    w = adults / total if total else np.full(len(df), np.nan)
    out["mean_stop_distance_metres"] = float(np.nansum(w * df["stop_distance_metres"].to_numpy(dtype=float)))
    out["mean_stop_walk_minutes"] = float(np.nansum(w * df["stop_walk_minutes"].to_numpy(dtype=float)))
    return out


def summarise_stop_access(access: StopAccess) -> dict[str, Any]:
    """Adult-weighted shares with no bus stop within each threshold: overall, by IMD decile, urban/rural.

    Shares are fractions (0-1) of adults (18+, estimated) in the area's core LSOAs; mean
    distances and minutes are adult-weighted.
    """
    df = access.lsoas
    th = access.thresholds_metres
    overall = _shares(df, th)
    by_decile = pd.DataFrame({int(d): _shares(g, th) for d, g in df.groupby("imd_decile")}).T
    by_decile.index.name = "imd_decile"
    by_ur = pd.DataFrame({str(k): _shares(g, th) for k, g in df.groupby("urban_rural")}).T
    by_ur.index.name = "urban_rural"
    for t in (by_decile, by_ur):
        t["lsoas"] = t["lsoas"].astype(int)
        t["adults"] = t["adults"].round().astype(int)
    return {
        "area": access.area_name,
        "method": (f"straight line from LSOA population-weighted centroid to nearest active NaPTAN bus stop; "
                   f"walk minutes = metres × {access.circuity_factor:g} circuity ÷ {access.walk_kph:g} km/h"),
        "bus_stops_used": access.n_stops,
        "lsoas": int(overall["lsoas"]),
        "adults": int(round(overall["adults"])),
        **{k: v for k, v in overall.items() if k not in {"lsoas", "adults"}},
        "by_imd_decile": by_decile,
        "by_urban_rural": by_ur,
    }


__all__ = ["BUS_STOP_TYPES", "CIRCUITY_FACTOR", "THRESHOLDS_METRES", "StopAccess", "compute_stop_access",
           "covered_lad_codes", "load_bus_stops", "nearest_stop_metres", "summarise_stop_access",
           "walk_minutes_from_metres"]
