"""Service sites: the seed registry (``data/sites/seed_sites.csv``), every NHS community
pharmacy, GP practices (candidates) and users' own CSV/GeoJSON files, in one schema.

Every site carries a ``location_precision`` (``address``, ``postcode``, ``town`` or
``coordinates``) that maps and reports show: the seeds name most hubs only by town, so those
sit at the town centre until a user gives the address.  Rows that cannot be located are
reported row by row (``gdf.attrs["unlocated"]``) or raised, never silently dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo._errors import InputError, SchemaError
from geo.config import Settings
from geo.crs import BNG, bng_from_lonlat, in_england_bng
from geo.data.geocode import geocode_postcodes, town_centres
from geo.data.loaders import load_gp_practices, load_pharmacies

if TYPE_CHECKING:
    import geopandas as gpd

    from geo.data.areas import Area

logger = logging.getLogger(__name__)

SITE_TYPES = ("hub", "satellite", "outreach", "pharmacy", "nsp", "supervised_consumption",
              "young_people", "hospital", "recovery", "other")
#: Types that are treatment or harm-reduction service points (the default for analyses).
SERVICE_TYPES = ("hub", "satellite", "outreach", "nsp", "supervised_consumption")
PRECISIONS = ("address", "postcode", "town", "coordinates")
SITE_COLUMNS = ("site_id", "name", "site_type", "provider", "address", "town", "postcode",
                "opening_hours", "opening_hours_text", "location_precision", "capacity", "status",
                "source", "easting", "northing")
SEED_FILE = "seed_sites.csv"


def _empty_sites() -> gpd.GeoDataFrame:
    import geopandas as gpd

    df = pd.DataFrame({c: pd.Series(dtype="float64" if c in {"easting", "northing", "capacity"} else "object")
                       for c in SITE_COLUMNS})
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy([], []), crs=BNG)


def _to_gdf(df: pd.DataFrame) -> gpd.GeoDataFrame:
    import geopandas as gpd

    for c in SITE_COLUMNS:
        if c not in df.columns:
            df[c] = np.nan if c in {"easting", "northing", "capacity"} else ""
    df = df[[*SITE_COLUMNS, *[c for c in df.columns if c not in SITE_COLUMNS]]].reset_index(drop=True)
    for c in ("opening_hours", "opening_hours_text", "provider", "address", "town", "postcode"):
        df[c] = df[c].fillna("").astype(str)
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["easting"], df["northing"]), crs=BNG)


def seed_sites_path(settings: Settings | None = None) -> Path:
    """The seed registry CSV (``data/sites/seed_sites.csv`` in a checkout, else the wheel copy)."""
    s = settings if settings is not None else Settings.from_env()
    p = Path(s.sites_dir) / SEED_FILE
    if p.is_file():
        return p
    bundled = Path(__file__).parent / "_bundled_sites" / SEED_FILE
    if bundled.is_file():
        return bundled
    msg = f"seed site registry {p} not found; set GEO_SITES_DIR to the folder holding {SEED_FILE}"
    raise InputError(msg)


def load_seed_sites(settings: Settings | None = None, *, include_historical: bool = False) -> gpd.GeoDataFrame:
    """Sites named in the seed needs assessments, located by postcode or town centre."""
    s = settings if settings is not None else Settings.from_env()
    path = seed_sites_path(s)
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    if not include_historical:
        df = df[df["status"] != "historical"]
    df = df.rename(columns={"source_document": "source"}).copy()
    df["source"] = "seed: " + df["source"] + ":" + df["source_lines"]
    df["capacity"] = np.nan
    df["easting"] = np.nan
    df["northing"] = np.nan
    pc = df["postcode"].str.strip() != ""
    if pc.any():
        g = geocode_postcodes(df.loc[pc, "postcode"], s)
        df.loc[pc, "easting"] = g["easting"].to_numpy()
        df.loc[pc, "northing"] = g["northing"].to_numpy()
        df.loc[pc, "postcode"] = g["postcode"].fillna("").to_numpy()
    town = df["easting"].isna() & (df["town"].str.strip() != "")
    if town.any():
        t = town_centres(df.loc[town, "town"].tolist(), s)
        df.loc[town, "easting"] = t["easting"].to_numpy()
        df.loc[town, "northing"] = t["northing"].to_numpy()
        df.loc[town, "location_precision"] = "town"
        df.loc[town, "location_method"] = t["method"].to_numpy()
    df["location_method"] = df.get("location_method", pd.Series("", index=df.index)).fillna("postcode")
    gdf = _to_gdf(df.drop(columns=["source_lines"]))
    return _split_unlocated(gdf, source=str(path))


def _split_unlocated(gdf: gpd.GeoDataFrame, *, source: str) -> gpd.GeoDataFrame:
    bad = gdf["easting"].isna().to_numpy()
    out = gdf[~bad].copy()
    out.attrs["unlocated"] = (pd.DataFrame(gdf.loc[bad, ["site_id", "name", "postcode", "town"]])
                              .assign(source=source, problem="no coordinates in source").to_dict("records"))
    if bad.any():
        logger.warning("%s: %d site(s) could not be located: %s", source, int(bad.sum()),
                       ", ".join(gdf.loc[bad, "site_id"].astype(str).head(5)))
    return out


def load_pharmacy_sites(settings: Settings | None = None) -> gpd.GeoDataFrame:
    """Every active NHS community pharmacy in England (ODS), at postcode precision."""
    ph = load_pharmacies(settings)
    addr = ph[["address_1", "address_2", "address_3", "address_4"]].fillna("").astype(str)
    df = pd.DataFrame({
        "site_id": "ods:" + ph["ods_code"].astype(str),
        "name": ph["name"].astype(str).str.title(),
        "site_type": "pharmacy",
        "provider": ph["parent_org_code"].fillna("").astype(str),
        "address": addr.apply(lambda r: ", ".join(x.title() for x in r if x), axis=1),
        "town": addr.replace("", np.nan).ffill(axis=1).iloc[:, -1].fillna("").str.title(),
        "postcode": ph["postcode"].astype(str),
        "opening_hours": "",
        "opening_hours_text": "",
        "location_precision": "postcode",
        "capacity": np.nan,
        "status": "current",
        "source": "NHS ODS edispensary (" + ph["geocode_source"].fillna("not geocoded").astype(str) + ")",
        "easting": pd.to_numeric(ph["easting"], errors="coerce"),
        "northing": pd.to_numeric(ph["northing"], errors="coerce"),
        "ods_code": ph["ods_code"].astype(str),
    })
    return _split_unlocated(_to_gdf(df), source="sites/pharmacies_england.csv")


def load_gp_sites(settings: Settings | None = None, *, setting_codes: Sequence[str] = ("4",)) -> gpd.GeoDataFrame:
    """Active GP practices (setting 4) or other prescribing settings (8 = public health service)."""
    gp = load_gp_practices(settings)
    gp = gp[gp["prescribing_setting_code"].astype(str).isin(setting_codes)]
    df = pd.DataFrame({
        "site_id": "ods:" + gp["ods_code"].astype(str),
        "name": gp["name"].astype(str).str.title(),
        "site_type": np.where(gp["prescribing_setting_code"].astype(str) == "8", "hub", "other"),
        "provider": gp["name"].astype(str).str.title(),
        "postcode": gp["postcode"].astype(str),
        "location_precision": "postcode",
        "status": "current",
        "source": "NHS ODS epraccur (prescribing setting " + gp["prescribing_setting_code"].astype(str) + ")",
        "easting": pd.to_numeric(gp["easting"], errors="coerce"),
        "northing": pd.to_numeric(gp["northing"], errors="coerce"),
        "ods_code": gp["ods_code"].astype(str),
    })
    return _split_unlocated(_to_gdf(df), source="sites/gp_practices_england.csv")


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
    stype = stype.where(stype != "", default_type or "other")
    bad_type = ~stype.isin(SITE_TYPES)
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
    for c in ("provider", "address", "town", "opening_hours", "opening_hours_text"):
        out[c] = df[c].fillna("").astype(str).to_numpy() if c in df.columns else ""
    out["capacity"] = pd.to_numeric(df["capacity"], errors="coerce").to_numpy() if "capacity" in df.columns else np.nan
    out["location_precision"] = precision
    out["status"] = "current"
    out["source"] = f"user file {Path(source).name}"
    out["easting"], out["northing"] = east, north
    gdf = _to_gdf(out)
    located = gdf[~bad].copy()
    rep = pd.DataFrame({"row": row_no[bad], "site_id": gdf.loc[bad, "site_id"].to_numpy(),
                        "name": gdf.loc[bad, "name"].to_numpy(), "problem": problem[bad]})
    located.attrs["unlocated"] = rep.assign(source=source).to_dict("records")
    return located


def load_sites(settings: Settings | None = None, *, area: Area | None = None,
               types: Iterable[str] | None = None, buffer_km: float = 15.0,
               include_pharmacies: bool = True, include_historical: bool = False,
               extra: Sequence[str | Path | gpd.GeoDataFrame] = ()) -> gpd.GeoDataFrame:
    """All sites of the requested types near an area.

    Sites come from the seed registry, every active community pharmacy (ODS) and any
    ``extra`` user files/frames.  With an ``area``, sites inside the area get
    ``in_area=True`` and sites within ``buffer_km`` of its border are kept with
    ``in_area=False`` (cross-border services).  Unlocated rows are listed in
    ``attrs["unlocated"]``.
    """
    import geopandas as gpd
    import shapely

    s = settings if settings is not None else Settings.from_env()
    wanted = _check_types(types)
    frames: list[gpd.GeoDataFrame] = []
    if set(wanted) - {"pharmacy"}:
        frames.append(load_seed_sites(s, include_historical=include_historical))
    if include_pharmacies and "pharmacy" in wanted:
        frames.append(load_pharmacy_sites(s))
    for e in extra:
        frames.append(e if isinstance(e, gpd.GeoDataFrame) else read_sites_file(e, s))
    unlocated = [r for f in frames for r in f.attrs.get("unlocated", [])]
    for f in frames:
        f.attrs = {}
    sites = pd.concat(frames, ignore_index=True) if frames else _empty_sites()
    sites = gpd.GeoDataFrame(sites, geometry="geometry", crs=BNG)
    sites = sites[sites["site_type"].isin(wanted)]
    if sites["site_id"].duplicated().any():
        dups = sites.loc[sites["site_id"].duplicated(), "site_id"].head(3).tolist()
        msg = f"site ids repeat across sources ({dups}); give user sites their own site_id"
        raise SchemaError(msg)
    if area is not None:
        x, y = sites["easting"].to_numpy(), sites["northing"].to_numpy()
        poly = area.polygon
        shapely.prepare(poly)
        inside = shapely.contains_xy(poly, x, y)
        if buffer_km > 0:
            ring = area.polygon_buffered(buffer_km * 1000.0)
            shapely.prepare(ring)
            keep = inside | shapely.contains_xy(ring, x, y)
        else:
            keep = inside
        sites = sites[keep].assign(in_area=inside[keep])
    else:
        sites = sites.assign(in_area=True)
    sites = sites.reset_index(drop=True)
    sites.attrs["unlocated"] = unlocated
    logger.info("sites: %d (%s)", len(sites), sites["site_type"].value_counts().to_dict())
    return sites


def public_site_postcodes(settings: Settings | None = None) -> frozenset[str]:
    """Postcodes of public service sites (seed registry, NHS pharmacies and GP practices).

    These are published service addresses, so outputs may show them; the disclosure checks
    take this set as ``allowed_postcodes``.  Client postcodes are never in it.
    """
    from geo.data.loaders import normalise_postcodes

    s = settings if settings is not None else Settings.from_env()
    frames = [load_pharmacies(s, active_only=False)["postcode"], load_gp_practices(s, active_only=False)["postcode"]]
    seed = load_seed_sites(s, include_historical=True)
    frames.append(seed["postcode"])
    values = pd.concat([f.astype("string") for f in frames]).dropna()
    return frozenset(normalise_postcodes(values[values.str.strip() != ""]).dropna().tolist())


def unlocated_sites(sites: pd.DataFrame) -> pd.DataFrame:
    """Rows that could not be located when ``sites`` was loaded (file, row, name, problem)."""
    return pd.DataFrame(sites.attrs.get("unlocated", []))


def _check_types(types: Iterable[str] | None) -> tuple[str, ...]:
    if types is None:
        return SITE_TYPES
    t = tuple(x.strip().lower() for x in types if x and x.strip())
    if not t or t == ("all",):
        return SITE_TYPES
    bad = [x for x in t if x not in SITE_TYPES]
    if bad:
        msg = f"unknown site type(s) {', '.join(bad)}; choose from {', '.join(SITE_TYPES)} or 'all'"
        raise InputError(msg)
    return t


def parse_site_types(text: str | None) -> tuple[str, ...]:
    """Parse a comma-separated ``--sites`` option ('hub,pharmacy' or 'all')."""
    return _check_types(None if text is None else text.split(","))
