"""Disclosure checks: every client output is scanned before it is shown or written.

Client figures are protected by the cell key method (:mod:`geo.measures.cellkey`,
:mod:`geo.measures.client_base`): no published count is ever 1 to :data:`SMALL_COUNT`.  This
module checks that promise and the other rules of ``docs/privacy.md`` on whatever is about to
leave ``geo``:

* :func:`check_disclosure` raises :class:`~geo._errors.DisclosureError` if a frame shows a count
  of 1-4, a postcode-like string or a record-level identifier column;
* :func:`scan_file` scans written CSV / GeoJSON / HTML / GeoPackage / JSON / Markdown outputs
  (the test suite scans every file it writes).

Findings never contain the postcode found, only its outward code.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from geo._errors import DisclosureError, InputError
from geo.measures.cellkey import SMALL_COUNT

logger = logging.getLogger(__name__)

#: Smallest count that may appear in an output (counts 1..SMALL_COUNT never do): the one place
#: the threshold comes from is the ptable's js (:data:`geo.measures.cellkey.SMALL_COUNT`).
DEFAULT_THRESHOLD = SMALL_COUNT + 1
#: Full UK postcode, upper case with one space (outward code, space, inward code).
POSTCODE_RE = re.compile(r"(?<![A-Z0-9])(GIR 0AA|[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2})(?![A-Z0-9])")
#: Same, also matching lower case and missing or doubled spaces (used on whole cells).
POSTCODE_LOOSE_RE = re.compile(r"^\s*([A-Z]{1,2}[0-9][A-Z0-9]?)\s{0,2}([0-9][A-Z]{2})\s*$", re.IGNORECASE)
#: Column names that mark record-level (person) data; outputs must never carry them.
IDENTIFIER_COLUMNS = frozenset({
    "client_id", "patient_id", "person_id", "nhs_number", "nhs_no", "nhsnumber", "date_of_birth", "dob",
    "postcode", "post_code", "pcd", "client_postcode", "home_postcode", "forename", "surname",
    "full_name", "first_name", "last_name", "address", "home_address", "email", "phone", "telephone",
})
#: Name fragments of columns that hold counts of people (checked by :func:`check_disclosure`).
COUNT_HINTS = ("count", "clients", "deaths", "people", "persons", "patients", "cases", "number", "n_")
#: Name fragments of derived (non-count) columns.
NON_COUNT_HINTS = ("rate", "per_", "share", "pct", "percent", "ratio", "mean", "median", "proportion",
                   "adults", "population", "rank", "decile", "quintile", "score", "minutes", "metres",
                   "_km", "year", "error")


def _mask_postcode(pc: str) -> str:
    compact = re.sub(r"[^A-Z0-9]", "", str(pc).upper())
    return f"{compact[:-3]} ***" if len(compact) > 3 else "***"


# --------------------------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------------------------
def scan_text_for_postcodes(text: str, *, allowed: Iterable[str] = (), loose: bool = False) -> list[str]:
    """Postcode-like strings in a text, masked to their outward code (``"NN1 ***"``).

    Parameters
    ----------
    text
        Any text (a CSV line, HTML, JSON ...).
    allowed
        Postcodes that may appear (e.g. public addresses of service sites).
    loose
        Also match lower case and no-space forms (more false positives in HTML/hex).

    Returns
    -------
    list of str
        One masked entry per match, in order (empty when none).
    """
    if loose:
        pattern = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{1,2}[0-9][A-Za-z0-9]?) ?([0-9][A-Za-z]{2})(?![A-Za-z0-9])")
        found = [f"{m[1]} {m[2]}" for m in pattern.finditer(text)]
    else:
        found = [m[1] for m in POSTCODE_RE.finditer(text)]
    if not found:  # the allowed set (~20k public postcodes) is only needed when something matched
        return []
    ok = {_norm_pc(a) for a in allowed}
    return [_mask_postcode(p) for p in found if _norm_pc(p) not in ok]


@lru_cache(maxsize=200_000)  # called for every allowed postcode on every scanned line
def _norm_pc(pc: str) -> str:
    s = re.sub(r"[^A-Z0-9]", "", str(pc).upper())
    return f"{s[:-3]} {s[-3:]}" if len(s) > 3 else s


def _is_count_col(name: str, series: pd.Series) -> bool:
    n = str(name).lower()
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return False
    if any(h in n for h in NON_COUNT_HINTS):
        return False
    return any(h in n for h in COUNT_HINTS)


def _all_allowed_postcodes(col: pd.Series, allowed: set[str]) -> bool:
    """True for a postcode column whose every value is a public service-site postcode."""
    if not allowed or ("post" not in str(col.name).lower() and str(col.name).lower() != "pcd"):
        return False
    values = col.dropna().astype(str)
    values = values[values.str.strip() != ""]
    return bool(values.map(_norm_pc).isin(allowed).all())


def find_disclosure_problems(df: pd.DataFrame, *, count_cols: Sequence[str] | None = None,
                             threshold: int = DEFAULT_THRESHOLD, allowed_postcodes: Iterable[str] = (),
                             source: str = "output") -> list[str]:
    """Every disclosure problem of a frame, as messages (never containing a postcode).

    Count columns are ``count_cols`` or, by default, numeric columns whose names look like
    counts of people (``clients``, ``deaths``, ``count``, ``n_`` ...) and not like rates.
    """
    problems: list[str] = []
    frame = df.reset_index() if not isinstance(df.index, pd.RangeIndex) else df
    ok = {_norm_pc(a) for a in allowed_postcodes}
    ident = [c for c in frame.columns if str(c).strip().lower() in IDENTIFIER_COLUMNS
             and not _all_allowed_postcodes(frame[c], ok)]
    if ident:
        problems.append(f"{source}: record-level identifier column(s) {ident}; outputs must hold aggregates only")
    cols = list(count_cols) if count_cols is not None else [c for c in frame.columns if _is_count_col(c, frame[c])]
    for c in cols:
        if c not in frame.columns:
            continue
        v = pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float)
        small = np.flatnonzero((v >= 1) & (v < threshold))
        if len(small):
            rows = ", ".join(str(i + 1) for i in small[:5])
            problems.append(f"{source}: column {c!r} shows {len(small)} count(s) between 1 and {threshold - 1} "
                            f"(row {rows}{' ...' if len(small) > 5 else ''}); publish client counts only "
                            "as sums of the extract's protected base (geo.measures.client_base)")
    for c in frame.columns:
        header_hits = scan_text_for_postcodes(str(c), allowed=ok)
        if header_hits:
            problems.append(f"{source}: column name {c!r} looks like a postcode")
        col = frame[c]
        if not (pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col)):
            continue
        text = col.dropna().astype(str)
        hit = text.map(lambda v: bool(POSTCODE_LOOSE_RE.match(v) or POSTCODE_RE.search(v)))
        if ok and hit.any():  # a Python set lookup: arrow-string isin() against 20k values takes seconds
            hit &= ~text.map(lambda v: _norm_pc(v) in ok)
        if hit.any():
            row_numbers = [int(frame.index.get_loc(i)) + 1 for i in text.index[hit.to_numpy()][:5]]
            problems.append(f"{source}: column {c!r} holds {int(hit.sum())} postcode-like value(s) "
                            f"(row {', '.join(map(str, row_numbers))}); outputs must not contain postcodes")
    return problems


def check_disclosure(df: pd.DataFrame, *, count_cols: Sequence[str] | None = None,
                     threshold: int = DEFAULT_THRESHOLD, allowed_postcodes: Iterable[str] = (),
                     source: str = "output") -> None:
    """Raise if a frame would disclose small counts, postcodes or record-level data.

    Parameters
    ----------
    df
        The frame about to be shown or written (index included in the checks).
    count_cols
        Count columns to check; default: detected by name (see :func:`find_disclosure_problems`).
    threshold
        Smallest count that may be shown.
    allowed_postcodes
        Postcodes allowed to appear (public service-site addresses).
    source
        Name used in messages.

    Raises
    ------
    DisclosureError
        Listing every problem (row numbers and columns, never the values).
    """
    problems = find_disclosure_problems(df, count_cols=count_cols, threshold=threshold,
                                        allowed_postcodes=allowed_postcodes, source=source)
    if problems:
        raise DisclosureError("; ".join(problems))


def scan_file(path: str | Path, *, allowed_postcodes: Iterable[str] = (), threshold: int = DEFAULT_THRESHOLD,
              check_counts: bool = True) -> list[str]:
    """Disclosure findings for a written output file (empty list = clean).

    CSV, GeoJSON/JSON and GeoPackage files are read as tables and checked like
    :func:`check_disclosure` (counts detected by column name); every other text file (HTML,
    Markdown, TXT) is scanned for postcode-like strings.  Findings give line or row numbers and
    the masked outward code only.

    Parameters
    ----------
    path
        The output file.
    allowed_postcodes
        Postcodes allowed to appear (public service-site addresses).
    threshold
        Smallest count that may be shown.
    check_counts
        Also check count columns of tabular files.

    Returns
    -------
    list of str
        Findings, one message each.
    """
    p = Path(path)
    if not p.is_file():
        msg = f"{p}: file not found"
        raise InputError(msg)
    name = p.name.lower()
    allowed = list(allowed_postcodes)
    findings: list[str] = []
    frame: pd.DataFrame | None = None
    if name.endswith((".csv", ".csv.gz")):
        frame = pd.read_csv(p, dtype=str, keep_default_na=False)
        for c in frame.columns:
            num = pd.to_numeric(frame[c], errors="coerce")
            if num.notna().sum() == (frame[c] != "").sum():
                frame[c] = num
    elif name.endswith(".gpkg"):
        import geopandas as gpd
        import pyogrio

        frames = [gpd.read_file(p, layer=layer[0], engine="pyogrio") for layer in pyogrio.list_layers(p)]
        frame = pd.concat([pd.DataFrame(f.drop(columns="geometry", errors="ignore")) for f in frames],
                          ignore_index=True) if frames else pd.DataFrame()
    elif name.endswith((".geojson", ".json")):
        text = p.read_text(encoding="utf-8", errors="replace")
        try:
            obj = json.loads(text)
        except json.JSONDecodeError:
            obj = None
        if isinstance(obj, dict) and isinstance(obj.get("features"), list):
            frame = pd.DataFrame([f.get("properties") or {} for f in obj["features"]])
        findings += [f"{p.name}: line {ln}: postcode-like string {m}" for ln, m in _scan_lines(text, allowed)]
    else:
        text = p.read_text(encoding="utf-8", errors="replace")
        findings += [f"{p.name}: line {ln}: postcode-like string {m}" for ln, m in _scan_lines(text, allowed)]
    if frame is not None:
        found = find_disclosure_problems(frame, threshold=threshold, allowed_postcodes=allowed, source=p.name)
        if not check_counts:
            found = [f for f in found if "count(s) between" not in f]
        findings += [f for f in found if f not in findings]
    return findings


def _scan_lines(text: str, allowed: Iterable[str]) -> list[tuple[int, str]]:
    ok = {_norm_pc(a) for a in allowed}  # once per file, not once per line (30,000 site postcodes)
    out = []
    for i, line in enumerate(text.splitlines(), start=1):
        out += [(i, _mask_postcode(m[1])) for m in POSTCODE_RE.finditer(line) if _norm_pc(m[1]) not in ok]
    return out
