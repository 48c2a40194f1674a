"""Coverage: how many adults live within a travel-time (or distance) threshold of a service.

The core works on a *times frame*: one row per LSOA (index ``lsoa21cd``) with the LSOA-table
columns (``adults``, ``imd_decile``, ``urban_rural``, ``ruc21nm``, ``lad24nm`` ...), an
``in_area`` flag (core LSOAs vs the buffer ring) and ``minutes`` to the nearest site (NaN =
unreachable).  :func:`geo.travel.catchments.nearest_times` builds it from a router; tests and the
straight-line mode build it with :func:`nearest_site_straight_line`.

Definitions (used everywhere in ``geo``):

* an LSOA is *within* the threshold when ``minutes < threshold_minutes`` and *beyond* when
  ``minutes >= threshold_minutes`` **or** no site is reachable.  This matches the seed method
  "share of adults 18+ who need 45+ minutes to reach the nearest hub";
* adults are counted at the LSOA population-weighted centroid (all adults of an LSOA share its
  time);
* mean and median minutes are adults-weighted over *reachable* LSOAs only; unreachable adults
  are reported separately (``adults_unreachable``) and always count as beyond;
* only core LSOAs (``in_area``) are residents of the area; buffer-ring LSOAs are dropped.

The seed's "in-county sites only" rule is :func:`restrict_sites` (``in_county_only=True``)
applied to the sites *before* routing; cross-border coverage keeps the buffer sites.

Times carry a range: when the times frame has ``minutes_low``/``minutes_high`` (the router's
measured error, :mod:`geo.travel.error_bands`: the estimate's held-out errors, or the road
router's), every table also counts adults within on those times (``pct_within_low``/``_high``,
:func:`range_text`).  :func:`coverage_by_service` gives the headline per service side by side.

Why this module is long: the within/beyond definition above, its estimate range and the
straight-line (distance) variant are one definition of coverage and are kept together so
they cannot drift apart.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo._errors import InputError, SchemaError

if TYPE_CHECKING:
    from collections.abc import Sequence

logger = logging.getLogger(__name__)

#: Breakdowns reported by :func:`coverage_summary`, in order.
BREAKDOWNS = ("imd_decile", "urban_rural", "ruc21nm", "lad24nm")
#: Further breakdowns on request (``--by``): councils before 2021 (Daventry, Corby, ...) and 2024 wards.
PLACE_BREAKDOWNS = ("former_district", "ward")
#: How an estimate's coverage range is made (shown with every range).
RANGE_NOTE = ("estimate range: coverage recounted with every LSOA's time at the 90th and 10th "
              "percentile of the estimate's held-out errors against real road times")
#: The same for road-network times (the road router's measured error; geo.travel.error_bands).
NETWORK_RANGE_NOTE = ("travel-time range: coverage recounted with every LSOA's time at the 90th and 10th "
                      "percentile of the road router's measured error")


# --------------------------------------------------------------------------- weighted statistics
def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """Weighted median: the smallest value at which the cumulative weight reaches half the total.

    NaN values and non-positive weights are ignored; NaN when nothing is left.
    """
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    keep = np.isfinite(v) & np.isfinite(w) & (w > 0)
    v, w = v[keep], w[keep]
    if not len(v):
        return float("nan")
    order = np.argsort(v, kind="stable")
    v, w = v[order], w[order]
    cum = np.cumsum(w)
    return float(v[np.searchsorted(cum, 0.5 * cum[-1])])


def weighted_mean(values: np.ndarray, weights: np.ndarray) -> float:
    """Weighted mean over finite values (NaN when the weights sum to zero)."""
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    keep = np.isfinite(v) & np.isfinite(w)
    tot = w[keep].sum()
    return float((v[keep] * w[keep]).sum() / tot) if tot > 0 else float("nan")


# --------------------------------------------------------------------------- sites
def restrict_sites(sites: pd.DataFrame, *, in_county_only: bool = True) -> pd.DataFrame:
    """Keep only sites inside the study area (``in_area``) when ``in_county_only``.

    The seed Northamptonshire method counts in-county hubs only; cross-border analysis keeps the
    buffer sites that :func:`geo.data.sites.load_sites` returns with ``in_area=False``.
    """
    if not in_county_only:
        return sites
    if "in_area" not in sites.columns:
        msg = "sites have no 'in_area' column; load them with geo.data.sites.load_sites(area=...)"
        raise SchemaError(msg)
    out = sites[sites["in_area"].astype(bool)]
    logger.info("in-county sites only: %d of %d kept", len(out), len(sites))
    return out.reset_index(drop=True) if isinstance(out.index, pd.RangeIndex) else out


# --------------------------------------------------------------------------- core table
def _check(times: pd.DataFrame, cols: Sequence[str]) -> None:
    missing = [c for c in cols if c not in times.columns]
    if missing:
        msg = (f"times frame lacks column(s) {missing}; build it with "
               "geo.travel.catchments.nearest_times() or from the LSOA table")
        raise SchemaError(msg)


def residents(times: pd.DataFrame) -> pd.DataFrame:
    """Core LSOAs only (rows with ``in_area`` False are the buffer ring and are dropped)."""
    if "in_area" in times.columns:
        return times[times["in_area"].astype(bool)]
    return times


def coverage_table(times: pd.DataFrame, *, threshold_minutes: float, by: str | None = None,
                   weight: str = "adults", value_col: str = "minutes",
                   core_only: bool = True) -> pd.DataFrame:
    """Adults and LSOAs within / beyond a threshold, overall or per group.

    Parameters
    ----------
    times : pandas.DataFrame
        Times frame (see module docstring): one row per LSOA with ``value_col`` and ``weight``.
    threshold_minutes : float
        Threshold in the units of ``value_col`` (minutes; kilometres for ``distance_km``).
    by : str, optional
        Group column (``imd_decile``, ``urban_rural``, ``ruc21nm``, ``lad24nm``, ...);
        ``None`` gives one row labelled ``"All"``.
    weight : str, default "adults"
        Population column counted.
    value_col : str, default "minutes"
        Travel cost per LSOA; NaN = unreachable.
    core_only : bool, default True
        Drop buffer-ring LSOAs (``in_area`` False).

    Returns
    -------
    pandas.DataFrame
        Per group: ``lsoas``, ``adults`` (named after ``weight``), ``adults_within``,
        ``adults_beyond`` (includes unreachable), ``adults_unreachable``, ``lsoas_within``,
        ``lsoas_beyond``, ``lsoas_unreachable``, ``pct_within``, ``pct_beyond``,
        ``mean_minutes`` and ``median_minutes`` (weighted, reachable LSOAs; named after
        ``value_col``), ``pct_of_all_beyond`` (group's share of all adults beyond).
        When ``times`` has ``<value_col>_low`` and ``<value_col>_high`` (the range of an
        estimate, see :func:`geo.travel.catchments.nearest_times`) also ``adults_within_low``
        and ``pct_within_low`` (counted on the high times: the pessimistic end),
        ``adults_within_high`` and ``pct_within_high`` (on the low times), and
        ``pct_beyond_low`` / ``pct_beyond_high``, and ``mean_minutes_low``/``_high`` and
        ``median_minutes_low``/``_high`` (the weighted mean and median of the low and high times).
    """
    if not np.isfinite(threshold_minutes) or threshold_minutes <= 0:
        msg = f"threshold must be a positive number, got {threshold_minutes!r}"
        raise InputError(msg)
    cols = [value_col, weight] + ([by] if by else [])
    _check(times, cols)
    df = residents(times) if core_only else times
    v = df[value_col].to_numpy(dtype=float)
    w = df[weight].to_numpy(dtype=float)
    within = np.isfinite(v) & (v < threshold_minutes)
    unreach = ~np.isfinite(v)
    frame = pd.DataFrame({
        "g": "All" if by is None else df[by].to_numpy(),
        "w": w, "v": v, "within": within, "unreach": unreach,
    })
    has_range = has_range_columns(df, value_col)
    if has_range:
        lo = df[f"{value_col}_low"].to_numpy(dtype=float)
        hi = df[f"{value_col}_high"].to_numpy(dtype=float)
        frame["within_low"] = np.isfinite(hi) & (hi < threshold_minutes)
        frame["within_high"] = np.isfinite(lo) & (lo < threshold_minutes)
        frame["lo"], frame["hi"] = lo, hi
    rows: dict[Any, dict[str, float]] = {}
    for key, g in frame.groupby("g", sort=True, observed=True, dropna=False):
        gw = g["w"].to_numpy()
        rows[key] = {
            "lsoas": len(g),
            weight: gw.sum(),
            f"{weight}_within": gw[g["within"].to_numpy()].sum(),
            f"{weight}_beyond": gw[~g["within"].to_numpy()].sum(),
            f"{weight}_unreachable": gw[g["unreach"].to_numpy()].sum(),
            "lsoas_within": int(g["within"].sum()),
            "lsoas_beyond": int((~g["within"]).sum()),
            "lsoas_unreachable": int(g["unreach"].sum()),
            f"mean_{value_col}": weighted_mean(g["v"].to_numpy(), gw),
            f"median_{value_col}": weighted_median(g["v"].to_numpy(), gw),
        }
        if has_range:
            rows[key][f"{weight}_within_low"] = gw[g["within_low"].to_numpy()].sum()
            rows[key][f"{weight}_within_high"] = gw[g["within_high"].to_numpy()].sum()
            for stat, fn in (("mean", weighted_mean), ("median", weighted_median)):
                rows[key][f"{stat}_{value_col}_low"] = fn(g["lo"].to_numpy(), gw)
                rows[key][f"{stat}_{value_col}_high"] = fn(g["hi"].to_numpy(), gw)
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = by or "group"
    tot = out[weight].replace(0, np.nan)
    out.insert(5, "pct_within", 100.0 * out[f"{weight}_within"] / tot)
    out.insert(6, "pct_beyond", 100.0 * out[f"{weight}_beyond"] / tot)
    if has_range:
        out["pct_within_low"] = 100.0 * out[f"{weight}_within_low"] / tot
        out["pct_within_high"] = 100.0 * out[f"{weight}_within_high"] / tot
        out["pct_beyond_low"] = 100.0 - out["pct_within_high"]
        out["pct_beyond_high"] = 100.0 - out["pct_within_low"]
    all_beyond = out[f"{weight}_beyond"].sum()
    out["pct_of_all_beyond"] = 100.0 * out[f"{weight}_beyond"] / all_beyond if all_beyond else 0.0
    for c in ("lsoas", "lsoas_within", "lsoas_beyond", "lsoas_unreachable"):
        out[c] = out[c].astype(int)
    wcols = [weight, f"{weight}_within", f"{weight}_beyond", f"{weight}_unreachable"]
    if has_range:
        wcols += [f"{weight}_within_low", f"{weight}_within_high"]
    vals = out[wcols].to_numpy(dtype=float)
    if np.isfinite(vals).all() and (vals == np.round(vals)).all():
        out[wcols] = out[wcols].astype("int64")
    if by == "imd_decile":
        out = out.reindex([d for d in range(1, 11) if d in out.index])
    return out


def coverage_headline(times: pd.DataFrame, *, threshold_minutes: float, weight: str = "adults",
                      value_col: str = "minutes") -> dict[str, Any]:
    """One-line summary: adults, adults beyond, percentage beyond, weighted mean/median."""
    row = coverage_table(times, threshold_minutes=threshold_minutes, weight=weight,
                         value_col=value_col).iloc[0]
    res = residents(times)
    method = res["method"].dropna().unique().tolist() if "method" in res.columns else []
    out = {
        "threshold": threshold_minutes,
        "unit": "km" if value_col.endswith("_km") else "minutes",
        "lsoas": int(row["lsoas"]),
        weight: round(float(row[weight])),
        f"{weight}_within": round(float(row[f"{weight}_within"])),
        f"{weight}_beyond": round(float(row[f"{weight}_beyond"])),
        f"{weight}_unreachable": round(float(row[f"{weight}_unreachable"])),
        "pct_within": round(float(row["pct_within"]), 2),
        "pct_beyond": round(float(row["pct_beyond"]), 2),
        f"mean_{value_col}": round(float(row[f"mean_{value_col}"]), 2),
        f"median_{value_col}": round(float(row[f"median_{value_col}"]), 2),
        "method": ", ".join(str(m) for m in method) or "unknown",
    }
    if "pct_within_low" in row.index:
        out.update({
            f"{weight}_within_low": round(float(row[f"{weight}_within_low"])),
            f"{weight}_within_high": round(float(row[f"{weight}_within_high"])),
            f"{weight}_beyond_low": round(float(row[weight] - row[f"{weight}_within_high"])),
            f"{weight}_beyond_high": round(float(row[weight] - row[f"{weight}_within_low"])),
            "pct_within_low": round(float(row["pct_within_low"]), 2),
            "pct_within_high": round(float(row["pct_within_high"]), 2),
            "pct_beyond_low": round(float(row["pct_beyond_low"]), 2),
            "pct_beyond_high": round(float(row["pct_beyond_high"]), 2),
            **{f"{stat}_{value_col}_{end}": round(float(row[f"{stat}_{value_col}_{end}"]), 2)
               for stat in ("mean", "median") for end in ("low", "high")},
            "range_note": RANGE_NOTE if "estimate" in str(out["method"]) else NETWORK_RANGE_NOTE,
        })
    return out


def has_range_columns(times: pd.DataFrame, value_col: str = "minutes") -> bool:
    """Whether ``times`` carries an estimate range (``<value_col>_low`` and ``_high``)."""
    return f"{value_col}_low" in times.columns and f"{value_col}_high" in times.columns


def range_text(headline: dict[str, Any], *, what: str = "within", weight: str = "adults") -> str:
    """``"62.1-71.4% of adults within 30 min (estimate range)"``; ``""`` without a range.

    ``what`` is ``"within"`` or ``"beyond"`` (``beyond`` reads "30+ min").
    """
    if f"pct_{what}_low" not in headline:
        return ""
    lo, hi = headline[f"pct_{what}_low"], headline[f"pct_{what}_high"]
    thr = headline["threshold"]
    unit = "km" if headline.get("unit") == "km" else "min"
    where = f"within {thr:g} {unit}" if what == "within" else f"{thr:g}+ {unit} away"
    kind = "travel-time range" if str(headline.get("range_note", "")).startswith("travel-time") else "estimate range"
    return f"{lo:.1f}\u2013{hi:.1f}% of {weight} {where} ({kind})"


def _threshold(threshold_minutes: float | None, threshold_km: float | None,
               value_col: str | None) -> tuple[float, str]:
    """The one threshold given and the column it applies to (minutes, or km for ``distance_km``)."""
    if (threshold_minutes is None) == (threshold_km is None):
        msg = "give exactly one of threshold_minutes or threshold_km"
        raise InputError(msg)
    if threshold_km is not None:
        col = value_col or "distance_km"
        if not col.endswith("_km"):
            msg = f"threshold_km needs a distance column (e.g. distance_km), not {col!r}"
            raise InputError(msg)
        return float(threshold_km), col
    col = value_col or "minutes"
    if col.endswith("_km"):
        msg = f"{col!r} holds kilometres: pass threshold_km, not threshold_minutes"
        raise InputError(msg)
    return float(threshold_minutes), col  # type: ignore[arg-type]


def coverage_summary(times: pd.DataFrame, *, threshold_minutes: float | None = None,
                     threshold_km: float | None = None, weight: str = "adults",
                     value_col: str | None = None,
                     breakdowns: Sequence[str] = BREAKDOWNS) -> dict[str, Any]:
    """Headline plus one :func:`coverage_table` per breakdown present in ``times``.

    Give ``threshold_minutes`` for travel times or ``threshold_km`` for straight-line
    distances (``distance_km``).  Returns a dict ``{"headline": {...}, "by_imd_decile":
    DataFrame, ...}``; breakdown columns missing from ``times`` are skipped.
    """
    threshold_minutes, value_col = _threshold(threshold_minutes, threshold_km, value_col)
    out: dict[str, Any] = {"headline": coverage_headline(
        times, threshold_minutes=threshold_minutes, weight=weight, value_col=value_col)}
    for b in breakdowns:
        if b in times.columns:
            out[f"by_{b}"] = coverage_table(times, threshold_minutes=threshold_minutes, by=b,
                                            weight=weight, value_col=value_col)
    return out


# --------------------------------------------------------------------------- straight line
def nearest_site_straight_line(lsoas: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """Straight-line distance from each LSOA population-weighted centroid to its nearest site.

    A KD-tree on the site coordinates (EPSG:27700 metres) answers all LSOAs at once, so all of
    England (33,755 LSOAs x ~10,500 pharmacies) takes well under a second.

    Returns
    -------
    pandas.DataFrame
        ``lsoas`` plus ``distance_metres``, ``distance_km``, ``site_id``, ``site_name``,
        ``site_type``, ``site_in_area`` (NaN/None columns when there are no sites).
    """
    from scipy.spatial import cKDTree

    for frame, what in ((lsoas, "LSOAs"), (sites, "sites")):
        missing = [c for c in ("easting", "northing") if c not in frame.columns]
        if missing:
            msg = f"{what} lack column(s) {missing} (EPSG:27700 metres)"
            raise SchemaError(msg)
    site_xy = sites[["easting", "northing"]].to_numpy(dtype=float)
    ok = np.isfinite(site_xy).all(axis=1)
    site_xy = site_xy[ok]
    s = sites[ok]
    out = pd.DataFrame(lsoas).copy()
    if "geometry" in out.columns:
        out = out.drop(columns="geometry")
    xy = out[["easting", "northing"]].to_numpy(dtype=float)
    if not len(site_xy):
        out["distance_metres"] = np.nan
        out["distance_km"] = np.nan
        for c in ("site_id", "site_name", "site_type", "site_in_area"):
            out[c] = None
        return out
    t0 = time.perf_counter()
    dist, idx = cKDTree(site_xy).query(xy, k=1)
    logger.info("KD-tree nearest site: %d origins x %d sites in %.3f s", len(xy), len(site_xy),
                time.perf_counter() - t0)
    out["distance_metres"] = dist
    out["distance_km"] = dist / 1000.0
    out["site_id"] = s["site_id"].to_numpy()[idx] if "site_id" in s else idx
    out["site_name"] = s["name"].to_numpy()[idx] if "name" in s else None
    out["site_type"] = s["site_type"].to_numpy()[idx] if "site_type" in s else None
    out["site_in_area"] = s["in_area"].to_numpy()[idx] if "in_area" in s else True
    return out


def straight_line_times(lsoas: pd.DataFrame, sites: pd.DataFrame, *, speed_kph: float,
                        detour_factor: float = 1.0) -> pd.DataFrame:
    """A times frame from straight-line distance: ``minutes = km x detour / speed_kph x 60``.

    A crude stand-in for routed times (labelled ``method="straight-line"``); useful for tests,
    sensitivity checks and places without a network.
    """
    if speed_kph <= 0 or detour_factor <= 0:
        msg = "speed_kph and detour_factor must be positive"
        raise InputError(msg)
    out = nearest_site_straight_line(lsoas, sites)
    out["minutes"] = out["distance_km"] * detour_factor / speed_kph * 60.0
    out["method"] = "straight-line"
    if "in_area" not in out.columns:
        out["in_area"] = True
    return out


def straight_line_coverage(lsoas: pd.DataFrame, sites: pd.DataFrame, *, threshold_km: float = 1.6,
                           weight: str = "adults",
                           breakdowns: Sequence[str] = ("imd_decile", "urban_rural"),
                           ) -> dict[str, Any]:
    """Share of adults whose LSOA centroid lies within ``threshold_km`` (straight line) of a site.

    Parameters
    ----------
    lsoas : pandas.DataFrame
        LSOA rows with ``easting``/``northing`` (population-weighted centroids) and ``weight``.
    sites : pandas.DataFrame
        Sites with ``easting``/``northing``.
    threshold_km : float, default 1.6
        Distance threshold (1.6 km = 1 mile, the usual pharmacy-access benchmark).
    weight : str, default "adults"
        Population column.
    breakdowns : sequence of str
        Group columns for the breakdown tables.

    Returns
    -------
    dict
        ``headline`` (dict), ``by_<col>`` tables as :func:`coverage_table`, ``distances``
        (the per-LSOA frame), ``seconds`` (compute time).
    """
    t0 = time.perf_counter()
    d = nearest_site_straight_line(lsoas, sites)
    if "in_area" not in d.columns:
        d["in_area"] = True
    d["method"] = "straight-line"
    out = coverage_summary(d, threshold_km=threshold_km, weight=weight, breakdowns=breakdowns)
    out["seconds"] = round(time.perf_counter() - t0, 3)
    out["distances"] = d
    logger.info("straight-line coverage %.1f km: %.1f%% of %s within (%.2f s)", threshold_km,
                out["headline"]["pct_within"], weight, out["seconds"])
    return out


# --------------------------------------------------------------------------- several thresholds
def parse_thresholds(text: str | float | Sequence[float]) -> tuple[float, ...]:
    """Thresholds from ``"15,30,45"`` (or one number, or a sequence): sorted, unique, positive.

    Raises
    ------
    InputError
        On an empty list, a non-number or a non-positive value.
    """
    if isinstance(text, str):
        parts = [t.strip() for t in text.split(",") if t.strip()]
    elif isinstance(text, int | float | np.integer | np.floating):
        parts = [str(text)]
    else:
        parts = [str(t) for t in text]
    if not parts:
        msg = "give at least one threshold, e.g. 45 or 15,30,45"
        raise InputError(msg)
    values: list[float] = []
    for t in parts:
        try:
            v = float(t)
        except ValueError:
            msg = f"threshold {t!r} is not a number (use e.g. 15,30,45)"
            raise InputError(msg) from None
        if not np.isfinite(v) or v <= 0:
            msg = f"threshold must be a positive number, got {t!r}"
            raise InputError(msg)
        values.append(v)
    return tuple(sorted(set(values)))


def coverage_by_thresholds(times: pd.DataFrame, *, thresholds_minutes: Sequence[float] | None = None,
                           thresholds_km: Sequence[float] | None = None,
                           breakdowns: Sequence[str] = BREAKDOWNS, weight: str = "adults",
                           value_col: str | None = None) -> pd.DataFrame:
    """One long table: :func:`coverage_table` for every threshold, overall and per breakdown.

    Returns
    -------
    pandas.DataFrame
        Columns ``threshold_minutes`` (``threshold_km`` for distances), ``breakdown`` (``"all"``
        or the group column), ``group`` (``"All"`` or the group value) and the
        :func:`coverage_table` columns; within each (threshold, breakdown) the ``weight`` columns
        add up to the area's total.
    """
    if (thresholds_minutes is None) == (thresholds_km is None):
        msg = "give exactly one of thresholds_minutes or thresholds_km"
        raise InputError(msg)
    km = thresholds_km is not None
    _, value_col = _threshold(None if km else 1.0, 1.0 if km else None, value_col)
    thr_col = "threshold_km" if km else "threshold_minutes"
    frames = []
    for thr in parse_thresholds(list(thresholds_km if km else thresholds_minutes)):  # type: ignore[arg-type]
        for b in (None, *[b for b in breakdowns if b in times.columns]):
            t = coverage_table(times, threshold_minutes=thr, by=b, weight=weight, value_col=value_col)
            t = t.reset_index(names="group")
            t.insert(0, "breakdown", b or "all")
            t.insert(0, thr_col, thr)
            frames.append(t)
    out = pd.concat(frames, ignore_index=True)
    out["group"] = out["group"].astype(str)
    logger.info("coverage at %d threshold(s): %d rows", len(set(out[thr_col])), len(out))
    return out


def has_service_times(times: pd.DataFrame, service: str, *, value_col: str = "minutes") -> bool:
    """Whether ``times`` carries the per-service column ``<value_col>_<service>``."""
    return f"{value_col}_{service}" in times.columns


def service_times(times: pd.DataFrame, service: str, *, value_col: str = "minutes") -> pd.DataFrame:
    """``times`` with ``value_col`` (and its range and nearest site) set to one service's columns.

    ``service`` ``"any"`` (or a service without its own column) returns ``times`` unchanged:
    the nearest site of any type.  Every measure that reads ``minutes`` then answers for that
    service (coverage, gap scores, equity).
    """
    if not has_service_times(times, service, value_col=value_col):
        return times
    out = times.copy()
    for suffix in ("", "_low", "_high"):
        src = f"{value_col}_{service}{suffix}"
        if src in times.columns:
            out[f"{value_col}{suffix}"] = times[src].to_numpy()
        elif suffix and f"{value_col}{suffix}" in out.columns:
            out = out.drop(columns=f"{value_col}{suffix}")
    for col in ("site_id", "site_name"):
        if f"{col}_{service}" in times.columns:
            out[col] = times[f"{col}_{service}"].to_numpy()
    return out


def coverage_by_service(times: pd.DataFrame, services: Sequence[str], *,
                        thresholds_minutes: Sequence[float] | None = None,
                        thresholds_km: Sequence[float] | None = None, weight: str = "adults") -> pd.DataFrame:
    """Headline coverage per service, side by side: one row per (service, threshold).

    ``times`` carries ``minutes`` (nearest site of any type) and ``minutes_<service>`` per
    service (:func:`geo.travel.catchments.nearest_times` with ``services=``; ``distance_km_*``
    for straight-line studies).  Rows follow :func:`geo.data.services.result_services`: each
    service, then ``any`` (the nearest site of any type) when there are several.

    Returns
    -------
    pandas.DataFrame
        Index ``service``; columns ``service_label``, ``threshold_minutes`` (``threshold_km``)
        and the :func:`coverage_headline` figures (``adults_within``, ``adults_beyond``,
        ``pct_beyond``, ``mean_minutes``, ``median_minutes`` ..., with ``_low``/``_high``
        where the times carry a range).
    """
    from geo.data.services import ANY_SITE, result_services, selection_label

    if (thresholds_minutes is None) == (thresholds_km is None):
        msg = "give exactly one of thresholds_minutes or thresholds_km"
        raise InputError(msg)
    km = thresholds_km is not None
    value_col, thr_col = ("distance_km", "threshold_km") if km else ("minutes", "threshold_minutes")
    rows = []
    for key in result_services(services):
        if not has_service_times(times, key, value_col=value_col) and key != ANY_SITE:
            continue
        sub = service_times(times, key, value_col=value_col)
        for thr in parse_thresholds(list(thresholds_km if km else thresholds_minutes)):  # type: ignore[arg-type]
            h = coverage_headline(sub, threshold_minutes=thr, weight=weight, value_col=value_col)
            for drop in ("threshold", "unit", "range_note"):
                h.pop(drop, None)
            rows.append({"service": key, "service_label": selection_label(key), thr_col: thr, **h})
    out = pd.DataFrame(rows)
    return out.set_index("service") if len(out) else out


__all__ = ["BREAKDOWNS", "PLACE_BREAKDOWNS", "RANGE_NOTE", "coverage_by_service", "coverage_by_thresholds",
           "coverage_headline", "has_service_times", "service_times",
           "coverage_summary", "coverage_table", "has_range_columns", "nearest_site_straight_line",
           "parse_thresholds", "range_text", "residents", "restrict_sites", "straight_line_coverage",
           "straight_line_times", "weighted_mean", "weighted_median"]
