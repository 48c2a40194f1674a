"""``make serve``: the team atlas as N Streamlit replicas behind Caddy, kept running by a supervisor.

::

    browser ──HTTP(S)──▶ Caddy (site_address) ── sticky cookie "geo_replica" ──▶ 127.0.0.1:8601  streamlit app.py
                           │  websockets, /_stcore/health checks,               ▶ 127.0.0.1:8602  streamlit app.py
                           │  friendly pages when sign-in or all replicas fail  ▶ ...  (one per core)
                           └─ this supervisor starts them all, restarts any that dies or stops answering,
                              and stops them all on Ctrl-C / SIGTERM

Every replica reads the same secrets file (one ``cookie_secret``, so any replica accepts the identity
cookie another one set), runs with XSRF protection on and sign-in required, and listens on loopback only.

Run ``python -m atlas.team.serve`` (``make serve``); ``--check`` only checks the configuration and
prints the plan, ``--print-caddyfile`` prints the generated proxy configuration.  A configuration
problem is one line naming the file or setting, and exit code 2.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from atlas.team.roles import read_allow_list
from atlas.team.settings import (
    PROJECT_ROOT,
    AuthConfig,
    ServiceConfigError,
    ServiceSettings,
    check_auth_secrets,
)

logger = logging.getLogger("atlas.serve")

APP = PROJECT_ROOT / "app.py"
STICKY_COOKIE = "geo_replica"
HEALTH_PATH = "/_stcore/health"
#: A replica that has been healthy and then fails its health check this long is restarted.
HUNG_AFTER_S = 60.0
#: A replica that never became healthy this long after its start is restarted.
START_TIMEOUT_S = 180.0
RESTART_BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)
#: Streamlit's start-up banner names the replica's loopback URL, which is not where people go: dropped.
QUIET_PREFIXES = ("You can now view your Streamlit app", "URL: http://127.0.0.1")

SIGNIN_DOWN_HTML = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Sign-in unavailable</title>"
    "<body style='font-family:sans-serif;max-width:40em;margin:3em auto'>"
    "<h1>Sign-in is not available right now</h1>"
    "<p>The atlas could not reach your organisation's sign-in service. Please try again in a few minutes. "
    "If it goes on, tell your IT team: the identity provider named in the atlas's sign-in settings "
    "is not answering.</p><p><a href='/'>Back to the atlas</a></p></body></html>")
RESTARTING_HTML = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Atlas restarting</title>"
    "<body style='font-family:sans-serif;max-width:40em;margin:3em auto'>"
    "<h1>The atlas is starting or restarting</h1><p>Please try again in a few seconds.</p>"
    "<p><a href='/'>Reload</a></p></body></html>")


# --------------------------------------------------------------------------- configuration
def site_origin(address: str) -> str:
    """``scheme://host[:port]`` with default ports dropped (how browsers send ``Origin``)."""
    parts = urlsplit(address)
    host = parts.hostname or ""
    port = parts.port
    default = {"http": 80, "https": 443}[parts.scheme]
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def check_config(s: ServiceSettings) -> AuthConfig:
    """Everything ``make serve`` needs, checked before anything starts (one-line errors)."""
    cfg = check_auth_secrets(s.secrets_file)
    if site_origin(cfg.redirect_uri) != site_origin(s.site_address):
        msg = (f"{s.secrets_file}: [auth] redirect_uri {cfg.redirect_uri} is not on the site address "
               f"{s.site_address} (GEO_SITE_ADDRESS); people must open the same address the provider "
               "sends them back to: make them match")
        raise ServiceConfigError(msg)
    read_allow_list(s.roles_file)
    try:
        s.audit_log.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
        with s.audit_log.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        msg = f"{s.audit_log}: the audit log cannot be written ({exc.strerror}); fix it or set GEO_AUDIT_LOG"
        raise ServiceConfigError(msg) from None
    if s.proxy == "caddy" and shutil.which("caddy") is None:
        msg = ("caddy: not found on PATH; install the Debian package (sudo apt-get install caddy) "
               "or see docs/team-service.md for nginx")
        raise ServiceConfigError(msg)
    return cfg


def replica_ports(s: ServiceSettings) -> list[int]:
    return [s.replica_base_port + i for i in range(s.n_replicas)]


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def caddyfile(s: ServiceSettings, ports: list[int]) -> str:
    """The Caddy configuration for ``s`` (HTTP on loopback, or HTTPS with automatic certificates)."""
    parts = urlsplit(s.site_address)
    https = parts.scheme == "https"
    upstreams = " ".join(f"127.0.0.1:{p}" for p in ports)
    logs = s.run_dir / "logs"
    glob = ["\tadmin off", f"\tstorage file_system {{\n\t\troot {s.run_dir / 'caddy'}\n\t}}"]
    if not https:
        glob.append("\tauto_https off")
    site = site_origin(s.site_address)
    if https:
        site = parts.hostname or ""
        if parts.port and parts.port != 443:
            site += f":{parts.port}"
    proxy_common = f"""\t\t\tlb_policy cookie {STICKY_COOKIE}
\t\t\tlb_try_duration 10s
\t\t\tlb_try_interval 250ms
\t\t\thealth_uri {HEALTH_PATH}
\t\t\thealth_interval 2s
\t\t\thealth_timeout 2s
\t\t\tfail_duration 10s
\t\t\tmax_fails 1
\t\t\tunhealthy_status 5xx
\t\t\tflush_interval -1
\t\t\ttransport http {{
\t\t\t\tdial_timeout 2s
\t\t\t}}"""
    bind = "" if https or parts.hostname not in {"localhost", "127.0.0.1", "::1"} else "\tbind 127.0.0.1 [::1]\n"
    tls = ""
    if https and s.tls:
        tls = f"\ttls {s.tls}\n"
    hsts = '\t\tStrict-Transport-Security "max-age=31536000"\n' if https else ""
    return f"""# Generated by `python -m atlas.team.serve` for {s.site_address}; do not edit (change the settings).
{{
{chr(10).join(glob)}
}}

{site} {{
{bind}{tls}\tlog {{
\t\toutput file {logs / "access.jsonl"} {{
\t\t\troll_size 10MiB
\t\t\troll_keep 10
\t\t}}
\t\tformat json
\t}}
\trequest_body {{
\t\tmax_size 60MB
\t}}
\theader {{
\t\tX-Content-Type-Options nosniff
\t\tReferrer-Policy same-origin
\t\tX-Frame-Options SAMEORIGIN
{hsts}\t\t-Server
\t}}
\t# Streamlit answers a failed sign-in redirect with a bare 400: show a page that says what happened.
\thandle /auth/login {{
\t\treverse_proxy {upstreams} {{
{proxy_common}
\t\t\t@failed status 4xx 5xx
\t\t\thandle_response @failed {{
\t\t\t\theader Content-Type "text/html; charset=utf-8"
\t\t\t\trespond {_quote(SIGNIN_DOWN_HTML)} 503
\t\t\t}}
\t\t}}
\t}}
\thandle {{
\t\treverse_proxy {upstreams} {{
{proxy_common}
\t\t}}
\t}}
\thandle_errors {{
\t\theader Content-Type "text/html; charset=utf-8"
\t\trespond {_quote(RESTARTING_HTML)} 503
\t}}
}}
"""


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sk:
        sk.settimeout(0.5)
        return sk.connect_ex((host, port)) == 0


# --------------------------------------------------------------------------- processes
@dataclass
class Child:
    """One supervised process (a Streamlit replica or Caddy)."""

    name: str
    cmd: list[str]
    env: dict[str, str]
    health_url: str | None = None
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    healthy_since: float | None = None
    last_healthy: float = 0.0
    restarts: int = 0
    next_start: float = 0.0
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        self.proc = subprocess.Popen(self.cmd, env=self.env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.started = time.monotonic()
        self.healthy_since = None
        self.threads = [threading.Thread(target=_pump, args=(self.name, self.proc.stdout), daemon=True)]
        for t in self.threads:
            t.start()
        logger.info("%s started (pid %d)", self.name, self.proc.pid)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout_s: float = 15.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.terminate()
        try:
            self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            self.proc.wait(timeout=5)


def _pump(name: str, stream: IO[bytes] | None) -> None:
    """Forward a child's output line by line, each prefixed with its name (one line per record)."""
    if stream is None:
        return
    out = sys.stdout
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", errors="replace").rstrip()
        if line and not line.lstrip().startswith(QUIET_PREFIXES):
            out.write(f"{name} | {line}\n")
            out.flush()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def replica_child(s: ServiceSettings, index: int, port: int) -> Child:
    name = f"r{index + 1}:{port}"
    env = {**os.environ, "GEO_SIGN_IN": "1", "GEO_REPLICA": name, "GEO_SECRETS_FILE": str(s.secrets_file),
           "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP),
           "--server.address", "127.0.0.1", "--server.port", str(port), "--server.headless", "true",
           "--server.enableXsrfProtection", "true", "--server.enableCORS", "true",
           "--server.fileWatcherType", "none", "--server.runOnSave", "false",
           "--browser.gatherUsageStats", "false", "--secrets.files", str(s.secrets_file)]
    return Child(name=name, cmd=cmd, env=env, health_url=f"http://127.0.0.1:{port}{HEALTH_PATH}")


def caddy_child(s: ServiceSettings, config: Path) -> Child:
    env = {**os.environ, "XDG_DATA_HOME": str(s.run_dir / "caddy-data"), "XDG_CONFIG_HOME": str(s.run_dir / "caddy-config")}
    cmd = [shutil.which("caddy") or "caddy", "run", "--config", str(config), "--adapter", "caddyfile"]
    return Child(name="caddy", cmd=cmd, env=env)


class Supervisor:
    """Start every child, restart any that dies (or a replica that stops answering), stop all on a signal."""

    def __init__(self, children: list[Child], poll_s: float = 1.0) -> None:
        self.children = children
        self.poll_s = poll_s
        self.stopping = threading.Event()

    def _backoff(self, child: Child) -> float:
        return RESTART_BACKOFF_S[min(child.restarts, len(RESTART_BACKOFF_S) - 1)]

    def check(self, child: Child, now: float) -> None:
        """One supervision step for one child."""
        if child.proc is None:
            if now >= child.next_start:
                child.start()
            return
        code = child.proc.poll()
        if code is not None:
            delay = self._backoff(child)
            how = f"killed by signal {-code}" if code < 0 else f"exited with code {code}"
            logger.warning("%s %s; restarting in %.0f s", child.name, how, delay)
            child.proc = None
            child.restarts += 1
            child.next_start = now + delay
            return
        if child.health_url is None:
            return
        if _healthy(child.health_url):
            if child.healthy_since is None:
                logger.info("%s healthy after %.1f s", child.name, now - child.started)
                child.healthy_since = now
            child.last_healthy = now
            if now - child.healthy_since > 120:
                child.restarts = 0  # a long healthy run resets the backoff
            return
        stuck = (child.healthy_since is not None and now - child.last_healthy > HUNG_AFTER_S) or (
            child.healthy_since is None and now - child.started > START_TIMEOUT_S)
        if stuck:
            logger.warning("%s does not answer %s; restarting it", child.name, child.health_url)
            with contextlib.suppress(ProcessLookupError):
                child.proc.kill()

    def run(self) -> int:
        for child in self.children:
            child.start()
        while not self.stopping.wait(self.poll_s):
            now = time.monotonic()
            for child in self.children:
                self.check(child, now)
        logger.info("stopping %d processes", len(self.children))
        for child in reversed(self.children):
            child.stop()
        return 0


# --------------------------------------------------------------------------- entry point
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="make serve", description="Run the team atlas: N replicas behind Caddy.")
    ap.add_argument("--check", action="store_true", help="check the configuration, print the plan, exit")
    ap.add_argument("--print-caddyfile", action="store_true", help="print the generated Caddyfile and exit")
    ap.add_argument("--replicas", type=int, default=None, help="Streamlit processes (default: GEO_REPLICAS or one per core)")
    ap.add_argument("-v", "--verbose", action="store_true", help="also log each health check result")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, stream=sys.stdout,
                        format="%(asctime)s %(levelname)s serve: %(message)s")
    try:
        s = ServiceSettings.from_env(sign_in=True, **({"replicas": args.replicas} if args.replicas else {}))
        if args.print_caddyfile:
            sys.stdout.write(caddyfile(s, replica_ports(s)))
            return 0
        cfg = check_config(s)
        ports = replica_ports(s)
        site_port = urlsplit(s.site_address).port or (443 if s.site_address.startswith("https") else 80)
        busy = [p for p in [*ports, *([site_port] if s.proxy == "caddy" else [])] if port_in_use(p)]
        if busy:
            msg = (f"port(s) {', '.join(map(str, busy))} already in use (another `make serve`?); stop it or "
                   "set GEO_REPLICA_BASE_PORT / GEO_SITE_ADDRESS")
            raise ServiceConfigError(msg)
    except ServiceConfigError as exc:
        print(f"make serve: {exc}", file=sys.stderr)
        return 2
    s.run_dir.mkdir(parents=True, exist_ok=True, mode=0o750)
    (s.run_dir / "logs").mkdir(exist_ok=True)
    config = s.run_dir / "Caddyfile"
    config.write_text(caddyfile(s, ports), encoding="utf-8")
    proxy = f"Caddy ({config})" if s.proxy == "caddy" else "your own proxy (GEO_PROXY=none)"
    plan = (f"team atlas on {s.site_address} -> {len(ports)} Streamlit replica(s) on 127.0.0.1:"
            f"{', '.join(map(str, ports))} behind {proxy}; sign-in: {', '.join(cfg.providers)} "
            f"({s.secrets_file}); audit log: {s.audit_log}")
    if args.check:
        print(plan)
        return 0
    logger.info("%s", plan)
    children = [replica_child(s, i, p) for i, p in enumerate(ports)]
    if s.proxy == "caddy":
        children.append(caddy_child(s, config))
    sup = Supervisor(children)

    def _stop(signum: int, _frame: object) -> None:
        logger.info("signal %d: shutting down", signum)
        sup.stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    return sup.run()


if __name__ == "__main__":
    sys.exit(main())
