"""National batch runs: the run record (``manifest.json``) and comparing two runs.

A run ends by writing its manifest: the job, settings, package versions, input checksums
(bundle datasets, seed sites, extracts, feeds, user sites) and every partition's checksum and
method -- enough to tell whether two runs used the same inputs and gave the same answers.
:func:`compare_runs` diffs two manifests.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from geo._errors import InputError
from geo.config import Settings
from geo.data.sources import sha256_file
from geo.planning.batch import BatchJob, settings_to_dict

MANIFEST = "manifest.json"
#: Bundle datasets every batch reads (their checksums go in the manifest).
INPUT_DATASETS = ("lsoa_boundaries", "lad_boundaries", "lookup_geographies", "population", "centroids",
                  "imd2025", "imd2019", "lookup_lsoa11_lsoa21", "ruc", "pharmacies", "stroke_units",
                  "stroke_drive_times")



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
    return {k: {"path": str(p), "sha256": sha256_file(p) if p.is_file() else "missing"} for k, p in files.items()}


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


__all__ = ["INPUT_DATASETS", "MANIFEST", "build_manifest", "compare_runs", "input_checksums",
           "package_versions", "read_manifest"]
