"""Checks of the file paths a CLI user gives for output (``--out``, ``--gpkg``, ``--csv``, ``--save``).

A path that would overwrite one of the command's own input files, is not a plain file, or lies
where nothing can be written is refused before any work starts, with one line naming the option,
the path and the fix.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from geo import OutputError

#: Places no output may go.
_SYSTEM_DIRS = ("/proc", "/sys", "/dev")


def check_output_path(target: Path, *, inputs: Iterable[Path] = (), what: str = "--out") -> Path:
    """Refuse an output path that would destroy an input or is not a plain file.

    Raises :class:`~geo._errors.OutputError` (one line, naming the path and the fix) when the
    path is one of ``inputs`` (the client extract, ``--extra-sites`` ...), an existing directory,
    symlink, FIFO, socket or device, lies under a file or in ``/proc``, ``/sys`` or ``/dev``,
    or its folder is read-only.
    """
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


__all__ = ["check_output_path"]
