"""A user's terminal stays quiet by default: no Dask INFO lines, no progress bars (``-v`` shows them)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow]


def _batch(tmp_path: Path, *verbose: str) -> str:
    run_dir = tmp_path / f"run{len(verbose)}"
    cmd = [sys.executable, "-c", "import sys; from geo.cli import main; sys.exit(main())", *verbose, "batch", "--area", "Rutland; Melton", "--modes", "drive",
           "--method", "estimate", "--workers", "2", "--run-dir", str(run_dir), "--no-report"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "E06000017" in proc.stdout  # the summary table still goes to stdout
    return proc.stderr


def test_batch_is_quiet_by_default_and_verbose_with_v(settings, tmp_path: Path) -> None:
    quiet = _batch(tmp_path)
    lines = [ln for ln in quiet.splitlines() if ln.strip()]
    assert not [ln for ln in lines if "distributed" in ln], quiet
    assert "%|" not in quiet and "\r" not in quiet, "no progress bar without -v"
    assert len(lines) == 1 and lines[0].startswith("batch "), lines  # the one summary line
    loud = _batch(tmp_path, "-v")
    assert "INFO distributed" in loud
    assert "%|" in loud  # the progress bar
