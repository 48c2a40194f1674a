"""Per-LSOA travel times to the nearest site and site x LSOA matrices.

Origins are LSOA 2021 population-weighted centroids (ONS).  Results are one row per LSOA of
the study area (core and buffer ring, flagged ``in_area``) with the LSOA table's columns, so
coverage and equity work straight on them.  LSOAs that cannot be joined to the network or
reach no site within the limit keep their row with NaN minutes and a ``status``; nothing is
dropped.  Catchment polygons are drawn by :mod:`geo.travel.isochrones`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo.travel.base import sites_xy
from geo.travel.isochrones import isochrones

if TYPE_CHECKING:
    from collections.abc import Sequence

    from geo.data.areas import Area
    from geo.travel.routing import Router

logger = logging.getLogger(__name__)

SITE_COLUMNS_OUT = ("site_id", "site_name", "site_type", "site_in_area")


def _origins(area: Area) -> pd.DataFrame:
    lsoas = area.all_lsoas
    return pd.DataFrame(lsoas.drop(columns="geometry"))


def nearest_times(area: Area, sites: pd.DataFrame, router: Router, *,
                  by_type: bool = False, max_minutes: float | None = None,
                  k: int = 1, services: Sequence[str] | None = None) -> pd.DataFrame:
    """Minutes from every LSOA of ``area`` to its nearest site.

    Parameters
    ----------
    area : study area (its buffer ring LSOAs are included with ``in_area=False``).
    sites : sites table (``site_id``, ``name``, ``site_type``, ``easting``, ``northing``, ``in_area``).
    router : any :class:`~geo.travel.routing.Router` (network, estimate or transit).
    by_type : add ``minutes_<type>`` and ``site_id_<type>`` for each site type present.
    max_minutes : search limit; LSOAs beyond it get NaN and status ``beyond_limit``.
    k : also return the 2nd..k-th nearest sites (``minutes_2``, ``site_id_2``, ...).
    services : the study's services (``("hub", "pharmacy")``): add, for each one, the minutes to
        its nearest site -- ``minutes_<service>`` (with ``_low``/``_high`` where the router has a
        measured error), ``site_id_<service>``, ``site_name_<service>``.  ``minutes`` itself is
        the nearest site *of any type* (:func:`geo.data.services.result_services`).

    Returns
    -------
    DataFrame indexed by ``lsoa21cd``: the LSOA table columns plus ``in_area``, ``minutes``,
    ``site_id``, ``site_name``, ``site_type``, ``site_in_area``, ``origin_snap_metres``,
    ``site_snap_metres``, ``method`` and ``status`` (``ok``, ``unsnapped`` or ``no_site``).
    ``method`` is per LSOA: ``network`` (roads only), ``mixed`` (roads inside the loaded
    network and the calibrated estimate for a leg beyond it) or ``estimate``.  Routers with a
    measured error add ``minutes_low`` and ``minutes_high``: the range of ``minutes`` from the
    10th-90th percentile of that error (the estimate's held-out errors, or the road router's
    error against Valhalla; :func:`geo.travel.error_bands.travel_error_model`), widened by the
    range of any estimated leg of a mixed trip.
    ``attrs`` carry :func:`routing_checks` and ``estimated_trips`` / ``mixed_note``.
    """
    out = _origins(area)
    oxy = out[["easting", "northing"]].to_numpy(float)
    sxy = sites_xy(sites)
    res = router.nearest(sxy, oxy, max_minutes=max_minutes)
    out["minutes"] = res.minutes
    methods = (np.asarray(res.origin_method, dtype=object) if res.origin_method is not None
               else np.full(len(out), res.method, dtype=object))
    rng = _minutes_range(router, sxy, oxy, res, max_minutes=max_minutes)
    if rng is not None:
        out["minutes_low"], out["minutes_high"] = rng
    idx = res.site_index
    has = idx >= 0
    take = np.clip(idx, 0, None)
    names = sites["name"] if "name" in sites else sites["site_id"]
    in_area = sites["in_area"] if "in_area" in sites else pd.Series(True, index=sites.index)
    for col, values in (("site_id", sites["site_id"]), ("site_name", names),
                        ("site_type", sites.get("site_type", pd.Series("", index=sites.index))),
                        ("site_in_area", in_area)):
        arr = values.to_numpy(dtype=object)
        out[col] = pd.array(np.where(has, arr[take] if len(arr) else None, None), dtype="object")
    out["origin_snap_metres"] = res.origin_snap_metres
    out["site_snap_metres"] = res.site_snap_metres
    out["method"] = methods
    status = np.where(has, "ok", "no_site").astype(object)
    status[res.unsnapped_origins] = "unsnapped"
    out["status"] = status
    if k > 1:
        _add_k_nearest(out, router.site_origin_minutes(sxy, oxy, max_minutes=max_minutes), sites, k)
    done = _add_services(out, sites, router, sxy, oxy, services or (), max_minutes=max_minutes)
    if by_type and "site_type" in sites:
        ids = sites["site_id"].to_numpy(dtype=object)
        for stype in sorted(set(sites["site_type"].dropna().unique()) - set(done)):
            rows = np.flatnonzero(sites["site_type"].to_numpy() == stype)
            sub = router.nearest(sxy[rows], oxy, max_minutes=max_minutes)  # one search per type
            out[f"minutes_{stype}"] = sub.minutes
            out[f"site_id_{stype}"] = np.where(sub.site_index >= 0,
                                                ids[rows][np.clip(sub.site_index, 0, None)], None)
    n_bad = int((status != "ok").sum())
    if n_bad:
        logger.info("%d of %d LSOAs without a reachable site (%s)", n_bad, len(out),
                    pd.Series(status).value_counts().to_dict())
    out.attrs["router_label"] = router.label
    out.attrs["method"] = res.method
    out.attrs.update(routing_checks(area, sites, router, res, out))
    for text in out.attrs["warnings"]:
        logger.info("%s", text)  # front ends show attrs["warnings"] themselves
    return out


def _minutes_range(router: Router, sxy: np.ndarray, oxy: np.ndarray, res: Any, *,
                   max_minutes: float | None) -> tuple[np.ndarray, np.ndarray] | None:
    """``(low, high)`` minutes to the nearest site from the router's measured error, or None."""
    if hasattr(router, "nearest_range"):
        low, high = router.nearest_range(sxy, oxy, max_minutes=max_minutes)
        return np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    from geo.travel.error_bands import travel_error_model

    legs = getattr(res, "minutes_low", None), getattr(res, "minutes_high", None)
    bands = travel_error_model(getattr(router, "mode", ""), getattr(router, "method", ""),
                               getattr(router, "settings", None))
    if bands is None:
        return (np.asarray(legs[0], float), np.asarray(legs[1], float)) if legs[0] is not None else None
    idx = np.asarray(res.site_index)
    near = sxy[np.clip(idx, 0, None)] if len(sxy) else np.zeros_like(oxy)
    km = np.where(idx >= 0, np.hypot(*(near - oxy).T) / 1000.0, np.nan)
    low, high = bands.minutes_range(res.minutes, km)
    if legs[0] is not None and legs[1] is not None:  # a mixed trip: the estimated leg's range as well
        m = np.asarray(res.minutes, dtype=float)
        low = np.maximum(np.asarray(legs[0], float) - (m - low), 0.0)
        high = np.asarray(legs[1], float) + (high - m)
    return low, high


def _add_services(out: pd.DataFrame, sites: pd.DataFrame, router: Router, sxy: np.ndarray, oxy: np.ndarray,
                  services: Sequence[str], *, max_minutes: float | None) -> list[str]:
    """Per-service nearest minutes, site and range columns (one search per service); the keys done."""
    from geo.data.services import ANY_SITE, result_services, service_masks

    keys = [key for key in result_services(services) if key != ANY_SITE]
    if not keys or "site_type" not in sites:
        return []
    masks = service_masks(sites, services)
    ids = sites["site_id"].to_numpy(dtype=object)
    names = (sites["name"] if "name" in sites else sites["site_id"]).to_numpy(dtype=object)
    for key in keys:
        rows = np.flatnonzero(masks[key])
        sub = router.nearest(sxy[rows], oxy, max_minutes=max_minutes)
        has = sub.site_index >= 0
        take = rows[np.clip(sub.site_index, 0, None)] if len(rows) else np.zeros(len(oxy), dtype=np.int64)
        out[f"minutes_{key}"] = sub.minutes
        rng = _minutes_range(router, sxy[rows], oxy, sub, max_minutes=max_minutes) if len(rows) else None
        if rng is not None:
            out[f"minutes_{key}_low"], out[f"minutes_{key}_high"] = rng
        out[f"site_id_{key}"] = pd.array(np.where(has, ids[take] if len(ids) else None, None), dtype="object")
        out[f"site_name_{key}"] = pd.array(np.where(has, names[take] if len(names) else None, None), dtype="object")
    return keys


def routing_checks(area: Area, sites: pd.DataFrame, router: Router, res: Any,
                   times: pd.DataFrame) -> dict[str, Any]:
    """What a front end must show next to the figures (no silent wrong answers).

    Warnings are about the study area only, in plain words, one line each; a list behind a
    line (site names, neighbourhood codes) is in ``warning_details[line]``.  Neighbourhoods of
    the display ring outside the area are never warned about (they change no figure).

    Returns
    -------
    dict with ``sites_used`` (sites joined to the network; all for estimates),
    ``sites_unsnapped`` (DataFrame: ``site_id``, ``name``, ``snap_metres`` of the sites that
    could not be joined, which take no part), ``sites_beyond_roads`` (the same columns for sites
    reached by an estimated leg), ``lsoas_unsnapped`` (codes of the LSOAs not joined),
    ``sites_in_area``, ``estimated_trips`` (core LSOAs whose trip has an estimated leg),
    ``warnings`` (one line each, for the CLI and the app) and ``warning_details``.
    """
    warnings: list[str] = []
    details: dict[str, list[str]] = {}
    settings = getattr(router, "settings", None)
    tolerance = getattr(settings, "snap_tolerance_metres", None)
    beyond = getattr(router, "beyond", None)
    names = (sites["name"] if "name" in sites else sites["site_id"]).astype(str).to_numpy()
    ids = sites["site_id"].to_numpy()
    site_snap = np.full(len(sites), np.nan)
    if hasattr(router, "snapper") and tolerance is not None and len(sites):
        site_snap = router.snapper.snap(sites_xy(sites), tolerance_metres=tolerance).distance_metres

    def frame(rows: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame({"site_id": ids[rows], "name": names[rows], "snap_metres": np.round(site_snap[rows])})

    bad_sites = np.asarray(getattr(res, "unsnapped_sites", np.zeros(0, dtype=np.int64)), dtype=np.int64)
    far_sites = np.asarray(res.beyond_sites if getattr(res, "beyond_sites", None) is not None
                           else np.zeros(0, dtype=np.int64), dtype=np.int64)
    unsnapped = frame(bad_sites)
    if len(bad_sites):
        limit = (f"more than {beyond.max_leg_km:g} km" if beyond is not None
                 else f"more than {tolerance:g} m" if tolerance is not None else "too far")
        line = (f"{len(bad_sites)} of {len(sites)} sites are {limit} from the road network and are left out"
                + ("" if beyond is not None else " (roads only: no estimated legs beyond them)"))
        warnings.append(line)
        details[line] = [f"{n} ({m / 1000:.1f} km from the roads)" if np.isfinite(m) else str(n)
                         for n, m in zip(unsnapped["name"], unsnapped["snap_metres"], strict=True)]
    in_core = times["in_area"].to_numpy(dtype=bool) if "in_area" in times else np.ones(len(times), dtype=bool)
    status = times["status"].to_numpy() if "status" in times else np.full(len(times), "ok")
    bad_lsoas = times.index[status == "unsnapped"]
    core_bad = times.index[(status == "unsnapped") & in_core]
    if len(core_bad):
        adults = float(times.loc[core_bad, "adults"].sum()) if "adults" in times else float("nan")
        far = f"more than {tolerance:g} m" if tolerance is not None else "too far"
        line = (f"{len(core_bad)} neighbourhoods in {area.name} ({adults:,.0f} adults) are {far} from the "
                "road network and count as unreachable")
        warnings.append(line)
        label = times["lsoa21nm"] if "lsoa21nm" in times else pd.Series(times.index, index=times.index)
        details[line] = [f"{c} {label.get(c, '')}".strip() for c in core_bad]
    in_area = int(sites["in_area"].astype(bool).sum()) if "in_area" in sites else len(sites)
    if "in_area" in sites and in_area == 0 and len(sites):
        kinds = ", ".join(sorted(sites["site_type"].dropna().astype(str).unique())) if "site_type" in sites else "chosen"
        warnings.append(f"no {kinds} sites inside {area.name}: all {len(sites)} sites counted are across the border")
    method = times["method"].to_numpy(dtype=object) if "method" in times else np.full(len(times), "")
    estimated = int(((method == "mixed") | (method == "estimate"))[in_core].sum()) if beyond is not None else 0
    return {"sites_used": len(sites) - len(bad_sites), "sites_unsnapped": unsnapped,
            "sites_beyond_roads": frame(far_sites), "lsoas_unsnapped": [str(c) for c in bad_lsoas],
            "sites_in_area": in_area, "estimated_trips": estimated, "trips": int(in_core.sum()),
            "mixed_note": mixed_note(estimated, int(in_core.sum()), len(far_sites)) if beyond is not None else "",
            "warnings": warnings, "warning_details": details}


def mixed_note(estimated_trips: int, trips: int, sites_beyond: int) -> str:
    """The words a mixed router's label gains: how many of the area's trips used an estimated leg.

    ``""`` when nothing lies beyond the roads (the label is then just the network's).
    """
    how = "roads, then a calibrated straight-line estimate"
    if estimated_trips:
        return (f"; {estimated_trips} of {trips} neighbourhoods' trips have an estimated leg beyond these roads "
                f"(mixed method: {how}, with its error range)")
    if sites_beyond:
        return (f"; no trip from the area needs an estimated leg ({sites_beyond} sites beyond these roads "
                f"are reached by a mixed route: {how})")
    return ""


def _add_k_nearest(out: pd.DataFrame, matrix: np.ndarray, sites: pd.DataFrame, k: int) -> None:
    filled = np.where(np.isnan(matrix), np.inf, matrix)
    kk = min(k, filled.shape[0])
    order = np.argsort(filled, axis=0)[:kk]
    ids = sites["site_id"].to_numpy(dtype=object)
    cols = np.arange(filled.shape[1])
    for rank in range(1, kk):
        mins = filled[order[rank], cols]
        out[f"minutes_{rank + 1}"] = np.where(np.isfinite(mins), mins, np.nan)
        out[f"site_id_{rank + 1}"] = np.where(np.isfinite(mins), ids[order[rank]], None)


def site_lsoa_minutes(area: Area, sites: pd.DataFrame, router: Router, *,
                      max_minutes: float | None = None, long: bool = True) -> pd.DataFrame:
    """Travel minutes from every LSOA to every site.

    ``long=True`` gives the r5py/pysal-access contract: columns ``site_id``, ``lsoa21cd``,
    ``minutes`` (unreachable pairs left out); ``long=False`` a wide frame, sites x LSOAs.
    """
    origins = _origins(area)
    matrix = router.site_origin_minutes(sites_xy(sites), origins[["easting", "northing"]].to_numpy(float),
                                        max_minutes=max_minutes)
    wide = pd.DataFrame(matrix, index=pd.Index(sites["site_id"].to_numpy(), name="site_id"),
                        columns=origins.index)
    if not long:
        return wide
    s, o = np.nonzero(np.isfinite(matrix))
    return pd.DataFrame({"site_id": wide.index.to_numpy()[s], "lsoa21cd": origins.index.to_numpy()[o],
                         "minutes": matrix[s, o]})


__all__ = ["isochrones", "mixed_note", "nearest_times", "routing_checks", "site_lsoa_minutes"]
