"""How CLI answers reach the user: rendered by :mod:`geo.outputs.formats`, then to stdout or a file."""

from __future__ import annotations

import sys
from pathlib import Path

from geo import formats

__all__ = ["emit"]


def emit(obj: formats.Answer, fmt: str, out: Path | None = None, *, title: str | None = None) -> None:
    """Write a frame or a dict of frames/values as table, JSON or CSV to ``out`` or stdout."""
    text = formats.render(obj, fmt, title=title)
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        formats.save(text, Path(out))
        print(f"wrote {out}", file=sys.stderr)
