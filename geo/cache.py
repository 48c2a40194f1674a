"""Content-addressed disk cache, and the atomic writes every file of geo goes through.

Keys are the SHA-256 of the inputs' digests, the parameters and the package/format version
(r5py style), so a changed source file or option never returns a stale entry.  Every write goes
to a temporary file in the same folder and is renamed into place (atomic on POSIX), so two
processes sharing a cache can never leave a half-written file; a corrupt entry is deleted and
rebuilt.  Cached objects are read-only for callers.

Outputs (what leaves the machine: CSV safety, formats, atomic output sets) live in
:mod:`geo.outputs`; an active output set registers itself in :data:`STAGERS`, so every atomic
write to one of its files is staged until the command succeeds.  Checks of the paths a CLI user
gives are in :mod:`geo.cli._paths`.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

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


def record_output(target: Path) -> None:
    """Append an output path to ``$GEO_OUTPUT_LOG`` (set by the test suite's disclosure audit)."""
    log = os.environ.get("GEO_OUTPUT_LOG")
    if log and target.suffix.lower() in OUTPUT_SUFFIXES:
        with open(log, "a", encoding="utf-8") as fh:  # short O_APPEND writes do not interleave
            fh.write(f"{target.resolve()}\n")


def write_error(target: Path, exc: OSError) -> Exception:
    """A one-line GeoError for an OSError met while writing ``target``."""
    from geo._errors import OutputError

    if exc.errno == errno.ENOSPC:
        return OutputError(f"{target}: the disk is full (no space left on device); free some space or write "
                           "to another disk")
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return OutputError(f"{target}: cannot write there (read-only or no permission); choose a folder "
                           "you can write to")
    if exc.errno == errno.EISDIR:
        return OutputError(f"{target} is a folder; give a file name")
    if exc.errno == errno.ENOTDIR:
        return OutputError(f"{target}: part of the path is a file, not a folder; choose another path")
    return OutputError(f"{target}: cannot write ({exc.strerror or type(exc).__name__}); choose another path")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_TMP_RE = re.compile(r"\.tmp-(\d+)-")


def clean_stale_temp(folder: Path, *, max_age_s: float = 24 * 3600) -> int:
    """Remove ``.tmp-*`` files and folders left in ``folder`` by killed runs; returns how many.

    A temporary name carries the writing process id; it is stale when that process is gone (or,
    for names without one, when it is older than ``max_age_s``).
    """
    import shutil
    import time

    n = 0
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return 0
    for p in entries:
        if ".tmp-" not in p.name or not p.name.startswith("."):
            continue
        m = _TMP_RE.search(p.name)
        try:
            stale = (not _pid_alive(int(m.group(1)))) if m else (time.time() - p.lstat().st_mtime > max_age_s)
            if not stale:
                continue
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()
            n += 1
        except OSError:
            continue
    if n:
        logger.info("removed %d stale temporary file(s) from %s", n, folder)
    return n


class Stager(Protocol):
    """Something that may redirect a write (an output set: :class:`geo.outputs.output_set.OutputSet`)."""

    def stage(self, target: Path) -> Path | None:
        """The path to write instead of ``target``, or None to write ``target`` itself."""


#: Active output sets, innermost last (:func:`geo.outputs.output_set.output_set` pushes and pops).
STAGERS: list[Stager] = []


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; on success rename it over ``target``.

    Inside an output set (:func:`geo.outputs.output_set.output_set`), a target that is one of the
    set's outputs is staged instead and renamed only when the whole set is done.  OS errors (full disk, read-only folder) become a
    one-line :class:`~geo._errors.OutputError`.
    """
    target = Path(target)
    staged = STAGERS[-1].stage(target) if STAGERS else None
    if staged is not None:
        try:
            yield staged
        except OSError as exc:
            raise write_error(target, exc) from exc
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # Keep the real suffix last (GDAL drivers and numpy look at it); the file is created empty
        # and removed first so writers that refuse to overwrite (GPKG) can create it.
        fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.tmp-{os.getpid()}-", suffix=target.suffix,
                                   dir=target.parent)
        os.close(fd)
    except OSError as exc:
        raise write_error(target, exc) from exc
    tmp_path = Path(tmp)
    tmp_path.unlink()
    try:
        yield tmp_path
        os.replace(tmp_path, target)
        record_output(target)
    except OSError as exc:
        raise write_error(target, exc) from exc
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


_WARNED: set[str] = set()


def cache_write(write: Callable[[], Any], target: Path) -> bool:
    """Run a cache write; if the cache folder is unwritable or full, warn once and carry on.

    A cache only saves time, so a read-only, full or missing cache folder must never stop a
    run: the result is simply not kept.  Returns True when the entry was written.
    """
    try:
        write()
    except OSError as exc:  # OutputError (full disk, read-only, permission) is an OSError too
        folder = str(Path(target).parent)
        if folder not in _WARNED:
            _WARNED.add(folder)
            logger.warning("cache folder %s cannot be written (%s); continuing without caching (set "
                           "GEO_CACHE_DIR to a writable folder to speed up later runs)", folder,
                           getattr(exc, "strerror", None) or str(exc).split(":")[-1].strip())
        return False
    return True


def cache_write_text(text: str, target: Path) -> bool:
    """:func:`atomic_write_text` for cache entries (see :func:`cache_write`)."""
    return cache_write(lambda: atomic_write_text(text, target), target)


def atomic_write_parquet(df: pd.DataFrame, target: Path) -> bool:
    """Write a DataFrame to a parquet cache entry atomically (warning, not failing, when it cannot)."""
    def write() -> None:
        with atomic_path(target) as tmp:
            df.to_parquet(tmp)

    return cache_write(write, target)


def read_parquet_or_none(path: Path) -> pd.DataFrame | None:
    """Read a cached parquet file; a missing one gives None, a corrupt one is removed and gives None."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        return pd.read_parquet(path)
    except Exception:  # pyarrow raises ArrowInvalid/OSError on corruption
        logger.warning("cache entry %s is corrupt; removing it and rebuilding", path)
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass
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
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass
    logger.info("cache miss %s", path.name)
    arrays = build()

    def write() -> None:
        with atomic_path(path) as tmp, tmp.open("wb") as fh:
            np.savez(fh, **arrays)

    cache_write(write, path)
    return arrays
