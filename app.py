"""Drug & alcohol service access atlas (Streamlit).

This file only orchestrates: page setup, the sidebar, and the one view chosen in a tab-like
switcher (only that view runs).  All work lives in ``atlas/`` (containers and cached calls) and
``geo/`` (the library).

    ┌ sidebar: area · services · travel · map ┐ ┌ title + area line ───────────────┐
    │                                          │ │ view: Coverage | Gaps | Scenario │
    │                                          │ │       | Opening hours | Clients  │
    │                                          │ │       | Data                     │
    └──────────────────────────────────────────┘ └──────────────────────────────────┘

Run with ``streamlit run app.py``.
"""

from __future__ import annotations

import logging

import streamlit as st

from atlas import layout, state
from atlas.context import build
from atlas.views import clients, coverage, data_sources, gaps, hours, scenario
from geo import GeoError

st.set_page_config(page_title="Drug & alcohol service access atlas", page_icon="🗺️", layout="wide",
                   initial_sidebar_state="expanded")
logging.basicConfig(level=logging.WARNING)

layout.style()
controls = state.sidebar()
layout.header()

analysis = None
try:
    analysis = build(controls)
except GeoError as exc:
    st.error(f"**Could not prepare the analysis.** {exc}")

if analysis is not None:
    layout.area_line(analysis)

VIEWS = {"Coverage": coverage, "Gaps": gaps, "Scenario": scenario, "Opening hours": hours,
         "Clients": clients, "Data & sources": data_sources}
# Only the chosen view runs (st.tabs would run all six, with their maps and charts, on every rerun).
# View widgets keep their values while hidden (persist_state="page"); results live in session_state.
view = layout.view_switcher(list(VIEWS))
if view in {"Clients", "Data & sources"}:
    try:
        VIEWS[view].render(analysis)
    except GeoError as exc:
        st.error(str(exc))
elif analysis is None:
    st.info("Fix the problem above or choose another area in the sidebar; the other views still work.")
else:
    try:
        VIEWS[view].render(analysis)
    except GeoError as exc:
        st.error(str(exc))
layout.footer()
