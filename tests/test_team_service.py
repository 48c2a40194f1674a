"""``make serve`` end to end: the mock OIDC provider, two replicas behind Caddy, headless Chromium.

The module starts ``oidc-provider-mock`` in this process on a free port (no Docker), writes a
secrets file for it, and runs ``python -m atlas.team.serve`` (two Streamlit replicas, Caddy,
the supervisor) on free ports.  Then, as the issue's attack list asks:

* sign in, use the map, sign out (Chromium, through the proxy);
* no session, a forged, foreign or expired identity cookie -> the sign-in page;
* a viewer's hand-made upload message -> refused, the bytes dropped, and an audit line;
* one replica SIGKILLed -> a user on the other carries on, the supervisor starts a new one, and the
  killed user's next click gets a fresh signed-in session;
* the identity provider unreachable -> a clear page, no traceback.

Skipped without Chromium or Caddy (``make browser-deps`` installs both).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.team import Served, StreamlitClient, free_port, mock_provider, sign_in, write_secrets

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
USERS = {"vic": {"email": "vic@council.example", "name": "Vic Viewer"},
         "ana": {"email": "ana@council.example", "name": "Ana Lyst", "roles": ["analyst"]},
         "root": {"email": "root@council.example", "name": "Ada Min", "roles": ["admin"]}}
MAP = '[class*="st-key-map-"] iframe'


class Loop:
    """An asyncio loop in its own thread: Playwright's sync API already runs one in the test's thread."""

    def __init__(self) -> None:
        import threading

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Any, timeout_s: float = 600.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout_s)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="module")
def aio() -> Iterator[Loop]:
    loop = Loop()
    yield loop
    loop.close()


class Team:
    """The running service of this module."""

    def __init__(self, served: Served, provider: str, secret: str, stack: contextlib.ExitStack) -> None:
        self.served, self.provider, self.secret, self.stack = served, provider, secret, stack

    @property
    def site(self) -> str:
        return self.served.site

    def provider_down(self) -> None:
        self.stack.close()


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Team]:
    if CHROMIUM is None:
        pytest.skip("no chromium binary (install the Debian 'chromium' package)")
    if shutil.which("caddy") is None:
        pytest.skip("no caddy binary (install the Debian 'caddy' package: make browser-deps)")
    pytest.importorskip("oidc_provider_mock")
    tmp = tmp_path_factory.mktemp("team")
    stack = contextlib.ExitStack()
    provider = stack.enter_context(mock_provider(USERS))
    site_port = free_port()
    secret = write_secrets(tmp / "secrets.toml", site=f"http://localhost:{site_port}", provider=provider)
    served = Served(tmp / "secrets.toml", tmp, replicas=2)
    try:
        served.start(site_port)
        yield Team(served, provider, secret, stack)
    finally:
        served.stop()
        stack.close()
    log = served.log()
    # the only tracebacks: Streamlit's warning (with its chained cause) when the provider is down at
    # /auth/login (test_provider_unreachable_gives_a_clear_page); the browser gets Caddy's page
    expected = 2 * log.count("Error during OAuth authorization redirect")
    assert log.count("Traceback (most recent call last)") <= expected, log[log.index("Traceback") - 500:][:3000]


@pytest.fixture(scope="module")
def browser(team: Team) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def _sign_in_page(pg: Any, site: str, sub: str) -> None:
    pg.goto(site, wait_until="domcontentloaded")
    pg.get_by_role("button", name="Sign in").click()
    pg.wait_for_selector("input[name=sub]", timeout=60_000)
    pg.fill("input[name=sub]", sub)
    pg.locator("button[type=submit]", has_text="Authorize").click()
    pg.wait_for_selector(".atlas-area", timeout=240_000)


def _map_drawn(pg: Any, timeout_ms: int = 240_000) -> None:
    frame = pg.frame_locator(MAP).first
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=timeout_ms)


def _area_shows(pg: Any, text: str, timeout_ms: int = 120_000) -> None:
    pg.wait_for_function("(t) => { const a = document.querySelector('.atlas-area');"
                         " return a && a.innerText.includes(t) && !document.querySelector('[data-stale=\"true\"]'); }",
                         arg=text, timeout=timeout_ms)


def _no_exception(pg: Any) -> None:
    assert not pg.locator('[data-testid="stException"]').count()


def test_sign_in_use_the_map_sign_out(team: Team, browser: Any, tmp_path: Path) -> None:
    pg = browser.new_page(viewport={"width": 1400, "height": 1100})
    pg.goto(team.site, wait_until="domcontentloaded")
    pg.get_by_role("button", name="Sign in").wait_for(timeout=120_000)
    # before sign-in: what the tool is and the button, nothing else
    assert not pg.locator(MAP).count() and not pg.locator('[data-testid="stMetric"]').count()
    assert not pg.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').count()
    pg.screenshot(path=str(tmp_path / "signed-out.png"))
    _sign_in_page(pg, team.site, "ana")
    _map_drawn(pg)
    _no_exception(pg)
    assert "Ana Lyst" in pg.locator('[data-testid="stSidebar"]').inner_text()
    slider = pg.get_by_role("slider").first
    slider.focus()
    slider.press("ArrowRight")
    _area_shows(pg, "threshold 31 min")  # 1-minute steps
    _map_drawn(pg)
    assert pg.get_by_text("Clients", exact=True).count()  # an analyst's view
    pg.screenshot(path=str(tmp_path / "signed-in.png"))
    pg.locator('[data-testid="stSidebar"]').get_by_role("button", name="Sign out").click()
    # the provider's end-session page (OIDC RP-initiated logout) asks to confirm, then comes back
    with contextlib.suppress(Exception):
        pg.wait_for_url(f"{team.provider}/**", timeout=20_000)
        pg.locator("button[type=submit]").first.click()
    pg.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
    assert not pg.locator(MAP).count()
    events = [(r["event"], r.get("user")) for r in team.served.audit()]
    assert ("sign-in", "ana@council.example") in events and ("sign-out", "ana@council.example") in events
    pg.close()


def _forge(team: Team, claims: dict[str, Any], *, secret: str | None = None, signed_at: float | None = None) -> str:
    """An identity cookie as Streamlit signs it (itsdangerous, salt = cookie name), optionally back-dated."""
    from unittest import mock

    from streamlit.web.server.starlette.starlette_app_utils import create_signed_value

    value = json.dumps({**claims, "origin": team.site, "is_logged_in": True, "provider": "default"})
    with mock.patch("time.time", return_value=signed_at or time.time()):
        return create_signed_value(secret or team.secret, "_streamlit_user", value).decode()


async def _first_run(site: str, cookies: dict[str, str]) -> Any:
    c = StreamlitClient(site, cookies)
    await c.connect()
    try:
        run, _ = await c.rerun()
        return run
    finally:
        await c.close()


def test_no_forged_foreign_or_expired_cookie_gets_in(team: Team, aio: Loop) -> None:
    good = {"email": "root@council.example", "sub": "root", "roles": ["admin"], "iat": time.time()}
    real = _forge(team, good)
    cases = {
        "no cookie": {},
        "tampered": {"_streamlit_user": real[:-6] + ("A" if real[-6] != "A" else "B") + real[-5:]},
        "another secret": {"_streamlit_user": _forge(team, good, secret="another-secret-" * 4)},
        "cookie older than 31 days": {"_streamlit_user": _forge(team, good, signed_at=time.time() - 40 * 86400)},
        "plain JSON": {"_streamlit_user": json.dumps(good)},
    }

    async def go() -> None:
        for what, cookies in cases.items():
            run = await _first_run(team.site, cookies)
            assert list(run.buttons) == ["Sign in"], what
            assert run.iframes == 0 and not run.exceptions and 'class="atlas-area"' not in run.text(), what
        # correctly signed, but the sign-in itself is 13 h old (limit 12 h): sign in again
        stale = _forge(team, {**good, "iat": time.time() - 13 * 3600})
        run = await _first_run(team.site, {"_streamlit_user": stale})
        assert list(run.buttons) == ["Sign in"] and "sign-in has expired" in run.text()
        # the real thing gets in (the forgery checks above are not vacuous)
        run = await _first_run(team.site, {"_streamlit_user": real})
        assert "Sign out" in run.buttons and run.iframes >= 1

    aio.run(go())


def _multipart(name: str, data: bytes) -> tuple[bytes, str]:
    boundary = "geoboundary7MA4YWxk"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}\"\r\n"
            "Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_viewer_crafted_upload_message_is_refused_and_logged(team: Team, aio: Loop) -> None:
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    extract = b"client_id,postcode\n" + b"".join(f"c{i},LE15 6AB\n".encode() for i in range(40))

    async def go() -> tuple[Any, str]:
        cookies = await sign_in(team.site, "vic")
        c = StreamlitClient(team.site, cookies)
        await c.connect()
        try:
            first, _ = await c.rerun()
            assert "Sign out" in first.buttons and "Client extract (CSV)" not in first.widgets
            # 1. the bytes, PUT where the uploader would send them (XSRF header and cookies like the browser)
            body, ctype = _multipart("clients.csv", extract)
            req = urllib.request.Request(f"{team.site}/_stcore/upload_file/{c.session_id}/forged-1", data=body,
                                         method="PUT", headers={"Content-Type": ctype, "X-Xsrftoken": c.cookies["_streamlit_xsrf"],
                                                                "Cookie": "; ".join(f"{k}={v}" for k, v in c.cookies.items())})
            with urllib.request.urlopen(req, timeout=30) as resp:
                assert resp.status in (200, 204)
            # 2. a widget message for the Clients uploader, which a viewer's page never had
            state = WidgetState(id="$$ID-0123456789abcdef0123456789abcdef-clients_file")
            info = state.file_uploader_state_value.uploaded_file_info.add()
            info.file_id, info.name, info.size = "forged-1", "clients.csv", len(extract)
            run, _ = await c.rerun([state])
            return run, c.session_id
        finally:
            await c.close()

    run, _ = aio.run(go())
    assert not run.exceptions
    assert any("Refused" in e and "viewer" in e for e in run.errors), run.errors
    assert "Clients per 1,000" not in run.text() and "clients" not in json.dumps(run.widgets).lower()
    lines = team.served.audit()
    refused = [r for r in lines if r["event"] == "refused" and r.get("user") == "vic@council.example"]
    assert refused and "forged 'clients_file'" in refused[-1]["detail"] and refused[-1]["outcome"] == "refused"
    assert refused[-1]["file_kind"] == "client extract"
    assert not [r for r in lines if r["event"] == "upload" and r.get("user") == "vic@council.example"]
    assert "LE15" not in team.served.audit_path.read_text()


def _replica_of(team: Team, user: str) -> str:
    mine = [r for r in team.served.audit() if r.get("user") == user and r["event"] in {"sign-in", "session-start"}]
    return str(mine[-1]["replica"])


def _press_right_until(pg: Any, before: str, after: str, seconds: float = 180) -> None:
    """Press the slider's right arrow until the area shows `after`.

    A key pressed while the browser is still reconnecting to a live replica is lost with the dead
    session, so press again, but only while the page still shows `before` (never step twice)."""
    deadline = time.time() + seconds
    while True:
        area = pg.locator(".atlas-area")
        text = area.first.inner_text() if area.count() else ""
        if after in text:
            return
        if before in text and not pg.locator('[data-stale="true"]').count():
            slider = pg.get_by_role("slider").first
            slider.focus()
            slider.press("ArrowRight")
        try:
            _area_shows(pg, after, timeout_ms=15_000)
            return
        except Exception:
            if time.time() > deadline:
                raise


def test_sigkill_one_replica(team: Team, browser: Any, aio: Loop) -> None:
    pg = browser.new_page(viewport={"width": 1400, "height": 1100})
    _sign_in_page(pg, team.site, "root")
    _map_drawn(pg)
    victim = _replica_of(team, "root@council.example")
    port = int(victim.split(":")[1])

    async def other_session() -> StreamlitClient:
        """A viewer's session on the other replica (new visitors are spread at random)."""
        for _ in range(20):
            cookies = await sign_in(team.site, "vic")
            c = StreamlitClient(team.site, cookies)
            await c.connect()
            await c.rerun()
            if _replica_of(team, "vic@council.example") != victim:
                return c
            await c.close()
        raise AssertionError("no session landed on the other replica in 20 tries")

    async def carry_on(c: StreamlitClient) -> Any:
        c.set("Threshold", double_array_value=[20.0])
        run, _ = await c.rerun()
        await c.close()
        return run

    other = aio.run(other_session())
    pid = team.served.replica_pids()[port]
    os.kill(pid, signal.SIGKILL)
    # the user on the other replica carries on
    run = aio.run(carry_on(other))
    assert run.status == "FINISHED_SUCCESSFULLY" and not run.errors and not run.exceptions
    assert "threshold <b>20 min</b>" in run.text()
    # the killed user's next click: a fresh session on a live replica, still signed in
    _press_right_until(pg, "threshold 30 min", "threshold 31 min")  # 1-minute steps
    _map_drawn(pg)
    _no_exception(pg)
    assert pg.get_by_text("Audit log", exact=True).count()  # still the admin
    assert _replica_of(team, "root@council.example") != victim
    pg.close()
    # the supervisor started a new replica on the same port
    deadline = time.time() + 120
    while time.time() < deadline and not (team.served.replica_pids().get(port, pid) != pid
                                           and team.served.healthy_replicas() == 2):
        time.sleep(1)
    assert team.served.healthy_replicas() == 2, team.served.log()[-3000:]
    assert f":{port} killed by signal 9; restarting" in team.served.log()


def test_provider_unreachable_gives_a_clear_page(team: Team, browser: Any, aio: Loop) -> None:
    """Last in the module: it stops the identity provider."""

    async def redirect_url() -> str:
        c = StreamlitClient(team.site)
        await c.connect()
        try:
            run, _ = await c.rerun()
            run, _ = await c.rerun([c.click(run.buttons["Sign in"])])
            assert run.auth_redirect
            return run.auth_redirect
        finally:
            await c.close()

    url = aio.run(redirect_url())  # the provider was up when the button was pressed...
    team.provider_down()  # ...and is gone when the browser follows the redirect
    try:
        urllib.request.urlopen(urllib.request.Request(team.site + url), timeout=60)
        raise AssertionError("expected the sign-in-unavailable page")
    except urllib.error.HTTPError as exc:
        body = exc.read().decode()
        assert exc.code == 503 and "Sign-in is not available right now" in body and "Traceback" not in body
    # pressing the button while the provider is down: the atlas says so itself
    pg = browser.new_page()
    pg.goto(team.site, wait_until="domcontentloaded")
    pg.get_by_role("button", name="Sign in").click()
    alert = pg.locator('[data-testid="stAlertContentError"]')
    alert.wait_for(timeout=60_000)
    assert "sign-in service is not available" in alert.inner_text()
    assert "Traceback" not in pg.content() and not pg.locator('[data-testid="stException"]').count()
    pg.close()


def _lan_address() -> str | None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))  # no packet is sent; just picks the outgoing interface
            ip = s.getsockname()[0]
        except OSError:
            return None
    return None if ip.startswith("127.") else ip


def test_one_user_mode_answers_only_on_this_computer(aio: Loop) -> None:
    """``make app`` binds 127.0.0.1; started on every interface anyway, it refuses other machines."""
    import subprocess
    import sys

    ip = _lan_address()
    if ip is None:
        pytest.skip("no non-loopback address on this machine")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "GEO_SIGN_IN"}
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(root / "app.py"), "--server.headless", "true",
                             "--server.address", "0.0.0.0", "--server.port", str(port),
                             "--browser.gatherUsageStats", "false"], cwd=root, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            with contextlib.suppress(OSError), urllib.request.urlopen(f"http://{ip}:{port}/_stcore/health", timeout=2):
                break
            time.sleep(0.5)
        run = aio.run(_first_run(f"http://{ip}:{port}", {}))
        assert any("one-user mode" in e for e in run.errors) and run.iframes == 0 and not run.buttons
    finally:
        proc.terminate()
        proc.wait(timeout=20)
