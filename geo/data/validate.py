"""Schema checks shared by loaders and upload readers.  Every failure names the file,
the column or row at fault, and the fix."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo._errors import CrsError, SchemaError

if TYPE_CHECKING:
    import geopandas as gpd

LSOA21_PATTERN = r"^E0[0-9]{7}$"


def require_columns(df: pd.DataFrame, columns: Iterable[str], *, source: str,
                    fix: str = "check the file is the right one and re-download it") -> None:
    """Raise :class:`SchemaError` listing every required column missing from ``df``."""
    cols = list(columns)
    missing = [c for c in cols if c not in df.columns]
    if missing:
        have = ", ".join(map(str, list(df.columns)[:15]))
        msg = (f"{source}: missing column(s) {', '.join(missing)} (found: {have}). Fix: {fix}")
        raise SchemaError(msg)
    dup = df.columns[df.columns.duplicated()].tolist()
    if dup:
        msg = f"{source}: duplicate column name(s) {', '.join(map(str, dup))}; rename them so each is unique"
        raise SchemaError(msg)


def require_unique(df: pd.DataFrame, column: str, *, source: str) -> None:
    """Raise if ``column`` holds duplicates (first offending rows are named, 1-based + header)."""
    dup = df[column].duplicated(keep=False)
    if dup.any():
        rows = (np.flatnonzero(dup.to_numpy())[:5] + 2).tolist()
        vals = df.loc[dup, column].astype(str).unique()[:5].tolist()
        msg = f"{source}: column {column} must be unique; duplicates {vals} at rows {rows}"
        raise SchemaError(msg)


def require_numeric(df: pd.DataFrame, column: str, *, source: str) -> pd.Series:
    """Coerce a column to float, raising with the first bad rows if any value is not a number."""
    raw = df[column]
    num = pd.to_numeric(raw, errors="coerce")
    bad = num.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
    if bad.any():
        rows = (np.flatnonzero(bad.to_numpy())[:5] + 2).tolist()
        vals = raw[bad].astype(str).head(3).tolist()
        msg = f"{source}: column {column} must be numeric; bad values {vals} at rows {rows}"
        raise SchemaError(msg)
    return num


def require_lsoa_codes(codes: pd.Series, *, source: str, column: str = "lsoa21cd") -> None:
    """Raise if any value is not an English LSOA 2021 code (E01xxxxxx)."""
    ok = codes.astype(str).str.match(LSOA21_PATTERN)
    if not ok.all():
        bad = ~ok.to_numpy()
        rows = (np.flatnonzero(bad)[:5] + 2).tolist()
        vals = codes[bad].astype(str).head(3).tolist()
        msg = (f"{source}: column {column} must hold English LSOA 2021 codes like E01000001; "
               f"bad values {vals} at rows {rows}")
        raise SchemaError(msg)


def require_valid_geometry(gdf: gpd.GeoDataFrame, *, source: str) -> None:
    """Raise if the frame has no CRS or any empty/missing geometry."""
    if gdf.crs is None:
        msg = f"{source}: no CRS; save it with a CRS (EPSG:27700 or EPSG:4326)"
        raise CrsError(msg)
    empty = gdf.geometry.isna() | gdf.geometry.is_empty
    if empty.any():
        rows = (np.flatnonzero(empty.to_numpy())[:5] + 1).tolist()
        msg = f"{source}: empty or missing geometry in feature(s) {rows}"
        raise SchemaError(msg)
