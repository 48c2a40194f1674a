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
:mod:`geo.data.hours_syntax`, the free-text converter in :mod:`geo.data.hours_text`, times of the
week in :mod:`geo.measures.reference_week` and per-site reports (provenance, weekly summary) in
:mod:`geo.measures.hours_report`.

**Gaps.** :func:`open_range` gives the number of sites open under both assumptions (sites
without hours closed / open), so a report can say "between 3 and 41 of 76 open" rather than
one number that depends on a silent choice.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo._errors import InputError, SchemaError
from geo.data.hours_syntax import HOLIDAY_COUNTRY as HOLIDAY_COUNTRY
from geo.data.hours_syntax import check_hours, compile_hours, opening_hours_module, short_parser_message
from geo.data.hours_syntax import is_valid_osm_hours as is_valid_osm_hours
from geo.data.hours_text import text_to_osm
from geo.measures.reference_week import parse_when, weekly_slots

if TYPE_CHECKING:
    import opening_hours as _oh

logger = logging.getLogger(__name__)

MISSING_POLICIES = ("open", "closed", "error")


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
        _raise_missing(validate_hours(sites, use_text=use_text), np.flatnonzero(unknown.any(axis=1)), source=source)
    return np.where(unknown, missing == "open", codes == 1)


def _codes_at(sites: pd.DataFrame, at: dt.datetime, *, use_text: bool, source: str) -> tuple[np.ndarray, pd.DataFrame]:
    """Each site's state at one time (1 open, 0 closed, -1 hours unknown; one parse per distinct
    hours text) and the validation report."""
    report = validate_hours(sites, use_text=use_text)
    _raise_invalid(report, source=source)
    hours = report["opening_hours"].to_numpy()
    codes = np.full(len(sites), -1, dtype=np.int8)
    for h in pd.unique(hours):
        if h:
            codes[hours == h] = _point_state(_compile(h), at)
    return codes, report


def _raise_missing(report: pd.DataFrame, rows: np.ndarray, *, source: str) -> None:
    """The error for sites without opening hours under ``missing="error"`` (first five named)."""
    listed = ", ".join(f"row {report['row'].iloc[i]} site {report['site_id'].iloc[i]}" for i in rows[:5])
    msg = (f"{source}: {len(rows)} site(s) have no opening hours ({listed}{' ...' if len(rows) > 5 else ''}); "
           "add OSM opening_hours or choose missing='open' or 'closed'")
    raise InputError(msg)


#: Words for the three states of a site at a time (1, 0, -1).
STATE_WORDS = {1: "open", 0: "closed", -1: "hours unknown"}


def states_at(sites: pd.DataFrame, when: str | dt.datetime, *, use_text: bool = True,
              source: str = "sites") -> pd.Series:
    """``"open"``, ``"closed"`` or ``"hours unknown"`` per site at one time -- nothing assumed.

    ``attrs``: ``when``, ``weekday``, ``counts`` (``{"open": a, "closed": b, "hours unknown": c}``),
    ``from_text`` and ``hours_warnings`` (as :func:`is_open_at`).
    """
    at = parse_when(when)
    codes, report = _codes_at(sites, at, use_text=use_text, source=source)
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
    codes, report = _codes_at(sites, at, use_text=use_text, source=source)
    unknown = codes < 0
    ids = report["site_id"].to_numpy()
    if unknown.any() and missing == "error":
        _raise_missing(report, np.flatnonzero(unknown), source=source)
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


