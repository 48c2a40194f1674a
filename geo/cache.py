"""Content-addressed disk cache with atomic writes.

Keys are the SHA-256 of the inputs' digests, the parameters and the package/format version
(r5py style), so a changed source file or option never returns a stale entry.  Every write goes
to a temporary file in the same folder and is renamed into place (atomic on POSIX), so two
processes sharing a cache can never leave a half-written file; a corrupt entry is deleted and
rebuilt.  Cached objects are read-only for callers.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
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


#: Places no output may go.
_SYSTEM_DIRS = ("/proc", "/sys", "/dev")


def check_output_path(target: Path, *, inputs: Iterable[Path] = (), what: str = "--out") -> Path:
    """Refuse an output path that would destroy an input or is not a plain file.

    Raises :class:`~geo._errors.OutputError` (one line, naming the path and the fix) when the
    path is one of ``inputs`` (the client extract, ``--extra-sites`` ...), an existing directory,
    symlink, FIFO, socket or device, lies under a file or in ``/proc``, ``/sys`` or ``/dev``,
    or its folder is read-only.
    """
    from geo._errors import OutputError

    target = Path(target)
    fix = f"choose another {what} file name"
    absolute = Path(os.path.abspath(target))
    if any(str(absolute) == d or str(absolute).startswith(d + "/") for d in _SYSTEM_DIRS):
        msg = f"{what} {target}: a system folder, not a place for output files; {fix}"
        raise OutputError(msg)
    for inp in inputs:
        try:
            same = Path(inp).exists() and target.exists() and os.path.samefile(inp, target)
        except OSError:
            same = False
        if same or Path(os.path.abspath(inp)) == absolute:
            msg = f"{what} {target} is also an input file of this command (it would be overwritten); {fix}"
            raise OutputError(msg)
    if target.is_symlink():
        msg = f"{what} {target} is a symbolic link; geo writes only plain files; {fix}"
        raise OutputError(msg)
    if target.exists() and not target.is_file():
        kind = ("a folder" if target.is_dir() else "a FIFO (named pipe)" if stat.S_ISFIFO(target.stat().st_mode)
                else "not a regular file")
        msg = f"{what} {target} is {kind}; {fix}"
        raise OutputError(msg)
    parent = absolute.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        msg = f"{what} {target}: {parent} is a file, not a folder; {fix}"
        raise OutputError(msg)
    if not os.access(parent, os.W_OK | os.X_OK):
        msg = f"{what} {target}: the folder {parent} is read-only; {fix} in a folder you can write to"
        raise OutputError(msg)
    return target


def _write_error(target: Path, exc: OSError) -> Exception:
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


class OutputSet:
    """The files one command writes, staged in a temporary folder and renamed into place together.

    While a set is active (:func:`output_set`), writes through :func:`atomic_path` to one of its
    ``outputs`` go to ``.tmp-<pid>-*/`` beside the target; they replace the real files only when
    the command finishes.  An error, Ctrl-C or a kill before then changes none of them; the
    next run removes the stale folder (:func:`clean_stale_temp`).
    """

    def __init__(self, outputs: Iterable[Path]) -> None:
        self.outputs = {Path(os.path.abspath(o)) for o in outputs}
        self.staged: dict[Path, Path] = {}
        self.dirs: dict[Path, Path] = {}

    def stage(self, target: Path) -> Path | None:
        key = Path(os.path.abspath(target))
        if key not in self.outputs:
            return None
        folder = self.dirs.get(key.parent)
        if folder is None:
            key.parent.mkdir(parents=True, exist_ok=True)
            folder = Path(tempfile.mkdtemp(prefix=f".tmp-{os.getpid()}-", dir=key.parent))
            self.dirs[key.parent] = folder
        staged = folder / key.name
        self.staged[key] = staged
        return staged

    def commit(self) -> None:
        for target, staged in self.staged.items():
            if staged.exists():
                os.replace(staged, target)
                _log_output(target)
        self.discard()

    def discard(self) -> None:
        import shutil

        for folder in self.dirs.values():
            shutil.rmtree(folder, ignore_errors=True)
        self.dirs.clear()


_ACTIVE: list[OutputSet] = []


@contextmanager
def output_set(outputs: Iterable[Path]) -> Iterator[OutputSet]:
    """Stage every write to ``outputs`` and rename them into place only if the block succeeds."""
    outs = OutputSet([Path(o) for o in outputs if o is not None])
    for folder in {o.parent for o in outs.outputs}:
        clean_stale_temp(folder)
    _ACTIVE.append(outs)
    try:
        yield outs
    except BaseException:
        _ACTIVE.remove(outs)
        outs.discard()
        raise
    _ACTIVE.remove(outs)
    try:
        outs.commit()
    except OSError as exc:
        outs.discard()
        raise _write_error(next(iter(outs.outputs)), exc) from exc


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; on success rename it over ``target``.

    Inside :func:`output_set`, a target that is one of the set's outputs is staged instead and
    renamed only when the whole set is done.  OS errors (full disk, read-only folder) become a
    one-line :class:`~geo._errors.OutputError`.
    """
    target = Path(target)
    staged = _ACTIVE[-1].stage(target) if _ACTIVE else None
    if staged is not None:
        try:
            yield staged
        except OSError as exc:
            raise _write_error(target, exc) from exc
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # Keep the real suffix last (GDAL drivers and numpy look at it); the file is created empty
        # and removed first so writers that refuse to overwrite (GPKG) can create it.
        fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.tmp-{os.getpid()}-", suffix=target.suffix,
                                   dir=target.parent)
        os.close(fd)
    except OSError as exc:
        raise _write_error(target, exc) from exc
    tmp_path = Path(tmp)
    tmp_path.unlink()
    try:
        yield tmp_path
        os.replace(tmp_path, target)
        _log_output(target)
    except OSError as exc:
        raise _write_error(target, exc) from exc
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
