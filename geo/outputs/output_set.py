"""Atomic output sets: every file one command writes appears together, or none of them changes.

While a set is active (:func:`output_set`), each write through :func:`geo.cache.atomic_path` to
one of its ``outputs`` goes to a hidden ``.tmp-<pid>-*/`` folder beside the target; the real
files are replaced only when the block finishes.  An error, Ctrl-C or a kill before then changes
none of them, and the next run removes the stale folder (:func:`geo.cache.clean_stale_temp`).
The CLI wraps every command in one set (``--out``, ``--gpkg``, ``--csv``, ``--save`` ...).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from geo.cache import STAGERS, clean_stale_temp, record_output, write_error


class OutputSet:
    """The files one command writes, staged in a temporary folder and renamed into place together."""

    def __init__(self, outputs: Iterable[Path]) -> None:
        self.outputs = {Path(os.path.abspath(o)) for o in outputs}
        self.staged: dict[Path, Path] = {}
        self.dirs: dict[Path, Path] = {}

    def stage(self, target: Path) -> Path | None:
        """The staged path for ``target`` if it is one of the set's outputs, else None."""
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
        """Rename every staged file over its target, then remove the staging folders."""
        for target, staged in self.staged.items():
            if staged.exists():
                os.replace(staged, target)
                record_output(target)
        self.discard()

    def discard(self) -> None:
        """Remove the staging folders (nothing staged reaches its target)."""
        for folder in self.dirs.values():
            shutil.rmtree(folder, ignore_errors=True)
        self.dirs.clear()


@contextmanager
def output_set(outputs: Iterable[Path | None]) -> Iterator[OutputSet]:
    """Stage every write to ``outputs`` and rename them into place only if the block succeeds."""
    outs = OutputSet([Path(o) for o in outputs if o is not None])
    for folder in {o.parent for o in outs.outputs}:
        clean_stale_temp(folder)
    STAGERS.append(outs)
    try:
        yield outs
    except BaseException:
        STAGERS.remove(outs)
        outs.discard()
        raise
    STAGERS.remove(outs)
    try:
        outs.commit()
    except OSError as exc:
        outs.discard()
        raise write_error(next(iter(outs.outputs)), exc) from exc


__all__ = ["OutputSet", "output_set"]
