"""Answer formats: how a table, or a dict of tables and values, becomes text.

:data:`FORMATS` is the one list of formats every front end offers (the CLI's ``--format``
choices come from it): ``table`` (plain text for terminals), ``json`` (NaN as null, numpy scalars
converted) and ``csv`` (spreadsheet-safe, :mod:`geo.outputs.safe_csv`; one table only).  To add a
format, write its ``render`` function here and add an :class:`OutputFormat` to the registry.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.outputs.safe_csv import csv_text

#: What a command answers: one frame, or a dict of frames, dicts, lists and values.
Answer: TypeAlias = pd.DataFrame | dict[str, Any]


@dataclass(frozen=True)
class OutputFormat:
    """One output format: its name, file suffix, media type and how it renders an answer."""

    name: str
    suffix: str
    media_type: str
    render: Callable[[Answer, str | None], str]


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


def to_csv(obj: Answer) -> str:
    """Spreadsheet-safe CSV of a frame, or of the one frame in a dict (else :class:`InputError`)."""
    if isinstance(obj, pd.DataFrame):
        return csv_text(obj)
    frames = {k: v for k, v in obj.items() if isinstance(v, pd.DataFrame)}
    if len(frames) != 1:
        msg = ("CSV output needs a single table; this command gives several "
               f"({', '.join(frames) or 'none'}): use --format json or table")
        raise InputError(msg)
    return csv_text(next(iter(frames.values())))


def render_table(obj: Answer, *, title: str | None = None) -> str:
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


def points_geojson(points: pd.DataFrame) -> str:
    """GeoJSON FeatureCollection (EPSG:4326) of a table with ``lon``/``lat``; every column is a property."""
    feats = []
    columns = [str(c) for c in points.columns]
    for r in points.itertuples(index=False):
        rec = r._asdict()
        props = {c: (None if isinstance(rec.get(c), float) and math.isnan(rec[c]) else rec.get(c))
                 for c in columns if c in rec}
        props = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in props.items()}
        feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [rec["lon"], rec["lat"]]},
                      "properties": props})
    return json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False, indent=1)


def _points(obj: Answer) -> str:
    if not isinstance(obj, pd.DataFrame) or not {"lon", "lat"} <= set(obj.columns):
        msg = "GeoJSON output needs one table of points with lon and lat columns: use --format json or table"
        raise InputError(msg)
    return points_geojson(obj)


#: Every answer format, by name (the CLI's ``--format`` choices, in this order).
FORMATS: dict[str, OutputFormat] = {
    "table": OutputFormat("table", ".txt", "text/plain", lambda obj, title: render_table(obj, title=title)),
    "json": OutputFormat("json", ".json", "application/json", lambda obj, title: to_json(obj)),
    "csv": OutputFormat("csv", ".csv", "text/csv", lambda obj, title: to_csv(obj)),
}


#: Formats only for a table of points with ``lon``/``lat`` (``geo sites list --format geojson``).
POINT_FORMATS: dict[str, OutputFormat] = {
    "geojson": OutputFormat("geojson", ".geojson", "application/geo+json", lambda obj, title: _points(obj)),
}


def render(obj: Answer, fmt: str, *, title: str | None = None) -> str:
    """``obj`` as text in the format named ``fmt`` (one of :data:`FORMATS` or :data:`POINT_FORMATS`)."""
    known = {**FORMATS, **POINT_FORMATS}
    if fmt not in known:
        msg = f"output format {fmt!r}: use one of {', '.join(known)}"
        raise InputError(msg)
    return known[fmt].render(obj, title)


def save(text: str, path: Path) -> None:
    """Write a rendered answer to ``path`` atomically: a reader never sees half a file."""
    from geo.cache import atomic_write_text

    atomic_write_text(text, path)


__all__ = ["FORMATS", "POINT_FORMATS", "Answer", "OutputFormat", "points_geojson", "render", "render_table", "save",
           "to_csv", "to_json"]
