"""Core of the bad-input corpus: the :class:`Case` record and the runner that checks it.

A case builds a malformed (or awkward but valid) input in ``tmp_path`` at test time, calls one
public loader of ``geo`` and states what must happen:

* ``error`` set: a :class:`geo._errors.GeoError` subclass is raised (never a bare traceback,
  ``KeyError`` or ``UnicodeDecodeError``); its message matches ``match``, names the file or
  source (``names``), names the row for row-level problems (``row``) and carries a hint of
  what to do (``HINT``);
* ``error`` is None: the call succeeds and ``check(result)`` holds.

In both outcomes no output file may be created or left half-written: the files under
``tmp_path`` are the same before and after the call and no hidden temporary file is left in
the cache folder.  Inputs derived from the real bundle are generated into ``tmp_path`` only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo._errors import GeoError
from geo.config import Settings

#: Words that show a message tells the user what to do next.
HINT = re.compile(
    r"(?i)\b(use|save|give|add|fix|check|split|export|set|run|make|rename|draw|open|pass|"
    r"did you mean|replace|point|put|choose|filter|simplify|remove|download|copy|convert|"
    r"unzip|include|send|try|move|swap|re-download|re-export|select|list|correct)\b"
)


@dataclass(frozen=True)
class Case:
    """One corpus entry (see the module docstring)."""

    id: str
    build: Callable[[Path], Any]
    call: Callable[[Any, Settings, Path], Any]
    error: type[GeoError] | None
    match: str = ""
    names: str | None = None  # text the message must contain (file name / source / spec)
    row: int | None = None  # row number the message must name
    check: Callable[[Any], None] | None = None
    category: str = ""
    needs_bundle: bool = True
    #: Known defect in a module this corpus may not edit: reason (the case runs as strict xfail).
    xfail: str = ""

    def __str__(self) -> str:  # pragma: no cover - shown in pytest ids
        return self.id


def _snapshot(root: Path) -> set[tuple[str, int]]:
    return {(str(p.relative_to(root)), p.stat().st_size if p.is_file() else -1) for p in root.rglob("*")}


def run_case(case: Case, tmp_path: Path, settings: Settings) -> None:
    """Build the input, call the loader and assert the case's contract."""
    import pytest

    work = tmp_path / "in"
    work.mkdir()
    arg = case.build(work)
    before = _snapshot(tmp_path)
    cache_before = set(Path(settings.cache_dir).rglob("*")) if Path(settings.cache_dir).exists() else set()
    if case.error is None:
        result = case.call(arg, settings, work)
        if case.check is not None:
            case.check(result)
    else:
        try:
            case.call(arg, settings, work)
        except GeoError as exc:
            msg = str(exc)
            assert isinstance(exc, case.error), f"{case.id}: expected {case.error.__name__}, got {type(exc).__name__}: {msg}"
            assert re.search(case.match, msg, flags=re.IGNORECASE | re.DOTALL), (
                f"{case.id}: message does not match {case.match!r}:\n{msg}")
            if case.names:
                assert case.names in msg, f"{case.id}: message does not name {case.names!r}:\n{msg}"
            if case.row is not None:
                assert re.search(rf"\brows? \[?{case.row}\b", msg), f"{case.id}: message does not name row {case.row}:\n{msg}"
            assert HINT.search(msg), f"{case.id}: message has no hint of what to do:\n{msg}"
        except Exception as exc:
            pytest.fail(f"{case.id}: raised {type(exc).__name__} (not a GeoError): {exc}")
        else:
            pytest.fail(f"{case.id}: accepted bad input, expected {case.error.__name__}")
    after = _snapshot(tmp_path)
    assert after == before, f"{case.id}: files changed: {sorted(after ^ before)}"
    if Path(settings.cache_dir).exists():
        leftovers = [p for p in Path(settings.cache_dir).rglob(".*") if ".tmp" in p.name and p not in cache_before]
        assert not leftovers, f"{case.id}: temporary files left in the cache: {leftovers}"


# -- builders ---------------------------------------------------------------------------------

def write(name: str, data: bytes | str, encoding: str = "utf-8") -> Callable[[Path], Path]:
    """Builder writing ``data`` to ``tmp/name``."""
    def build(tmp: Path) -> Path:
        p = tmp / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
        return p
    return build


def forge_zip_sizes(data: bytes, size: int = 0xFFFF_FFF0) -> bytes:
    """Rewrite every central-directory entry to claim ``size`` uncompressed bytes (a forged bomb)."""
    import struct

    out = bytearray(data)
    i = out.find(b"PK\x01\x02")
    while i != -1:
        struct.pack_into("<I", out, i + 24, size)
        i = out.find(b"PK\x01\x02", i + 4)
    return bytes(out)


def csv_text(header: list[str], rows: list[list[str]], *, eol: str = "\n") -> str:
    """Join a header and rows into CSV text (values are written as given)."""
    lines = [",".join(header), *[",".join(r) for r in rows]]
    return eol.join(lines) + eol
