"""Scenario files: read and write a :class:`~geo.planning.scenario_schema.Scenario` as versioned JSON.

:func:`save_scenario` writes atomically (temp file + rename); :func:`load_scenario` refuses a
file that is too big or too deeply nested before parsing it, then checks it against the one
schema (:meth:`Scenario.from_dict <geo.planning.scenario_schema.Scenario.from_dict>`), naming
the file and field of any problem.  Applying and evaluating scenarios is
:mod:`geo.planning.scenarios`.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from geo._errors import InputError
from geo.cache import atomic_write_text
from geo.planning.scenario_schema import Scenario

logger = logging.getLogger(__name__)

#: Limits checked on the text before parsing, so a hostile file cannot exhaust the parser.
MAX_FILE_CHARS = 5_000_000
MAX_NESTING = 32


def save_scenario(scenario: Scenario, path: str | Path) -> Path:
    """Write ``scenario`` as JSON (atomically) and return the path."""
    p = Path(path)
    atomic_write_text(json.dumps(scenario.to_dict(), indent=2, ensure_ascii=False) + "\n", p)
    logger.info("saved scenario %r (%d changes) to %s", scenario.name, len(scenario.changes), p)
    return p


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario JSON file; a missing, corrupt or invalid file raises :class:`InputError`."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        msg = f"scenario file {p} not found"
        raise InputError(msg) from exc
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"scenario file {p} cannot be read ({type(exc).__name__}); save it again as UTF-8 JSON"
        raise InputError(msg) from exc
    if len(text) > MAX_FILE_CHARS:
        msg = f"scenario file {p} is over {MAX_FILE_CHARS // 1_000_000} MB; a scenario holds a few changes"
        raise InputError(msg)
    depth = nesting_depth(text)
    if depth > MAX_NESTING:
        msg = (f"scenario file {p} is nested {depth} levels deep (at most {MAX_NESTING}); it is not a "
               "scenario saved by geo; check you chose the right file")
        raise InputError(msg)
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno}: {exc.msg})" if isinstance(exc, json.JSONDecodeError) else ""
        msg = f"scenario file {p} is not valid JSON{where}; save it again from geo or fix the JSON"
        raise InputError(msg) from exc
    return Scenario.from_dict(data, source=f"scenario file {p}")


def nesting_depth(text: str) -> int:
    """Deepest ``[``/``{`` nesting of JSON text (strings skipped), without parsing it."""
    depth = best = 0
    in_str = esc = False
    for ch in text:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            best = max(best, depth)
        elif ch in "]}":
            depth -= 1
    return best


__all__ = ["MAX_FILE_CHARS", "MAX_NESTING", "load_scenario", "nesting_depth", "save_scenario"]
