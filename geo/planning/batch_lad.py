"""National batch runs: one local authority computed and written.

:func:`run_lad` computes every mode of one :class:`~geo.planning.batch.LadTask` and writes its
partition (``lads/<code>.parquet``, GeoParquet, written to a temporary file and renamed into
place) and then its marker (``lads/<code>.json``: the partition's SHA-256, the job key and the
LAD's summary row, :mod:`geo.planning.batch_summary`).  A run interrupted mid-task leaves only
whole partitions; a marker whose checksum matches says the LAD is done.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo.data.sources import sha256_file
from geo.planning.batch import LadTask, settings_from_json
from geo.planning.batch_inputs import lad_study, router_for
from geo.planning.batch_summary import MODE_COLUMNS, area_row, lsoa_frame, mode_row, mode_times
from geo.planning.batch_transit import window_router
from geo.travel.modes import Method, TravelMode

if TYPE_CHECKING:
    from geo.planning.study import Study

logger = logging.getLogger(__name__)


def partition_path(out_dir: str | Path, lad24cd: str) -> Path:
    """Where a LAD's GeoParquet partition lives."""
    return Path(out_dir) / "lads" / f"{lad24cd}.parquet"


def marker_path(out_dir: str | Path, lad24cd: str) -> Path:
    """Where a LAD's completion marker lives (written after its partition)."""
    return Path(out_dir) / "lads" / f"{lad24cd}.json"


def run_lad(task: LadTask, *transit_parts: np.ndarray) -> dict[str, Any]:
    """Compute one LAD (every mode), write its partition and marker; return its summary row.

    ``transit_parts`` are the :func:`~geo.planning.batch_transit.run_transit_chunk` answers in
    :func:`~geo.planning.batch_transit.transit_chunks` order.
    """
    import geopandas as gpd

    from geo.cache import atomic_path, atomic_write_text

    t0 = time.perf_counter()
    s = settings_from_json(task.settings_json)
    job = task.job
    paths = dict(task.networks)
    base: Study | None = None
    frame: pd.DataFrame | None = None
    row: dict[str, Any] = {"lad24cd": task.lad24cd}
    for mode in job.modes:
        if mode is TravelMode.TRANSIT:
            router: Any = window_router(task, transit_parts)
        else:
            router = router_for(paths.get(mode.value), mode.value, s, job.method is not Method.NETWORK)
        study = lad_study(task.lad24cd, job, s, mode, base=base, router=router)
        if base is None:
            base = study
            frame = lsoa_frame(study)
            row.update(area_row(study))
        assert frame is not None
        times = mode_times(study, router)
        for col in MODE_COLUMNS:
            frame[f"{col}_{mode.value}"] = times[col].reindex(frame.index).to_numpy()
        row.update(mode_row(study, times, mode.value))
    assert frame is not None
    gdf = gpd.GeoDataFrame(frame.reset_index(), geometry="geometry", crs="EPSG:27700")
    target = partition_path(task.out_dir, task.lad24cd)
    with atomic_path(target) as tmp:
        gdf.to_parquet(tmp, index=False)
    digest = sha256_file(target)
    row["seconds"] = round(time.perf_counter() - t0, 3)
    marker = {"lad24cd": task.lad24cd, "job_key": job.key, "sha256": digest, "rows": len(gdf),
              "networks": dict(task.networks), "summary": row}
    atomic_write_text(json.dumps(marker, default=_json_default), marker_path(task.out_dir, task.lad24cd))
    logger.info("LAD %s: %d LSOAs, %s in %.2f s", task.lad24cd, len(gdf), ",".join(m.value for m in job.modes),
                row["seconds"])
    return marker


def _json_default(o: Any) -> Any:
    return int(o) if isinstance(o, np.integer) else (float(o) if np.isfinite(o) else None) if isinstance(
        o, np.floating) else str(o)


__all__ = ["marker_path", "partition_path", "run_lad"]
