"""The audit log: one JSON line per action, rotated by size, safe to hand to a log shipper.

Each line (``AuditLog.write``) has ``ts`` (UTC, ISO 8601), ``event`` and ``outcome`` plus any of
:data:`FIELDS`: who (``user``, ``role``), where (``view``, ``area``), what file (``file_kind``,
``rows``, ``sha256``), and the ``session``/``replica``/``ip`` it came from.  The writer enforces the
privacy rules itself, whatever the caller passes:

* only the fields in :data:`FIELDS` are kept; text is one line of at most 200 characters;
* anything shaped like a UK postcode is replaced by ``[postcode removed]``;
* ``rows`` is rounded to the nearest 5 (as the Clients view publishes it) and a count under 5
  becomes ``"fewer than 5"``; no other number from a client file is ever written.

Several replicas write the same file: each line is appended under an exclusive ``flock`` on a
lock file beside it, and rotation (``audit.jsonl`` -> ``audit.jsonl.1`` ... ``.N``) happens under
the same lock, so no line is lost or torn.  ``AuditLog.read`` returns the newest lines first.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:  # POSIX; elsewhere the lines are still appended, without the cross-process lock
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

#: The fields an audit line may carry (besides ``ts``, ``event`` and ``outcome``).
FIELDS = ("user", "role", "view", "area", "file_kind", "rows", "sha256", "detail", "session", "replica", "ip")
EVENTS = ("sign-in", "sign-in-refused", "sign-in-expired", "session-start", "sign-out", "upload", "view",
          "download", "scenario", "refused")
MAX_TEXT = 200
#: UK postcodes (full or outward + inward with or without the space), case-insensitive.
POSTCODE_RE = re.compile(r"\b(?:GIR ?0AA|[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2})\b", re.IGNORECASE)
SMALL = 5


def safe_rows(n: int | None) -> int | str | None:
    """A row count as the audit log may hold it: rounded to 5, or ``"fewer than 5"``."""
    if n is None:
        return None
    n = int(n)
    if n < SMALL:
        return "fewer than 5"
    return max(SMALL, 5 * round(n / 5))


def _clean(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    text = " ".join(str(value).split())[:MAX_TEXT]
    return POSTCODE_RE.sub("[postcode removed]", text)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def make_record(event: str, outcome: str = "ok", **fields: Any) -> dict[str, Any]:
    """One audit line as a dict, with the privacy rules of the module docstring applied."""
    if event not in EVENTS:
        msg = f"unknown audit event {event!r}; add it to atlas.team.audit.EVENTS"
        raise ValueError(msg)
    unknown = set(fields) - set(FIELDS)
    if unknown:
        msg = f"audit fields {sorted(unknown)} are not allowed (allowed: {', '.join(FIELDS)})"
        raise ValueError(msg)
    rec: dict[str, Any] = {"ts": _now(), "event": event, "outcome": _clean(outcome)}
    for key in FIELDS:
        value = fields.get(key)
        if value is None:
            continue
        if key == "rows":
            rec[key] = safe_rows(value)
        elif key == "sha256":
            text = str(value).lower()
            rec[key] = text if re.fullmatch(r"[0-9a-f]{64}", text) else None
        else:
            rec[key] = _clean(value)
    return {k: v for k, v in rec.items() if v is not None}


@dataclass(frozen=True)
class AuditLog:
    """The JSON-lines audit file at ``path``, rotated at ``max_bytes`` keeping ``backups`` old files."""

    path: Path
    max_bytes: int = 10 * 1024 * 1024
    backups: int = 10

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    def files(self) -> list[Path]:
        """The current file then the rotated ones (newest first), those that exist."""
        names = [self.path, *(self.path.with_name(f"{self.path.name}.{i}") for i in range(1, self.backups + 1))]
        return [p for p in names if p.is_file()]

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
        fd = os.open(self.lock_path, os.O_WRONLY | os.O_CREAT, 0o640)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _rotate(self) -> None:
        oldest = self.path.with_name(f"{self.path.name}.{self.backups}")
        with contextlib.suppress(FileNotFoundError):
            oldest.unlink()
        for i in range(self.backups - 1, 0, -1):
            src = self.path.with_name(f"{self.path.name}.{i}")
            if src.exists():
                src.rename(self.path.with_name(f"{self.path.name}.{i + 1}"))
        if self.backups > 0:
            self.path.rename(self.path.with_name(f"{self.path.name}.1"))
        else:
            self.path.unlink()

    def write(self, event: str, outcome: str = "ok", **fields: Any) -> dict[str, Any]:
        """Append one line (see :func:`make_record`); returns the record written."""
        rec = make_record(event, outcome, **fields)
        with self._locked():
            rec["ts"] = _now()  # stamped under the lock, so the file is in time order across replicas
            line = (json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
            with contextlib.suppress(FileNotFoundError):
                if self.path.stat().st_size + len(line) > self.max_bytes:
                    self._rotate()
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        return rec

    def read(self, limit: int = 1000) -> list[dict[str, Any]]:
        """The newest ``limit`` lines, newest first (unparseable lines are returned as ``{"bad_line": n}``)."""
        out: list[dict[str, Any]] = []
        for path in self.files():
            try:
                lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                continue
            for n, line in enumerate(reversed(lines)):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                    out.append(rec if isinstance(rec, dict) else {"bad_line": len(lines) - n, "file": path.name})
                except ValueError:
                    out.append({"bad_line": len(lines) - n, "file": path.name})
                if len(out) >= limit:
                    return out
        return out
