"""The signed-in team atlas under load: one Streamlit process vs ``make serve``, through the proxy, same run.

For each **target** the benchmark starts the team service exactly as ``make serve`` does
(``python -m atlas.team.serve``: Caddy in front, sign-in required, the supervisor) on free loopback
ports, against ``oidc-provider-mock`` started in this process:

``one``    one Streamlit process behind Caddy (``GEO_REPLICAS=1``)
``serve``  ``make serve`` as shipped: one Streamlit process per core behind Caddy

and runs each **load** on it:

``single``   1 session changing controls back to back: server CPU per control change (goal <= 60 ms)
``nonstop``  20 sessions changing controls back to back (think 0 s): goal p95 <= 1.5 s, 0 errors
``think``    40 sessions pausing a random 2.5-7.5 s (5 s on average) after each change: goal p95 <= 1 s

Every session **signs in through the mock provider** the way a browser does (the app's own "Sign in"
button, the provider's form, the callback; the identity cookie then rides on the websocket), then
speaks Streamlit's websocket protocol as the browser's JavaScript does (``tests/fixtures/team.py``:
XSRF token in the subprotocol, the message cache's hashes with each rerun).  It cycles the sidebar:
threshold 30 -> 35, mode Walk, threshold 35 -> 30, mode Drive.  A change counts only if its run
finished successfully, the area line shows the new threshold/mode and the area, the footer and the
map iframe came, and no ``st.error``/``st.exception`` did; a timeout or a dropped socket is an error
(the session signs in again and carries on), and so is a traceback in the service log.

Figures per (target, load): changes and changes/s, latency p50/p95/max (request sent -> script
finished), **server CPU per change** (every replica and Caddy, from /proc), cores used, and **memory
per session** (the replicas' RSS after all sessions loaded minus before, divided by the sessions).
Nothing is rendered: these are the server's figures, as if each user had their own machine.

Run::

    python benchmarks/bench_load.py                       # both targets x single, nonstop, think (about 10 min)
    python benchmarks/bench_load.py --smoke               # both targets, 3 sessions, 15 s
    python benchmarks/bench_load.py --targets serve --loads nonstop --duration-seconds 60
    python benchmarks/bench_load.py --json out.json

Exit code 0 when every goal of the ``serve`` target is met, else 1.  Needs the open-data bundle,
Caddy (Debian ``caddy``) and ``oidc-provider-mock`` (in the ``dev`` extra).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fixtures.team import Served, StreamlitClient, free_port, mock_provider, sign_in, write_secrets

GOALS = {"single_cpu_ms": 60.0, "nonstop_p95_s": 1.5, "think_p95_s": 1.0, "mb_per_session": 30.0}
LOADS = {"single": (1, 0.0), "nonstop": (20, 0.0), "think": (40, 5.0)}
MODE_LABELS = {"drive": "Drive", "walk": "Walk"}
USERS = {f"user{i}": {"email": f"user{i}@council.example", "name": f"User {i}"} for i in range(100)}


def _pct(xs: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); nan for an empty list."""
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[max(0, min(len(s) - 1, int(round(q / 100.0 * len(s) + 0.5)) - 1))]


def _proc_tree(root: int) -> list[int]:
    kids: dict[int, list[int]] = {}
    for d in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            kids.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, []))
    return out


def cpu_seconds(pids: list[int]) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(f[11]) + int(f[12])) / tick
    return total


def rss_mb(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
    return total


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    recoveries: int = 0
    bytes: list[int] = field(default_factory=list)


class User:
    """One signed-in person changing sidebar controls."""

    def __init__(self, idx: int, site: str, area: str, stats: Stats, timeout_s: float) -> None:
        self.idx, self.site, self.area, self.stats, self.timeout_s = idx, site, area, stats, timeout_s
        self.client: StreamlitClient | None = None
        self.threshold, self.mode, self.step = 30, "drive", 0

    async def load(self) -> float:
        """Sign in, open the atlas (and pick the area); returns seconds."""
        t0 = time.perf_counter()
        await self.close()
        cookies = await sign_in(self.site, f"user{self.idx % len(USERS)}", timeout_s=self.timeout_s * 4)
        self.client = StreamlitClient(self.site, cookies)
        await self.client.connect()
        self.threshold, self.mode, self.step = 30, "drive", 0
        run, _ = await self.client.rerun(timeout_s=self.timeout_s * 4)
        if self.area != "Rutland":
            self.client.set("Area", string_value=self.area)
            run, _ = await self.client.rerun(timeout_s=self.timeout_s * 4)
        self._check(run, "page load")
        return time.perf_counter() - t0

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()
        self.client = None

    def _check(self, run: Any, what: str) -> None:
        problems = [f"exception {e}" for e in run.exceptions] + [f"st.error {e[:120]}" for e in run.errors]
        area = next((m for m in run.markdown if 'class="atlas-area"' in m), "")
        if run.status != "FINISHED_SUCCESSFULLY":
            problems.append(f"script finished {run.status or 'never'}")
        if not area:
            problems.append("no area line (signed out?)")
        elif f"threshold <b>{self.threshold} min</b>" not in area or f"mode: <b>{self.mode}</b>" not in area \
                or self.area not in area:
            problems.append(f"area line does not show {self.area}, {self.threshold} min, {self.mode}")
        if not any('class="atlas-foot"' in m for m in run.markdown):
            problems.append("no footer")
        if not run.iframes:
            problems.append("no map")
        if problems:
            self.stats.errors.append(f"u{self.idx} {what}: {'; '.join(problems)}")

    async def change(self) -> float:
        assert self.client is not None
        kind = ("threshold+", "mode", "threshold-", "mode")[self.step % 4]
        self.step += 1
        if kind.startswith("threshold"):
            self.threshold += 5 if kind == "threshold+" else -5
            self.client.set("Threshold", double_array_value=[float(self.threshold)])
        else:
            self.mode = "walk" if self.mode == "drive" else "drive"
            self.client.set("Travel mode", string_value=MODE_LABELS[self.mode])
        run, dt = await self.client.rerun(timeout_s=self.timeout_s)
        self.stats.bytes.append(run.n_bytes)
        self._check(run, kind)
        return dt

    async def run(self, deadline: float, think_s: float) -> None:
        rng = random.Random(self.idx)
        if think_s > 0:  # users do not click in lockstep
            await asyncio.sleep(min(rng.uniform(0, think_s), max(0.0, deadline - time.monotonic())))
        while time.monotonic() < deadline:
            try:
                self.stats.latencies.append(await self.change())
                if think_s > 0:
                    await asyncio.sleep(min(think_s * rng.uniform(0.5, 1.5), max(0.0, deadline - time.monotonic())))
            except Exception as exc:
                self.stats.errors.append(f"u{self.idx}: {type(exc).__name__}: {' '.join(str(exc).split())[:160]}")
                if time.monotonic() >= deadline:
                    return
                self.stats.recoveries += 1
                try:
                    await asyncio.wait_for(self.load(), timeout=max(1.0, deadline - time.monotonic()))
                except Exception as exc2:
                    self.stats.errors.append(f"u{self.idx} reload: {type(exc2).__name__}: {str(exc2)[:160]}")
                    return


async def _warm(served: Served, area: str, timeout_s: float) -> None:
    """Fill every replica's caches: sign in until each replica has served a session, 4 changes each."""
    seen: set[str] = set()
    for i in range(8 * served.replicas):
        u = User(1000 + i, served.site, area, Stats(), timeout_s * 5)
        await u.load()
        replica = str(served.audit()[-1].get("replica"))
        if replica not in seen:
            seen.add(replica)
            for _ in range(4):
                await u.change()
        await u.close()
        if len(seen) == served.replicas:
            return


async def _run_load(served: Served, sessions: int, think_s: float, args: argparse.Namespace) -> dict[str, Any]:
    stats = Stats()
    replicas = list(served.replica_pids().values())
    mem0 = rss_mb(replicas)
    users = [User(i, served.site, args.area, stats, args.timeout_seconds) for i in range(sessions)]
    t0 = time.perf_counter()
    loads = await asyncio.gather(*(asyncio.wait_for(u.load(), args.timeout_seconds * 6) for u in users),
                                 return_exceptions=True)
    t_load = time.perf_counter() - t0
    live = [u for u, r in zip(users, loads, strict=True) if not isinstance(r, BaseException)]
    stats.errors += [f"u{u.idx} first load: {type(r).__name__}: {str(r)[:160]}"
                     for u, r in zip(users, loads, strict=True) if isinstance(r, BaseException)]
    mem1 = rss_mb(list(served.replica_pids().values()))
    tree = _proc_tree(served.proc.pid) if served.proc else []
    cpu0, own0, w0 = cpu_seconds(tree), time.process_time(), time.perf_counter()
    deadline = time.monotonic() + args.duration_seconds
    await asyncio.gather(*(u.run(deadline, think_s) for u in live))
    wall = time.perf_counter() - w0
    tree = _proc_tree(served.proc.pid) if served.proc else []
    cpu = cpu_seconds(tree) - cpu0
    await asyncio.gather(*(u.close() for u in users))
    lat = stats.latencies
    return {"sessions": sessions, "think_s": think_s, "loaded": len(live), "load_s": t_load,
            "changes": len(lat), "per_s": len(lat) / max(wall, 1e-9), "p50_s": _pct(lat, 50), "p95_s": _pct(lat, 95),
            "max_s": max(lat, default=float("nan")), "errors": len(stats.errors), "error_samples": stats.errors[:8],
            "recoveries": stats.recoveries, "server_cpu_s": cpu, "cores": cpu / max(wall, 1e-9),
            "cpu_ms_per_change": 1000 * cpu / max(len(lat), 1), "client_cpu_s": time.process_time() - own0,
            "kb_per_change": statistics.mean(stats.bytes) / 1e3 if stats.bytes else float("nan"),
            "rss_before_mb": mem0, "rss_loaded_mb": mem1, "mb_per_session": (mem1 - mem0) / max(len(live), 1),
            "wall_s": wall}


def run_target(name: str, replicas: int, loads: list[str], args: argparse.Namespace, provider: str,
               tmp: Path) -> dict[str, Any]:
    site_port = free_port()
    secrets = tmp / name / "secrets.toml"
    write_secrets(secrets, site=f"http://localhost:{site_port}", provider=provider)
    served = Served(secrets, tmp / name, replicas=replicas)
    out: dict[str, Any] = {"replicas": replicas, "loads": {}}
    t0 = time.perf_counter()
    served.start(site_port)
    try:
        print(f"[{name}] {replicas} replica(s) behind Caddy on {served.site}, healthy after "
              f"{time.perf_counter() - t0:.1f} s", flush=True)
        t0 = time.perf_counter()
        asyncio.run(_warm(served, args.area, args.timeout_seconds))
        print(f"[{name}] warm-up {time.perf_counter() - t0:.1f} s", flush=True)
        for load in loads:
            sessions, think = LOADS[load]
            if args.smoke and load != "single":
                sessions = 3
            la = os.getloadavg()[0]
            res = asyncio.run(_run_load(served, sessions, think, args))
            res["loadavg_before"] = la
            out["loads"][load] = res
            print(f"[{name}] {load}: {res['changes']} changes, p95 {res['p95_s']:.2f} s, "
                  f"{res['cpu_ms_per_change']:.0f} CPU-ms/change, {res['errors']} errors", flush=True)
    finally:
        served.stop()
    log = served.log()
    out["tracebacks"] = log.count("Traceback (most recent call last)")
    if out["tracebacks"]:
        keep = Path(tempfile.gettempdir()) / f"geo-bench-load-{name}.log"
        keep.write_text(log)
        out["log"] = str(keep)
    return out


def report(results: dict[str, Any], args: argparse.Namespace) -> bool:
    names = {"one": "1 process", "serve": f"make serve ({results.get('serve', {}).get('replicas', '?')})"}
    print()
    print(f"area {args.area}; {args.duration_seconds:.0f} s per load; machine: {os.cpu_count()} CPUs, shared "
          f"(load average before each load in the table); every session signed in through oidc-provider-mock")
    head = (f"{'load':<9} {'target':<15} {'sess':>4} {'changes':>7} {'/s':>5} {'p50':>6} {'p95':>6} {'max':>6} "
            f"{'err':>4} {'CPU-ms/chg':>10} {'cores':>5} {'MB/sess':>7} {'KB/chg':>6} {'load':>5}")
    print(head)
    print("-" * len(head))
    for load in LOADS:
        for tgt in ("one", "serve"):
            r = results.get(tgt, {}).get("loads", {}).get(load)
            if r is None:
                continue
            print(f"{load:<9} {names[tgt]:<15} {r['sessions']:>4} {r['changes']:>7} {r['per_s']:>5.1f} "
                  f"{r['p50_s']:>6.2f} {r['p95_s']:>6.2f} {r['max_s']:>6.2f} {r['errors']:>4} "
                  f"{r['cpu_ms_per_change']:>10.0f} {r['cores']:>5.2f} {r['mb_per_session']:>7.1f} "
                  f"{r['kb_per_change']:>6.0f} {r['loadavg_before']:>5.1f}")
        one = results.get("one", {}).get("loads", {}).get(load)
        srv = results.get("serve", {}).get("loads", {}).get(load)
        if one and srv and one["changes"] and srv["changes"]:
            print(f"{'':<9} {'serve / one':<15} throughput x{srv['per_s'] / one['per_s']:.2f}, "
                  f"p95 x{srv['p95_s'] / one['p95_s']:.2f}, CPU per change x"
                  f"{srv['cpu_ms_per_change'] / one['cpu_ms_per_change']:.2f}")
    ok = True
    print()
    for tgt, res in results.items():
        loads = res["loads"]
        checks = []
        if "single" in loads:
            checks.append(("CPU per change (1 session)", loads["single"]["cpu_ms_per_change"], GOALS["single_cpu_ms"], "ms"))
        if "nonstop" in loads:
            checks.append(("nonstop p95", loads["nonstop"]["p95_s"], GOALS["nonstop_p95_s"], "s"))
        if "think" in loads:
            checks.append(("think p95", loads["think"]["p95_s"], GOALS["think_p95_s"], "s"))
        multi = [r for k, r in loads.items() if k != "single"]
        if multi:
            checks.append(("memory per session", max(r["mb_per_session"] for r in multi), GOALS["mb_per_session"], "MB"))
        errors = sum(r["errors"] for r in loads.values()) + res["tracebacks"]
        verdicts = [f"{what} {v:.2f} {unit} (goal <= {g:g})" + (" ok" if v <= g else " MISSED") for what, v, g, unit in checks]
        passed = errors == 0 and all(v <= g for _, v, g, _ in checks)
        print(f"{names[tgt]}: {'PASS' if passed else 'FAIL'}: {errors} errors ({res['tracebacks']} tracebacks); "
              + "; ".join(verdicts))
        for load, r in loads.items():
            for e in r["error_samples"][:3]:
                print(f"   {load}: {e}")
        if tgt == "serve" or "serve" not in results:
            ok = ok and passed
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--targets", default="one,serve", help="comma separated: one, serve")
    ap.add_argument("--loads", default="single,nonstop,think", help="comma separated: single, nonstop, think")
    ap.add_argument("--replicas", type=int, default=0, help="replicas of the serve target (default: one per core)")
    ap.add_argument("--duration-seconds", type=float, default=60.0)
    ap.add_argument("--timeout-seconds", type=float, default=60.0, help="per change")
    ap.add_argument("--area", default="Rutland")
    ap.add_argument("--smoke", action="store_true", help="3 sessions per load, 15 s")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if args.smoke:
        args.duration_seconds = 15.0
    if shutil.which("caddy") is None:
        print("bench_load: caddy not found (Debian 'caddy'; make serve-deps)", file=sys.stderr)
        return 2
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    loads = [x.strip() for x in args.loads.split(",") if x.strip()]
    unknown = [t for t in targets if t not in {"one", "serve"}] + [x for x in loads if x not in LOADS]
    if unknown:
        print(f"bench_load: unknown target/load {unknown}", file=sys.stderr)
        return 2
    n_serve = args.replicas or os.cpu_count() or 1
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="geo-bench-load-") as tmp, mock_provider(USERS) as provider:
        for tgt in targets:
            results[tgt] = run_target(tgt, 1 if tgt == "one" else n_serve, loads, args, provider, Path(tmp))
    ok = report(results, args)
    if args.json:
        args.json.write_text(json.dumps({"area": args.area, "duration_s": args.duration_seconds, "goals": GOALS,
                                         "cpus": os.cpu_count(), "results": results, "pass": ok}, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
