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
from geo import TravelMode


@st.cache_resource(show_spinner=False, max_entries=64)  # read-only; a cache_data hit unpickles every frame
def _summary(key: tuple[Any, ...], _an: Analysis, threshold: int) -> dict[str, Any]:
    return _an.study.coverage_summary(_an.times, threshold_minutes=float(threshold))


@st.cache_data(show_spinner=False, max_entries=64)
def _window(key: tuple[Any, ...], _an: Analysis, threshold: int) -> dict[str, Any] | None:
    """Public transport: coverage at each time of the window (the router keeps its routes)."""
    return _an.study.window_coverage(thresholds=(float(threshold),), times=_an.times, sites=_an.sites)


def summary(an: Analysis) -> dict[str, Any] | None:
    if an.times is None:
        return None
    return _summary(an.cache_key, an, an.controls.threshold_minutes)


def headline(an: Analysis) -> None:
    """Four headline tiles."""
    s = summary(an)
    c = an.controls
    cols = st.columns(4)
    cols[0].metric("Adults (18+) in the area", data.fmt_int(an.area.adults),
                   help="Census 2021 residents aged 18+ (ONS-band estimate), core LSOAs only.")
    n_in = int(an.sites["in_area"].sum()) if "in_area" in an.sites else len(an.sites)
    cols[1].metric("Sites in the area", f"{n_in:,}",
                   help=f"{len(an.sites) - n_in} more within {an.study.buffer_km:g} km across the border "
                        "are counted" if c.cross_border else "Cross-border sites are excluded.")
    if an.times is not None:  # about the area only: sites left out, neighbourhoods unreachable, no site inside
        from atlas import layout

        layout.warnings(an.times.attrs.get("warnings", []), an.times.attrs.get("warning_details", {}), key="cov")
    if s is None:
        cols[2].metric(f"Adults beyond {c.threshold_minutes} min", "–")
        cols[3].metric("Median minutes", "–")
        return
    h = s["headline"]
    est = " (est.)" if an.is_estimate else ""
    rng = (f" (range {h['pct_beyond_low']:.1f}–{h['pct_beyond_high']:.1f}%)"
           if "pct_beyond_low" in h else "")
    why = " The range allows for the estimate's measured error against real road times (10th-90th percentile)."
    window = _window(an.cache_key, an, c.threshold_minutes) if c.travel.mode is TravelMode.TRANSIT else None
    if window is not None and not rng:  # timetable-based: the headline is a window statistic
        w = window[f"{float(c.threshold_minutes):g}"]
        rng = f" (over the window {w['pct_beyond_min']:.1f}–{w['pct_beyond_max']:.1f}%)"
        verb = "arriving by" if window["arrive_by"] else "leaving at"
        why = (f" Timetable-based: the headline is the {window['statistic']} journey over the window; the range is "
               f"the share {verb} each of its {len(window['times'])} times {window['times'][0]}–{window['times'][-1]}.")
    cols[2].metric(f"Adults beyond {c.threshold_minutes} min{est}", data.fmt_int(h["adults_beyond"]),
                   delta=f"{h['pct_beyond']:.1f}% of adults{rng}", delta_color="off", delta_arrow="off",
                   help="Adults whose nearest site (by the chosen mode) is at or over the threshold, "
                        "or unreachable." + (why if rng else ""))
    mrng = (f"range {h['median_minutes_low']:.0f}–{h['median_minutes_high']:.0f} min"
            if "median_minutes_low" in h else None)
    cols[3].metric(f"Median minutes{est}", f"{h['median_minutes']:.0f}", delta=mrng, delta_color="off",
                   delta_arrow="off",
                   help="Adults-weighted median of minutes to the nearest site of any type (reachable LSOAs)."
                        + (" The range is the median of every neighbourhood's time at the 10th and 90th "
                           "percentile of the router's measured error." if mrng else ""))
    by_service(an)


@st.cache_resource(show_spinner=False, max_entries=64)  # read-only: the table as shown, built once
def _by_service(key: tuple[Any, ...], _an: Analysis, threshold: int) -> tuple[pd.DataFrame | None, bool]:
    from geo import ranges

    per = _an.study.coverage_by_service(thresholds=(float(threshold),), times=_an.times)
    if per.empty:
        return None, False
    table = ranges.side_by_side(per, ("adults_within", "adults_beyond", "pct_beyond", "mean_minutes", "median_minutes"),
                         threshold_minutes=threshold, verdicts=())
    return table, "adults_within_low" in per.columns


def by_service(an: Analysis) -> None:
    """Access to each chosen service side by side (and to the nearest site of any type), with ranges."""
    if an.times is None or len(an.study.result_services) < 2:
        return
    table, has_ranges = _by_service(an.cache_key, an, an.controls.threshold_minutes)
    if table is None:
        return
    st.markdown("**Access by service** – each column is the journey to the nearest site of that service; "
                "the last is the nearest site of any type")
    st.table(table)
    if has_ranges:
        st.caption("Ranges: every neighbourhood's time at the 10th and 90th percentile of the router's measured "
                   "error (estimate: held-out errors against real road times).")


def _bar(df: pd.DataFrame, x_title: str, *, threshold: int, show: str, horizontal: bool = False) -> alt.Chart:
    d = df.reset_index()
    d = d.rename(columns={d.columns[0]: "group"})
    order = [str(g) for g in d["group"]]
    d["group"] = d["group"].astype(str)
    d["Beyond"] = d["pct_beyond"].round(1)
    d["Median"] = d["median_minutes"].round(0)
    col, title, dom = (("Beyond", f"% of adults beyond {threshold} min", [0, 100]) if show == "beyond"
                       else ("Median", "Median minutes to nearest site", None))
    y = alt.Y(f"{col}:Q", title=title, scale=alt.Scale(domain=dom) if dom else alt.Undefined)
    if horizontal:
        xq = alt.X(f"{col}:Q", title=title, scale=alt.Scale(domain=dom) if dom else alt.Undefined)
        base = alt.Chart(d).encode(
            y=alt.Y("group:N", title=None, sort=order, axis=alt.Axis(labelLimit=260)), x=xq,
            tooltip=[alt.Tooltip("group:N", title=x_title), alt.Tooltip("Beyond:Q", title="% beyond"),
                     alt.Tooltip("adults:Q", title="Adults", format=",.0f"),
                     alt.Tooltip("Median:Q", title="Median minutes", format=".0f")])
        colour = "#d95f02" if show == "beyond" else "#2c7bb6"
        return (base.mark_bar(color=colour) + base.mark_text(dx=10, fontSize=11).encode(
            text=alt.Text(f"{col}:Q", format=".0f"))).properties(height=260)
    base = alt.Chart(d).encode(
        x=alt.X("group:N", title=x_title, sort=order, axis=alt.Axis(labelAngle=0, labelLimit=150)),
        y=y,
        tooltip=[alt.Tooltip("group:N", title=x_title), alt.Tooltip("Beyond:Q", title="% beyond"),
                 alt.Tooltip("adults:Q", title="Adults", format=",.0f"),
                 alt.Tooltip("adults_beyond:Q", title="Adults beyond", format=",.0f"),
                 alt.Tooltip("Median:Q", title="Median minutes", format=".0f")],
    )
    colour = "#d95f02" if show == "beyond" else "#2c7bb6"
    return (base.mark_bar(color=colour, cornerRadiusTopLeft=2, cornerRadiusTopRight=2)
            + base.mark_text(dy=-6, fontSize=11).encode(text=alt.Text(f"{col}:Q", format=".0f"))).properties(
        height=260)


#: Place breakdowns of the coverage table (``--by`` in the CLI).
PLACE_BREAKDOWNS = {"lad24nm": "District (council)", "former_district": "Former district (before 2021)",
                    "ward": "Ward (2024)"}


@st.cache_data(show_spinner=False, max_entries=32)
def _by_place(key: tuple[Any, ...], _an: Analysis, threshold: int, by: str) -> pd.DataFrame:
    return _an.study.coverage_table(_an.times, threshold_minutes=float(threshold), by=by)


@st.cache_data(show_spinner=False, max_entries=64)
def _nothing_beyond(key: tuple[Any, ...], _times: pd.DataFrame, threshold: int) -> str | None:
    from atlas.state import THRESHOLD_SLIDER
    from geo import ranges

    # suggestions round to the slider's step, so the tip can be followed
    return ranges.nothing_beyond_hint(_times, threshold_minutes=float(threshold), resolution=float(THRESHOLD_SLIDER[2]))


def nothing_beyond(an: Analysis) -> None:
    """Say so when nobody is beyond the threshold, with a threshold that gives an answer."""
    if an.times is None:
        return
    hint = _nothing_beyond(an.cache_key, an.times, an.controls.threshold_minutes)
    if hint:
        st.info(hint + " Change the threshold in the sidebar.", icon=":material/lightbulb:")


def charts(an: Analysis) -> None:
    s = summary(an)
    if s is None:
        st.info("Coverage charts appear once travel times are available.")
        return
    t = an.controls.threshold_minutes
    anyone_beyond = s["headline"]["adults_beyond"] > 0
    ss = st.session_state
    if ss.get("cov_chart_for") != (t, anyone_beyond):  # a new threshold: charts follow it
        ss["cov_chart_show"] = "beyond" if anyone_beyond else "median"
        ss["cov_chart_for"] = (t, anyone_beyond)
    show = st.radio("Charts show", ["beyond", "median"], horizontal=True, key="cov_chart_show", persist_state="page",
                    format_func=lambda v: {"beyond": f"% of adults beyond {t} min",
                                           "median": "median minutes"}[v])
    if not anyone_beyond:
        st.caption(f"Every adult in the area is within {t} minutes of a site; compare median journeys instead.")
    left, right = st.columns(2)
    with left:
        st.markdown(f"**By deprivation** – {an.study.imd_label(an.times)} decile, 1 = most deprived 10% of England")
        if "by_imd_decile" in s:
            data.show_chart(("cov-imd", *an.cache_key, t, show),
                            lambda: _bar(s["by_imd_decile"], "IMD decile", threshold=t, show=show))
    with right:
        st.markdown("**By rurality** – ONS rural-urban classification 2021")
        if "by_ruc21nm" in s:
            data.show_chart(("cov-ruc", *an.cache_key, t, show),
                            lambda: _bar(s["by_ruc21nm"], "Rural-urban class", threshold=t, show=show,
                                         horizontal=True))
    by = st.segmented_control("Break down by place", list(PLACE_BREAKDOWNS), format_func=PLACE_BREAKDOWNS.get,
                              default="lad24nm", key="cov_by", persist_state="page") or "lad24nm"
    table = s.get(f"by_{by}")
    if table is None and by in an.times.columns:
        table = _by_place(an.cache_key, an, t, by)
    if table is not None:
        d = table[["adults", "adults_beyond", "pct_beyond", "median_minutes", "lsoas"]].copy()
        d.index.name = PLACE_BREAKDOWNS[by].split(" (")[0]
        d.columns = ["Adults", f"Adults beyond {t} min", "% beyond", "Median minutes", "Neighbourhoods"]
        st.dataframe(d.style.format({"Adults": "{:,.0f}", f"Adults beyond {t} min": "{:,.0f}",
                                     "% beyond": "{:.1f}", "Median minutes": "{:.0f}"}),
                     width="stretch")


def render(an: Analysis) -> None:
    """The Coverage tab."""
    headline(an)
    nothing_beyond(an)
    mapview.method_badge(an)
    catch = None
    if an.controls.mode != "transit":
        show = st.toggle(f"Show {an.controls.threshold_minutes}-minute catchments around sites in the area",
                         value=False, key="cov_catchments", persist_state="page",
                         help="Roads from which a site is reached within the threshold (circles for estimates).")
        if show:
            c = an.controls
            t = float(c.threshold_minutes)
            catch = data.catchments(an.study, an.study_key, data.site_key(an.sites), an.sites, (round(t / 2), t))
    mapview.show_html(an, key="map-coverage", catchments=catch, extra_key=("catch", catch is not None))
    st.caption("Hover a neighbourhood for details; click a site for its address and hours. "
               "Faded areas lie outside the study area and are shown for context.")
    charts(an)
    from atlas.views import capacity

    capacity.render_section(an)
