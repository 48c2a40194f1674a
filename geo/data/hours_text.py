"""Free-text opening hours (as the seed documents state them) converted to OSM syntax.

:func:`text_to_osm` turns ``"Mon-Fri 9am-5pm"``, ``"Monday to Friday 09:00-17:00, Sat 10am-1pm"``
or ``"24 hours, 7 days"`` into an ``opening_hours`` string, best effort: text that does not state
days and clock times gives ``None`` (a person must read it).  :data:`CLOCK_TIME_RE` is the one
reading of a clock time (``9``, ``09:30``, ``7pm``) shared with :mod:`geo.measures.reference_week`.
"""

from __future__ import annotations

import re

from geo.data.hours_syntax import compile_hours, is_valid_osm_hours

#: A clock time: ``9``, ``09:30``, ``9.30``, ``7pm``, ``7 p.m.``.
CLOCK_TIME_RE = re.compile(r"^(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?$",
                           re.IGNORECASE)
_OSM_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_DAY_ALIASES = {
    "mo": 0, "mon": 0, "monday": 0, "mondays": 0,
    "tu": 1, "tue": 1, "tues": 1, "tuesday": 1, "tuesdays": 1,
    "we": 2, "wed": 2, "weds": 2, "wednesday": 2, "wednesdays": 2,
    "th": 3, "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "thursdays": 3,
    "fr": 4, "fri": 4, "friday": 4, "fridays": 4,
    "sa": 5, "sat": 5, "saturday": 5, "saturdays": 5,
    "su": 6, "sun": 6, "sunday": 6, "sundays": 6,
}
_DAY_GROUPS = {"weekdays": "Mo-Fr", "weekday": "Mo-Fr", "weekends": "Sa,Su", "weekend": "Sa,Su",
               "daily": "Mo-Su", "every day": "Mo-Su", "everyday": "Mo-Su", "7 days": "Mo-Su",
               "7 days a week": "Mo-Su", "seven days a week": "Mo-Su"}
_DAY_RE = "|".join(sorted(_DAY_ALIASES, key=len, reverse=True))
_RANGE_SEP = r"\s*(?:-|–|—|to|until|till)\s*"
_CLOCK_RE = r"\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)?|noon|midday|midnight"
_TWENTY_FOUR_SEVEN = re.compile(
    r"^\s*(?:open\s+)?(?:24/7|24\s*(?:hours|hrs|h)(?:\s+a\s+day)?\s*[,/]?\s*(?:7\s*days(?:\s+a\s+week)?|every\s+day|daily)?"
    r"|24\s*hours,?\s*7\s*days)\s*\.?\s*$", re.IGNORECASE)


def _text_clock(text: str) -> str | None:
    t = text.strip().lower().replace(" ", "")
    if t in {"noon", "midday"}:
        return "12:00"
    if t == "midnight":
        return "24:00"
    m = CLOCK_TIME_RE.match(t)
    if not m:
        return None
    hour, minute = int(m["h"]), int(m["m"] or 0)
    ampm = (m["ampm"] or "").replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if not (0 <= hour <= 24 and 0 <= minute <= 59) or (hour == 24 and minute):
        return None
    return f"{hour:02d}:{minute:02d}"


def _text_days(text: str) -> str | None:
    t = re.sub(r"\s+", " ", text.strip().lower().rstrip(":"))
    if not t:
        return "Mo-Su"
    if t in _DAY_GROUPS:
        return _DAY_GROUPS[t]
    out: list[str] = []
    for part in re.split(r"\s*(?:,|&|\band\b|/)\s*", t):
        if not part:
            continue
        m = re.fullmatch(rf"({_DAY_RE})\.?(?:{_RANGE_SEP}({_DAY_RE})\.?)?", part)
        if m is None:
            if part in _DAY_GROUPS:
                out.append(_DAY_GROUPS[part])
                continue
            return None
        a = _OSM_DAYS[_DAY_ALIASES[m[1]]]
        out.append(a if m[2] is None else f"{a}-{_OSM_DAYS[_DAY_ALIASES[m[2]]]}")
    return ",".join(out) if out else None


def _text_segment(segment: str) -> str | None:
    seg = segment.strip().rstrip(".")
    if not seg:
        return None
    closed = re.fullmatch(r"(.*?)[:\s]*\bclosed\b", seg, re.IGNORECASE)
    if closed:
        days = _text_days(closed[1])
        return f"{days} off" if days else None
    times = list(re.finditer(rf"({_CLOCK_RE}){_RANGE_SEP}({_CLOCK_RE})", seg, re.IGNORECASE))
    if not times:
        return None
    day_text = seg[:times[0].start()]
    day_text = re.sub(r"\b(open|from|between|on)\b", " ", day_text, flags=re.IGNORECASE)
    days = _text_days(day_text.strip(" :,"))
    if days is None:
        return None
    spans = []
    for i, m in enumerate(times):
        between = seg[times[i - 1].end():m.start()] if i else ""
        if i and not re.fullmatch(r"\s*(?:,|and|&)?\s*", between, re.IGNORECASE):
            return None
        a, b = _text_clock(m[1]), _text_clock(m[2])
        if a is None or b is None:
            return None
        bare = not re.search(r"[ap]\.?m", m[0], re.IGNORECASE)
        if bare and b < a and int(b[:2]) < 12 and int(b[:2]) + 12 > int(a[:2]):
            b = f"{int(b[:2]) + 12:02d}{b[2:]}"  # "9-5" means 09:00-17:00
        spans.append(f"{a}-{b}")
    tail = seg[times[-1].end():].strip(" .")
    if tail:
        return None
    return f"{days} {','.join(spans)}"


def text_to_osm(text: str | None) -> str | None:
    """Best-effort conversion of free-text hours into OSM ``opening_hours`` syntax.

    Parameters
    ----------
    text
        Text such as ``"Mon-Fri 9am-5pm"``, ``"Monday to Friday 09:00-17:00, Sat 10am-1pm"``,
        ``"24 hours, 7 days"`` or an OSM string already.

    Returns
    -------
    str or None
        A string that parses as OSM syntax, or None when the text does not state days and
        clock times (``"fortnightly"``, ``"Evening clinics at the main centres"``,
        ``"5-6 days a week"``): those need a person to read them.
    """
    if text is None:
        return None
    t = str(text).strip()
    if not t:
        return None
    if _TWENTY_FOUR_SEVEN.match(t):
        return "24/7"
    if is_valid_osm_hours(t) and re.search(r"\d{2}:\d{2}|24/7|\boff\b", t):
        return str(compile_hours(t))
    segments = [s for s in re.split(r"\s*;\s*|(?<=[0-9mM.])\s*,\s*(?=[A-Za-z])", t) if s.strip()]
    rules = []
    for seg in segments:
        rule = _text_segment(seg)
        if rule is None:
            return None
        rules.append(rule)
    if not rules:
        return None
    result = "; ".join(rules)
    return result if is_valid_osm_hours(result) else None


__all__ = ["CLOCK_TIME_RE", "text_to_osm"]
