"""What-if scenarios for commissioners: add, remove or move sites, change hours or capacity,
and compare access before and after.

A :class:`Scenario` is a named list of changes saved as versioned JSON.  Evaluation runs on
arrays: :class:`ScenarioModel` keeps the ``(n_sites, n_origins)`` minutes matrix of the current
sites, so

* adding a site routes *one* new row (capped at the slowest current answer, since a new site
  can only help origins it reaches faster) and takes an elementwise minimum;
* removing a site drops its row and takes the minimum over the remaining rows;
* moving a site replaces its row.

Nothing already routed is routed again.  :func:`compare` reports adults and LSOAs newly within
or beyond the threshold, by IMD decile, rurality and local authority, the change in
adults-weighted mean minutes and the LSOAs whose nearest site changes.

Applying the changes to the sites table is :mod:`geo.planning.scenario_apply`; the changes are
declared in :mod:`geo.planning.scenario_schema` and files are read by :mod:`geo.planning.scenario_file`.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.measures.coverage import weighted_mean
from geo.planning.scenario_apply import apply_scenario
from geo.planning.scenario_schema import Scenario
from geo.travel.matrix import Origins, area_origins, best_two, site_origin_matrix, sites_xy

if TYPE_CHECKING:

    from geo.config import Settings
    from geo.data.areas import Area
    from geo.travel.routing import Router

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class Evaluation:
    """Nearest-site minutes for every origin under one set of sites.

    ``minutes`` is ``inf`` where no site is reachable; ``nearest_site_id`` is "" there.
    """

    origins: Origins
    minutes: np.ndarray
    nearest_site_id: np.ndarray
    threshold_minutes: float
    label: str = ""
    method: str = ""

    @property
    def within(self) -> np.ndarray:
        """Boolean per origin: nearest site within the threshold."""
        return self.minutes <= self.threshold_minutes

    def summary(self) -> dict[str, Any]:
        """Totals: need and LSOAs within the threshold, need-weighted mean minutes."""
        w = self.origins.weights
        reach = np.isfinite(self.minutes)
        total = float(w.sum())
        within_w = float(w[self.within].sum())
        wc = self.origins.weight_column
        return {
            f"{wc}": total, "lsoas": self.origins.n,
            f"{wc}_within": within_w, "pct_within": 100.0 * within_w / total if total else np.nan,
            "lsoas_within": int(self.within.sum()),
            "mean_minutes": weighted_mean(self.minutes[reach], w[reach]),
            f"{wc}_unreachable": float(w[~reach].sum()),
        }

    def per_lsoa(self) -> pd.DataFrame:
        """One row per origin LSOA: minutes, nearest site and within flag."""
        t = self.origins.table.copy()
        t["minutes"] = np.where(np.isfinite(self.minutes), self.minutes, np.nan)
        t["nearest_site_id"] = self.nearest_site_id
        t["within"] = self.within
        return t


class ScenarioModel:
    """The cached site x origin minutes of one set of sites, answering changes incrementally.

    Build once with :meth:`build` (one routing call for every site); :meth:`add_site_minutes`
    answers "what if we open a site here" with one row; :meth:`apply` returns the model of a
    changed site set, routing only new or moved sites.
    """

    def __init__(self, router: Router, origins: Origins, sites: pd.DataFrame, matrix_minutes: np.ndarray,
                 *, capped_rows: np.ndarray | None = None) -> None:
        self.router = router
        self.origins = origins
        self.sites = pd.DataFrame(sites).reset_index(drop=True)
        self.matrix_minutes = np.asarray(matrix_minutes, dtype=float)
        self.capped_rows = (np.zeros(len(self.sites), dtype=bool) if capped_rows is None
                            else np.asarray(capped_rows, dtype=bool))
        self._xy = sites_xy(self.sites) if len(self.sites) else np.zeros((0, 2))
        self._idx, self._best, self._second = best_two(self.matrix_minutes)

    @classmethod
    def build(cls, area: Area | Origins, sites: pd.DataFrame, router: Router, *,
              weight_column: str = "adults") -> ScenarioModel:
        """Route every site once for the core LSOAs of ``area`` (or given origins)."""
        origins = area if isinstance(area, Origins) else area_origins(area, weight_column=weight_column)
        m = site_origin_matrix(router, sites, origins)
        logger.info("access model: %d sites x %d origins (%s)", len(sites), origins.n,
                    getattr(router, "method", "?"))
        return cls(router, origins, sites, m)

    @property
    def nearest_minutes(self) -> np.ndarray:
        """Minutes to the nearest site per origin (``inf`` = none reachable)."""
        return self._best

    @property
    def nearest_index(self) -> np.ndarray:
        """Row of the nearest site per origin (-1 = none)."""
        return self._idx

    def _cap(self) -> float | None:
        finite = np.isfinite(self._best)
        return float(self._best.max()) if len(self._best) and finite.all() else None

    def add_site_minutes(self, xy: np.ndarray) -> np.ndarray:
        """Nearest minutes per origin if sites at ``xy`` (``(n, 2)`` metres) opened.

        Routes only the new sites, capped at the current slowest answer, and takes the
        elementwise minimum with the cached nearest minutes.
        """
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        rows = np.asarray(self.router.site_origin_minutes(xy, self.origins.xy, max_minutes=self._cap()),
                          dtype=float)
        rows = np.where(np.isnan(rows), np.inf, rows)
        return np.minimum(self._best, rows.min(axis=0))

    def evaluate(self, *, threshold_minutes: float, label: str = "") -> Evaluation:
        """The :class:`Evaluation` of the current sites."""
        ids = self.sites["site_id"].astype(str).to_numpy() if len(self.sites) else np.array([], dtype=object)
        nearest = np.where(self._idx >= 0, ids[np.clip(self._idx, 0, None)] if len(ids) else "", "")
        return Evaluation(origins=self.origins, minutes=self._best.copy(), nearest_site_id=nearest.astype(object),
                          threshold_minutes=threshold_minutes, label=label,
                          method=str(getattr(self.router, "method", "")))

    def apply(self, new_sites: pd.DataFrame) -> ScenarioModel:
        """The model of ``new_sites``, reusing rows of sites whose id and coordinates are unchanged."""
        new = pd.DataFrame(new_sites).reset_index(drop=True)
        key_old = {(sid, round(float(e), 1), round(float(n), 1)): i for i, (sid, e, n) in enumerate(
            zip(self.sites["site_id"].astype(str), self.sites["easting"], self.sites["northing"], strict=True))}
        reuse = np.array([key_old.get((str(s), round(float(e), 1), round(float(n), 1)), -1)
                          for s, e, n in zip(new["site_id"], new["easting"], new["northing"], strict=True)],
                         dtype=np.int64)
        dropped = len(set(range(len(self.sites))) - set(reuse[reuse >= 0].tolist())) > 0
        if dropped and self.capped_rows.any():
            # capped rows are exact only while every original site stays open: re-route them
            reuse[(reuse >= 0) & self.capped_rows[np.clip(reuse, 0, None)]] = -1
        m = np.full((len(new), self.origins.n), np.nan)
        capped = np.zeros(len(new), dtype=bool)
        old = reuse >= 0
        m[old] = self.matrix_minutes[reuse[old]]
        capped[old] = self.capped_rows[reuse[old]]
        todo = np.flatnonzero(~old)
        if len(todo):
            cap = None if dropped else self._cap()
            rows = self.router.site_origin_minutes(sites_xy(new.iloc[todo]), self.origins.xy, max_minutes=cap)
            m[todo] = rows
            capped[todo] = cap is not None
        logger.info("scenario: reused %d site rows, routed %d", int(old.sum()), len(todo))
        return ScenarioModel(self.router, self.origins, new, m, capped_rows=capped)


def evaluate(area: Area, sites: pd.DataFrame, router: Router, *, threshold_minutes: float,
             weight_column: str = "adults", label: str = "") -> Evaluation:
    """Nearest-site minutes for the core LSOAs of ``area`` under ``sites``."""
    return ScenarioModel.build(area, sites, router, weight_column=weight_column).evaluate(
        threshold_minutes=threshold_minutes, label=label)


def compare(baseline: Evaluation, scenario: Evaluation) -> dict[str, Any]:
    """Differences between two evaluations of the same origins.

    Returns a dict with ``summary`` (scalars), ``by_imd_decile``, ``by_urban_rural``,
    ``by_lad`` (frames of need within before/after, newly within/beyond, mean minutes) and
    ``changed_lsoas`` (LSOAs whose nearest site or minutes change).
    """
    if baseline.origins.n != scenario.origins.n:
        msg = "compare: the two evaluations cover different origins"
        raise InputError(msg)
    o = baseline.origins
    w = o.weights
    wc = o.weight_column
    b, s = baseline.minutes, scenario.minutes
    bw, sw = b <= baseline.threshold_minutes, s <= scenario.threshold_minutes
    newly_within, newly_beyond = ~bw & sw, bw & ~sw
    changed_site = baseline.nearest_site_id != scenario.nearest_site_id
    with np.errstate(invalid="ignore"):
        changed_min = ~np.isclose(np.where(np.isfinite(b), b, -1.0), np.where(np.isfinite(s), s, -1.0))
    bs, ss = baseline.summary(), scenario.summary()
    summary: dict[str, Any] = {
        "baseline": baseline.label or "baseline", "scenario": scenario.label or "scenario",
        "threshold_minutes": scenario.threshold_minutes, "method": scenario.method,
        wc: bs[wc], "lsoas": o.n,
        f"{wc}_within_before": bs[f"{wc}_within"], f"{wc}_within_after": ss[f"{wc}_within"],
        "pct_within_before": bs["pct_within"], "pct_within_after": ss["pct_within"],
        f"{wc}_newly_within": float(w[newly_within].sum()), "lsoas_newly_within": int(newly_within.sum()),
        f"{wc}_newly_beyond": float(w[newly_beyond].sum()), "lsoas_newly_beyond": int(newly_beyond.sum()),
        "mean_minutes_before": bs["mean_minutes"], "mean_minutes_after": ss["mean_minutes"],
        "mean_minutes_change": ss["mean_minutes"] - bs["mean_minutes"],
        "lsoas_nearest_site_changed": int(changed_site.sum()),
        f"{wc}_no_site_reachable_before": bs[f"{wc}_unreachable"],
        f"{wc}_no_site_reachable_after": ss[f"{wc}_unreachable"],
    }
    t = o.table
    frame = pd.DataFrame({
        "w": w, "within_before": w * bw, "within_after": w * sw, "newly_within": w * newly_within,
        "newly_beyond": w * newly_beyond, "lsoas": 1,
        "wb": np.where(np.isfinite(b), w * b, 0.0), "wa": np.where(np.isfinite(s), w * s, 0.0),
        "rb": np.where(np.isfinite(b), w, 0.0), "ra": np.where(np.isfinite(s), w, 0.0),
    }, index=t.index)
    out: dict[str, Any] = {"summary": summary}
    for key, col in (("by_imd_decile", "imd_decile"), ("by_urban_rural", "urban_rural"), ("by_lad", "lad24nm")):
        if col in t.columns:
            out[key] = _group(frame, t[col], wc)
    ch = changed_site | changed_min
    tab = pd.DataFrame({
        "lsoa21nm": t.get("lsoa21nm", ""), wc: w,
        "minutes_before": np.where(np.isfinite(b), b, np.nan), "minutes_after": np.where(np.isfinite(s), s, np.nan),
        "site_before": baseline.nearest_site_id, "site_after": scenario.nearest_site_id,
        "within_before": bw, "within_after": sw,
    }, index=t.index)[ch]
    tab["minutes_change"] = tab["minutes_after"] - tab["minutes_before"]
    out["changed_lsoas"] = tab.sort_values("minutes_change", kind="stable")
    return out


def _group(frame: pd.DataFrame, key: pd.Series, wc: str) -> pd.DataFrame:
    g = frame.groupby(key.to_numpy()).sum()
    res = pd.DataFrame({
        "lsoas": g["lsoas"].astype(int), wc: g["w"],
        f"{wc}_within_before": g["within_before"], f"{wc}_within_after": g["within_after"],
        f"{wc}_newly_within": g["newly_within"], f"{wc}_newly_beyond": g["newly_beyond"],
        "mean_minutes_before": g["wb"] / g["rb"].replace(0, np.nan),
        "mean_minutes_after": g["wa"] / g["ra"].replace(0, np.nan),
    })
    res["mean_minutes_change"] = res["mean_minutes_after"] - res["mean_minutes_before"]
    res.index.name = key.name
    return res


def open_at_mask(sites: pd.DataFrame, when: Any, *, missing: str = "open") -> np.ndarray:
    """Which sites are open at ``when`` (needs :mod:`geo.measures.hours`); sites without hours follow ``missing``."""
    try:
        from geo.measures import hours
    except ImportError as exc:  # pragma: no cover - depends on the hours module
        msg = "opening-hours filtering (--at) needs geo.measures.hours, which is not available"
        raise InputError(msg) from exc
    return np.asarray(hours.is_open_at(sites, when, missing=missing), dtype=bool)


def run_scenario(scenario: Scenario, area: Area, sites: pd.DataFrame, router: Router, *,
                 threshold_minutes: float, settings: Settings | None = None,
                 weight_column: str = "adults", pool: pd.DataFrame | None = None,
                 model: ScenarioModel | None = None, at: Any = None) -> dict[str, Any]:
    """Apply ``scenario`` to ``sites`` and compare with the baseline.

    ``model`` reuses an already-built :class:`ScenarioModel` of ``sites``; ``at`` (a datetime)
    keeps only sites open at that moment in both baseline and scenario.
    Returns :func:`compare`'s dict plus ``sites_after`` (the changed sites).
    """
    new_sites = apply_scenario(scenario, sites, settings=settings, pool=pool)
    base_sites = pd.DataFrame(sites).reset_index(drop=True)
    if at is not None:
        base_sites = base_sites[open_at_mask(base_sites, at)].reset_index(drop=True)
        new_sites = new_sites[open_at_mask(new_sites, at)].reset_index(drop=True)
        model = None
    base = model if model is not None else ScenarioModel.build(area, base_sites, router, weight_column=weight_column)
    after = base.apply(new_sites)
    res = compare(base.evaluate(threshold_minutes=threshold_minutes, label="baseline"),
                  after.evaluate(threshold_minutes=threshold_minutes, label=scenario.name))
    res["summary"]["changes"] = len(scenario.changes)
    if at is not None:
        res["summary"]["open_at"] = str(at)
    res["sites_after"] = new_sites
    return res


__all__ = ["Evaluation", "ScenarioModel", "compare", "evaluate", "open_at_mask", "run_scenario"]
