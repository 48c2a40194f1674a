"""National view: England (or a region) from a ``geo batch`` run folder.

Layout::

    ┌ run folder (path; default the latest run in the cache) ┐
    ├ mode · threshold ──────────────────────────────────────┤
    ├ headline metrics (coverage, authorities, method) ──────┤
    ├ LAD choropleth (one feature per authority) ────────────┤
    ├ rank table (worst first) · summary download ───────────┤
    └ drill-down: one authority's LSOAs (reads one partition)┘

Only the summary table is read for the national map; a drill-down reads one partition file.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from atlas import basemap, leaflet, mapview
from atlas.team import signin
from geo import GeoError, Method, Settings, batch_report, csv_bytes, geojson

MAP_HEIGHT = 520


@st.cache_data(show_spinner=False, max_entries=8)
def _summary(path: str, stamp: float) -> pd.DataFrame:
    return batch_report.read_summary(path)


@st.cache_resource(show_spinner=False)
def _lads(data_dir: str) -> Any:
    from geo import Area

    return Area.districts(Settings.from_env(data_dir))


@st.cache_data(show_spinner=False, max_entries=16)
def _national_html(path: str, stamp: float, mode: str, threshold: float, data_dir: str) -> tuple[str, int]:
    """The LAD map as standalone HTML, and the GeoJSON payload size in bytes."""
    summary = _summary(path, stamp)
    gj = batch_report.lad_choropleth(summary, _lads(data_dir), mode=mode, threshold_minutes=threshold)
    others = batch_report.lads_not_in_run(summary, _lads(data_dir))
    both = {"type": "FeatureCollection", "features": others["features"] + gj["features"]}
    m = basemap.base_map(geojson.geojson_bounds(gj))  # fitted to the authorities the run covers
    labels = geojson.legend_labels(batch_report.COVERAGE_BINS, unit="%", decimals=1)
    leaflet.lsoa_choropleth(both, legend_title=f"% adults within {threshold:g} min ({mode})",
                            bins=batch_report.COVERAGE_BINS, colours=batch_report.COVERAGE_COLOURS,
                            labels=labels, name="Authorities", value_label="Coverage",
                            no_data_label="not in this batch run" if others["features"] else "").add_to(m)
    return mapview.offline_html(m), len(json.dumps(both))


@st.cache_data(show_spinner=False, max_entries=32)
def _drill_html(path: str, stamp: float, lad: str, mode: str, threshold: float) -> tuple[str, pd.DataFrame]:
    part = batch_report.read_partition(path, lad)
    frame = part.rename(columns={f"minutes_{mode}": "minutes", f"site_name_{mode}": "site_name"})
    bins = tuple(sorted({threshold / 2, threshold, threshold * 1.5, threshold * 2}))
    colours = ("#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027")
    gj = geojson.choropleth_geojson(frame, "minutes", bins=bins, colours=colours, label_format="{:.0f} min")
    m = basemap.base_map(geojson.geojson_bounds(gj))
    leaflet.lsoa_choropleth(gj, legend_title=f"{mode} minutes to the nearest site", bins=bins, colours=colours,
                            value_label="Minutes").add_to(m)
    table = pd.DataFrame(part.drop(columns="geometry"))
    return mapview.offline_html(m), table


def _default_run() -> str:
    from geo import BatchRuns

    try:
        run = BatchRuns(Settings.from_env()).latest()
    except GeoError:
        return ""
    return str(run) if run is not None else ""


def render(an: Any) -> None:
    """The National tab (independent of the sidebar's area)."""
    st.markdown("#### National view from a batch run")
    path = st.text_input("Batch output folder", value=_default_run(), key="national_run",
                         help="A folder written by `geo batch` (default: the latest run in the cache).")
    if not path:
        st.info("No batch run found. Run one, e.g. `geo batch --area England --sites pharmacy,hub "
                "--modes drive,walk`, then reload.")
        return
    summary_file = Path(path) / "summary.parquet"
    if not summary_file.is_file():
        st.error(f"{path}: no summary.parquet here; choose a folder a finished `geo batch` run wrote.")
        return
    stamp = summary_file.stat().st_mtime
    summary = _summary(path, stamp)
    modes = batch_report.run_modes(summary)
    c1, c2 = st.columns(2)
    mode = c1.selectbox("Mode", modes, key="national_mode")
    thresholds = batch_report.run_thresholds(summary, mode)
    threshold = c2.selectbox("Threshold (minutes)", thresholds, index=len(thresholds) // 2,
                             key="national_threshold", format_func=lambda t: f"{t:g}")
    cover = batch_report.run_coverage(summary, _lads(str(Settings.from_env().data_dir)))
    st.markdown(cover["text"])
    if cover["not_covered"]:
        with st.expander(f"Show details: the {len(cover['covered'])} authorities in this run and the "
                         f"{len(cover['not_covered'])} not in it", key="national_cover_details"):
            left, right = st.columns(2)
            left.markdown("**In this run**")
            left.text("\n".join(cover["covered"]))
            right.markdown("**Not in this run**")
            right.text("\n".join(cover["not_covered"]))
    head = batch_report.national_headline(summary, mode=mode)
    methods = summary[f"method_{mode}"].value_counts()
    cols = st.columns(3)
    cols[0].metric(f"Adults within {threshold:g} min", f"{head.loc[threshold, 'pct_within']:.1f}%")
    cols[1].metric("Authorities", f"{len(summary):,}",
                   delta=f"{int(head.loc[threshold, 'authorities_below_90pct'])} below 90%", delta_color="off")
    routed = sum(int(n) for m, n in methods.items() if Method.of_result(m).is_routed)
    cols[2].metric("Routed (roads or timetable)", f"{routed:,}",
                   help="Other authorities use the calibrated straight-line estimate (labelled per row).")
    if methods.get("estimate", 0):
        st.warning(f"ESTIMATE for {int(methods['estimate'])} of {len(summary)} authorities: no road network "
                   "covered them, so their times are the calibrated straight-line estimate.")
    mixed_col = f"estimated_trips_{mode}"
    if mixed_col in summary and int(summary[mixed_col].fillna(0).sum()):
        st.info(f"Mixed method: {int(summary[mixed_col].fillna(0).sum()):,} neighbourhoods' trips have a leg beyond "
                "the loaded roads, timed by the calibrated straight-line estimate (labelled per neighbourhood).")
    html, payload = _national_html(path, stamp, mode, float(threshold), str(Settings.from_env().data_dir))
    with st.container(key="national_map"):
        st.iframe(html, height=MAP_HEIGHT)
    st.caption(f"Map payload {payload / 1e6:.2f} MB (one feature per authority).")
    st.markdown("##### Authorities ranked (lowest coverage first)")
    ranks = batch_report.rank_table(summary, mode=mode, threshold_minutes=float(threshold), top=None)
    st.dataframe(ranks, width="stretch", hide_index=False)
    raw = csv_bytes(summary)
    st.download_button("Download the national summary (CSV)", raw,
                       file_name="national_summary.csv", mime="text/csv", key="national_dl_summary",
                       on_click=signin.download_logger("National", "national summary (CSV)", raw, rows=len(summary)))
    st.markdown("##### One authority's neighbourhoods")
    names = summary["lad24nm"].astype(str).to_dict()
    lad = st.selectbox("Authority", list(ranks.index), key="national_lad", format_func=lambda c: names.get(c, c))
    t0 = time.perf_counter()
    drill, table = _drill_html(path, stamp, str(lad), mode, float(threshold))
    seconds = time.perf_counter() - t0
    with st.container(key="national_drill"):
        st.iframe(drill, height=MAP_HEIGHT - 80)
    st.caption(f"{names.get(lad, lad)}: {len(table)} LSOAs, read from one partition in {seconds:.2f} s.")
    raw = csv_bytes(table, index=False)
    st.download_button(f"Download {names.get(lad, lad)} LSOAs (CSV)", raw,
                       file_name=f"{lad}_lsoas.csv", mime="text/csv", key="national_dl_lad",
                       on_click=signin.download_logger("National", "authority neighbourhoods (CSV)", raw,
                                                       rows=len(table), area=names.get(lad, lad)))
