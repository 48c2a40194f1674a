"""National batch outputs: read a run folder, rank authorities, map them, and write the HTML report.

A run folder (written by :func:`geo.planning.batch_run.run_batch`) holds ``lads/<code>.parquet``
(one GeoParquet partition per local authority), ``summary.parquet``/``summary.csv`` (one row
per authority) and ``manifest.json``.  Readers here touch only what they need: the summary for
national tables and the LAD choropleth, one partition for a drill-down.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.outputs.report_html import CSS, esc, fmt, frame_html
from geo.travel.modes import Method

if TYPE_CHECKING:
    import geopandas as gpd

    from geo.config import Settings

logger = logging.getLogger(__name__)

REPORT = "national_report.html"
#: Blue (good) to red (poor) for "% of adults within the threshold".
COVERAGE_COLOURS = ("#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#2166ac")
COVERAGE_BINS = (50.0, 75.0, 90.0, 95.0, 99.5)


def read_summary(run: str | Path) -> pd.DataFrame:
    """One row per authority (indexed by ``lad24cd``)."""
    path = Path(run) / "summary.parquet"
    if not path.is_file():
        msg = f"{run}: no summary.parquet; give the folder a finished `geo batch` run wrote"
        raise InputError(msg)
    return pd.read_parquet(path)


def read_partition(run: str | Path, lad24cd: str) -> gpd.GeoDataFrame:
    """One authority's LSOAs (GeoParquet partition), reading only that file."""
    import geopandas as gpd

    path = Path(run) / "lads" / f"{lad24cd}.parquet"
    if not path.is_file():
        msg = f"{run}: no partition for {lad24cd}; the run did not cover that authority"
        raise InputError(msg)
    return gpd.read_parquet(path)


def run_modes(summary: pd.DataFrame) -> list[str]:
    """Travel modes present in a summary (from its ``method_<mode>`` columns)."""
    return [c.removeprefix("method_") for c in summary.columns if c.startswith("method_")]


def run_thresholds(summary: pd.DataFrame, mode: str) -> list[float]:
    """Thresholds (minutes) with a ``pct_within_<T>min_<mode>`` column."""
    out = []
    for c in summary.columns:
        if c.startswith("pct_within_") and c.endswith(f"min_{mode}"):
            out.append(float(c.removeprefix("pct_within_").removesuffix(f"min_{mode}")))
    return sorted(out)


def rank_table(summary: pd.DataFrame, *, mode: str, threshold_minutes: float, worst_first: bool = True,
               top: int | None = 20) -> pd.DataFrame:
    """Authorities ranked by the share of adults within the threshold (worst first by default)."""
    col = f"pct_within_{threshold_minutes:g}min_{mode}"
    if col not in summary.columns:
        msg = f"the run has no {mode} coverage at {threshold_minutes:g} minutes (columns {col!r} missing)"
        raise InputError(msg)
    keep = ["lad24nm", "rgn24nm", "adults", col, f"mean_minutes_{mode}", f"gap_lsoas_{mode}",
            f"gap_adults_{mode}", f"concentration_index_{mode}", f"method_{mode}"]
    out = summary[[c for c in keep if c in summary.columns]].sort_values(col, ascending=worst_first, kind="stable")
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out.head(top) if top else out


def lad_choropleth(summary: pd.DataFrame, lads: gpd.GeoDataFrame, *, mode: str, threshold_minutes: float,
                   simplify_metres: float = 250.0) -> dict[str, Any]:
    """GeoJSON of authorities coloured by % of adults within the threshold (small: ~300 features)."""
    from geo.outputs.geojson import classify, frame_to_geojson

    col = f"pct_within_{threshold_minutes:g}min_{mode}"
    frame = lads.join(summary[[c for c in (col, f"method_{mode}", f"mean_minutes_{mode}") if c in summary]],
                      how="inner")
    frame = frame.assign(fill=classify(frame[col], COVERAGE_BINS, COVERAGE_COLOURS),
                         value_label=[f"{v:.1f}% within {threshold_minutes:g} min" for v in frame[col]],
                         lad24cd=frame.index.astype(str))
    props = ["lad24cd", "lad24nm", "fill", "value_label", f"method_{mode}"]
    return frame_to_geojson(frame, properties=[p for p in props if p in frame.columns],
                            simplify_metres=simplify_metres, id_column="lad24cd")


def lads_not_in_run(summary: pd.DataFrame, lads: gpd.GeoDataFrame, *,
                    simplify_metres: float = 1000.0) -> dict[str, Any]:
    """GeoJSON of England's authorities the run does not cover (grey context, ``in_area`` False)."""
    from geo.outputs.geojson import NO_DATA_COLOUR, frame_to_geojson

    others = lads[~lads.index.isin(summary.index)]
    frame = others.assign(fill=NO_DATA_COLOUR, value_label="not in this batch run", in_area=False,
                          lad24cd=others.index.astype(str))
    return frame_to_geojson(frame, properties=["lad24cd", "lad24nm", "fill", "value_label", "in_area"],
                            simplify_metres=simplify_metres, id_column="lad24cd")


def run_coverage(summary: pd.DataFrame, lads: gpd.GeoDataFrame) -> dict[str, Any]:
    """Which of England's authorities a run covers and which it does not, with one line of text."""
    names = lads["lad24nm"].astype(str)
    covered = [str(names.get(c, summary["lad24nm"].get(c, c))) for c in summary.index]
    missing = [str(n) for c, n in names.items() if c not in summary.index]
    total = len(lads)
    if not missing:
        text = f"This run covers all {total} of England's local authorities."
    else:
        shown = ", ".join(covered[:4]) + (f" and {len(covered) - 4} more" if len(covered) > 4 else "")
        text = (f"This run covers {len(covered)} of England's {total} local authorities ({shown}); "
                f"the other {len(missing)} are not in it (grey on the map, no figures).")
    return {"covered": covered, "not_covered": missing, "text": text}


def national_headline(summary: pd.DataFrame, *, mode: str) -> pd.DataFrame:
    """England (or the run's area) as a whole: adults-weighted coverage per threshold and method counts."""
    rows = []
    w = summary["adults"].astype(float)
    for thr in run_thresholds(summary, mode):
        col = f"pct_within_{thr:g}min_{mode}"
        rows.append({"threshold_minutes": thr, "pct_within": float(np.average(summary[col], weights=w)),
                     "authorities_below_90pct": int((summary[col] < 90).sum())})
    out = pd.DataFrame(rows).set_index("threshold_minutes")
    return out


def write_national_report(run: str | Path, *, settings: Settings | None = None) -> Path:
    """Write ``national_report.html`` into the run folder (tables, rank lists, a LAD map as PNG)."""
    from geo.cache import atomic_write_text

    run = Path(run)
    from geo.planning.batch_manifest import read_manifest

    manifest = read_manifest(run)
    summary = read_summary(run)
    job = manifest["job"]
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
             f"<title>National access report: {esc(job['area'])}</title><style>{CSS}</style></head><body>",
             f"<h1>Access to {esc(', '.join(job.get('services') or ['services']))}: {esc(job['area'])}</h1>",
             f"<p class='sub'>{len(summary)} local authorities · modes {esc(', '.join(job['modes']))} · run "
             f"{esc(manifest['finished'])} ({esc(manifest['scheduler'])}, {manifest['seconds']:.0f} s) · geo "
             f"{esc(manifest['versions'].get('geo', ''))}</p>"]
    for mode in run_modes(summary):
        methods = summary[f"method_{mode}"].value_counts()
        est = int(methods.get("estimate", 0))
        parts.append(f"<h2>{esc(mode.title())}</h2>")
        if est:
            parts.append(f"<div class='banner estimate'>ESTIMATE for {est} of {len(summary)} authorities: no road "
                         "network covered them, so times are the calibrated straight-line estimate "
                         "(labelled per authority below).</div>")
        parts.append("<p class='note'>How times were made: " + esc(", ".join(
            f"{Method.of_result(k).label}: {v} authorities" for k, v in methods.items())) + "</p>")
        parts.append(frame_html(national_headline(summary, mode=mode).round(1)))
        thresholds = run_thresholds(summary, mode)
        headline = thresholds[len(thresholds) // 2] if thresholds else 30.0
        png = _map_png(summary, settings, mode=mode, threshold_minutes=headline)
        if png:
            parts.append(f"<figure><img alt='{esc(mode)} coverage by authority' src='{png}'>"
                         f"<figcaption class='note'>% of adults within {headline:g} minutes by authority"
                         "</figcaption></figure>")
        parts.append(f"<h3>Lowest coverage within {headline:g} minutes</h3>")
        parts.append(frame_html(rank_table(summary, mode=mode, threshold_minutes=headline).round(2)))
        parts.append(f"<h3>Longest adults-weighted mean {esc(mode)} time</h3>")
        worst = summary.sort_values(f"mean_minutes_{mode}", ascending=False).head(10)
        parts.append(frame_html(worst[["lad24nm", "rgn24nm", f"mean_minutes_{mode}", f"gap_lsoas_{mode}"]].round(1)))
    parts.append("<h2>Inputs</h2>" + frame_html(pd.DataFrame(manifest["inputs"]).T[["sha256"]]))
    parts.append(f"<footer>Generated {dt.date.today():%d %b %Y} from {esc(run.name)}. Coverage is the share of "
                 "adults (18+) whose nearest site is within the threshold; equity by IMD 2025. "
                 f"Colour bins: {esc(', '.join(fmt(b) for b in COVERAGE_BINS))}%.</footer></body></html>")
    target = run / REPORT
    atomic_write_text("".join(parts), target)
    return target


def _map_png(summary: pd.DataFrame, settings: Settings | None, *, mode: str, threshold_minutes: float) -> str | None:
    """A static LAD map of coverage (None without matplotlib or boundaries)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from geo.data.loaders import load_lad_boundaries
        from geo.outputs.geojson import classify
        from geo.outputs.report_html import _figure_png
    except ImportError:
        return None
    lads = load_lad_boundaries(settings)
    col = f"pct_within_{threshold_minutes:g}min_{mode}"
    frame = lads.join(summary[[col]], how="inner")
    if frame.empty:
        return None
    fig, ax = plt.subplots(figsize=(6, 7))
    lads.plot(ax=ax, color="#eeeeee", edgecolor="#ffffff", linewidth=0.2)
    frame.plot(ax=ax, color=classify(frame[col], COVERAGE_BINS, COVERAGE_COLOURS), edgecolor="#ffffff",
               linewidth=0.2)
    x0, y0, x1, y1 = frame.total_bounds
    ax.set_xlim(x0 - 5000, x1 + 5000)
    ax.set_ylim(y0 - 5000, y1 + 5000)
    ax.set_axis_off()
    try:
        return str(_figure_png(fig))
    finally:
        plt.close(fig)


__all__ = ["COVERAGE_BINS", "COVERAGE_COLOURS", "lad_choropleth", "lads_not_in_run", "run_coverage", "national_headline", "rank_table",
           "read_partition", "read_summary", "run_modes", "run_thresholds", "write_national_report"]
