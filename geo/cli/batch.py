"""``geo batch``: every local authority of an area in one run, on Dask (or serially).

Examples::

    geo batch --area England --sites pharmacy,hub --modes drive,walk
    geo batch --area "East Midlands" --modes drive --scheduler tcp://10.0.0.5:8786 --out runs/em
    geo batch --area Rutland --modes transit --gtfs auto --arrive-by "Tue 12:00" --scheduler serial
    geo batch --area England --modes drive,walk --resume          # finish an interrupted run
    geo batch --compare RUN_A RUN_B                              # what changed between two runs
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo import TravelMode
from geo.cli._options import add_format_options, progress_from_args, settings_from_args
from geo.cli._output import emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("batch", help="every local authority of an area (or England) in one run, on Dask")
    p.add_argument("--area", default="England",
                   help="England (default), a region, county or ICB, or LADs separated by ';' -- one task per LAD")
    p.add_argument("--sites", default=None, help="site types or services, comma separated (default: hub)")
    p.add_argument("--extra-sites", action="append", type=Path, default=[], help="your own sites file(s)")
    p.add_argument("--modes", default="drive", help=f"travel modes, comma separated: {','.join(TravelMode)}")
    p.add_argument("--method", choices=["auto", "network", "estimate"], default=None,
                   help="auto (roads where an extract covers the authority, else the labelled estimate)")
    p.add_argument("--network", default=None, help="an .osm.pbf extract (default: the bundle's extracts)")
    p.add_argument("--threshold", default=None, help="thresholds in minutes, e.g. 15,30,45 (default Settings)")
    p.add_argument("--buffer-km", type=float, default=None,
                   help="sites this far beyond each authority's border also count (default 15 km)")
    p.add_argument("--gtfs", default=None,
                   help="--modes transit: a GTFS zip, or 'auto' = the Bus Open Data Service region(s) of the area")
    p.add_argument("--arrive-by", default=None, help='transit: arrive by, e.g. "Tue 12:00"')
    p.add_argument("--depart-at", default=None, help='transit: depart at, e.g. "Tue 10:00"')
    p.add_argument("--window-minutes", type=float, default=120.0, help="transit: departure window")
    p.add_argument("--step-minutes", type=float, default=15.0, help="transit: step within the window")
    p.add_argument("--statistic", choices=["median", "worst", "best"], default="median",
                   help="transit: which time across the window")
    p.add_argument("--scheduler", default="local",
                   help="local (a LocalCluster, processes = cores; default), serial, or tcp://HOST:8786")
    p.add_argument("--workers", type=int, default=None, help="LocalCluster workers (default: cores)")
    p.add_argument("--retries", type=int, default=2, help="re-runs of a task whose worker died (default 2)")
    p.add_argument("--resume", action="store_true", help="skip authorities already written by this job")
    p.add_argument("--run-dir", type=Path, default=None,
                   help="output folder (default: <cache>/batch/<time>-<job>; with --resume the latest run)")
    p.add_argument("--no-report", action="store_true", help="skip the HTML national report")
    p.add_argument("--compare", nargs=2, metavar=("RUN_A", "RUN_B"), type=Path, default=None,
                   help="compare two run folders (job, inputs, versions, partitions) and exit")
    add_format_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run (or compare) batches; the summary table goes to stdout, files into the run folder."""
    from geo import BatchJob, BatchRuns, Method, TransitOptions, parse_site_types, parse_thresholds

    if args.compare:
        diff = BatchRuns.compare(*args.compare)
        emit(diff, args.format, args.out, title=f"{args.compare[0].name} vs {args.compare[1].name}")
        return 0 if diff["identical"] else 1
    s = settings_from_args(args)
    transit = None
    if "transit" in args.modes:
        transit = TransitOptions(gtfs=None if args.gtfs is None else str(args.gtfs),
                                 arrive_by=args.arrive_by if args.depart_at is None else None,
                                 depart_at=args.depart_at, window_minutes=args.window_minutes,
                                 step_minutes=args.step_minutes, statistic=args.statistic)
    job = BatchJob.parse(area=args.area, services=parse_site_types(args.sites) if args.sites else None,
                         modes=args.modes, method=args.method,
                         thresholds_minutes=parse_thresholds(args.threshold) if args.threshold else None,
                         buffer_km=args.buffer_km, network=args.network, transit=transit,
                         extra_sites=tuple(str(p) for p in args.extra_sites))
    result = BatchRuns(s).run(job, out_dir=args.run_dir, scheduler=args.scheduler, n_workers=args.workers,
                              resume=args.resume, retries=args.retries,
                              progress=progress_from_args(args, desc="authorities"))
    for mode in job.modes:
        col = f"method_{mode.value}"
        if col in result.summary.columns:
            kinds = sorted({Method.of_result(m).label for m in result.summary[col].dropna()})
            print(f"{mode.label} times: {'; '.join(kinds)}", file=sys.stderr)
    if not args.no_report:
        from geo import batch_report

        batch_report.write_national_report(result.out_dir, settings=s)
    print(f"batch {job.key}: {len(result.computed)} authorities computed, {len(result.skipped)} resumed, "
          f"{result.seconds:.1f} s -> {result.out_dir}", file=sys.stderr)
    emit(result.summary, args.format, args.out, title=f"Batch {job.area}: one row per local authority")
    return 0
