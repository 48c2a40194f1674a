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

from geo import __version__
from geo._errors import GeoError

#: Command modules, in help order.
COMMAND_MODULES = (
    "data", "areas", "profile", "sites", "access", "catchments", "coverage", "gaps", "report",
    "synthetic_clients", "clients", "scenario", "closure_impact", "optimise", "hours",
    "stops_access", "transit", "batch",
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
    try:
        return int(args.func(args) or 0)
    except GeoError as exc:
        print(f"geo {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
