"""Two app sessions upload different client extracts with the same file name and row count.

Streamlit's caches are shared by every session of a server.  The second session must see its own
map and numbers, never the first one's (issue 15: cached client maps were keyed on file name, row
count and area).  AppTest cannot drive ``st.file_uploader``: the ``uploader`` fixture (tests/fixtures/app_upload.py)
hands over the bytes a browser would send.
"""

from __future__ import annotations

import pytest

from tests.fixtures.app_upload import APP

pytestmark = [pytest.mark.app, pytest.mark.slow, pytest.mark.privacy]


def _extract(settings, rutland, seed: int) -> bytes:
    from geo.measures.clients import synthetic_clients

    return synthetic_clients(rutland, 240, seed, settings).to_csv(index=False).encode()


def _rates(at, area) -> dict[str, float]:
    """The session's map rates (the extract's base, for every LSOA) over the area's LSOAs."""
    return {k: float(v) for k, v in at.session_state["client_rates"].reindex(area.lsoas.index).dropna().items()}


def _session(data: bytes, file_id: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=600)
    at.run()
    at.radio(key="view").set_value("Clients").run()
    at.session_state["_test_upload"] = ("clients.csv", data, file_id)
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    at.radio(key="view").set_value("Coverage").run()
    at.sidebar.selectbox(key="metric").select("clients").run()
    assert not at.exception, at.exception
    return at


def _map_html(at) -> str:
    frames = list(at.get("iframe"))
    assert frames, "the map iframe"
    return "\n".join(str(getattr(f, "proto", f)) for f in frames)


def test_same_name_same_rows_sessions_stay_apart(settings, rutland, uploader) -> None:
    from geo.measures.client_release import build_client_release
    from geo.measures.clients import read_client_extract

    a_bytes, b_bytes = _extract(settings, rutland, 1), _extract(settings, rutland, 2)
    assert a_bytes != b_bytes and a_bytes.count(b"\n") == b_bytes.count(b"\n")
    rel = {k: build_client_release(read_client_extract(v, settings, source="clients.csv"), rutland)
           for k, v in (("a", a_bytes), ("b", b_bytes))}
    assert rel["a"].map_rates() != rel["b"].map_rates()

    a = _session(a_bytes, "upload-a")
    b = _session(b_bytes, "upload-b")  # same name, same size class, same rows, another session
    assert a.session_state["client_counts_key"] != b.session_state["client_counts_key"]
    assert _rates(a, rutland) == rel["a"].map_rates()
    assert _rates(b, rutland) == rel["b"].map_rates()
    a.run()  # the first session still sees its own numbers after the second one loaded
    assert _rates(a, rutland) == rel["a"].map_rates()
    html_a, html_b = _map_html(a), _map_html(b)
    assert html_a != html_b
    # the map HTML carries each session's own published rates
    only_a = {f"{v:.1f}" for v in rel["a"].map_rates().values()} - {f"{v:.1f}" for v in rel["b"].map_rates().values()}
    assert only_a, "the two extracts must differ in their published rates"
    # the same content uploaded again in session b gets b's own key (scoped to the session)
    b.session_state["_test_upload"] = ("clients.csv", a_bytes, "upload-a2")
    b.radio(key="view").set_value("Clients").run()
    assert b.session_state["client_counts_key"] != a.session_state["client_counts_key"]
    assert _rates(b, rutland) == rel["a"].map_rates()
