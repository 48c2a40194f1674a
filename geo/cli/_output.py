"""How CLI answers are written: terminal tables, JSON and CSV, to stdout or a file."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo import InputError

FORMATS = ("table", "json", "csv")


def _jsonable(o: Any) -> Any:
    if isinstance(o, dict):
        return {str(k): _jsonable(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [_jsonable(v) for v in o]
    if isinstance(o, pd.DataFrame):
        return [_jsonable(r) for r in o.reset_index().to_dict(orient="records")]
    if isinstance(o, pd.Series):
        return _jsonable(o.to_dict())
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating | float):
        f = float(o)
        return None if math.isnan(f) or math.isinf(f) else round(f, 6)
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, Path):
        return str(o)
    if o is pd.NA or o is pd.NaT:
        return None
    return o


def to_json(obj: Any) -> str:
    """JSON text with NaN as null and numpy scalars converted."""
    return json.dumps(_jsonable(obj), indent=2, ensure_ascii=False)


def emit(obj: pd.DataFrame | dict[str, Any], fmt: str, out: Path | None = None, *,
         title: str | None = None) -> None:
    """Write a frame or a dict of frames/values as table, JSON or CSV to ``out`` or stdout."""
    if fmt == "json":
        text = to_json(obj)
    elif fmt == "csv":
        from geo import csv_text

        if isinstance(obj, pd.DataFrame):
            text = csv_text(obj)
        else:
            frames = {k: v for k, v in obj.items() if isinstance(v, pd.DataFrame)}
            if len(frames) != 1:
                msg = ("CSV output needs a single table; this command gives several "
                       f"({', '.join(frames) or 'none'}): use --format json or table")
                raise InputError(msg)
            text = csv_text(next(iter(frames.values())))
    else:
        text = render_table(obj, title=title)
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        from geo import atomic_write_text

        atomic_write_text(text, Path(out))
        print(f"wrote {out}", file=sys.stderr)


def render_table(obj: pd.DataFrame | dict[str, Any], *, title: str | None = None) -> str:
    """Plain-text rendering for terminals."""
    parts: list[str] = [title, "=" * len(title)] if title else []
    if isinstance(obj, pd.DataFrame):
        parts.append(_fmt_frame(obj))
    else:
        scalars = {k: v for k, v in obj.items() if not isinstance(v, pd.DataFrame | dict | list)}
        if scalars:
            width = max(len(str(k)) for k in scalars)
            parts.extend(f"{k:<{width}}  {_fmt_value(v)}" for k, v in scalars.items())
        for k, v in obj.items():
            if isinstance(v, pd.DataFrame):
                parts.extend(["", f"{k}:", _fmt_frame(v)])
            elif isinstance(v, dict):
                parts.extend(["", f"{k}:"])
                parts.extend(f"  {kk}: {_fmt_value(vv)}" for kk, vv in v.items())
            elif isinstance(v, list):
                parts.extend(["", f"{k}:"])
                parts.extend(f"  - {_fmt_value(x)}" for x in v)
    return "\n".join(parts) + "\n"


def _fmt_value(v: Any) -> str:
    if isinstance(v, dict):
        return ", ".join(f"{k} {_fmt_value(x)}" for k, x in v.items())
    if isinstance(v, float | np.floating):
        return "" if math.isnan(float(v)) else _fmt_float(float(v))
    if isinstance(v, int | np.integer):
        return f"{int(v):,}"
    return str(v)


def _fmt_float(x: float) -> str:
    """Whole numbers without decimals (counts of adults), others to 2 d.p."""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


def _fmt_frame(df: pd.DataFrame) -> str:
    out = df.copy()
    for col in out.columns:  # per column: a column of whole numbers shows no decimals
        values = out[col]
        if pd.api.types.is_float_dtype(values):
            finite = values.dropna()
            whole = len(finite) > 0 and bool((finite == finite.round()).all())
            out[col] = values.map(lambda x, w=whole: "" if pd.isna(x) else f"{x:,.0f}" if w else f"{x:,.2f}")
    with pd.option_context("display.max_rows", 500, "display.max_columns", 50, "display.width", 200):
        return out.to_string()
