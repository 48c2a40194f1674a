"""The one schema every sites frame follows (registry, pharmacies, user lists, OSM harvests).

Columns are :data:`SITE_COLUMNS`; ``site_type`` is a key of
:data:`geo.data.site_types.SITE_TYPES`; ``services`` is ``;``-separated text (see
:mod:`geo.data.services`); ``source_rank`` orders sources when the same ``site_id`` comes from
several (registry 0 < OpenStreetMap 1 < user list 2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo.crs import BNG
from geo.data.services import services_column

if TYPE_CHECKING:
    import geopandas as gpd

PRECISIONS = ("address", "postcode", "town", "coordinates")
SITE_COLUMNS = ("site_id", "name", "site_type", "services", "provider", "address", "town", "postcode",
                "opening_hours", "opening_hours_text", "hours_source", "location_precision", "capacity",
                "status", "source", "commissioner", "easting", "northing")
_NUMERIC = {"easting", "northing", "capacity"}
#: Ranks of sources: a higher rank overrides hours and capacity of the same site_id.
RANK_REGISTRY, RANK_OSM, RANK_USER = 0, 1, 2


def empty_sites() -> gpd.GeoDataFrame:
    """A sites frame with no rows (every column present)."""
    import geopandas as gpd

    df = pd.DataFrame({c: pd.Series(dtype="float64" if c in _NUMERIC else "object") for c in SITE_COLUMNS})
    df["source_rank"] = pd.Series(dtype="int64")
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy([], []), crs=BNG)


def to_site_gdf(df: pd.DataFrame, *, rank: int | None = None, source: str = "sites") -> gpd.GeoDataFrame:
    """Standardise ``df`` to :data:`SITE_COLUMNS` (extra columns kept after them), points in EPSG:27700."""
    import geopandas as gpd

    df = df.copy()
    for c in SITE_COLUMNS:
        if c not in df.columns:
            df[c] = np.nan if c in _NUMERIC else ""
    if rank is not None or "source_rank" not in df.columns:
        df["source_rank"] = RANK_REGISTRY if rank is None else rank
    df["services"] = services_column(df, source=source)
    df = df[[*SITE_COLUMNS, *[c for c in df.columns if c not in SITE_COLUMNS]]].reset_index(drop=True)
    for c in ("opening_hours", "opening_hours_text", "provider", "address", "town", "postcode", "commissioner",
              "hours_source"):
        df[c] = df[c].fillna("").astype(str)
    with_hours = (df["opening_hours"].str.strip() != "") & (df["hours_source"] == "")
    df.loc[with_hours, "hours_source"] = df.loc[with_hours, "source"].astype(str)
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["easting"], df["northing"]), crs=BNG)
