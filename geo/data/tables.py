"""The LSOA master table: boundaries joined with geography lookups, Census 2021 population,
population-weighted centroids, IMD 2025 (and IMD 2019 mapped to LSOA 2021) and rurality.

One row per English LSOA 2021 (33,755), indexed by ``lsoa21cd``, EPSG:27700.  Joins are checked:
an LSOA missing from any source is an error, never a silent NaN.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import TYPE_CHECKING

import pandas as pd

from geo._errors import SchemaError
from geo.config import Settings
from geo.data.loaders import (
    load_centroids,
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
                  "rgn24cd", "rgn24nm", "icb24cd", "icb24nm")


def load_lsoa_table(settings: Settings | None = None) -> gpd.GeoDataFrame:
    """Every English LSOA 2021 with geography, population, centroid, deprivation and rurality.

    Columns: ``lsoa21nm``, ward/LAD/UTLA/region/ICB codes and names, ``population`` (all ages),
    ``adults`` (18+, ONS-band estimate), ``easting``/``northing`` (population-weighted
    centroid, metres), IMD 2025 score/rank/decile and domains, ``imd2019_rank``/``imd2019_decile``
    (mapped from LSOA 2011), ``ruc21cd``/``ruc21nm``/``urban_rural``, ``geometry`` (BSC).
    The returned frame is shared: copy before mutating.
    """
    s = settings if settings is not None else Settings.from_env()
    return _load(_inputs_key(s), s)


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
    return cache_key("lsoa-table", str(s.data_dir), stamps)


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
    logger.info("LSOA table: %d rows, %d columns", len(gdf), gdf.shape[1])
    return gdf
