"""Treatment-client extracts: read, map to LSOA 2021, count, and summarise by deprivation.

No public client-level data exists; services upload their own extract (one row per client)
or generate a clearly labelled synthetic one with :func:`synthetic_clients`.

Privacy rules (``docs/privacy.md``):

* the extract is read in memory (:func:`geo.data.uploads.read_user_csv`); nothing is written;
* each row gets a record key (:func:`geo.measures.cellkey.record_keys`, from the installation's
  secret and the row) before its postcode is mapped to LSOA 2021 and **dropped**: no returned
  frame, log line or error message contains a postcode value (problems are given as
  ``row 17: postcode not found``);
* unmapped rows are kept and reported by row number, never silently dropped;
* nothing is counted here: every published number (the CLI, the app, reports) is a sum of the
  extract's one protected base (:func:`geo.measures.client_base.build_client_base`, cell key method).

Row numbers are data rows: row 1 is the first line after the header.

"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.config import Settings
from geo.data.geocode import geocode_postcodes
from geo.data.loaders import load_postcodes
from geo.data.tables import load_lsoa_table
from geo.measures.cellkey import record_keys, secret_for

if TYPE_CHECKING:
    from geo.data.areas import Area

logger = logging.getLogger(__name__)

POSTCODE_ALIASES = ("postcode", "post_code", "pcd", "client_postcode", "home_postcode", "postcode_of_residence")
LSOA_ALIASES = ("lsoa21cd", "lsoa21", "lsoa_2021", "lsoa_code", "lsoa")
SUBSTANCE_ALIASES = ("substance_group", "substance", "drug_group", "primary_substance")
TREATMENT_ALIASES = ("in_treatment", "in_treatment_yn", "treatment")
DATE_ALIASES = ("date", "referral_date", "episode_start", "start_date", "triage_date")
CLIENT_COLUMNS = ("row", "lsoa21cd", "geo_status", "substance_group", "in_treatment", "date", "synthetic",
                  "record_key")
_YES = {"y", "yes", "true", "1", "t"}
_NO = {"n", "no", "false", "0", "f"}
_LSOA21 = re.compile(r"^E01\d{6}$")
#: Clients per adult in each national IMD quintile relative to the area average, from the
#: Northamptonshire 2013-14 CRI data (seed 001:964-967: 38.5% of clients vs 12.6% of adults in the
#: most deprived quintile -> 3.06; 8.4% vs 31.0% in the least deprived -> 0.27; the middle
#: quintiles are interpolated geometrically).  Used only to make synthetic extracts realistic.
SEED_QUINTILE_RATE_RATIOS = (3.06, 1.6, 0.95, 0.5, 0.27)
SUBSTANCE_GROUPS = ("opiate", "non-opiate only", "non-opiate and alcohol", "alcohol only")
_SUBSTANCE_SHARES = (0.40, 0.15, 0.12, 0.33)


def _find(df: pd.DataFrame, aliases: tuple[str, ...]) -> str | None:
    return next((c for c in aliases if c in df.columns), None)


def _settings(settings: Settings | None) -> Settings:
    return settings if settings is not None else Settings.from_env()


def read_client_extract(src: str | Path | bytes | pd.DataFrame, settings: Settings | None = None, *,
                        source: str | None = None, max_unmapped_share: float = 1.0) -> pd.DataFrame:
    """Read a client extract (one row per client) and map each client to an LSOA 2021.

    Parameters
    ----------
    src
        CSV path, bytes of an upload, or an already-read frame.  Needs a ``postcode`` column
        or an ``lsoa21cd`` column (aliases accepted); optional ``substance_group``,
        ``in_treatment`` (yes/no) and ``date`` (ISO or day-first).  A ``synthetic`` column is
        carried over (True/False).
    settings
        Bundle settings (postcode and LSOA tables).
    source
        Name of the file for messages (default the path, or ``upload``).
    max_unmapped_share
        Raise if more than this share of rows cannot be mapped (default 1.0: only when none map).

    Returns
    -------
    pandas.DataFrame
        One row per input row: ``row`` (1-based data row), ``lsoa21cd`` (NA when unmapped),
        ``geo_status`` (``postcode``, ``lsoa``, ``missing``, ``invalid``, ``not_found``,
        ``bad_lsoa``), ``substance_group``, ``in_treatment`` (boolean, NA if blank), ``date``,
        ``synthetic``, ``record_key`` (0-255, for the cell key method).  **No postcode column.**  ``attrs["problems"]`` lists unmapped rows as
        ``{"row": 17, "problem": "postcode not found"}`` and ``attrs["summary"]`` the counts.

    Raises
    ------
    InputError
        No postcode/LSOA column, unreadable values, or too few rows mapped; messages name the
        row and column, never the postcode.
    """
    s = _settings(settings)
    if isinstance(src, pd.DataFrame):
        raw = src.copy()
        raw.columns = [str(c).strip().lower().replace(" ", "_") for c in raw.columns]
        name = source or "client extract"
    else:
        from geo.data.uploads import read_user_csv

        name = source or (str(src) if not isinstance(src, bytes | bytearray) else "upload")
        raw = read_user_csv(src, source=name)
    pc_col, lsoa_col = _find(raw, POSTCODE_ALIASES), _find(raw, LSOA_ALIASES)
    if pc_col is None and lsoa_col is None:
        raise InputError(_no_key_column(raw, name))
    keys = record_keys(raw, secret_for(s))
    n = len(raw)
    lsoa = pd.Series(pd.NA, index=raw.index, dtype="string")
    status = pd.Series("missing", index=raw.index, dtype="object")
    valid_lsoas = load_lsoa_table(s).index
    if lsoa_col is not None:
        codes = raw[lsoa_col].fillna("").astype(str).str.strip().str.upper()
        has = codes != ""
        good = has & codes.str.match(_LSOA21.pattern) & codes.isin(valid_lsoas)
        lsoa[good] = codes[good]
        status[good] = "lsoa"
        status[has & ~good] = "bad_lsoa"
    if pc_col is not None:
        todo = lsoa.isna()
        if todo.any():
            g = geocode_postcodes(raw.loc[todo, pc_col].fillna("").astype(str), s)
            g.index = raw.index[todo.to_numpy()]
            found = g["status"] == "found"
            lsoa[found[found].index] = g.loc[found, "lsoa21cd"].astype("string")
            st = g["status"].map({"found": "postcode", "missing": "missing", "invalid": "invalid",
                                  "unknown": "not_found"})
            keep_bad_lsoa = status[todo] == "bad_lsoa"
            status[todo] = np.where(keep_bad_lsoa & (st != "postcode"), "bad_lsoa", st)
    out = pd.DataFrame({"row": np.arange(1, n + 1), "lsoa21cd": lsoa.to_numpy(), "geo_status": status.to_numpy()})
    out["substance_group"] = _substance(raw, name)
    out["in_treatment"] = _yes_no(raw, name)
    out["date"] = _dates(raw, name)
    syn = raw["synthetic"].fillna("").astype(str).str.strip().str.lower() if "synthetic" in raw.columns else None
    out["synthetic"] = syn.isin(_YES).to_numpy() if syn is not None else False
    out["record_key"] = keys
    problems = _problems(out)
    mapped = int(out["lsoa21cd"].notna().sum())
    out.attrs = {"source": Path(name).name, "problems": problems,
                 "summary": {"rows": n, "mapped": mapped, "unmapped": n - mapped,
                             **{k: int(v) for k, v in out["geo_status"].value_counts().items()}}}
    logger.info("%s: client extract read; postcodes mapped to LSOA 2021 and dropped", Path(name).name)
    if mapped == 0 or (n - mapped) / n > max_unmapped_share:
        rows = ", ".join(f"row {p['row']}: {p['problem']}" for p in problems[:5])
        msg = (f"{name}: {n - mapped} of {n} rows could not be mapped to an LSOA ({rows}); check the "
               "postcode column holds full English postcodes (e.g. 'NN1 5BA') or lsoa21cd holds LSOA 2021 codes")
        raise InputError(msg)
    return out


def _no_key_column(raw: pd.DataFrame, name: str) -> str:
    """Why no postcode/LSOA column was found, naming column numbers, never quoting the file."""
    from geo.data.uploads import column_kinds, header_problem

    kinds = column_kinds(raw)
    hint = next((f"column {i} looks like {k}" for i, k in kinds.items() if k in ("postcodes", "LSOA codes")), None)
    head = header_problem([str(c) for c in raw.columns])
    if head is not None:
        return (f"{name}: {head}; add a header row with a 'postcode' (or 'lsoa21cd') column above the "
                "first client")
    fix = f" ({hint}: rename its header to 'postcode' or 'lsoa21cd')" if hint else ""
    return (f"{name}: needs a 'postcode' or an 'lsoa21cd' column (one row per client); none of its "
            f"{len(raw.columns)} column(s) has that name{fix}")


def _problems(out: pd.DataFrame) -> list[dict[str, Any]]:
    words = {"missing": "no postcode or LSOA", "invalid": "postcode not in a valid format",
             "not_found": "postcode not found (terminated, mistyped, or outside England)",
             "bad_lsoa": "not an English LSOA 2021 code"}
    bad = out[out["lsoa21cd"].isna()]
    return [{"row": int(r), "problem": words.get(st, st)} for r, st in zip(bad["row"], bad["geo_status"], strict=True)]


def _substance(raw: pd.DataFrame, name: str) -> np.ndarray:
    col = _find(raw, SUBSTANCE_ALIASES)
    if col is None:
        return np.full(len(raw), pd.NA, dtype=object)
    return raw[col].fillna("").astype(str).str.strip().str.lower().replace("", pd.NA).to_numpy()


def _yes_no(raw: pd.DataFrame, name: str) -> pd.arrays.BooleanArray:
    col = _find(raw, TREATMENT_ALIASES)
    if col is None:
        return pd.array([pd.NA] * len(raw), dtype="boolean")
    v = raw[col].fillna("").astype(str).str.strip().str.lower()
    bad = (v != "") & ~v.isin(_YES | _NO)
    if bad.any():
        rows = ", ".join(str(i + 1) for i in np.flatnonzero(bad.to_numpy())[:5])
        msg = f"{name}: column {col!r} must be yes/no (row {rows}); use yes, no or leave blank"
        raise InputError(msg)
    arr = pd.array([True if x in _YES else False if x in _NO else pd.NA for x in v], dtype="boolean")
    return arr


def _dates(raw: pd.DataFrame, name: str) -> pd.Series:
    col = _find(raw, DATE_ALIASES)
    if col is None:
        return pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]").to_numpy()
    text = raw[col].fillna("").astype(str).str.strip()
    iso = text.str.match(r"^\d{4}-\d{2}-\d{2}")
    parsed = pd.to_datetime(text.where(iso), errors="coerce", format="ISO8601")
    other = ~iso & (text != "")
    if other.any():
        parsed[other] = pd.to_datetime(text[other], errors="coerce", dayfirst=True, format="mixed")
    bad = (text != "") & parsed.isna()
    if bad.any():
        rows = ", ".join(str(i + 1) for i in np.flatnonzero(bad.to_numpy())[:5])
        msg = f"{name}: column {col!r} has dates that cannot be read (row {rows}); use YYYY-MM-DD"
        raise InputError(msg)
    return parsed.to_numpy()


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
