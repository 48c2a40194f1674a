"""National batch runs: plan the tasks, run them on Dask (or serially), resume, write the summary.

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
per LAD) and the manifest (:mod:`geo.planning.batch_manifest`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from geo._errors import InputError
from geo.config import Settings
from geo.data.sources import sha256_file
from geo.planning.batch import BatchJob, LadTask, settings_to_dict
from geo.planning.batch_inputs import assign_networks
from geo.planning.batch_lad import marker_path, partition_path, run_lad
from geo.planning.batch_manifest import MANIFEST, build_manifest
from geo.planning.batch_transit import plan_transit, run_transit_chunk, transit_chunks
from geo.progress import report

if TYPE_CHECKING:
    from geo.progress import ProgressFn

logger = logging.getLogger(__name__)

SERIAL = ("serial", "synchronous")


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
        if marker.get("job_key") == job.key and marker.get("sha256") == sha256_file(ppath):
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


__all__ = ["BatchResult", "default_out_dir", "finished_lads", "job_lads", "latest_run", "run_batch", "run_tasks"]
