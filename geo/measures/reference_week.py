"""Times of the week: ``"Sat 19:00"`` as a concrete datetime in one fixed reference week.

A time of the week is placed in the week of Monday 23 November 2026 to Sunday 29 November 2026
(:data:`REFERENCE_MONDAY`).  That week has no bank holidays in England, so ``PH`` rules never
apply unless the caller passes an explicit date.  Times are local (naive) England clock times.
``"Mon 24:00"`` is refused: it is midnight at the *end* of Monday, so the caller must say
``"Tue 00:00"`` or ``"Mon 23:59"``.  :func:`weekly_slots` cuts the week into equal slots.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.data.hours_text import CLOCK_TIME_RE

#: Monday of the fixed reference week used for times of the week (no English bank holidays).
REFERENCE_MONDAY = dt.date(2026, 11, 23)
#: Clock times are local to England; aware datetimes are converted to this zone first.
LOCAL_TIMEZONE = "Europe/London"
#: Day names accepted by :func:`parse_when` (any unambiguous prefix of 2+ letters also works).
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: Words standing for a day: "weekday" = Monday, "weekend" = Saturday (documented choice).
_DAY_WORDS = {"weekday": 0, "weekdays": 0, "weekend": 5, "weekends": 5}


def _parse_clock(text: str, *, original: str) -> dt.time:
    t = text.strip().lower()
    if t in {"noon", "midday"}:
        return dt.time(12, 0)
    if t == "midnight":
        return dt.time(0, 0)
    m = CLOCK_TIME_RE.match(t)
    if not m:
        msg = f"time {original!r}: cannot read the clock time {text!r}; use e.g. 'Sat 19:00' or 'Tue 9am'"
        raise InputError(msg)
    hour, minute = int(m["h"]), int(m["m"] or 0)
    ampm = (m["ampm"] or "").replace(".", "").lower()
    if ampm:
        if not 1 <= hour <= 12:
            msg = f"time {original!r}: {hour} is not a 12-hour clock hour; write e.g. '7pm' or '19:00'"
            raise InputError(msg)
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour == 24 and minute == 0:
        msg = (f"time {original!r}: 24:00 is midnight at the end of the day, not its start; write the next "
               "day at 00:00 (e.g. 'Tue 00:00') or 23:59")
        raise InputError(msg)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        msg = f"time {original!r}: {hour:02d}:{minute:02d} is not a valid clock time (00:00-23:59)"
        raise InputError(msg)
    return dt.time(hour, minute)


def _parse_day(word: str, *, original: str) -> int:
    w = word.strip().lower().rstrip(".,")
    if w in _DAY_WORDS:
        return _DAY_WORDS[w]
    hits = [i for i, d in enumerate(_DAYS) if len(w) >= 2 and d.startswith(w)]
    if w in {"tues", "thur", "thurs"}:
        hits = [1] if w == "tues" else [3]
    if len(hits) != 1:
        msg = (f"time {original!r}: {word!r} is not a day of the week; use Mon..Sun, a full day "
               "name, 'weekday' (= Monday) or 'weekend' (= Saturday)")
        raise InputError(msg)
    return hits[0]


def reference_datetime(day_index: int, clock: dt.time) -> dt.datetime:
    """The datetime of weekday ``day_index`` (0 = Monday) at ``clock`` in the reference week."""
    return dt.datetime.combine(REFERENCE_MONDAY + dt.timedelta(days=day_index), clock)


def parse_when(when: str | dt.datetime | pd.Timestamp) -> dt.datetime:
    """A time of the week (or an exact date and time) as a concrete naive datetime.

    Parameters
    ----------
    when
        ``"Sat 19:00"``, ``"Saturday 7pm"``, ``"Tuesday 12:00"``, ``"weekday 09:00"`` (= Monday),
        ``"weekend 11:00"`` (= Saturday), an ISO datetime ``"2026-12-24T10:00"`` or a datetime.

    Returns
    -------
    datetime.datetime
        Days of the week fall in the reference week starting Monday 23 November 2026
        (:data:`REFERENCE_MONDAY`); ISO datetimes are kept as given (aware ones are converted
        to England local time, Europe/London, first).

    Raises
    ------
    InputError
        If the text is not a day plus a clock time or an ISO datetime.
    """
    if isinstance(when, pd.Timestamp):
        when = when.to_pydatetime()
    if isinstance(when, dt.datetime):
        return _local_naive(when)
    if not isinstance(when, str) or not when.strip():
        msg = f"time {when!r}: give a day and a time such as 'Sat 19:00' or an ISO datetime"
        raise InputError(msg)
    text = when.strip()
    if re.match(r"^\d{4}-\d{2}-\d{2}", text):
        try:
            return _local_naive(dt.datetime.fromisoformat(text))
        except ValueError as exc:
            msg = f"time {when!r}: not a valid ISO datetime ({exc}); write e.g. 2026-11-28T19:00"
            raise InputError(msg) from exc
    parts = re.split(r"\s+(?:at\s+)?|,\s*", text, maxsplit=1)
    if len(parts) != 2:
        msg = f"time {when!r}: give a day and a time such as 'Sat 19:00', 'Tuesday 9am' or 'weekday 17:30'"
        raise InputError(msg)
    if CLOCK_TIME_RE.match(parts[0].strip()) and not CLOCK_TIME_RE.match(parts[1].strip()):
        parts = [parts[1], parts[0]]  # "19:00 Sat"
    day = _parse_day(parts[0], original=text)
    clock = _parse_clock(parts[1], original=text)
    return reference_datetime(day, clock)


def _local_naive(when: dt.datetime) -> dt.datetime:
    """Naive local (England) clock time; aware datetimes are converted to Europe/London first."""
    if when.tzinfo is None:
        return when
    from zoneinfo import ZoneInfo

    return when.astimezone(ZoneInfo(LOCAL_TIMEZONE)).replace(tzinfo=None)


def weekly_slots(step_minutes: int = 60) -> pd.DatetimeIndex:
    """Start times of equal slots covering the reference week (Monday 00:00 onwards).

    Parameters
    ----------
    step_minutes
        Slot length in minutes; must divide a day (1440) exactly.  60 gives 168 slots.

    Returns
    -------
    pandas.DatetimeIndex
        ``7 * 1440 / step_minutes`` naive datetimes, named ``slot_start``.
    """
    if not isinstance(step_minutes, int | np.integer) or step_minutes <= 0 or 1440 % int(step_minutes):
        msg = f"step_minutes={step_minutes!r}: must be a positive whole number of minutes dividing 1440 (e.g. 15, 30, 60)"
        raise InputError(msg)
    start = pd.Timestamp(REFERENCE_MONDAY)
    return pd.date_range(start, periods=7 * 1440 // int(step_minutes), freq=f"{int(step_minutes)}min",
                         name="slot_start")


__all__ = ["LOCAL_TIMEZONE", "REFERENCE_MONDAY", "parse_when", "reference_datetime", "weekly_slots"]
