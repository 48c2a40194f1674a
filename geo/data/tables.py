"""The LSOA master table: boundaries joined with geography lookups, Census 2021 population,
population-weighted centroids, IMD 2025 (and IMD 2019 mapped to LSOA 2021) and rurality.

One row per English LSOA 2021 (33,755), indexed by ``lsoa21cd``, EPSG:27700.  Joins are checked:
an LSOA missing from any source is an error, never a silent NaN.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo._errors import SchemaError
from geo.config import Settings
from geo.data.loaders import (
    load_centroids,
    load_former_districts,
    load_geography_lookup,
    load_imd2019_lsoa21,
    load_imd2025,
    load_lsoa_boundaries,
    load_population,
    load_ruc,
)

if TYPE_CHECKING:
    import geopandas as gpd

logger = logging.getLogger(__name__)

#: IMD 2025 columns carried into the master table (need layer uses them).
IMD_COLUMNS = (
    "imd_score", "imd_rank", "imd_decile",
    "health_deprivation_disability_score", "health_deprivation_disability_decile",
    "barriers_housing_services_score", "barriers_housing_services_decile",
    "sub_geographical_barriers_score", "sub_geographical_barriers_decile",
    "income_score", "employment_score",
)
LOOKUP_COLUMNS = ("lsoa21nm", "wd24cd", "wd24nm", "lad24cd", "lad24nm", "utla23cd", "utla23nm",
                  "rgn24cd", "rgn24nm", "icb24cd", "icb24nm", "sicbl24cd", "sicbl24nm")
#: Bumped whenever the built table gains or changes columns (keys the on-disk cache).
TABLE_SCHEMA = 3
#: Columns swapped by ``Settings.imd_version``: the ``imd_*`` name and its IMD 2019 source.
IMD2019_SWAP = {"imd_rank": "imd2019_rank", "imd_decile": "imd2019_decile"}


def load_lsoa_table(settings: Settings | None = None) -> gpd.GeoDataFrame:
    """Every English LSOA 2021 with geography, population, centroid, deprivation and rurality.

    Columns: ``lsoa21nm``, ward/LAD/UTLA/region/ICB codes and names, ``population`` (all ages),
    ``adults`` (18+, ONS-band estimate), ``easting``/``northing`` (population-weighted
    centroid, metres), IMD 2025 score/rank/decile and domains, ``imd2019_rank``/``imd2019_decile``
    (mapped from LSOA 2011), ``ruc21cd``/``ruc21nm``/``urban_rural``, ``former_district``
    (2019 district, e.g. Daventry), ``ward`` (2024 ward name), ``place`` (ward, with the former
    district where that is no longer a council, e.g. "Daventry West (Daventry)"),
    ``lsoa_label`` ("Daventry West (Daventry) — West Northamptonshire 022D"), ``geometry`` (BSC).

    With ``settings.imd_version == 2019`` the ``imd_rank``/``imd_decile`` columns hold IMD 2019
    (mapped to LSOA 2021: split LSOAs inherit their 2011 parent's rank, merged ones take the mean
    rank of their parents, deciles re-derived from the published cut-points) and the IMD 2025
    values move to ``imd2025_rank``/``imd2025_decile``; ``imd_score`` stays IMD 2025 (no IMD 2019
    scores are published in the bundle).  The ``imd_version`` column (carried into every frame
    derived from the table) says which; :func:`imd_label` words it.
    The returned frame is shared: copy before mutating.
    """
    s = settings if settings is not None else Settings.from_env()
    key = _inputs_key(s)
    base = _load(key, s.with_(imd_version=2025))
    if s.imd_version == 2025:
        return base
    return _with_imd(key, s.with_(imd_version=2025), s.imd_version)


@lru_cache(maxsize=2)
def _with_imd(key: str, s: Settings, version: int) -> gpd.GeoDataFrame:
    """The cached table with ``imd_rank``/``imd_decile`` taken from IMD ``version`` (2019)."""
    base = _load(key, s)
    out = base.copy()
    for col, src in IMD2019_SWAP.items():
        out[col.replace("imd_", "imd2025_")] = base[col]
        out[col] = base[src]
    out.attrs["imd_version"] = version
    out["imd_version"] = np.int16(version)
    logger.info("LSOA table: imd_rank/imd_decile from IMD %d", version)
    return out


#: Bundle datasets the master table is built from (their size/mtime key the disk cache).
TABLE_INPUTS = ("lsoa_boundaries", "lookup_geographies", "population", "centroids", "imd2025",
                "imd2019", "lookup_lsoa11_lsoa21", "ruc")


def _inputs_key(s: Settings) -> str:
    from geo.cache import cache_key
    from geo.data.loaders import dataset_path

    stamps = []
    for key in TABLE_INPUTS:
        path = dataset_path(key, s)
        st = path.stat()
        stamps.append((key, st.st_size, st.st_mtime_ns))
    return cache_key("lsoa-table", TABLE_SCHEMA, str(s.data_dir), stamps)


@lru_cache(maxsize=2)
def _load(key: str, s: Settings) -> gpd.GeoDataFrame:
    """The table from the on-disk GeoParquet cache (keyed by the inputs), else built and saved.

    A cold process then reads one file (~0.3 s) instead of joining eight sources (~5 s); a
    corrupt cache file is rebuilt.
    """
    import geopandas as gpd

    from geo.cache import atomic_path

    target = s.cache_dir / "tables" / f"lsoa-table-{key}.parquet"
    if target.is_file():
        try:
            gdf = gpd.read_parquet(target)
            gdf["urban_rural"] = gdf["urban_rural"].astype("string")
            gdf.attrs["imd_version"] = 2025
            logger.info("LSOA table from cache %s", target.name)
            return gdf
        except Exception as exc:
            logger.warning("LSOA table cache %s unreadable (%s); rebuilding", target, exc)
    gdf = _build(s)
    try:
        with atomic_path(target) as tmp:
            gdf.to_parquet(tmp)
    except OSError as exc:
        logger.warning("could not cache the LSOA table in %s: %s", target.parent, exc)
    return gdf


def _build(s: Settings) -> gpd.GeoDataFrame:
    import geopandas as gpd

    bounds = load_lsoa_boundaries(s)
    parts: list[pd.DataFrame] = [
        load_geography_lookup(s)[list(LOOKUP_COLUMNS)],
        load_population(s)[["total", "adults", "aged_16_plus"]].rename(columns={"total": "population"}),
        load_centroids(s),
        load_imd2025(s)[list(IMD_COLUMNS)],
        load_imd2019_lsoa21(s)[["imd2019_rank", "imd2019_decile", "imd2019_change"]],
        load_ruc(s)[["ruc21cd", "ruc21nm", "urban_rural"]],
        load_former_districts(s)[["former_district_code", "former_district"]],
    ]
    table = pd.DataFrame(index=bounds.index)
    for part in parts:
        missing = table.index.difference(part.index)
        if len(missing) and "imd2019_rank" not in part.columns:
            msg = (f"{len(missing)} LSOAs of the boundary file are missing from a joined table "
                   f"(first: {list(missing[:3])}); the bundle files are from different vintages")
            raise SchemaError(msg)
        table = table.join(part, how="left")
    gdf = gpd.GeoDataFrame(table, geometry=bounds.geometry, crs=bounds.crs)
    gdf.index.name = "lsoa21cd"
    gdf["urban_rural"] = gdf["urban_rural"].astype("string")
    gdf["ward"] = gdf["wd24nm"].astype(str)
    gdf["place"] = local_place_names(gdf)
    gdf["lsoa_label"] = gdf["place"] + " \u2014 " + gdf["lsoa21nm"].astype(str)
    gdf.attrs["imd_version"] = 2025
    gdf["imd_version"] = np.int16(2025)
    logger.info("LSOA table: %d rows, %d columns", len(gdf), gdf.shape[1])
    return gdf


def local_place_names(table: pd.DataFrame) -> pd.Series:
    """A place name people use for each LSOA: its ward, plus the former district where the
    district is no longer a council and the ward name does not already say it.

    ``"Daventry West"`` stays as is; a West Northamptonshire village ward becomes
    ``"Brixworth (Daventry)"``; Rutland's ``"Oakham North West"`` needs nothing more.
    """
    ward = table["wd24nm"].astype(str)
    former = table["former_district"].astype(str)
    gone = former.to_numpy() != table["lad24nm"].astype(str).to_numpy()
    said = np.char.find(np.char.lower(ward.to_numpy(dtype=str)), np.char.lower(former.to_numpy(dtype=str))) >= 0
    add = gone & ~said
    return pd.Series(pd.array(ward.where(~add, ward + " (" + former + ")"), dtype=object),
                     index=table.index, name="place").astype(str)


def imd_version_of(frame: pd.DataFrame | None) -> int:
    """The IMD edition of the ``imd_rank``/``imd_decile`` columns of a frame derived from the LSOA
    table (its ``imd_version`` column; 2025 when absent)."""
    if frame is not None and "imd_version" in frame.columns and len(frame):
        return int(frame["imd_version"].iloc[0])
    return 2025


def imd_label(frame_or_version: pd.DataFrame | int | None = None) -> str:
    """``"IMD 2019"`` or ``"IMD 2025"`` for a frame or a version number."""
    if isinstance(frame_or_version, int):
        return f"IMD {frame_or_version}"
    return f"IMD {imd_version_of(frame_or_version)}"
