"""Drug & alcohol service access atlas (Streamlit).

This file only orchestrates: page setup, the sidebar, and one tab per view.  All work lives
in ``atlas/`` (containers and cached calls) and ``geo/`` (the library).

    ┌ sidebar: area · services · travel · map ┐ ┌ title + area line ───────────────┐
    │                                          │ │ tabs: Coverage | Gaps | Scenario │
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
from geo._errors import GeoError

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

TABS = ["Coverage", "Gaps", "Scenario", "Opening hours", "Clients", "Data & sources"]
tab_cov, tab_gaps, tab_scen, tab_hours, tab_clients, tab_data = st.tabs(TABS)
views = ((tab_cov, coverage), (tab_gaps, gaps), (tab_scen, scenario), (tab_hours, hours))
for tab, view in views:
    with tab:
        if analysis is None:
            st.info("Fix the problem above or choose another area in the sidebar; the other tabs still work.")
            continue
        try:
            view.render(analysis)
        except GeoError as exc:
            st.error(str(exc))
with tab_clients:
    try:
        clients.render(analysis)
    except GeoError as exc:
        st.error(str(exc))
with tab_data:
    data_sources.render(analysis)
layout.footer()
