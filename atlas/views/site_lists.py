"""Your own site lists (NSP, supervised consumption, naloxone pharmacies) as a section of the
Data & sources view: upload a CSV/XLSX, see the match to the NHS pharmacy registry (exact /
probable / unmatched, every row), and save it so every view uses it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from atlas import data


def preview(raw: bytes, filename: str, services: tuple[str, ...]) -> Any:
    """Import an uploaded list (no saving): :class:`geo.data.site_import.ImportResult`."""
    from geo import SiteLists

    return SiteLists(data.settings()).import_file(raw, source=filename, default_services=services)


def saved_lists() -> pd.DataFrame:
    """The registered lists: name, sites, services."""
    from geo import SiteLists

    d = SiteLists(data.settings()).folder
    rows = []
    for p in sorted(d.glob("*.csv")) if d.is_dir() else []:
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
        svc = sorted({x for v in df.get("services", pd.Series(dtype=str)) for x in str(v).split(";") if x})
        rows.append({"List": p.stem, "Sites": len(df), "Services": ", ".join(svc)})
    return pd.DataFrame(rows, columns=["List", "Sites", "Services"])


def render_section() -> None:
    """Uploader, match report and save button."""
    from geo import SERVICE_LABELS, GeoError

    st.markdown("#### Your site lists (NSP, supervised consumption, naloxone)")
    st.caption("A CSV or Excel list with an ODS code, or a name and postcode, per pharmacy; optional "
               "services (e.g. 'nsp; naloxone' or yes/no columns) and hours (OSM opening_hours or "
               "mon_from/mon_to … sun_from/sun_to). Rows are matched to the NHS pharmacy registry.")
    have = saved_lists()
    if len(have):
        st.dataframe(have, hide_index=True, width="stretch")
    f = st.file_uploader("Site list (CSV or XLSX)", type=["csv", "xlsx"], key="site_list_file")
    services = st.multiselect("Services of rows that name none", ["nsp", "supervised_consumption", "naloxone",
                                                                 "treatment"],
                              format_func=SERVICE_LABELS.get, key="site_list_services")
    if f is None:
        return
    try:
        res = preview(f.getvalue(), f.name, tuple(services))
    except GeoError as exc:
        st.error(str(exc))
        return
    c = res.counts
    cols = st.columns(4)
    for col, (label, k) in zip(cols, (("Exact (ODS code)", "exact"), ("Probable (postcode + name)", "probable"),
                                      ("Unmatched", "unmatched"), ("Not located", "not_located")), strict=True):
        col.metric(label, f"{c.get(k, 0):,}")
    st.dataframe(res.report, hide_index=True, width="stretch")
    name = st.text_input("Save as", value=f.name.rsplit(".", 1)[0].replace(" ", "-")[:60], key="site_list_name")
    if st.button("Save and use in every view", key="site_list_save"):
        from geo import SiteLists

        try:
            path = SiteLists(data.settings()).save(res.sites, name)
        except GeoError as exc:
            st.error(str(exc))
            return
        data.sites.clear()
        st.success(f"Saved {len(res.sites)} sites as '{path.stem}'. Choose the service under Services to use them.")
