"""Content-addressed disk cache with atomic writes.

Keys are the SHA-256 of the inputs' digests, the parameters and the package/format version
(r5py style), so a changed source file or option never returns a stale entry.  Every write goes
to a temporary file in the same folder and is renamed into place (atomic on POSIX), so two
processes sharing a cache can never leave a half-written file; a corrupt entry is deleted and
rebuilt.  Cached objects are read-only for callers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

logger = logging.getLogger(__name__)

#: Bump when the on-disk format of any cached object changes.
CACHE_FORMAT_VERSION = 1

T = TypeVar("T")


def cache_key(*parts: Any) -> str:
    """Stable hex key from JSON-able parts plus the cache format version."""
    from geo import __version__

    payload = json.dumps([CACHE_FORMAT_VERSION, __version__, *parts], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


#: Suffixes of files that are *outputs* (tables, reports, maps), logged for disclosure audits.
OUTPUT_SUFFIXES = (".csv", ".json", ".geojson", ".gpkg", ".html", ".md", ".txt")


def _log_output(target: Path) -> None:
    """Append an output path to ``$GEO_OUTPUT_LOG`` (set by the test suite's disclosure audit)."""
    log = os.environ.get("GEO_OUTPUT_LOG")
    if log and target.suffix.lower() in OUTPUT_SUFFIXES:
        with open(log, "a", encoding="utf-8") as fh:  # short O_APPEND writes do not interleave
            fh.write(f"{target.resolve()}\n")


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; on success rename it over ``target``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Keep the real suffix last (GDAL drivers and numpy look at it); the file is created empty
    # and removed first so writers that refuse to overwrite (GPKG) can create it.
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.tmp-", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    tmp_path.unlink()
    try:
        yield tmp_path
        os.replace(tmp_path, target)
        _log_output(target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def atomic_write_bytes(data: bytes, target: Path) -> None:
    """Write bytes atomically (temp file + fsync + rename)."""
    with atomic_path(target) as tmp, tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def atomic_write_text(text: str, target: Path) -> None:
    """Write UTF-8 text atomically."""
    atomic_write_bytes(text.encode("utf-8"), target)


def atomic_write_parquet(df: pd.DataFrame, target: Path) -> None:
    """Write a DataFrame to parquet atomically."""
    with atomic_path(target) as tmp:
        df.to_parquet(tmp)


def read_parquet_or_none(path: Path) -> pd.DataFrame | None:
    """Read a cached parquet file; a missing one gives None, a corrupt one is removed and gives None."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        return pd.read_parquet(path)
    except Exception:  # pyarrow raises ArrowInvalid/OSError on corruption
        logger.warning("cache entry %s is corrupt; removing it and rebuilding", path)
        path.unlink(missing_ok=True)
        return None


def cached_npz(path: Path, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Load arrays from ``path`` or build them, save atomically, and return them.

    A corrupt or unreadable file is rebuilt.  Arrays only (``allow_pickle=False``): nothing
    loaded from the cache can execute code.
    """
    import numpy as np

    path = Path(path)
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as npz:
                logger.info("cache hit %s", path.name)
                return {k: npz[k] for k in npz.files}
        except Exception:  # zipfile.BadZipFile, ValueError, OSError, EOFError
            logger.warning("cache entry %s is corrupt; rebuilding", path)
            path.unlink(missing_ok=True)
    logger.info("cache miss %s", path.name)
    arrays = build()
    with atomic_path(path) as tmp, tmp.open("wb") as fh:
        np.savez(fh, **arrays)
    return arrays


# --------------------------------------------------------------------------- spreadsheet-safe CSV
#: A cell starting with one of these is run as a formula by Excel / LibreOffice / Sheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _defuse(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def spreadsheet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy in which no text cell, header or index label can run as a spreadsheet formula.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
    apostrophe (OWASP "CSV injection" advice); numbers are left alone, so ``-3`` in a numeric
    column stays a number.
    """
    out = df.copy()
    for c in out.columns:
        col = out[c]
        if pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col):
            out[c] = col.map(_defuse)
    out.columns = [_defuse(c) for c in out.columns]
    if pd.api.types.is_object_dtype(out.index) or pd.api.types.is_string_dtype(out.index):
        out.index = pd.Index([_defuse(v) for v in out.index], name=_defuse(out.index.name))
    return out


def csv_text(df: pd.DataFrame, **kwargs: Any) -> str:
    """``DataFrame.to_csv`` text after :func:`spreadsheet_safe`: the one way geo writes CSV."""
    return str(spreadsheet_safe(df).to_csv(**kwargs))


def atomic_write_csv(df: pd.DataFrame, target: Path, **kwargs: Any) -> None:
    """Write a frame as spreadsheet-safe CSV, atomically."""
    atomic_write_text(csv_text(df, **kwargs), Path(target))
