"""Opening hours: is a site open at a given time of the week?

Sites carry an ``opening_hours`` string in OpenStreetMap syntax
(https://wiki.openstreetmap.org/wiki/Key:opening_hours, e.g. ``Mo-Fr 09:00-17:00; Sa 10:00-13:00``
or ``24/7``), evaluated with the ``opening-hours-py`` library (import name ``opening_hours``).
Free-text hours from the seed documents (``opening_hours_text``) can be converted best-effort with
:func:`text_to_osm`.

**Reference week.** A time of the week such as ``"Sat 19:00"`` is turned into a concrete
datetime in the fixed reference week of Monday 23 November 2026 to Sunday 29 November 2026
(:data:`REFERENCE_MONDAY`).  That week has no bank holidays in England, so ``PH`` rules never
apply unless the caller passes an explicit date (``PH`` uses the library's ``GB`` calendar).
Times are local (naive) England clock times.

**Missing hours are an assumption, never a silent default.**  Most sites have no hours (no
pharmacy in the ODS list has any); the caller chooses ``missing="open"`` (count them),
``"closed"`` (do not count them) or ``"error"``.  Results carry a note listing every site
that was assumed open or closed (``result.attrs["assumed_open"]`` / ``["assumed_closed"]``).
Hours whose state is ``unknown`` in OSM syntax are treated like missing hours.

Invalid strings raise :class:`~geo._errors.InputError` naming the site id, the row and the
string; :func:`validate_hours` lists every problem at once.  Syntax checks (impossible clock
times such as ``25:00``, date-dependent rules such as ``Tu[1]`` that draw a warning) live in
:mod:`geo.data.hours_syntax`.  ``"Mon 24:00"`` as a time of the week is refused: it is midnight
at the *end* of Monday, so the caller must say ``"Tue 00:00"`` or ``"Mon 23:59"``.

**Gaps.** :func:`open_range` gives the number of sites open under both assumptions (sites
without hours closed / open), so a report can say "between 3 and 41 of 76 open" rather than
one number that depends on a silent choice.

Why this module is long: it holds the three halves of evaluating hours that share one reference
week -- reading times of the week, evaluating per site and slot (with the missing-hours policy),
and the best-effort free-text converter the seed documents need; the syntax checks already live
in :mod:`geo.data.hours_syntax`.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo._errors import InputError, SchemaError
from geo.data.hours_syntax import HOLIDAY_COUNTRY as HOLIDAY_COUNTRY
from geo.data.hours_syntax import check_hours, compile_hours, opening_hours_module, short_parser_message
from geo.data.hours_syntax import is_valid_osm_hours as is_valid_osm_hours

if TYPE_CHECKING:
    import opening_hours as _oh

logger = logging.getLogger(__name__)

#: Monday of the fixed reference week used for times of the week (no English bank holidays).
REFERENCE_MONDAY = dt.date(2026, 11, 23)
MISSING_POLICIES = ("open", "closed", "error")
#: Clock times are local to England; aware datetimes are converted to this zone first.
LOCAL_TIMEZONE = "Europe/London"
#: Day names accepted by :func:`parse_when` (any unambiguous prefix of 2+ letters also works).
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_OSM_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
#: Words standing for a day: "weekday" = Monday, "weekend" = Saturday (documented choice).
_DAY_WORDS = {"weekday": 0, "weekdays": 0, "weekend": 5, "weekends": 5}
_TIME = re.compile(r"^(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?$", re.IGNORECASE)


# --------------------------------------------------------------------------------------------
# times of the week
# --------------------------------------------------------------------------------------------
def _parse_clock(text: str, *, original: str) -> dt.time:
    t = text.strip().lower()
    if t in {"noon", "midday"}:
        return dt.time(12, 0)
    if t == "midnight":
        return dt.time(0, 0)
    m = _TIME.match(t)
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
    if _TIME.match(parts[0].strip()) and not _TIME.match(parts[1].strip()):
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


# --------------------------------------------------------------------------------------------
# parsing hours strings
# --------------------------------------------------------------------------------------------
def _compile(hours: str) -> _oh.OpeningHours:
    """Parsed OSM hours (cached per distinct string).  Raises the library's ParserError."""
    return compile_hours(hours)


def _clean(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    return str(value).strip()


def _site_hours(sites: pd.DataFrame, *, use_text: bool) -> pd.DataFrame:
    """Per site: row (1-based), site_id, the hours string used and where it came from."""
    if "opening_hours" not in sites.columns:
        msg = "sites: no 'opening_hours' column; add one in OSM syntax (e.g. 'Mo-Fr 09:00-17:00') or leave it empty"
        raise SchemaError(msg)
    ids = sites["site_id"].astype(str).to_numpy() if "site_id" in sites.columns else \
        np.array([f"row {i + 1}" for i in range(len(sites))])
    osm = [_clean(v) for v in sites["opening_hours"].tolist()]
    text = [_clean(v) for v in sites["opening_hours_text"].tolist()] if "opening_hours_text" in sites.columns \
        else [""] * len(sites)
    hours, origin = [], []
    for o, t in zip(osm, text, strict=True):
        if o:
            hours.append(o)
            origin.append("opening_hours")
            continue
        conv = text_to_osm(t) if (use_text and t) else None
        hours.append(conv or "")
        origin.append("opening_hours_text" if conv else "missing")
    return pd.DataFrame({"row": np.arange(1, len(sites) + 1), "site_id": ids, "hours": hours,
                         "origin": origin, "opening_hours_text": text}, index=sites.index)


def validate_hours(sites: pd.DataFrame, *, use_text: bool = True) -> pd.DataFrame:
    """Check every site's hours and list the outcome per site.

    Parameters
    ----------
    sites
        Frame with ``opening_hours`` (OSM syntax, may be empty) and optionally ``site_id``,
        ``name`` and ``opening_hours_text``.
    use_text
        Convert ``opening_hours_text`` with :func:`text_to_osm` where ``opening_hours`` is empty.

    Returns
    -------
    pandas.DataFrame
        One row per site: ``row`` (1-based position), ``site_id``, ``name``, ``opening_hours``
        (the string evaluated), ``origin`` (``opening_hours``, ``opening_hours_text`` or
        ``missing``), ``status`` (``ok``, ``missing`` or ``invalid``), ``problem`` (why an
        invalid string is invalid, else empty) and ``warning`` (rules the reference week
        cannot represent, such as ``Tu[1]``; the string is still used).
    """
    info = _site_hours(sites, use_text=use_text)
    checked = [check_hours(h) for h in info["hours"]]
    status = [c[0] for c in checked]
    problem = [c[1] for c in checked]
    warning = [c[2] for c in checked]
    names = sites["name"].astype(str).to_numpy() if "name" in sites.columns else [""] * len(sites)
    out = pd.DataFrame({"row": info["row"].to_numpy(), "site_id": info["site_id"].to_numpy(), "name": names,
                        "opening_hours": info["hours"].to_numpy(), "origin": info["origin"].to_numpy(),
                        "status": status, "problem": problem, "warning": warning})
    n_bad = int((out["status"] == "invalid").sum())
    for r in out[out["warning"] != ""].head(5).itertuples():
        logger.warning("hours of site %s (row %s) %s", r.site_id, r.row, r.warning)
    logger.info("hours: %d sites, %d ok, %d missing, %d invalid", len(out), int((out["status"] == "ok").sum()),
                int((out["status"] == "missing").sum()), n_bad)
    return out


_short_parser_message = short_parser_message


def _raise_invalid(report: pd.DataFrame, *, source: str) -> None:
    bad = report[report["status"] == "invalid"]
    if bad.empty:
        return
    items = "; ".join(f"row {r.row} site {r.site_id}: {r.opening_hours!r} ({r.problem})"
                      for r in bad.head(5).itertuples())
    more = f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""
    msg = (f"{source}: {len(bad)} site(s) have opening_hours that are not OSM syntax: {items}{more}. "
           "Fix the opening_hours column, e.g. 'Mo-Fr 09:00-17:00; Sa 10:00-13:00' or '24/7' "
           "(see https://wiki.openstreetmap.org/wiki/Key:opening_hours)")
    raise InputError(msg)


def _check_missing(missing: str) -> None:
    if missing not in MISSING_POLICIES:
        msg = f"missing={missing!r}: choose 'open', 'closed' or 'error' for sites without opening hours"
        raise InputError(msg)


def _state_codes(hours: str, times: np.ndarray) -> np.ndarray:
    """State per time for one hours string: 1 open, 0 closed, -1 unknown (times sorted or not)."""
    oh = _compile(hours)
    mod = opening_hours_module()
    t64 = times.astype("datetime64[s]")
    start = pd.Timestamp(t64.min()).to_pydatetime()
    end = pd.Timestamp(t64.max()).to_pydatetime() + dt.timedelta(seconds=1)
    bounds, codes = [], []
    for iv_start, _iv_end, state, _comment in oh.intervals(start, end):
        bounds.append(np.datetime64(iv_start.replace(tzinfo=None), "s"))
        codes.append(1 if state == mod.State.OPEN else 0 if state == mod.State.CLOSED else -1)
    if not bounds:  # pragma: no cover - defensive: fall back to point evaluation
        return np.array([_point_state(oh, pd.Timestamp(x).to_pydatetime()) for x in t64], dtype=np.int8)
    idx = np.searchsorted(np.array(bounds), t64, side="right") - 1
    return np.asarray(codes, dtype=np.int8)[np.clip(idx, 0, len(codes) - 1)]


def _point_state(oh: _oh.OpeningHours, when: dt.datetime) -> int:
    mod = opening_hours_module()
    state = oh.state(when)[0]
    return 1 if state == mod.State.OPEN else 0 if state == mod.State.CLOSED else -1


def state_matrix(sites: pd.DataFrame, slots: pd.DatetimeIndex | list[dt.datetime] | None = None, *,
                 use_text: bool = True, source: str = "sites") -> np.ndarray:
    """State of every site at every slot: 1 open, 0 closed, -1 hours unknown (no assumption made).

    Each distinct hours string is evaluated once; invalid strings raise :class:`InputError`.
    Slots default to :func:`weekly_slots` at 60 minutes.  Returns ``int8`` ``(n_sites, n_slots)``.
    """
    times = np.asarray(pd.DatetimeIndex(weekly_slots() if slots is None else slots).tz_localize(None),
                       dtype="datetime64[s]")
    report = validate_hours(sites, use_text=use_text)
    _raise_invalid(report, source=source)
    codes = np.full((len(sites), len(times)), -1, dtype=np.int8)
    if len(times) == 0 or len(sites) == 0:
        return codes
    hours = report["opening_hours"].to_numpy()
    for h in pd.unique(hours):
        if h:
            codes[hours == h] = _state_codes(h, times)
    return codes


def open_matrix(sites: pd.DataFrame, slots: pd.DatetimeIndex | list[dt.datetime] | None = None, *,
                missing: str, use_text: bool = True, source: str = "sites") -> np.ndarray:
    """Open/closed for every site at every time slot, evaluating each distinct hours string once.

    Parameters
    ----------
    sites
        Frame with an ``opening_hours`` column (see :func:`validate_hours`).
    slots
        Times to evaluate (default :func:`weekly_slots` at 60 minutes: 168 hourly slots).
    missing
        Policy for sites with no (or ``unknown``) hours: ``"open"``, ``"closed"`` or ``"error"``.
        To keep them apart instead, use :func:`state_matrix`.
    use_text
        Use :func:`text_to_osm` on ``opening_hours_text`` when ``opening_hours`` is empty.
    source
        Name of the sites table for error messages.

    Returns
    -------
    numpy.ndarray
        Boolean array of shape ``(n_sites, n_slots)``.

    Raises
    ------
    InputError
        If any hours string is invalid, or hours are missing and ``missing="error"``.
    """
    _check_missing(missing)
    codes = state_matrix(sites, slots, use_text=use_text, source=source)
    unknown = codes < 0
    if unknown.any() and missing == "error":
        report = validate_hours(sites, use_text=use_text)
        rows = np.flatnonzero(unknown.any(axis=1))
        ids = ", ".join(f"row {report['row'].iloc[i]} site {report['site_id'].iloc[i]}" for i in rows[:5])
        msg = (f"{source}: {len(rows)} site(s) have no opening hours ({ids}{' ...' if len(rows) > 5 else ''}); "
               "add OSM opening_hours or choose missing='open' or 'closed'")
        raise InputError(msg)
    return np.where(unknown, missing == "open", codes == 1)


#: Words for the three states of a site at a time (1, 0, -1).
STATE_WORDS = {1: "open", 0: "closed", -1: "hours unknown"}


def states_at(sites: pd.DataFrame, when: str | dt.datetime, *, use_text: bool = True,
              source: str = "sites") -> pd.Series:
    """``"open"``, ``"closed"`` or ``"hours unknown"`` per site at one time -- nothing assumed.

    ``attrs``: ``when``, ``weekday``, ``counts`` (``{"open": a, "closed": b, "hours unknown": c}``),
    ``from_text`` and ``hours_warnings`` (as :func:`is_open_at`).
    """
    at = parse_when(when)
    report = validate_hours(sites, use_text=use_text)
    _raise_invalid(report, source=source)
    hours = report["opening_hours"].to_numpy()
    codes = np.full(len(sites), -1, dtype=np.int8)
    for h in pd.unique(hours):
        if h:
            codes[hours == h] = _point_state(_compile(h), at)
    words = np.array([STATE_WORDS[int(c)] for c in codes], dtype=object)
    out = pd.Series(words, index=sites.index, name="state", dtype=object)
    ids = report["site_id"].to_numpy()
    out.attrs = {"when": at.isoformat(timespec="minutes"), "weekday": at.strftime("%A"),
                 "counts": {w: int((codes == c).sum()) for c, w in STATE_WORDS.items()},
                 "from_text": [str(i) for i in ids[report["origin"].to_numpy() == "opening_hours_text"]],
                 "hours_warnings": [f"{i}: {w}" for i, w in zip(ids, report["warning"], strict=True) if w]}
    return out


def states_text(counts: dict[str, int], when_label: str) -> str:
    """``"At Saturday 19:00: 3 open, 5 closed, 68 hours unknown (of 76 sites)"``."""
    n = sum(counts.values())
    return (f"At {when_label}: {counts.get('open', 0)} open, {counts.get('closed', 0)} closed, "
            f"{counts.get('hours unknown', 0)} hours unknown (of {n} sites)")


def is_open_at(sites: pd.DataFrame, when: str | dt.datetime, *, missing: str, use_text: bool = True,
               source: str = "sites") -> pd.Series:
    """Which sites are open at one time.

    Parameters
    ----------
    sites
        Frame with ``opening_hours`` (OSM syntax) and ideally ``site_id``.
    when
        Anything :func:`parse_when` accepts (``"Sat 19:00"``, ``"weekday 09:00"``, ISO datetime).
    missing
        Keyword-only and required: ``"open"`` (assume sites without hours are open),
        ``"closed"`` (assume closed) or ``"error"`` (raise).
    use_text
        Convert ``opening_hours_text`` when ``opening_hours`` is empty.
    source
        Name of the sites table for error messages.

    Returns
    -------
    pandas.Series
        Boolean, aligned with ``sites.index``, named ``open``.  ``attrs`` records the
        assumption: ``when`` (ISO text), ``missing_policy``, ``assumed_open`` and
        ``assumed_closed`` (site ids whose state was assumed, not read), ``from_text`` (site
        ids whose hours came from ``opening_hours_text``).  ``.to_numpy()`` gives the array.
    """
    at = parse_when(when)
    _check_missing(missing)
    report = validate_hours(sites, use_text=use_text)
    _raise_invalid(report, source=source)
    hours = report["opening_hours"].to_numpy()
    codes = np.full(len(sites), -1, dtype=np.int8)
    for h in pd.unique(hours):
        if h:
            codes[hours == h] = _point_state(_compile(h), at)
    unknown = codes < 0
    ids = report["site_id"].to_numpy()
    if unknown.any() and missing == "error":
        rows = np.flatnonzero(unknown)
        listed = ", ".join(f"row {report['row'].iloc[i]} site {ids[i]}" for i in rows[:5])
        msg = (f"{source}: {len(rows)} site(s) have no opening hours ({listed}{' ...' if len(rows) > 5 else ''}); "
               "add OSM opening_hours or choose missing='open' or 'closed'")
        raise InputError(msg)
    result = np.where(unknown, missing == "open", codes == 1)
    out = pd.Series(result.astype(bool), index=sites.index, name="open")
    out.attrs = {
        "when": at.isoformat(timespec="minutes"),
        "weekday": at.strftime("%A"),
        "missing_policy": missing,
        "assumed_open": [str(i) for i in ids[unknown]] if missing == "open" else [],
        "assumed_closed": [str(i) for i in ids[unknown]] if missing == "closed" else [],
        "from_text": [str(i) for i in ids[report["origin"].to_numpy() == "opening_hours_text"]],
        "missing_hours": [str(i) for i in ids[unknown]],
        "hours_warnings": [f"{i}: {w}" for i, w in zip(ids, report["warning"], strict=True) if w],
    }
    logger.info("hours at %s: %d of %d sites open (%d assumed %s: no hours)", out.attrs["when"],
                int(result.sum()), len(result), int(unknown.sum()), missing)
    return out


def open_range(sites: pd.DataFrame, when: str | dt.datetime, *, use_text: bool = True,
               source: str = "sites") -> dict[str, Any]:
    """How many sites are open at ``when``, as a range over the missing-hours assumption.

    Returns
    -------
    dict
        ``when``, ``weekday``, ``sites``, ``with_hours``, ``missing_hours`` (count),
        ``open_known`` (open by their own hours), ``open_if_missing_closed`` (lower bound),
        ``open_if_missing_open`` (upper bound), ``open`` / ``closed`` / ``hours_unknown``
        (counts, nothing assumed), ``states`` (per site), ``hours_warnings`` and ``text``, e.g.
        ``"At Saturday 19:00: 3 open, 5 closed, 68 hours unknown (of 76 sites): between 3 and 71
        could be open"``.
    """
    lo = is_open_at(sites, when, missing="closed", use_text=use_text, source=source)
    hi = is_open_at(sites, when, missing="open", use_text=use_text, source=source)
    states = states_at(sites, when, use_text=use_text, source=source)
    n, n_missing = len(sites), len(lo.attrs["missing_hours"])
    a, b = int(lo.sum()), int(hi.sum())
    at = f"{lo.attrs['weekday']} {lo.attrs['when'][11:]}"
    counts = states.attrs["counts"]
    text = states_text(counts, at) + (f": between {a} and {b} could be open" if a != b else "")
    return {"when": lo.attrs["when"], "weekday": lo.attrs["weekday"], "sites": n, "with_hours": n - n_missing,
            "missing_hours": n_missing, "open_known": a, "open_if_missing_closed": a, "open_if_missing_open": b,
            "open": counts["open"], "closed": counts["closed"], "hours_unknown": counts["hours unknown"],
            "states": states.to_numpy(), "hours_warnings": lo.attrs["hours_warnings"], "text": text,
            "open_mask_if_missing_closed": lo.to_numpy(), "open_mask_if_missing_open": hi.to_numpy()}


def hours_provenance(sites: pd.DataFrame, *, osm_checked: str | None = None) -> pd.Series:
    """Per site, every source of opening hours that was looked at and what it gave (one line).

    Sources, in the order a site's ``source`` lists them: the seed documents (their hours text
    or "no hours stated"), the NHS ODS pharmacy list of the bundle (it publishes none),
    OpenStreetMap extracts (their ``opening_hours`` tag, or none) and the user's own lists.
    ``osm_checked`` names an extract that was searched: pharmacies it does not hold say so;
    without one, pharmacies say OpenStreetMap was not checked and how to check it.
    """
    n = len(sites)
    src = sites["source"].fillna("").astype(str).to_numpy() if "source" in sites else np.full(n, "")
    hsrc = sites["hours_source"].fillna("").astype(str).to_numpy() if "hours_source" in sites else np.full(n, "")
    osm = sites["opening_hours"].fillna("").astype(str).to_numpy() if "opening_hours" in sites else np.full(n, "")
    text = (sites["opening_hours_text"].fillna("").astype(str).to_numpy() if "opening_hours_text" in sites
            else np.full(n, ""))
    kind = sites["site_type"].fillna("").astype(str).to_numpy() if "site_type" in sites else np.full(n, "")
    out = []
    for source, hours_from, hours, said, site_type in zip(src, hsrc, osm, text, kind, strict=True):
        parts, seen_osm = [], False
        for part in [p.strip() for p in source.split("; ") if p.strip()]:
            if part.startswith("seed:"):
                parts.append(f"seed documents ({part[5:].strip()}): " + (f"'{said}'" if said.strip() else "no hours stated"))
            elif part.startswith("NHS ODS"):
                parts.append("NHS ODS pharmacy list (bundle): publishes no opening hours")
            elif part.startswith("OpenStreetMap"):
                seen_osm = True
                name = part.split(" (", 1)[0]
                got = hours if hours_from.startswith("OpenStreetMap") and hours.strip() else ""
                parts.append(f"{name}: " + (got or "no opening_hours tag"))
            else:
                got = hours if hours_from == part and hours.strip() else ""
                parts.append(f"{part}: " + (got or "no hours given"))
        if site_type == "pharmacy" and not seen_osm:
            parts.append(f"OpenStreetMap {osm_checked}: not in this extract" if osm_checked else
                         "OpenStreetMap: not checked (give an extract with --osm FILE.osm.pbf)")
        out.append(" | ".join(parts) or "no source gives hours")
    return pd.Series(out, index=sites.index, name="hours_sources", dtype=object)


#: Evening starts at this local clock time (for :func:`weekly_summary`).
EVENING_FROM = dt.time(18, 0)


def weekly_summary(sites: pd.DataFrame, *, missing: str, step_minutes: int = 15,
                   use_text: bool = True, source: str = "sites") -> pd.DataFrame:
    """Per-site opening over the reference week: hours open, evenings and weekends.

    Parameters
    ----------
    sites
        Frame with ``opening_hours`` (and ideally ``site_id``).
    missing
        Policy for sites without hours (``"open"``, ``"closed"``, ``"error"``); the
        ``hours_assumed`` column says which rows it affected.
    step_minutes
        Resolution of the evaluation (15 minutes by default).
    use_text
        Convert ``opening_hours_text`` when ``opening_hours`` is empty.
    source
        Name of the sites table for error messages.

    Returns
    -------
    pandas.DataFrame
        Aligned with ``sites.index``: ``site_id``, ``open_hours_per_week``, ``open_weekday_evenings``
        (open at some time from 18:00 on any Monday-Friday), ``open_weekend`` (open at some time on
        Saturday or Sunday), ``open_24_7`` and ``hours_assumed`` (True where the policy was applied).
    """
    slots = weekly_slots(step_minutes)
    m = open_matrix(sites, slots, missing=missing, use_text=use_text, source=source)
    report = validate_hours(sites, use_text=use_text)
    day = slots.dayofweek.to_numpy()
    minutes = slots.hour.to_numpy() * 60 + slots.minute.to_numpy()
    evening = (day < 5) & (minutes >= EVENING_FROM.hour * 60 + EVENING_FROM.minute)
    weekend = day >= 5
    return pd.DataFrame({
        "site_id": report["site_id"].to_numpy(),
        "open_hours_per_week": m.sum(axis=1) * step_minutes / 60.0,
        "open_weekday_evenings": m[:, evening].any(axis=1),
        "open_weekend": m[:, weekend].any(axis=1),
        "open_24_7": m.all(axis=1),
        "hours_assumed": (report["status"] == "missing").to_numpy(),
    }, index=sites.index)


# --------------------------------------------------------------------------------------------
# free text -> OSM
# --------------------------------------------------------------------------------------------
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
    m = _TIME.match(t)
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
        return str(_compile(t))
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
