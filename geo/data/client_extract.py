"""Reading a treatment-client extract and mapping each client to an LSOA 2021 (data layer).

The upload is read in memory (:func:`geo.data.uploads.read_user_csv`) and each row's postcode
is geocoded (:func:`geo.data.geocode.geocode_postcodes`) or its LSOA code checked, then the
postcode is **dropped**: no returned frame, log line or error message contains a postcode value
(problems are given as ``row 17: postcode not found``).  Unmapped rows are kept and reported by
row number, never silently dropped.  Row numbers are data rows: row 1 is the first line after the
header.  Nothing is counted here: :mod:`geo.measures.clients` adds the record keys and every
published number is a sum of the extract's protected base (``docs/privacy.md``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.config import Settings
from geo.data.geocode import geocode_postcodes
from geo.data.tables import load_lsoa_table
from geo.data.uploads import column_kinds, header_problem, read_user_csv

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


def _find(df: pd.DataFrame, aliases: tuple[str, ...]) -> str | None:
    return next((c for c in aliases if c in df.columns), None)


def read_client_rows(src: str | Path | bytes | pd.DataFrame, settings: Settings, *,
                     record_keys: Callable[[pd.DataFrame], np.ndarray], source: str | None = None,
                     max_unmapped_share: float = 1.0) -> pd.DataFrame:
    """Read a client extract (one row per client) and map each client to an LSOA 2021.

    The measures layer calls this through :func:`geo.measures.clients.read_client_extract`,
    which supplies ``record_keys`` (the cell key method's keys, from the installation's secret).

    Parameters
    ----------
    src
        CSV path, bytes of an upload, or an already-read frame.  Needs a ``postcode`` column
        or an ``lsoa21cd`` column (aliases accepted); optional ``substance_group``,
        ``in_treatment`` (yes/no) and ``date`` (ISO or day-first).  A ``synthetic`` column is
        carried over (True/False).
    settings
        Bundle settings (postcode and LSOA tables).
    record_keys
        Called once with the extract as read (column names normalised, postcodes still there)
        after its columns are checked; returns one record key per row.
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
    s = settings
    if isinstance(src, pd.DataFrame):
        raw = src.copy()
        raw.columns = [str(c).strip().lower().replace(" ", "_") for c in raw.columns]
        name = source or "client extract"
    else:
        name = source or (str(src) if not isinstance(src, bytes | bytearray) else "upload")
        raw = read_user_csv(src, source=name)
    pc_col, lsoa_col = _find(raw, POSTCODE_ALIASES), _find(raw, LSOA_ALIASES)
    if pc_col is None and lsoa_col is None:
        raise InputError(_no_key_column(raw, name))
    keys = record_keys(raw)
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


__all__ = ["CLIENT_COLUMNS", "DATE_ALIASES", "LSOA_ALIASES", "POSTCODE_ALIASES", "SUBSTANCE_ALIASES",
           "TREATMENT_ALIASES", "read_client_rows"]
