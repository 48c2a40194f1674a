"""Access and equity report for a study area: numbers assembled here, HTML in
:mod:`geo.outputs.report_html`.

:func:`report_data` is pure (a times frame, sites and need table in; a dict of headline numbers,
tables, equity indices, outreach list, method notes and data-source attributions out).
:func:`build_report` writes it as one standalone HTML file, atomically, and optionally a PDF when
a renderer (WeasyPrint) is installed -- otherwise the PDF is skipped and the result says so.
Whether times were routed on a network or *estimated* is carried from the times frame
(``method`` column) and shown prominently.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from geo import __version__
from geo._errors import GeoError
from geo.data.sources import DATASETS
from geo.data.tables import imd_label, imd_version_of
from geo.measures.coverage import BREAKDOWNS, coverage_summary, residents
from geo.measures.equity import equity_summary
from geo.measures.gaps import outreach_list
from geo.outputs.report_sections import closure_section, optimiser_section, scenario_section
from geo.travel.modes import Method

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from geo.config import Settings
    from geo.data.areas import Area

logger = logging.getLogger(__name__)

#: Datasets every report rests on (LSOA table, deaths); site and network sources are added.
BASE_SOURCES = ("lsoa_boundaries", "population", "centroids", "imd2025", "ruc", "lookup_geographies",
                "drug_deaths_la")


def _sources(times: pd.DataFrame, sites: pd.DataFrame | None) -> list[dict[str, str]]:
    keys = list(BASE_SOURCES)
    if sites is not None and "site_type" in sites.columns and (sites["site_type"] == "pharmacy").any():
        keys.append("pharmacies")
    method = " ".join(str(m) for m in times.get("method", pd.Series(dtype=str)).dropna().unique())
    if "estimate" in method:
        keys.append("stroke_drive_times")
    if "network" in method:
        keys.append("rutland_pbf")
    out = []
    for k in keys:
        d = DATASETS.get(k)
        if d is not None:
            out.append({"key": k, "title": d.title, "publisher": d.publisher, "vintage": d.vintage,
                        "licence": d.licence, "attribution": d.attribution, "url": d.url})
    if sites is not None and "source" in sites.columns:
        other = sorted({str(s) for s in sites["source"].dropna().unique()} - {"ods"})
        for s in other:
            out.append({"key": s, "title": f"Service sites: {s}", "publisher": "see source",
                        "vintage": "", "licence": "as stated by the source", "attribution": "",
                        "url": ""})
    return out


def _has_former_districts(core: pd.DataFrame) -> bool:
    """True when some residents live in a former district that is no longer a council."""
    if "former_district" not in core.columns or "lad24nm" not in core.columns:
        return False
    return bool((core["former_district"].astype(str) != core["lad24nm"].astype(str)).any())


def report_data(area: Area | str, times: pd.DataFrame, *, threshold_minutes: float,
                sites: pd.DataFrame | None = None, need: pd.DataFrame | None = None,
                deaths: dict[str, Any] | None = None, mode_label: str | None = None,
                router_label: str | None = None, title: str | None = None,
                outreach_top: int = 20, notes: Sequence[str] = (),
                charts: bool = True, breakdowns: Sequence[str] | None = None,
                context: dict[str, Any] | None = None, services: Sequence[str] = (),
                sections: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """Everything the report shows, as plain Python/pandas objects.

    Parameters
    ----------
    area : Area or str
        Study area (or its name).
    times : pandas.DataFrame
        Times frame from :func:`geo.travel.catchments.nearest_times` (``minutes``, ``method``, LSOA
        columns, ``in_area``).
    threshold_minutes : float
        Coverage threshold.
    sites : pandas.DataFrame, optional
        Sites used (listed, and drive the attributions).
    need : pandas.DataFrame, optional
        Output of :func:`geo.measures.need.composite_need_index` (outreach scores use its percentile;
        IMD score percentile otherwise).
    deaths : dict, optional
        Output of :func:`geo.measures.profile.drug_deaths_for_area`.
    mode_label, router_label, title : str, optional
        Labels; ``router_label`` defaults to ``times.attrs["router_label"]``.
    outreach_top : int, default 20
        Rows of the outreach list.
    notes : sequence of str
        Extra method notes (e.g. "in-county sites only").
    charts : bool, default True
        Draw the decile chart when matplotlib is installed.
    breakdowns : sequence of str, optional
        Coverage tables to show (LSOA-table columns, e.g. ``former_district``, ``ward``);
        default: deprivation, rurality, district, plus former district where the area's
        districts were merged (Northamptonshire).
    context : dict, optional
        Map context from :func:`geo.outputs.map_context.map_context` (place labels, main
        roads); drawn on the report maps.
    services : sequence of str
        The study's services: with several, an "Access by service" section shows each side by
        side (``times`` needs their ``minutes_<service>`` columns) and the exports carry them.
    sections : sequence of dict
        Planning sections (scenario, closure impact, new sites) from
        :mod:`geo.outputs.report_sections`, drawn after the headline.

    Returns
    -------
    dict
        Keys used by :func:`geo.outputs.report_html.render_report_html`.
    """
    from geo.measures.need import describe_need
    from geo.outputs.report_html import decile_chart_png

    name = area if isinstance(area, str) else area.name
    methods = sorted({str(m) for m in times.get("method", pd.Series(dtype=str)).dropna().unique()})
    is_estimate = not methods or any(not Method.of_result(m).is_routed for m in methods)
    rlabel = router_label or times.attrs.get("router_label") or ", ".join(methods) or "unknown"
    core = residents(times)
    if breakdowns is None:
        breakdowns = (*BREAKDOWNS, *(("former_district",) if _has_former_districts(core) else ()))
    cov = coverage_summary(times, threshold_minutes=threshold_minutes, breakdowns=tuple(breakdowns))
    deprived_pct = (100.0 * core.loc[core["imd_decile"] <= 2, "adults"].sum() / core["adults"].sum()
                    if "imd_decile" in core.columns and core["adults"].sum() else float("nan"))
    eq = equity_summary(times)
    out = outreach_list(times, need, threshold_minutes=threshold_minutes, top=outreach_top)
    chart = (decile_chart_png(cov["by_imd_decile"], threshold=threshold_minutes, imd=imd_label(core))
             if charts and "by_imd_decile" in cov and len(cov["by_imd_decile"]) else None)
    from geo.measures.coverage_sets import coverage_by_service
    from geo.outputs.report_sections import coverage_section, section_html

    all_sections = list(sections)
    if len(tuple(services)) > 1:
        per_service = coverage_by_service(times, services, thresholds_minutes=(threshold_minutes,))
        all_sections.insert(0, coverage_section(per_service, threshold_minutes=threshold_minutes))
    metrics = None
    maps: dict[str, str | None] = {}
    if not isinstance(area, str):
        from geo.outputs.export import lsoa_metrics

        metrics = lsoa_metrics(area, times, threshold_minutes=threshold_minutes, need=need, services=services)
        if charts:
            from geo.outputs.report_html import access_maps_png

            districts = metrics.dissolve(by="lad24nm").geometry.tolist() if "lad24nm" in metrics else None
            maps = access_maps_png(metrics, threshold_minutes=threshold_minutes, sites=sites,
                                   outline=area.polygon, districts=districts, is_estimate=is_estimate,
                                   mode_label=mode_label or "travel", context=context)
    sites_table = None
    sites_summary = "Sites: not listed."
    if sites is not None:
        cols = [c for c in ("name", "site_type", "town", "postcode", "in_area", "location_precision")
                if c in sites.columns]
        sites_table = pd.DataFrame(sites[cols]).reset_index(drop=True)
        n_in = int(sites["in_area"].sum()) if "in_area" in sites.columns else len(sites)
        sites_summary = (f"{len(sites)} site(s) used: {n_in} inside {name}, {len(sites) - n_in} "
                         "across the border.")
        if "location_precision" in sites.columns:
            rough = int((sites["location_precision"].astype(str) == "town").sum())
            if rough:
                sites_summary += (f" {rough} site(s) are located only to a town centre (no address "
                                  "published); their times are approximate.")
    method_notes = [
        f"Residents: adults 18+ per LSOA 2021 (Census 2021, 18+ estimated from ONS age bands), "
        f"counted at the ONS population-weighted centroid; {cov['headline']['lsoas']} core LSOAs.",
        f"Travel times: {rlabel}.",
        f"Coverage: an LSOA is beyond the threshold when its time to the nearest site is "
        f"{threshold_minutes:g} minutes or more, or no site is reachable (seed method: 'share of "
        "adults 18+ who need 45+ minutes to reach the nearest hub').",
        "Mean and median minutes are adults-weighted over reachable LSOAs.",
        *([f"Range: {cov['headline']['range_note']} (per-LSOA minutes_low/minutes_high "
           "in the exports)."] if "range_note" in cov["headline"] else []),
        *(["Scenario, closure and new-site figures carry the 10th-90th percentile of seeded draws over "
           "travel-time error and site-location precision; a change whose range includes zero is 'not "
           "distinguishable from no change' (docs/uncertainty.md)."] if sections else []),
        (f"Deprivation: English Indices of Deprivation {imd_version_of(core)}, national deciles "
         "(1 = most deprived 10%)" + (". IMD 2019 is published on LSOA 2011: split LSOAs inherit "
                                      "their parent's rank, merged ones the mean rank of their parents."
                                      if imd_version_of(core) == 2019 else ".")),
        "Equity: concentration index (Wagstaff/Kakwani covariance form, adults-weighted, LSOAs "
        "ranked most to least deprived), Gini and Palma ratio of minutes across adults.",
        *notes,
    ]
    return {
        "title": title or f"Access to drug and alcohol services: {name}",
        "area": name,
        "mode_label": mode_label or ", ".join(methods) or "travel",
        "router_label": rlabel,
        "methods": methods,
        "is_estimate": is_estimate,
        "threshold_minutes": float(threshold_minutes),
        "headline": cov["headline"],
        "sections": all_sections,
        "sections_html": [section_html(sec) for sec in all_sections],
        "adults_most_deprived_20pct_pct": round(float(deprived_pct), 1),
        "imd": imd_label(core),
        "coverage": {k: v for k, v in cov.items() if k.startswith("by_")},
        "equity": eq,
        "outreach": out,
        "gap_method": out.attrs.get("gap_method", ""),
        "need": describe_need(need) if need is not None else None,
        "deaths": deaths,
        "chart": chart,
        "maps": maps,
        "maps_note": ("Left: minutes from each LSOA's population-weighted centroid to the nearest "
                      f"site, in bands around the {threshold_minutes:g}-minute threshold (reds are "
                      "beyond it). Right: gap score (need percentile x minutes/threshold); hatched "
                      "LSOAs are rural gaps (rural and beyond the threshold); numbers mark the five "
                      "highest-ranked outreach LSOAs. Sites outside the map frame are not drawn."
                      + (" Times are ESTIMATES, not routed." if is_estimate else "")),
        "lsoa_metrics": metrics,
        "sites_table": sites_table,
        "sites_summary": sites_summary,
        "method_notes": method_notes,
        "sources": _sources(times, sites),
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "version": __version__,
        "footer": ("Produced with geo (open source). Figures are modelled from open data; small "
                   "areas and estimated times carry uncertainty. No client-level data is included."),
    }


def build_report(area: Area | str, times: pd.DataFrame, *, out_path: str | Path,
                 threshold_minutes: float, sites: pd.DataFrame | None = None,
                 need: pd.DataFrame | None = None, deaths: dict[str, Any] | None = None,
                 settings: Settings | None = None, pdf: bool = False,
                 gpkg_path: str | Path | None = None, csv_path: str | Path | None = None,
                 allowed_postcodes: Sequence[str] | frozenset[str] | None = None,
                 gpkg_layers: Mapping[str, Any] | None = None,
                 **options: Any) -> dict[str, Any]:
    """Write the HTML report (atomically) and, if asked and possible, a PDF next to it.

    ``options`` go to :func:`report_data`.  When ``deaths`` is None and ``area`` is an
    :class:`~geo.data.areas.Area`, ONS drug-poisoning deaths are looked up (``settings``).
    ``gpkg_path`` / ``csv_path`` also export the per-LSOA metrics (and sites) with
    :func:`geo.outputs.export.export_geopackage` / :func:`geo.outputs.export.export_lsoa_csv` (needs an
    :class:`~geo.data.areas.Area`); site postcodes outside ``allowed_postcodes`` are not written.
    ``gpkg_layers`` are more GeoPackage layers (e.g. :func:`geo.outputs.scenario_gis.scenario_layers`).

    Returns
    -------
    dict
        ``html`` (path), ``pdf`` (path or None), ``pdf_note``, ``is_estimate``, ``headline``,
        ``gpkg`` and ``csv`` (paths or None).
    """
    from geo.cache import atomic_write_bytes, atomic_write_text
    from geo.outputs.report_html import render_report_html

    if deaths is None and not isinstance(area, str):
        from geo.measures.profile import drug_deaths_for_area

        try:
            deaths = drug_deaths_for_area(area, settings)
        except Exception as exc:
            logger.warning("drug deaths unavailable for the report: %s", exc)
    if "context" not in options and not isinstance(area, str) and options.get("charts", True):
        from geo.outputs.map_context import map_context

        try:
            options["context"] = map_context(area, sites=sites, network=options.pop("network", None),
                                             settings=settings, localities=False)
        except (GeoError, OSError) as exc:  # labels are an aid; a report without them is still one
            logger.warning("map labels unavailable for the report: %s", exc)
    options.pop("network", None)
    data = report_data(area, times, threshold_minutes=threshold_minutes, sites=sites, need=need,
                       deaths=deaths, **options)
    text = render_report_html(data)
    out = Path(out_path)
    atomic_write_text(text, out)
    logger.info("report written to %s (%d bytes, %s)", out, len(text),
                "ESTIMATE" if data["is_estimate"] else "network")
    result: dict[str, Any] = {"html": out, "pdf": None, "pdf_note": "PDF not requested",
                              "is_estimate": data["is_estimate"], "headline": data["headline"],
                              "gpkg": None, "csv": None}
    if gpkg_path is not None or csv_path is not None:
        from geo._errors import InputError
        from geo.outputs.export import export_geopackage, export_lsoa_csv

        metrics = data["lsoa_metrics"]
        if metrics is None:
            msg = "GeoPackage/CSV exports need a study Area (with LSOA polygons), not a name"
            raise InputError(msg)
        if gpkg_path is not None:
            result["gpkg"] = export_geopackage(
                gpkg_path, metrics, sites if sites is not None else pd.DataFrame(
                    columns=["site_id", "easting", "northing"]),
                allowed_postcodes=allowed_postcodes, extra_layers=gpkg_layers)
        if csv_path is not None:
            result["csv"] = export_lsoa_csv(csv_path, metrics)
    if pdf:
        try:
            import weasyprint
        except ImportError:
            result["pdf_note"] = ("PDF skipped: no renderer installed (pip install weasyprint); "
                                  "print the HTML to PDF from a browser instead")
            logger.warning(result["pdf_note"])
        else:
            pdf_path = out.with_suffix(".pdf")
            atomic_write_bytes(weasyprint.HTML(string=text).write_pdf(), pdf_path)
            result["pdf"] = pdf_path
            result["pdf_note"] = "PDF written with WeasyPrint"
    return result


#: The report and its optional sections (scenario, closure, optimiser: per service, with ranges).
__all__ = ["build_report", "closure_section", "optimiser_section", "report_data", "scenario_section"]
