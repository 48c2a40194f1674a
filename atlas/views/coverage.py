"""Coverage view: headline numbers, the map, and charts by deprivation, rurality and district.

Layout::

    ┌ headline metrics (4 tiles) ───────────────────────────┐
    ├ method badge (network / ESTIMATE) ────────────────────┤
    ├ map (choropleth + sites) ─────────────────────────────┤
    ├ by IMD decile chart │ by rurality chart ──────────────┤
    └ by district table ────────────────────────────────────┘
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from atlas import data, mapview
from atlas.context import Analysis


@st.cache_data(show_spinner=False, max_entries=64)
def _summary(key: tuple[Any, ...], _times: pd.DataFrame, threshold: int) -> dict[str, Any]:
    from geo.coverage import coverage_summary

    return coverage_summary(_times, threshold_minutes=float(threshold))


def summary(an: Analysis) -> dict[str, Any] | None:
    if an.times is None or not data.has_module("coverage"):
        return None
    return _summary(an.cache_key, an.times, an.controls.threshold_minutes)


def headline(an: Analysis) -> None:
    """Four headline tiles."""
    s = summary(an)
    c = an.controls
    cols = st.columns(4)
    cols[0].metric("Adults (18+) in the area", data.fmt_int(an.area.adults),
                   help="Census 2021 residents aged 18+ (ONS-band estimate), core LSOAs only.")
    n_in = int(an.sites["in_area"].sum()) if "in_area" in an.sites else len(an.sites)
    cols[1].metric("Sites in the area", f"{n_in:,}",
                   help=f"{len(an.sites) - n_in} more within 15 km across the border are counted"
                   if c.cross_border else "Cross-border sites are excluded.")
    if s is None:
        cols[2].metric(f"Adults beyond {c.threshold_minutes} min", "–")
        cols[3].metric("Median minutes", "–")
        return
    h = s["headline"]
    est = " (est.)" if an.is_estimate else ""
    cols[2].metric(f"Adults beyond {c.threshold_minutes} min{est}", data.fmt_int(h["adults_beyond"]),
                   delta=f"{h['pct_beyond']:.1f}% of adults", delta_color="off",
                   help="Adults whose nearest site (by the chosen mode) is at or over the threshold, "
                        "or unreachable.")
    cols[3].metric(f"Median minutes{est}", f"{h['median_minutes']:.0f}",
                   help="Adults-weighted median of minutes to the nearest site (reachable LSOAs).")


def _bar(df: pd.DataFrame, x: str, x_title: str, *, sort: Any = None, threshold: int) -> alt.Chart:
    d = df.reset_index().rename(columns={df.index.name or "index": "group"})
    d["group"] = d["group"].astype(str)
    d["Beyond"] = d["pct_beyond"].round(1)
    base = alt.Chart(d).encode(
        x=alt.X("group:N", title=x_title, sort=sort, axis=alt.Axis(labelAngle=0, labelLimit=160)),
        y=alt.Y("Beyond:Q", title=f"% of adults beyond {threshold} min", scale=alt.Scale(domain=[0, 100])),
        tooltip=[alt.Tooltip("group:N", title=x_title), alt.Tooltip("Beyond:Q", title="% beyond"),
                 alt.Tooltip("adults:Q", title="Adults", format=",.0f"),
                 alt.Tooltip("adults_beyond:Q", title="Adults beyond", format=",.0f"),
                 alt.Tooltip("median_minutes:Q", title="Median minutes", format=".0f")],
    )
    return (base.mark_bar(color="#d95f02", cornerRadiusTopLeft=2, cornerRadiusTopRight=2)
            + base.mark_text(dy=-6, fontSize=11).encode(text=alt.Text("Beyond:Q", format=".0f"))).properties(
        height=260)


def charts(an: Analysis) -> None:
    s = summary(an)
    if s is None:
        st.info("Coverage charts appear once travel times are available.")
        return
    t = an.controls.threshold_minutes
    left, right = st.columns(2)
    with left:
        st.markdown("**By deprivation** – IMD 2025 decile, 1 = most deprived 10% of England")
        if "by_imd_decile" in s:
            st.altair_chart(_bar(s["by_imd_decile"], "imd_decile", "IMD decile", threshold=t),
                            width="stretch")
    with right:
        st.markdown("**By rurality** – ONS rural-urban classification 2021")
        if "by_ruc21nm" in s:
            st.altair_chart(_bar(s["by_ruc21nm"], "ruc21nm", "Rural-urban class", threshold=t),
                            width="stretch")
    if "by_lad24nm" in s:
        st.markdown("**By district**")
        d = s["by_lad24nm"][["adults", "adults_beyond", "pct_beyond", "median_minutes", "lsoas"]].copy()
        d.columns = ["Adults", f"Adults beyond {t} min", "% beyond", "Median minutes", "LSOAs"]
        st.dataframe(d.style.format({"Adults": "{:,.0f}", f"Adults beyond {t} min": "{:,.0f}",
                                     "% beyond": "{:.1f}", "Median minutes": "{:.0f}"}),
                     width="stretch")


def render(an: Analysis) -> None:
    """The Coverage tab."""
    headline(an)
    mapview.method_badge(an)
    m = mapview.build_map(an)
    mapview.show(m, key="map-coverage")
    st.caption("Hover a neighbourhood for details; click a site for its address and hours. "
               "Faded areas lie outside the study area and are shown for context.")
    charts(an)
