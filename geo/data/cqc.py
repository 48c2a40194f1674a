"""CQC care directory: regulated 'community based services for people who misuse substances'.

Real users download the CQC "care directory with filters" (CSV, OGL) from
https://www.cqc.org.uk/about-us/transparency/using-cqc-data and load it with
:func:`read_cqc_directory`; the locations become sites at postcode precision.  The file is not
in the offline bundle (registered in ``geo.data.sources.EXTRA_SOURCES``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from geo._errors import SchemaError
from geo.config import Settings
from geo.data.uploads import read_user_csv

if TYPE_CHECKING:
    import geopandas as gpd

logger = logging.getLogger(__name__)

SUBSTANCE_SERVICE = "community based services for people who misuse substances"
#: CQC column names (lower-cased, spaces as underscores by the reader) we need.
CQC_COLUMNS = ("name", "address", "postcode", "service_types")


def read_cqc_directory(src: str | Path | bytes, settings: Settings | None = None, *,
                       source: str | None = None, on_unlocated: str = "report") -> gpd.GeoDataFrame:
    """Substance-misuse locations from a CQC care-directory CSV, as sites (type ``hub``).

    Rows whose ``Service types`` include "Community based services for people who misuse
    substances" are kept; postcodes are geocoded offline; unknown postcodes are listed by
    :func:`geo.data.sites.unlocated_sites` (``on_unlocated='report'``) or raised (``'error'``).
    """
    from geo.data.sites import sites_from_table

    s = settings if settings is not None else Settings.from_env()
    name = source or str(src if not isinstance(src, bytes | bytearray) else "cqc upload")
    df = read_user_csv(src, source=name, max_bytes=s.max_upload_bytes)
    missing = [c for c in CQC_COLUMNS if c not in df.columns]
    if missing:
        msg = (f"{name}: not a CQC care directory file; missing column(s) {', '.join(missing)}. Download "
               "'care directory with filters' from cqc.org.uk (Using CQC data)")
        raise SchemaError(msg)
    keep = df["service_types"].fillna("").str.lower().str.contains(SUBSTANCE_SERVICE, regex=False)
    sub = df[keep]
    logger.info("%s: %d of %d CQC locations provide substance misuse services", name, len(sub), len(df))
    provider = sub.get("provider_name", "")
    loc_id = sub.get("cqc_location_id_(for_office_use_only)", pd.Series("", index=sub.index)).fillna("")
    table = pd.DataFrame({
        "site_id": ("cqc:" + loc_id).where(loc_id != "", ""),
        "name": sub["name"], "site_type": "hub", "provider": provider,
        "address": sub["address"], "postcode": sub["postcode"],
    })
    return sites_from_table(table, s, source=name, on_unlocated=on_unlocated)
