"""The atlas in team mode (``GEO_SIGN_IN=1``) under Streamlit's AppTest, with ``st.user`` set by the test.

What a signed-out visitor sees, roles deciding views and client data (checked on the server),
expired and refused sign-ins, and the audit lines each action leaves.  The same app with no
sign-in (``make app``) is covered by ``test_app.py``; real sign-in through the mock provider, the
proxy and several replicas by ``test_team_service.py``.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.app]

APP = str(Path(__file__).resolve().parent.parent / "app.py")
SECRET = "Zq8" * 12


@pytest.fixture
def team(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Team-mode settings in tmp: secrets (provider on a closed port), audit log, roles file."""
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[auth]\nredirect_uri = "http://localhost:8080/oauth2callback"\ncookie_secret = "{SECRET}"\n'
                       'client_id = "geo"\nclient_secret = "s"\n'
                       'server_metadata_url = "http://127.0.0.1:9/.well-known/openid-configuration"\n')
    roles = tmp_path / "roles.toml"
    roles.write_text('[users]\n"ana@council.example" = "analyst"\n"root@council.example" = "admin"\n')
    monkeypatch.setenv("GEO_SIGN_IN", "1")
    monkeypatch.setenv("GEO_SECRETS_FILE", str(secrets))
    monkeypatch.setenv("GEO_ROLES_FILE", str(roles))
    monkeypatch.setenv("GEO_AUDIT_LOG", str(tmp_path / "audit" / "audit.jsonl"))
    return tmp_path


def _audit(tmp: Path) -> list[dict[str, Any]]:
    path = tmp / "audit" / "audit.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def _app(user: dict[str, Any] | None) -> Any:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=600)
    at.user = {"is_logged_in": False} if user is None else {
        "is_logged_in": True, "iat": time.time() - 60, "sub": user["email"].split("@")[0], **user}
    at.run()
    assert not at.exception, at.exception
    return at


def _views(at: Any) -> list[str]:
    return list(at.radio(key="view").options)


def test_signed_out_sees_only_what_the_tool_is_and_the_sign_in_button(team: Path) -> None:
    at = _app(None)
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.sidebar.children  # no sidebar at all
    assert not at.metric and not at.dataframe and not list(at.get("iframe")) and not at.radio
    text = " ".join(m.value for m in at.markdown)
    assert "shared atlas" in text and "Rutland" not in text and "pharmac" not in text.lower()
    # the identity provider is down: a clear message, no traceback, still no content
    at.button(key="signin_default").click().run()
    assert not at.exception
    assert [e.value for e in at.error] and "sign-in service is not available" in at.error[0].value
    assert "try again" in at.error[0].value and "Traceback" not in at.error[0].value
    assert not at.metric and not list(at.get("iframe"))


def test_roles_decide_views_and_client_data(team: Path) -> None:
    viewer = _app({"email": "vic@council.example", "name": "Vic"})
    assert "Clients" not in _views(viewer) and "Audit log" not in _views(viewer)
    assert "clients" not in viewer.sidebar.selectbox(key="metric").options
    assert any("role: **Viewer**" in c.value for c in viewer.sidebar.caption)
    # client results planted in a viewer's session are dropped on the next run (server side)
    viewer.session_state["client_rates"] = {"E01013787": 12.0}
    viewer.run()
    assert viewer.session_state["client_rates"] is None

    analyst = _app({"email": "ana@council.example"})
    assert "Clients" in _views(analyst) and "Audit log" not in _views(analyst)
    analyst.radio(key="view").set_value("Clients").run()
    analyst.button(key="clients_synth").click().run()
    assert not analyst.exception and not analyst.error, [e.value for e in analyst.error]
    assert analyst.session_state["client_rates"] is not None and len(analyst.session_state["client_rates"]) > 0
    up = [r for r in _audit(team) if r["event"] == "upload"]
    assert len(up) == 1 and up[0]["user"] == "ana@council.example" and up[0]["role"] == "analyst"
    assert up[0]["file_kind"] == "synthetic client extract" and up[0]["area"] == "Rutland"
    assert isinstance(up[0]["rows"], int) and up[0]["rows"] % 5 == 0 and up[0]["rows"] >= 5

    admin = _app({"email": "root@council.example"})
    assert "Audit log" in _views(admin)
    admin.radio(key="view").set_value("Audit log").run()
    assert not admin.exception and not admin.error
    shown = admin.dataframe[0].value
    assert {"sign-in", "upload", "view"} <= set(shown["Event"])
    lines = _audit(team)
    assert {r["event"] for r in lines} >= {"sign-in", "upload", "view"}
    assert [r["user"] for r in lines if r["event"] == "sign-in"] == [
        "vic@council.example", "ana@council.example", "root@council.example"]


def test_expired_and_refused_sign_ins(team: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _app({"email": "ana@council.example", "iat": time.time() - 13 * 3600})
    assert [b.label for b in at.button] == ["Sign in"] and not at.metric
    assert any("sign-in has expired" in i.value for i in at.info)
    monkeypatch.setenv("GEO_UNKNOWN_USERS", "refuse")
    at = _app({"email": "stranger@elsewhere.example"})
    assert [b.label for b in at.button] == ["Sign out"] and not at.metric and not list(at.get("iframe"))
    assert "has no access to the atlas" in at.error[0].value
    events = [(r["event"], r["outcome"], r["user"]) for r in _audit(team)]
    assert ("sign-in-expired", "refused", "ana@council.example") in events
    assert ("sign-in-refused", "refused", "stranger@elsewhere.example") in events
    assert _app({"email": "ana@council.example"}).radio(key="view")  # on the list: still let in


def test_unwritable_audit_log_refuses_client_uploads(team: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _app({"email": "ana@council.example"})
    blocker = team / "blocked"
    blocker.write_text("a file where the log's folder should be")
    monkeypatch.setenv("GEO_AUDIT_LOG", str(blocker / "audit.jsonl"))
    at.radio(key="view").set_value("Clients").run()
    at.button(key="clients_synth").click().run()
    assert not at.exception
    assert any("audit log cannot be written" in e.value and str(blocker) in e.value for e in at.error)
    assert at.session_state["client_rates"] is None or len(at.session_state["client_rates"]) == 0  # no audit line, no client results


def test_broken_secrets_file_is_one_line_in_the_page(team: Path) -> None:
    (team / "secrets.toml").write_text("[auth\n")
    at = _app(None)
    assert len(at.error) == 1 and str(team / "secrets.toml") in at.error[0].value and "not valid TOML" in at.error[0].value
    assert not at.button and not at.metric


def _click_download(at: Any, key: str) -> Any:
    """Click the download button with user key ``key`` (AppTest has no download-button element)."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    ids = [el.proto.id for el in at.get("download_button") if el.proto.id.endswith(f"-{key}")]
    assert len(ids) == 1, f"no single download button {key!r}: {ids}"
    states = at._tree.get_widget_states()  # the kept values, as AppTest.run sends them
    states.widgets.append(WidgetState(id=ids[0], trigger_value=True))
    at._run(states)
    assert not at.exception, at.exception
    return at


def test_scenario_closure_optimiser_and_downloads_are_audited_once_each(team: Path) -> None:
    at = _app({"email": "vic@council.example"})  # a viewer may run scenarios and download open-data results
    at.radio(key="view").set_value("Scenario").run()
    at.radio(key="scen_place_by").set_value("postcode").run()
    at.text_input(key="scen_postcode").input("LE15 9EH").run()
    at.button(key="scen_add").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.run()  # a rerun of the same scenario is not a new run
    runs = [r for r in _audit(team) if r["event"] == "scenario"]
    assert len(runs) == 1 and runs[0]["user"] == "vic@council.example" and runs[0]["area"] == "Rutland"
    assert runs[0]["detail"] == "scenario: 1 change(s), threshold 30 min" and runs[0]["view"] == "Scenario"

    # a download: its SHA-256 and rounded row count, once per click, not on reruns
    _click_download(at, "scen_dl_service")
    at.run()
    downloads = [r for r in _audit(team) if r["event"] == "download"]
    assert len(downloads) == 1, downloads
    d = downloads[0]
    assert d["file_kind"] == "scenario figures by service (CSV)" and d["user"] == "vic@council.example"
    assert re.fullmatch(r"[0-9a-f]{64}", d["sha256"]) and d["view"] == "Scenario" and d["area"] == "Rutland"
    assert d["rows"] == "fewer than 5"  # one row per service: a small count is never written
    # the GIS layers of the same scenario: a GeoPackage, logged with its hash
    _click_download(at, "scen_dl_gpkg")
    at.run()
    gpkg = [r for r in _audit(team) if r["event"] == "download" and r["file_kind"] == "scenario layers (GeoPackage)"]
    assert len(gpkg) == 1 and re.fullmatch(r"[0-9a-f]{64}", gpkg[0]["sha256"]) and gpkg[0]["sha256"] != d["sha256"]

    # closure impact of every site: one line per area, sites and threshold
    at.toggle(key="scen_closure_on").set_value(True).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.run()
    closures = [r for r in _audit(team) if r["event"] == "scenario" and r["detail"].startswith("closure")]
    assert len(closures) == 1 and closures[0]["detail"].endswith("threshold 30 min")

    # the optimiser: one line per run asked for
    next(b for b in at.button if b.label == "Find the best sites").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.run()
    opts = [r for r in _audit(team) if r["event"] == "scenario" and r["detail"].startswith("optimiser")]
    assert len(opts) == 1 and opts[0]["detail"] == "optimiser: 2 site(s), aim mclp, threshold 30 min"
    text = (team / "audit" / "audit.jsonl").read_text()
    assert "LE15" not in text  # the postcode typed, and the optimiser's picks, are never logged
