"""National batch runs, part 2: plan the tasks, run them on Dask (or serially), resume, record.

:func:`run_batch` splits a :class:`~geo.planning.batch.BatchJob` into one task per local
authority and runs them:

* ``scheduler="local"`` (default): a Dask ``LocalCluster`` of worker *processes* (one per core,
  one thread each) started for the run and closed after it;
* ``scheduler="tcp://HOST:8786"``: an existing cluster (``dask scheduler`` + ``dask worker``);
  the workers must see the same data bundle, cache and output folder paths;
* ``scheduler="serial"`` (alias ``synchronous``): in this process, one task after another --
  the reference the parallel runs must equal exactly.

Each task is submitted with ``retries`` (a worker killed mid-task has its task re-run on
another worker) and writes its partition atomically, so an interrupted run leaves only whole
partitions.  ``resume=True`` skips LADs whose marker names this job and whose partition still
has the recorded SHA-256.  The run ends by writing ``summary.csv``/``summary.parquet`` (one row
per LAD) and ``manifest.json`` (job, settings, package versions, input checksums, partition
checksums) -- :func:`compare_runs` diffs two manifests.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import platform
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from geo._errors import InputError, NetworkError
from geo.config import Settings
from geo.planning.batch import (
    BatchJob,
    LadTask,
    TransitSetup,
    marker_path,
    partition_path,
    run_lad,
    run_transit_chunk,
    settings_to_dict,
    sha256_of,
    transit_chunks,
)
from geo.progress import report
from geo.travel.modes import Method, TravelMode

if TYPE_CHECKING:
    from geo.progress import ProgressFn

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
SERIAL = ("serial", "synchronous")
#: Bundle datasets every batch reads (their checksums go in the manifest).
INPUT_DATASETS = ("lsoa_boundaries", "lad_boundaries", "lookup_geographies", "population", "centroids",
                  "imd2025", "imd2019", "lookup_lsoa11_lsoa21", "ruc", "pharmacies", "stroke_units",
                  "stroke_drive_times")


@dataclass
class BatchResult:
    """What a run did: where it wrote, how long it took, which LADs it computed or skipped."""

    out_dir: Path
    summary: pd.DataFrame
    manifest: dict[str, Any]
    computed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0


# --------------------------------------------------------------------------- planning
def job_lads(job: BatchJob, settings: Settings) -> list[str]:
    """The LAD codes the job's area covers (sorted)."""
    from geo.data.areas import select_area

    return list(select_area(job.area, settings=settings).lad_codes)


def assign_networks(lads: Sequence[str], job: BatchJob, settings: Settings) -> dict[str, dict[str, str]]:
    """``{lad: {mode: extract path}}`` for LADs an extract covers (the rule of ``network_for_area``).

    ``network="auto"``: bundled extracts covering >= 95% of a LAD's LSOA centroids; a path: that
    extract where it covers the LAD.  ``method="network"`` makes an uncovered LAD an error.
    """
    import shapely

    from geo.data.tables import load_lsoa_table
    from geo.travel.network import bundled_networks, network_hull

    road_modes = [m.value for m in job.modes if m is not TravelMode.TRANSIT]
    out: dict[str, dict[str, str]] = {lad: {} for lad in lads}
    if job.method is Method.ESTIMATE or not road_modes:
        return out
    paths = bundled_networks(settings) if job.network == "auto" else [Path(job.network)]
    table = load_lsoa_table(settings)
    table = table[table["lad24cd"].isin(list(lads))]
    for path in paths:
        try:
            hull = network_hull(Path(path), settings)
        except NetworkError as exc:
            logger.warning("skipping %s: %s", path, exc)
            continue
        inside = shapely.contains_xy(hull, table["easting"].to_numpy(float), table["northing"].to_numpy(float))
        share = pd.Series(inside, index=table.index).groupby(table["lad24cd"]).mean()
        for lad in share.index[share >= 0.95]:
            for mode in road_modes:
                out[str(lad)].setdefault(mode, str(path))
    if job.method is Method.NETWORK:
        missing = [lad for lad in lads if len(out[lad]) < len(road_modes)]
        if missing:
            msg = (f"no road network covers {len(missing)} of {len(lads)} authorities (e.g. {', '.join(missing[:3])}); "
                   "pass --network FILE.osm.pbf covering them or use --method auto (estimate where no network)")
            raise NetworkError(msg)
    return out


def plan_transit(job: BatchJob, lads: Sequence[str], settings: Settings,
                 progress: ProgressFn | None = None) -> tuple[dict[str, TransitSetup], Any]:
    """Build the Valhalla tiles once on the client: ``({lad: setup}, the client's TransitRouter)``.

    ``auto`` feeds/extracts cover every LAD; a given ``.osm.pbf`` only the LADs inside it (others say no network).
    """
    from geo.data.areas import select_area
    from geo.travel.transit import make_transit_router

    if TravelMode.TRANSIT not in job.modes:
        return {}, None
    t = job.transit
    assert t is not None and t.gtfs is not None
    covered = list(lads)
    if str(job.network).lower() not in {"auto", "none", "estimate"}:
        covered = [lad for lad, m in assign_networks(lads, BatchJob(area=job.area, modes=(TravelMode.WALK,),
                                                                    network=job.network), settings).items() if m]
        if not covered:
            return {}, None  # no LAD inside the extract: every row says no public-transport network
    area = select_area(";".join(covered), settings=settings)
    router = make_transit_router(area=area, settings=settings, network=job.network, progress=progress, gtfs=t.gtfs,
                                 arrive_by=t.arrive_by, depart_at=t.depart_at, window_minutes=t.window_minutes,
                                 step_minutes=t.step_minutes, statistic=t.statistic, network_buffer_km=job.buffer_km)
    setup = TransitSetup(tiles_folder=str(router.tiles.folder), when=router.when.isoformat(),
                         arrive_by=router.arrive_by, window_minutes=t.window_minutes, step_minutes=t.step_minutes,
                         statistic=router.statistic, horizon_minutes=router.horizon_minutes, label=router.label)
    return dict.fromkeys(covered, setup), router


def default_out_dir(job: BatchJob, settings: Settings) -> Path:
    """``<cache>/batch/<UTC time>-<job key>``."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(settings.cache_dir) / "batch" / f"{stamp}-{job.key[:8]}"


def latest_run(settings: Settings, *, job: BatchJob | None = None) -> Path | None:
    """The newest run folder under the cache (with a manifest or markers), optionally of one job."""
    root = Path(settings.cache_dir) / "batch"
    if not root.is_dir():
        return None
    runs = sorted((p for p in root.iterdir() if p.is_dir() and (p / "lads").is_dir()), reverse=True)
    for run in runs:
        if job is None or run.name.endswith(job.key[:8]):
            return run
    return None


def finished_lads(out_dir: Path, job: BatchJob, lads: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Markers of LADs already written for this job whose partition still has its checksum."""
    done: dict[str, dict[str, Any]] = {}
    for lad in lads:
        mpath, ppath = marker_path(out_dir, lad), partition_path(out_dir, lad)
        if not (mpath.is_file() and ppath.is_file()):
            continue
        try:
            marker = json.loads(mpath.read_text())
        except (OSError, ValueError):
            continue
        if marker.get("job_key") == job.key and marker.get("sha256") == sha256_of(ppath):
            done[lad] = marker
        else:
            logger.info("LAD %s: partition does not match this job or its checksum; recomputing", lad)
    return done


# --------------------------------------------------------------------------- running
def _client(scheduler: str, n_workers: int | None) -> tuple[Any, Any]:
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        msg = "parallel batches need dask[distributed]: pip install 'geo-access[batch]' (or use --scheduler serial)"
        raise InputError(msg) from exc
    if scheduler == "local":
        workers = n_workers or os.cpu_count() or 1
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.WARNING)
        return Client(cluster), cluster
    if scheduler.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
        return Client(scheduler), None
    msg = f"unknown --scheduler {scheduler!r}; use local, serial or tcp://HOST:8786"
    raise InputError(msg)


def run_tasks(tasks: Sequence[LadTask], n_lsoas: dict[str, int], *, scheduler: str = "local",
              n_workers: int | None = None, retries: int = 2, client: Any = None,
              progress: ProgressFn | None = None,
              on_done: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """Run LAD tasks (and their public-transport chunks); return the markers in task order.

    ``client`` reuses an existing ``distributed.Client`` (tests, benchmarks).
    """
    total = len(tasks)
    out: dict[str, dict[str, Any]] = {}
    if scheduler in SERIAL and client is None:
        for i, task in enumerate(tasks):
            parts = [run_transit_chunk(c) for c in transit_chunks(task, n_lsoas[task.lad24cd])]
            out[task.lad24cd] = run_lad(task, *parts)
            if on_done:
                on_done(out[task.lad24cd])
            report(progress, i + 1, total, f"LAD {task.lad24cd}")
        return [out[t.lad24cd] for t in tasks]
    from distributed import as_completed

    own = client is None
    cluster = None
    if own:
        client, cluster = _client(scheduler, n_workers)
    run_id = uuid.uuid4().hex[:8]  # keys unique per run: a second run never gets the first's results
    try:
        futures = []
        for task in tasks:
            chunks = [client.submit(run_transit_chunk, c, retries=retries, pure=False,
                                    key=f"transit-{c.lad24cd}-{c.start}-{run_id}")
                      for c in transit_chunks(task, n_lsoas[task.lad24cd])]
            futures.append(client.submit(run_lad, task, *chunks, retries=retries, pure=False,
                                         key=f"lad-{task.lad24cd}-{run_id}"))
        for i, fut in enumerate(as_completed(futures)):
            marker = fut.result()
            out[marker["lad24cd"]] = marker
            if on_done:
                on_done(marker)
            report(progress, i + 1, total, f"LAD {marker['lad24cd']}")
    finally:
        if own:
            client.close()
            if cluster is not None:
                cluster.close()
    return [out[t.lad24cd] for t in tasks]


def run_batch(job: BatchJob, *, out_dir: str | Path | None = None, settings: Settings | None = None,
              scheduler: str = "local", n_workers: int | None = None, resume: bool = False,
              retries: int = 2, lads: Sequence[str] | None = None, client: Any = None,
              progress: ProgressFn | None = None) -> BatchResult:
    """Run a national batch; write partitions, the summary and the manifest into ``out_dir``.

    Parameters
    ----------
    job : what to compute.
    out_dir : output folder (default ``<cache>/batch/<time>-<job key>``; with ``resume`` the
        latest run of the same job).
    scheduler : ``local`` (LocalCluster, processes = cores), ``serial``, or ``tcp://HOST:8786``.
    n_workers : LocalCluster size (default: cores).
    resume : skip LADs already written by this job (checked by checksum).
    retries : times a task is re-run after its worker dies.
    lads : a subset of the job's LADs (tests, benchmarks).
    client : an existing ``distributed.Client``.
    """
    start = time.perf_counter()
    s = settings if settings is not None else Settings.from_env()
    all_lads = job_lads(job, s)
    if lads is not None:
        unknown = sorted(set(lads) - set(all_lads))
        if unknown:
            msg = f"LAD(s) {', '.join(unknown[:5])} are not in {job.area}; choose LADs of the job's area"
            raise InputError(msg)
        all_lads = sorted(lads)
    if out_dir is None and resume:
        out_dir = latest_run(s, job=job)
    target = Path(out_dir) if out_dir is not None else default_out_dir(job, s)
    (target / "lads").mkdir(parents=True, exist_ok=True)
    done = finished_lads(target, job, all_lads) if resume else {}
    todo = [lad for lad in all_lads if lad not in done]
    logger.info("batch %s: %d authorities, %d already written, %d to run on %s", job.key, len(all_lads),
                len(done), len(todo), scheduler)
    from geo.data.tables import load_lsoa_table

    counts = load_lsoa_table(s)["lad24cd"].value_counts()
    networks = assign_networks(todo, job, s)
    setups, _ = plan_transit(job, todo, s, progress=progress) if todo else ({}, None)
    settings_json = json.dumps(settings_to_dict(s), sort_keys=True)
    tasks = [LadTask(lad, job, settings_json, str(target), tuple(sorted(networks[lad].items())), setups.get(lad))
             for lad in todo]
    markers = run_tasks(tasks, {lad: int(counts.get(lad, 0)) for lad in todo}, scheduler=scheduler,
                        n_workers=n_workers, retries=retries, client=client, progress=progress)
    every = {**done, **{m["lad24cd"]: m for m in markers}}
    summary = pd.DataFrame([every[lad]["summary"] for lad in all_lads])
    summary = summary.drop(columns=["seconds"], errors="ignore").set_index("lad24cd").sort_index()
    from geo.cache import atomic_path, atomic_write_text

    with atomic_path(target / "summary.parquet") as tmp:
        summary.to_parquet(tmp)
    atomic_write_text(summary.to_csv(float_format="%.6g"), target / "summary.csv")
    seconds = time.perf_counter() - start
    manifest = build_manifest(job, s, every, all_lads, scheduler=scheduler, seconds=seconds,
                              n_workers=n_workers, computed=len(todo))
    atomic_write_text(json.dumps(manifest, indent=2, default=str), target / MANIFEST)
    return BatchResult(out_dir=target, summary=summary, manifest=manifest, computed=todo,
                       skipped=sorted(done), seconds=seconds)


# --------------------------------------------------------------------------- manifest
def package_versions() -> dict[str, str]:
    """Versions of the packages a result depends on."""
    from importlib import metadata

    from geo import __version__

    out = {"geo": __version__, "python": platform.python_version()}
    for pkg in ("numpy", "pandas", "scipy", "geopandas", "shapely", "pyproj", "pyarrow", "dask", "distributed",
                "pyvalhalla"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            continue
    return out


def input_checksums(job: BatchJob, settings: Settings, networks: Sequence[str] = ()) -> dict[str, dict[str, str]]:
    """SHA-256 of every input file the job read (bundle datasets, seed sites, extracts, feed, user sites)."""
    from geo.data.loaders import dataset_path
    from geo.data.sites import SEED_FILE

    files: dict[str, Path] = {key: dataset_path(key, settings) for key in INPUT_DATASETS}
    files["seed_sites"] = Path(settings.sites_dir) / SEED_FILE
    for p in networks:
        files[f"network:{Path(p).name}"] = Path(p)
    if job.transit is not None and job.transit.gtfs:
        from geo.data.areas import select_area
        from geo.travel.transit import resolve_feeds

        km = settings.cross_border_buffer_km if job.buffer_km is None else job.buffer_km
        for feed in resolve_feeds(job.transit.gtfs, select_area(job.area, settings=settings), settings, buffer_km=km):
            files[f"gtfs:{feed.name}"] = feed
    for p in job.extra_sites:
        files[f"extra_sites:{Path(p).name}"] = Path(p)
    return {k: {"path": str(p), "sha256": sha256_of(p) if p.is_file() else "missing"} for k, p in files.items()}


def build_manifest(job: BatchJob, settings: Settings, markers: dict[str, dict[str, Any]], lads: Sequence[str], *,
                   scheduler: str, seconds: float, n_workers: int | None, computed: int) -> dict[str, Any]:
    """The run record: enough to tell whether two runs used the same inputs and gave the same answers."""
    networks = sorted({p for lad in lads for p in _networks_of(markers[lad])})
    return {
        "format": 1,
        "job": job.to_dict(),
        "job_key": job.key,
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seconds": round(seconds, 2),
        "scheduler": scheduler if scheduler != "local" else f"local ({n_workers or os.cpu_count()} workers)",
        "computed": computed,
        "settings": settings_to_dict(settings),
        "versions": package_versions(),
        "inputs": input_checksums(job, settings, networks),
        "lads": {lad: {"sha256": markers[lad]["sha256"], "rows": markers[lad]["rows"],
                       **{k: v for k, v in markers[lad]["summary"].items() if k.startswith("method_")}}
                 for lad in lads},
    }


def _networks_of(marker: dict[str, Any]) -> list[str]:
    return [str(v) for v in marker.get("networks", {}).values()]


def read_manifest(run: str | Path) -> dict[str, Any]:
    """A run's manifest (an :class:`InputError` naming the folder when there is none)."""
    path = Path(run) / MANIFEST
    if not path.is_file():
        msg = f"{run}: no {MANIFEST}; give the folder a `geo batch` run wrote"
        raise InputError(msg)
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def compare_runs(run_a: str | Path, run_b: str | Path) -> dict[str, Any]:
    """What differs between two runs: job, settings, versions, inputs and each LAD's partition."""
    a, b = read_manifest(run_a), read_manifest(run_b)

    def diff(x: dict[str, Any], y: dict[str, Any]) -> dict[str, Any]:
        keys = sorted(set(x) | set(y))
        return {k: {"a": x.get(k), "b": y.get(k)} for k in keys if x.get(k) != y.get(k)}

    lads_a, lads_b = a.get("lads", {}), b.get("lads", {})
    same = sorted(k for k in set(lads_a) & set(lads_b) if lads_a[k]["sha256"] == lads_b[k]["sha256"])
    changed = sorted(k for k in set(lads_a) & set(lads_b) if lads_a[k]["sha256"] != lads_b[k]["sha256"])
    out: dict[str, Any] = {
        "job": diff(a["job"], b["job"]), "settings": diff(a["settings"], b["settings"]),
        "versions": diff(a["versions"], b["versions"]),
        "inputs": diff({k: v["sha256"] for k, v in a["inputs"].items()},
                       {k: v["sha256"] for k, v in b["inputs"].items()}),
        "lads_identical": len(same), "lads_changed": changed,
        "lads_only_in_a": sorted(set(lads_a) - set(lads_b)), "lads_only_in_b": sorted(set(lads_b) - set(lads_a)),
    }
    if changed:
        sa = pd.read_parquet(Path(run_a) / "summary.parquet")
        sb = pd.read_parquet(Path(run_b) / "summary.parquet")
        cols = [c for c in sa.columns if c.startswith("pct_within_") and c in sb.columns]
        delta = (sb.loc[changed, cols] - sa.loc[changed, cols]).round(2)
        out["pct_within_change"] = delta
    out["identical"] = not (out["job"] or out["inputs"] or changed or out["lads_only_in_a"] or out["lads_only_in_b"])
    return out


__all__ = ["BatchResult", "assign_networks", "build_manifest", "compare_runs", "default_out_dir",
           "finished_lads", "input_checksums", "job_lads", "latest_run", "package_versions", "plan_transit",
           "read_manifest", "run_batch", "run_tasks"]
