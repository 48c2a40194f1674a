"""Statistical disclosure control: every client or death output passes through this module.

Rules (see ``docs/privacy.md``):

* **Primary suppression.** A count of 1 to ``threshold - 1`` (1-4 by default) is never shown.
  Zero is shown by default (standard ONS/NHS practice: a true zero reveals nothing about a
  person); pass ``suppress_zero=True`` to hide zeros too.
* **Secondary (complementary) suppression.** Totals are published from the true values, so a
  single hidden cell in a row, or in a column within a group, could be recovered by
  subtraction.  Wherever a row (across ``count_cols``) or a column (within each ``by`` group,
  or the whole table) holds exactly one hidden cell, the next smallest visible non-zero cell of
  that row/column is hidden too (a zero only if nothing else is left).  This repeats until
  every row and column has zero or at least two hidden cells.  A column group of a single row
  whose cell is hidden gets its group total hidden as well (``attrs["hidden_totals"]``).
* **Rounding** (optional): visible counts can be rounded to a base (e.g. 5).
* **Checks.** :func:`check_disclosure` raises :class:`~geo._errors.DisclosureError` if a
  frame shows a count of 1-4, a postcode-like string or a record-level identifier column;
  :func:`scan_file` scans written CSV / GeoJSON / HTML / GeoPackage / JSON / Markdown outputs.

Error messages and findings never contain the postcode found, only its outward code.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo._errors import DisclosureError, InputError, SchemaError

logger = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 5
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
                   "_km", "year")
FLAG_COLUMN = "suppressed"


def _mask_postcode(pc: str) -> str:
    compact = re.sub(r"[^A-Z0-9]", "", str(pc).upper())
    return f"{compact[:-3]} ***" if len(compact) > 3 else "***"


# --------------------------------------------------------------------------------------------
# suppression
# --------------------------------------------------------------------------------------------
def _values(df: pd.DataFrame, count_cols: Sequence[str], *, source: str) -> np.ndarray:
    missing = [c for c in count_cols if c not in df.columns]
    if missing:
        msg = f"{source}: count column(s) {missing} not found (columns: {list(df.columns)})"
        raise SchemaError(msg)
    vals = np.empty((len(df), len(count_cols)), dtype=float)
    for j, c in enumerate(count_cols):
        col = pd.to_numeric(df[c], errors="coerce")
        bad = col.isna() & df[c].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
            msg = f"{source}: column {c!r} row {row} is not a number; counts must be whole numbers >= 0"
            raise SchemaError(msg)
        arr = col.to_numpy(dtype=float)
        finite = arr[~np.isnan(arr)]
        if (finite < 0).any() or (finite != np.round(finite)).any():
            msg = f"{source}: column {c!r} has negative or fractional values; counts must be whole numbers >= 0"
            raise SchemaError(msg)
        vals[:, j] = arr
    return vals


def _pick_complement(vals: np.ndarray, hidden: np.ndarray, cells: np.ndarray) -> int | None:
    """Index (into ``cells``) of the smallest visible cell, preferring non-zero values."""
    cand = [k for k in range(len(cells)) if not hidden[cells[k]] and not np.isnan(vals[cells[k]])]
    if not cand:
        return None
    nonzero = [k for k in cand if vals[cells[k]] > 0]
    pool = nonzero or cand
    return min(pool, key=lambda k: (vals[cells[k]], k))


def suppression_mask(values: np.ndarray, *, groups: np.ndarray | None = None, threshold: int = DEFAULT_THRESHOLD,
                     suppress_zero: bool = False, protect_rows: bool = True,
                     protect_columns: bool = True, audit: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Primary and secondary suppression masks for a 2-D array of counts.

    Parameters
    ----------
    values
        ``(n_rows, n_cols)`` counts (NaN = not applicable, never hidden or counted).
    groups
        Group label per row; column totals are protected within each group (default one group).
    threshold
        Counts in ``1 .. threshold - 1`` are hidden (``0 .. threshold - 1`` with ``suppress_zero``).
    suppress_zero
        Hide zeros as well.
    protect_rows, protect_columns
        Apply secondary suppression along rows (row totals published) / columns (column or
        group totals published).
    audit
        For two-way tables, check with :func:`audit_suppression` that no hidden cell can be
        worked out exactly from all the totals together, and hide further cells until none can.

    Returns
    -------
    tuple of numpy.ndarray
        ``(primary, secondary)`` boolean masks of the same shape as ``values``.
    """
    vals = np.asarray(values, dtype=float)
    if vals.ndim != 2:
        msg = "values must be a 2-D array of counts"
        raise InputError(msg)
    low = 0 if suppress_zero else 1
    primary = ~np.isnan(vals) & (vals >= low) & (vals < threshold)
    hidden = primary.copy()
    flat_vals = vals.ravel()
    lines = _lines(vals.shape, groups, protect_rows=protect_rows, protect_columns=protect_columns)
    flat_hidden = hidden.ravel()
    for _round in range(vals.size + 1):
        for _ in range(vals.size + 1):
            changed = False
            for cells in lines:
                if flat_hidden[cells].sum() == 1:
                    k = _pick_complement(flat_vals, flat_hidden, cells)
                    if k is not None:
                        flat_hidden[cells[k]] = True
                        changed = True
            if not changed:
                break
        if not audit or not flat_hidden.any() or not (protect_rows and protect_columns) or min(vals.shape) < 2:
            break
        # two-way tables: a hidden cell can still be pinned by several totals together; hide more
        report = audit_suppression(vals, flat_hidden.reshape(vals.shape), groups=groups,
                                   protect_rows=protect_rows, protect_columns=protect_columns,
                                   threshold=threshold)
        exact = report[report["exact"] & (report["value"] > 0)]
        if exact.empty:
            break
        added = False
        for r in exact.itertuples():
            for cells in lines:
                if r.row * vals.shape[1] + r.col in cells:
                    k = _pick_complement(flat_vals, flat_hidden, cells)
                    if k is not None:
                        flat_hidden[cells[k]] = True
                        added = True
                        break
        if not added:
            break
    hidden = flat_hidden.reshape(vals.shape)
    return primary, hidden & ~primary


def _lines(shape: tuple[int, int], groups: np.ndarray | None, *, protect_rows: bool,
           protect_columns: bool) -> list[np.ndarray]:
    """Flat cell indices of every published total: rows, and columns within each group."""
    n_rows, n_cols = shape
    lines: list[np.ndarray] = []
    if protect_rows and n_cols > 1:
        lines += [np.arange(i * n_cols, (i + 1) * n_cols) for i in range(n_rows)]
    if protect_columns and n_rows > 1:
        g = np.zeros(n_rows, dtype=int) if groups is None else pd.factorize(np.asarray(groups))[0]
        for label in np.unique(g):
            rows = np.flatnonzero(g == label)
            if len(rows) > 1:
                lines += [rows * n_cols + j for j in range(n_cols)]
    return lines


def audit_suppression(values: np.ndarray, hidden: np.ndarray, *, groups: np.ndarray | None = None,
                      protect_rows: bool = True, protect_columns: bool = True,
                      threshold: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """Feasible range of every hidden cell given the published totals (linear-programming attack).

    An intruder knows every visible cell and every row / group-column total, and that counts are
    >= 0.  For each hidden cell the smallest and largest values consistent with that knowledge
    are found with ``scipy.optimize.linprog``; a cell is ``exact`` when the range is narrower
    than one.  Totals of 1 to ``threshold - 1`` are themselves small counts that are never
    published (see :func:`safe_total`), so they are not given to the intruder.  A hidden zero
    in a line whose total is 0 is always exact; zeros are not disclosive.

    Returns
    -------
    pandas.DataFrame
        ``row``, ``col`` (0-based), ``value``, ``lower``, ``upper``, ``exact``.
    """
    from scipy.optimize import linprog

    vals = np.nan_to_num(np.asarray(values, dtype=float))
    mask = np.asarray(hidden, dtype=bool).ravel()
    flat = vals.ravel()
    var = np.flatnonzero(mask)
    pos = {c: k for k, c in enumerate(var)}
    a_rows, b = [], []
    for cells in _lines(vals.shape, groups, protect_rows=protect_rows, protect_columns=protect_columns):
        h = [c for c in cells if mask[c]]
        if not h or 0 < flat[cells].sum() < threshold:
            continue
        row = np.zeros(len(var))
        row[[pos[c] for c in h]] = 1.0
        a_rows.append(row)
        b.append(flat[h].sum())
    out = []
    n_cols = vals.shape[1]
    for k, c in enumerate(var):
        if not a_rows:
            lo, hi = 0.0, np.inf
        else:
            obj = np.zeros(len(var))
            obj[k] = 1.0
            lo_res = linprog(obj, A_eq=np.array(a_rows), b_eq=np.array(b), bounds=(0, None), method="highs")
            hi_res = linprog(-obj, A_eq=np.array(a_rows), b_eq=np.array(b), bounds=(0, None), method="highs")
            lo = float(lo_res.fun) if lo_res.status == 0 else 0.0
            hi = float(-hi_res.fun) if hi_res.status == 0 else np.inf
        out.append({"row": int(c // n_cols), "col": int(c % n_cols), "value": float(flat[c]),
                    "lower": lo, "upper": hi, "exact": bool(hi - lo < 0.5)})
    return pd.DataFrame(out, columns=["row", "col", "value", "lower", "upper", "exact"])


def suppress_counts(df: pd.DataFrame, count_cols: Sequence[str] | str, *, threshold: int = DEFAULT_THRESHOLD,
                    suppress_zero: bool = False, by: str | Sequence[str] | None = None,
                    protect_rows: bool = True, protect_columns: bool = True,
                    round_to: int | None = None, flag_col: str = FLAG_COLUMN, audit: bool = True,
                    source: str = "table") -> pd.DataFrame:
    """Hide small counts and any cell that would let a hidden count be recovered from totals.

    Parameters
    ----------
    df
        Table with one or more count columns.
    count_cols
        Columns holding counts of people.
    threshold
        Smallest count that may be shown (5: counts 1-4 are hidden).
    suppress_zero
        Hide zeros as well (default False: a zero is shown).
    by
        Column(s) whose groups have published column totals (e.g. ``lad24cd``); default: the whole
        table is one group.
    protect_rows
        Row totals over ``count_cols`` are published, so protect rows too.
    protect_columns
        Column (group) totals are published, so protect columns too.
    round_to
        Round visible counts to the nearest multiple of this base (e.g. 5) after suppression.
    flag_col
        Name of the added flag column (True where any cell of the row is hidden).
    audit
        Run the linear-programming check (:func:`audit_suppression`) on two-way tables.
    source
        Name of the table for error messages.

    Returns
    -------
    pandas.DataFrame
        A copy with hidden cells as ``<NA>`` (``Int64`` dtype), the flag column, and
        ``attrs["disclosure"]``: threshold, counts of primary and secondary cells, rounding,
        ``hidden_totals`` (groups of one row whose total must not be shown) and
        ``exposed_cells`` (hidden cells that the totals would still reveal because the table has
        no visible non-zero cell left to hide; their row and column totals must not be shown).
    """
    cols = [count_cols] if isinstance(count_cols, str) else list(count_cols)
    if threshold < 1:
        msg = f"threshold={threshold}: must be at least 1"
        raise InputError(msg)
    if round_to is not None and round_to < 1:
        msg = f"round_to={round_to}: must be a positive whole number (e.g. 5) or None"
        raise InputError(msg)
    vals = _values(df, cols, source=source)
    groups = None
    if by is not None:
        by_cols = [by] if isinstance(by, str) else list(by)
        groups = pd.MultiIndex.from_frame(df[by_cols].astype(str)).to_flat_index().astype(str).to_numpy() \
            if len(by_cols) > 1 else df[by_cols[0]].astype(str).to_numpy()
    primary, secondary = suppression_mask(vals, groups=groups, threshold=threshold, suppress_zero=suppress_zero,
                                          protect_rows=protect_rows, protect_columns=protect_columns,
                                          audit=audit)
    hidden = primary | secondary
    out = df.copy()
    shown = vals.copy()
    if round_to is not None:
        shown = np.round(shown / round_to) * round_to
    for j, c in enumerate(cols):
        col = pd.array(np.where(np.isnan(shown[:, j]), 0, shown[:, j]).astype("int64"), dtype="Int64")
        col[np.isnan(vals[:, j]) | hidden[:, j]] = pd.NA
        out[c] = col
    out[flag_col] = hidden.any(axis=1)
    exposed: list[dict[str, Any]] = []
    if audit and protect_rows and protect_columns and hidden.any() and vals.shape[1] > 1:
        rep = audit_suppression(vals, hidden, groups=groups, threshold=threshold)
        bad = rep[rep["exact"] & (rep["value"] > 0)]
        exposed = [{"row": int(r.row) + 1, "column": cols[int(r.col)]} for r in bad.itertuples()]
        if exposed:
            logger.warning("%s: %d hidden cell(s) can still be worked out from the totals (no cell left to "
                           "hide); do not publish the row and column totals of this table", source, len(exposed))
    hidden_totals: list[str] = []
    if protect_columns and groups is not None:
        counts = pd.Series(groups).value_counts()
        for g in counts[counts == 1].index:
            i = int(np.flatnonzero(groups == g)[0])
            if hidden[i].any():
                hidden_totals.append(str(g))
    out.attrs = {**df.attrs, "disclosure": {
        "threshold": threshold, "suppress_zero": suppress_zero, "primary_cells": int(primary.sum()),
        "secondary_cells": int(secondary.sum()), "round_to": round_to, "count_cols": cols,
        "hidden_totals": hidden_totals, "exposed_cells": exposed,
        "rule": (f"counts 1-{threshold - 1}{' and 0' if suppress_zero else ''} hidden; one more cell hidden "
                 "where a row or column total would reveal a hidden cell"
                 + (f"; visible counts rounded to nearest {round_to}" if round_to else "")),
    }}
    logger.info("%s: %d cell(s) suppressed (%d primary, %d secondary)", source, int(hidden.sum()),
                int(primary.sum()), int(secondary.sum()))
    return out


def safe_total(values: pd.Series | np.ndarray, *, threshold: int = DEFAULT_THRESHOLD,
               round_to: int | None = None) -> int | None:
    """A total of true counts that may be shown: None if it is itself 1..threshold-1."""
    total = int(np.nansum(np.asarray(values, dtype=float)))
    if 0 < total < threshold:
        return None
    return int(round(total / round_to) * round_to) if round_to else total


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
    ok = {_norm_pc(a) for a in allowed}
    if loose:
        pattern = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{1,2}[0-9][A-Za-z0-9]?) ?([0-9][A-Za-z]{2})(?![A-Za-z0-9])")
        found = [f"{m[1]} {m[2]}" for m in pattern.finditer(text)]
    else:
        found = [m[1] for m in POSTCODE_RE.finditer(text)]
    return [_mask_postcode(p) for p in found if _norm_pc(p) not in ok]


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
                            f"(row {rows}{' ...' if len(small) > 5 else ''}); pass it through "
                            "geo.measures.disclosure.suppress_counts")
    for c in frame.columns:
        header_hits = scan_text_for_postcodes(str(c), allowed=ok)
        if header_hits:
            problems.append(f"{source}: column name {c!r} looks like a postcode")
        col = frame[c]
        if not (pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col)):
            continue
        text = col.dropna().astype(str)
        hit = text.map(lambda v: bool(POSTCODE_LOOSE_RE.match(v) or POSTCODE_RE.search(v)))
        if ok:
            hit &= ~text.map(_norm_pc).isin(ok)
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


def assert_file_safe(path: str | Path, *, allowed_postcodes: Iterable[str] = (),
                     threshold: int = DEFAULT_THRESHOLD) -> None:
    """Raise :class:`DisclosureError` if :func:`scan_file` finds anything."""
    found = scan_file(path, allowed_postcodes=allowed_postcodes, threshold=threshold)
    if found:
        raise DisclosureError("; ".join(found[:10]) + (f" (and {len(found) - 10} more)" if len(found) > 10 else ""))


def describe_rules(*, threshold: int = DEFAULT_THRESHOLD, round_to: int | None = None) -> dict[str, Any]:
    """The suppression rules in words, for reports and the app."""
    return {
        "primary": f"counts from 1 to {threshold - 1} are hidden; zeros are shown",
        "secondary": "where a published row or column total would reveal a hidden count, the next "
                     "smallest count in that row or column is hidden too",
        "rounding": f"visible counts rounded to the nearest {round_to}" if round_to else "none",
        "postcodes": "no postcode or client-level record appears in any output or log",
    }
