"""CSV that no spreadsheet can run: the one way geo writes a table as CSV.

Every CSV geo produces -- CLI answers (``--format csv``), exports, outreach lists, synthetic
extracts and the app's downloads -- is made by :func:`csv_text`, which first neutralises any cell,
header or index label that Excel, LibreOffice or Google Sheets would run as a formula (OWASP "CSV
injection"): a user's site name ``=HYPERLINK(...)`` arrives as text, never as a live link.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

#: A cell starting with one of these is run as a formula by Excel / LibreOffice / Sheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _defuse(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def spreadsheet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy in which no text cell, header or index label can run as a spreadsheet formula.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
    apostrophe (OWASP "CSV injection" advice); numbers are left alone, so ``-3`` in a numeric
    column stays a number.
    """
    out = df.copy()
    for c in out.columns:
        col = out[c]
        if pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col):
            out[c] = col.map(_defuse)
    out.columns = [_defuse(c) for c in out.columns]
    if pd.api.types.is_object_dtype(out.index) or pd.api.types.is_string_dtype(out.index):
        out.index = pd.Index([_defuse(v) for v in out.index], name=_defuse(out.index.name))
    return out


def csv_text(df: pd.DataFrame, **kwargs: Any) -> str:
    """``DataFrame.to_csv`` text after :func:`spreadsheet_safe`: the one way geo writes CSV."""
    return str(spreadsheet_safe(df).to_csv(**kwargs))


def csv_bytes(df: pd.DataFrame, **kwargs: Any) -> bytes:
    """:func:`csv_text` as UTF-8 bytes (the app's download buttons)."""
    return csv_text(df, **kwargs).encode("utf-8")


def write_csv(df: pd.DataFrame, target: str | Path, **kwargs: Any) -> Path:
    """Write a frame as spreadsheet-safe CSV, atomically (inside an output set: staged with it)."""
    from geo.cache import atomic_write_text

    path = Path(target)
    atomic_write_text(csv_text(df, **kwargs), path)
    return path


__all__ = ["FORMULA_START", "csv_bytes", "csv_text", "spreadsheet_safe", "write_csv"]
