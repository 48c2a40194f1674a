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
    stops = load_naptan(s, missing_ok=True)
    stops = stops[stops["status"].astype(str).str.lower() == "active"] if "status" in stops else stops
    naptan = (stops.assign(town=_town_key(stops["locality_name"].astype(str)))
              .groupby("town")[["easting", "northing"]].agg(["median", "size"]))
    naptan = pd.DataFrame({"easting": naptan[("easting", "median")], "northing": naptan[("northing", "median")],
                           "n_points": naptan[("easting", "size")]})
    frames = []
    for df in (load_pharmacies(s, active_only=False), load_gp_practices(s, active_only=False)):
        addr = df[[c for c in ("address_1", "address_2", "address_3", "address_4") if c in df.columns]]
        arr = addr.to_numpy(dtype=object)
        filled = pd.notna(arr) & (arr != "")
        pos = np.where(filled.any(axis=1), arr.shape[1] - 1 - np.argmax(filled[:, ::-1], axis=1), 0)
        last = _town_key(pd.Series(arr[np.arange(len(arr)), pos], dtype="string").fillna(""))
        frames.append(pd.DataFrame({"town": last, "easting": df["easting"], "northing": df["northing"]}))
    ods_all = pd.concat(frames).dropna(subset=["easting"])
    g = ods_all.groupby("town")
    ods = pd.DataFrame({"easting": g["easting"].median(), "northing": g["northing"].median(),
                        "n_points": g.size()})
    return naptan, ods
