"""Per-site hours reports: where each site's hours came from, and its opening over the week.

:func:`hours_provenance` lists, per site, every source of hours that was looked at and what it
gave; :func:`weekly_summary` gives hours open per week, evenings and weekends, evaluated by
:mod:`geo.measures.hours` with the caller's missing-hours policy.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from geo.measures.hours import open_matrix, validate_hours
from geo.measures.reference_week import weekly_slots


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


__all__ = ["EVENING_FROM", "hours_provenance", "weekly_summary"]
