"""The analysis every view shares: area, sites, per-LSOA times and the colour-by metric.

``build(controls)`` returns an :class:`Analysis`; its heavy parts come from the caches in
:mod:`atlas.data`, so a rerun caused by a widget that does not change them costs nothing.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from atlas import data
from atlas.state import Controls, resolve_area
from geo import GeoError, Method, Study

if TYPE_CHECKING:
    import geopandas as gpd

    from geo import Area


@dataclass
class Analysis:
    """Shared results for one set of controls (frames are cached: do not mutate)."""

    controls: Controls
    study: Study
    area: Area
    sites_all: pd.DataFrame
    sites: pd.DataFrame  # after the "open at this time" filter
    times: pd.DataFrame | None
    method: str
    label: str
    warnings: list[str] = field(default_factory=list)

    @property
    def is_estimate(self) -> bool:
        """True unless the times were routed (real roads or a public-transport timetable)."""
        return not Method.of_result(self.method).is_routed

    @property
    def method_label(self) -> str:
        """How the times were made, in words (from :class:`geo.Method`)."""
        return Method.of_result(self.method).label

    @property
    def study_key(self) -> tuple[Any, ...]:
        """Identifies the area, services, buffer and travel spec (not which sites are open)."""
        return (self.area.key, self.controls.site_types, self.controls.cross_border, self.controls.travel)

    @functools.cached_property
    def cache_key(self) -> tuple[Any, ...]:
        """The study key and the shown sites' digest (once per analysis: every view asks for it often)."""
        return (*self.study_key, data.site_key(self.sites))


def _opening(sites: pd.DataFrame, c: Controls, osm_checked: str | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Sites with ``hours_state`` (open / closed / hours unknown at the chosen time), ``open_now``
    (True / False / None = hours unknown), ``open_when`` and ``hours_sources`` (where hours were looked for)."""
    from geo import SiteHours

    warnings: list[str] = []
    out = sites.copy()
    out["open_when"] = c.when_label
    out["open_now"] = None
    out["hours_state"] = "hours unknown"
    out["hours_sources"] = SiteHours(out).provenance(osm_checked=osm_checked) if len(out) else []
    if out.empty:
        return out, warnings
    from atlas.state import MISSING_HOURS

    filled = out
    typical = MISSING_HOURS.get(c.missing_hours, ("", ""))[1]
    if typical:  # the sidebar's "typical hours" assumption fills sites without hours
        has = (out["opening_hours"].astype(str).str.strip() != "") | (
            out["opening_hours_text"].astype(str).str.strip() != "")
        filled = out.copy()
        filled.loc[~has.to_numpy(), "opening_hours"] = typical
    try:
        states = SiteHours(filled).states_at(c.when).to_numpy()
        out["hours_state"] = states
        out["open_now"] = [True if v == "open" else False if v == "closed" else None for v in states]
    except GeoError as exc:
        warnings.append(f"Opening hours could not be read for every site: {exc}")
    return out, warnings


@st.cache_resource(show_spinner=False, max_entries=48)
def _sites_with_hours(key: tuple[Any, ...], _sites: pd.DataFrame, _c: Controls,
                      osm_checked: str | None) -> tuple[pd.DataFrame, list[str]]:
    return _opening(_sites, _c, osm_checked)


def build(c: Controls) -> Analysis:
    """Resolve the area, sites and travel times for ``c`` (GeoError propagates to the caller).

    One :class:`~geo.planning.study.Study` per rerun, built from the controls' spec with its
    heavy parts (area, sites, router) taken from the caches in :mod:`atlas.data`.
    """
    a = resolve_area(c)
    spec = c.study_spec(a.name if c.area_upload is not None else c.area_spec)
    osm = data.osm_extract(a.key, a)  # pharmacies' opening_hours tags from the bundled extract
    if osm is not None:
        from dataclasses import replace

        spec = replace(spec, extra_sites=(*spec.extra_sites, f"osm:{osm}"))
    study = Study(spec, settings=data.settings(), area=a)
    skey = (a.key, c.site_types, study.buffer_km)
    s_all = data.sites(study, skey)
    router = data.router(a.key, a, c.travel) if len(s_all) else None
    study = Study(spec, settings=data.settings(), area=a, sites=s_all, router=router)
    osm_name = None if osm is None else osm.rsplit("/", 1)[-1]
    s_hours, warnings = _sites_with_hours((*skey, c.when, c.missing_hours), s_all, c, osm_name)
    sites = s_hours
    if c.open_only:  # known-closed sites go; unknown hours stay unless the assumption says closed
        unknown_goes = c.missing_hours == "closed"
        keep = s_hours["open_now"].map(lambda v: v is True or (v is None and not unknown_goes)).to_numpy(dtype=bool)
        sites = s_hours[keep]
    times = None
    method, label = "estimate", "straight-line estimate"
    if len(sites):
        times = data.times(study, (a.key, c.travel), data.site_key(sites), sites)
        method = str(times.attrs.get("method", "estimate"))
        label = str(times.attrs.get("label", method))
    else:
        warnings.append("No sites of the chosen types: pick at least one site type with sites in or near the area.")
    return Analysis(controls=c, study=study, area=a, sites_all=s_hours, sites=sites, times=times, method=method,
                    label=label, warnings=warnings)


# ---------------------------------------------------------------- metric for the map
MINUTES_COLOURS_WITHIN = ("#2c7bb6", "#6baed6", "#abd9e9", "#e0f3f8")
MINUTES_COLOURS_BEYOND = ("#fdae61", "#f46d43", "#d73027")


def minutes_bins(threshold: float) -> tuple[tuple[float, ...], tuple[str, ...], list[str]]:
    """Bins that split at the threshold: blues within it, oranges/reds beyond it."""
    t = float(threshold)
    digits = 0 if t >= 8 else 1  # short thresholds (the slider goes down to 1 min) keep distinct bins
    bins = (round(t / 4, digits), round(t / 2, digits), round(3 * t / 4, digits), t, round(1.5 * t, digits), 2 * t)
    labels = [f"under {bins[0]:g} min", f"{bins[0]:g}–{bins[1]:g} min", f"{bins[1]:g}–{bins[2]:g} min",
              f"{bins[2]:g}–{t:g} min (within)", f"{t:g}–{bins[4]:g} min (beyond)",
              f"{bins[4]:g}–{bins[5]:g} min", f"over {bins[5]:g} min"]
    return bins, (*MINUTES_COLOURS_WITHIN, *MINUTES_COLOURS_BEYOND), labels


@dataclass(frozen=True)
class MetricSpec:
    column: str
    title: str
    bins: tuple[float, ...]
    colours: tuple[str, ...]
    labels: list[str]
    label_format: str
    note: str = ""
    #: Legend entry for grey (no value) neighbourhoods, e.g. hidden client counts.
    no_data_label: str = ""


def metric_frame(an: Analysis) -> tuple[gpd.GeoDataFrame, MetricSpec]:
    """LSOA frame (core + ring) with the tooltip columns and the chosen metric column."""
    from geo import geojson

    c = an.controls
    cols = ["place", "lsoa21nm", "lad24nm", "lad24cd", "adults", "population", "imd_decile",
            "imd_score", "urban_rural", "in_area", "geometry"]
    frame = an.area.all_lsoas[[c for c in cols if c in an.area.all_lsoas.columns]].copy()
    if an.times is not None:
        t = an.times
        for col in ("minutes", "site_name"):
            if col in t.columns:
                frame[col] = t[col].reindex(frame.index)
    metric = c.metric
    if metric == "gap":
        g = gap_scores(an)
        if g is not None:
            frame["gap_score"] = g.reindex(frame.index).round(3)
            t = c.threshold_minutes
            bins = (0.25, 0.5, 0.75, 1.0)
            cols = ("#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000")
            labels = ["under 0.25 (near, or low need)", "0.25–0.5", "0.5–0.75",
                      f"0.75–1 (high need, nearly {t} min)", f"1 and over (high need, {t}+ min)"]
            return frame, MetricSpec("gap_score", "Gap score (need × minutes ÷ threshold)", bins, cols, labels,
                                     "{:.2f}", note=f"1 = the most deprived neighbourhood at the {t}-minute threshold")
        metric = "minutes"
    if metric == "deaths":
        rates = death_rates(an)
        frame["deaths_rate"] = frame["lad24cd"].map(rates)
        bins = geojson.quantile_bins(frame["deaths_rate"], 5)
        cols = geojson.SEQUENTIAL_COLOURS[: len(bins) + 1]
        return frame, MetricSpec("deaths_rate", "Drug-poisoning deaths per 100,000 a year (district)", bins,
                                 cols, geojson.legend_labels(bins, decimals=1), "{:.1f}",
                                 note="ONS, district level, 3 years pooled")
    if metric == "clients":
        rates = st.session_state.get("client_rates")
        if rates is not None:
            from geo import default_ptable

            d = default_ptable().max_noise
            frame["clients_per_1000"] = pd.Series(rates, dtype=float).reindex(frame.index)
            bins = geojson.quantile_bins(frame["clients_per_1000"], 5)
            cols = geojson.SEQUENTIAL_COLOURS[: len(bins) + 1]
            # the tooltip's value label is the title up to " (": it says the counts are perturbed
            return frame, MetricSpec("clients_per_1000",
                                     f"Clients per 1,000 adults, counts perturbed ±{d} (cell key method, D = {d})",
                                     bins, cols, geojson.legend_labels(bins, decimals=1), "{:.1f}",
                                     note="Uploaded extract: every neighbourhood count within ±"
                                          f"{d} of the true count, the same in every view",
                                     no_data_label="no adult residents")
        metric = "minutes"
    if metric == "imd":
        bins = tuple(float(x) for x in range(1, 10))
        labels = ["1 – most deprived 10%", *[str(i) for i in range(2, 10)], "10 – least deprived 10%"]
        return frame, MetricSpec("imd_decile", f"IMD {c.imd_version} decile (national)", bins, geojson.DECILE_COLOURS, labels,
                                 "{:.0f}")
    bins, cols, labels = minutes_bins(c.threshold_minutes)
    title = "Minutes to nearest site" + (" (ESTIMATE)" if an.is_estimate else "")
    return frame, MetricSpec("minutes", title, bins, cols, labels, "{:.0f} min",
                             note="Grey: no site reachable" if an.times is not None else "")


@st.cache_data(show_spinner=False, max_entries=32)
def _death_rates(lad_codes: tuple[str, ...], _study: Study) -> dict[str, float]:
    r = _study.drug_death_rates()
    return {k: float(v) for k, v in r["rate_per_100k"].reindex(list(lad_codes)).dropna().items()}


def death_rates(an: Analysis) -> dict[str, float]:
    return _death_rates(data.neighbour_lads(an.area), an.study)


def gap_scores(an: Analysis) -> pd.Series | None:
    """Gap score per LSOA for the weights chosen in the Gaps view (see :func:`gap_table`)."""
    table = gap_table(an)
    if table is None or "gap_score" not in table.columns:
        return None
    return table["gap_score"]


def gap_table(an: Analysis) -> pd.DataFrame | None:
    """Gap scores for the current analysis and the weights chosen in the Gaps view."""
    if an.times is None:
        return None
    ss = st.session_state
    return data.gap_table(an.cache_key, an.study, an.times, an.area.lsoas, an.controls.threshold_minutes,
                          float(ss.get("gap_w_need", 1.0)), float(ss.get("gap_w_time", 1.0)),
                          ss.get("gap_need", "imd"), ss.get("client_counts_key"), ss.get("client_counts"),
                          ss.get("gap_service") if ss.get("gap_service") in an.study.result_services else None)
