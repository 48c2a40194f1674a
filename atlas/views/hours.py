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
    """Per hourly slot: % of adults within ``threshold`` of an open site and sites open."""
    from geo.measures.hours import open_matrix, weekly_slots

    an = _an
    mat, w = data.matrix(an.study, an.study_key, data.site_key(an.sites_all), an.sites_all)
    slots = weekly_slots(60)
    sites = an.sites_all.copy()
    typical = ASSUMPTIONS[assumption][1]
    if typical:
        none = (sites["opening_hours"].astype(str).str.strip() == "") & (
            sites["opening_hours_text"].astype(str).str.strip() == "")
        sites.loc[none, "opening_hours"] = typical
    op = open_matrix(sites, slots, missing="closed" if assumption == "closed" else "open")
    total = float(w.sum()) or 1.0
    filled = np.where(np.isnan(mat), np.inf, mat)
    rows = []
    cache: dict[bytes, tuple[float, float]] = {}
    for j, slot in enumerate(slots):
        col = op[:, j]
        k = col.tobytes()
        if k not in cache:
            best = filled[col].min(axis=0) if col.any() else np.full(filled.shape[1], np.inf)
            within = float(w[best < threshold].sum())
            reach = best[np.isfinite(best)]
            med = float(np.median(reach)) if len(reach) else np.nan
            cache[k] = (100.0 * within / total, med)
        pct, med = cache[k]
        rows.append({"slot": slot, "day": DAY_NAMES[slot.dayofweek], "hour": slot.hour, "pct_within": pct,
                     "sites_open": int(col.sum()), "median_minutes": med})
    return pd.DataFrame(rows)


def _with_when(prof: pd.DataFrame) -> pd.DataFrame:
    return prof.assign(when=prof["day"].str[:3] + " " + prof["hour"].astype(str).str.zfill(2) + ":00")


def _line(prof: pd.DataFrame) -> alt.Chart:
    return alt.Chart(_with_when(prof)).mark_area(line={"color": "#005eb8"}, color="#cfe3f5",
                                                 interpolate="step-after").encode(
        x=alt.X("slot:T", title=None, axis=alt.Axis(format="%a %H:%M", labelAngle=0, tickCount=14)),
        y=alt.Y("pct_within:Q", title="% of adults within threshold", scale=alt.Scale(domain=[0, 100])),
        tooltip=[alt.Tooltip("when:N", title="Time"), alt.Tooltip("pct_within:Q", title="% within", format=".1f"),
                 alt.Tooltip("sites_open:Q", title="Sites open")],
    ).properties(height=240)


def _heat(prof: pd.DataFrame) -> alt.Chart:
    return alt.Chart(_with_when(prof)).mark_rect().encode(
        x=alt.X("hour:O", title="Hour of day"),
        y=alt.Y("day:N", sort=list(DAY_NAMES), title=None),
        color=alt.Color("pct_within:Q", title="% adults within", scale=alt.Scale(domain=[0, 100], range=["#ffffff", "#08519c"])),
        tooltip=[alt.Tooltip("when:N", title="Time"), alt.Tooltip("sites_open:Q", title="Sites open"),
                 alt.Tooltip("pct_within:Q", title="% within", format=".1f")],
    ).properties(height=220)


def render(an: Any) -> None:
    """The Opening hours tab."""
    c = an.controls
    s = an.sites_all
    has = (s["opening_hours"].astype(str).str.strip() != "") | (s["opening_hours_text"].astype(str).str.strip() != "")
    n_has = int(has.sum())
    st.markdown(f"**{n_has} of {len(s)} sites** have recorded opening hours. "
                "The rest (most pharmacies) have none in the open data:")
    assumption = c.missing_hours
    st.info(f"{missing_hours_text(assumption)} – an assumption, not published hours (change it in the "
            "sidebar; replace it by adding hours to your sites file).", icon=":material/schedule:")
    if len(s) == 0:
        st.info("No sites of the chosen types.")
        return
    prof = weekly_profile((*an.cache_key, data.site_key(s)), an, c.threshold_minutes, assumption)
    est = " (ESTIMATED times)" if an.is_estimate else ""
    st.markdown(f"**Share of adults within {c.threshold_minutes} min of an open site, through the week**{est}")
    pkey = (*an.cache_key, data.site_key(s), c.threshold_minutes, assumption)
    data.show_chart(("hours-line", *pkey), lambda: _line(prof))
    st.markdown("**Coverage by day and hour** (darker = more adults within reach of an open site)")
    data.show_chart(("hours-heat", *pkey), lambda: _heat(prof))
    st.markdown(f"**Sites at {c.when_label}**")
    tbl = s[["name", "site_type", "opening_hours_text", "opening_hours", "open_now", "in_area"]].copy()
    tbl["open_now"] = tbl["open_now"].map({True: "open", False: "closed"}).fillna(
        f"no hours ({ASSUMPTIONS[assumption][0]})")
    tbl.columns = ["Site", "Type", "Hours (as published)", "Hours (OSM)", f"{c.when_label}", "In area"]
    st.dataframe(tbl.sort_values(["Type", "Site"]), width="stretch", hide_index=True)
