"""The Scenario view's planning panels: closure impact of every site and where new sites help most.

Both answer per service (each service studied and the nearest site of any type), every figure
with its 10th-90th percentile range (docs/uncertainty.md); new sites are ranked by the gain
they can show and named by place and postcode.  Also the helpers the Scenario view shares:
the study over the sites shown, the list of changes and readable table headers.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from atlas import data
from atlas.context import Analysis
from atlas.team import signin
from geo import GeoError, Study

KEY = "scenario_changes"


def changes() -> list[dict[str, Any]]:
    """The scenario's changes (small dicts of primitives in the session)."""
    return st.session_state.setdefault(KEY, [])


def shown_study(an: Analysis) -> Study:
    """The analysis's study over the sites shown (after the open-now filter), sharing its router."""
    return Study(an.study.spec, settings=data.settings(), area=an.area, sites=an.sites, router=an.study.router)


@st.cache_resource(show_spinner="Testing the closure of every site, per service…", max_entries=16)
def _closure(key: tuple[Any, ...], _an: Analysis, threshold: int) -> pd.DataFrame:
    return shown_study(_an).closure()


def closure_panel(an: Analysis) -> None:
    """Closure impact of every site, per service, with ranges (on request: it routes every site)."""
    from geo import ranges

    t = an.controls.threshold_minutes
    with st.expander("What if each site closed? (closure impact per service, with ranges)"):
        if not st.toggle("Test every closure", value=False, key="scen_closure_on", persist_state="page"):
            st.caption("Leaves each site out in turn and counts who would fall beyond the threshold, for each "
                       "service it counts for and for the nearest site of any type.")
            return
        try:
            res = _closure(an.cache_key, an, t)
        except GeoError as exc:
            st.error(str(exc))
            return
        if st.session_state.get("_closure_audited") != (an.cache_key, t):  # once per area, sites and threshold
            st.session_state["_closure_audited"] = (an.cache_key, t)
            signin.record("scenario", view="Scenario", area=an.area.name,
                          detail=f"closure impact: {len(an.sites)} site(s), threshold {t} min")
        keep = ["name", "service_label", "nearest_for_adults", "newly_beyond_adults", "newly_beyond_adults_low",
                "newly_beyond_adults_high", "left_without_site_adults", "left_without_site_adults_low",
                "left_without_site_adults_high", "mean_minutes_increase", "mean_minutes_increase_low",
                "mean_minutes_increase_high", "verdict"]
        top = res[res.index <= 10]
        st.dataframe(nice(ranges.collapse_ranges(top[[c for c in keep if c in top.columns]])), width="stretch")
        st.caption(f"The 10 most harmful closures, worst first. Ranges: {res.attrs['uncertainty']['method']}.")


#: Table headers people read (the rest: underscores become spaces, first letter capital).
HEADERS = {
    "imd_decile": "IMD decile", "lad24nm": "District", "lsoa21nm": "Neighbourhood (LSOA)", "place": "Place (ward)",
    "lsoas": "Neighbourhoods", "adults": "Adults", "adults_within_before": "Adults within (before)",
    "adults_within_after": "Adults within (after)", "adults_newly_within": "Adults newly within",
    "adults_newly_beyond": "Adults newly beyond", "mean_minutes_before": "Mean minutes (before)",
    "mean_minutes_after": "Mean minutes (after)", "mean_minutes_change": "Change in mean minutes",
    "minutes_before": "Minutes (before)", "minutes_after": "Minutes (after)", "minutes_change": "Change in minutes",
    "site_before": "Nearest site (before)", "site_after": "Nearest site (after)",
    "within_before": "Within (before)", "within_after": "Within (after)", "site_id": "Site code",
    "name": "Name", "site_type": "Type", "postcode": "Postcode", "adults_newly_covered": "Adults newly within",
    "cumulative_adults_newly_covered": "Running total", "mean_minutes_saved": "Mean minutes saved",
    "cumulative_mean_minutes_saved": "Running total (minutes)", "service_label": "Service",
    "nearest_for_adults": "Nearest site for (adults)", "newly_beyond_adults": "Adults who would be beyond",
    "left_without_site_adults": "Adults left with none of this service", "mean_minutes_increase": "Rise in mean minutes",
    "verdict": "Verdict", "label": "Where (place, postcode)", "note": "Near ties",
}


def nice(df: pd.DataFrame | None) -> pd.DataFrame:
    if df is None:
        return pd.DataFrame()
    out = df.copy()
    for c in out.columns:
        if out[c].dtype.kind == "f":
            out[c] = out[c].round(1)
        elif out[c].dtype == object:
            out[c] = out[c].where(out[c].notna(), "")
    out.columns = [HEADERS.get(str(c), str(c).replace("_", " ").capitalize()) for c in out.columns]
    if out.index.name:
        out.index.name = HEADERS.get(str(out.index.name), str(out.index.name).replace("_", " ").capitalize())
    return out


def optimiser(an: Analysis) -> None:
    st.markdown("**3. Where would new sites help most?** – for each service, ranked by the gain they can show")
    from geo import CANDIDATE_KINDS

    labels = {"pharmacy": "community pharmacies", "gp": "GP practices", "town": "town centres"}
    with st.form("optimiser"):
        c1, c2, c3 = st.columns(3)
        k = c1.number_input("New sites (k)", 1, 10, 2, key="opt_k", persist_state="page")
        obj = c2.selectbox("Aim", ["mclp", "pmedian"], key="opt_obj", persist_state="page",
                           format_func=lambda o: {"mclp": "Most adults newly within the threshold",
                                                  "pmedian": "Shortest average journey"}[o])
        kinds = c3.multiselect("Candidate locations", list(CANDIDATE_KINDS), default=["gp", "town"],
                               format_func=lambda x: labels.get(x, x), key="opt_kinds", persist_state="page")
        go = st.form_submit_button("Find the best sites", type="primary")
    if go:
        try:
            found = _optimise(an.cache_key, an, int(k), obj, tuple(kinds), an.controls.threshold_minutes)
            signin.record("scenario", view="Scenario", area=an.area.name,  # no audit line, no result
                          detail=f"optimiser: {k} site(s), aim {obj}, threshold {an.controls.threshold_minutes} min")
            st.session_state["opt_result"] = found
        except GeoError as exc:
            st.error(f"**The optimiser could not run.** {exc}")
            return
    res = st.session_state.get("opt_result")
    if not res or res.get("key") != (an.cache_key, an.controls.threshold_minutes):
        return
    from geo import ranges

    t = an.controls.threshold_minutes
    chosen_all = res["chosen"]
    for key, row in res["by_service"].iterrows():
        st.markdown(f"**Nearest {row['service_label']}**")
        chosen = chosen_all[chosen_all["service"] == key] if len(chosen_all) else chosen_all
        if chosen.empty:
            st.info(row["message"], icon=":material/info:")
            continue
        gain = ("adults_newly_covered" if row["objective"] == "mclp" else "mean_minutes_saved")
        text = (f"adults within {t} min from {row['pct_covered_before']:.1f}% to **{row['pct_covered_after']:.1f}%** "
                if row["objective"] == "mclp" else
                f"the average journey from {row['mean_minutes_before']:.1f} to **{row['mean_minutes_after']:.1f} min** ")
        line = f"Opening these {len(chosen)} site(s) would bring {text}({ranges.format_range(gain, row)} in all)."
        if row["verdict"] == ranges.NOT_DISTINGUISHABLE:
            st.warning(line + f" **{ranges.NOT_DISTINGUISHABLE}**: the range includes zero.", icon=":material/help:")
        else:
            st.success(line, icon=":material/trending_up:")
        st.caption(row["message"])
        keep = ["rank", "label", gain, f"{gain}_low", f"{gain}_high", f"cumulative_{gain}", "verdict", "note"]
        table = ranges.collapse_ranges(chosen[[c for c in keep if c in chosen.columns]])
        table[f"cumulative_{gain}"] = [ranges.format_value(gain, v) for v in table[f"cumulative_{gain}"]]
        st.table(nice(table).set_index("Rank"))
    st.caption(f"{res['summary']['candidates']} candidates tested; ranked by the 10th percentile of each pick's "
               f"gain over {res['summary']['ranges'].split(' of ')[-1] if res['summary'].get('ranges') else 'draws'}; "
               f"{res['summary']['router']}.")
    if len(chosen_all) and st.button("Add these sites to the scenario", key="opt_add"):
        for _, row in chosen_all.drop_duplicates("site_id").iterrows():
            changes().append({"kind": "add", "name": str(row.get("name", "Optimised site")),
                               "easting": float(row["easting"]), "northing": float(row["northing"]),
                               "postcode": str(row.get("postcode", "")), "place": str(row.get("place", "")),
                               "site_id": f"scenario:opt-{row.get('site_id', len(changes()))}"})
        st.rerun()


def _optimise(key: tuple[Any, ...], an: Analysis, k: int, objective: str, kinds: tuple[str, ...],
              threshold: int) -> dict[str, Any]:
    if not kinds:
        from geo import InputError

        raise InputError("choose at least one kind of candidate location")
    study = shown_study(an)
    cands = study.candidates(kinds)
    with st.spinner(f"Testing {len(cands)} candidate locations for each service, with their ranges…"):
        out = study.optimise(cands, k=k, objective=objective, method="greedy" if len(cands) > 400 else "exact")
    return {"key": (key, threshold), **out}
