"""Bounded load test of the atlas: N concurrent sessions changing controls.

Starts ``streamlit run app.py`` on a free loopback port (``GEO_CACHE_DIR`` is passed through, so
the on-disk network/estimate caches are the shared warm ones), waits for ``/_stcore/health``, warms
the app with one session, then drives ``--sessions`` concurrent sessions for ``--duration-seconds``
(hard cap 120 s).  Two kinds of client:

``--client websocket`` (default)
    Protocol-level clients: one websocket to ``/_stcore/stream`` per session (subprotocol
    ``streamlit``), speaking Streamlit's protobuf protocol as the browser's JavaScript does.  A
    session sends ``BackMsg.rerun_script`` (a ``ClientState`` with the widget states it holds), reads
    ``ForwardMsg`` deltas (it finds the widget ids by label: "Area", "Travel mode", "Threshold
    (minutes)") and times each change from the request to ``script_finished``.  A change counts only
    if the run finished successfully, its area line shows the new threshold / mode (and the area), the
    footer and the Coverage map iframe were sent, and no ``st.exception`` / ``st.error`` element came.
    Timeouts and closed sockets are errors too (the session then reconnects).  Nothing is rendered,
    so this measures the server as if every user's browser ran on its own machine.
``--client browser``
    One headless Chromium, one context + page per session: end to end, including rendering (on a
    small machine the browsers, not the server, then use most of the CPU).

Browser mode in detail:

Each session opens the page, selects ``--area`` (default Rutland, real roads; Northamptonshire is a
county on the straight-line estimate), waits until the app has rendered, then repeatedly changes a
sidebar control (threshold slider up/down with the keyboard, travel mode Drive <-> Walk) and times
from the change until the rerun has finished.  "Finished" means all of:

* the area line (``.atlas-area``) shows the new threshold / mode (so the new run got that far);
* no element is stale (``[data-stale="true"]``) and Streamlit's status widget, if shown, is idle,
  i.e. the script run completed and every element was redrawn (in Streamlit 1.67 the status widget
  is often absent even while a run is in progress, so the stale check is the one that matters);
* the footer (``.atlas-foot``, the last element the script writes) is present;
* the Coverage map (``.leaflet-container`` with a ``path.leaflet-interactive`` inside the
  map iframe in ``.st-key-map-coverage``) is drawn.

An error is any ``st.exception`` / ``st.error`` element, a page crash, an uncaught page script
error, or an interaction that does not finish within ``--timeout-seconds``.  After an error the
session reloads the page and carries on.

Run::

    python benchmarks/bench_load.py --smoke                     # 3 websocket sessions, 20 s
    python benchmarks/bench_load.py                             # 20 websocket sessions, 90 s, Rutland
    python benchmarks/bench_load.py --area Northamptonshire
    python benchmarks/bench_load.py --think-seconds 5           # each user pauses 5 s between changes
    python benchmarks/bench_load.py --client browser            # 20 headless Chromium pages

Goals: no errors and p95 interaction latency <= 2 s.  Exit code 0 on PASS, 1 on FAIL.
Needs the open-data bundle; browser mode also needs Chromium (``/usr/bin/chromium`` or ``--chromium``)
and Playwright; websocket mode uses the ``websockets`` package that Streamlit already installs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
MAX_DURATION_S = 120.0
GOAL_P95_S = 2.0
#: The Coverage map: an ``st.iframe`` of cached Leaflet HTML inside the container keyed "map-coverage".
MAP_IFRAME = '.st-key-map-coverage iframe'
ERROR_SELECTOR = '[data-testid="stException"], [data-testid="stAlertContentError"]'

# The app is "rendered" for (threshold, mode): area line updated, run finished, nothing stale, footer drawn.
RENDERED_JS = """([thr, mode, area]) => {
  const a = document.querySelector('.atlas-area');
  if (!a) return false;
  const t = a.innerText;
  if (area && !t.includes(area)) return false;
  if (thr !== null && !t.includes(`threshold ${thr} min`)) return false;
  if (mode !== null && !t.includes(`mode: ${mode}`)) return false;
  const sw = document.querySelector('[data-testid="stStatusWidget"]');
  if (sw && sw.innerText.trim() !== '') return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  if (!document.querySelector('.atlas-foot')) return false;
  return true;
}"""
ERRORS_JS = """(sel) => Array.from(document.querySelectorAll(sel)).map(e => e.innerText.slice(0, 300))"""


def mode_labels() -> dict[str, str]:
    """The travel-mode radio labels, read from ``atlas/state.py`` (they change as the app evolves)."""
    import ast

    labels = {"drive": "Drive", "walk": "Walk"}
    try:
        tree = ast.parse((ROOT / "atlas" / "state.py").read_text())
        for node in ast.walk(tree):
            if (isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "MODE_LABELS" for t in node.targets)
                    and isinstance(node.value, ast.Dict)):
                labels.update(ast.literal_eval(node.value))
    except (OSError, SyntaxError, ValueError):
        pass
    return labels


MODE_LABELS = mode_labels()


def _free_port() -> int:
    with socket.socket() as sk:
        sk.bind(("127.0.0.1", 0))
        return int(sk.getsockname()[1])


def _proc_table() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds used so far) from /proc (empty where /proc is missing)."""
    out: dict[int, tuple[int, float]] = {}
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for d in Path("/proc").glob("[0-9]*"):
        try:
            f = (d / "stat").read_text().rsplit(")", 1)[1].split()
            out[int(d.name)] = (int(f[1]), (int(f[11]) + int(f[12])) / tick)
        except (OSError, IndexError, ValueError):
            continue
    return out


def cpu_split(server_pid: int) -> tuple[float, float]:
    """CPU seconds used so far by the streamlit server and by this benchmark's browser processes."""
    table = _proc_table()
    kids: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        kids.setdefault(ppid, []).append(pid)

    def tree(root: int) -> float:
        total, todo = 0.0, [root]
        while todo:
            pid = todo.pop()
            total += table.get(pid, (0, 0.0))[1]
            todo.extend(kids.get(pid, []))
        return total

    server = tree(server_pid)
    browser = sum(tree(k) for k in kids.get(os.getpid(), []) if k != server_pid)
    return server, browser


def _pct(xs: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); nan for an empty list."""
    if not xs:
        return float("nan")
    s = sorted(xs)
    k = max(0, min(len(s) - 1, int(round(q / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


@dataclass
class Stats:
    latencies: list[tuple[str, float]] = field(default_factory=list)  # (kind, seconds)
    page_loads: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    js_errors: list[str] = field(default_factory=list)
    recoveries: int = 0
    server_times: list[float] = field(default_factory=list)  # rerun request sent -> script finished
    reruns: list[int] = field(default_factory=list)  # script runs seen per interaction
    bytes_received: list[int] = field(default_factory=list)  # websocket bytes per interaction
    cpu: tuple[float, float] = (float("nan"), float("nan"))  # CPU-s of (server, browser) while interacting


class Session:
    """One browser context + page acting as one user."""

    def __init__(self, idx: int, browser: Any, url: str, area: str, stats: Stats, timeout_s: float,
                 load_timeout_s: float) -> None:
        self.idx, self.browser, self.url, self.area, self.stats = idx, browser, url, area, stats
        self.timeout_ms = int(timeout_s * 1000)
        self.load_timeout_ms = int(load_timeout_s * 1000)
        self.ctx: Any = None
        self.page: Any = None
        self.threshold = 30
        self.mode = "drive"
        self.step = 0
        self.ws_events: list[tuple[float, str]] = []  # (time, "sent" | "finished")
        self.ws_bytes = 0

    async def open(self) -> None:
        self.ctx = await self.browser.new_context(viewport={"width": 1440, "height": 1000})
        self.page = await self.ctx.new_page()
        self.page.on("crash", lambda *_: self.stats.errors.append(f"s{self.idx}: page crashed"))
        self.page.on("pageerror", lambda e: self.stats.js_errors.append(f"s{self.idx}: {str(e)[:200]}"))
        self.page.on("websocket", self._on_ws)

    def _on_ws(self, ws: Any) -> None:
        """Watch Streamlit's websocket: when a rerun request leaves and when the script run finishes."""
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        def received(payload: bytes | str) -> None:
            self.ws_bytes += len(payload)
            if isinstance(payload, bytes) and len(payload) < 512:
                msg = ForwardMsg()
                try:
                    msg.ParseFromString(payload)
                except Exception:
                    return
                if msg.WhichOneof("type") == "script_finished":
                    self.ws_events.append((time.perf_counter(), "finished"))

        ws.on("framereceived", received)
        ws.on("framesent", lambda _: self.ws_events.append((time.perf_counter(), "sent")))

    async def close(self) -> None:
        if self.ctx is not None:
            try:
                await self.ctx.close()
            except Exception:
                pass

    async def _rendered(self, thr: int | None, mode: str | None, area: str | None, timeout_ms: int) -> None:
        await self.page.wait_for_function(RENDERED_JS, arg=[thr, mode, area], timeout=timeout_ms, polling=50)
        fr = self.page.frame_locator(MAP_IFRAME).first
        await fr.locator(".leaflet-container").first.wait_for(timeout=timeout_ms)
        await fr.locator("path.leaflet-interactive").first.wait_for(timeout=timeout_ms)

    async def _check_errors(self, what: str) -> bool:
        found = await self.page.evaluate(ERRORS_JS, ERROR_SELECTOR)
        for text in found:
            self.stats.errors.append(f"s{self.idx} {what}: {' '.join(text.split())[:200]}")
        return bool(found)

    async def load(self) -> float:
        """Open the app, pick the area, wait for the first full render; returns seconds."""
        t0 = time.perf_counter()
        self.threshold, self.mode = 30, "drive"
        await self.page.goto(self.url, wait_until="domcontentloaded", timeout=self.load_timeout_ms)
        await self._rendered(None, None, None, self.load_timeout_ms)
        if self.area != "Rutland":
            box = self.page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
            await box.click()
            await self.page.get_by_role("option", name=self.area, exact=True).click()
            await self._rendered(None, None, self.area, self.load_timeout_ms)
        await self._check_errors("page load")
        return time.perf_counter() - t0

    async def interact(self) -> tuple[str, float]:
        """One control change; returns (kind, seconds from the change to the finished rerun)."""
        pg = self.page
        kind = ("threshold+", "mode", "threshold-", "mode")[self.step % 4]
        self.step += 1
        self.ws_events.clear()
        bytes0 = self.ws_bytes
        if kind.startswith("threshold"):
            slider = pg.get_by_role("slider").first
            await slider.focus()
            t0 = time.perf_counter()
            if kind == "threshold+":
                await slider.press("ArrowRight")
                self.threshold += 5
            else:
                await slider.press("ArrowLeft")
                self.threshold -= 5
        else:
            new = "walk" if self.mode == "drive" else "drive"
            label = MODE_LABELS[new]
            target = pg.locator('[data-testid="stSidebar"]').get_by_text(label, exact=True)
            t0 = time.perf_counter()
            await target.click()
            self.mode = new
        await self._rendered(self.threshold, self.mode, None, self.timeout_ms)
        dt = time.perf_counter() - t0
        # server share: first message sent after the change -> first "script finished" after it
        sent = [t for t, e in self.ws_events if e == "sent" and t >= t0]
        fins = [t for t, e in self.ws_events if e == "finished" and sent and t >= sent[0]]
        if sent and fins:
            self.stats.server_times.append(fins[0] - sent[0])
        self.stats.reruns.append(len(fins))
        self.stats.bytes_received.append(self.ws_bytes - bytes0)
        await self._check_errors(kind)
        return kind, dt

    async def run(self, deadline: float, think_s: float = 0.0) -> None:
        while time.monotonic() < deadline:
            try:
                kind, dt = await self.interact()
                self.stats.latencies.append((kind, dt))
                if think_s > 0:
                    await asyncio.sleep(min(think_s, max(0.0, deadline - time.monotonic())))
            except Exception as exc:
                if time.monotonic() >= deadline and "Target page, context or browser has been closed" in str(exc):
                    return
                self.stats.errors.append(f"s{self.idx} interaction: {type(exc).__name__}: "
                                         f"{' '.join(str(exc).split())[:200]}")
                if time.monotonic() >= deadline:
                    return
                try:  # recover: reload and start again from the defaults (bounded by the deadline)
                    self.stats.recoveries += 1
                    await asyncio.wait_for(self.load(), timeout=max(1.0, deadline - time.monotonic()))
                except Exception as exc2:
                    self.stats.errors.append(f"s{self.idx} reload: {type(exc2).__name__}: {str(exc2)[:200]}")
                    return


async def warm_up(warm: object, stats: object, label: str) -> None:
    """Load once and run one cycle of interactions to fill the app's caches; errors are reported."""
    t0 = time.perf_counter()
    try:
        await warm.load()
        for _ in range(4):
            await warm.interact()
    except Exception as exc:
        warm.stats.errors.append(f"warm-up: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}")
    await warm.close()
    stats.errors.extend(warm.stats.errors)
    print(f"warm-up: {time.perf_counter() - t0:.1f} s ({label} + 4 interactions)", flush=True)


async def load_all(sessions: list, stats: object, timeout_seconds: float) -> tuple[list, float]:
    """First-load every session concurrently (one bound per session); return the live ones."""

    async def first_load(s: object) -> bool:
        try:  # one bound for the whole first load (navigation, first render, area switch)
            stats.page_loads.append(await asyncio.wait_for(s.load(), timeout=timeout_seconds))
            return True
        except Exception as exc:
            stats.errors.append(f"s{s.idx} first load: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}")
            return False

    t0 = time.perf_counter()
    ok = await asyncio.gather(*(first_load(s) for s in sessions))
    t_loads = time.perf_counter() - t0
    print(f"{sum(ok)}/{len(sessions)} sessions loaded concurrently in {t_loads:.1f} s", flush=True)
    return [s for s, good in zip(sessions, ok, strict=True) if good], t_loads


async def drive(url: str, args: argparse.Namespace, chromium: str, server_pid: int) -> tuple[Stats, float, float]:
    from playwright.async_api import async_playwright

    stats = Stats()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=CHROME_ARGS, headless=True)
        try:
            # warm-up: one session loads the page and runs one cycle of interactions (fills the caches)
            warm = Session(-1, browser, url, args.area, Stats(), args.warm_timeout_seconds, args.warm_timeout_seconds)
            await warm.open()
            await warm_up(warm, stats, "one session, page load")

            sessions = [Session(i, browser, url, args.area, stats, args.timeout_seconds, args.load_timeout_seconds)
                        for i in range(args.sessions)]
            await asyncio.gather(*(s.open() for s in sessions))

            live, t_loads = await load_all(sessions, stats, args.load_timeout_seconds)
            deadline = time.monotonic() + args.duration_seconds
            cpu0 = cpu_split(server_pid)
            t_run0 = time.perf_counter()
            # every interaction started before the deadline may finish (each is bounded by its timeout)
            try:
                await asyncio.wait_for(asyncio.gather(*(s.run(deadline, args.think_seconds) for s in live)),
                                       timeout=args.duration_seconds + args.timeout_seconds + 30)
            except TimeoutError:
                stats.errors.append("hard stop: some sessions were still busy "
                                    f"{args.timeout_seconds + 30:.0f} s after the deadline")
            t_run = time.perf_counter() - t_run0
            cpu1 = cpu_split(server_pid)
            stats.cpu = (cpu1[0] - cpu0[0], cpu1[1] - cpu0[1])
            await asyncio.gather(*(s.close() for s in sessions))
        finally:
            await browser.close()
    return stats, t_loads, t_run


# ---------------------------------------------------------------------------------------------------------------
# Protocol-level clients (--client websocket): each session is one websocket speaking Streamlit's own protocol
# (BackMsg ``rerun_script`` out, ForwardMsg ``delta`` / ``script_finished`` in), as the browser's JavaScript does.
# No page is rendered, so the figures are the server's: as if every user's browser ran on their own machine.
# ---------------------------------------------------------------------------------------------------------------

@dataclass
class RunResult:
    """What one script run sent back: how it finished and what the checks need."""

    status: str = ""  # script_finished enum name
    area_line: str = ""  # text of the .atlas-area markdown
    footer: bool = False  # the .atlas-foot markdown arrived (the last element the script writes)
    iframes: int = 0  # st.iframe elements (the cached Coverage map is one)
    errors: list[str] = field(default_factory=list)  # st.exception / st.error elements
    n_bytes: int = 0
    n_msgs: int = 0


class WsSession:
    """One websocket acting as one user: the protocol traffic of a browser tab, without the browser."""

    def __init__(self, idx: int, url: str, area: str, stats: Stats, timeout_s: float, load_timeout_s: float) -> None:
        self.idx, self.url, self.area, self.stats = idx, url, area, stats
        self.timeout_s, self.load_timeout_s = timeout_s, load_timeout_s
        self.ws: Any = None
        self.reader: asyncio.Task | None = None
        self.widgets: dict[str, tuple[str, str, Any]] = {}  # label -> (widget id, element type, proto)
        self.page_hash = ""
        self.run: RunResult | None = None
        self.done: asyncio.Future | None = None
        self.threshold, self.mode, self.step = 30, "drive", 0
        self.states: dict[str, Any] = {}  # widget id -> WidgetState we keep sending (the controls we changed)

    async def connect(self) -> None:
        import websockets

        ws_url = self.url.replace("http://", "ws://", 1) + "/_stcore/stream"
        # the browser sends Sec-WebSocket-Protocol "streamlit, <xsrf token>, <session id>"; the first entry is the
        # subprotocol the server selects, the others are optional (no XSRF cookie here: no auth, no user info)
        self.ws = await websockets.connect(ws_url, subprotocols=["streamlit"], origin=self.url, max_size=None,
                                           open_timeout=self.load_timeout_s, ping_interval=None)
        self.reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):  # closing a broken socket may fail; nothing to do
                await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(BaseException):  # cancelled or already failed
                await self.reader
        self.ws = self.reader = None

    async def _read(self) -> None:
        from streamlit.proto.Alert_pb2 import Alert
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        try:
            async for payload in self.ws:
                msg = ForwardMsg()
                msg.ParseFromString(payload)
                run = self.run
                if run is not None:
                    run.n_bytes += len(payload)
                    run.n_msgs += 1
                kind = msg.WhichOneof("type")
                if kind == "new_session":
                    self.page_hash = msg.new_session.main_script_hash
                elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                    el = msg.delta.new_element
                    et = el.WhichOneof("type")
                    if et in ("slider", "radio", "selectbox"):
                        w = getattr(el, et)
                        self.widgets[w.label] = (w.id, et, w)
                    elif run is None:
                        continue
                    elif et == "exception":
                        run.errors.append(f"exception {el.exception.type}: {el.exception.message[:160]}")
                    elif et == "alert" and el.alert.format == Alert.ERROR:
                        run.errors.append(f"st.error: {' '.join(el.alert.body.split())[:160]}")
                    elif et == "markdown":
                        body = el.markdown.body
                        if 'class="atlas-area"' in body:
                            run.area_line = body
                        elif 'class="atlas-foot"' in body:
                            run.footer = True
                    elif et == "iframe":
                        run.iframes += 1
                elif kind == "script_finished" and run is not None and self.done is not None and not self.done.done():
                    run.status = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
                    if run.status != "FINISHED_EARLY_FOR_RERUN":
                        self.done.set_result(run)
        except Exception as exc:
            if self.done is not None and not self.done.done():
                self.done.set_exception(ConnectionError(f"websocket closed: {type(exc).__name__}: {exc}"))
            return
        if self.done is not None and not self.done.done():
            self.done.set_exception(ConnectionError("websocket closed by the server"))

    async def rerun(self, timeout_s: float) -> tuple[RunResult, float]:
        """Send ``rerun_script`` with the widget states we hold; wait for ``script_finished``."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        back = BackMsg()
        cs = back.rerun_script
        cs.query_string = ""
        cs.page_script_hash = self.page_hash
        for ws_ in self.states.values():
            cs.widget_states.widgets.add().CopyFrom(ws_)
        self.run = RunResult()
        self.done = asyncio.get_running_loop().create_future()
        t0 = time.perf_counter()
        await self.ws.send(back.SerializeToString())
        try:
            run = await asyncio.wait_for(self.done, timeout=timeout_s)
        finally:
            self.run = None
        return run, time.perf_counter() - t0

    def _set(self, label_part: str, **value: Any) -> None:
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        label = next((lb for lb in self.widgets if label_part in lb), None)
        if label is None:
            raise LookupError(f"no widget labelled like {label_part!r} in the deltas")
        ws_ = WidgetState(id=self.widgets[label][0])
        for k, v in value.items():
            if k == "double_array_value":
                ws_.double_array_value.data[:] = v
            else:
                setattr(ws_, k, v)
        self.states[ws_.id] = ws_

    def _check(self, run: RunResult, what: str, thr: int | None, mode: str | None) -> None:
        for e in run.errors:
            self.stats.errors.append(f"s{self.idx} {what}: {e}")
        problems = []
        if run.status != "FINISHED_SUCCESSFULLY":
            problems.append(f"script finished {run.status}")
        if not run.area_line:
            problems.append("no area line")
        elif thr is not None and f"threshold <b>{thr} min</b>" not in run.area_line:
            problems.append(f"area line lacks threshold {thr}")
        elif mode is not None and f"mode: <b>{mode}</b>" not in run.area_line:
            problems.append(f"area line lacks mode {mode}")
        elif self.area not in run.area_line:
            problems.append(f"area line lacks {self.area}")
        if not run.footer:
            problems.append("no footer")
        if not run.iframes:
            problems.append("no map iframe")
        if problems:
            self.stats.errors.append(f"s{self.idx} {what}: {'; '.join(problems)}")

    async def load(self) -> float:
        """Connect, first run (defaults), then pick the area if it is not the default; returns seconds."""
        t0 = time.perf_counter()
        await self.close()
        self.widgets.clear()
        self.states.clear()
        self.page_hash, self.threshold, self.mode, self.step = "", 30, "drive", 0
        await self.connect()
        run, _ = await self.rerun(self.load_timeout_s)
        if self.area != "Rutland":
            for e in run.errors:
                self.stats.errors.append(f"s{self.idx} first run: {e}")
            self._set("Area", string_value=self.area)
            run, _ = await self.rerun(self.load_timeout_s)
        self._check(run, "page load", 30, "drive")
        return time.perf_counter() - t0

    async def interact(self) -> tuple[str, float]:
        kind = ("threshold+", "mode", "threshold-", "mode")[self.step % 4]
        self.step += 1
        if kind.startswith("threshold"):
            self.threshold += 5 if kind == "threshold+" else -5
            self._set("Threshold", double_array_value=[float(self.threshold)])
        else:
            self.mode = "walk" if self.mode == "drive" else "drive"
            self._set("Travel mode", string_value=MODE_LABELS[self.mode])
        run, dt = await self.rerun(self.timeout_s)
        self.stats.reruns.append(1)
        self.stats.bytes_received.append(run.n_bytes)
        self._check(run, kind, self.threshold, self.mode)
        return kind, dt

    async def run_loop(self, deadline: float, think_s: float = 0.0, jitter: bool = True) -> None:
        """Change controls until the deadline, pausing ``think_s`` after each change.

        With ``jitter`` (the default) a session starts after a random 0..think_s and each pause is a random
        0.5..1.5 x think_s (seeded per session), so the 20 users do not click in lockstep; without it every
        session changes a control at the same moment after each (equally long) pause.
        """
        rng = random.Random(self.idx)
        if think_s > 0 and jitter:
            await asyncio.sleep(min(rng.uniform(0.0, think_s), max(0.0, deadline - time.monotonic())))
        while time.monotonic() < deadline:
            try:
                kind, dt = await self.interact()
                self.stats.latencies.append((kind, dt))
                self.stats.server_times.append(dt)
                if think_s > 0:
                    pause = think_s * (rng.uniform(0.5, 1.5) if jitter else 1.0)
                    await asyncio.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            except Exception as exc:
                self.stats.errors.append(f"s{self.idx} interaction: {type(exc).__name__}: "
                                         f"{' '.join(str(exc).split())[:200]}")
                if time.monotonic() >= deadline:
                    return
                try:  # recover: a new connection (a new session, like a page reload), bounded by the deadline
                    self.stats.recoveries += 1
                    await asyncio.wait_for(self.load(), timeout=max(1.0, deadline - time.monotonic()))
                except Exception as exc2:
                    self.stats.errors.append(f"s{self.idx} reconnect: {type(exc2).__name__}: {str(exc2)[:200]}")
                    return


async def drive_ws(url: str, args: argparse.Namespace, server_pid: int) -> tuple[Stats, float, float]:
    stats = Stats()
    warm = WsSession(-1, url, args.area, Stats(), args.warm_timeout_seconds, args.warm_timeout_seconds)
    await warm_up(warm, stats, "one websocket session, first load")

    sessions = [WsSession(i, url, args.area, stats, args.timeout_seconds, args.load_timeout_seconds)
                for i in range(args.sessions)]

    live, t_loads = await load_all(sessions, stats, args.load_timeout_seconds)
    deadline = time.monotonic() + args.duration_seconds
    cpu0, own0 = cpu_split(server_pid)[0], time.process_time()
    t_run0 = time.perf_counter()
    try:
        await asyncio.wait_for(asyncio.gather(*(s.run_loop(deadline, args.think_seconds, not args.lockstep)
                                                for s in live)),
                               timeout=args.duration_seconds + args.timeout_seconds + 30)
    except TimeoutError:
        stats.errors.append("hard stop: some sessions were still busy "
                            f"{args.timeout_seconds + 30:.0f} s after the deadline")
    t_run = time.perf_counter() - t_run0
    stats.cpu = (cpu_split(server_pid)[0] - cpu0, time.process_time() - own0)
    await asyncio.gather(*(s.close() for s in sessions))
    return stats, t_loads, t_run


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--duration-seconds", type=float, default=90.0, help="capped at 120")
    ap.add_argument("--area", default="Rutland", help="a preset area of the sidebar, e.g. Northamptonshire")
    ap.add_argument("--smoke", action="store_true", help="quick check: 3 sessions, 20 s")
    ap.add_argument("--timeout-seconds", type=float, default=60.0, help="per interaction")
    ap.add_argument("--think-seconds", type=float, default=0.0,
                    help="pause after each finished change (0 = worst case: every session changes controls "
                         "back to back)")
    ap.add_argument("--lockstep", action="store_true",
                    help="websocket mode with --think-seconds: no random start offset or pause length, so all "
                         "sessions change controls at the same moments (worst-case bursts); by default the start "
                         "is random in 0..think and each pause random in 0.5..1.5 x think (browser mode: always "
                         "fixed pauses)")
    ap.add_argument("--load-timeout-seconds", type=float, default=240.0,
                    help="per first page load, including the area switch (all sessions load at once, which is slow on a small machine)")
    ap.add_argument("--warm-timeout-seconds", type=float, default=300.0)
    ap.add_argument("--client", choices=("websocket", "browser"), default="websocket",
                    help="websocket (default): protocol-level clients, one websocket per session, measuring the "
                         "server as if each user's browser ran on its own machine; browser: headless Chromium pages "
                         "on this machine (end to end, including rendering)")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    if args.smoke:
        args.sessions, args.duration_seconds = 3, 20.0
    args.duration_seconds = max(1.0, min(args.duration_seconds, MAX_DURATION_S))
    if args.client == "browser" and not Path(args.chromium).exists():
        print(f"no chromium at {args.chromium} (install Debian 'chromium' or pass --chromium)", file=sys.stderr)
        return 2

    load_before = os.getloadavg()[0]
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    log = tempfile.NamedTemporaryFile(prefix="geo-bench-load-", suffix=".log", delete=False)  # noqa: SIM115
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.perf_counter() - t0 > 90:
                print(f"streamlit did not become healthy (log: {log.name})", file=sys.stderr)
                return 2
            time.sleep(0.2)
        print(f"server healthy after {time.perf_counter() - t0:.1f} s on {url} "
              f"(GEO_CACHE_DIR={os.environ.get('GEO_CACHE_DIR', '(default ~/.cache/geo)')})", flush=True)
        if args.client == "browser":
            stats, t_loads, t_run = asyncio.run(drive(url, args, args.chromium, proc.pid))
        else:
            stats, t_loads, t_run = asyncio.run(drive_ws(url, args, proc.pid))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    server_log = Path(log.name).read_text(errors="replace")
    tracebacks = server_log.count("Traceback (most recent call last)")

    lat = [d for _, d in stats.latencies]
    by_kind: dict[str, list[float]] = {}
    for k, d in stats.latencies:
        by_kind.setdefault(k.rstrip("+-"), []).append(d)
    p50, p95, mx = _pct(lat, 50), _pct(lat, 95), (max(lat) if lat else float("nan"))
    n_err = len(stats.errors) + tracebacks
    ok = n_err == 0 and bool(lat) and p95 <= GOAL_P95_S
    print()
    print(f"area:          {args.area}")
    how = "one headless Chromium" if args.client == "browser" else "websocket clients, Streamlit protocol"
    jit = "" if not args.think_seconds or args.client == "browser" or args.lockstep else " (random 0.5-1.5 x, random start)"
    print(f"client:        {args.client}")
    print(f"sessions:      {args.sessions} concurrent ({how}), {args.duration_seconds:.0f} s "
          f"of interactions, think time {args.think_seconds:g} s{jit} (ran {t_run:.1f} s); machine: {os.cpu_count()} CPUs (shared)")
    print(f"page loads:    {len(stats.page_loads)} concurrent first loads in {t_loads:.1f} s; "
          f"p50 {_pct(stats.page_loads, 50):.2f} s, max {max(stats.page_loads, default=float('nan')):.2f} s")
    print(f"interactions:  {len(lat)} ({', '.join(f'{k} {len(v)}' for k, v in sorted(by_kind.items()))}); "
          f"{len(lat) / max(t_run, 1e-9):.2f} per s")
    print(f"latency:       p50 {p50:.2f} s   p95 {p95:.2f} s   max {mx:.2f} s")
    for k, v in sorted(by_kind.items()):
        print(f"  {k:<10}   p50 {_pct(v, 50):.2f} s   p95 {_pct(v, 95):.2f} s   max {max(v):.2f} s")
    st_ = stats.server_times
    print(f"  server part  p50 {_pct(st_, 50):.2f} s   p95 {_pct(st_, 95):.2f} s   max {max(st_, default=float('nan')):.2f} s"
          f"   (rerun request sent -> 'script finished' received, {len(st_)} measured)")
    if stats.reruns:
        print(f"per change:    {statistics.mean(stats.reruns):.2f} script runs, "
              f"{statistics.mean(stats.bytes_received) / 1e6:.2f} MB sent to the {'browser' if args.client == 'browser' else 'client'} (mean)")
    cores = stats.cpu[0] / max(t_run, 1e-9), stats.cpu[1] / max(t_run, 1e-9)
    clients = "browsers" if args.client == "browser" else "ws clients (this process)"
    print(f"cpu:           server {stats.cpu[0]:.0f} CPU-s ({cores[0]:.2f} cores), {clients} {stats.cpu[1]:.0f} CPU-s "
          f"({cores[1]:.2f} cores) while interacting; load average {load_before:.1f} before the run, {os.getloadavg()[0]:.1f} after")
    where, recover = ("in the browser", "page reloads") if args.client == "browser" else ("in the clients", "reconnects")
    print(f"errors:        {n_err} ({len(stats.errors)} {where}, {tracebacks} server tracebacks; "
          f"{stats.recoveries} {recover} to recover)")
    for e in stats.errors[:10]:
        print(f"  - {e}")
    if stats.js_errors:
        print(f"page script errors (not counted): {len(stats.js_errors)}, e.g. {stats.js_errors[0]}")
    if tracebacks:
        print(f"server log with tracebacks: {log.name}")
    else:
        os.unlink(log.name)
    verdict = "PASS" if ok else "FAIL"
    print(f"result:        {verdict} (goals: no errors, p95 <= {GOAL_P95_S:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps({
            "client": args.client, "area": args.area, "sessions": args.sessions, "duration_s": args.duration_seconds, "think_s": args.think_seconds,
            "think_jitter": bool(args.think_seconds) and args.client == "websocket" and not args.lockstep,
            "interactions": len(lat), "errors": n_err, "error_samples": stats.errors[:20],
            "p50_s": p50, "p95_s": p95, "max_s": mx, "page_load_p50_s": _pct(stats.page_loads, 50),
            "page_load_max_s": max(stats.page_loads, default=None), "pass": ok,
            "server_part_p50_s": _pct(st_, 50), "server_part_p95_s": _pct(st_, 95),
            "mb_per_change": statistics.mean(stats.bytes_received) / 1e6 if stats.bytes_received else None,
            "server_cpu_s": stats.cpu[0],
            ("browser_cpu_s" if args.client == "browser" else "client_cpu_s"): stats.cpu[1], "run_s": t_run, "cpus": os.cpu_count()}, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
