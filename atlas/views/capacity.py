"""Capacity-based access (2SFCA / E2SFCA) as a small section of the Coverage view.

Site capacities (places) are edited in a table; the section shows the adults-weighted access
score (capacity per 1,000 adults within the catchment) before and after the edit, overall and
by IMD decile.  Sites without a capacity count as 1 place, as in ``geo access --measure 2sfca``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st


@st.cache_data(show_spinner="Calculating capacity-based access…", max_entries=16)
def _change(key: tuple[Any, ...], _an: Any, _after: pd.DataFrame, measure: str, catchment: float) -> dict[str, Any]:
    return _an.study.capacity_change(_after, before=_an.sites, measure=measure, catchment_minutes=catchment)


def edited_sites(sites: pd.DataFrame, edits: pd.DataFrame) -> pd.DataFrame:
    """``sites`` with the capacities of ``edits`` (``site_id`` -> ``capacity``) applied."""
    out = pd.DataFrame(sites).copy()
    cap = pd.to_numeric(edits.set_index("site_id")["capacity"], errors="coerce")
    known = out["site_id"].isin(cap.index)
    out.loc[known, "capacity"] = out.loc[known, "site_id"].map(cap).to_numpy()
    return out


def render_section(an: Any) -> None:
    """The 'Capacity-based access' expander (needs travel times for the area)."""
    if an is None or an.times is None or str(getattr(an.controls.mode, "value", an.controls.mode)) == "transit" \
            or not len(an.sites):
        return
    if not st.toggle("Capacity-based access (2SFCA): places per 1,000 adults within reach", value=False,
                     key="cap_show", help="Two-step floating catchment: each site's places shared among the adults "
                                          "within the catchment; edit capacities to see the change."):
        return
    with st.container(border=True):
        left, right = st.columns(2)
        measure = left.radio("Measure", ["2sfca", "e2sfca"], horizontal=True, key="cap_measure",
                             format_func={"2sfca": "2SFCA", "e2sfca": "E2SFCA (distance-weighted)"}.get)
        catchment = right.slider("Catchment (minutes)", 10, 60, 30, step=5, key="cap_catchment")
        inside = an.sites[an.sites["in_area"]] if "in_area" in an.sites else an.sites
        table = pd.DataFrame({"site_id": inside["site_id"], "name": inside["name"],
                              "capacity": pd.to_numeric(inside.get("capacity"), errors="coerce")})
        st.caption("Set places per site (blank = 1 place). Cross-border sites keep their capacity.")
        edits = st.data_editor(table, key="cap_edits", hide_index=True, disabled=["site_id", "name"],
                               column_config={"capacity": st.column_config.NumberColumn(
                                   "capacity", min_value=0.0, step=1.0)})
        after = edited_sites(an.sites, edits)
        key = (*an.cache_key, measure, catchment, tuple(pd.to_numeric(edits["capacity"], errors="coerce").fillna(-1)))
        res = _change(key, an, after, measure, float(catchment))
        s = res["summary"]
        c1, c2, c3 = st.columns(3)
        c1.metric(f"{measure.upper()} before", f"{s['mean_score_before']:.3f}",
                  help="Adults-weighted mean of capacity per 1,000 adults within the catchment.")
        c2.metric(f"{measure.upper()} after", f"{s['mean_score_after']:.3f}",
                  delta=f"{s['mean_score_change']:+.3f}")
        c3.metric("Neighbourhoods changed", f"{s['lsoas_score_changed']:,}")
        if "by_imd_decile" in res:
            st.dataframe(res["by_imd_decile"].style.format("{:.3f}", subset=["mean_score_before", "mean_score_after",
                                                                           "mean_score_change"]),
                         width="stretch")
