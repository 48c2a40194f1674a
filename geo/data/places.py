"""Place names to orient a map by: towns and villages (NaPTAN localities) or wards, each placed
at the population-weighted centre of the LSOAs it names, with a population so maps can show
bigger places first.

Two sources, both open and offline:

* **NaPTAN localities** (``sites/naptan_stops_<area>.csv``, the eight bundled areas): every LSOA
  of a district with bundled stops takes the locality of its nearest bus stop (within
  :data:`NAPTAN_MAX_METRES` of its population-weighted centroid).  Suburbs roll up to their parent town (NaPTAN
  ``parent_locality_name``: Kingsthorpe -> Northampton), giving one *town* label per settlement;
  the suburbs stay as *locality* labels for closer zoom.
* **Wards** (2024, ``lookup_lsoa21_geographies.csv``): everywhere else, one label per ward.

A place's position is the population-weighted mean of its LSOAs' population-weighted
centroids, its ``population`` the Census 2021 residents of those LSOAs.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo.data.loaders import NAPTAN_AREAS, load_naptan

if TYPE_CHECKING:
    from geo.config import Settings

logger = logging.getLogger(__name__)

#: An LSOA whose nearest bus stop is further than this takes its ward name instead.
NAPTAN_MAX_METRES = 3_000.0
#: Smallest map zoom (web map levels) at which a place of at least this population is labelled.
ZOOM_BY_POPULATION = ((50_000, 8), (15_000, 9), (5_000, 10), (2_000, 11), (0, 12))
LOCALITY_MIN_ZOOM = 13
PLACE_COLUMNS = ("name", "kind", "source", "population", "easting", "northing", "rank", "min_zoom")


def place_labels(lsoas: pd.DataFrame, *, settings: Settings | None = None,
                 stops: pd.DataFrame | None = None, localities: bool = True) -> pd.DataFrame:
    """Labelled places for the LSOAs of a map, biggest first.

    Parameters
    ----------
    lsoas : LSOA rows (``easting``, ``northing``, ``population``, ``ward``/``wd24nm``), e.g.
        ``area.all_lsoas``.
    settings : where the NaPTAN files are (all bundled areas are read; missing ones skipped).
    stops : NaPTAN stops to use instead of reading the bundle (``easting``, ``northing``,
        ``locality_name``, ``parent_locality_name``); an empty frame means wards only.
    localities : also return suburb (*locality*) labels under the town labels.

    Returns
    -------
    DataFrame with ``name``, ``kind`` (``town``, ``locality`` or ``ward``), ``source``
    (``NaPTAN`` or ``ward 2024``), ``population``, ``easting``/``northing`` (EPSG:27700),
    ``rank`` (1 = most populous town/ward) and ``min_zoom`` (web-map zoom from which to show it).
    """
    if stops is None:
        stops = load_naptan(settings, areas=NAPTAN_AREAS, missing_ok=True)
    xy = lsoas[["easting", "northing"]].to_numpy(dtype=float)
    pop = lsoas["population"].to_numpy(dtype=float)
    ward_col = "ward" if "ward" in lsoas.columns else "wd24nm"
    ward = lsoas[ward_col].astype(str).to_numpy(dtype=object)
    town = np.full(len(lsoas), None, dtype=object)
    locality = np.full(len(lsoas), None, dtype=object)
    if len(stops) and len(lsoas):
        from scipy.spatial import cKDTree

        sxy = stops[["easting", "northing"]].to_numpy(dtype=float)
        dist, idx = cKDTree(sxy).query(xy, k=1)
        near = dist <= NAPTAN_MAX_METRES
        if "lad24cd" in stops.columns and "lad24cd" in lsoas.columns:
            # stops are bundled per district: an LSOA outside those districts (the buffer ring
            # across a county border) would otherwise take a far stop's village name
            near &= lsoas["lad24cd"].isin(set(stops["lad24cd"].astype(str))).to_numpy()
        loc = stops["locality_name"].astype(str).to_numpy(dtype=object)
        parent = stops.get("parent_locality_name", pd.Series(None, index=stops.index))
        parent = parent.where(parent.notna() & (parent.astype(str).str.strip() != ""), stops["locality_name"])
        par = parent.astype(str).to_numpy(dtype=object)
        town[near] = par[idx[near]]
        locality[near] = loc[idx[near]]
    from_naptan = town != None  # noqa: E711 - elementwise on an object array
    frames = [
        _group(xy[from_naptan], pop[from_naptan], town[from_naptan], kind="town", source="NaPTAN"),
        _group(xy[~from_naptan], pop[~from_naptan], ward[~from_naptan], kind="ward", source="ward 2024"),
    ]
    top = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) \
        else _empty()
    top = top.sort_values("population", ascending=False, kind="stable").reset_index(drop=True)
    top["rank"] = np.arange(1, len(top) + 1)
    top["min_zoom"] = _zoom_for(top["population"].to_numpy(dtype=float))
    out = [top]
    if localities and from_naptan.any():
        sub = _group(xy[from_naptan], pop[from_naptan], locality[from_naptan], kind="locality",
                     source="NaPTAN")
        sub = sub[~sub["name"].isin(set(top["name"]))].sort_values("population", ascending=False)
        sub["rank"] = np.arange(len(top) + 1, len(top) + len(sub) + 1)
        sub["min_zoom"] = LOCALITY_MIN_ZOOM
        out.append(sub)
    res = pd.concat(out, ignore_index=True)[list(PLACE_COLUMNS)]
    res["population"] = res["population"].round().astype("int64")
    res["rank"] = res["rank"].astype("int64")
    res["min_zoom"] = res["min_zoom"].astype("int64")
    logger.info("place labels: %d towns/wards, %d localities", len(top), len(res) - len(top))
    return res


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object if c in {"name", "kind", "source"} else float)
                         for c in PLACE_COLUMNS})


def _group(xy: np.ndarray, pop: np.ndarray, names: np.ndarray, *, kind: str, source: str) -> pd.DataFrame:
    """Population-weighted centre and total population of each name (vectorised groupby)."""
    if not len(names):
        return _empty()
    w = np.where(pop > 0, pop, 1e-6)
    df = pd.DataFrame({"name": names.astype(str), "w": w, "pop": pop,
                       "wx": xy[:, 0] * w, "wy": xy[:, 1] * w})
    g = df.groupby("name", sort=False)[["w", "pop", "wx", "wy"]].sum()
    return pd.DataFrame({"name": g.index.astype(str), "kind": kind, "source": source,
                         "population": g["pop"].to_numpy(), "easting": (g["wx"] / g["w"]).to_numpy(),
                         "northing": (g["wy"] / g["w"]).to_numpy()})


def _zoom_for(population: np.ndarray) -> np.ndarray:
    out = np.full(len(population), ZOOM_BY_POPULATION[-1][1], dtype=np.int64)
    for floor, zoom in reversed(ZOOM_BY_POPULATION):
        out[population >= floor] = zoom
    return out


__all__ = ["NAPTAN_MAX_METRES", "PLACE_COLUMNS", "place_labels"]
