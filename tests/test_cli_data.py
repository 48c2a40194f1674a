from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from geo.cli.data import status_table
from geo.config import Settings
from geo.data.sources import DATASETS


def test_status_lists_every_dataset(settings: Settings) -> None:
    t = status_table(settings.data_dir, checksum=True)
    assert set(t.index) == set(DATASETS)
    assert (t["status"] == "found").all()
    assert (t["checksum"] == "ok").all()
    tab = t.dropna(subset=["expected_rows"])
    assert (tab["rows"] == tab["expected_rows"]).all()


def test_status_flags_a_broken_copy(settings: Settings, tmp_path: Path) -> None:
    data = tmp_path / "bundle"
    shutil.copytree(settings.data_dir / "tables", data / "tables")
    (data / "tables" / "ruc21_lsoa21.csv").write_text("lsoa21cd,oops\nE01000001,1\n")
    out = subprocess.run([sys.executable, "-m", "geo", "--data-dir", str(data), "data", "status", "--format", "csv"],
                         capture_output=True, text=True)
    assert out.returncode == 1
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("ruc,"))
    assert "MISMATCH" in line and "missing column(s) ruc21cd, ruc21nm, urban_rural" in line
    assert "MISSING" in next(ln for ln in out.stdout.splitlines() if ln.startswith("postcodes,"))


def test_fetch_offline_fails_fast_with_fix(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "geo", "data", "fetch", "--dataset", "ruc", "--dest", str(tmp_path),
                          "--base-url", "http://127.0.0.1:9/"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "GEO_DATA_DIR" in out.stderr and "Traceback" not in out.stderr
