"""Figures with their ranges, for people: "+4,224 (range +0 to +4,224)", services side by side.

The CLI's tables, the HTML report and the atlas show per-service results the same way: one
column per service (the nearest treatment hub, the nearest pharmacy, the nearest site of any
type), one row per figure, each cell the figure and its 10th-90th percentile range, and a last
row with the verdict ("gain", "loss", "no change" or "not distinguishable from no change").
Machine formats (JSON, CSV) keep the numbers: ``<figure>``, ``<figure>_low``, ``<figure>_high``.

The front ends read every range as text here (``geo.ranges``): the per-service figures above,
and -- defined where they are computed, named here so there is one place to look -- the
coverage headline's estimate range (:func:`~geo.measures.coverage.range_text`), the range over a
timetable's departure window (:func:`~geo.measures.timetable.range_line`), the verdict of a
range that straddles zero (:data:`~geo.measures.intervals.NOT_DISTINGUISHABLE`) and the hint when
nobody is beyond a threshold (:func:`~geo.measures.hints.nothing_beyond_hint`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from geo.measures.coverage import range_text
from geo.measures.hints import nothing_beyond_hint
from geo.measures.intervals import NOT_DISTINGUISHABLE
from geo.measures.timetable import range_line

if TYPE_CHECKING:
    from collections.abc import Sequence

#: Words for each per-service figure (``{t}`` = the threshold in minutes).
FIGURE_LABELS = {
    "adults_within_before": "Adults within {t} min, before", "adults_within_after": "Adults within {t} min, after",
    "adults_within_change": "Change in adults within {t} min",
    "pct_within_before": "% of adults within, before", "pct_within_after": "% of adults within, after",
    "pct_within_change_pts": "Change (percentage points)",
    "adults_newly_within": "Adults newly within", "adults_newly_beyond": "Adults newly beyond",
    "mean_minutes_before": "Mean minutes, before", "mean_minutes_after": "Mean minutes, after",
    "mean_minutes_change": "Change in mean minutes",
    "median_minutes_before": "Median minutes, before", "median_minutes_after": "Median minutes, after",
    "median_minutes_change": "Change in median minutes",
    "adults_covered_before": "Adults within {t} min, now", "adults_covered_after": "Adults within {t} min, with the picks",
    "adults_newly_covered": "Adults newly within {t} min",
    "mean_minutes_saved": "Mean minutes saved",
    "newly_beyond_adults": "Adults who would be beyond {t} min",
    "left_without_site_adults": "Adults left with no site of this kind",
    "mean_minutes_increase": "Rise in mean minutes",
    "adults_within": "Adults within {t} min", "adults_beyond": "Adults beyond {t} min",
    "pct_beyond": "% of adults beyond {t} min", "pct_within": "% of adults within {t} min",
    "mean_minutes": "Mean minutes", "median_minutes": "Median minutes",
}
#: Scenario figures shown in the side-by-side table (the JSON/CSV carry them all).
SCENARIO_TABLE = ("adults_within_before", "adults_within_after", "adults_within_change", "pct_within_change_pts",
                  "adults_newly_within", "adults_newly_beyond", "mean_minutes_before", "mean_minutes_after",
                  "mean_minutes_change", "median_minutes_change")


def _is_pct(name: str) -> bool:
    return name.startswith("pct_")


def _is_minutes(name: str) -> bool:
    return "minutes" in name


def format_value(name: str, value: Any, *, signed: bool | None = None) -> str:
    """One figure as text: adults as whole numbers, minutes and percentages to 1 d.p."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    v = float(value)
    sign = "+" if (signed if signed is not None else name.endswith(("_change", "_pts"))) else ""
    if _is_minutes(name) or _is_pct(name):
        v = round(v, 1) + 0.0  # no "-0.0"
        text = f"{v:{sign},.1f}"
        return text + ("%" if _is_pct(name) and not name.endswith("_pts") else "")
    return f"{round(v) + 0:{sign},.0f}"


def format_range(name: str, row: pd.Series | dict[str, Any]) -> str:
    """``"4,224 (range 0 to 4,224)"``: the figure and its range, or the figure alone without one."""
    value = row[name]
    text = format_value(name, value)
    lo, hi = row.get(f"{name}_low"), row.get(f"{name}_high")
    if lo is None or hi is None or (isinstance(lo, float) and math.isnan(lo)):
        return text
    if format_value(name, lo) == format_value(name, hi) == text:
        return text
    return f"{text} (range {format_value(name, lo)} to {format_value(name, hi)})"


def side_by_side(by_service: pd.DataFrame, figures: Sequence[str], *, threshold_minutes: float,
                 verdicts: Sequence[tuple[str, str]] = (("verdict", "Verdict (adults within)"),)) -> pd.DataFrame:
    """Rows = figures, columns = "Nearest <service>": each cell the figure with its range.

    ``by_service`` is indexed by service with a ``service_label`` column (as every per-service
    result is); ``verdicts`` are (column, row label) pairs appended at the bottom.
    """
    cols = {}
    for key, row in by_service.iterrows():
        label = f"Nearest {row.get('service_label', key)}"
        cells = {FIGURE_LABELS.get(f, f).format(t=f"{threshold_minutes:g}"): format_range(f, row)
                 for f in figures if f in row.index}
        for col, text in verdicts:
            if col in row.index:
                cells[text] = str(row[col])
        cols[label] = pd.Series(cells)
    return pd.DataFrame(cols)


def collapse_ranges(frame: pd.DataFrame) -> pd.DataFrame:
    """For terminals and web tables: each ``x`` with ``x_low``/``x_high`` becomes one text column."""
    out = frame.copy()
    for col in list(out.columns):
        lo, hi = f"{col}_low", f"{col}_high"
        if lo in out.columns and hi in out.columns:
            out[col] = [format_range(col, {col: v, lo: a, hi: b})
                        for v, a, b in zip(out[col], out[lo], out[hi], strict=True)]
            out = out.drop(columns=[lo, hi])
    return out


__all__ = ["FIGURE_LABELS", "NOT_DISTINGUISHABLE", "SCENARIO_TABLE", "collapse_ranges", "format_range", "format_value",
           "nothing_beyond_hint", "range_line", "range_text", "side_by_side"]
