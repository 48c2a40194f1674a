"""``geo data status|fetch|sources``: what data is found, where, and whether it is intact."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from geo import DataBundle, DataSourceError
from geo.cli._options import add_format_options
from geo.cli._output import emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="data status, sources and download")
    dsub = p.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    st = dsub.add_parser("status", help="each dataset: found or missing, path, rows, checksum")
    st.add_argument("--no-checksum", action="store_true", help="skip SHA-256 checks (faster)")
    add_format_options(st)
    st.set_defaults(func=run_status)
    f = dsub.add_parser("fetch", help="download the bundle from a mirror (checksums verified)")
    f.add_argument("--dataset", action="append", help="only these dataset keys (repeatable)")
    f.add_argument("--base-url", help="bundle mirror URL (default: GEO_DATA_URL)")
    f.add_argument("--dest", type=Path, help="folder to download into (default: the data directory)")
    f.set_defaults(func=run_fetch)
    so = dsub.add_parser("sources", help="publisher, licence, vintage and URL of every dataset")
    add_format_options(so)
    so.set_defaults(func=run_sources)


def status_table(data_dir: Path, *, checksum: bool = True) -> pd.DataFrame:
    """The bundle's status table (kept for the tests that import it from here)."""
    return DataBundle(data_dir).status(checksum=checksum)


def run_status(args: argparse.Namespace) -> int:
    data_dir = DataBundle.find(args.data_dir).folder
    table = status_table(data_dir, checksum=not args.no_checksum)
    emit(table, args.format, args.out, title=f"Data directory: {data_dir}")
    bad = (table["status"] != "found") | (table["checksum"] == "MISMATCH") | (table["error"] != "")
    return 1 if bad.any() else 0


def run_fetch(args: argparse.Namespace) -> int:
    try:
        dest = args.dest or DataBundle.find(args.data_dir).folder
    except DataSourceError:
        dest = Path("data")
    keys = args.dataset or list(DataBundle.DATASETS)
    bundle = DataBundle(dest)
    for key in keys:
        bundle.fetch(key, base_url=args.base_url)
    return 0


def run_sources(args: argparse.Namespace) -> int:
    rows = [{"dataset": d.key, "title": d.title, "publisher": d.publisher, "licence": d.licence,
             "vintage": d.vintage, "url": d.url, "file": d.relpath} for d in DataBundle.DATASETS.values()]
    rows += [{"dataset": k, "title": v["title"], "publisher": v["publisher"], "licence": v["licence"],
              "vintage": "latest", "url": v["url"], "file": "(fetch yourself) " + v["note"]}
             for k, v in DataBundle.EXTRA_SOURCES.items()]
    emit(pd.DataFrame(rows).set_index("dataset"), args.format, args.out)
    return 0
