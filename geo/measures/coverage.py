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
:func:`range_text`).

The straight-line (distance) variant builds a times frame in :mod:`geo.measures.straight_line`;
several thresholds and per-service headlines side by side are in :mod:`geo.measures.coverage_sets`.
Both count with :func:`coverage_summary`, so there is one definition of coverage.

"""

from __future__ import annotations

import logging
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


def threshold_column(threshold_minutes: float | None, threshold_km: float | None,
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
    threshold_minutes, value_col = threshold_column(threshold_minutes, threshold_km, value_col)
    out: dict[str, Any] = {"headline": coverage_headline(
        times, threshold_minutes=threshold_minutes, weight=weight, value_col=value_col)}
    for b in breakdowns:
        if b in times.columns:
            out[f"by_{b}"] = coverage_table(times, threshold_minutes=threshold_minutes, by=b,
                                            weight=weight, value_col=value_col)
    return out


__all__ = ["BREAKDOWNS", "NETWORK_RANGE_NOTE", "PLACE_BREAKDOWNS", "RANGE_NOTE", "coverage_headline",
           "coverage_summary", "coverage_table", "has_range_columns", "range_text", "residents",
           "restrict_sites", "threshold_column", "weighted_mean", "weighted_median"]
