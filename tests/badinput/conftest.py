"""Bad-input corpus: shared runner fixtures and the summary line printed after a run."""

from __future__ import annotations

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print ``bad-input corpus: N cases`` when any badinput test ran."""
    seen: set[str] = set()
    outcome: dict[str, int] = {}
    for key in ("passed", "failed", "skipped", "error", "xfailed", "xpassed"):
        for rep in terminalreporter.stats.get(key, []):
            kw = getattr(rep, "keywords", {}) or {}
            nodeid = getattr(rep, "nodeid", "")
            if "badinput" not in kw or not nodeid or nodeid in seen:
                continue
            if rep.when != "call" and key == "passed":
                continue
            seen.add(nodeid)
            outcome[key] = outcome.get(key, 0) + 1
    if seen:
        detail = ", ".join(f"{v} {k}" for k, v in sorted(outcome.items()))
        terminalreporter.write_line(f"bad-input corpus: {len(seen)} cases ({detail})")
