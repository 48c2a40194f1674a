"""Clients view: upload a treatment-client extract, see it aggregated with disclosure control.

The extract stays in memory for this session only: postcodes are mapped to LSOA 2021 and
dropped (``geo.measures.clients``), and every table shown passes through ``geo.measures.disclosure`` (counts
1-4 hidden, plus complementary cells).  Nothing is written to disk.

Layout::

    ┌ privacy note ─────────────────────────────┐
    ├ uploader  │ [use a synthetic extract]     ┤
    ├ headline (clients, rate, unmapped rows) ──┤
    ├ by IMD quintile │ by district ────────────┤
    └ [clear the extract] ──────────────────────┘
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from atlas import data
from geo import GeoError


def _clear() -> None:
    for k in ("client_counts", "client_rates", "client_counts_key", "client_summary"):
        st.session_state[k] = None


def _load(raw: bytes | pd.DataFrame, name: str, an: Any) -> None:
    from geo.measures.clients import client_counts, penetration, read_client_extract, summarise_clients

    clients = read_client_extract(raw, data.settings(), source=name)
    summary = summarise_clients(clients, an.area)
    counts = client_counts(clients, an.area)
    pen = penetration(counts, an.area)
    ss = st.session_state
    ss["client_counts"] = {k: float(v) for k, v in counts["clients"].items()}  # in memory, for need only
    rate_col = [c for c in pen.columns if c.startswith("clients_per_")][0]
    ss["client_rates"] = {k: float(v) for k, v in pen[rate_col].dropna().items()}  # suppressed: shown
    ss["client_counts_key"] = f"{name}:{len(clients)}:{an.area.key}"
    ss["client_summary"] = summary


def _pretty(df: pd.DataFrame) -> pd.DataFrame:
    """Readable column names ("clients_per_1000_adults" -> "Clients per 1000 adults")."""
    out = df.copy()
    out.columns = [str(c).replace("_pct", " %").replace("_", " ").capitalize() for c in out.columns]
    if out.index.name:
        out.index.name = str(out.index.name).replace("_", " ").capitalize()
    return out


def render(an: Any) -> None:
    """The Clients tab."""
    st.markdown(
        "Upload your service's **client extract** (CSV, one row per client, with a `postcode` or "
        "`lsoa21cd` column) to see where clients live relative to need. **The file stays in memory for "
        "this session only**: postcodes are turned into neighbourhood codes and discarded, nothing is "
        "saved, and counts of 1–4 (plus any that would reveal them) are hidden.")
    if an is None:
        st.info("Choose a study area first.")
        return
    left, right = st.columns([2, 1])
    f = left.file_uploader("Client extract (CSV)", type=["csv", "txt"], key="clients_file")
    use_synth = right.button("Try a synthetic extract", key="clients_synth",
                             help="Invented clients at real postcodes in the area (clearly labelled).")
    right.button("Clear the extract", key="clients_clear", on_click=_clear)
    ss = st.session_state
    ident = (f.name, f.size, an.area.key) if f is not None else None
    try:
        if use_synth:
            from geo.measures.clients import synthetic_clients

            n = max(50, int(an.area.adults / 200))
            ss["clients_loaded_name"] = ident  # a file already in the uploader is not re-read
            ss["clients_error"] = None
            _load(synthetic_clients(an.area, n, seed=1, settings=data.settings()), "synthetic", an)
        elif f is not None and ss.get("clients_loaded_name") != ident:
            ss["clients_loaded_name"] = ident
            ss["clients_error"] = None
            _load(f.getvalue(), f.name, an)
    except GeoError as exc:
        _clear()
        ss["clients_error"] = (ident, str(exc))
    err = ss.get("clients_error")
    if err and err[0] == ident and ident is not None:
        st.error(f"**The extract could not be used.** {err[1]}")
        return
    summary = st.session_state.get("client_summary")
    if not summary:
        st.caption("No extract loaded. Once loaded, 'Clients per 1,000 adults' becomes available as a map "
                   "colour and the composite need in Gaps uses it.")
        return
    if summary.get("synthetic_data"):
        st.warning("These are **synthetic** (invented) clients, for trying the tool only.")
    c = st.columns(4)
    c[0].metric("Clients in the area", data.fmt_int(summary.get("clients_in_area")) if summary.get(
        "clients_in_area") is not None else "suppressed")
    rate = summary.get("clients_per_1000_adults")
    c[1].metric("Clients per 1,000 adults", "–" if rate is None else f"{rate:.1f}")
    c[2].metric("Rows read", data.fmt_int(summary.get("rows_read")))
    c[3].metric("Rows not mapped to a neighbourhood", data.fmt_int(summary.get("rows_not_mapped")))
    l2, r2 = st.columns(2)
    with l2:
        st.markdown("**By deprivation quintile** (1 = most deprived 20%)")
        st.dataframe(_pretty(summary["by_imd_quintile"]), width="stretch")
    with r2:
        st.markdown("**By district**")
        st.dataframe(_pretty(summary["by_lad"]), width="stretch")
    st.caption(f"Disclosure control: {summary.get('suppression')}. Choose 'Clients per 1,000 adults' under "
               "*Colour neighbourhoods by* to map the (suppressed) rates.")
