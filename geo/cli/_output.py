"""How CLI answers reach the user: rendered by :mod:`geo.outputs.formats`, then to stdout or a file."""

from __future__ import annotations

import sys
from pathlib import Path

from geo import FORMATS, POINT_FORMATS, Answer, atomic_write_text
from geo import render_answer as render

__all__ = ["FORMATS", "POINT_FORMATS", "emit"]


def emit(obj: Answer, fmt: str, out: Path | None = None, *, title: str | None = None) -> None:
    """Write a frame or a dict of frames/values as table, JSON or CSV to ``out`` or stdout."""
    text = render(obj, fmt, title=title)
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        atomic_write_text(text, Path(out))
        print(f"wrote {out}", file=sys.stderr)
