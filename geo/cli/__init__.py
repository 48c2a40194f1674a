"""Command-line interface: ``geo <command> ...`` (also ``python -m geo``).

Each command lives in ``geo/commands/<name>.py`` and exposes ``register(subparsers)`` which adds
its parser and sets ``func``.  Errors the user can fix (:class:`geo.GeoError`) print one clear
line and exit with status 2; nothing else is caught.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from geo import GeoError, __version__

#: Command modules, in help order.
COMMAND_MODULES = (
    "data", "areas", "profile", "sites", "access", "catchments", "coverage", "gaps", "report",
    "synthetic_clients", "clients", "scenario", "closure_impact", "optimise", "hours",
    "stops_access", "transit", "network", "batch",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (commands whose optional dependencies are missing still appear)."""
    parser = argparse.ArgumentParser(
        prog="geo", description="Drug and alcohol service access and equity analysis for England.")
    parser.add_argument("--version", action="version", version=f"geo {__version__}")
    parser.add_argument("--data-dir", help="open-data bundle folder (default: GEO_DATA_DIR, ./data, ../shared/data)")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log progress (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"geo.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``geo`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING if args.verbose == 0 else logging.INFO if args.verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for handler in logging.getLogger().handlers:
        # libraries that set their own logger levels (Dask's distributed logs at INFO) stay quiet without -v
        handler.setLevel(level)
    try:
        check_bounds(args)
        outputs = _output_paths(args)
        inputs = _input_paths(args)
        from geo import output_set
        from geo.cli._paths import check_output_path

        for name, path in outputs:
            # saving a scenario over the file it was read from is an update, not an accident
            guard = [i for i in inputs if not (name == "save" and i == getattr(args, "scenario", None))]
            check_output_path(path, inputs=guard, what=f"--{name.replace('_', '-')}")
        # every file of the command is staged and renamed into place only when it succeeds
        with output_set([p for _, p in outputs]):
            return int(args.func(args) or 0)
    except GeoError as exc:
        print(f"geo {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"geo {args.command}: interrupted; no output file was changed", file=sys.stderr)
        return 130


#: Allowed ranges of numeric options: name -> (low, high, low is exclusive, what to give).
BOUNDS: dict[str, tuple[float, float, bool, str]] = {
    "k": (1, 10_000, False, "a whole number of sites from 1"),
    "max_minutes": (0, 1440, True, "minutes above 0 and at most 1,440"),
    "threshold": (0, 600, True, "minutes above 0 and at most 600"),
    "threshold_km": (0, 500, True, "kilometres above 0 and at most 500"),
    "buffer_km": (0, 200, False, "kilometres from 0 to 200"),
    "capacity": (0, 1_000_000, False, "a number of places from 0 to 1,000,000"),
    "top": (0, 100_000, False, "a whole number from 0"),
    "window_minutes": (0, 1440, True, "minutes above 0 and at most 1,440"),
    "step_minutes": (0, 1440, True, "minutes above 0 and at most 1,440"),
    "round_to": (1, 100, False, "a whole number from 1 to 100 (e.g. 5)"),
}
MAX_AREA_CHARS = 255


def check_bounds(args: argparse.Namespace) -> None:
    """Refuse out-of-range numbers (``--k 0``, ``--max-minutes -1``, ``inf``) and over-long ``--area``."""
    import math

    from geo import InputError

    for name, (lo, hi, open_low, what) in BOUNDS.items():
        v = getattr(args, name, None)
        for x in v if isinstance(v, list | tuple) else [v]:
            if x is None or isinstance(x, bool) or not isinstance(x, int | float):
                continue
            bad = not math.isfinite(float(x)) or x > hi or (x <= lo if open_low else x < lo)
            if bad:
                msg = f"--{name.replace('_', '-')} {x:g}: give {what}"
                raise InputError(msg)
    area = getattr(args, "area", None)
    if isinstance(area, str) and len(area) > MAX_AREA_CHARS:
        msg = (f"--area is {len(area):,} characters long (at most {MAX_AREA_CHARS}); give a place name, "
               "a code, several names separated by ';', or a polygon file")
        raise InputError(msg)


#: Options that name files a command writes (``--dest`` is a folder and is handled by ``geo data``).
OUTPUT_OPTIONS = ("out", "gpkg", "csv", "save")


def _output_paths(args: argparse.Namespace) -> list[tuple[str, Path]]:
    out = [(name, Path(v)) for name in OUTPUT_OPTIONS if isinstance(v := getattr(args, name, None), Path)]
    if getattr(args, "pdf", False) and isinstance(getattr(args, "out", None), Path):
        out.append(("out", Path(args.out).with_suffix(".pdf")))
    return out


def _input_paths(args: argparse.Namespace) -> list[Path]:
    found: list[Path] = []
    for name, v in vars(args).items():
        if name in OUTPUT_OPTIONS or name == "dest":
            continue
        for item in v if isinstance(v, list | tuple) else [v]:
            if isinstance(item, Path):
                found.append(item)
    area = getattr(args, "area", None)
    if isinstance(area, str) and len(area) < 4096 and Path(area).suffix and Path(area).exists():
        found.append(Path(area))
    return found


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
