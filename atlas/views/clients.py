"""Clients view: upload a treatment-client extract, see it summarised from its protected base.

The extract stays in memory for this session only: postcodes are mapped to LSOA 2021 and
dropped (``geo.measures.clients``), the extract's counts are perturbed once per LSOA by the cell
key method (``geo.measures.client_base``), and every number shown -- headline, tables, map
rates, the gap ranking -- is a sum of that base, with its error.  Nothing is written to disk.

Layout::

    ┌ privacy note ─────────────────────────────┐
    ├ uploader  │ [use a synthetic extract]     ┤
    ├ headline (clients, rate, unmapped rows) ──┤
    ├ by IMD quintile │ by district ────────────┤
    ├ by ward (expander) · [download CSV] ──────┤
    └ how the counts were protected ────────────┘
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from atlas import data
from atlas.team import signin
from atlas.team.roles import Permission
from geo import GeoError


def _clear() -> None:
    for k in ("client_counts", "client_rates", "client_counts_key", "client_summary", "client_release"):
        st.session_state[k] = None


def _session_token() -> str:
    """A random id for this browser session: client-derived cache keys carry it, so no other
    session can ever hit them (``st.cache_data`` is shared by every session of the server)."""
    ss = st.session_state
    if not ss.get("client_session_token"):
        import secrets

        ss["client_session_token"] = secrets.token_hex(16)
    return str(ss["client_session_token"])


def content_key(raw: bytes | pd.DataFrame, area_key: str) -> str:
    """Cache key of an extract: content hash + area + this session's token (never the file name)."""
    import hashlib

    digest = hashlib.sha256()
    if isinstance(raw, bytes):
        digest.update(raw)
    else:  # a frame (the synthetic extract): its column names and every value
        digest.update("\x1f".join(map(str, raw.columns)).encode("utf-8"))
        digest.update(pd.util.hash_pandas_object(raw, index=False).to_numpy().tobytes())
    return f"clients:{digest.hexdigest()[:24]}:{area_key}:{_session_token()}"


def _load(raw: bytes | pd.DataFrame, name: str, an: Any) -> int:
    """Read and protect an extract for this session; returns its row count (for the audit log)."""
    if not signin.can(Permission.CLIENTS):  # checked on the server, whatever the page showed
        raise GeoError("Your role cannot upload client extracts.")
    clients = an.study.read_clients(raw, source=name)
    base = an.study.client_base(clients)
    release = an.study.client_release(base)
    ss = st.session_state
    # Only the extract's protected base leaves this function: the map shows its rates (for any
    # area), the gap ranking its counts, the tables are sums of it (the release).
    ss["client_release"] = release
    ss["client_counts"] = {str(k): float(v) for k, v in base.lsoa.items()}
    ss["client_rates"] = base.rates_per_1000(an.study.lsoa_table())
    ss["client_counts_key"] = content_key(raw, an.area.key)
    ss["client_summary"] = release.summary()
    return len(clients)


#: Readable headers for the release tables.
HEADERS = {"lad24nm": "District", "lad24cd": "District code", "wd24cd": "Ward code", "ward": "Ward",
           "imd_quintile": "IMD quintile", "imd_decile": "IMD decile", "lsoas": "Neighbourhoods", "adults": "Adults",
           "clients": "Clients (± error)", "clients_per_1000_adults": "Clients per 1,000 adults"}


def _pretty(df: pd.DataFrame) -> pd.DataFrame:
    """Readable headers, each count with its error ("1,030 ± 21") and blanks (never ``None``)."""
    from geo import CLIENT_ERROR_COL as ERROR_COL
    from geo import CLIENT_LABEL_COL as LABEL_COL

    out = pd.DataFrame(df).drop(columns=[LABEL_COL], errors="ignore").copy()
    errors = out.pop(ERROR_COL) if ERROR_COL in out.columns else pd.Series(pd.NA, index=out.index)
    for col in out.columns:
        values = out[col]
        if col == "clients":
            out[col] = ["" if pd.isna(v) else f"{int(v):,}" + ("" if pd.isna(e) or not e else f" ± {int(e):,}")
                        for v, e in zip(values, errors, strict=True)]
        elif pd.api.types.is_numeric_dtype(values):
            out[col] = ["" if pd.isna(v) else (f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}")
                        for v in values]
        else:
            out[col] = values.astype(object).where(values.notna(), "").astype(str)
    out.columns = [HEADERS.get(str(c), str(c).replace("_pct", " %").replace("_", " ").capitalize())
                   for c in out.columns]
    if out.index.name:
        out.index.name = HEADERS.get(str(out.index.name), str(out.index.name).replace("_", " ").capitalize())
    return out


def _number(v: Any) -> float | None:
    """A published headline value as a number (None when absent)."""
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def extract_warnings(summary: dict[str, Any], area_name: str) -> list[str]:
    """Warnings when an extract does not look like this area's clients (from published numbers only)."""
    notes: list[str] = []
    read = _number(summary.get("rows_read"))
    unmapped = _number(summary.get("rows_not_mapped"))
    outside = _number(summary.get("clients_outside_area"))
    inside = _number(summary.get("clients_in_area"))
    if read and unmapped is not None and unmapped >= 0.5 * read:
        notes.append(f"About {unmapped:,.0f} of {read:,.0f} rows could not be placed in a neighbourhood: is this a "
                     "client extract with a postcode or lsoa21cd column of English addresses?")
    if outside and outside > (inside or 0):
        notes.append(f"Most clients in this extract live outside {area_name} (about {outside:,.0f}): check the "
                     "study area in the sidebar matches the service the extract comes from.")
    if inside == 0 and not outside:
        notes.append("No rows look like clients living in this area: check the file is a client extract.")
    return notes


def _count(summary: dict[str, Any], key: str) -> str:
    """A published headline count with its error ("2,987 ± 74")."""
    v, e = summary.get(key), summary.get(f"{key}_error")
    if v is None:
        return "–"
    return data.fmt_int(v) + (f" ± {data.fmt_int(e)}" if e else "")


def render(an: Any) -> None:
    """The Clients tab."""
    st.markdown(
        "Upload your service's **client extract** (CSV, one row per client, with a `postcode` or "
        "`lsoa21cd` column) to see where clients live relative to need. **The file stays in memory for "
        "this session only**: postcodes are turned into neighbourhood codes and discarded, nothing is "
        "saved, and every count is perturbed once per neighbourhood (cell key method, as ONS uses for the "
        "Census), so no count of 1–4 can be shown or worked out, whatever areas are chosen.")
    if not signin.require(Permission.CLIENTS, action="upload or see client data", view="Clients"):
        return
    if an is None:
        st.info("Choose a study area first.")
        return
    left, right = st.columns([2, 1])
    f = left.file_uploader("Client extract (CSV)", type=["csv", "txt"], key="clients_file")
    use_synth = right.button("Try a synthetic extract", key="clients_synth",
                             help="Invented clients at real postcodes in the area (clearly labelled).")
    right.button("Clear the extract", key="clients_clear", on_click=_clear)
    ss = st.session_state
    # the uploader's file_id changes with every upload, so a new file with the same name and size
    # is always read again (never mistaken for the previous one)
    ident = (getattr(f, "file_id", f.name), f.size, an.area.key) if f is not None else None
    audit: dict[str, Any] = {}
    try:
        if use_synth:
            n = max(50, int(an.area.adults / 200))
            ss["clients_loaded_name"] = ident  # a file already in the uploader is not re-read
            ss["clients_error"] = None
            audit = {"file_kind": "synthetic client extract"}
            audit["rows"] = _load(an.study.synthetic_clients(n, seed=1), "synthetic", an)
        elif f is not None and ss.get("clients_loaded_name") != ident:
            ss["clients_loaded_name"] = ident
            ss["clients_error"] = None
            raw = f.getvalue()
            audit = {"file_kind": "client extract (CSV)", "sha256": signin.sha256(raw)}
            audit["rows"] = _load(raw, f.name, an)
    except GeoError as exc:
        _clear()
        ss["clients_error"] = (ident, str(exc))
        audit["outcome"] = "error"
    if audit:
        try:
            signin.record("upload", audit.pop("outcome", "ok"), view="Clients", area=an.area.name, **audit)
        except GeoError:  # no audit line, no client results
            _clear()
            raise
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
    for note in extract_warnings(summary, an.area.name):
        st.warning(note)
    c = st.columns(4)
    c[0].metric("Clients in the area", _count(summary, "clients_in_area"))
    rate, rate_error = summary.get("clients_per_1000_adults"), summary.get("clients_per_1000_adults_error")
    c[1].metric("Clients per 1,000 adults", "–" if rate is None else f"{rate:.1f} ± {rate_error:.1f}")
    c[2].metric("Rows read", _count(summary, "rows_read"))
    c[3].metric("Rows not mapped to a neighbourhood", _count(summary, "rows_not_mapped"))
    if summary.get("clients_outside_area"):
        st.caption(f"About {_count(summary, 'clients_outside_area')} client(s) live outside the area and are "
                   "not counted.")
    l2, r2 = st.columns(2)
    with l2:
        st.markdown("**By deprivation quintile** (1 = most deprived 20%)")
        st.dataframe(_pretty(summary["by_imd_quintile"]), width="stretch")
    with r2:
        st.markdown("**By district**")
        st.dataframe(_pretty(summary["by_lad"]), width="stretch")
    release = ss.get("client_release")
    if release is not None:
        with st.expander("By ward"):
            st.dataframe(_pretty(release.by_ward), width="stretch")
        from geo import csv_bytes

        st.download_button("Download the neighbourhood table (CSV)", csv_bytes(release.by_lsoa),
                           file_name="clients_by_lsoa.csv", mime="text/csv", key="clients_download")
    label = str(summary.get("disclosure", ""))
    st.caption(f"**{label[:1].upper()}{label[1:]}.** Every figure is a sum of the extract's perturbed neighbourhood "
               "counts, so it is the same in every view and area; ± gives its error (about 95%). Choose "
               "'Clients per 1,000 adults' under *Colour neighbourhoods by* to map the rates.")
