"""Outputs never damage what is there: atomic output sets, stale temp files, Ctrl-C, full disks,
spreadsheet formulas in CSV cells."""

from __future__ import annotations

import errno
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from geo._errors import OutputError
from geo.cache import atomic_write_text, clean_stale_temp
from geo.outputs.output_set import output_set
from geo.outputs.safe_csv import csv_text

ROOT = Path(__file__).resolve().parent.parent


def test_output_set_interrupted_changes_nothing(tmp_path: Path) -> None:
    a, b = tmp_path / "report.html", tmp_path / "report.gpkg"
    a.write_text("old html")
    b.write_text("old gpkg")
    with pytest.raises(KeyboardInterrupt), output_set([a, b]):
        atomic_write_text("new html", a)
        assert a.read_text() == "old html"  # staged, not in place yet
        raise KeyboardInterrupt
    assert a.read_text() == "old html" and b.read_text() == "old gpkg"
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


def test_output_set_renames_all_files_at_the_end(tmp_path: Path) -> None:
    a, b = tmp_path / "r.html", tmp_path / "sub" / "r.csv"
    with output_set([a, b]):
        atomic_write_text("html", a)
        atomic_write_text("csv", b)
        assert not a.exists() and not b.exists()
    assert a.read_text() == "html" and b.read_text() == "csv"
    assert not [p for p in tmp_path.rglob("*") if ".tmp-" in p.name]


def test_stale_temp_files_of_killed_runs_are_cleaned(tmp_path: Path) -> None:
    dead = 2**22 + 12345  # beyond pid_max on Linux: no such process
    (tmp_path / f".tmp-{dead}-abc").mkdir()
    (tmp_path / f".tmp-{dead}-abc" / "report.html").write_text("half")
    (tmp_path / f".r.tmp-{dead}-x.gpkg").write_text("half")
    (tmp_path / f".tmp-{os.getpid()}-live").mkdir()  # a run still going: kept
    with output_set([tmp_path / "out.json"]):
        atomic_write_text("{}", tmp_path / "out.json")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f".tmp-{os.getpid()}-live", "out.json"]
    assert clean_stale_temp(tmp_path) == 0


def test_full_disk_is_one_line(tmp_path: Path) -> None:
    from geo.cache import write_error as _write_error

    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    with pytest.raises(OSError) as info, open("/dev/full", "wb") as fh:
        fh.write(b"x" * 65536)
        fh.flush()
    assert info.value.errno == errno.ENOSPC
    err = _write_error(tmp_path / "report.html", info.value)
    assert isinstance(err, OutputError) and isinstance(err, OSError)
    assert "disk is full" in str(err) and "report.html" in str(err) and "\n" not in str(err)


def test_ctrl_c_prints_one_line_and_exits_130(tmp_path: Path) -> None:
    out = tmp_path / "summary.json"
    out.write_text("keep me")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    extract = tmp_path / "synthetic_ctrlc.csv"
    assert subprocess.run([sys.executable, "-m", "geo", "synthetic-clients", "--area", "Northamptonshire", "--n",
                           "20000", "--seed", "1", "--out", str(extract)], env=env, capture_output=True,
                          timeout=600).returncode == 0
    proc = subprocess.Popen([sys.executable, "-m", "geo", "clients", "summarise", "--file", str(extract), "--area",
                             "Northamptonshire", "--format", "json", "--out", str(out)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4.0)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=600)
    if proc.returncode == 0:
        pytest.skip("the command finished before Ctrl-C arrived")
    assert proc.returncode == 130, err
    # "geo clients: ..." during the command, "geo: ..." if Ctrl-C came while it was still starting
    assert err.strip().splitlines()[-1].endswith("interrupted; no output file was changed")
    assert "Traceback" not in err
    assert out.read_text() == "keep me"


def test_csv_cells_cannot_run_as_formulas() -> None:
    df = pd.DataFrame({"name": ["=HYPERLINK(\"http://x\",\"click\")", "+cmd|' /C calc'!A0", "@SUM(1+1)",
                                "-2+3", "\tTAB", "\rCR", "Plain & safe"],
                       "minutes": [1.5, -3.0, 2.0, 4.0, 5.0, 6.0, 7.0]},
                      index=pd.Index(["=a", "b", "c", "d", "e", "f", "g"], name="site"))
    text = csv_text(df)
    back = pd.read_csv(io.StringIO(text), keep_default_na=False)
    for v in back["name"].tolist() + back["site"].tolist():
        assert not str(v).startswith(("=", "+", "-", "@", "\t", "\r")), v
    assert back["name"].tolist()[-1] == "Plain & safe"
    assert float(back["minutes"].tolist()[1]) == -3.0 and "'-3.0" not in text  # numbers stay numbers


def test_cli_csv_and_exports_use_the_safe_writer(tmp_path: Path) -> None:
    from geo.cli._output import emit
    from geo.outputs.export import export_outreach_csv

    df = pd.DataFrame({"site_name": ["=1+1", "ok"], "score": [1.0, 2.0]})
    emit(df, "csv", tmp_path / "e.csv")
    export_outreach_csv(df, tmp_path / "o.csv")
    for name in ("e.csv", "o.csv"):
        text = (tmp_path / name).read_text()
        assert "'=1+1" in text and "\n=1+1" not in text and ",=1+1" not in text
