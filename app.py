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
from atlas.context import Analysis, build
from atlas.team import signin
from atlas.team.roles import Permission
from atlas.views import audit, clients, coverage, data_sources, gaps, hours, national, scenario
from geo import GeoError

st.set_page_config(page_title="Drug & alcohol service access atlas", page_icon="🗺️", layout="wide",
                   initial_sidebar_state="expanded")
logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

layout.style()
# Sign-in first: before it, nothing else runs (no sidebar, no map, no figure, no site list).
try:
    person = signin.gate()
except GeoError as exc:
    st.error(str(exc))
    st.stop()
if not person.can(Permission.CLIENTS):
    signin.clear_client_results()
controls = state.sidebar()
signin.account_box(person)
layout.header()

analysis = None
try:
    analysis = build(controls)
except GeoError as exc:
    st.error(f"**Could not prepare the analysis.** {exc}")

if analysis is not None:
    layout.area_line(analysis)

VIEWS = {"Coverage": coverage, "Gaps": gaps, "Scenario": scenario, "Opening hours": hours,
         "Clients": clients, "Data & sources": data_sources, "National": national, "Audit log": audit}
# Views a role may not use are not offered (and each checks the role again on the server).
HIDDEN = {"Clients": Permission.CLIENTS, "Audit log": Permission.AUDIT}
VIEWS = {k: v for k, v in VIEWS.items() if k not in HIDDEN or person.can(HIDDEN[k])}


@st.fragment
def view_area(analysis: Analysis | None) -> None:
    """The view switcher and the chosen view.

    A fragment: switching views or using a widget inside a view reruns only this function, not the
    sidebar and the shared analysis.  Only the chosen view runs (st.tabs would run all of them, with
    their maps and charts, on every rerun); view widgets keep their values while hidden
    (persist_state="page"), results live in session_state.
    """
    if not signin.still_signed_in():  # a fragment rerun skips the gate: renew it with a full run
        st.rerun(scope="app")
    signin.refuse_forged_widgets(st.session_state.get("view") or "Coverage")
    view = layout.view_switcher(list(VIEWS))
    if analysis is None and view not in {"Clients", "Data & sources", "Audit log"}:
        st.info("Fix the problem above or choose another area in the sidebar; the other views still work.")
        return
    try:
        VIEWS[view].render(analysis)
    except GeoError as exc:
        st.error(str(exc))


view_area(analysis)
layout.footer()
