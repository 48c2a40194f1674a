"""Users' own site files (CSV with postcode or coordinates, GeoJSON/GeoPackage points).

Rows are validated, located and standardised to :data:`geo.data.site_schema.SITE_COLUMNS`;
rows that cannot be placed are listed row by row (``attrs["unlocated"]``) or raised, never
silently dropped.  Optional ``services`` (``;``-separated, :mod:`geo.data.services`) and
``ods_code`` columns are kept, so an imported commissioner's list round-trips through a file.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo._errors import InputError, SchemaError
from geo.config import Settings
from geo.crs import BNG, bng_from_lonlat, in_england_bng
from geo.data.geocode import geocode_postcodes
from geo.data.site_schema import RANK_USER, to_site_gdf
from geo.data.site_types import OTHER, SITE_TYPES

if TYPE_CHECKING:
    import geopandas as gpd

logger = logging.getLogger(__name__)

_NAME_COLS = ("name", "site_name")
_LAT = ("lat", "latitude")
_LON = ("lon", "lng", "long", "longitude")


def read_sites_file(src: str | Path | bytes, settings: Settings | None = None, *, source: str | None = None,
                    default_type: str | None = None, on_unlocated: str = "error") -> gpd.GeoDataFrame:
    """Read a user's sites file (CSV with postcode or coordinates, or GeoJSON/GeoPackage points).

    CSV columns: ``name`` (required); one of ``postcode``, ``easting``+``northing`` (EPSG:27700)
    or ``lat``+``lon`` (EPSG:4326); optional ``site_type``, ``site_id``, ``provider``,
    ``address``, ``opening_hours`` (OSM syntax), ``opening_hours_text``, ``capacity``.
    ``on_unlocated='error'`` raises listing every row that cannot be placed (unknown postcode,
    outside England, swapped lat/lon); ``'report'`` lists them in :func:`unlocated_sites`.
    """
    from geo.data.uploads import read_user_csv, read_user_vector

    s = settings if settings is not None else Settings.from_env()
    name = source or (str(src) if not isinstance(src, bytes | bytearray) else "upload")
    is_vector = name.lower().endswith((".geojson", ".json", ".gpkg", ".zip"))
    if is_vector:
        gdf = read_user_vector(src, source=name, max_bytes=s.max_upload_bytes)
        df = _vector_to_table(gdf, source=name)
    else:
        df = read_user_csv(src, source=name, max_bytes=s.max_upload_bytes)
    return sites_from_table(df, s, source=name, default_type=default_type, on_unlocated=on_unlocated)


def _vector_to_table(gdf: gpd.GeoDataFrame, *, source: str) -> pd.DataFrame:
    if gdf.empty:
        msg = f"{source}: the file holds no features; add one point per site"
        raise InputError(msg)
    if gdf.crs is None:
        msg = f"{source}: no CRS; save the points with EPSG:4326 or EPSG:27700"
        raise InputError(msg)
    types = set(gdf.geometry.dropna().geom_type)
    if not types <= {"Point"}:
        msg = (f"{source}: sites must be points, found {', '.join(sorted(types)) or 'no geometry'}; "
               "save one point per site (or use a CSV with postcodes)")
        raise InputError(msg)
    bng = gdf.to_crs(BNG)
    df = pd.DataFrame(bng.drop(columns=bng.geometry.name)).astype(str).replace({"None": np.nan, "nan": np.nan})
    df.columns = [str(c).strip().lower().replace(" ", "_") for c in df.columns]
    df["easting"] = bng.geometry.x.to_numpy()
    df["northing"] = bng.geometry.y.to_numpy()
    return df


#: Postcode areas wholly outside England (Scotland, Wales, Northern Ireland, Crown Dependencies).
_NON_ENGLISH_AREAS = {
    **dict.fromkeys(("AB", "DD", "DG", "EH", "FK", "G", "HS", "IV", "KA", "KW", "KY", "ML", "PA", "PH", "ZE"),
                    "Scotland"),
    **dict.fromkeys(("CF", "SA"), "Wales"), "BT": "Northern Ireland", "IM": "the Isle of Man",
    "JE": "Jersey", "GY": "Guernsey",
}


def _outside_england_postcode(pc: object) -> str | None:
    """Problem text for a postcode whose area is wholly outside England (None otherwise)."""
    import re

    m = re.match(r"^([A-Z]{1,2})[0-9]", str(pc or ""))
    where = _NON_ENGLISH_AREAS.get(m.group(1)) if m else None
    if where is None:
        return None
    return f"postcode {pc!r} is in {where}, outside England: this tool covers English services only"


#: A located site further than this from every English LSOA centroid is outside England (every live
#: English postcode lies within 24 km of one; Dublin, Belfast and the Isle of Man are 55+ km away).
MAX_METRES_FROM_ENGLISH_LSOA = 30_000.0


def _far_from_england(east: np.ndarray, north: np.ndarray, settings: Settings) -> np.ndarray:
    """Mask of coordinates inside the England bounding box but far from every English LSOA."""
    from scipy.spatial import cKDTree

    from geo._errors import DataSourceError
    from geo.data.loaders import load_centroids

    given = ~np.isnan(east)
    if not given.any():
        return np.zeros(len(east), dtype=bool)
    try:
        cen = load_centroids(settings)
    except DataSourceError:  # bundle without centroids: keep the bounding-box check only
        logger.warning("LSOA centroids unavailable; sites are checked against England's bounding box only")
        return np.zeros(len(east), dtype=bool)
    tree = cKDTree(np.c_[cen["easting"].to_numpy(float), cen["northing"].to_numpy(float)])
    dist = np.full(len(east), 0.0)
    dist[given] = tree.query(np.c_[east[given], north[given]])[0]
    return given & (dist > MAX_METRES_FROM_ENGLISH_LSOA)


def sites_from_table(df: pd.DataFrame, settings: Settings | None = None, *, source: str = "sites",
                     default_type: str | None = None, on_unlocated: str = "error") -> gpd.GeoDataFrame:
    """Validate, locate and standardise a table of user sites (see :func:`read_sites_file`)."""
    s = settings if settings is not None else Settings.from_env()
    df = df.copy()
    df.columns = [str(c).strip().lower().replace(" ", "_") for c in df.columns]
    if df.columns.duplicated().any():
        dup = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
        msg = f"{source}: duplicate column name(s) {', '.join(dup)}; rename them so each header is unique"
        raise SchemaError(msg)
    name_col = next((c for c in _NAME_COLS if c in df.columns), None)
    if name_col is None:
        msg = f"{source}: missing column 'name' (found: {', '.join(map(str, df.columns[:12]))}). Add a name for each site"
        raise SchemaError(msg)
    lat = next((c for c in _LAT if c in df.columns), None)
    lon = next((c for c in _LON if c in df.columns), None)
    has_bng = {"easting", "northing"} <= set(df.columns)
    if "postcode" not in df.columns and not has_bng and not (lat and lon):
        msg = (f"{source}: no location columns; give 'postcode', or 'easting' and 'northing' (EPSG:27700), "
               "or 'lat' and 'lon' (EPSG:4326)")
        raise SchemaError(msg)
    n = len(df)
    row_no = np.arange(n) + 2  # 1-based file rows after the header
    out = pd.DataFrame({"name": df[name_col].fillna("").astype(str).str.strip()})
    blank_name = out["name"] == ""
    if blank_name.any():
        msg = f"{source}: blank 'name' at rows {row_no[blank_name.to_numpy()][:10].tolist()}; give every site a name or delete the empty rows"
        raise SchemaError(msg)
    stype = df["site_type"].fillna("").astype(str).str.strip().str.lower() if "site_type" in df else pd.Series("", index=df.index)
    stype = stype.where(stype != "", default_type or OTHER)
    bad_type = ~stype.isin(list(SITE_TYPES))
    if bad_type.any():
        i = np.flatnonzero(bad_type.to_numpy())[:5]
        msg = (f"{source}: unknown site_type {stype.iloc[i].tolist()} at rows {row_no[i].tolist()}; "
               f"use one of {', '.join(SITE_TYPES)}")
        raise SchemaError(msg)
    out["site_type"] = stype.to_numpy()
    east = np.full(n, np.nan)
    north = np.full(n, np.nan)
    precision = np.full(n, "", dtype=object)
    problem = np.full(n, "", dtype=object)
    for cols, label in (((("easting", "northing") if has_bng else ()), "easting/northing"),
                        (((lat, lon) if lat and lon else ()), "lat/lon")):
        for c in cols:
            raw = df[c].fillna("").astype(str).str.strip()
            nan_num = pd.to_numeric(df[c], errors="coerce").isna().to_numpy()
            text = nan_num & (raw != "").to_numpy() & (problem == "")
            problem[text] = [f"{label} value {v!r} in column '{c}' is not a number" for v in raw[text]]
    if has_bng:
        e = pd.to_numeric(df["easting"], errors="coerce").to_numpy(dtype=float)
        nn = pd.to_numeric(df["northing"], errors="coerce").to_numpy(dtype=float)
        given = ~np.isnan(e) & ~np.isnan(nn)
        inside = in_england_bng(e, nn)
        looks_deg = given & (np.abs(e) < 200) & (np.abs(nn) < 200)
        problem[looks_deg] = "easting/northing look like degrees: use lat/lon columns for EPSG:4326"
        ok = given & inside & ~looks_deg
        problem[given & ~inside & ~looks_deg] = "easting/northing outside England (EPSG:27700 metres expected)"
        east[ok], north[ok], precision[ok] = e[ok], nn[ok], "coordinates"
    if lat and lon:
        la = pd.to_numeric(df[lat], errors="coerce").to_numpy(dtype=float)
        lo = pd.to_numeric(df[lon], errors="coerce").to_numpy(dtype=float)
        todo = np.isnan(east) & ~np.isnan(la) & ~np.isnan(lo)
        e, nn = bng_from_lonlat(np.where(todo, lo, 0.0), np.where(todo, la, 0.0))
        inside = in_england_bng(e, nn) & (np.abs(la) <= 90)
        se, sn = bng_from_lonlat(np.where(todo, la, 0.0), np.where(todo, lo, 0.0))
        swapped = todo & ~inside & in_england_bng(se, sn)
        problem[swapped] = "lat and lon look swapped (latitude in England is 49.9-55.8, longitude -6.4 to 1.8)"
        metres = todo & ~inside & ~swapped & ((np.abs(la) > 1000) | (np.abs(lo) > 1000))
        problem[metres] = ("lat/lon look like metres (British National Grid or Web Mercator), not degrees: "
                           "put EPSG:27700 values in 'easting'/'northing' columns")
        problem[todo & ~inside & ~swapped & ~metres] = "lat/lon outside England"
        ok = todo & inside
        east[ok], north[ok], precision[ok] = e[ok], nn[ok], "coordinates"
    far = _far_from_england(east, north, s)
    if far.any():
        problem[far] = "coordinates lie outside England (over 30 km from any English LSOA): check the location"
        east[far], north[far], precision[far] = np.nan, np.nan, ""
    pcs = df["postcode"].fillna("").astype(str) if "postcode" in df.columns else pd.Series("", index=df.index)
    out["postcode"] = pcs.to_numpy()
    need = np.isnan(east) & (pcs.str.strip() != "").to_numpy()
    if need.any():
        g = geocode_postcodes(pcs[need], s)
        found = (g["status"] == "found").to_numpy()
        idx = np.flatnonzero(need)
        east[idx[found]] = g["easting"].to_numpy()[found]
        north[idx[found]] = g["northing"].to_numpy()[found]
        precision[idx[found]] = "postcode"
        for j, st, pc in zip(idx[~found], g["status"].to_numpy()[~found], g["postcode"].to_numpy()[~found], strict=True):
            problem[j] = (f"postcode {pc!r} is not a valid UK postcode" if st == "invalid"
                          else _outside_england_postcode(pc)
                          or f"postcode {pc!r} is not a live English postcode (Code-Point Open)")
        out.loc[need, "postcode"] = g["postcode"].fillna("").to_numpy()
    problem[np.isnan(east) & (problem == "")] = "no postcode or coordinates"
    bad = np.isnan(east)
    if bad.any() and on_unlocated == "error":
        lines = [f"row {row_no[i]} ({out['name'].iloc[i]}): {problem[i]}" for i in np.flatnonzero(bad)[:10]]
        more = f" ... and {int(bad.sum()) - 10} more" if bad.sum() > 10 else ""
        msg = (f"{source}: {int(bad.sum())} of {n} site(s) cannot be located:\n  " + "\n  ".join(lines) + more +
               "\nFix the postcodes/coordinates, or load with on_unlocated='report' to skip and list them")
        raise InputError(msg)
    ids = df["site_id"].fillna("").astype(str) if "site_id" in df.columns else pd.Series("", index=df.index)
    auto = "user:" + pd.Series(row_no, index=df.index).astype(str)
    out["site_id"] = ids.where(ids.str.strip() != "", auto).to_numpy()
    if out["site_id"].duplicated().any():
        rep_ = out["site_id"].duplicated(keep=False).to_numpy()
        dups = out.loc[out["site_id"].duplicated(), "site_id"].head(3).tolist()
        msg = (f"{source}: site_id must be unique; repeated {dups} at rows {row_no[rep_][:10].tolist()}; "
               "give each site its own site_id or leave it blank")
        raise SchemaError(msg)
    for c in ("provider", "address", "town", "opening_hours", "opening_hours_text", "services", "ods_code",
              "hours_source", "match", "commissioner"):
        out[c] = df[c].fillna("").astype(str).str.strip().to_numpy() if c in df.columns else ""
    out["capacity"] = _capacity(df, source=source, row_no=row_no)
    if "location_precision" in df.columns:  # a saved list keeps the precision of its source
        given = df["location_precision"].fillna("").astype(str).str.strip().to_numpy()
        keep = (precision == "coordinates") & np.isin(given, ["address", "postcode", "town"])
        precision[keep] = given[keep]
    out["location_precision"] = precision
    out["status"] = "current"
    given_src = df["source"].fillna("").astype(str) if "source" in df.columns else pd.Series("", index=df.index)
    out["source"] = given_src.where(given_src.str.strip() != "", f"user file {Path(source).name}").to_numpy()
    out["easting"], out["northing"] = east, north
    gdf = to_site_gdf(out, rank=RANK_USER, source=source)
    located = gdf[~bad].copy()
    rep = pd.DataFrame({"row": row_no[bad], "site_id": gdf.loc[bad, "site_id"].to_numpy(),
                        "name": gdf.loc[bad, "name"].to_numpy(), "problem": problem[bad]})
    located.attrs["unlocated"] = rep.assign(source=source).to_dict("records")
    return located


def _capacity(df: pd.DataFrame, *, source: str, row_no: np.ndarray) -> np.ndarray:
    """Capacity per row (NaN = not given); text, negative or infinite values are errors."""
    if "capacity" not in df.columns:
        return np.full(len(df), np.nan)
    raw = df["capacity"].fillna("").astype(str).str.strip()
    cap = pd.to_numeric(raw.where(raw != "", np.nan), errors="coerce").to_numpy(dtype=float)
    bad = ((raw != "").to_numpy() & np.isnan(cap)) | np.isinf(cap) | (cap < 0)
    if bad.any():
        msg = (f"{source}: capacity at rows {row_no[bad][:10].tolist()} is not a finite number of 0 or more; "
               "give places (e.g. 40) or leave it blank")
        raise SchemaError(msg)
    return cap
