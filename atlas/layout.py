"""Page chrome: CSS, title, the area summary line and the footer."""

from __future__ import annotations

import html
from pathlib import Path

import streamlit as st

from atlas import data

TEXT_DIR = Path(__file__).parent / "text"


def text(name: str) -> str:
    """Markdown prose kept in ``atlas/text/<name>.md``."""
    return (TEXT_DIR / f"{name}.md").read_text(encoding="utf-8")


def style() -> None:
    st.markdown(
        """
        <style>
          .block-container {padding-top: 1.6rem; padding-bottom: 2rem; max-width: 1400px;}
          [data-testid="stMetricValue"] {font-size: 1.7rem;}
          [data-testid="stMetricLabel"] p {font-size: 0.9rem; color: #37474f;}
          .atlas-title {font-size: 1.9rem !important; font-weight: 700; color: #1d2b36; margin: 0 !important; line-height: 1.2;}
          .atlas-sub {color: #546e7a; margin: 0.1rem 0 0.6rem 0; font-size: 0.95rem;}
          .atlas-area {background: #eef3f7; border-left: 4px solid #005eb8; padding: 0.45rem 0.8rem;
                       border-radius: 4px; margin-bottom: 0.6rem; font-size: 0.95rem;}
          .atlas-foot {color: #78909c; font-size: 0.8rem; margin-top: 2rem; border-top: 1px solid #e0e0e0;
                       padding-top: 0.5rem;}
          iframe[title="streamlit_folium.st_folium"], [class*="st-key-map-"] iframe {
              border: 1px solid #d0d7de; border-radius: 6px;}
          /* the view switcher (a horizontal radio) drawn like tabs */
          .st-key-view {border-bottom: 1px solid #d0d7de; margin-bottom: 0.4rem; width: 100% !important;}
          .st-key-view [role="radiogroup"] {gap: 0 !important;}
          .st-key-view [role="radiogroup"] > div {margin: 0 !important; padding: 0.35rem 1rem 0.45rem 1rem;
              border-bottom: 3px solid transparent; margin-bottom: -1px !important;}
          .st-key-view [data-testid="stRadioOption"] > div > div:first-child {display: none;}
          .st-key-view [data-testid="stRadioOption"] {cursor: pointer; margin: 0 !important;}
          .st-key-view [role="radiogroup"] > div[data-selected="true"] {border-bottom-color: #005eb8;}
          .st-key-view [role="radiogroup"] > div[data-selected="true"] p {color: #005eb8; font-weight: 600;}
          .st-key-view [role="radiogroup"] > div:hover p {color: #005eb8;}
        </style>
        """,
        unsafe_allow_html=True,
    )


def view_switcher(labels: list[str]) -> str:
    """A tab-like row of view names; only the chosen view is run (key ``view``)."""
    return st.radio("View", labels, index=0, horizontal=True, key="view", label_visibility="collapsed")


def header() -> None:
    st.markdown('<div class="atlas-title">Drug &amp; alcohol service access atlas</div>'
                '<p class="atlas-sub">How far people live from treatment and harm-reduction services, '
                "who is furthest, and what a new or moved site would change. Open data for England.</p>",
                unsafe_allow_html=True)


def area_line(an) -> None:
    c = an.controls
    names = list(an.area.lsoas["lad24nm"].astype(str).unique())
    lads = html.escape(", ".join(names[:6]) + (f", … ({len(names)} districts)" if len(names) > 6 else ""))
    mixed = an.times.attrs.get("estimated_trips", 0) if an.times is not None else 0
    method = an.method_label + (f"; MIXED with an estimated leg for {mixed} neighbourhoods" if mixed else "")
    st.markdown(
        f'<div class="atlas-area"><b>{html.escape(an.area.name)}</b> ({lads}) · {len(an.area.lsoas):,} neighbourhoods · '
        f"{data.fmt_int(an.area.adults)} adults · mode: <b>{c.travel.mode.label}</b> ({method}) · threshold "
        f"<b>{c.threshold_minutes} min</b> · {c.when_label} · {html.escape(an.study.sites_label)}</div>",
        unsafe_allow_html=True)
    for n in c.notes:
        st.info(n)
    warnings(an.warnings, key="area")


def warnings(lines: list[str], details: dict[str, list[str]] | None = None, *, key: str = "w") -> None:
    """Warnings about the study area: one plain line each, with a "Show details" list behind it.

    Lines and items are shown as text (never as Markdown or HTML): names can come from users' files.
    """
    for i, line in enumerate(lines):
        st.warning(line, icon=":material/warning:")
        items = (details or {}).get(line) or []
        if items:
            with st.expander(f"Show details ({len(items)})", key=f"{key}-details-{i}"):
                st.text("\n".join(str(x) for x in items))


def footer() -> None:
    st.markdown('<div class="atlas-foot">Contains OS data © Crown copyright and database right 2025 · '
                "Contains National Statistics data © Crown copyright and database right 2021-2025 · "
                "NHS ODS data © NHS England · Map data © OpenStreetMap contributors (ODbL). "
                "Open Government Licence v3.0. See <i>Data &amp; sources</i>.</div>",
                unsafe_allow_html=True)
