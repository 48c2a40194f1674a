r"""How sites are drawn, on every map: one marker per site type, the same on the web map and in the report.

A marker's label, shape, fill colour, white glyph and size are those of the site's
:class:`~geo.data.site_types.SiteType` (or of a scenario change, :data:`CHANGE_MARKERS`).
:func:`marker_svg` draws it for web maps (the atlas puts it in Leaflet ``DivIcon``\ s) and
:func:`plot_sites` for static maps (matplotlib, the report), so a type looks the same in both.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import numpy as np

from geo.data.site_types import OTHER, SITE_TYPES, SiteType, site_type

if TYPE_CHECKING:
    import pandas as pd

#: Markers for a scenario's changes on a map (not site types; site types are
#: :data:`geo.data.site_types.SITE_TYPES`).
CHANGE_MARKERS: dict[str, SiteType] = {m.name: m for m in (
    SiteType("proposed", "Proposed site", "Proposed sites", "#000000", "square", "★", 22),
    SiteType("moved", "Moved site (new place)", "Moved sites (new place)", "#000000", "circle", "→", 20),
    SiteType("closed", "Closed site", "Closed sites", "#9e9e9e", "square", "✕", 20),
)}


#: matplotlib marker of each registry shape (:data:`geo.data.site_types.SHAPES`), as the web map draws it.
MPL_SHAPES = {"square": "s", "circle": "o", "diamond": "D", "triangle": "^"}
#: Report markers are this share of the web map's size in pixels (a static map shows a whole county).
REPORT_MARKER_SCALE = 0.8
#: Markers smaller than this (pixels) carry no glyph.
GLYPH_MIN_PX = 14


def marker_kind(kind: object) -> str:
    """The marker a site of ``kind`` is drawn with: its site type, a scenario change marker, else ``other``."""
    k = str(kind)
    return k if k in SITE_TYPES or k in CHANGE_MARKERS else OTHER


def site_style(kind: object) -> SiteType:
    """Label, shape, colour, glyph and size of a site type or change marker (unknown: ``other``)."""
    return CHANGE_MARKERS[k] if (k := str(kind)) in CHANGE_MARKERS else site_type(k)


def marker_sizes() -> dict[str, int]:
    """Marker size (pixels) of every site type and change marker, for label placement in the browser."""
    return {k: t.size_px for k, t in (*SITE_TYPES.items(), *CHANGE_MARKERS.items())}


def marker_svg(style: SiteType, *, faded: bool = False) -> str:
    """The marker as an SVG element (``faded``: a site across the border)."""
    s = style.size_px
    op = "0.55" if faded else "1"
    stroke = 'stroke="#ffffff" stroke-width="1.6"'
    if style.shape == "square":
        shape = f'<rect x="1" y="1" width="{s - 2}" height="{s - 2}" rx="3" fill="{style.colour}" {stroke}/>'
    elif style.shape == "diamond":
        h = s / 2
        shape = f'<polygon points="{h},1 {s - 1},{h} {h},{s - 1} 1,{h}" fill="{style.colour}" {stroke}/>'
    elif style.shape == "triangle":
        shape = f'<polygon points="{s / 2},1 {s - 1},{s - 1} 1,{s - 1}" fill="{style.colour}" {stroke}/>'
    else:
        shape = f'<circle cx="{s / 2}" cy="{s / 2}" r="{s / 2 - 1}" fill="{style.colour}" {stroke}/>'
    font = max(8, int(s * 0.6))
    text = (f'<text x="50%" y="{55 if style.shape != "triangle" else 68}%" dominant-baseline="middle" '
            f'text-anchor="middle" font-family="system-ui,sans-serif" font-weight="700" '
            f'font-size="{font}" fill="#ffffff">{html.escape(style.glyph)}</text>') if s >= GLYPH_MIN_PX else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{s}" height="{s}" opacity="{op}" '
            f'style="filter:drop-shadow(0 1px 1px rgba(0,0,0,.45))">{shape}{text}</svg>')


def _glyph_marker(glyph: str) -> Any:
    """A matplotlib marker path of ``glyph`` centred in its em box (so a bullet stays small)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.path import Path
    from matplotlib.textpath import TextPath

    text = TextPath((0, 0), glyph, size=1, prop=FontProperties(family="DejaVu Sans", weight="bold"))
    lo, hi = text.vertices.min(axis=0), text.vertices.max(axis=0)
    verts = text.vertices - (lo + hi) / 2  # the glyph's own centre on the marker's centre
    box = [[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]]  # invisible corners fix the scale
    return Path([*box, *verts], [Path.MOVETO] * 4 + list(text.codes))


def plot_sites(ax: Any, sites: pd.DataFrame | None, bounds: np.ndarray) -> list[tuple[Any, str]]:
    """Sites inside the map extent, drawn as the web map draws them; returns legend (handle, label) pairs.

    Each type's shape, colour, white glyph and size come from its
    :class:`~geo.data.site_types.SiteType` (the same as :mod:`geo.outputs.geojson` markers);
    bigger types are drawn on top.  Legend entries read ``"Treatment hub (3)"``.
    """
    from matplotlib.lines import Line2D

    if sites is None or not len(sites) or not {"easting", "northing"} <= set(sites.columns):
        return []
    x0, y0, x1, y1 = bounds
    pad = 0.04 * max(x1 - x0, y1 - y0)
    e = sites["easting"].to_numpy(dtype=float)
    n = sites["northing"].to_numpy(dtype=float)
    inside = (e >= x0 - pad) & (e <= x1 + pad) & (n >= y0 - pad) & (n <= y1 + pad)
    kinds = (sites["site_type"].map(lambda t: site_type(t).name).to_numpy(dtype=object)
             if "site_type" in sites.columns else np.full(len(sites), "other", dtype=object))
    handles = []
    for name in sorted(set(kinds[inside]), key=lambda t: (site_type(t).size_px, t)):  # big ones on top
        t = site_type(name)
        sel = inside & (kinds == name)
        side_pt = t.size_px * 0.72 * REPORT_MARKER_SCALE  # pixels on the web map -> points here
        z = 7 + t.size_px / 100
        shape = MPL_SHAPES[t.shape]
        ax.scatter(e[sel], n[sel], marker=shape, s=side_pt ** 2, c=t.colour, edgecolors="white",
                   linewidths=0.9, zorder=z)
        shown = [Line2D([], [], linestyle="none", marker=shape, markersize=side_pt, markerfacecolor=t.colour,
                        markeredgecolor="white")]
        if t.size_px >= GLYPH_MIN_PX:  # as on the web map: small markers carry no glyph
            glyph = _glyph_marker(t.glyph)
            ax.scatter(e[sel], n[sel], marker=glyph, s=(0.62 * side_pt) ** 2, c="white", linewidths=0,
                       zorder=z + 0.001)
            shown.append(Line2D([], [], linestyle="none", marker=glyph, markersize=0.62 * side_pt,
                                markerfacecolor="white", markeredgewidth=0))
        handles.append((tuple(shown), f"{t.label} ({int(sel.sum())})"))
    return handles[::-1]  # legend: biggest first, as on the web map


__all__ = ["CHANGE_MARKERS", "GLYPH_MIN_PX", "MPL_SHAPES", "REPORT_MARKER_SCALE", "marker_kind", "marker_sizes",
           "marker_svg", "plot_sites", "site_style"]
