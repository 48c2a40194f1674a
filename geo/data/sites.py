"""Service sites: the seed registry (``data/sites/seed_sites.csv``), every NHS community
pharmacy, GP practices (candidates), users' own files and registered lists, in one schema
(:mod:`geo.data.site_schema`).

Sites are selected by building type *or* service (``--sites nsp`` picks hubs that run NSP and
pharmacies on an imported NSP list; :mod:`geo.data.services`).  The same ``site_id`` from
several sources (a pharmacy in the ODS registry, on a user's list and in OpenStreetMap) is one
site: the user's list overrides OpenStreetMap, which overrides the registry.

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

from geo._errors import InputError
from geo.config import Settings
from geo.crs import BNG
from geo.data.geocode import geocode_postcodes, town_centres
from geo.data.loaders import load_gp_practices, load_pharmacies
from geo.data.services import SERVICES, merge_sources, select
from geo.data.site_schema import (  # noqa: F401 - re-exported: the sites API lives here
    PRECISIONS,
    RANK_REGISTRY,
    SITE_COLUMNS,
    empty_sites,
    to_site_gdf,
)
from geo.data.site_types import SITE_TYPES, default_services, types_where
from geo.data.user_sites import read_sites_file, sites_from_table  # noqa: F401 - re-exported

if TYPE_CHECKING:
    import geopandas as gpd

    from geo.data.areas import Area

logger = logging.getLogger(__name__)

SEED_FILE = "seed_sites.csv"


def selectable() -> tuple[str, ...]:
    """Every word ``--sites`` accepts: building types (:data:`~geo.data.site_types.SITE_TYPES`) and services."""
    return tuple(dict.fromkeys((*SITE_TYPES, *SERVICES)))


def _registry_words() -> set[str]:
    """Selections that need the NHS ODS pharmacy registry loaded: national types and their services."""
    national = types_where("national")
    return {*national, *(s for t in national for s in default_services(t))}


def _to_gdf(df: pd.DataFrame, *, source: str = "sites") -> gpd.GeoDataFrame:
    return to_site_gdf(df, rank=RANK_REGISTRY, source=source)


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
    gdf = _to_gdf(df.drop(columns=["source_lines"]), source=str(path))
    return _split_unlocated(gdf, source=str(path))


def _split_unlocated(gdf: gpd.GeoDataFrame, *, source: str, national: bool = False) -> gpd.GeoDataFrame:
    """Sites with coordinates; the others are listed in ``attrs["unlocated"]``.

    ``national`` lists (every pharmacy / GP practice in England) log their unlocated rows at
    INFO: a study's warnings are about its own area, and the rows stay listed (``geo sites list``).
    """
    bad = gdf["easting"].isna().to_numpy()
    out = gdf[~bad].copy()
    cols = [c for c in ("site_id", "name", "site_type", "services", "postcode", "town", "area") if c in gdf.columns]
    rep = pd.DataFrame(gdf.loc[bad, cols]).assign(source=source, problem="no coordinates in source")
    if "location_precision" in gdf.columns:
        seed_unlocated = (gdf.loc[bad, "location_precision"] == "unlocated").to_numpy()
        rep.loc[seed_unlocated, "problem"] = "unlocated: the source names the service but gives no town or address"
    out.attrs["unlocated"] = rep.to_dict("records")
    expected = rep["problem"].str.startswith("unlocated").to_numpy()
    if expected.any():
        logger.info("%s: %d service(s) named without a location (listed as unlocated)", source, int(expected.sum()))
    if (~expected).any():
        bad = bad & ~np.isin(gdf["site_id"].astype(str).to_numpy(), rep.loc[expected, "site_id"].astype(str))
        logger.log(logging.INFO if national else logging.WARNING, "%s: %d site(s) could not be located: %s",
                   source, int(bad.sum()), ", ".join(gdf.loc[bad, "site_id"].astype(str).head(5)))
    return out


def load_pharmacy_sites(settings: Settings | None = None) -> gpd.GeoDataFrame:
    """Every active NHS community pharmacy in England (ODS), at postcode precision."""
    ph = load_pharmacies(settings)
    addr = ph[["address_1", "address_2", "address_3", "address_4"]].fillna("").astype(str)
    address = np.full(len(ph), "", dtype=object)
    town = np.full(len(ph), "", dtype=object)
    for c in addr.columns:  # vectorised over rows: join non-empty parts, town = the last non-empty part
        part = addr[c].str.strip().str.title().to_numpy(dtype=object)
        has = part != ""
        address = np.where(has, np.where(address == "", part, address + ", " + part), address)
        town = np.where(has, part, town)
    df = pd.DataFrame({
        "site_id": "ods:" + ph["ods_code"].astype(str),
        "name": ph["name"].astype(str).str.title(),
        "site_type": "pharmacy",
        "provider": ph["parent_org_code"].fillna("").astype(str),
        "address": address,
        "town": town,
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
    return _split_unlocated(_to_gdf(df), source="sites/pharmacies_england.csv", national=True)


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
    return _split_unlocated(_to_gdf(df), source="sites/gp_practices_england.csv", national=True)



def load_sites(settings: Settings | None = None, *, area: Area | None = None,
               types: Iterable[str] | None = None, buffer_km: float = 15.0,
               include_pharmacies: bool = True, include_historical: bool = False,
               extra: Sequence[str | Path | gpd.GeoDataFrame] = (),
               include_user_lists: bool = True) -> gpd.GeoDataFrame:
    """All sites of the requested types or services near an area.

    Sites come from the seed registry, every active community pharmacy (ODS), the user's
    registered lists (``geo sites import --save``; see :func:`geo.data.site_lists.user_sites_dir`)
    and any ``extra`` user files/frames.  ``types`` names building types and/or services
    (:func:`selectable`): a site is kept when its type or one of its services is named.  The
    same ``site_id`` from several sources is merged (:func:`geo.data.services.merge_sources`).
    With an ``area``, sites inside the area get ``in_area=True`` and sites within ``buffer_km``
    of its border are kept with ``in_area=False`` (cross-border services; apply
    :func:`geo.data.commissioning.restrict_to_commissioner` for the commissioning rules).
    Unlocated rows are listed in ``attrs["unlocated"]``.
    """
    import geopandas as gpd
    import shapely

    s = settings if settings is not None else Settings.from_env()
    wanted = _check_types(types)
    frames: list[gpd.GeoDataFrame] = []
    national = _registry_words()
    if set(wanted) - national:
        frames.append(load_seed_sites(s, include_historical=include_historical))
    if include_pharmacies and set(wanted) & national:
        frames.append(load_pharmacy_sites(s))
    if include_user_lists:
        from geo.data.site_lists import registered_site_lists

        frames.extend(registered_site_lists(s))
    for e in extra:
        frames.append(e if isinstance(e, gpd.GeoDataFrame) else read_sites_file(e, s))
    unlocated = [r for f in frames for r in f.attrs.get("unlocated", [])]
    frames = [f.copy() for f in frames]
    for f in frames:
        f.attrs = {}
    sites = pd.concat(frames, ignore_index=True) if frames else empty_sites()
    sites = merge_sources(sites)
    sites = gpd.GeoDataFrame(sites, geometry=gpd.points_from_xy(sites["easting"].astype(float),
                                                               sites["northing"].astype(float)), crs=BNG)
    sites = sites[select(sites, wanted)]
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
    sites.attrs["unlocated"] = [r for r in unlocated if _selected_record(r, wanted)]
    sites.attrs["selection"] = list(wanted)
    logger.info("sites: %d (%s)", len(sites), sites["site_type"].value_counts().to_dict())
    return sites


def _selected_record(rec: dict, wanted: Sequence[str]) -> bool:
    svc = str(rec.get("services", "") or "").split(";")
    return not rec.get("site_type") or rec.get("site_type") in wanted or bool(set(svc) & set(wanted))


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
    words = selectable()
    if types is None:
        return words
    t = tuple(x.strip().lower().replace("-", "_").replace(" ", "_") for x in types if x and x.strip())
    if not t or t == ("all",):
        return words
    bad = [x for x in t if x not in words]
    if bad:
        msg = (f"unknown site type or service {', '.join(bad)}; choose building types "
               f"({', '.join(SITE_TYPES)}), services ({', '.join(SERVICES)}) or 'all'")
        raise InputError(msg)
    return tuple(dict.fromkeys(t))


def parse_site_types(text: str | None) -> tuple[str, ...]:
    """Parse a comma-separated ``--sites`` option: types and/or services ('hub,nsp' or 'all')."""
    return _check_types(None if text is None else text.split(","))
