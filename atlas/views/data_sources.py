"""Data & sources view: every dataset with publisher, vintage, licence and attribution,
plus the method notes (how times, coverage, gaps and estimates are calculated)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from atlas import layout


def sources_table() -> pd.DataFrame:
    from geo import DataBundle

    rows = [{"Dataset": d.title, "Publisher": d.publisher, "Vintage": d.vintage, "Licence": d.licence,
             "Attribution": d.attribution, "File": d.relpath} for d in DataBundle.DATASETS.values()]
    return pd.DataFrame(rows)


def render(an: Any) -> None:
    """The Data & sources tab."""
    st.markdown(layout.text("method"))
    if an is not None:
        from atlas.state import missing_hours_text

        st.markdown(f"**Travel times in this view:** {an.label}.")
        st.markdown(f"**Opening hours in this view:** {missing_hours_text(an.controls.missing_hours)}.")
    from atlas.views import site_lists

    site_lists.render_section()
    st.markdown("#### Sources")
    st.dataframe(sources_table(), width="stretch", hide_index=True)
    st.markdown(layout.text("attribution"))
