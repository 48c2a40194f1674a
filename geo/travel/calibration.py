"""Reference trips and fitting for the straight-line estimate (:mod:`geo.travel.estimate`).

The estimate's coefficients are fitted offline by ``benchmarks/calibrate_estimate.py`` and held
as constants in :mod:`geo.travel.estimate`; this module is the machinery that script, the
validation script and the tests share:

* :func:`road_reference_pairs` -- real road minutes between every pair of points within
  ``max_km`` on an OpenStreetMap network (the router's vectorised site x origin matrix), with
  the straight-line distance and the origin's urban/rural class;
* :func:`rutland_reference_points` -- the points used on the bundled Rutland extract: every
  Rutland LSOA population-weighted centroid, town centres, every pharmacy, GP practice and seed
  site in Rutland, and an even sample of residential postcodes;
* :func:`samuel_reference_pairs` -- the SAMueL modelled drive minutes from every England LSOA to
  its nearest stroke units (long trips), with the region of the origin for held-out folds;
* :func:`fit_speed_curve`, :func:`fit_drive`, :func:`fit_mode` -- least-squares fits of
  :func:`~geo.travel.estimate.curve_minutes`, ``minutes = overhead + 60 * circuity * km / v(km)``;
* :func:`band_errors` -- bias, MAE and the 10th/90th percentiles of the signed error per
  distance band.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.travel.estimate_model import BAND_EDGES_KM, curve_minutes

if TYPE_CHECKING:
    from geo.config import Settings
    from geo.travel.network import Network

logger = logging.getLogger(__name__)

#: Distance bands (km, straight line) used for the error table and the validation.
BANDS_KM = BAND_EDGES_KM
#: Rutland towns and large villages whose centres join the reference points.
RUTLAND_TOWNS = ("Oakham", "Uppingham", "Cottesmore", "Empingham", "Ketton", "Ryhall",
                 "Whissendine", "Langham", "Greetham", "Great Casterton", "Edith Weston",
                 "North Luffenham", "South Luffenham", "Market Overton", "Lyddington")
#: Points further than this from the network (metres) are left out of the reference trips:
#: beyond it the extract does not hold the roads around them.
REFERENCE_SNAP_METRES = 400.0
#: Largest fixed start-and-end overhead the estimate may fit (minutes).
MAX_OVERHEAD_MINUTES = 3.0
#: Relative error beyond which a road trip counts as an outlier in the robust (soft-L1) fits:
#: the issue-26 bias goal (10%).
RELATIVE_SCALE = 0.1


def band_labels(bands: tuple[float, ...] = BANDS_KM) -> list[str]:
    """``["0-2", "2-5", ...]`` for the band edges."""
    return [f"{lo:g}-{hi:g}" for lo, hi in itertools.pairwise(bands)]


def band_of(km: np.ndarray, bands: tuple[float, ...] = BANDS_KM) -> np.ndarray:
    """Band index of each distance (0 for the first band; clipped to the last band)."""
    idx = np.searchsorted(np.asarray(bands[1:-1]), np.asarray(km, dtype=float), side="right")
    return idx.astype(np.int64)


def origin_classes(xy: np.ndarray, settings: Settings) -> np.ndarray:
    """Urban/Rural class of each point: that of the nearest LSOA population-weighted centroid."""
    from scipy.spatial import cKDTree

    from geo.data.tables import load_lsoa_table

    table = load_lsoa_table(settings)
    tree = cKDTree(table[["easting", "northing"]].to_numpy(float))
    _, idx = tree.query(np.asarray(xy, dtype=float), k=1)
    return table["urban_rural"].astype(str).to_numpy()[idx]


def rutland_reference_points(settings: Settings, *, postcode_sample: int = 300) -> pd.DataFrame:
    """Reference points in Rutland: LSOA centroids, town centres, sites and a postcode sample.

    Returns ``point_id``, ``kind``, ``easting``, ``northing``.  The postcodes are every n-th
    live Rutland postcode in postcode order (deterministic), so residential streets and
    villages are represented as well as the LSOA centroids (``postcode_sample=0``: none).
    """
    import shapely

    from geo.data.areas import select_area
    from geo.data.geocode import town_centres
    from geo.data.loaders import load_postcodes
    from geo.data.sites import load_gp_sites, load_sites

    area = select_area("Rutland", settings=settings)
    lsoas = area.lsoas
    frames = [pd.DataFrame({"point_id": lsoas.index.astype(str), "kind": "lsoa",
                            "easting": lsoas["easting"].to_numpy(float),
                            "northing": lsoas["northing"].to_numpy(float)})]
    towns = town_centres(list(RUTLAND_TOWNS), settings).dropna(subset=["easting"])
    frames.append(pd.DataFrame({"point_id": "town:" + towns["town"], "kind": "town",
                                "easting": towns["easting"], "northing": towns["northing"]}))
    sites = load_sites(settings, area=area, types=None, buffer_km=0.0)
    sites = sites[sites["in_area"].astype(bool)]
    frames.append(pd.DataFrame({"point_id": "site:" + sites["site_id"].astype(str),
                                "kind": "site:" + sites["site_type"].astype(str),
                                "easting": sites["easting"].to_numpy(float),
                                "northing": sites["northing"].to_numpy(float)}))
    gps = load_gp_sites(settings)
    inside = shapely.contains_xy(area.polygon, gps["easting"].to_numpy(float), gps["northing"].to_numpy(float))
    gps = gps[inside]
    frames.append(pd.DataFrame({"point_id": "gp:" + gps["site_id"].astype(str), "kind": "gp",
                                "easting": gps["easting"].to_numpy(float),
                                "northing": gps["northing"].to_numpy(float)}))
    if postcode_sample:
        pcs = load_postcodes(settings)
        pcs = pcs[pcs["lsoa21cd"].isin(lsoas.index)].dropna(subset=["easting", "northing"]).sort_index()
        pcs = pcs.iloc[::max(1, len(pcs) // postcode_sample)]
        frames.append(pd.DataFrame({"point_id": "pc:" + pcs.index.astype(str), "kind": "postcode",
                                    "easting": pcs["easting"].to_numpy(float),
                                    "northing": pcs["northing"].to_numpy(float)}))
    out = pd.concat(frames, ignore_index=True).dropna(subset=["easting", "northing"])
    out = out.drop_duplicates(subset=["easting", "northing"]).reset_index(drop=True)
    return out


def road_reference_pairs(network: Network, points: pd.DataFrame, settings: Settings, *,
                         max_km: float = 40.0, with_metres: bool = False) -> pd.DataFrame:
    """Real road minutes between every ordered pair of ``points`` within ``max_km``.

    Parameters
    ----------
    network : an OSM network of one mode (drive, walk or cycle).
    points : ``point_id``, ``easting``, ``northing`` (EPSG:27700 metres).
    settings : settings (snap tolerance, LSOA table for the origin class).
    max_km : longest straight line kept.
    with_metres : also route on edge length and return the road ``road_km`` (for circuity).

    Returns
    -------
    DataFrame with ``origin``, ``dest``, ``origin_easting``, ``origin_northing``, ``km``
    (straight line), ``minutes`` (road, both snap legs included), ``cls`` (origin's class) and
    ``road_km`` when ``with_metres``.  Points more than :data:`REFERENCE_SNAP_METRES` from the
    network and unreachable pairs are left out.
    """
    from geo.travel.routing import NetworkRouter

    if len(points) < 2:
        msg = "need at least two reference points"
        raise InputError(msg)
    router = NetworkRouter(network, settings=settings)
    xy = points[["easting", "northing"]].to_numpy(float)
    _, snap_m, _ = router.snap(xy)
    ok = snap_m <= REFERENCE_SNAP_METRES
    pts = points[ok].reset_index(drop=True)
    xy = xy[ok]
    minutes = router.site_origin_minutes(xy, xy)  # (dest, origin)
    km = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1]) / 1000.0
    keep = np.isfinite(minutes) & (km > 0.05) & (km <= max_km)
    d, o = np.nonzero(keep)
    cls = origin_classes(xy, settings)
    out = pd.DataFrame({"origin": pts["point_id"].to_numpy()[o], "dest": pts["point_id"].to_numpy()[d],
                        "origin_kind": pts["kind"].to_numpy()[o] if "kind" in pts else "",
                        "origin_easting": xy[o, 0], "origin_northing": xy[o, 1],
                        "km": km[d, o], "minutes": minutes[d, o], "cls": cls[o]})
    if with_metres:
        dist_net = replace(network, edge_seconds=network.edge_metres, key="")
        metres = NetworkRouter(dist_net, settings=settings).site_origin_minutes(xy, xy) * 60.0
        # connector legs are timed at the connector speed; undo that to get metres
        from geo.travel.snapping import connector_seconds

        _, snap_all, _ = router.snap(xy)
        conn = connector_seconds(snap_all, network.mode)
        metres = metres - conn[:, None] - conn[None, :] + snap_all[:, None] + snap_all[None, :]
        out["road_km"] = metres[d, o] / 1000.0
    logger.info("%s reference pairs: %d from %d points", network.mode, len(out), len(pts))
    return out


def samuel_reference_pairs(settings: Settings, *, nearest_units: int = 5,
                           max_km: float = 60.0) -> pd.DataFrame:
    """SAMueL modelled drive minutes from every England LSOA to its ``nearest_units`` stroke units.

    Returns ``lsoa21cd``, ``region``, ``km`` (straight line from the LSOA 2021
    population-weighted centroid), ``minutes`` and ``cls`` (the LSOA's urban/rural class).
    """
    from scipy.spatial import cKDTree

    from geo.data.loaders import (
        load_geography_lookup,
        load_lsoa11_lsoa21_lookup,
        load_stroke_drive_times,
        load_stroke_units,
    )
    from geo.data.tables import load_lsoa_table

    times = load_stroke_drive_times(settings)
    units = load_stroke_units(settings).reindex(times.columns)
    lookup = load_lsoa11_lsoa21_lookup(settings).drop_duplicates("lsoa11cd").set_index("lsoa11cd")
    table = load_lsoa_table(settings)
    l21 = lookup["lsoa21cd"].reindex(times.index)
    keep = (l21.notna() & l21.isin(table.index)).to_numpy()
    ucols = units["easting"].notna().to_numpy()
    times = times.loc[keep, ucols]
    units = units[ucols]
    codes = l21[keep].to_numpy()
    rows = table.loc[codes]
    oxy = rows[["easting", "northing"]].to_numpy(float)
    uxy = units[["easting", "northing"]].to_numpy(float)
    dist, idx = cKDTree(uxy).query(oxy, k=nearest_units)
    km = dist / 1000.0
    minutes = np.take_along_axis(times.to_numpy(float), idx, axis=1)
    geo = load_geography_lookup(settings)
    region = (geo.set_index("lsoa21cd")["rgn24cd"] if "lsoa21cd" in geo.columns else geo["rgn24cd"])
    reg = region.reindex(codes).astype(str).to_numpy()
    n = nearest_units
    out = pd.DataFrame({"lsoa21cd": np.repeat(codes, n), "region": np.repeat(reg, n),
                        "km": km.ravel(), "minutes": minutes.ravel(),
                        "cls": np.repeat(rows["urban_rural"].astype(str).to_numpy(), n)})
    ok = np.isfinite(out["minutes"]) & (out["km"] > 0) & (out["km"] < max_km)
    return out[ok.to_numpy()].reset_index(drop=True)


# --------------------------------------------------------------------------- the model
def fit_speed_curve(km: np.ndarray, minutes: np.ndarray, *, circuity: float,
                    weights: np.ndarray | None = None, loss: str = "soft_l1",
                    relative_scale: float = RELATIVE_SCALE,
                    v_long_max: float = 130.0) -> tuple[float, float, float, float]:
    """Robust fit of ``(v_short, v_long, k_km, overhead_minutes)`` of :func:`curve_minutes`.

    The residuals are relative (``(curve - minutes) / minutes``), as the accuracy goals are: a
    minute off a 4-minute trip counts as much as ten off a 40-minute one.  ``loss`` (soft-L1 by
    default) treats residuals beyond ``relative_scale`` as outliers.  ``circuity`` is fixed;
    ``v_short`` is kept between 0.5 km/h and ``v_long``, ``k_km`` between 0.05 and 200 km and the
    overhead (getting going and arriving: the start and end legs and the first junctions)
    between 0 and :data:`MAX_OVERHEAD_MINUTES`.
    """
    from scipy.optimize import least_squares

    km = np.asarray(km, dtype=float)
    minutes = np.asarray(minutes, dtype=float)
    w = np.ones_like(km) if weights is None else np.asarray(weights, dtype=float)
    sw = np.sqrt(w / w.mean()) / minutes
    v0 = float(np.median(60.0 * circuity * km / minutes))

    def resid(p: np.ndarray) -> np.ndarray:
        v_long, share, k, overhead = p
        return sw * (curve_minutes(km, circuity, v_long * share, v_long, k, overhead) - minutes)

    res = least_squares(resid, x0=[min(max(v0 * 1.3, 2.0), 0.99 * v_long_max), 0.5, 2.0, 0.1], loss=loss,
                        f_scale=relative_scale,
                        bounds=([0.5, 0.02, 0.05, 0.0], [v_long_max, 1.0, 200.0, MAX_OVERHEAD_MINUTES]))
    v_long, share, k, overhead = (float(v) for v in res.x)
    return v_long * share, v_long, k, overhead


def band_errors(km: np.ndarray, error: np.ndarray, *,
                bands: tuple[float, ...] = BANDS_KM) -> pd.DataFrame:
    """Per distance band: ``n``, ``bias`` (mean signed), ``mae``, ``p10``, ``p90`` (minutes)."""
    b = band_of(km, bands)
    err = np.asarray(error, dtype=float)
    rows = []
    for i, label in enumerate(band_labels(bands)):
        e = err[(b == i) & np.isfinite(err)]
        rows.append({"band_km": label, "n": len(e),
                     "bias": float(e.mean()) if len(e) else np.nan,
                     "mae": float(np.abs(e).mean()) if len(e) else np.nan,
                     "p10": float(np.percentile(e, 10)) if len(e) else np.nan,
                     "p90": float(np.percentile(e, 90)) if len(e) else np.nan})
    return pd.DataFrame(rows).set_index("band_km")


# --------------------------------------------------------------------------- fitting
def measured_circuity(pairs: pd.DataFrame, *, min_km: float = 2.0) -> dict[str, float]:
    """Median road km / straight-line km per origin class over pairs at least ``min_km`` apart.

    Shorter trips are more roundabout still; the curve's ``v_short`` absorbs that excess.
    """
    sel = pairs[(pairs["km"] >= min_km) & np.isfinite(pairs["road_km"])]
    return {str(c): float(np.median(g["road_km"] / g["km"])) for c, g in sel.groupby("cls")}


def band_balanced_weights(km: np.ndarray, bands: tuple[float, ...] = BANDS_KM) -> np.ndarray:
    """Weights giving every distance band the same total weight (mean weight 1)."""
    b = band_of(km, bands)
    counts = np.bincount(b, minlength=len(bands) - 1).astype(float)
    w = 1.0 / counts[b]
    return w * len(w) / w.sum()


def fit_drive(road: pd.DataFrame, samuel: pd.DataFrame, *, circuity: dict[str, float],
              classes: tuple[str, ...] = ("Urban", "Rural"), samuel_share: float = 0.5,
              loss: str = "soft_l1", f_scale_minutes: float = 3.0, relative_scale: float = RELATIVE_SCALE,
              ) -> tuple[dict[str, tuple[float, float, float, float]], float]:
    """Joint fit of the drive curve per class on real road trips and SAMueL trips.

    SAMueL's modelled times carry a fixed overhead against free-flow OpenStreetMap road times
    (its shortest trips take 6-9 minutes); one offset ``samuel_offset_minutes`` shared by both
    classes is fitted with the curves, so the curve itself predicts road-network minutes (what
    :class:`~geo.travel.routing.NetworkRouter` gives) while SAMueL still sets the long-distance
    speed.  Road trips are weighted so each distance band counts equally; SAMueL trips keep
    their natural distance mix; the two sources share the weight ``1 - samuel_share`` and
    ``samuel_share`` in each class.  Road trips count by their relative error (as the accuracy
    goals do; see :func:`fit_speed_curve`), SAMueL trips by their error in minutes (their fixed
    offset makes a relative error meaningless for short trips); the two are put on one scale so
    that a road trip ``relative_scale`` off weighs as much as a SAMueL trip ``f_scale_minutes``
    off.  The default robust loss (``soft_l1``) keeps SAMueL's odd trips (ferries, islands,
    hospital campuses) from pulling the curve; it cut the held-out SAMueL MAE by ~0.2 min
    against plain least squares.

    Returns ``({class: (v_short, v_long, k_km, overhead_minutes)}, samuel_offset_minutes)``.
    """
    from scipy.optimize import least_squares

    parts = []
    for i, c in enumerate(classes):
        r = road[road["cls"] == c]
        s = samuel[samuel["cls"] == c]
        wr = band_balanced_weights(r["km"].to_numpy()) * (1 - samuel_share) / max(len(r), 1)
        ws = np.full(len(s), samuel_share / max(len(s), 1))
        mr = r["minutes"].to_numpy(float)
        wr_rel = np.sqrt(wr) * (f_scale_minutes / relative_scale) / mr  # relative, on SAMueL's scale
        parts.append((i, r["km"].to_numpy(float), mr, wr_rel,
                      s["km"].to_numpy(float), s["minutes"].to_numpy(float), np.sqrt(ws)))
    scale = np.sqrt(sum(len(p[1]) + len(p[4]) for p in parts))

    def resid(p: np.ndarray) -> np.ndarray:
        delta = p[-1]
        out = []
        for i, kr, mr, wr, ks, ms, ws in parts:
            v_long, share, k, overhead = p[4 * i:4 * i + 4]
            circ = circuity[classes[i]]
            road_curve = curve_minutes(kr, circ, v_long * share, v_long, k, overhead)
            out.append(wr * (road_curve - mr))
            out.append(ws * (curve_minutes(ks, circ, v_long * share, v_long, k, overhead) + delta - ms))
        return scale * np.concatenate(out)

    x0 = [60.0, 0.5, 2.0, 0.1] * len(classes) + [5.0]
    lo = [5.0, 0.02, 0.05, 0.0] * len(classes) + [0.0]
    hi = [130.0, 1.0, 200.0, MAX_OVERHEAD_MINUTES] * len(classes) + [20.0]
    res = least_squares(resid, x0=x0, bounds=(lo, hi), loss=loss, f_scale=f_scale_minutes)
    coefs = {}
    for i, c in enumerate(classes):
        v_long, share, k, overhead = (float(v) for v in res.x[4 * i:4 * i + 4])
        coefs[c] = (v_long * share, v_long, k, overhead)
    return coefs, float(res.x[-1])


def fit_mode(road: pd.DataFrame, *, circuity: dict[str, float],
             classes: tuple[str, ...] = ("Urban", "Rural"), v_long_max: float = 130.0,
) -> dict[str, tuple[float, float, float, float]]:
    """Walk or cycle curve per class on real road trips (bands weighted equally, relative errors).

    ``v_long_max``: the fastest the curve may tend to (km/h); a little above the network's own
    walking or cycling speed, so long trips are never extrapolated faster than people move.
    """
    out = {}
    for c in classes:
        r = road[road["cls"] == c]
        out[c] = fit_speed_curve(r["km"].to_numpy(float), r["minutes"].to_numpy(float),
                                 circuity=circuity[c], weights=band_balanced_weights(r["km"].to_numpy()),
                                 v_long_max=v_long_max)
    return out


def geographic_folds(road: pd.DataFrame, samuel: pd.DataFrame | None = None, *,
                     split_easting: float | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Fold (0 or 1) of each trip: road trips by the origin's side of ``split_easting`` (west 0,
    east 1; default the median origin easting), SAMueL trips by region (odd ONS region codes
    E12000001/3/5/7/9 fold 0, even codes fold 1)."""
    x = road["origin_easting"].to_numpy(float)
    split = float(np.median(x)) if split_easting is None else split_easting
    f_road = (x > split).astype(np.int64)
    if samuel is None:
        return f_road, None
    last = samuel["region"].astype(str).str[-1]
    f_sam = (pd.to_numeric(last, errors="coerce").fillna(0).astype(int) % 2 == 0).to_numpy().astype(np.int64)
    return f_road, f_sam
