"""Audit log view (administrators only): who did what, newest first.

Layout::

    ┌ where the log is, how it rotates ──────────────┐
    ├ filter: event · person ─── [download (JSONL)] ─┤
    └ table: time · event · outcome · person · role · view · area · file · rows · SHA-256 ┘
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from atlas.team import signin
from atlas.team.audit import EVENTS
from atlas.team.roles import Permission

COLUMNS = {"ts": "Time (UTC)", "event": "Event", "outcome": "Outcome", "user": "Person", "role": "Role",
           "view": "View", "area": "Area", "file_kind": "File", "rows": "Rows", "sha256": "SHA-256",
           "detail": "Detail", "ip": "Address", "replica": "Replica", "session": "Session"}
SHOW_AT_MOST = 1000


def table(records: list[dict[str, Any]]) -> pd.DataFrame:
    """The audit records as text columns with readable headers (columns in :data:`COLUMNS` order)."""
    cols = [c for c in COLUMNS if any(c in r for r in records)]
    rows = [["" if r.get(c) is None else str(r[c]) for c in cols] for r in records]
    return pd.DataFrame(rows, columns=[COLUMNS[c] for c in cols])


def render(an: Any) -> None:
    """The Audit log tab."""
    if not signin.require(Permission.AUDIT, action="read the audit log", view="Audit log"):
        return
    s = signin.service()
    log = signin.audit_log(s)
    st.caption(f"Audit log: `{s.audit_log}` (JSON lines, rotated at {s.audit_max_mb:g} MB, "
               f"{s.audit_backups} old files kept). Postcodes, client values and counts under 5 are never written.")
    if not st.session_state.get("_audit_viewed"):
        st.session_state["_audit_viewed"] = True
        signin.record("view", view="Audit log")
    records = log.read(limit=SHOW_AT_MOST)
    if not records:
        st.info("No audit lines yet.")
        return
    left, right = st.columns([3, 1])
    events = left.multiselect("Events", list(EVENTS), key="audit_filter",
                              help="Leave empty to list every event.")
    shown = [r for r in records if not events or r.get("event") in events]
    raw = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in shown).encode("utf-8")
    right.download_button("Download (JSON lines)", raw, file_name="audit.jsonl", mime="application/x-ndjson",
                          key="audit_download",
                          on_click=signin.download_logger("Audit log", "audit log extract", raw, rows=len(shown)))
    st.caption(f"{len(shown):,} of the newest {len(records):,} lines")
    st.dataframe(table(shown), hide_index=True, width="stretch")
