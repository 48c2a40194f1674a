"""Scenario answers per service, side by side, each figure with its range.

A study of several services (``--sites hub,pharmacy``) answers every question once per service
-- the nearest treatment hub, the nearest pharmacy -- and once for the nearest site of any type
(:func:`geo.data.services.result_services`).  Closing the only hub is then a loss of hub access
even when a pharmacy is round the corner.

Every figure comes with ``<figure>_low`` and ``<figure>_high``: the 10th-90th percentile of the
figure over the seeded draws of :class:`geo.measures.uncertainty.AccessDraws` (travel-time error
and site-location precision), widened to contain the figure itself.  ``verdict`` says whether a
change is a gain, a loss, no change, or "not distinguishable from no change" (its range
includes zero).  Names are the same in the CLI, the API, the report and the atlas.

Definitions follow :mod:`geo.planning.scenarios`: an origin (core LSOA, weighted by adults) is
*within* when its nearest site is at most the threshold away; means and medians are
adults-weighted over origins with a reachable site.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo.data.services import result_services, selection_label, service_masks
from geo.measures.coverage import weighted_mean, weighted_median
from geo.measures.intervals import NOT_DISTINGUISHABLE, interval, verdict
from geo.measures.uncertainty import AccessDraws, UncertaintySpec
from geo.travel.matrix import site_origin_matrix
from geo.travel.modes import Method

if TYPE_CHECKING:
    from geo.config import Settings
    from geo.travel.base import Router
    from geo.travel.matrix import Origins

logger = logging.getLogger(__name__)

#: A planning answer: per-service tables plus the run record (what the CLI emits as JSON).
Answer = dict[str, Any]
#: Scenario figures per service, in order; each gets ``_low``/``_high`` (see module docstring).
SCENARIO_FIGURES = ("adults_within_before", "adults_within_after", "adults_within_change",
                    "pct_within_before", "pct_within_after", "pct_within_change_pts",
                    "adults_newly_within", "adults_newly_beyond",
                    "mean_minutes_before", "mean_minutes_after", "mean_minutes_change",
                    "median_minutes_before", "median_minutes_after", "median_minutes_change")
#: Counts that carry no range (they describe the router's answer, not a quantity of people).
SCENARIO_COUNTS = ("lsoas_newly_within", "lsoas_newly_beyond", "lsoas_nearest_site_changed",
                   "adults_no_site_reachable_before", "adults_no_site_reachable_after")
#: Breakdown columns that carry a range.
GROUP_FIGURES = ("adults_newly_within", "adults_newly_beyond", "mean_minutes_change")
GROUP_COLUMNS = (("by_imd_decile", "imd_decile"), ("by_urban_rural", "urban_rural"), ("by_lad", "lad24nm"))
#: A headline mentions a fall in mean minutes when even its near end is at least this big.
MATERIAL_MINUTES = 0.5
#: A change in adults or minutes this small is no change (half the shown precision).
ADULTS_TOLERANCE, MINUTES_TOLERANCE = 0.5, 0.05


@dataclass(frozen=True)
class _State:
    """Nearest minutes per origin before and after, and the nearest row, for one service."""

    before: np.ndarray
    after: np.ndarray
    idx_before: np.ndarray
    idx_after: np.ndarray


def _nearest(m: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Minutes (inf = none) and union row of the nearest site among ``rows``."""
    n_o = m.shape[1]
    if not rows.any():
        return np.full(n_o, np.inf), np.full(n_o, -1, dtype=np.int64)
    pos = np.flatnonzero(rows)
    sub = m[pos]
    idx = np.argmin(sub, axis=0)
    best = sub[idx, np.arange(n_o)]
    return best, np.where(np.isfinite(best), pos[idx], -1)


def _figures(b: np.ndarray, a: np.ndarray, w: np.ndarray, t: float) -> dict[str, float]:
    """The scenario figures of one service from nearest minutes before (``b``) and after (``a``)."""
    total = float(w.sum()) or 1.0
    bw, aw = b <= t, a <= t
    rb, ra = np.isfinite(b), np.isfinite(a)
    mb, ma = weighted_mean(b[rb], w[rb]), weighted_mean(a[ra], w[ra])
    db, da = weighted_median(b[rb], w[rb]), weighted_median(a[ra], w[ra])
    within_b, within_a = float(w[bw].sum()), float(w[aw].sum())
    return {
        "adults_within_before": within_b, "adults_within_after": within_a,
        "adults_within_change": within_a - within_b,
        "pct_within_before": 100.0 * within_b / total, "pct_within_after": 100.0 * within_a / total,
        "pct_within_change_pts": 100.0 * (within_a - within_b) / total,
        "adults_newly_within": float(w[~bw & aw].sum()), "adults_newly_beyond": float(w[bw & ~aw].sum()),
        "mean_minutes_before": mb, "mean_minutes_after": ma, "mean_minutes_change": ma - mb,
        "median_minutes_before": db, "median_minutes_after": da, "median_minutes_change": da - db,
    }


def _groups(table: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Codes and labels of each breakdown present in the origins' table."""
    out = {}
    for key, col in GROUP_COLUMNS:
        if col in table.columns:
            codes, labels = pd.factorize(table[col], sort=True)
            out[key] = (codes, np.asarray(labels))
    return out


def _group_figures(b: np.ndarray, a: np.ndarray, w: np.ndarray, t: float, codes: np.ndarray,
                   n: int) -> np.ndarray:
    """``(3, n)``: adults newly within, newly beyond and the change in mean minutes per group."""
    bw, aw = b <= t, a <= t
    ok = codes >= 0
    c = codes[ok]

    def s(v: np.ndarray) -> np.ndarray:
        return np.bincount(c, weights=v[ok], minlength=n)[:n]

    rb, ra = np.isfinite(b), np.isfinite(a)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_b = s(np.where(rb, w * b, 0.0)) / s(np.where(rb, w, 0.0))
        mean_a = s(np.where(ra, w * a, 0.0)) / s(np.where(ra, w, 0.0))
    return np.stack([s(w * (~bw & aw)), s(w * (bw & ~aw)), mean_a - mean_b])


def _union(base: pd.DataFrame, after: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Union of two site sets: rows, base mask, after mask and, per after row, its union row.

    A site is the same in both when its ``site_id`` and coordinates (to 0.1 m) agree; a moved
    site is two union rows (where it was, where it goes).
    """
    def keys(df: pd.DataFrame) -> list[tuple[str, float, float]]:
        return [(str(s), round(float(e), 1), round(float(n), 1)) for s, e, n in
                zip(df["site_id"], df["easting"], df["northing"], strict=True)]

    base = pd.DataFrame(base).reset_index(drop=True)
    after = pd.DataFrame(after).reset_index(drop=True)
    where = {k: i for i, k in enumerate(keys(base))}
    after_rows = np.empty(len(after), dtype=np.int64)
    extra: list[int] = []
    for i, k in enumerate(keys(after)):
        if k in where:
            after_rows[i] = where[k]
        else:
            after_rows[i] = len(base) + len(extra)
            extra.append(i)
    union = pd.concat([base, after.iloc[extra]], ignore_index=True) if extra else base
    in_base = np.zeros(len(union), dtype=bool)
    in_base[: len(base)] = True
    in_after = np.zeros(len(union), dtype=bool)
    in_after[after_rows] = True
    return union, in_base, in_after, after_rows


def compare_by_service(base_sites: pd.DataFrame, after_sites: pd.DataFrame, router: Router, origins: Origins, *,
                       services: tuple[str, ...], threshold_minutes: float, spec: UncertaintySpec,
                       settings: Settings | None = None, base_matrix: np.ndarray | None = None) -> dict[str, Any]:
    """Before/after figures per service with ranges.

    Parameters
    ----------
    base_sites, after_sites : the sites before and after the changes.
    router : the study's router (its error bands set the travel-time part of the ranges).
    origins : core LSOAs with their weights (:func:`geo.travel.matrix.area_origins`).
    services : the study's services; results are :func:`~geo.data.services.result_services`.
    threshold_minutes : within = nearest site at most this far.
    spec : Monte Carlo size and seed.
    base_matrix : the already-routed ``(n_base, n_origins)`` minutes of ``base_sites``.

    Returns
    -------
    dict with ``by_service`` (one row per service: ``service``, ``service_label``, every
    :data:`SCENARIO_FIGURES` figure with ``_low``/``_high``, :data:`SCENARIO_COUNTS`,
    ``chance_of_gain``/``chance_of_loss`` (share of draws in which adults within rise/fall),
    ``verdict`` on adults within, ``mean_minutes_verdict``), ``by_imd_decile`` / ``by_urban_rural`` /
    ``by_lad`` (long: ``service`` + group, with ranges on :data:`GROUP_FIGURES`),
    ``changed_lsoas`` (long: ``service`` + LSOA whose nearest site or minutes change, with
    ``minutes_before/after/change`` and their ranges) and ``uncertainty`` (how the ranges were made).
    """
    union, in_base, in_after, _ = _union(base_sites, after_sites)
    mb = site_origin_matrix(router, base_sites, origins) if base_matrix is None else np.asarray(base_matrix)
    new = np.flatnonzero(~in_base)
    m = np.vstack([mb, site_origin_matrix(router, union.iloc[new], origins)]) if len(new) else mb
    m = np.where(np.isnan(m), np.inf, m)
    masks = service_masks(union, services)
    keys = list(result_services(services))
    w, t = origins.weights, float(threshold_minutes)
    ids = union["site_id"].astype(str).to_numpy()

    def states(mat: np.ndarray, only: np.ndarray | None = None) -> dict[str, _State]:
        """Nearest before/after per service; ``only`` limits the search to rows that can matter."""
        out = {}
        use = np.ones(len(union), dtype=bool) if only is None else only
        for k in keys:
            b, ib = _nearest(mat, in_base & masks[k] & use)
            a, ia = _nearest(mat, in_after & masks[k] & use)
            out[k] = _State(b, a, ib, ia)
        return out

    point = states(m)
    groups = _groups(origins.table)
    draws = AccessDraws(router, origins.xy, union, m, spec=spec, settings=settings,
                        states=[s & masks[k] for k in keys for s in (in_base, in_after)])
    n_d = draws.draws
    fig_draws = np.full((n_d, len(keys), len(SCENARIO_FIGURES)), np.nan)
    grp_draws = {g: np.full((n_d, len(keys), len(GROUP_FIGURES), len(lab)), np.nan) for g, (_, lab) in groups.items()}
    lsoa_draws = np.full((n_d, len(keys), 3, origins.n), np.nan)
    for r, mat in draws.matrices():  # draws, not LSOAs: each draw is vectorised over sites and origins
        st = states(mat, draws.keep)
        for j, k in enumerate(keys):
            f = _figures(st[k].before, st[k].after, w, t)
            fig_draws[r, j] = [f[name] for name in SCENARIO_FIGURES]
            for g, (codes, lab) in groups.items():
                grp_draws[g][r, j] = _group_figures(st[k].before, st[k].after, w, t, codes, len(lab))
            lsoa_draws[r, j] = _finite3(st[k].before, st[k].after)
    rows = []
    for j, k in enumerate(keys):
        p = point[k]
        f = _figures(p.before, p.after, w, t)
        row: dict[str, Any] = {"service": k, "service_label": selection_label(k)}
        for n, name in enumerate(SCENARIO_FIGURES):
            lo, hi = interval(fig_draws[:, j, n], f[name])
            row.update({name: f[name], f"{name}_low": float(lo), f"{name}_high": float(hi)})
        bw, aw = p.before <= t, p.after <= t
        row.update({
            "lsoas_newly_within": int((~bw & aw).sum()), "lsoas_newly_beyond": int((bw & ~aw).sum()),
            "lsoas_nearest_site_changed": int((_ids(ids, p.idx_before) != _ids(ids, p.idx_after)).sum()),
            "adults_no_site_reachable_before": float(w[~np.isfinite(p.before)].sum()),
            "adults_no_site_reachable_after": float(w[~np.isfinite(p.after)].sum()),
            "sites_before": int((in_base & masks[k]).sum()), "sites_after": int((in_after & masks[k]).sum()),
        })
        change = fig_draws[:, j, SCENARIO_FIGURES.index("adults_within_change")]
        row["chance_of_gain"] = float(np.mean(change > ADULTS_TOLERANCE)) if n_d else np.nan
        row["chance_of_loss"] = float(np.mean(change < -ADULTS_TOLERANCE)) if n_d else np.nan
        row["verdict"] = verdict(row["adults_within_change"], row["adults_within_change_low"],
                                 row["adults_within_change_high"], tolerance=ADULTS_TOLERANCE)
        row["mean_minutes_verdict"] = verdict(row["mean_minutes_change"], row["mean_minutes_change_low"],
                                              row["mean_minutes_change_high"], tolerance=MINUTES_TOLERANCE,
                                              better="lower")
        rows.append(row)
    by_service = pd.DataFrame(rows).set_index("service")
    out: dict[str, Any] = {"by_service": by_service}
    for g, (codes, lab) in groups.items():
        out[g] = _group_table(point, keys, w, t, codes, lab, grp_draws[g], GROUP_COLUMNS_BY_KEY[g])
    out["changed_lsoas"] = _changed(point, keys, origins, ids, lsoa_draws)
    out["uncertainty"] = describe_draws(draws, spec)
    return out


GROUP_COLUMNS_BY_KEY = dict(GROUP_COLUMNS)


def _ids(ids: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return np.where(idx >= 0, ids[np.clip(idx, 0, None)] if len(ids) else "", "")


def _finite3(b: np.ndarray, a: np.ndarray) -> np.ndarray:
    bb = np.where(np.isfinite(b), b, np.nan)
    aa = np.where(np.isfinite(a), a, np.nan)
    return np.stack([bb, aa, aa - bb])


def _group_table(point: dict[str, _State], keys: list[str], w: np.ndarray, t: float, codes: np.ndarray,
                 labels: np.ndarray, draws: np.ndarray, name: str) -> pd.DataFrame:
    frames = []
    n = len(labels)
    ok = codes >= 0
    lsoas = np.bincount(codes[ok], minlength=n)[:n]
    adults = np.bincount(codes[ok], weights=w[ok], minlength=n)[:n]
    for j, k in enumerate(keys):
        p = point[k]
        bw, aw = p.before <= t, p.after <= t
        fig = _group_figures(p.before, p.after, w, t, codes, n)
        rb = np.isfinite(p.before)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_b = (np.bincount(codes[ok], weights=np.where(rb, w * p.before, 0.0)[ok], minlength=n)[:n]
                      / np.bincount(codes[ok], weights=np.where(rb, w, 0.0)[ok], minlength=n)[:n])
        df = pd.DataFrame({
            "service": k, name: labels, "lsoas": lsoas, "adults": adults,
            "adults_within_before": np.bincount(codes[ok], weights=(w * bw)[ok], minlength=n)[:n],
            "adults_within_after": np.bincount(codes[ok], weights=(w * aw)[ok], minlength=n)[:n],
            "adults_newly_within": fig[0], "adults_newly_beyond": fig[1],
            "mean_minutes_before": mean_b, "mean_minutes_after": mean_b + fig[2], "mean_minutes_change": fig[2],
        })
        for n_fig, col in enumerate(GROUP_FIGURES):
            lo, hi = interval(draws[:, j, n_fig, :], df[col].to_numpy(dtype=float))
            at = list(df.columns).index(col) + 1
            df.insert(at, f"{col}_low", lo)
            df.insert(at + 1, f"{col}_high", hi)
        frames.append(df)
    out = pd.concat(frames, ignore_index=True).set_index(["service", name])
    return out


def _changed(point: dict[str, _State], keys: list[str], origins: Origins, ids: np.ndarray,
             draws: np.ndarray) -> pd.DataFrame:
    t = origins.table
    frames = []
    for j, k in enumerate(keys):
        p = point[k]
        sb, sa = _ids(ids, p.idx_before), _ids(ids, p.idx_after)
        b = np.where(np.isfinite(p.before), p.before, np.nan)
        a = np.where(np.isfinite(p.after), p.after, np.nan)
        with np.errstate(invalid="ignore"):
            moved = (sb != sa) | ~np.isclose(np.nan_to_num(b, nan=-1.0), np.nan_to_num(a, nan=-1.0))
        if not moved.any():
            continue
        df = pd.DataFrame({"service": k, "lsoa21cd": t.index.to_numpy()[moved],
                           "lsoa21nm": t["lsoa21nm"].to_numpy()[moved] if "lsoa21nm" in t else "",
                           "adults": origins.weights[moved], "minutes_before": b[moved], "minutes_after": a[moved],
                           "minutes_change": (a - b)[moved], "site_before": sb[moved], "site_after": sa[moved]})
        for n, col in enumerate(("minutes_before", "minutes_after", "minutes_change")):
            lo, hi = interval(draws[:, j, n, :][:, moved], df[col].to_numpy(dtype=float))
            at = list(df.columns).index(col) + 1
            df.insert(at, f"{col}_low", lo)
            df.insert(at + 1, f"{col}_high", hi)
        frames.append(df.sort_values("minutes_change", kind="stable"))
    if not frames:
        return pd.DataFrame(columns=["service", "lsoa21cd", "lsoa21nm", "adults", "minutes_before", "minutes_after",
                                     "minutes_change", "site_before", "site_after"]).set_index(["service", "lsoa21cd"])
    return pd.concat(frames, ignore_index=True).set_index(["service", "lsoa21cd"])


def describe_draws(draws: AccessDraws, spec: UncertaintySpec) -> dict[str, Any]:
    """How the ranges were made: draws, seed, interval, the travel-time error used, jittered sites."""
    bands = draws.bands
    return {"draws": spec.draws, "seed": spec.seed, "interval": "10th-90th percentile",
            "method": spec.describe(),
            "travel_time_error": (bands.describe() if bands is not None
                                  else "none drawn: timetable-based times (ranges over site location only)"
                                  if Method.of_result(draws.method) is Method.TIMETABLE
                                  else "no measured travel-time error"),
            "sites_with_uncertain_location": draws.jittered_sites}


def headline(row: pd.Series, *, threshold_minutes: float) -> str:
    """One line per service: adults within before -> after, the change with its range, the verdict."""
    change = float(row["adults_within_change"])
    lo, hi = float(row["adults_within_change_low"]), float(row["adults_within_change_high"])
    text = (f"nearest {row['service_label']}: adults within {threshold_minutes:g} min "
            f"{row['adults_within_before']:,.0f} -> {row['adults_within_after']:,.0f} "
            f"({change:+,.0f}; range {lo:+,.0f} to {hi:+,.0f})")
    v = str(row.get("verdict", ""))
    chance = row.get("chance_of_gain")
    if v and v not in {"no change", "loss"} and chance is not None and np.isfinite(chance):
        v += f" (a gain in {100 * chance:.0f}% of the simulated worlds)"
    if v and row["verdict"] != "gain" and row["mean_minutes_change_high"] <= -MATERIAL_MINUTES:
        v += (f"; journeys clearly shorter: mean {row['mean_minutes_change']:+.1f} min "
              f"(range {row['mean_minutes_change_low']:+.1f} to {row['mean_minutes_change_high']:+.1f})")
    return f"{text}: {v}" if v else text


__all__ = ["ADULTS_TOLERANCE", "Answer", "GROUP_FIGURES", "NOT_DISTINGUISHABLE", "SCENARIO_COUNTS",
           "SCENARIO_FIGURES", "compare_by_service", "describe_draws", "headline"]
