"""Scenario view: add, remove or move sites and see what changes; find the best k new sites.

Layout::

    ┌ 1. edit: [click map | postcode] add · remove · move ─┬ list of changes ──┐
    ├ click map (returns last_clicked only) ───────────────┴───────────────────┤
    ├ 2. result: headline deltas ───────────────────────────────────────────────┤
    ├ before map │ after map ───────────────────────────────────────────────────┤
    ├ tables: by IMD decile · by district · changed neighbourhoods ─────────────┤
    └ 3. optimiser: k, objective, candidates → chosen sites [add to scenario] ──┘

Changes live in ``st.session_state["scenario_changes"]`` as small dicts (primitives only).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st

from atlas import data, mapview
from atlas.context import Analysis, metric_frame
from atlas.team import signin
from geo import GeoError
from geo.outputs import geojson

KEY = "scenario_changes"


def _changes() -> list[dict[str, Any]]:
    return st.session_state.setdefault(KEY, [])


def _changes_key() -> tuple[tuple[tuple[str, Any], ...], ...]:
    return tuple(tuple(sorted(c.items())) for c in _changes())


def _to_scenario(changes: list[dict[str, Any]]) -> Any:
    from geo.planning.scenarios import AddSite, MoveSite, RemoveSite, Scenario

    out = []
    for c in changes:
        if c["kind"] == "add":
            out.append(AddSite(name=c["name"], site_type=c.get("site_type", "satellite"), easting=c.get("easting"),
                               northing=c.get("northing"), postcode=c.get("postcode") or None,
                               site_id=c.get("site_id")))
        elif c["kind"] == "remove":
            out.append(RemoveSite(site_id=c["site_id"]))
        elif c["kind"] == "move":
            out.append(MoveSite(site_id=c["site_id"], easting=c.get("easting"), northing=c.get("northing"),
                                postcode=c.get("postcode") or None))
    return Scenario(name="atlas scenario", changes=tuple(out))


@st.cache_resource(show_spinner="Comparing before and after…", max_entries=32)
def _run(key: tuple[Any, ...], _an: Analysis, changes_key: tuple[Any, ...], threshold: int) -> dict[str, Any]:
    from geo.planning.scenarios import run_scenario

    an = _an
    return run_scenario(_to_scenario(_changes()), an.area, an.sites, an.study.router, threshold_minutes=float(threshold),
                        settings=data.settings())


def _locate(how: str, pc: str, click: Any) -> tuple[float, float, str]:
    """Easting, northing and postcode of the chosen point; a GeoError names a bad postcode."""
    if how == "postcode":
        from geo.planning.scenarios import resolve_location

        e, n, _prec, code = resolve_location(postcode=pc.strip(), settings=data.settings(), what="Postcode")
        return e, n, code
    return float(click[0]), float(click[1]), ""


def _try_add(change: dict[str, Any], an: Analysis) -> str | None:
    """Check a change with those already listed before listing it (a site already added at the same
    postcode is refused, not duplicated); the error text, or None when it is fine."""
    from geo.planning.scenarios import apply_scenario

    try:
        apply_scenario(_to_scenario([*_changes(), change]), an.sites, settings=data.settings())
    except GeoError as exc:
        return str(exc)
    _changes().append(change)
    return None


def _edit_panel(an: Analysis) -> None:
    click = st.session_state.get("scenario_click")
    ss = st.session_state
    how = st.radio("Place by", ["map click", "postcode"], horizontal=True, key="scen_place_by",
                   persist_state="page", help="Click the map, or type a postcode; then add or move a site there.")
    pc = ""
    if how == "postcode":
        pc = st.text_input("Postcode", key="scen_postcode", persist_state="page", placeholder="e.g. LE15 6RB")
    elif click:
        st.caption(f"Clicked point: easting {click[0]:,}, northing {click[1]:,}")
    else:
        st.caption("Click anywhere on the map to choose a point.")
    a1, a2 = st.columns(2)
    name = a1.text_input("New site name", "New satellite clinic", key="scen_name", persist_state="page")
    stype = a2.selectbox("Type", ["satellite", "hub", "outreach", "pharmacy", "nsp"], key="scen_type",
                         persist_state="page", format_func=lambda t: geojson.site_style(t).label)
    have_point = bool(pc.strip()) if how == "postcode" else bool(click)
    b1, b2 = st.columns(2)
    error = None
    if b1.button("Add site here", disabled=not have_point, key="scen_add", type="primary"):
        try:
            e, n, code = _locate(how, pc, click)
            error = _try_add({"kind": "add", "name": name.strip() or "New site", "site_type": stype,
                              "site_id": f"scenario:{len(_changes()) + 1}", "easting": e, "northing": n,
                              "postcode": code}, an)
        except GeoError as exc:
            error = str(exc)
        if error is None:
            ss.pop("scenario_click", None)  # the star becomes the new site
    ids = an.sites["site_id"].astype(str).tolist()
    names = dict(zip(ids, an.sites["name"].astype(str), strict=True))
    target = st.selectbox("Existing site", ids, format_func=lambda i: names.get(i, i), key="scen_target",
                          persist_state="page", index=None, placeholder="Choose a site to close or move")
    c1, c2 = st.columns(2)
    if c1.button("Close this site", disabled=target is None, key="scen_remove"):
        error = _try_add({"kind": "remove", "site_id": target}, an)
    if c2.button("Move it to the point", disabled=target is None or not have_point, key="scen_move"):
        try:
            e, n, code = _locate(how, pc, click)
            error = _try_add({"kind": "move", "site_id": target, "easting": e, "northing": n, "postcode": code}, an)
        except GeoError as exc:
            error = str(exc)
        if error is None:
            ss.pop("scenario_click", None)
    if error:
        st.error(f"**Not added:** {error}", icon=":material/error:")
    st.markdown("**Changes in this scenario**")
    if not _changes():
        st.caption("None yet. Add, close or move a site.")
    all_names = dict(zip(an.sites_all["site_id"].astype(str), an.sites_all["name"].astype(str), strict=True))
    for i, ch in enumerate(list(_changes())):
        where = ch.get("postcode") or (f"({ch['easting']:,.0f}, {ch['northing']:,.0f})"
                                      if ch.get("easting") is not None else "")
        text = {"add": f"Add **{ch.get('name')}** ({geojson.site_style(ch.get('site_type', '')).label.lower()}) "
                       f"at {where}",
                "remove": f"Close **{all_names.get(ch.get('site_id'), ch.get('site_id'))}**",
                "move": f"Move **{all_names.get(ch.get('site_id'), ch.get('site_id'))}** to {where}"}[ch["kind"]]
        r1, r2 = st.columns([6, 1], vertical_alignment="center")
        r1.markdown(f"{i + 1}. {text}")
        if r2.button("✕", key=f"scen_del_{i}_{ch.get('site_id', '')}", help="Remove this change"):
            _changes().pop(i)
            st.rerun()
    if _changes() and st.button("Clear all changes", key="scen_clear"):
        st.session_state[KEY] = []
        st.rerun()


def _click_map(an: Analysis) -> None:
    m = mapview.build_map(an, extra_key=("scenario-click",), proposed=_proposed(an), width_px=560, height_px=520)
    out = mapview.show(m, key="map-scenario-click", clicks=True, height=520)
    lc = (out or {}).get("last_clicked")
    if lc and lc.get("lat") is not None:
        pt = geojson.click_to_bng(float(lc["lat"]), float(lc["lng"]))
        if st.session_state.get("scenario_click") != pt:
            st.session_state["scenario_click"] = pt
            st.rerun()


def _proposed(an: Analysis, *, with_click: bool = True) -> pd.DataFrame | None:
    """Markers for the changes: added sites, moved sites at their new place, closed sites."""
    rows = [{"name": c["name"], "easting": c["easting"], "northing": c["northing"], "site_type": "proposed"}
            for c in _changes() if c["kind"] == "add" and c.get("easting") is not None]
    names = dict(zip(an.sites_all["site_id"].astype(str), an.sites_all["name"].astype(str), strict=True))
    where = an.sites_all.set_index(an.sites_all["site_id"].astype(str))[["easting", "northing"]]
    for c in _changes():
        sid = str(c.get("site_id"))
        if c["kind"] in {"remove", "move"} and sid in where.index:
            rows.append({"name": f"{names.get(sid, sid)} ({'closed' if c['kind'] == 'remove' else 'moved from here'})",
                         "easting": float(where.loc[sid, "easting"]), "northing": float(where.loc[sid, "northing"]),
                         "site_type": "closed"})
        if c["kind"] == "move" and c.get("easting") is not None:
            rows.append({"name": f"{names.get(sid, sid)} (moved here)", "easting": c["easting"],
                         "northing": c["northing"], "site_type": "moved"})
    click = st.session_state.get("scenario_click")
    if click and with_click and st.session_state.get("scen_place_by", "map click") == "map click":
        rows.append({"name": "Clicked point", "easting": click[0], "northing": click[1], "site_type": "proposed"})
    return pd.DataFrame(rows) if rows else None


def _result(an: Analysis) -> None:
    t = an.controls.threshold_minutes
    if not _changes():
        return
    try:
        res = _run(an.cache_key, an, _changes_key(), t)
    except GeoError as exc:
        st.error(f"**The scenario could not be run.** {exc}")
        return
    if st.session_state.get("_scen_audited") != (an.cache_key, _changes_key(), t):  # once per scenario
        st.session_state["_scen_audited"] = (an.cache_key, _changes_key(), t)
        signin.record("scenario", view="Scenario", area=an.area.name,
                      detail=f"{len(_changes())} change(s), threshold {t} min")
    s = res["summary"]
    est = " (ESTIMATE)" if an.is_estimate else ""
    st.markdown(f"**2. What changes**{est}")
    cols = st.columns(4)
    d_adults = s["adults_within_after"] - s["adults_within_before"]
    d_pct = s["pct_within_after"] - s["pct_within_before"]
    d_mean = s["mean_minutes_change"]
    cols[0].metric(f"Adults within {t} min", data.fmt_int(s["adults_within_after"]),
                   delta=f"{d_adults:+,.0f}", delta_arrow="auto" if round(d_adults) else "off")
    cols[1].metric("% of adults within", f"{s['pct_within_after']:.1f}%",
                   delta=f"{d_pct:+.1f} pts", delta_arrow="auto" if round(d_pct, 1) else "off")
    cols[2].metric("Mean minutes", f"{s['mean_minutes_after']:.1f}",
                   delta=f"{d_mean:+.1f}", delta_color="inverse", delta_arrow="auto" if round(d_mean, 1) else "off")
    cols[3].metric("Nearest site changes", value=f"{s['lsoas_nearest_site_changed']:,}")
    after_sites = res["sites_after"]
    after_times = data.times(an.study, (an.area.key, an.controls.travel), data.site_key(after_sites), after_sites)
    after = replace(an, sites=after_sites, times=after_times)
    st.markdown("**Before and after** – minutes to the nearest site; ★ added, → moved (new place), "
                "✕ closed or moved away")
    st.markdown("Before")
    before = replace(an, controls=replace(an.controls, metric="minutes"))
    mapview.show_html(before, key="map-scenario-before", frame_spec=lambda: metric_frame(before),
                      extra_key=("before",), height=480, site_legend=False)
    st.markdown("After")
    after = replace(after, controls=replace(an.controls, metric="minutes"))
    mapview.show_html(after, key="map-scenario-after", frame_spec=lambda: metric_frame(after),
                      extra_key=("after", _changes_key()), height=480,
                      proposed=_proposed(an, with_click=False), site_legend=False)
    st.markdown("**Minutes saved or lost** – green: the nearest site is now closer; red: further away")
    mapview.show_html(after, key="map-scenario-saved", frame_spec=lambda: _saved_frame(an, after),
                      extra_key=("saved", _changes_key()), proposed=_proposed(an, with_click=False),
                      site_legend=False)
    names = _site_names(an, res)
    t1, t2, t3 = st.tabs(["By deprivation", "By district", "Neighbourhoods that change"])
    with t1:
        st.dataframe(_nice(res.get("by_imd_decile")), width="stretch")
    with t2:
        st.dataframe(_nice(res.get("by_lad")), width="stretch")
    with t3:
        ch = res.get("changed_lsoas")
        if ch is not None:
            ch = ch.copy()
            for col in ("site_before", "site_after"):
                if col in ch.columns:
                    ch[col] = ch[col].astype(str).map(lambda v: names.get(v, v))
            if "place" in an.area.lsoas.columns:
                ch.insert(0, "place", an.area.lsoas["place"].reindex(ch.index))
        st.dataframe(_nice(ch), width="stretch")
        if ch is not None and len(ch):
            raw = data.csv_bytes(_nice(ch))
            st.download_button("Download changed neighbourhoods (CSV)", raw,
                               file_name="scenario_changed_lsoas.csv", mime="text/csv", key="scen_dl",
                               on_click=signin.download_logger("Scenario", "changed neighbourhoods (CSV)", raw,
                                                               rows=len(ch), area=an.area.name))


#: Minutes saved (positive) or lost (negative): reds for longer trips, greens for shorter.
SAVED_BINS = (-10.0, -5.0, -0.5, 0.5, 5.0, 10.0)
SAVED_COLOURS = ("#b2182b", "#ef8a62", "#fddbc7", "#f7f7f7", "#d9f0d3", "#7fbf7b", "#1b7837")
SAVED_LABELS = ["10+ min longer", "5–10 min longer", "up to 5 min longer", "no change",
                "up to 5 min saved", "5–10 min saved", "10+ min saved"]


def _saved_frame(an: Analysis, after: Analysis) -> tuple[Any, Any]:
    from atlas.context import MetricSpec

    frame, _ = metric_frame(an)
    before_m = an.times["minutes"].reindex(frame.index) if an.times is not None else None
    after_m = after.times["minutes"].reindex(frame.index) if after.times is not None else None
    frame["minutes_saved"] = (before_m - after_m).round(1) if before_m is not None and after_m is not None else None
    spec = MetricSpec("minutes_saved", "Minutes saved (+) or lost (−)", SAVED_BINS, SAVED_COLOURS, SAVED_LABELS,
                      "{:+.1f} min")
    return frame, spec


def _site_names(an: Analysis, res: dict[str, Any]) -> dict[str, str]:
    """Site id -> name, including the sites the scenario adds."""
    names = dict(zip(an.sites_all["site_id"].astype(str), an.sites_all["name"].astype(str), strict=True))
    after = res.get("sites_after")
    if after is not None and "site_id" in after.columns:
        names.update(zip(after["site_id"].astype(str), after["name"].astype(str), strict=True))
    return names


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
    "cumulative_mean_minutes_saved": "Running total (minutes)",
}


def _nice(df: pd.DataFrame | None) -> pd.DataFrame:
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


def _optimiser(an: Analysis) -> None:
    st.markdown("**3. Where would new sites help most?**")
    from geo.planning.optimise import CANDIDATE_KINDS

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
            st.session_state["opt_result"] = _optimise(an.cache_key, an, int(k), obj, tuple(kinds),
                                                       an.controls.threshold_minutes)
            signin.record("scenario", view="Scenario", area=an.area.name,
                          detail=f"optimiser: {k} site(s), aim {obj}, threshold {an.controls.threshold_minutes} min")
        except GeoError as exc:
            st.error(f"**The optimiser could not run.** {exc}")
            return
    res = st.session_state.get("opt_result")
    if not res or res.get("key") != (an.cache_key, an.controls.threshold_minutes):
        return
    s = res["summary"]
    chosen = res["chosen"]
    if chosen.empty:
        st.info(s.get("message") or "No candidate adds coverage.", icon=":material/info:")
        return
    if s.get("useful_sites", len(chosen)) < s["k"]:
        st.caption(s.get("message", ""))
    if s["objective"] == "mclp":
        st.success(f"Opening these {len(chosen)} sites would bring adults within {an.controls.threshold_minutes} min "
                   f"from {s['pct_covered_before']:.1f}% to **{s['pct_covered_after']:.1f}%**.")
    else:
        st.success(f"Opening these {len(chosen)} sites would cut the average journey from "
                   f"{s['mean_minutes_before']:.1f} to **{s['mean_minutes_after']:.1f} min**.")
    st.dataframe(_nice(chosen.drop(columns=[c for c in ("easting", "northing") if c in chosen])), width="stretch")
    st.caption(f"{s['candidates']} candidates tested; solver {s['method']}; {s['router']}.")
    if st.button("Add these sites to the scenario", key="opt_add"):
        for _, row in chosen.iterrows():
            _changes().append({"kind": "add", "name": str(row.get("name", "Optimised site")), "site_type": "satellite",
                               "easting": float(row["easting"]), "northing": float(row["northing"]),
                               "site_id": f"scenario:opt-{row.get('site_id', len(_changes()))}"})
        st.rerun()


def _optimise(key: tuple[Any, ...], an: Analysis, k: int, objective: str, kinds: tuple[str, ...],
              threshold: int) -> dict[str, Any]:
    from geo.planning.optimise import load_candidates, optimise_sites

    if not kinds:
        from geo import InputError

        raise InputError("choose at least one kind of candidate location")
    r = an.study.router
    cands = load_candidates(list(kinds), an.area, settings=data.settings(), existing=an.sites)
    with st.spinner(f"Testing {len(cands)} candidate locations…"):
        out = optimise_sites(an.area, an.sites, cands, r, k=k, objective=objective,
                             threshold_minutes=float(threshold), method="greedy" if len(cands) > 400 else "exact")
    return {"key": (key, threshold), "summary": out["summary"], "chosen": out["chosen"]}


def render(an: Analysis) -> None:
    """The Scenario tab."""
    st.markdown("**1. Change the sites** – click the map to pick a point, or use a postcode.")
    left, right = st.columns([3, 2], gap="medium")
    with left:
        _click_map(an)
    with right:
        _edit_panel(an)
    _result(an)
    st.divider()
    _optimiser(an)
