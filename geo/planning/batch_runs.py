"""Batch runs as one object: start a run of a :class:`~geo.planning.batch.BatchJob`, find the latest, compare two.

:class:`BatchRuns` is what ``geo batch`` and the atlas's national view use, and what a notebook
user would want; it hands off to :mod:`geo.planning.batch_run` (running, resuming, the run
folders under ``Settings.cache_dir/batch``) and :mod:`geo.planning.batch_manifest` (comparing
two runs).  The national report of a run is :func:`geo.outputs.batch_report.write_national_report`
(``geo.batch_report``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from geo.config import Settings
    from geo.planning.batch import BatchJob
    from geo.planning.batch_run import BatchResult
    from geo.progress import ProgressFn


@dataclass(frozen=True)
class BatchRuns:
    """The batch runs of ``settings`` (run folders under ``Settings.cache_dir/batch`` unless told otherwise)."""

    settings: Settings

    def run(self, job: BatchJob, *, out_dir: str | Path | None = None, scheduler: str = "local",
            n_workers: int | None = None, resume: bool = False, retries: int = 2,
            progress: ProgressFn | None = None) -> BatchResult:
        """Run ``job``: partitions, summary and manifest into ``out_dir`` (:func:`~geo.planning.batch_run.run_batch`)."""
        from geo.planning.batch_run import run_batch

        return run_batch(job, out_dir=out_dir, settings=self.settings, scheduler=scheduler, n_workers=n_workers,
                         resume=resume, retries=retries, progress=progress)

    def latest(self, *, job: BatchJob | None = None) -> Path | None:
        """The newest run folder, optionally of one job (:func:`~geo.planning.batch_run.latest_run`)."""
        from geo.planning.batch_run import latest_run

        return latest_run(self.settings, job=job)

    @staticmethod
    def compare(run_a: str | Path, run_b: str | Path) -> dict[str, Any]:
        """What differs between two run folders: job, inputs, versions, partitions (:func:`~geo.planning.batch_manifest.compare_runs`)."""
        from geo.planning.batch_manifest import compare_runs

        return compare_runs(run_a, run_b)


__all__ = ["BatchRuns"]
