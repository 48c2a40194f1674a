"""What data is found, where, and whether it is intact (``geo data status``).

One row per dataset of :data:`geo.data.sources.DATASETS`: found or missing, its path, the rows
it holds against the rows expected, and its SHA-256 against the published checksum.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from geo._errors import GeoError
from geo.config import Settings
from geo.data import loaders
from geo.data.sources import DATASETS, sha256_file

if TYPE_CHECKING:
    from pathlib import Path


def data_status(data_dir: Path, *, checksum: bool = True) -> pd.DataFrame:
    """One row per dataset: found, path, rows (data rows), checksum verdict."""
    rows = []
    for ds in DATASETS.values():
        path = ds.path(data_dir)
        found = path.is_file()
        n_rows: int | None = None
        verdict = "-"
        error = ""
        if found:
            if checksum:
                verdict = "ok" if sha256_file(path) == ds.sha256 else "MISMATCH"
            try:
                n_rows = _count_rows(ds.key, path, data_dir)
            except GeoError as exc:
                error = str(exc)
            except Exception as exc:  # report unreadable files instead of stopping the listing
                error = f"{type(exc).__name__}: {exc}"
        rows.append({"dataset": ds.key, "status": "found" if found else "MISSING",
                     "rows": n_rows, "expected_rows": ds.rows, "checksum": verdict,
                     "path": str(path), "error": error[:160]})
    out = pd.DataFrame(rows).set_index("dataset")
    for c in ("rows", "expected_rows"):
        out[c] = out[c].astype("Int64")
    return out


def _count_rows(key: str, path: Path, data_dir: Path) -> int | None:
    ds = DATASETS[key]
    if ds.kind == "gpkg":
        import pyogrio

        return int(pyogrio.read_info(path, layer=ds.layer)["features"])
    if ds.kind in {"pbf", "osm-xml"}:
        return None
    return len(loaders.read_dataset(key, Settings.from_env(data_dir)))


__all__ = ["data_status"]
