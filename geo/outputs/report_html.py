"""Render the access and equity report (a dict from :func:`geo.outputs.report.report_data`) as one
standalone HTML page: inline CSS, charts as base64 PNG (matplotlib, optional), no scripts and
no external requests, so it can be emailed or attached to a committee paper.
"""

from __future__ import annotations

import base64
import html
import io
import logging
from typing import Any

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Arial,sans-serif;max-width:1100px;margin:2em auto;
 padding:0 1em;color:#1b1b1b;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.2em}h2{border-bottom:2px solid #005eb8;padding-bottom:.2em;margin-top:1.8em}
.sub{color:#555}.banner{padding:.8em 1em;border-radius:4px;margin:1em 0;font-weight:600}
.estimate{background:#fff4e5;border:2px solid #ed8b00;color:#7a3e00}
.network{background:#e8f4ea;border:1px solid #007f3b;color:#00401e}
.cards{display:flex;flex-wrap:wrap;gap:.8em}.card{flex:1 1 180px;border:1px solid #ccd;border-radius:6px;
 padding:.7em 1em;background:#f7f9fc}.card .v{font-size:1.6em;font-weight:700}.card .l{color:#444;font-size:.9em}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.9em}th,td{border:1px solid #ccd;
 padding:.25em .6em;text-align:right}th{background:#eef2f8}td:first-child,th:first-child{text-align:left}
td.t{text-align:left}.wrap{overflow-x:auto}.note{font-size:.88em;color:#444}.small{font-size:.82em}img{max-width:100%}
.maps{display:flex;flex-wrap:wrap;gap:1em}.nd{color:#7a3e00}.maps figure{margin:0;flex:1 1 480px}
footer{margin-top:3em;font-size:.8em;color:#666;border-top:1px solid #ccc;padding-top:.6em}
"""

COLUMN_LABELS = {
    "lsoas": "LSOAs", "adults": "Adults 18+", "adults_within": "Adults within",
    "adults_beyond": "Adults beyond", "adults_unreachable": "Adults unreachable",
    "pct_within": "% within", "pct_beyond": "% beyond", "mean_minutes": "Mean min",
    "median_minutes": "Median min", "pct_of_all_beyond": "% of all beyond",
    "lsoa21cd": "LSOA", "lsoa21nm": "LSOA name", "lad24nm": "District", "imd_decile": "IMD decile",
    "urban_rural": "Urban/rural", "minutes": "Minutes", "site_name": "Nearest site",
    "need_percentile": "Need (pct)", "beyond_threshold": "Beyond", "rural_gap": "Rural gap",
    "score": "Gap score", "rank": "Rank", "site_type": "Type", "in_area": "In area",
    "location_precision": "Located to",
}
TABLE_COLUMNS = ("lsoas", "adults", "adults_beyond", "pct_beyond", "mean_minutes",
                 "median_minutes", "adults_unreachable", "pct_of_all_beyond")


def esc(x: Any) -> str:
    """HTML-escape any value as text."""
    return html.escape(str(x))


def fmt(v: Any, digits: int = 1) -> str:
    """Number formatting for cards and cells (thousands separators, NaN as an en dash)."""
    if v is None:
        return "–"
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, int | np.integer):
        return f"{int(v):,}"
    if isinstance(v, float | np.floating):
        f = float(v)
        if not np.isfinite(f):
            return "–"
        if f.is_integer() and abs(f) >= 100:
            return f"{f:,.0f}"
        return f"{f:,.{max(digits, 2)}f}" if abs(f) < 1 else f"{f:,.{digits}f}"
    return str(v)


def _cell(v: Any) -> str:
    cls = " class='t'" if isinstance(v, str) else ""
    return f"<td{cls}>{esc(fmt(v))}</td>"


def frame_html(df: pd.DataFrame, *, columns: tuple[str, ...] | None = None, index: bool = True) -> str:
    """A small frame as an HTML table with readable labels; values escaped."""
    d = df if columns is None else df[[c for c in columns if c in df.columns]]
    names = [n for n in d.index.names if n] if isinstance(d.index, pd.MultiIndex) else [d.index.name or ""]
    head = ([esc(" · ".join(names))] if index else []) + [esc(COLUMN_LABELS.get(c, c)) for c in d.columns]
    rows = ["<tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    cols = [d[c].tolist() for c in d.columns]  # column-wise keeps int columns int
    for i, key in enumerate(d.index):
        label = " · ".join(str(k) for k in key) if isinstance(key, tuple) else key
        cells = ([f"<td>{esc(label)}</td>"] if index else []) + [_cell(col[i]) for col in cols]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return "<div class='wrap'><table>" + "".join(rows) + "</table></div>"


def decile_chart_png(by_decile: pd.DataFrame, *, threshold: float, imd: str = "IMD 2025") -> str | None:
    """Bar chart of % adults beyond the threshold and mean minutes by IMD decile (data URI)."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        logger.info("matplotlib not installed: report without charts")
        return None
    fig = Figure(figsize=(8, 3.2), dpi=110)
    ax1, ax2 = fig.subplots(1, 2)
    x = [str(i) for i in by_decile.index]
    ax1.bar(x, by_decile["pct_beyond"].to_numpy(dtype=float), color="#005eb8")
    ax1.set_title(f"% adults {threshold:g}+ min from nearest site", fontsize=9)
    ax1.set_xlabel(f"{imd} decile (1 = most deprived)", fontsize=8)
    ax2.bar(x, by_decile["mean_minutes"].to_numpy(dtype=float), color="#ed8b00")
    ax2.set_title("Mean minutes (adults-weighted)", fontsize=9)
    ax2.set_xlabel(f"{imd} decile (1 = most deprived)", fontsize=8)
    for ax in (ax1, ax2):
        ax.tick_params(labelsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


# --------------------------------------------------------------------------- static maps
#: Band colours: three within the threshold (greens), two beyond (reds), no reachable site.
BAND_COLOURS = ("#1a9850", "#91cf60", "#d9ef8b", "#fc8d59", "#d73027")
NO_SITE_COLOUR = "#9e9e9e"


def minute_bands(minutes: np.ndarray, *, threshold_minutes: float) -> tuple[np.ndarray, list[str]]:
    """Band index per LSOA (0-4; 5 = no reachable site) and the band labels.

    Bands: < T/3, T/3-2T/3, 2T/3-T (within), T-1.5T, >= 1.5T (beyond); T = threshold.
    """
    t = float(threshold_minutes)
    edges = np.array([t / 3, 2 * t / 3, t, 1.5 * t])
    m = np.asarray(minutes, dtype=float)
    band = np.searchsorted(edges, np.where(np.isfinite(m), m, 0.0), side="right")
    band = np.where(np.isfinite(m), band, len(BAND_COLOURS))
    labels = [f"< {edges[0]:g} min", f"{edges[0]:g}-{edges[1]:g} min", f"{edges[1]:g}-{t:g} min",
              f"{t:g}-{edges[3]:g} min (beyond)", f">= {edges[3]:g} min (beyond)",
              "no reachable site"]
    return band, labels


def _figure_png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", pad_inches=0.08)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _base_map(ax: Any, lsoas: Any, *, outline: Any, districts: Any) -> None:
    """Outline, district boundaries, scale bar and attribution on an EPSG:27700 axis."""
    import geopandas as gpd

    if districts is not None and len(districts) > 1:
        gpd.GeoSeries(districts, crs=lsoas.crs).boundary.plot(ax=ax, color="#333333", linewidth=0.9,
                                                              linestyle="--", zorder=3)
    if outline is not None:
        gpd.GeoSeries([outline], crs=lsoas.crs).boundary.plot(ax=ax, color="#111111", linewidth=1.8,
                                                              zorder=4)
    x0, y0, x1, y1 = lsoas.total_bounds
    pad = 0.04 * max(x1 - x0, y1 - y0)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - 2.2 * pad, y1 + pad)
    ax.set_aspect("equal")
    ax.set_axis_off()
    span = x1 - x0
    bar_km = next((k for k in (1, 2, 5, 10, 20, 50) if k * 1000 >= span / 8), 50)
    bx, by = x0, y0 - 1.0 * pad
    ax.plot([bx, bx + bar_km * 1000], [by, by], color="black", linewidth=3, solid_capstyle="butt",
            zorder=6)
    ax.text(bx + bar_km * 1000 + 0.3 * pad, by, f"{bar_km} km", ha="left", va="center",
            fontsize=7, zorder=6)
    ax.text(1.0, 0.0, "Boundaries: ONS (OGL), contains OS data (c) Crown copyright 2021. "
            "EPSG:27700", transform=ax.transAxes, ha="right", va="top", fontsize=6, color="#555")


def access_maps_png(lsoas: Any, *, threshold_minutes: float, sites: pd.DataFrame | None = None,
                    outline: Any = None, districts: Any = None, is_estimate: bool = False,
                    mode_label: str = "travel", context: Any = None) -> dict[str, str | None]:
    """Two LSOA maps as PNG data URIs: minutes to the nearest site, and gap score / rural gaps.

    Parameters
    ----------
    lsoas : geopandas.GeoDataFrame
        From :func:`geo.outputs.export.lsoa_metrics` (EPSG:27700; ``minutes``, ``gap_score``,
        ``rural_gap``, ``gap_rank``).
    threshold_minutes : float
        Threshold for the band colouring.
    sites : pandas.DataFrame, optional
        Sites (``easting``, ``northing``, ``site_type``); those inside the map extent are drawn.
    outline, districts : shapely geometry / sequence of geometries, optional
        Area outline and district (LAD) polygons, drawn as lines.
    is_estimate : bool
        Titles say ESTIMATE when the times are not routed on a network.
    mode_label : str
        Travel mode for the title.
    context : geo.outputs.map_context.MapContext, optional
        Place names, main roads and hub names drawn on both maps
        (:func:`geo.outputs.map_context.plot_context`).

    Returns
    -------
    dict
        ``minutes_map`` and ``gap_map`` (PNG data URIs, None when matplotlib is missing) and
        their titles ``minutes_title`` / ``gap_title`` (which say ESTIMATE for estimates).
    """
    try:
        from matplotlib.figure import Figure
        from matplotlib.patches import Patch
    except ImportError:
        logger.info("matplotlib not installed: report without maps")
        return {"minutes_map": None, "gap_map": None, "minutes_title": None, "gap_title": None}
    from geo.crs import require_bng
    from geo.outputs.map_context import plot_context
    from geo.outputs.markers import plot_sites

    require_bng(lsoas, what="LSOA map")
    tag = " - ESTIMATE" if is_estimate else ""
    bounds = lsoas.total_bounds
    # map 1: minutes bands
    fig = Figure(figsize=(6.4, 6.6), dpi=100)
    ax = fig.subplots()
    band, labels = minute_bands(lsoas["minutes"].to_numpy(dtype=float),
                                threshold_minutes=threshold_minutes)
    colours = np.array([*BAND_COLOURS, NO_SITE_COLOUR])
    lsoas.plot(ax=ax, color=colours[band].tolist(), edgecolor="white", linewidth=0.3, zorder=2)
    _base_map(ax, lsoas, outline=outline, districts=districts)
    site_handles = plot_sites(ax, sites, bounds)
    plot_context(ax, context, bounds)
    present = sorted(set(band.tolist()))
    band_handles = [Patch(facecolor=colours[i], edgecolor="#777", label=labels[i]) for i in present]
    fig.legend(handles=band_handles, title="Minutes to the nearest site", loc="upper left",
               bbox_to_anchor=(0.02, 0.05), ncol=2, fontsize=8, title_fontsize=8.5, frameon=False,
               alignment="left")
    if site_handles:
        fig.legend(handles=[h for h, _ in site_handles], labels=[t for _, t in site_handles],
                   title="Sites (by type)", loc="upper right", bbox_to_anchor=(0.98, 0.05), fontsize=8, title_fontsize=8.5, frameon=False,
                   alignment="left")
    minutes_title = f"{mode_label.capitalize()} minutes to the nearest site{tag}"
    ax.set_title(minutes_title, fontsize=10,
                 fontweight="bold", color="#b35900" if is_estimate else "black")
    fig.subplots_adjust(left=0.01, right=0.99, top=0.94, bottom=0.06)
    minutes_png = _figure_png(fig)
    # map 2: gap score and rural gaps
    fig = Figure(figsize=(6.4, 6.6), dpi=100)
    ax = fig.subplots()
    score = lsoas["gap_score"].to_numpy(dtype=float)
    lsoas.plot(ax=ax, column="gap_score", cmap="YlOrRd", edgecolor="white", linewidth=0.3,
               zorder=2, vmin=0.0, vmax=float(np.nanmax(score)) if np.isfinite(score).any() else 1.0)
    rural = lsoas[lsoas["rural_gap"].astype(bool)] if "rural_gap" in lsoas.columns else lsoas.iloc[:0]
    if len(rural):
        rural.plot(ax=ax, facecolor="none", edgecolor="#08306b", linewidth=1.6, hatch="///",
                   zorder=3)
    _base_map(ax, lsoas, outline=outline, districts=districts)
    plot_context(ax, context, bounds, max_sites=0)
    if "gap_rank" in lsoas.columns:
        top = lsoas[lsoas["gap_rank"] <= 5]
        for (_, row), pt in zip(top.iterrows(), top.geometry.representative_point(), strict=True):
            ax.annotate(str(int(row["gap_rank"])), (pt.x, pt.y), ha="center", va="center",
                        fontsize=8, fontweight="bold", color="white", zorder=8,
                        bbox={"boxstyle": "circle,pad=0.2", "fc": "#08306b", "ec": "white"})
    sm = ax.collections[0]
    cbar = fig.colorbar(sm, ax=ax, shrink=0.55, location="right", pad=0.02)
    cbar.set_label("Gap score (need x time ratio)", fontsize=8)
    cbar.ax.tick_params(labelsize=7)
    handles = [Patch(facecolor="none", edgecolor="#08306b", hatch="///",
                     label=f"rural gap ({len(rural)} LSOA{'' if len(rural) == 1 else 's'})")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.02), fontsize=8,
              frameon=False)
    gap_title = f"Gap score and rural gaps (1-5 = top outreach LSOAs){tag}"
    ax.set_title(gap_title, fontsize=10,
                 fontweight="bold", color="#b35900" if is_estimate else "black")
    fig.subplots_adjust(left=0.01, right=0.95, top=0.94, bottom=0.06)
    return {"minutes_map": minutes_png, "gap_map": _figure_png(fig),
            "minutes_title": minutes_title, "gap_title": gap_title}


def render_report_html(data: dict[str, Any]) -> str:
    """The full HTML page for a report dict (see :func:`geo.outputs.report.report_data`)."""
    h = data["headline"]
    thr = data["threshold_minutes"]
    parts: list[str] = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        f"<title>{esc(data['title'])}</title><style>{CSS}</style></head><body>",
        f"<h1>{esc(data['title'])}</h1>",
        f"<p class='sub'>{esc(data['area'])} · {esc(data['mode_label'])} · threshold "
        f"{thr:g} minutes · generated {esc(data['generated'])} by geo {esc(data['version'])}</p>",
    ]
    if data["is_estimate"]:
        rng = ""
        if "pct_beyond_low" in h:
            rng = (f" Allowing for the estimate's measured error, {fmt(h['pct_beyond_low'])}–"
                   f"{fmt(h['pct_beyond_high'])}% of adults are {thr:g}+ minutes away "
                   f"({fmt(h['pct_within_low'])}–{fmt(h['pct_within_high'])}% within).")
        parts.append("<div class='banner estimate'>ESTIMATE — travel times are NOT routed on a road "
                     f"or transit network. {esc(data['router_label'])}. Treat minutes as approximate"
                     f" and check local knowledge before acting.{esc(rng)}</div>")
    else:
        parts.append(f"<div class='banner network'>Travel times routed: {esc(data['router_label'])}.</div>")
    cards = [
        (fmt(h["adults"]), "adults 18+ (Census 2021)"),
        (fmt(h["lsoas"]), "LSOAs"),
        (f"{fmt(h['pct_beyond'])}%", f"adults {thr:g}+ minutes from the nearest site"
         + (f" ({'estimate' if data['is_estimate'] else 'travel-time'} range {fmt(h['pct_beyond_low'])}–"
            f"{fmt(h['pct_beyond_high'])}%)" if "pct_beyond_low" in h else "")),
        (fmt(h["adults_beyond"]), f"adults {thr:g}+ minutes (incl. unreachable)"),
        (fmt(h["mean_minutes"]), "mean minutes (adults-weighted)" + (
            f" (range {fmt(h['mean_minutes_low'])}–{fmt(h['mean_minutes_high'])})" if "mean_minutes_low" in h else "")),
        (fmt(h["median_minutes"]), "median minutes" + (
            f" (range {fmt(h['median_minutes_low'])}–{fmt(h['median_minutes_high'])})"
            if "median_minutes_low" in h else "")),
        (fmt(h["adults_unreachable"]), "adults with no reachable site"),
        (f"{fmt(data.get('adults_most_deprived_20pct_pct'))}%",
         "of adults live in England's 20% most deprived LSOAs"),
    ]
    parts.append("<h2>Headline</h2><div class='cards'>" + "".join(
        f"<div class='card'><div class='v'>{esc(v)}</div><div class='l'>{esc(lab)}</div></div>"
        for v, lab in cards) + "</div>")
    parts.append(f"<p class='note'>{esc(data['sites_summary'])}</p>")
    parts.extend(data.get("sections_html", ()))  # planning sections, rendered by geo.outputs.report_sections
    maps = data.get("maps") or {}
    if maps.get("minutes_map") or maps.get("gap_map"):
        parts.append("<h2>Maps</h2><div class='maps'>" + "".join(
            f"<figure><img alt='Map: {esc(maps.get(key + '_title') or key)}' src='{maps[key + '_map']}'>"
            "</figure>" for key in ("minutes", "gap") if maps.get(key + "_map"))
            + "</div>" + f"<p class='note'>{esc(data.get('maps_note', ''))}</p>")
    if data.get("chart"):
        parts.append(f"<img alt='Coverage by IMD decile' src='{data['chart']}'>")
    imd = data.get("imd", "IMD 2025")
    for key, heading in (("by_imd_decile", f"By deprivation ({imd} decile, 1 = most deprived)"),
                         ("by_urban_rural", "Urban and rural"),
                         ("by_ruc21nm", "Rural-urban classification 2021"),
                         ("by_lad24nm", "By district / unitary authority"),
                         ("by_former_district", "By former district (councils before 2021)"),
                         ("by_ward", "By ward (2024)")):
        if key in data["coverage"]:
            parts.append(f"<h2>{esc(heading)}</h2>" + frame_html(data["coverage"][key],
                                                                    columns=TABLE_COLUMNS))
    e = data["equity"]
    parts.append("<h2>Equity of travel time</h2><table>"
                 "<tr><th>Index</th><th>Value</th><th>Reading</th></tr>"
                 f"<tr><td>Concentration index (by IMD rank)</td><td>{fmt(e['concentration_index'], 3)}</td>"
                 "<td class='t'>negative = longer times concentrated among the more deprived; positive = among "
                 "the less deprived; 0 = no gradient</td></tr>"
                 f"<tr><td>Gini of minutes across adults</td><td>{fmt(e['gini'], 3)}</td>"
                 "<td class='t'>0 = everyone travels the same time</td></tr>"
                 f"<tr><td>Palma ratio</td><td>{fmt(e['palma_ratio'], 2)}</td>"
                 "<td class='t'>share of adult-minutes of the 10% furthest / 40% nearest (0.25 = equal)</td></tr>"
                 f"<tr><td>Mean minutes decile 1 / decile 10</td>"
                 f"<td>{fmt(e['decile1_to_decile10_ratio'], 2)}</td>"
                 "<td class='t'>&gt;1 = most deprived travel longer than least deprived</td></tr></table>"
                 f"<p class='note'>{esc(e['note'])}</p>")
    if data.get("need"):
        n = data["need"]
        parts.append("<h2>Need</h2><ul>"
                     f"<li>Composite need index: {esc(n['method'])}; weights "
                     f"{esc(', '.join(f'{k} {v:g}' for k, v in n['weights'].items()))}</li>"
                     + "".join(f"<li>{esc(x)}</li>" for x in n["notes"]) + "</ul>")
    if data.get("deaths"):
        d = data["deaths"]
        parts.append(f"<p>ONS drug-poisoning deaths {esc(d.get('years'))}: <b>{esc(fmt(d.get('deaths')))}</b>, "
                     f"crude rate {esc(fmt(d.get('crude_rate_per_100k_per_year'), 2))} per 100,000 "
                     f"residents per year ({esc(d.get('method'))}).</p>")
    out = data["outreach"]
    parts.append(f"<h2>Outreach priorities (top {len(out)} LSOAs)</h2>"
                 f"<p class='note'>{esc(data['gap_method'])}; unreachable LSOAs scored at 2 x the "
                 "threshold. Rural gap = rural LSOA beyond the threshold.</p>"
                 + frame_html(out.set_index("rank"), index=True))
    if data.get("sites_table") is not None and len(data["sites_table"]):
        parts.append("<h2>Sites used</h2>" + frame_html(data["sites_table"], index=False))
    parts.append("<h2>Method</h2><ul>" + "".join(f"<li>{esc(m)}</li>" for m in data["method_notes"])
                 + "</ul>")
    parts.append("<h2>Data sources and licences</h2><table class='small'><tr><th>Dataset</th>"
                 "<th>Publisher</th><th>Vintage</th><th>Licence</th><th>Attribution</th></tr>"
                 + "".join(f"<tr><td>{esc(s['title'])}</td><td class='t'>{esc(s['publisher'])}</td>"
                           f"<td class='t'>{esc(s['vintage'])}</td><td class='t'>{esc(s['licence'])}</td>"
                           f"<td class='t'>{esc(s['attribution'])}</td></tr>" for s in data["sources"])
                 + "</table>")
    parts.append(f"<footer>{esc(data['footer'])}</footer></body></html>")
    return "\n".join(parts)


__all__ = ["access_maps_png", "decile_chart_png", "frame_html", "minute_bands", "render_report_html"]
