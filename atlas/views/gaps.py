"""Gaps view: where high need meets long journeys; a ranked outreach list with CSV download.

Layout::

    ┌ explanation + weights (need / time) + options ───────┐
    ├ map coloured by gap score ───────────────────────────┤
    ├ outreach list (top N, ranked) + download button ─────┤
    └ rural gaps count ────────────────────────────────────┘
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from atlas import mapview
from atlas.context import Analysis, gap_table, metric_frame
from atlas.team import signin
from geo import SERVICE_COLUMNS, csv_bytes

NEED_SOURCES = {"imd": "IMD 2025 score (deprivation)",
                "composite": "Composite need (deprivation, health, drug deaths, clients if uploaded)"}


def render(an: Analysis) -> None:
    """The Gaps tab."""
    if an.times is None:
        st.info("Gaps need travel times: choose site types that have sites.")
        return
    t = an.controls.threshold_minutes
    st.markdown(
        f"A neighbourhood's **gap score** grows with its **need** (percentile within the area) and its "
        f"**journey** (minutes ÷ {t}-minute threshold). Use the list to plan outreach: top rows are where "
        "need is high *and* services are far.")
    c1, c2, c3, c4 = st.columns([1.3, 1, 1, 1])
    c1.selectbox("Need measure", list(NEED_SOURCES), format_func=NEED_SOURCES.get, key="gap_need", persist_state="page")
    c2.slider("Weight on need", 0.0, 3.0, 1.0, 0.5, key="gap_w_need", persist_state="page")
    c3.slider("Weight on travel time", 0.0, 3.0, 1.0, 0.5, key="gap_w_time", persist_state="page")
    top = c4.number_input("Rows in the list", 5, 500, 20, step=5, key="gap_top", persist_state="page")
    keys = an.study.result_services
    if len(keys) > 1:
        from geo import selection_label

        st.selectbox("Score journeys to", list(keys), index=len(keys) - 1, key="gap_service", persist_state="page",
                     format_func=lambda k: f"the nearest {selection_label(k)}",
                     help="Rank neighbourhoods by their journey to one service (e.g. treatment hubs), or to the "
                          "nearest site of any type. The list shows every service side by side.")
    beyond_only = st.toggle(f"Only neighbourhoods beyond {t} min", value=False, key="gap_beyond", persist_state="page")
    g = gap_table(an)
    if g is None:
        return
    mapview.method_badge(an)
    gap_an = _with_metric(an, "gap")
    mapview.show_html(gap_an, key="map-gaps", frame_spec=lambda: metric_frame(gap_an),
                      extra_key=("gap", st.session_state.get("gap_need"), st.session_state.get("gap_w_need"),
                                 st.session_state.get("gap_w_time"), st.session_state.get("client_counts_key"),
                                 st.session_state.get("gap_service")))

    rows = g[g["beyond_threshold"]] if beyond_only else g
    cols = outreach_columns(rows, keys)
    out = rows[cols].head(int(top)).copy()
    out.index.name = "lsoa21cd"
    nice = {"rank": "Rank", "place": "Place (ward)", "lsoa21nm": "Neighbourhood", "lad24nm": "District", "adults": "Adults",
            "imd_decile": "IMD decile", "urban_rural": "Urban/rural", "minutes": "Minutes (any site)",
            "site_name": "Nearest site (any)", "need_percentile": "Need percentile", "score": "Gap score",
            "rural_gap": "Rural gap"}
    out = _minutes_text(out, keys)
    if rows.empty:
        st.info(f"No neighbourhood is beyond {t} minutes, so there is no outreach list to download. Turn off "
                "'Only neighbourhoods beyond' or choose a tighter threshold in the sidebar.")
        return
    st.markdown(f"**Outreach list** – top {len(out)} of {len(rows):,} neighbourhoods"
                + (" (ESTIMATED minutes)" if an.is_estimate else ""))
    st.dataframe(out.rename(columns=nice), width="stretch",
                 column_config={
                                "Gap score": st.column_config.NumberColumn(format="%.2f"),
                                "Need percentile": st.column_config.ProgressColumn(min_value=0, max_value=1,
                                                                                   format="%.2f"),
                                "Adults": st.column_config.NumberColumn(format="%d")})
    full = outreach_download(rows, keys, method=an.method)
    raw = csv_bytes(full)
    st.download_button("Download the outreach list (CSV)", raw,
                       file_name=f"outreach_{an.area.name.lower().replace(' ', '_')}_{t}min.csv",
                       mime="text/csv", key="gap_download",
                       on_click=signin.download_logger("Gaps", "outreach list (CSV)", raw,
                                                       rows=len(full), area=an.area.name))
    n_rural = int(g["rural_gap"].sum()) if "rural_gap" in g else 0
    st.caption(f"{n_rural} rural neighbourhoods are beyond {t} minutes (rural gaps). Method: "
               f"{g.attrs.get('gap_method', 'need percentile × minutes / threshold')}.")
    release = st.session_state.get("client_release")
    if st.session_state.get("gap_need") == "composite" and release is not None:
        from geo import default_ptable

        st.caption(f"Composite need uses the uploaded client extract: {release.label} (each neighbourhood's "
                   f"count within ±{default_ptable().max_noise} of the true count).")


def outreach_columns(rows: pd.DataFrame, keys: tuple[str, ...]) -> list[str]:
    """Columns of the outreach list: minutes to any site with its range, then each service's side by side."""
    per_service = [c.format(k) for k in keys if k != "any" and len(keys) > 1 for c in SERVICE_COLUMNS]
    return [c for c in ("rank", "place", "lsoa21nm", "lad24nm", "adults", "imd_decile", "urban_rural", "minutes",
                        "minutes_low", "minutes_high", "site_name", *per_service, "need_percentile", "score",
                        "rural_gap") if c in rows.columns]


def outreach_download(rows: pd.DataFrame, keys: tuple[str, ...], *, method: str) -> pd.DataFrame:
    """The outreach list as downloaded: every row, minutes (and their ranges) to 0.1 min, the method."""
    full = rows[outreach_columns(rows, keys)].copy()
    full.index.name = "lsoa21cd"
    for col in full.columns:
        if col.startswith("minutes") or col in ("score", "need_percentile"):
            full[col] = full[col].astype(float).round(1 if col.startswith("minutes") else 3)
    full["method"] = method
    return full


def _minutes_text(out: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    """Minutes with their range as one readable column each ("16 (13–19)"), services side by side."""
    from geo import selection_label

    out = out.copy()
    names = {"": "Minutes (any site)"} | {f"_{k}": f"Minutes to {selection_label(k)}" for k in keys if k != "any"}
    for suffix, label in names.items():
        col = f"minutes{suffix}"
        if col not in out.columns:
            continue
        lo, hi = out.get(f"{col}_low"), out.get(f"{col}_high")
        text = [("–" if pd.isna(v) else f"{v:.0f}") + (f" ({a:.0f}–{b:.0f})" if lo is not None and pd.notna(a) else "")
                for v, a, b in zip(out[col], lo if lo is not None else out[col], hi if hi is not None else out[col],
                                   strict=True)]
        out = out.drop(columns=[c for c in (f"{col}_low", f"{col}_high") if c in out.columns])
        out[col] = text
        out = out.rename(columns={col: label})
    for k in keys:
        if f"site_name_{k}" in out.columns:
            out = out.rename(columns={f"site_name_{k}": f"Nearest {selection_label(k)}"})
    return out


def _with_metric(an: Analysis, metric: str) -> Analysis:
    from dataclasses import replace

    return replace(an, controls=replace(an.controls, metric=metric))
