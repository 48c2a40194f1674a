"""Treatment-client extracts: key each client for disclosure control, group by deprivation, and
make clearly labelled synthetic extracts.

No public client-level data exists; services upload their own extract (one row per client)
or generate a synthetic one with :func:`synthetic_clients`.  The upload path flows data ->
measures: :func:`geo.data.client_extract.read_client_rows` reads the extract in memory, maps each
postcode to an LSOA 2021 and drops it; :func:`read_client_extract` gives it the record key of the
cell key method (:func:`geo.measures.cellkey.record_keys`, from the installation's secret and the
row, taken before the postcode is dropped).  Nothing is counted here: every published number (the
CLI, the app, reports) is a sum of the extract's one protected base
(:func:`geo.measures.client_base.build_client_base`).  See ``docs/privacy.md``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.config import Settings
from geo.data.client_extract import read_client_rows
from geo.data.loaders import load_postcodes
from geo.measures.cellkey import record_keys, secret_for

if TYPE_CHECKING:
    from geo.data.areas import Area

logger = logging.getLogger(__name__)

#: Clients per adult in each national IMD quintile relative to the area average, from the
#: Northamptonshire 2013-14 CRI data (seed 001:964-967: 38.5% of clients vs 12.6% of adults in the
#: most deprived quintile -> 3.06; 8.4% vs 31.0% in the least deprived -> 0.27; the middle
#: quintiles are interpolated geometrically).  Used only to make synthetic extracts realistic.
SEED_QUINTILE_RATE_RATIOS = (3.06, 1.6, 0.95, 0.5, 0.27)
SUBSTANCE_GROUPS = ("opiate", "non-opiate only", "non-opiate and alcohol", "alcohol only")
_SUBSTANCE_SHARES = (0.40, 0.15, 0.12, 0.33)


def _settings(settings: Settings | None) -> Settings:
    return settings if settings is not None else Settings.from_env()


def read_client_extract(src: str | Path | bytes | pd.DataFrame, settings: Settings | None = None, *,
                        source: str | None = None, max_unmapped_share: float = 1.0) -> pd.DataFrame:
    """Read a client extract (one row per client), map each client to an LSOA 2021 and key it.

    The reading and mapping are :func:`geo.data.client_extract.read_client_rows` (see it for the
    columns accepted and returned); this adds each row's record key (0-255,
    :func:`geo.measures.cellkey.record_keys`, from the installation's secret and the row, taken
    before the postcode is dropped) for the cell key method.

    Parameters
    ----------
    src
        CSV path, bytes of an upload, or an already-read frame (``postcode`` or ``lsoa21cd``
        column; optional ``substance_group``, ``in_treatment``, ``date``, ``synthetic``).
    settings
        Bundle settings (postcode and LSOA tables, the cell key secret).
    source, max_unmapped_share
        As for :func:`geo.data.client_extract.read_client_rows` (file name for messages; the
        share of rows that may stay unmapped).

    Returns
    -------
    pandas.DataFrame
        :data:`geo.data.client_extract.CLIENT_COLUMNS`, one row per input row.  **No postcode
        column.**  ``attrs["problems"]`` lists unmapped rows, ``attrs["summary"]`` the counts.

    Raises
    ------
    InputError
        No postcode/LSOA column, unreadable values, or too few rows mapped; messages name the
        row and column, never the postcode.
    """
    s = _settings(settings)
    return read_client_rows(src, s, record_keys=lambda raw: record_keys(raw, secret_for(s)), source=source,
                            max_unmapped_share=max_unmapped_share)


# --------------------------------------------------------------------------------------------
# deprivation groups
# --------------------------------------------------------------------------------------------
def imd_quintile(decile: pd.Series) -> pd.Series:
    """National IMD quintile (1 = most deprived 20%) from the decile."""
    return ((decile.astype(int) + 1) // 2).astype(int)


# --------------------------------------------------------------------------------------------
# synthetic extracts
# --------------------------------------------------------------------------------------------
def synthetic_clients(area: Area, n: int, seed: int, settings: Settings | None = None, *,
                      rate_ratios: tuple[float, ...] = SEED_QUINTILE_RATE_RATIOS,
                      decile_col: str = "imd_decile") -> pd.DataFrame:
    """A synthetic client extract: real postcodes in the area, sampled with the seed's deprivation pattern.

    Each client's LSOA is drawn with probability proportional to adults x the quintile rate
    ratio (:data:`SEED_QUINTILE_RATE_RATIOS`), then a live postcode is drawn uniformly within
    that LSOA.  **The rows are invented**; every row has ``synthetic=True``.

    Parameters
    ----------
    area
        Study area (core LSOAs are sampled).
    n
        Number of synthetic clients (1 to 1,000,000).
    seed
        Random seed; the same seed, area and bundle give the same extract.
    settings
        Bundle settings.
    rate_ratios
        Relative clients-per-adult in IMD quintiles 1..5.
    decile_col
        IMD decile column used for the gradient.

    Returns
    -------
    pandas.DataFrame
        Columns ``client_ref`` (``SYN000001``...), ``postcode``, ``substance_group``,
        ``in_treatment`` (yes/no), ``date`` (ISO, in 2024), ``synthetic`` (True).
    """
    if not isinstance(n, int | np.integer) or not 1 <= n <= 1_000_000:
        msg = f"n={n!r}: the number of synthetic clients must be a whole number from 1 to 1,000,000"
        raise InputError(msg)
    if len(rate_ratios) != 5 or min(rate_ratios) < 0:
        msg = "rate_ratios: give 5 non-negative numbers (IMD quintile 1 = most deprived first)"
        raise InputError(msg)
    s = _settings(settings)
    rng = np.random.default_rng(int(seed))
    lsoas = area.lsoas.sort_index()
    pcs = load_postcodes(s)
    pcs = pcs[pcs["lsoa21cd"].isin(lsoas.index)]
    by_lsoa = pcs.reset_index().sort_values(["lsoa21cd", "pcd"]).groupby("lsoa21cd")["pcd"].agg(list)
    lsoas = lsoas[lsoas.index.isin(by_lsoa.index)]
    if lsoas.empty:
        msg = f"{area.name}: no live postcodes found in its LSOAs; cannot sample synthetic clients"
        raise InputError(msg)
    ratio = np.asarray(rate_ratios, dtype=float)[imd_quintile(lsoas[decile_col]).to_numpy() - 1]
    weight = lsoas["adults"].to_numpy(dtype=float) * ratio
    pick = rng.choice(len(lsoas), size=int(n), p=weight / weight.sum())
    codes = lsoas.index.to_numpy()[pick]
    lists = by_lsoa.reindex(lsoas.index)
    sizes = lists.map(len).to_numpy()[pick]
    within = (rng.random(int(n)) * sizes).astype(int)
    postcodes = [lists.iloc[i][j] for i, j in zip(pick, within, strict=True)]
    start = np.datetime64("2024-01-01")
    out = pd.DataFrame({
        "client_ref": [f"SYN{i:06d}" for i in range(1, int(n) + 1)],
        "postcode": postcodes,
        "substance_group": rng.choice(SUBSTANCE_GROUPS, size=int(n), p=_SUBSTANCE_SHARES),
        "in_treatment": np.where(rng.random(int(n)) < 0.8, "yes", "no"),
        "date": (start + rng.integers(0, 366, size=int(n)).astype("timedelta64[D]")).astype(str),
        "synthetic": True,
    })
    out.attrs = {"synthetic": True, "area": area.name, "seed": int(seed), "lsoa21cd": codes}
    logger.info("synthetic clients: %d for %s (seed %d) from %d LSOAs", int(n), area.name, int(seed), len(lsoas))
    return out
