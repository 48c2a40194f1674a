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

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from atlas import data, mapview
from atlas.context import Analysis, metric_frame
from atlas.team import signin
from atlas.views import plans
from atlas.views.plans import nice, shown_study
from geo import NEW_SITE_TYPE, SITE_TYPES, GeoError, Study, csv_bytes, geojson, markers

KEY = plans.KEY
_changes = plans.changes


def _changes_key() -> tuple[tuple[tuple[str, Any], ...], ...]:
    return tuple(tuple(sorted(c.items())) for c in _changes())


def _to_scenario(changes: list[dict[str, Any]]) -> Any:
    """The session's changes as a :class:`geo.Scenario` (the editor's own note ``place`` left out)."""
    from geo import Scenario

    return Scenario(name="atlas scenario", changes=tuple({k: v for k, v in c.items() if k != "place"}
                                                         for c in changes))


@st.cache_resource(show_spinner="Comparing before and after, per service, with ranges…", max_entries=32)
def _run(key: tuple[Any, ...], _an: Analysis, changes_key: tuple[Any, ...], threshold: int) -> dict[str, Any]:
    return shown_study(_an).scenario(_to_scenario(_changes()))


@st.cache_data(show_spinner="Writing the GeoPackage…", max_entries=8)
def _gpkg(key: tuple[Any, ...], _an: Analysis, changes_key: tuple[Any, ...], threshold: int) -> bytes:
    """The scenario's GIS layers (changed neighbourhoods, sites with what changed) as GeoPackage bytes."""
    from geo import export_scenario_geopackage

    res = _run(key, _an, changes_key, threshold)
    with tempfile.TemporaryDirectory(prefix="geo-scenario-") as folder:
        path = export_scenario_geopackage(Path(folder) / "scenario.gpkg", _an.area, res,
                                          allowed_postcodes=_an.study.public_site_postcodes())
        return path.read_bytes()


def _locate(study: Study, how: str, pc: str, click: Any) -> tuple[float, float, str, str]:
    """Easting, northing, postcode and place of the chosen point; a GeoError names a bad postcode."""
    if how == "postcode":
        e, n, _prec, code = study.locate(pc.strip(), what="Postcode")
    else:
        e, n, code = float(click[0]), float(click[1]), ""
    where = study.place_labels(pd.DataFrame({"easting": [e], "northing": [n], "postcode": [code], "name": [""]}))
    return e, n, code or str(where["postcode"].iloc[0]), str(where["place"].iloc[0])


def _try_add(change: dict[str, Any], an: Analysis) -> str | None:
    """Check a change with those already listed before listing it (a site already added at the same
    postcode is refused, not duplicated); the error text, or None when it is fine."""
    try:
        an.study.scenario_sites(_to_scenario([*_changes(), change]), sites=an.sites)
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
    kinds = [k for k, t in SITE_TYPES.items() if t.proposable]
    stype = a2.selectbox("Type", kinds, index=kinds.index(NEW_SITE_TYPE), key="scen_type", persist_state="page",
                         format_func=lambda t: SITE_TYPES[t].label)
    have_point = bool(pc.strip()) if how == "postcode" else bool(click)
    b1, b2 = st.columns(2)
    error = None
    if b1.button("Add site here", disabled=not have_point, key="scen_add", type="primary"):
        try:
            e, n, code, place = _locate(an.study, how, pc, click)
            error = _try_add({"kind": "add", "name": name.strip() or "New site", "site_type": stype,
                              "site_id": f"scenario:{len(_changes()) + 1}", "easting": e, "northing": n,
                              "postcode": code, "place": place}, an)
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
            e, n, code, place = _locate(an.study, how, pc, click)
            error = _try_add({"kind": "move", "site_id": target, "easting": e, "northing": n, "postcode": code,
                              "place": place}, an)
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
        where = ", ".join(x for x in (ch.get("place"), ch.get("postcode")) if x) or (
            f"({ch['easting']:,.0f}, {ch['northing']:,.0f})" if ch.get("easting") is not None else "")
        text = {"add": f"Add **{ch.get('name')}** ({markers.site_style(ch.get('site_type', NEW_SITE_TYPE)).phrase}) "
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


def _delta(value: float, low: float, high: float, *, digits: int = 0, unit: str = "") -> str:
    """``"+4,224 (range +0 to +4,224)"`` for a metric tile's delta."""
    f = f"{{:+,.{digits}f}}"
    value, low, high = (round(float(x), digits) + 0.0 for x in (value, low, high))  # never "-0.0"
    if f.format(low) == f.format(high) == f.format(value):
        return f.format(value) + unit
    return f"{f.format(value)}{unit} (range {f.format(low)} to {f.format(high)})"


def _verdict_line(row: pd.Series, t: int) -> None:
    """One line under a service's tiles saying whether the change can be told from no change."""
    from geo import ranges

    who = f"Nearest {row['service_label']}"
    v = str(row["verdict"])
    lo, hi = row["adults_within_change_low"], row["adults_within_change_high"]
    chance = row.get("chance_of_gain")
    odds = (f" It is a gain in {100 * chance:.0f}% of the simulated worlds."
            if chance is not None and pd.notna(chance) else "")
    if v == ranges.NOT_DISTINGUISHABLE:
        minutes = ""
        if row["mean_minutes_change_high"] <= -0.5:
            minutes = (f" Journeys are clearly shorter, though: mean {row['mean_minutes_change']:+.1f} min "
                       f"(range {row['mean_minutes_change_low']:+.1f} to {row['mean_minutes_change_high']:+.1f}).")
        st.warning(f"**{who}: not distinguishable from no change.** The change in adults within {t} min "
                   f"({row['adults_within_change']:+,.0f}) has a range of {lo:+,.0f} to {hi:+,.0f}, which includes "
                   "zero: travel-time error and where the sites really are could undo it." + odds + minutes,
                   icon=":material/help:")
    elif v == "loss":
        lost = row["adults_within_before"] - row["adults_within_after"]
        st.error(f"**{who}: access lost.** {lost:,.0f} fewer adults within {t} min (range "
                 f"{-hi:,.0f} to {-lo:,.0f}); {row['adults_no_site_reachable_after']:,.0f} adults left with no "
                 f"{row['service_label']} reachable." if row["adults_no_site_reachable_after"] > 0 else
                 f"**{who}: access lost.** {lost:,.0f} fewer adults within {t} min (range {-hi:,.0f} to {-lo:,.0f}).",
                 icon=":material/trending_down:")
    elif v == "gain":
        st.success(f"**{who}: a clear gain.** {row['adults_within_change']:+,.0f} adults within {t} min "
                   f"(range {lo:+,.0f} to {hi:+,.0f}: above zero in at least 9 of 10 simulated worlds).{odds}",
                   icon=":material/trending_up:")
    else:
        st.caption(f"{who}: no change in who is within {t} min ({row['mean_minutes_verdict']} in mean minutes).")


def _service_tiles(row: pd.Series, t: int) -> None:
    import math

    def tile(col: Any, label: str, value: float, fmt: str, change: str, digits: int, *, unit: str = "",
             inverse: bool = False, help_text: str | None = None) -> None:
        ch, lo, hi = (float(row[change]), float(row[f"{change}_low"]), float(row[f"{change}_high"]))
        if not math.isfinite(value):
            col.metric(label, "–", delta="no site reachable", delta_color="off", delta_arrow="off", help=help_text)
            return
        moved = round(ch, digits) != 0
        col.metric(label, fmt.format(value), delta=_delta(ch, lo, hi, digits=digits, unit=unit),
                   delta_color=("inverse" if inverse else "normal") if moved else "off",
                   delta_arrow="auto" if moved else "off", help=help_text)

    cols = st.columns([1.3, 1, 1, 1])
    tile(cols[0], f"Adults within {t} min", float(row["adults_within_after"]), "{:,.0f}", "adults_within_change", 0,
         help_text=f"Nearest {row['service_label']}: adults within {t} minutes after the changes; the delta is the "
                   "change with its 10th–90th percentile range.")
    tile(cols[1], "% of adults within", float(row["pct_within_after"]), "{:.1f}%", "pct_within_change_pts", 1,
         unit=" pts")
    tile(cols[2], "Mean minutes", float(row["mean_minutes_after"]), "{:.1f}", "mean_minutes_change", 1, inverse=True)
    tile(cols[3], "Median minutes", float(row["median_minutes_after"]), "{:.1f}", "median_minutes_change", 1,
         inverse=True)


def _result(an: Analysis) -> None:
    from geo import ranges

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
                      detail=f"scenario: {len(_changes())} change(s), threshold {t} min")
    by = res["by_service"]
    est = " (ESTIMATE)" if an.is_estimate else ""
    st.markdown(f"**2. What changes, for each service**{est} – every figure with its range")
    for _, row in by.iterrows():
        st.markdown(f"**Nearest {row['service_label']}**")
        _service_tiles(row, t)
        _verdict_line(row, t)
    with st.expander("All figures side by side, with their ranges"):
        st.table(ranges.side_by_side(by, ranges.SCENARIO_TABLE, threshold_minutes=t,
                              verdicts=(("verdict", "Verdict (adults within)"),
                                        ("mean_minutes_verdict", "Verdict (mean minutes)"))))
        raw = csv_bytes(by)
        left, right = st.columns(2)
        left.download_button("Download the figures (CSV)", raw, file_name="scenario_by_service.csv",
                             mime="text/csv", key="scen_dl_service",
                             on_click=signin.download_logger("Scenario", "scenario figures by service (CSV)", raw,
                                                             rows=len(by), area=an.area.name))
        gpkg = _gpkg(an.cache_key, an, _changes_key(), t)
        right.download_button("Download for GIS (GeoPackage)", gpkg, file_name="scenario.gpkg",
                              mime="application/geopackage+sqlite3", key="scen_dl_gpkg",
                              help="Layers scenario_lsoas (neighbourhoods whose journey changes, per service, "
                                   "minutes before/after with ranges) and scenario_sites (added, removed, moved, "
                                   "changed, unchanged); EPSG:27700",
                              on_click=signin.download_logger("Scenario", "scenario layers (GeoPackage)", gpkg,
                                                              area=an.area.name))
    st.caption(f"Ranges: {res['summary']['ranges']}. Travel-time error: {res['summary']['travel_time_error']}. "
               "See docs/uncertainty.md.")
    keys = list(by.index)
    show = keys[0]
    if len(keys) > 1:
        show = st.segmented_control("Maps and tables show journeys to", keys, default=keys[0], key="scen_show",
                                    format_func=lambda k: f"nearest {by.loc[k, 'service_label']}") or keys[0]
    after_sites = res["sites_after"]
    after_times = data.times(an.study, (an.area.key, an.controls.travel), data.site_key(after_sites), after_sites)
    shown = replace(an, times=an.study.service_times(an.times, show) if an.times is not None else None,
                    controls=replace(an.controls, metric="minutes"))
    after = replace(an, sites=after_sites, times=an.study.service_times(after_times, show),
                    controls=replace(an.controls, metric="minutes"))
    st.markdown("**Before and after** – minutes to the nearest site; ★ added, → moved (new place), "
                "✕ closed or moved away")
    st.markdown("Before")
    mapview.show_html(shown, key="map-scenario-before", frame_spec=lambda: metric_frame(shown),
                      extra_key=("before", show), height=480, site_legend=False)
    st.markdown("After")
    mapview.show_html(after, key="map-scenario-after", frame_spec=lambda: metric_frame(after),
                      extra_key=("after", show, _changes_key()), height=480,
                      proposed=_proposed(an, with_click=False), site_legend=False)
    st.markdown("**Minutes saved or lost** – green: the nearest site is now closer; red: further away")
    mapview.show_html(after, key="map-scenario-saved", frame_spec=lambda: _saved_frame(shown, after),
                      extra_key=("saved", show, _changes_key()), proposed=_proposed(an, with_click=False),
                      site_legend=False)
    names = _site_names(an, res)
    t1, t2, t3 = st.tabs(["By deprivation", "By district", "Neighbourhoods that change"])

    def pick(frame: pd.DataFrame | None) -> pd.DataFrame | None:
        if frame is None or not len(frame):
            return frame
        return ranges.collapse_ranges(frame.xs(show, level="service")) if show in frame.index.get_level_values(0) else None

    with t1:
        st.dataframe(nice(pick(res.get("by_imd_decile"))), width="stretch")
    with t2:
        st.dataframe(nice(pick(res.get("by_lad"))), width="stretch")
    with t3:
        ch = res.get("changed_lsoas")
        ch = ch.xs(show, level="service") if ch is not None and show in ch.index.get_level_values(0) else None
        if ch is not None:
            ch = ch.copy()
            for col in ("site_before", "site_after"):
                if col in ch.columns:
                    ch[col] = ch[col].astype(str).map(lambda v: names.get(v, v))
            if "place" in an.area.lsoas.columns:
                ch.insert(0, "place", an.area.lsoas["place"].reindex(ch.index))
            st.dataframe(nice(ranges.collapse_ranges(ch)), width="stretch")
            raw = csv_bytes(ch)
            st.download_button("Download changed neighbourhoods (CSV)", raw,
                               file_name=f"scenario_changed_lsoas_{show}.csv", mime="text/csv", key="scen_dl",
                               on_click=signin.download_logger("Scenario", "changed neighbourhoods (CSV)", raw,
                                                               rows=len(ch), area=an.area.name))
        else:
            st.caption("No neighbourhood's journey changes for this service.")


#: Minutes saved (positive) or lost (negative): reds for longer trips, greens for shorter.
SAVED_BINS = (-10.0, -5.0, -0.5, 0.5, 5.0, 10.0)
SAVED_COLOURS = ("#b2182b", "#ef8a62", "#fddbc7", "#f7f7f7", "#d9f0d3", "#7fbf7b", "#1b7837")
SAVED_LABELS = ["10+ min longer", "5–10 min longer", "up to 5 min longer", "no change",
                "up to 5 min saved", "5–10 min saved", "10+ min saved"]


def _saved_frame(an: Analysis, after: Analysis) -> tuple[Any, Any]:
    """Minutes saved per LSOA between two analyses (their ``times`` already per the chosen service)."""
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


def render(an: Analysis) -> None:
    """The Scenario tab."""
    st.markdown("**1. Change the sites** – click the map to pick a point, or use a postcode.")
    left, right = st.columns([3, 2], gap="medium")
    with left:
        _click_map(an)
    with right:
        _edit_panel(an)
    _result(an)
    plans.closure_panel(an)
    st.divider()
    plans.optimiser(an)
