"""Loaders for every dataset of the open-data bundle.

Each loader reads one file named in :mod:`geo.data.sources`, checks its schema and returns a frame
indexed by its natural key (``lsoa21cd`` for LSOA tables), geometries in EPSG:27700.  Parsed
tables are memoised per process (keyed on path, size and mtime) and treated as read-only.
"""

from __future__ import annotations

import gzip
import logging
import zlib
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo._errors import DataSourceError, SchemaError
from geo.config import Settings
from geo.data.sources import Dataset, get_dataset
from geo.data.validate import require_columns

if TYPE_CHECKING:
    import geopandas as gpd

logger = logging.getLogger(__name__)

_CODE_DTYPES = dict.fromkeys(("lsoa21cd", "lsoa11cd", "lad24cd", "lad22cd", "lad19cd", "utla23cd", "rgn24cd", "icb24cd", "sicbl24cd", "wd24cd", "ods_code", "postcode", "pcd", "atco_code", "area_code", "postcode_key", "parent_org_code", "lad_cpo", "prescribing_setting_code", "status", "naptan_code", "admin_area_code"), "string")


def _settings(settings: Settings | None) -> Settings:
    return settings if settings is not None else Settings.from_env()


def dataset_path(key: str, settings: Settings | None = None) -> Path:
    """Path of a dataset, raising a :class:`DataSourceError` with the fix if it is missing."""
    s = _settings(settings)
    ds = get_dataset(key)
    path = ds.path(s.data_dir)
    if not path.is_file():
        msg = (f"{ds.title}: file {path} not found. Fix: put the bundle file {ds.relpath} under "
               f"the data directory ({s.data_dir}), set GEO_DATA_DIR, or run `geo data fetch`")
        raise DataSourceError(msg)
    return path


def _stamp(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return (str(path), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=64)
def _read_csv_cached(stamp: tuple[str, int, int], relpath: str,
                     usecols: tuple[str, ...] | None) -> pd.DataFrame:
    path = Path(stamp[0])
    ds = next(d for d in _all_datasets() if d.relpath == relpath)
    try:
        df = pd.read_csv(path, dtype=_CODE_DTYPES, usecols=(lambda c: c in usecols) if usecols else None,
                         low_memory=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, EOFError,
            gzip.BadGzipFile, zlib.error, OSError) as exc:
        msg = (f"{ds.title}: cannot read {path} ({type(exc).__name__}: {exc}). The file looks "
               f"damaged; replace it with the original ({ds.url}) or run `geo data fetch`")
        raise DataSourceError(msg) from exc
    require_columns(df, ds.columns if not usecols else [c for c in ds.columns if c in usecols],
                    source=str(path), fix=f"replace it with the original {ds.relpath} ({ds.url})")
    logger.info("read %s: %d rows", ds.relpath, len(df))
    return df


def _all_datasets() -> list[Dataset]:
    from geo.data.sources import DATASETS

    return list(DATASETS.values())


def read_dataset(key: str, settings: Settings | None = None, *,
                 usecols: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Read a tabular dataset from the bundle (validated, memoised, do not mutate)."""
    path = dataset_path(key, settings)
    return _read_csv_cached(_stamp(path), get_dataset(key).relpath, usecols)


def _indexed(df: pd.DataFrame, key: str, *, source: str) -> pd.DataFrame:
    if df[key].duplicated().any():
        dups = df.loc[df[key].duplicated(), key].head(3).tolist()
        msg = f"{source}: {key} must be unique but {dups} repeat; the file is not the expected one"
        raise SchemaError(msg)
    return df.set_index(key)


@lru_cache(maxsize=8)
def _read_gpkg_cached(stamp: tuple[str, int, int], layer: str, columns: tuple[str, ...],
                      key: str) -> gpd.GeoDataFrame:
    import geopandas as gpd

    path = Path(stamp[0])
    try:
        gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # pyogrio raises DataSourceError/DataLayerError subclasses
        msg = (f"cannot read layer {layer!r} of {path} ({type(exc).__name__}: {exc}); the "
               "GeoPackage is damaged or not the expected file: replace it or run `geo data fetch`")
        raise DataSourceError(msg) from exc
    require_columns(gdf, columns, source=str(path))
    if gdf.crs is None:
        msg = f"{path}: layer {layer} has no CRS; expected EPSG:27700"
        raise DataSourceError(msg)
    if gdf.crs.to_epsg() != 27700:
        gdf = gdf.to_crs("EPSG:27700")
    return _indexed(gdf, key, source=str(path))


def load_lsoa_boundaries(settings: Settings | None = None) -> gpd.GeoDataFrame:
    """LSOA 2021 boundaries (BSC, England), indexed by ``lsoa21cd``, EPSG:27700."""
    ds = get_dataset("lsoa_boundaries")
    path = dataset_path(ds.key, settings)
    return _read_gpkg_cached(_stamp(path), ds.layer or "", ds.columns, "lsoa21cd")


def load_lad_boundaries(settings: Settings | None = None) -> gpd.GeoDataFrame:
    """Local authority district 2024 boundaries (BUC, England), indexed by ``lad24cd``."""
    ds = get_dataset("lad_boundaries")
    path = dataset_path(ds.key, settings)
    return _read_gpkg_cached(_stamp(path), ds.layer or "", ds.columns, "lad24cd")


def load_imd2025(settings: Settings | None = None) -> pd.DataFrame:
    """IMD 2025 scores, ranks and deciles for every LSOA 2021 (decile 1 = most deprived)."""
    df = read_dataset("imd2025", settings)
    return _indexed(df, "lsoa21cd", source="imd2025_lsoa21.csv")


def load_imd2025_indicators(settings: Settings | None = None) -> pd.DataFrame:
    """IoD 2025 underlying indicators per LSOA 2021."""
    return _indexed(read_dataset("imd2025_indicators", settings), "lsoa21cd",
                    source="imd2025_indicators_lsoa21.csv")


def load_imd2019(settings: Settings | None = None) -> pd.DataFrame:
    """IMD 2019 ranks and deciles on LSOA 2011 geography."""
    return _indexed(read_dataset("imd2019", settings), "lsoa11cd", source="imd2019_lsoa11.csv")


def load_lsoa11_lsoa21_lookup(settings: Settings | None = None) -> pd.DataFrame:
    """ONS LSOA 2011 -> 2021 best-fit lookup (one row per pair, ``chgind`` U/S/M/X)."""
    return read_dataset("lookup_lsoa11_lsoa21", settings)


def imd2019_on_lsoa21(imd2019: pd.DataFrame, lookup: pd.DataFrame) -> pd.DataFrame:
    """Map IMD 2019 (LSOA 2011) to LSOA 2021.

    Method, by ONS change indicator: *U* unchanged and *S* split (each 2021 part inherits its
    2011 parent's rank); *M* merged and *X* irregular (the 2021 LSOA takes the mean national
    rank of its 2011 parts).  The decile is then re-derived from the rank with the published
    IMD 2019 cut-points (32,844 LSOAs, deciles of 3,284/3,285), so it agrees with the published
    decile wherever the rank is inherited unchanged.  ``imd2019_parts`` counts 2011 parents.
    """
    rank_cols = [c for c in imd2019.columns if c.endswith("_rank")]
    merged = lookup[["lsoa11cd", "lsoa21cd", "chgind"]].merge(
        imd2019[rank_cols], left_on="lsoa11cd", right_index=True, how="inner")
    g = merged.groupby("lsoa21cd", sort=True)
    out = g[rank_cols].mean()
    out["imd2019_parts"] = g.size()
    out["imd2019_change"] = g["chgind"].agg(lambda s: "".join(sorted(set(s))))
    n = len(imd2019)
    for col in rank_cols:
        decile = np.ceil(out[col].to_numpy() / (n / 10.0)).clip(1, 10)
        out[col.removesuffix("_rank") + "_decile"] = decile.astype("int64")
    out.columns = [c if c.startswith("imd2019_") else f"imd2019_{c}" for c in out.columns]
    out = out.rename(columns={"imd2019_imd_rank": "imd2019_rank", "imd2019_imd_decile": "imd2019_decile"})
    return out


def former_districts_on_lsoa21(imd2019: pd.DataFrame, lookup: pd.DataFrame,
                               current_lad_name: pd.Series) -> pd.DataFrame:
    """The 2019 local authority district (``lad19cd``/``lad19nm`` of the IMD 2019 file) of each LSOA 2021.

    These are the districts the seeds report by (Corby, Daventry, East Northamptonshire,
    Kettering, Northampton, South Northamptonshire, Wellingborough were merged into North and
    West Northamptonshire in 2021; Leicestershire's and Essex's districts are unchanged).

    Rule: each LSOA 2021 takes the district of its LSOA 2011 parent(s) through the ONS lookup.
    *U* unchanged and *S* split LSOAs have one parent, so one district; *M* merged LSOAs have
    several parents, always within one district.  Only a few *X* irregular LSOAs (3 in England,
    none in the seed areas) have parents in two districts: they take the parent district that
    is also their current (2024) district, else the district of most parents (ties: first
    alphabetically).  ``former_district_parts`` counts the districts seen (2 flags those).

    Parameters
    ----------
    imd2019 : IMD 2019 frame indexed by ``lsoa11cd`` with ``lad19cd``, ``lad19nm``.
    lookup : ONS LSOA 2011 -> 2021 lookup (``lsoa11cd``, ``lsoa21cd``).
    current_lad_name : LAD 2024 name by ``lsoa21cd`` (the tie-break).
    """
    pairs = lookup[["lsoa11cd", "lsoa21cd"]].merge(imd2019[["lad19cd", "lad19nm"]], left_on="lsoa11cd",
                                                   right_index=True, how="inner")
    counts = pairs.groupby(["lsoa21cd", "lad19cd", "lad19nm"], sort=True).size().rename("n").reset_index()
    counts["current"] = (counts["lad19nm"].to_numpy() ==
                         current_lad_name.reindex(counts["lsoa21cd"]).astype(str).to_numpy())
    parts = counts.groupby("lsoa21cd").size()
    counts = counts.sort_values(["lsoa21cd", "current", "n", "lad19nm"],
                                ascending=[True, False, False, True], kind="stable")
    best = counts.drop_duplicates("lsoa21cd").set_index("lsoa21cd")
    out = pd.DataFrame({"former_district_code": best["lad19cd"].astype(str),
                        "former_district": best["lad19nm"].astype(str),
                        "former_district_parts": parts.reindex(best.index).to_numpy(dtype="int64")},
                       index=best.index)
    return out


def load_former_districts(settings: Settings | None = None) -> pd.DataFrame:
    """Former (2019) district of every LSOA 2021 (see :func:`former_districts_on_lsoa21`)."""
    geo = load_geography_lookup(settings)
    return former_districts_on_lsoa21(load_imd2019(settings), load_lsoa11_lsoa21_lookup(settings),
                                      geo["lad24nm"])


def load_imd2019_lsoa21(settings: Settings | None = None) -> pd.DataFrame:
    """IMD 2019 ranks and deciles mapped to LSOA 2021 (see :func:`imd2019_on_lsoa21`)."""
    return imd2019_on_lsoa21(load_imd2019(settings), load_lsoa11_lsoa21_lookup(settings))


def load_population(settings: Settings | None = None) -> pd.DataFrame:
    """Census 2021 usual residents by age band; ``adults`` = aged 18+ (ONS bands, estimated)."""
    df = _indexed(read_dataset("population", settings), "lsoa21cd", source="population_lsoa21_2021.csv")
    out = df.drop(columns=[c for c in ("lsoa21nm",) if c in df.columns]).copy()
    out["adults"] = out["aged_18_plus_est"].astype("int64")
    return out


def load_centroids(settings: Settings | None = None) -> pd.DataFrame:
    """ONS population-weighted centroids (``easting``, ``northing`` in EPSG:27700)."""
    df = read_dataset("centroids", settings)
    return _indexed(df[["lsoa21cd", "easting", "northing"]], "lsoa21cd",
                    source="lsoa21_population_weighted_centroids.csv")


def load_ruc(settings: Settings | None = None) -> pd.DataFrame:
    """Rural-urban classification 2021 per LSOA (``ruc21cd``, ``ruc21nm``, ``urban_rural``)."""
    return _indexed(read_dataset("ruc", settings), "lsoa21cd", source="ruc21_lsoa21.csv")


def load_geography_lookup(settings: Settings | None = None) -> pd.DataFrame:
    """LSOA 2021 -> ward, LAD 2024, county/UTLA 2023, region 2024, ICB 2024."""
    return _indexed(read_dataset("lookup_geographies", settings), "lsoa21cd",
                    source="lookup_lsoa21_geographies.csv")


def load_drug_deaths_la(settings: Settings | None = None) -> pd.DataFrame:
    """ONS deaths related to drug poisoning by local authority and registration year (long)."""
    df = read_dataset("drug_deaths_la", settings).copy()
    df["deaths"] = pd.to_numeric(df["deaths"], errors="coerce")
    return df


def load_drug_deaths_national(settings: Settings | None = None) -> pd.DataFrame:
    """England and Wales drug-poisoning deaths by year (all, misuse, opiates)."""
    return read_dataset("drug_deaths_national", settings)


def load_pharmacies(settings: Settings | None = None, *, active_only: bool = True) -> pd.DataFrame:
    """NHS ODS community pharmacies (geocoded); ``active_only`` keeps status == active."""
    df = read_dataset("pharmacies", settings)
    return df[df["status"] == "active"].reset_index(drop=True) if active_only else df


def load_gp_practices(settings: Settings | None = None, *, active_only: bool = True) -> pd.DataFrame:
    """ODS GP practices and prescribing cost centres (setting 8 = public health service)."""
    df = read_dataset("gp_practices", settings)
    return df[df["status"] == "active"].reset_index(drop=True) if active_only else df


NAPTAN_AREAS = ("essex", "leicester", "leicestershire", "north_northamptonshire", "rutland",
                "southend_on_sea", "thurrock", "west_northamptonshire")


def load_naptan(settings: Settings | None = None, *, areas: tuple[str, ...] = NAPTAN_AREAS,
                missing_ok: bool = False) -> pd.DataFrame:
    """Active NaPTAN stops from the bundle's per-area files, concatenated (unique ``atco_code``)."""
    frames = []
    for a in areas:
        try:
            frames.append(read_dataset(f"naptan_{a}", settings))
        except DataSourceError:
            if not missing_ok:
                raise
    if not frames:
        return pd.DataFrame(columns=list(get_dataset("naptan_rutland").columns))
    df = pd.concat(frames, ignore_index=True)
    return df.drop_duplicates("atco_code").reset_index(drop=True)


def load_postcodes(settings: Settings | None = None) -> pd.DataFrame:
    """Every live English postcode (Code-Point Open) with location and LSOA 2021.

    Indexed by normalised postcode (upper case, single space).  1.5 M rows: the parsed table is
    kept in a parquet file under ``Settings.cache_dir`` (rebuilt if the source changes).
    """
    s = _settings(settings)
    path = dataset_path("postcodes", s)
    return _load_postcodes_cached(_stamp(path), str(s.cache_dir))


@lru_cache(maxsize=2)
def _load_postcodes_cached(stamp: tuple[str, int, int], cache_dir: str) -> pd.DataFrame:
    from geo.cache import atomic_write_parquet, read_parquet_or_none

    cols = ("pcd", "easting", "northing", "lsoa21cd", "lad24cd", "positional_quality")
    key = f"postcodes-{stamp[1]}-{stamp[2]}.parquet"
    cached = read_parquet_or_none(Path(cache_dir) / key)
    if cached is not None:
        return cached
    df = _read_csv_cached(stamp, get_dataset("postcodes").relpath, cols).copy()
    df["pcd"] = normalise_postcodes(df["pcd"])
    df = df.drop_duplicates("pcd").set_index("pcd")
    atomic_write_parquet(df, Path(cache_dir) / key)
    return df


def normalise_postcodes(values: pd.Series | Any) -> pd.Series:
    """Upper-case, strip, and put one space before the inward code (``nn15ba`` -> ``NN1 5BA``)."""
    s = pd.Series(values, dtype="string").str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    return s.str.slice(0, -3) + " " + s.str.slice(-3)


def load_stroke_units(settings: Settings | None = None) -> pd.DataFrame:
    """SAMueL stroke units (for drive-time calibration), indexed by ``postcode_key``."""
    return _indexed(read_dataset("stroke_units", settings), "postcode_key", source="stroke_units_2022.csv")


def load_stroke_drive_times(settings: Settings | None = None) -> pd.DataFrame:
    """Modelled road minutes from every LSOA 2011 (rows) to each stroke unit (columns)."""
    return _indexed(read_dataset("stroke_drive_times", settings), "lsoa11cd",
                    source="drive_time_lsoa11_to_stroke_units.csv.gz")
