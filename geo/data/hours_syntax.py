"""Opening-hours *syntax*: parse and check OSM ``opening_hours`` strings, and build them from a
Monday-Sunday from/to table.

Evaluation (is a site open at a time) lives in :mod:`geo.measures.hours`; this module only
reads text, so loaders and importers (user lists, OpenStreetMap harvests) can reject bad hours
at the door with a one-line message naming the row and the fix.

Checks beyond the parser (opening-hours-py):

* clock times must be real: a range may *end* after midnight (``Fr 22:00-26:00`` = until 02:00
  Saturday, as OSM allows) but may not *start* at 24:00 or later (``Mo-Fr 25:00-26:00``);
* rules that depend on the date -- the n-th weekday of a month (``Tu[1]``), week numbers,
  months or dates, Easter, school holidays, sunrise/sunset -- parse, but the tool evaluates a
  fixed reference week (:data:`geo.measures.reference_week.REFERENCE_MONDAY`), so they draw a *warning*
  rather than silently reading as "always closed".
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import pandas as pd

from geo._errors import InputError

#: Public-holiday calendar used for ``PH`` rules (opening-hours-py's "GB" calendar).
HOLIDAY_COUNTRY = "GB"
DAY_CODES = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CLOCK = re.compile(r"(?<![\d:])(\d{1,2}):(\d{2})(?![\d:])")
#: Date-dependent constructs that a single reference week cannot represent.
_DATE_RULES = (
    (re.compile(r"\[[-\d,\s]+\]"), "the n-th weekday of a month (e.g. Tu[1])"),
    (re.compile(r"\bweek\s*\d", re.IGNORECASE), "week numbers"),
    (re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b"), "months or dates"),
    (re.compile(r"\b(19|20)\d{2}\b"), "years"),
    (re.compile(r"\beaster\b", re.IGNORECASE), "Easter"),
    (re.compile(r"\bSH\b"), "school holidays"),
    (re.compile(r"\b(sunrise|sunset|dawn|dusk)\b", re.IGNORECASE), "sunrise/sunset times"),
)


def opening_hours_module() -> Any:
    """The ``opening_hours`` package (opening-hours-py), with a clear error when it is missing."""
    try:
        import opening_hours
    except ImportError as exc:  # pragma: no cover - hard dependency
        msg = "opening hours need the 'opening-hours-py' package (pip install opening-hours-py)"
        raise ImportError(msg) from exc
    return opening_hours


@lru_cache(maxsize=4096)
def compile_hours(hours: str) -> Any:
    """Parsed OSM hours (cached per distinct string).  Raises the library's ParserError."""
    return opening_hours_module().OpeningHours(hours, country=HOLIDAY_COUNTRY)


def clock_problem(hours: str) -> str:
    """Why a clock time in ``hours`` is impossible (empty if every time is fine)."""
    for m in re.finditer(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})", hours):
        h0, m0, h1, m1 = (int(x) for x in m.groups())
        if m0 > 59 or m1 > 59:
            return f"{m.group(0)!r} has minutes above 59"
        if h0 >= 24:
            return (f"{m.group(0)!r} starts at {h0:02d}:{m0:02d}, which is not a clock time: a range starts "
                    "between 00:00 and 23:59 (it may end after midnight, e.g. Fr 22:00-26:00)")
        if h1 > 48 or (h1 == 48 and m1):
            return f"{m.group(0)!r} ends more than a day after midnight"
    for m in _CLOCK.finditer(hours):
        if int(m.group(2)) > 59:
            return f"{m.group(0)!r} has minutes above 59"
    return ""


def hours_warning(hours: str) -> str:
    """Warning for rules the reference week cannot represent (empty if none)."""
    found = [label for rx, label in _DATE_RULES if rx.search(hours)]
    if not found:
        return ""
    return (f"uses {', '.join(found)}: evaluated in the reference week of 23-29 Nov 2026 only, so the site "
            "may be open on other weeks than shown")


def check_hours(hours: str) -> tuple[str, str, str]:
    """``(status, problem, warning)`` for one hours string: status ``ok``, ``missing`` or ``invalid``."""
    h = str(hours or "").strip()
    if not h:
        return "missing", "", ""
    bad_clock = clock_problem(h)
    if bad_clock:
        return "invalid", bad_clock, ""
    try:
        compile_hours(h)
    except (SyntaxError, ValueError, opening_hours_module().ParserError) as exc:
        return "invalid", short_parser_message(exc), ""
    return "ok", "", hours_warning(h)


def short_parser_message(exc: Exception) -> str:
    """One line from the parser's multi-line error."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    expected = next((ln.lstrip("= ").strip() for ln in lines if ln.startswith("= ")), "")
    where = next((ln for ln in lines if ln.startswith("-->")), "")
    pos = where.replace("-->", "at line:column").strip() if where else ""
    return "; ".join(x for x in (f"not OSM opening_hours syntax {pos}".strip(), expected) if x)


def is_valid_osm_hours(hours: str) -> bool:
    """True if ``hours`` parses as OSM ``opening_hours`` syntax with real clock times."""
    if not isinstance(hours, str) or not hours.strip():
        return False
    return check_hours(hours)[0] == "ok"


# --------------------------------------------------------------------------- day tables
def day_columns(columns: list[str]) -> dict[int, tuple[str | None, str | None, str | None]]:
    """Columns of a Monday-Sunday table: per day ``(from, to, single)`` column names.

    Accepts ``mon_from``/``mon_to``, ``monday_open``/``monday_close``, ``mo_start``/``mo_end``
    or one column per day (``monday`` = ``"09:00-17:00"``, ``"09:00-12:30,13:30-17:00"``,
    ``"closed"``).
    """
    cols = {str(c).strip().lower().replace(" ", "_"): str(c) for c in columns}
    out: dict[int, tuple[str | None, str | None, str | None]] = {}
    for i, name in enumerate(_DAY_NAMES):
        keys = {name, name[:3], name[:2], DAY_CODES[i].lower()}
        f = next((cols[f"{k}_{s}"] for k in keys for s in ("from", "open", "opens", "start")
                  if f"{k}_{s}" in cols), None)
        t = next((cols[f"{k}_{s}"] for k in keys for s in ("to", "close", "closes", "end")
                  if f"{k}_{s}" in cols), None)
        single = next((cols[k] for k in keys if k in cols), None)
        if f or t or single:
            out[i] = (f, t, single)
    return out


def _clock_text(value: object, *, where: str) -> str:
    s = str(value).strip().lower().replace(".", ":")
    if re.fullmatch(r"\d{3,4}", s):
        s = f"{s[:-2]}:{s[-2:]}"
    m = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?(?::00)?\s*(am|pm)?", s)
    if not m:
        msg = f"{where}: {value!r} is not a clock time; write 09:00 or 9am"
        raise InputError(msg)
    h, mi = int(m.group(1)), int(m.group(2) or 0)
    if m.group(3):
        if not 1 <= h <= 12:
            msg = f"{where}: {value!r} is not a 12-hour clock time"
            raise InputError(msg)
        h = h % 12 + (12 if m.group(3) == "pm" else 0)
    if h > 24 or mi > 59 or (h == 24 and mi):
        msg = f"{where}: {value!r} is not a clock time (00:00-24:00)"
        raise InputError(msg)
    return f"{h:02d}:{mi:02d}"


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, float) and pd.isna(v)) or str(v).strip().lower() in {"", "nan", "none"}


def day_table_row_to_osm(row: pd.Series, cols: dict[int, tuple[str | None, str | None, str | None]], *,
                         where: str) -> str:
    """OSM hours for one row of a Monday-Sunday table ('' if every day is blank)."""
    spans: list[str] = []
    any_given = False
    for i in range(7):
        f, t, single = cols.get(i, (None, None, None))
        text = ""
        if f or t:
            fv, tv = (row.get(f) if f else None), (row.get(t) if t else None)
            closed = any(str(v).strip().lower() in {"closed", "shut", "-", "x"} for v in (fv, tv) if not _blank(v))
            if closed:
                any_given = True
                continue
            if _blank(fv) and _blank(tv):
                continue
            if _blank(fv) or _blank(tv):
                msg = f"{where}: {_DAY_NAMES[i].title()} has an opening time but no closing time (or the reverse)"
                raise InputError(msg)
            text = f"{_clock_text(fv, where=where)}-{_clock_text(tv, where=where)}"
        elif single and not _blank(row.get(single)):
            raw = str(row.get(single)).strip()
            if raw.lower() in {"closed", "shut", "-", "x", "off"}:
                any_given = True
                continue
            parts = []
            for span in re.split(r"\s*[,;&]\s*|\s+and\s+", raw):
                ab = re.split(r"\s*(?:-|–|to)\s*", span)
                if len(ab) != 2:
                    msg = f"{where}: {_DAY_NAMES[i].title()} {raw!r} is not a from-to time; write 09:00-17:00"
                    raise InputError(msg)
                parts.append(f"{_clock_text(ab[0], where=where)}-{_clock_text(ab[1], where=where)}")
            text = ",".join(parts)
        if text:
            any_given = True
            spans.append(f"{DAY_CODES[i]} {text}")
    if not any_given:
        return ""
    return "; ".join(spans) if spans else "off"


__all__ = ["DAY_CODES", "HOLIDAY_COUNTRY", "check_hours", "clock_problem", "compile_hours", "opening_hours_module", "day_columns",
           "day_table_row_to_osm", "hours_warning", "is_valid_osm_hours", "short_parser_message"]
