"""National batch runs: which road network each authority uses, and what a worker loads once.

On the client, :func:`assign_networks` gives each LAD the extract it is routed on (or none: the
labelled estimate).  On a worker, heavy inputs are loaded once per process, not once per task:
road routers (:func:`router_for`, keyed on the extract path and mode) and the national
pharmacy list (:func:`national_pharmacies`); :func:`lad_study` builds a LAD's
:class:`~geo.planning.study.Study` (``Study(StudySpec(area=<LAD code>, ...))``, so buffer and
thresholds default from :class:`~geo.config.Settings`) from them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from geo._errors import NetworkError
from geo.config import Settings
from geo.planning.batch import BatchJob
from geo.travel.modes import Method, TravelMode

if TYPE_CHECKING:
    import geopandas as gpd

    from geo.planning.study import Study

logger = logging.getLogger(__name__)


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

@lru_cache(maxsize=2)
def national_pharmacies(settings: Settings) -> gpd.GeoDataFrame:
    """Every community pharmacy, built once per worker process (read-only)."""
    from geo.data.sites import load_pharmacy_sites

    return load_pharmacy_sites(settings)


@lru_cache(maxsize=8)
def router_for(network_path: str | None, mode: TravelMode, settings: Settings, mixed: bool = True) -> Any:
    """:func:`~geo.travel.routing.make_router` for one extract and mode, once per worker process.

    ``None`` gives the calibrated straight-line estimate (labelled so everywhere); ``mixed``: method
    auto (the mixed method beyond the extract's roads), else method network.
    """
    from geo.travel.modes import TravelSpec
    from geo.travel.routing import make_router

    method = Method.ESTIMATE if network_path is None else Method.AUTO if mixed else Method.NETWORK
    logger.info("worker loads the %s router (%s)", mode, network_path or "estimate")
    return make_router(TravelSpec(mode=TravelMode(mode), method=method, network=network_path or "auto"), settings=settings)


def worker_cache_info() -> dict[str, int]:
    """Loads done by this process's caches (tests check networks load once per worker)."""
    info = router_for.cache_info()
    return {"router_loads": info.misses, "router_hits": info.hits}


def lad_study(lad24cd: str, job: BatchJob, settings: Settings, mode: TravelMode, *,
              base: Study | None = None, router: Any = None) -> Study:
    """The LAD's :class:`Study` for one mode; sites and area come from ``base`` when given.

    Sites are those :func:`geo.data.sites.load_sites` gives (same order, same flags), with the
    national pharmacy list built once per worker instead of once per LAD.
    """
    from geo.planning.study import Study
    from geo.planning.study_spec import StudySpec

    spec = StudySpec(area=lad24cd, services=job.services, travel=job.travel(mode), buffer_km=job.buffer_km,
                     thresholds_minutes=job.thresholds_minutes, extra_sites=job.extra_sites)
    if base is not None:
        return Study(spec, settings=settings, area=base.area, sites=base.sites, router=router)
    study = Study(spec, settings=settings, router=router)
    if "pharmacy" in study.services:
        from geo.data.sites import load_sites

        extra: list[Any] = [national_pharmacies(settings).copy(deep=False), *job.extra_sites]
        sites = load_sites(settings, area=study.area, types=study.services, buffer_km=study.buffer_km,
                           include_pharmacies=False, extra=extra)
        if len(sites):  # none: Study.sites raises its own clear error
            study.__dict__["sites"] = sites
    return study


__all__ = ["assign_networks", "lad_study", "national_pharmacies", "router_for", "worker_cache_info"]
