"""Offline geocoding from the bundle: postcodes (Code-Point Open) and town centres (NaPTAN
localities, or ODS post towns).  Vectorised; every input row gets an explicit status."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from geo.config import Settings
from geo.data.loaders import (
    load_gp_practices,
    load_naptan,
    load_pharmacies,
    load_postcodes,
    normalise_postcodes,
)

logger = logging.getLogger(__name__)

#: UK postcode format (after normalisation to upper case with one space).
POSTCODE_PATTERN = r"^(GIR 0AA|[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2})$"


def geocode_postcodes(postcodes: Sequence[str] | pd.Series, settings: Settings | None = None) -> pd.DataFrame:
    """Locate postcodes.

    Returns one row per input (same order, RangeIndex) with ``postcode`` (normalised),
    ``easting``, ``northing`` (EPSG:27700), ``lsoa21cd``, ``lad24cd`` and ``status``:
    ``found``, ``missing`` (blank), ``invalid`` (not a postcode format) or ``unknown`` (a valid
    format that is not a live English postcode, e.g. terminated, Welsh or Scottish).
    """
    raw = pd.Series(list(postcodes), dtype="string")
    norm = normalise_postcodes(raw.fillna(""))
    blank = raw.isna() | (raw.str.strip() == "")
    valid = norm.str.match(POSTCODE_PATTERN).fillna(False) & ~blank
    table = load_postcodes(settings)
    hit = table.reindex(norm.where(valid, "__none__").to_numpy())
    out = pd.DataFrame({
        "postcode": norm.where(~blank, pd.NA).to_numpy(),
        "easting": hit["easting"].to_numpy(dtype=float),
        "northing": hit["northing"].to_numpy(dtype=float),
        "lsoa21cd": hit["lsoa21cd"].to_numpy(),
        "lad24cd": hit["lad24cd"].to_numpy(),
    })
    found = ~np.isnan(out["easting"].to_numpy())
    out["status"] = np.select([blank.to_numpy(), ~valid.to_numpy(), found], ["missing", "invalid", "found"],
                              default="unknown")
    return out


def town_centres(towns: Sequence[str], settings: Settings | None = None) -> pd.DataFrame:
    """Approximate town centres (EPSG:27700) from bundle data.

    Method, in order: (1) the median position of the active NaPTAN stops whose
    ``locality_name`` is the town (needs >= 3 stops; NaPTAN covers the bundle's target areas);
    (2) the median position of NHS pharmacies and GP practices whose post town (last address
    line) is the town (England-wide).  Returns ``town``, ``easting``, ``northing``, ``method``
    and ``n_points``; unresolved towns have NaN and method ``not_found``.
    """
    s = settings if settings is not None else Settings.from_env()
    naptan, ods = _town_tables(str(s.data_dir), s)
    keys = _town_key(pd.Series([str(t) for t in towns]))
    a = naptan.reindex(keys.to_numpy())
    b = ods.reindex(keys.to_numpy())
    use_a = (a["n_points"].fillna(0) >= 3).to_numpy()
    use_b = ~use_a & (b["n_points"].fillna(0) >= 1).to_numpy()
    out = pd.DataFrame({"town": list(towns)})
    out["easting"] = np.where(use_a, a["easting"], np.where(use_b, b["easting"], np.nan))
    out["northing"] = np.where(use_a, a["northing"], np.where(use_b, b["northing"], np.nan))
    out["method"] = np.select([use_a, use_b], ["naptan_locality_median", "ods_post_town_median"], "not_found")
    out["n_points"] = np.where(use_a, a["n_points"], np.where(use_b, b["n_points"], 0)).astype(int)
    return out


def _town_key(names: pd.Series) -> pd.Series:
    """Upper case, hyphens as spaces, single spaces ('Clacton-on-Sea' == 'CLACTON ON SEA')."""
    return names.str.upper().str.replace("-", " ", regex=False).str.replace(r"\s+", " ", regex=True).str.strip()


@lru_cache(maxsize=2)
def _town_tables(_key: str, s: Settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Median position and number of points per town key (NaPTAN localities; ODS post towns)."""
    out = []
    for raw in _town_point_table(_key, s):
        g = raw.groupby("town")
        out.append(pd.DataFrame({"easting": g["easting"].median(), "northing": g["northing"].median(),
                                 "n_points": g.size()}))
    return out[0], out[1]


# --------------------------------------------------------------------------- where a site could be
#: A town's points further than this from its median are not part of it (stops named after the
#: town but placed in a village miles away).
TOWN_MAX_METRES = 5_000.0
#: Postcode spread (half the median distance to the nearest live postcodes) is clipped to this range.
POSTCODE_SPREAD_METRES = (25.0, 1_000.0)


@lru_cache(maxsize=2)
def _town_point_table(_key: str, s: Settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Raw points per town key: active NaPTAN stops by locality, ODS pharmacies/GPs by post town."""
    stops = load_naptan(s, missing_ok=True)
    stops = stops[stops["status"].astype(str).str.lower() == "active"] if "status" in stops else stops
    naptan = pd.DataFrame({"town": _town_key(stops["locality_name"].astype(str)).to_numpy(),
                           "easting": stops["easting"].to_numpy(float), "northing": stops["northing"].to_numpy(float)})
    frames = []
    for df in (load_pharmacies(s, active_only=False), load_gp_practices(s, active_only=False)):
        addr = df[[c for c in ("address_1", "address_2", "address_3", "address_4") if c in df.columns]]
        arr = addr.to_numpy(dtype=object)
        filled = pd.notna(arr) & (arr != "")
        pos = np.where(filled.any(axis=1), arr.shape[1] - 1 - np.argmax(filled[:, ::-1], axis=1), 0)
        last = _town_key(pd.Series(arr[np.arange(len(arr)), pos], dtype="string").fillna(""))
        frames.append(pd.DataFrame({"town": last.to_numpy(), "easting": df["easting"].to_numpy(float),
                                    "northing": df["northing"].to_numpy(float)}))
    ods = pd.concat(frames, ignore_index=True).dropna(subset=["easting"])
    return naptan.dropna(subset=["easting"]), ods


def town_points(town: str, settings: Settings | None = None) -> np.ndarray:
    """``(n, 2)`` points spanning a town (EPSG:27700): where a site known only by its town could be.

    The same sources as :func:`town_centres`, in the same order: the town's active NaPTAN stops
    (its streets with a bus service; needs >= 3), else its pharmacies and GP practices (post
    town).  Points further from the town's median than ``max(800 m, 2.5 x`` the median distance)
    or :data:`TOWN_MAX_METRES` are left out.  Empty when the town is unknown.
    """
    s = settings if settings is not None else Settings.from_env()
    naptan, ods = _town_point_table(str(s.data_dir), s)
    key = str(_town_key(pd.Series([str(town)])).iloc[0])
    pts = naptan.loc[naptan["town"].to_numpy() == key, ["easting", "northing"]].to_numpy(float)
    if len(pts) < 3:
        pts = ods.loc[ods["town"].to_numpy() == key, ["easting", "northing"]].to_numpy(float)
    if not len(pts):
        return np.zeros((0, 2))
    centre = np.median(pts, axis=0)
    d = np.hypot(*(pts - centre).T)
    keep = d <= min(TOWN_MAX_METRES, max(800.0, 2.5 * float(np.median(d))))
    return np.unique(pts[keep], axis=0)


def postcode_spread_metres(xy: np.ndarray, settings: Settings | None = None) -> np.ndarray:
    """How far a point placed at a postcode centroid may be from the true address (metres).

    Half the median distance from the point to its four nearest *other* live postcode
    centroids: about the radius of the postcode's own patch (small in a town, large in open
    country), clipped to :data:`POSTCODE_SPREAD_METRES`.
    """
    from scipy.spatial import cKDTree

    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    lo, hi = POSTCODE_SPREAD_METRES
    if not len(xy):
        return np.zeros(0)
    table = load_postcodes(settings)
    e, n = table["easting"].to_numpy(float), table["northing"].to_numpy(float)
    pad = 5_000.0
    near = ((e >= xy[:, 0].min() - pad) & (e <= xy[:, 0].max() + pad)
            & (n >= xy[:, 1].min() - pad) & (n <= xy[:, 1].max() + pad))
    if near.sum() < 6:
        return np.full(len(xy), hi)
    dist, _ = cKDTree(np.column_stack([e[near], n[near]])).query(xy, k=6)
    dist = np.where(dist < 1.0, np.nan, dist)  # the point's own postcode
    other = np.sort(np.where(np.isnan(dist), np.inf, dist), axis=1)[:, :4]
    return np.clip(0.5 * np.median(other, axis=1), lo, hi)


#: A NaPTAN stop further than this does not name a point's town or village (the ward does).
PLACE_STOP_METRES = 1_500.0


def describe_locations(xy: np.ndarray, settings: Settings | None = None) -> pd.DataFrame:
    """Nearest live postcode and the town or village of each point, for naming places to people.

    Returns one row per point: ``postcode`` (nearest Code-Point Open centroid),
    ``postcode_metres`` (distance to it), ``place`` (the locality of the nearest active NaPTAN
    stop within :data:`PLACE_STOP_METRES`, else the 2024 ward of the postcode's LSOA) and
    ``place_source`` (``NaPTAN locality`` or ``ward``).
    """
    from scipy.spatial import cKDTree

    from geo.data.tables import load_lsoa_table

    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    out = pd.DataFrame({"postcode": pd.Series([""] * len(xy), dtype=object),
                        "postcode_metres": np.full(len(xy), np.nan),
                        "place": pd.Series([""] * len(xy), dtype=object),
                        "place_source": pd.Series([""] * len(xy), dtype=object)})
    if not len(xy):
        return out
    table = load_postcodes(settings)
    e, n = table["easting"].to_numpy(float), table["northing"].to_numpy(float)
    pad = 10_000.0
    near = np.flatnonzero((e >= xy[:, 0].min() - pad) & (e <= xy[:, 0].max() + pad)
                          & (n >= xy[:, 1].min() - pad) & (n <= xy[:, 1].max() + pad))
    lsoa = np.full(len(xy), "", dtype=object)
    if len(near):
        d, i = cKDTree(np.column_stack([e[near], n[near]])).query(xy, k=1)
        out["postcode"] = table.index.to_numpy()[near[i]]
        out["postcode_metres"] = np.round(d)
        lsoa = table["lsoa21cd"].to_numpy(dtype=object)[near[i]]
    wards = load_lsoa_table(settings)["ward"].reindex(pd.Index(lsoa.astype(str))).fillna("").to_numpy(dtype=object)
    out["place"] = wards
    out["place_source"] = np.where(wards != "", "ward", "")
    stops = load_naptan(settings, missing_ok=True)
    if len(stops):
        if "status" in stops:
            stops = stops[stops["status"].astype(str).str.lower() == "active"]
        d, i = cKDTree(stops[["easting", "northing"]].to_numpy(float)).query(xy, k=1)
        ok = d <= PLACE_STOP_METRES
        names = stops["locality_name"].astype(str).str.strip().to_numpy(dtype=object)[i]
        ok &= names != ""
        out.loc[ok, "place"] = names[ok]
        out.loc[ok, "place_source"] = "NaPTAN locality"
    return out
