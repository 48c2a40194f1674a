"""Opening hours view: how coverage changes through the week as sites open and close.

Layout::

    ┌ note on hours data (how many sites have hours) ─────┐
    ├ weekly profile chart (% adults within threshold) ───┤
    ├ heatmap day × hour ─────────────────────────────────┤
    └ sites open at the chosen time (table) ──────────────┘
"""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from atlas import data
from atlas.state import DAY_NAMES, MISSING_HOURS, missing_hours_text

#: What to assume for sites with no published hours: the sidebar's one assumption.
ASSUMPTIONS = MISSING_HOURS


@st.cache_data(show_spinner="Working out the weekly profile…", max_entries=32)
def weekly_profile(key: tuple[Any, ...], _an: Any, threshold: int, assumption: str) -> pd.DataFrame:
    """Per hourly slot: % of adults within ``threshold`` of a site known to be open (``pct_known``)
    and of a site open *or* of unknown hours (``pct_upper``), and the sites in each state.

    Nothing is assumed for unknown hours unless ``assumption`` says so ("open" moves them to open,
    "closed" to closed, "typical" fills typical hours); then the two figures coincide.
    """
    from geo import SiteHours

    an = _an
    mat, w = data.matrix(an.study, an.study_key, data.site_key(an.sites_all), an.sites_all)
    slots = SiteHours.week_slots(60)
    sites = an.sites_all.copy()
    typical = ASSUMPTIONS[assumption][1]
    if typical:
        none = (sites["opening_hours"].astype(str).str.strip() == "") & (
            sites["opening_hours_text"].astype(str).str.strip() == "")
        sites.loc[none, "opening_hours"] = typical
    codes = SiteHours(sites).matrix(slots)
    if assumption in {"open", "closed"}:
        codes = np.where(codes < 0, 1 if assumption == "open" else 0, codes)
    total = float(w.sum()) or 1.0
    filled = np.where(np.isnan(mat), np.inf, mat)

    def pct(col: np.ndarray) -> float:
        best = filled[col].min(axis=0) if col.any() else np.full(filled.shape[1], np.inf)
        return 100.0 * float(w[best < threshold].sum()) / total

    rows = []
    cache: dict[bytes, float] = {}
    for j, slot in enumerate(slots):
        known, upper = codes[:, j] == 1, codes[:, j] != 0
        vals = []
        for col in (known, upper):
            k = col.tobytes()
            if k not in cache:
                cache[k] = pct(col)
            vals.append(cache[k])
        rows.append({"slot": slot, "day": DAY_NAMES[slot.dayofweek], "hour": slot.hour, "pct_known": vals[0],
                     "pct_upper": vals[1], "sites_open": int(known.sum()), "sites_closed": int((codes[:, j] == 0).sum()),
                     "sites_unknown": int((codes[:, j] < 0).sum())})
    return pd.DataFrame(rows)


def _with_when(prof: pd.DataFrame) -> pd.DataFrame:
    return prof.assign(when=prof["day"].str[:3] + " " + prof["hour"].astype(str).str.zfill(2) + ":00")


KNOWN = "within reach of a site known to be open"
UNKNOWN = "hours unknown: reached only if sites of unknown hours are open"


def _line(prof: pd.DataFrame) -> alt.Chart:
    """Known-open coverage (blue) with the unknown-hours part as its own band above it (grey)."""
    d = _with_when(prof)
    long = pd.concat([d.assign(band=KNOWN, y0=0.0, y1=d["pct_known"]),
                      d.assign(band=UNKNOWN, y0=d["pct_known"], y1=d["pct_upper"])], ignore_index=True)
    return alt.Chart(long).mark_area(interpolate="step-after", opacity=0.9).encode(
        x=alt.X("slot:T", title=None, axis=alt.Axis(format="%a %H:%M", labelAngle=0, tickCount=14)),
        y=alt.Y("y1:Q", title="% of adults within threshold", scale=alt.Scale(domain=[0, 100])),
        y2="y0:Q",
        color=alt.Color("band:N", title=None, sort=[KNOWN, UNKNOWN],
                        scale=alt.Scale(domain=[KNOWN, UNKNOWN], range=["#2c7bb6", "#d9d9d9"]),
                        legend=alt.Legend(orient="top", labelLimit=420)),
        tooltip=[alt.Tooltip("when:N", title="Time"),
                 alt.Tooltip("pct_known:Q", title="% within (known open)", format=".1f"),
                 alt.Tooltip("pct_upper:Q", title="% within (if unknown are open)", format=".1f"),
                 alt.Tooltip("sites_open:Q", title="Open"), alt.Tooltip("sites_closed:Q", title="Closed"),
                 alt.Tooltip("sites_unknown:Q", title="Hours unknown")],
    ).properties(height=240)


def _heat(prof: pd.DataFrame) -> alt.Chart:
    return alt.Chart(_with_when(prof)).mark_rect().encode(
        x=alt.X("hour:O", title="Hour of day"),
        y=alt.Y("day:N", sort=list(DAY_NAMES), title=None),
        color=alt.Color("pct_known:Q", title="% within (known open)",
                        scale=alt.Scale(domain=[0, 100], range=["#ffffff", "#08519c"])),
        tooltip=[alt.Tooltip("when:N", title="Time"), alt.Tooltip("sites_open:Q", title="Open"),
                 alt.Tooltip("sites_unknown:Q", title="Hours unknown"),
                 alt.Tooltip("pct_known:Q", title="% within (known open)", format=".1f"),
                 alt.Tooltip("pct_upper:Q", title="% within (if unknown are open)", format=".1f")],
    ).properties(height=220)


def render(an: Any) -> None:
    """The Opening hours tab."""
    from geo import SiteHours

    c = an.controls
    s = an.sites_all
    has = (s["opening_hours"].astype(str).str.strip() != "") | (s["opening_hours_text"].astype(str).str.strip() != "")
    n_has = int(has.sum())
    st.markdown(f"**{n_has} of {len(s)} sites** have published opening hours "
                "(the sources looked at are listed per site below).")
    if len(s) == 0:
        st.info("No sites of the chosen types.")
        return
    counts = s["hours_state"].value_counts().to_dict() if "hours_state" in s else {}
    st.markdown(f"**{SiteHours.counts_text({k: int(counts.get(k, 0)) for k in ('open', 'closed', 'hours unknown')}, c.when_label)}.**")
    assumption = c.missing_hours
    if assumption == "unknown":
        st.info(f"{missing_hours_text(assumption)}: the chart shows coverage by sites known to be open, and "
                "in grey how much more it could be if sites of unknown hours are open (choose an assumption "
                "in the sidebar, or add hours to your sites file).", icon=":material/schedule:")
    else:
        st.info(f"{missing_hours_text(assumption)} – an assumption, not published hours (change it in the "
                "sidebar; replace it by adding hours to your sites file).", icon=":material/schedule:")
    prof = weekly_profile((*an.cache_key, data.site_key(s)), an, c.threshold_minutes, assumption)
    est = " (ESTIMATED times)" if an.is_estimate else ""
    st.markdown(f"**Share of adults within {c.threshold_minutes} min of an open site, through the week**{est}")
    pkey = (*an.cache_key, data.site_key(s), c.threshold_minutes, assumption)
    data.show_chart(("hours-line", *pkey), lambda: _line(prof))
    if (prof["sites_open"] > 0).any():
        st.markdown("**Coverage by day and hour** by sites known to be open (darker = more adults within reach)")
        data.show_chart(("hours-heat", *pkey), lambda: _heat(prof))
    else:
        st.caption(f"No site is known to be open at any hour of the week, so coverage by day and hour is unknown: "
                   f"between 0% and {prof['pct_upper'].max():.0f}% of adults, depending on the sites' real hours.")
    st.markdown(f"**Sites at {c.when_label}**")
    cols = ["name", "site_type", "hours_state", "opening_hours_text", "opening_hours", "hours_sources", "in_area"]
    tbl = s[[x for x in cols if x in s.columns]].copy()
    tbl = tbl.rename(columns={"name": "Site", "site_type": "Type", "hours_state": c.when_label,
                              "opening_hours_text": "Hours (as published)", "opening_hours": "Hours (OSM)",
                              "hours_sources": "Where hours were looked for", "in_area": "In area"})
    st.dataframe(tbl.sort_values(["Type", "Site"]), width="stretch", hide_index=True)
