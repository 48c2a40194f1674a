"""An independent road engine to check our own travel times against: Valhalla on the same OSM file.

Valhalla (pyvalhalla) builds its own routing graph from the ``.osm.pbf`` -- its own way and access
rules, its own default speeds by road class and urban density, turn and junction costs, and points
joined to the nearest *edge* rather than node -- so where our
:class:`~geo.travel.routing.NetworkRouter` and Valhalla agree, the agreement is not an artefact of
one code base.  It is a reference, not ground truth: Valhalla drives every road at its posted limit
(and unclassified lanes with a national limit at 97 km/h), which free-flow speed surveys do not
support (DfT, *Vehicle speed compliance statistics*: cars average ~77-80 km/h on national-limit
single carriageways).

Walk and cycle are compared as the DfT Journey Time Statistics model them (walk 4.8 km/h, cycle
16 km/h on every type of road, the fastest route; :data:`DFT_WALK_KPH`, :data:`DFT_CYCLE_KPH`,
Valhalla's bicycle with ``use_roads`` :data:`DFT_CYCLE_USE_ROADS`), so the comparison tests the
network (ways, access rules, connectivity, detours, start and end legs), not a choice of speed or
of route preference.  Two other references are available for sensitivity checks (``reference=``,
:data:`REFERENCES`): ``"quiet-roads"`` -- the same speeds with Valhalla's default hybrid bicycle
route choice, which keeps off busy roads (``use_roads`` 0.5) at the price of longer rides -- and
``"valhalla"`` -- Valhalla's own defaults (walk 5.1 km/h, hybrid bicycle 18 km/h, quiet roads).

Tiles are built with Valhalla's own ``valhalla_build_tiles`` (seconds for a county) into
``Settings.cache_dir/valhalla-roads/<key>``, keyed on the file's sha256 and the Valhalla version,
built in a temporary folder and renamed into place.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from geo._errors import InputError, NetworkError
from geo.cache import cache_key
from geo.crs import lonlat_from_bng
from geo.travel.modes import TravelMode

if TYPE_CHECKING:
    import pandas as pd

    from geo.config import Settings

logger = logging.getLogger(__name__)

#: DfT Journey Time Statistics walking and cycling speeds (km/h).
DFT_WALK_KPH = 4.8
DFT_CYCLE_KPH = 16.0
#: Valhalla bicycle ``use_roads`` of the DfT reference: 1 = rides busy roads as readily as quiet
#: ones (the fastest route, as the DfT statistics and our router take); Valhalla's default is 0.5.
DFT_CYCLE_USE_ROADS = 1.0
#: The references :func:`costing_options` knows (see the module docstring); the first is the default.
REFERENCES = ("dft", "quiet-roads", "valhalla")
#: Valhalla costing per mode (a view of :attr:`~geo.travel.modes.ModeProfile.valhalla_costing`).
VALHALLA_COSTING = {m: m.profile.valhalla_costing for m in TravelMode.road_modes()}
#: The DfT reference speeds per Valhalla costing (none for cars: Valhalla's own road speeds).
DFT_SPEEDS: dict[str, dict[str, Any]] = {"pedestrian": {"walking_speed": DFT_WALK_KPH},
                                         "bicycle": {"cycling_speed": DFT_CYCLE_KPH, "bicycle_type": "hybrid"}}
#: Bump when the tile build options change.
ROAD_TILES_VERSION = 1


def costing_options(mode: str | TravelMode, *, reference: str = "dft") -> dict[str, Any]:
    """Valhalla ``costing_options`` for ``mode`` under ``reference`` (one of :data:`REFERENCES`)."""
    costing = TravelMode.parse_road(mode, what="Valhalla reference mode").profile.valhalla_costing
    if reference not in REFERENCES:
        msg = f"unknown Valhalla reference {reference!r}; choose one of {', '.join(REFERENCES)}"
        raise InputError(msg)
    if reference == "valhalla" or costing not in DFT_SPEEDS:
        return {}
    speed = dict(DFT_SPEEDS[costing])
    if costing == "bicycle" and reference == "dft":
        speed["use_roads"] = DFT_CYCLE_USE_ROADS
    return {costing: speed}


def build_road_tiles(pbf: str | Path, *, settings: Settings) -> Path:
    """Valhalla road tiles of an ``.osm.pbf`` (built once, then reused); returns the config path."""
    from geo.travel.gtfs import file_sha256
    from geo.travel.transit_tiles import valhalla, valhalla_bin_dir

    vh = valhalla()
    pbf = Path(pbf)
    if not pbf.is_file():
        msg = f"{pbf}: OSM extract not found; pass the .osm.pbf to build the Valhalla reference from"
        raise InputError(msg)
    key = cache_key("valhalla-roads", ROAD_TILES_VERSION, vh.__version__, file_sha256(pbf))
    final = Path(settings.cache_dir) / "valhalla-roads" / key
    config = final / "valhalla.json"
    if config.is_file():
        return config
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=final.parent))
    try:
        (tmp / "tiles").mkdir()
        cfg = vh.get_config(tile_extract="", tile_dir=str(tmp / "tiles"))
        mj = cfg["mjolnir"]
        for k in ("admin", "timezone", "traffic_extract", "landmarks", "transit_dir"):
            mj.pop(k, None)
        mj["data_processing"]["use_admin_db"] = False
        mj["concurrency"] = max(1, min(2, os.cpu_count() or 1))
        (tmp / "valhalla.json").write_text(json.dumps(cfg))
        t0 = time.perf_counter()
        import subprocess

        proc = subprocess.run([str(valhalla_bin_dir() / "valhalla_build_tiles"), "-c",
                               str(tmp / "valhalla.json"), str(pbf)],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0 or not any((tmp / "tiles").rglob("*.gph")):
            tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])[:400]
            msg = f"valhalla_build_tiles failed on {pbf.name} (exit {proc.returncode}): {tail}"
            raise NetworkError(msg)
        final_cfg = json.dumps(cfg).replace(str(tmp), str(final))
        (tmp / "valhalla.json").write_text(final_cfg)
        try:
            os.replace(tmp, final)
        except OSError:
            if not config.is_file():
                raise
            shutil.rmtree(tmp, ignore_errors=True)  # another process built it first
        logger.info("Valhalla road tiles of %s built in %.1f s", pbf.name, time.perf_counter() - t0)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return config


@lru_cache(maxsize=4)
def _actor(config: str) -> Any:
    from geo.travel.transit_tiles import valhalla

    return valhalla().Actor(config)


def valhalla_minutes(config: Path, *, mode: str | TravelMode, origins_xy: np.ndarray, dests_xy: np.ndarray,
                     reference: str = "dft") -> np.ndarray:
    """``(n_origins, n_dests)`` Valhalla minutes (``sources_to_targets``); NaN = no route.

    Points are EPSG:27700 metres; Valhalla joins each to the nearest edge of its graph.
    """
    o_lon, o_lat = lonlat_from_bng(origins_xy[:, 0], origins_xy[:, 1])
    d_lon, d_lat = lonlat_from_bng(dests_xy[:, 0], dests_xy[:, 1])
    request = {"sources": [{"lon": float(x), "lat": float(y)} for x, y in zip(o_lon, o_lat, strict=True)],
               "targets": [{"lon": float(x), "lat": float(y)} for x, y in zip(d_lon, d_lat, strict=True)],
               "costing": TravelMode.parse_road(mode).profile.valhalla_costing,
               "costing_options": costing_options(mode, reference=reference)}
    out = json.loads(_actor(str(config)).matrix(json.dumps(request)))["sources_to_targets"]
    if isinstance(out, dict):  # Valhalla >= 3.5 may answer in the "concise" layout
        secs = np.array(out["durations"], dtype=float)
    else:
        secs = np.array([[np.nan if c.get("time") is None else c["time"] for c in row] for row in out],
                        dtype=float)
    return secs / 60.0


# --------------------------------------------------------------------------- comparisons
def band_relative_errors(km: np.ndarray, minutes: np.ndarray, reference: np.ndarray) -> pd.DataFrame:
    """Signed error ``minutes - reference`` per straight-line band, in minutes and relative.

    Columns ``n``, ``bias_minutes``, ``p10_minutes``, ``p90_minutes`` and, as shares of the
    reference time, ``bias_pct`` (mean), ``median_abs_pct``, ``p10_pct``, ``p90_pct``; one row
    per band of :data:`geo.travel.estimate.BAND_EDGES_KM`.
    """
    import pandas as pd

    from geo.travel.calibration import band_labels, band_of

    km, m, ref = (np.asarray(a, dtype=float) for a in (km, minutes, reference))
    ok = np.isfinite(m) & np.isfinite(ref) & (ref > 0)
    err, rel, band = (m - ref)[ok], ((m - ref) / np.where(ref > 0, ref, 1.0))[ok], band_of(km[ok])
    rows = []
    for i, label in enumerate(band_labels()):
        e, r = err[band == i], rel[band == i]
        if not len(e):
            rows.append({"band_km": label, "n": 0})
            continue
        rows.append({"band_km": label, "n": len(e), "bias_minutes": e.mean(),
                     "p10_minutes": np.percentile(e, 10), "p90_minutes": np.percentile(e, 90),
                     "bias_pct": r.mean(), "median_abs_pct": np.median(np.abs(r)),
                     "p10_pct": np.percentile(r, 10), "p90_pct": np.percentile(r, 90)})
    return pd.DataFrame(rows).set_index("band_km")


def rutland_pairs(settings: Settings, *, modes: tuple[str | TravelMode, ...] = TravelMode.road_modes(),
                  reference: str = "dft") -> pd.DataFrame:
    """Every ordered pair of Rutland LSOA centroids: Valhalla, road router and estimate minutes.

    Long form: ``mode``, ``origin``, ``dest``, ``origin_easting``, ``km`` (straight line),
    ``valhalla``, ``network`` (our :class:`~geo.travel.routing.NetworkRouter` on the same file)
    and ``estimate`` (the shipped straight-line estimate) in minutes.  ``reference``: the Valhalla
    costing (:data:`REFERENCES`).
    """
    import pandas as pd

    from geo.data.areas import select_area
    from geo.travel.estimate import EstimateRouter
    from geo.travel.network import read_network
    from geo.travel.routing import NetworkRouter

    pbf = rutland_pbf(settings)
    config = build_road_tiles(pbf, settings=settings)
    lsoas = select_area("Rutland", settings=settings).lsoas
    xy = lsoas[["easting", "northing"]].to_numpy(float)
    km = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1]) / 1000.0
    o, d = np.nonzero(~np.eye(len(xy), dtype=bool))
    frames = []
    for mode in map(TravelMode.parse_road, modes):
        vh = valhalla_minutes(config, mode=mode, origins_xy=xy, dests_xy=xy,
                              reference=reference)
        net = NetworkRouter(read_network(pbf, mode=mode, settings=settings), settings=settings)
        ours = net.site_origin_minutes(xy, xy).T  # (origin, dest)
        est = EstimateRouter(mode=mode, settings=settings).site_origin_minutes(xy, xy).T
        frames.append(pd.DataFrame({"mode": mode.value, "origin": lsoas.index.to_numpy()[o],
                                    "dest": lsoas.index.to_numpy()[d], "origin_easting": xy[o, 0],
                                    "km": km[o, d], "valhalla": vh[o, d], "network": ours[o, d],
                                    "estimate": est[o, d]}))
    return pd.concat(frames, ignore_index=True)


def rutland_nearest_sites(settings: Settings, *, mode: str | TravelMode, types: tuple[str, ...],
                          reference: str = "dft") -> pd.DataFrame:
    """Minutes from each Rutland LSOA to its nearest site: Valhalla, road router and estimate.

    The sites are those of ``types`` within 15 km of Rutland that lie on the extract (within
    :data:`geo.travel.calibration.REFERENCE_SNAP_METRES` of the mode's roads), so all three
    methods choose among the same sites.  Columns ``valhalla``, ``network``, ``estimate``,
    ``n_sites``; indexed by LSOA code.  ``reference``: the Valhalla costing (:data:`REFERENCES`).
    """
    import pandas as pd

    from geo.data.areas import select_area
    from geo.data.sites import load_sites
    from geo.travel.calibration import REFERENCE_SNAP_METRES
    from geo.travel.estimate import EstimateRouter
    from geo.travel.network import read_network
    from geo.travel.routing import NetworkRouter

    mode = TravelMode.parse_road(mode)
    pbf = rutland_pbf(settings)
    config = build_road_tiles(pbf, settings=settings)
    area = select_area("Rutland", settings=settings)
    sites = load_sites(settings, area=area, types=types, buffer_km=15.0)
    router = NetworkRouter(read_network(pbf, mode=mode, settings=settings), settings=settings)
    sxy = sites[["easting", "northing"]].to_numpy(float)
    _, snap_m, _ = router.snap(sxy)
    sxy = sxy[snap_m <= REFERENCE_SNAP_METRES]
    oxy = area.lsoas[["easting", "northing"]].to_numpy(float)
    vh = valhalla_minutes(config, mode=mode, origins_xy=oxy, dests_xy=sxy,
                          reference=reference)
    return pd.DataFrame({"valhalla": np.nanmin(vh, axis=1), "network": router.nearest(sxy, oxy).minutes,
                         "estimate": EstimateRouter(mode=mode, settings=settings).nearest(sxy, oxy).minutes,
                         "n_sites": len(sxy)}, index=area.lsoas.index)


def rutland_pbf(settings: Settings) -> Path:
    """The bundled Rutland 2018 extract (the one real road network offline)."""
    pbf = settings.data_dir / "networks" / "rutland-2018.osm.pbf"
    if not pbf.is_file():
        msg = f"{pbf}: the bundled Rutland extract is missing; set GEO_DATA_DIR to the open-data bundle"
        raise InputError(msg)
    return pbf


__all__ = ["DFT_CYCLE_KPH", "DFT_CYCLE_USE_ROADS", "DFT_WALK_KPH", "REFERENCES", "VALHALLA_COSTING", "band_relative_errors", "build_road_tiles",
           "costing_options", "rutland_nearest_sites", "rutland_pairs", "rutland_pbf", "valhalla_minutes"]
