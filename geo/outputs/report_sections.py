"""Report sections for planning answers: per-service coverage, a scenario, closure impact, new sites.

Each function turns one :class:`~geo.planning.study.Study` answer into a plain section dict --
``title``, ``lead`` (one line per service, with its verdict), ``table`` (services side by side,
each figure with its range; :func:`geo.outputs.ranges.side_by_side`), optional ``detail``
(a second table) and ``notes`` -- that :func:`geo.outputs.report_html.render_report_html` draws
the same way for all of them.  A change whose range includes zero reads "not distinguishable
from no change" here exactly as in the CLI and the atlas.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from geo.outputs.ranges import SCENARIO_TABLE, collapse_ranges, format_range, side_by_side
from geo.outputs.report_html import esc, frame_html

#: Readable headers of the planning tables (the report's own labels cover the coverage tables).
SECTION_LABELS = {
    "adults_within_before": "Within, before", "adults_within_after": "Within, after",
    "adults_newly_within": "Newly within", "adults_newly_beyond": "Newly beyond",
    "mean_minutes_before": "Mean min, before", "mean_minutes_after": "Mean min, after",
    "mean_minutes_change": "Change in mean min", "service": "Service", "name": "Name", "site_id": "Site",
    "nearest_for_adults": "Nearest for (adults)", "newly_beyond_adults": "Would be beyond",
    "left_without_site_adults": "Left with none", "mean_minutes_increase": "Rise in mean min",
    "verdict": "Verdict", "label": "Where", "adults_newly_covered": "Adults newly within",
    "cumulative_adults_newly_covered": "Running total", "mean_minutes_saved": "Mean min saved",
    "cumulative_mean_minutes_saved": "Running total (min)", "note": "Note",
    "minutes_before": "Minutes, before", "minutes_after": "Minutes, after", "minutes_change": "Change",
}


def coverage_section(per_service: pd.DataFrame, *, threshold_minutes: float) -> dict[str, Any]:
    """Coverage at the threshold per service (nearest hub, nearest pharmacy, nearest site of any type)."""
    rows = per_service[per_service["threshold_minutes"] == float(threshold_minutes)] if len(per_service) else per_service
    table = side_by_side(rows, ("adults_within", "pct_beyond", "mean_minutes", "median_minutes"),
                         threshold_minutes=threshold_minutes, verdicts=())
    return {"title": "Access by service", "lead": [], "table": table,
            "notes": ["Each column is the journey to the nearest site of that service; the last is the nearest "
                      "site of any type. Ranges: every neighbourhood's time at the 10th and 90th percentile of the "
                      "router's measured error (a bound, not a probability)."]}


def scenario_section(res: dict[str, Any], *, threshold_minutes: float) -> dict[str, Any]:
    """A scenario (:meth:`~geo.planning.study.Study.scenario`) per service with ranges and verdicts."""
    summary = res["summary"]
    table = side_by_side(res["by_service"], SCENARIO_TABLE, threshold_minutes=threshold_minutes,
                         verdicts=(("verdict", "Verdict (adults within)"),
                                   ("mean_minutes_verdict", "Verdict (mean minutes)")))
    detail = res.get("by_imd_decile")
    if detail is not None:  # only the services the scenario changes
        changed = [k for k, v in res["by_service"]["verdict"].items()
                   if v != "no change" or res["by_service"].loc[k, "mean_minutes_verdict"] != "no change"]
        detail = detail[detail.index.get_level_values("service").isin(changed)]
    return {"title": f"Scenario: {summary.get('scenario', '')}", "lead": list(summary.get("headlines", [])),
            "table": table, "detail_title": "By deprivation (IMD decile)",
            "detail": collapse_ranges(detail) if detail is not None else None,
            "notes": [f"Ranges: {summary.get('ranges', '')}.", f"Travel-time error: {summary.get('travel_time_error', '')}."]}


def closure_section(res: pd.DataFrame, *, threshold_minutes: float, top: int = 10) -> dict[str, Any]:
    """Closure impact per site and service (:meth:`~geo.planning.study.Study.closure`), worst first."""
    shown = res[res.index <= top]
    lead = []
    for (sid, svc), g in shown.groupby(["site_id", "service"], sort=False):
        row = g.iloc[0]
        if row["newly_beyond_adults"] > 0 or row["left_without_site_adults"] > 0:
            lead.append(f"Closing {row['name']}: nearest {row['service_label']} beyond {threshold_minutes:g} min for "
                        f"{format_range('newly_beyond_adults', row)} adults; {row['verdict']}")
        del sid, svc
    cols = ["site_id", "name", "service", "nearest_for_adults", "newly_beyond_adults", "newly_beyond_adults_low",
            "newly_beyond_adults_high", "left_without_site_adults", "left_without_site_adults_low",
            "left_without_site_adults_high", "mean_minutes_increase", "mean_minutes_increase_low",
            "mean_minutes_increase_high", "verdict"]
    table = collapse_ranges(shown[[c for c in cols if c in shown.columns]])
    unc = res.attrs.get("uncertainty", {})
    return {"title": f"Closure impact (the {top} most harmful closures)", "lead": lead, "table": table,
            "notes": [f"Ranges: {unc.get('method', '')}.", "Each site is judged for each service it counts for; "
                      "'any' is the nearest site of any type."]}


def optimiser_section(res: dict[str, Any], *, threshold_minutes: float) -> dict[str, Any]:
    """New sites per service (:meth:`~geo.planning.study.Study.optimise`), ranked by the gain they can show."""
    by = res["by_service"]
    mclp = "adults_covered_before" in by.columns
    figures = (("adults_covered_before", "adults_covered_after", "adults_newly_covered") if mclp
               else ("mean_minutes_before", "mean_minutes_after", "mean_minutes_saved"))
    table = side_by_side(by, figures, threshold_minutes=threshold_minutes,
                         verdicts=(("verdict", "Verdict"),))
    chosen = res["chosen"]
    detail = None
    if len(chosen):
        keep = [c for c in chosen.columns if c not in ("easting", "northing", "name", "place", "postcode", "site_type")]
        detail = collapse_ranges(chosen[keep]).set_index(["service", "rank"])
    return {"title": "Where new sites would help most", "lead": [str(m) for m in by["message"]],
            "table": table, "detail_title": "Picks, ranked by the gain they can show (10th percentile)",
            "detail": detail, "notes": [f"Ranges: {res['summary'].get('ranges', '')}."]}


def section_html(sec: dict[str, Any]) -> str:
    """One planning section (:mod:`geo.outputs.report_sections`): lead lines, side-by-side table, detail, notes."""
    out = [f"<h2>{esc(sec['title'])}</h2>"]
    if sec.get("lead"):
        items = []
        for line in sec["lead"]:
            text = esc(line)
            for word in ("not distinguishable from no change",):
                text = text.replace(word, f"<b class='nd'>{word}</b>")
            items.append(f"<li>{text}</li>")
        out.append("<ul class='lead'>" + "".join(items) + "</ul>")
    table = sec.get("table")
    if table is not None and len(table):
        out.append(frame_html(table.rename(columns=SECTION_LABELS), index=True))
    detail = sec.get("detail")
    if detail is not None and len(detail):
        out.append(f"<h3>{esc(sec.get('detail_title', ''))}</h3>"
                   + frame_html(detail.rename(columns=SECTION_LABELS), index=True))
    out.extend(f"<p class='note'>{esc(n)}</p>" for n in sec.get("notes", ()) if n)
    return "".join(out)



__all__ = ["closure_section", "section_html", "coverage_section", "optimiser_section", "scenario_section"]
