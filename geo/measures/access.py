"""Floating-catchment access scores (2SFCA, E2SFCA) on a long-form cost table.

Pure functions on a cost table with one row per (origin, destination) pair -- column names are
parameters, defaults ``origin``/``dest``/``minutes`` -- plus ``supply`` by destination (site
capacity) and ``demand`` by origin (LSOA adults).  Distance decay is injected as a callable made
by a factory (:func:`step_fn`, :func:`gaussian`, :func:`step_zones`), as in PySAL ``access``.

Two-step floating catchment (Luo & Wang 2003; weighted form of Luo & Qi 2009 / McGrail 2012):

1. supply-to-demand ratio per site ``R_j = S_j / sum_i D_i f(c_ij)`` over origins with
   ``c_ij <= max_minutes``;
2. access per origin ``A_i = sum_j R_j f(c_ij)`` over sites with ``c_ij <= max_minutes``.

``A_i`` is supply per head of demand (e.g. site capacity per adult; multiply by 1,000 for "per
1,000 adults").  With a step decay and a catchment wider than the study area every origin gets
``sum S / sum D``.  Supply is conserved: ``sum_i A_i D_i = sum_j S_j`` over sites that reach any
demand (exact for the step decay; for other decays the same weights enter both steps, so it also
holds).  :class:`AccessModel` is a thin facade that validates once and returns a frame.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo._errors import InputError, SchemaError

if TYPE_CHECKING:
    from geo.data.areas import Area
    from geo.travel.routing import Router

logger = logging.getLogger(__name__)

DecayFn = Callable[[np.ndarray], np.ndarray]


# --------------------------------------------------------------------------- decay factories
def step_fn(max_minutes: float) -> DecayFn:
    """Weight 1 for ``minutes <= max_minutes``, else 0 (classic 2SFCA)."""
    def f(minutes: np.ndarray) -> np.ndarray:
        c = np.asarray(minutes, dtype=float)
        return np.where(c <= max_minutes, 1.0, 0.0)

    return f


def step_zones(zones: Mapping[float, float]) -> DecayFn:
    """Piecewise-constant weights by travel-time zone (E2SFCA, Luo & Qi 2009).

    ``zones`` maps each zone's upper bound in minutes to its weight, e.g.
    ``{10: 1.0, 20: 0.68, 30: 0.22}``; times beyond the last bound get 0.
    """
    bounds = sorted(zones)
    if not bounds:
        msg = "step_zones needs at least one zone"
        raise InputError(msg)
    edges = np.asarray(bounds, dtype=float)
    weights = np.asarray([zones[b] for b in bounds] + [0.0], dtype=float)

    def f(minutes: np.ndarray) -> np.ndarray:
        c = np.asarray(minutes, dtype=float)
        return weights[np.searchsorted(edges, c, side="left")]

    return f


def gaussian(sigma_minutes: float) -> DecayFn:
    """Gaussian decay ``exp(-c^2 / (2 sigma^2))`` (weight 1 at 0 minutes)."""
    if sigma_minutes <= 0:
        msg = "sigma_minutes must be positive"
        raise InputError(msg)

    def f(minutes: np.ndarray) -> np.ndarray:
        c = np.asarray(minutes, dtype=float)
        return np.exp(-(c ** 2) / (2.0 * sigma_minutes ** 2))

    return f


def gravity(scale_minutes: float, alpha: float = -1.0, *, min_minutes: float = 0.0) -> DecayFn:
    """Power decay ``(max(c, min_minutes) / scale)^alpha`` (alpha < 0)."""
    def f(minutes: np.ndarray) -> np.ndarray:
        c = np.maximum(np.asarray(minutes, dtype=float), min_minutes)
        with np.errstate(divide="ignore"):
            return np.power(c / scale_minutes, alpha)

    return f


#: Luo & Qi (2009) E2SFCA zone weights for a 30-minute catchment (Gaussian-derived).
E2SFCA_ZONES_30 = {10.0: 1.0, 20.0: 0.68, 30.0: 0.22}


# --------------------------------------------------------------------------- core
def _prepare(cost: pd.DataFrame, supply: pd.Series, demand: pd.Series, *, origin: str, dest: str,
             cost_col: str, max_minutes: float | None, decay: DecayFn) -> pd.DataFrame:
    missing = [c for c in (origin, dest, cost_col) if c not in cost.columns]
    if missing:
        msg = f"cost table lacks column(s) {missing}"
        raise SchemaError(msg)
    c = cost[[origin, dest, cost_col]].copy()
    c = c[np.isfinite(c[cost_col].to_numpy(dtype=float))]
    if max_minutes is not None:
        c = c[c[cost_col] <= max_minutes]
    c["w"] = decay(c[cost_col].to_numpy(dtype=float))
    c = c[c["w"] > 0]
    c["D"] = c[origin].map(demand).astype(float).fillna(0.0).to_numpy()
    c["S"] = c[dest].map(supply).astype(float).fillna(0.0).to_numpy()
    return c


def two_stage_fca(cost: pd.DataFrame, supply: pd.Series, demand: pd.Series, *,
                  origin: str = "origin", dest: str = "dest", cost_col: str = "minutes",
                  max_minutes: float | None = None, decay: DecayFn | None = None) -> pd.Series:
    """Two-step floating catchment access per origin (see module docstring).

    Parameters
    ----------
    cost : pandas.DataFrame
        Long-form costs: ``origin``, ``dest``, ``cost_col`` (minutes; NaN = unreachable).
    supply : pandas.Series
        Supply (site capacity) indexed by destination id.
    demand : pandas.Series
        Demand (adults) indexed by origin id; the result has this index.
    origin, dest, cost_col : str
        Column names in ``cost``.
    max_minutes : float, optional
        Catchment size; pairs beyond it are ignored (applied together with ``decay``).
    decay : callable, optional
        Weight from minutes; default :func:`step_fn` of ``max_minutes`` (classic 2SFCA).

    Returns
    -------
    pandas.Series
        Access (supply per unit demand) per origin, 0 where no site is in reach.
    """
    if decay is None:
        if max_minutes is None:
            msg = "two_stage_fca needs max_minutes or a decay function"
            raise InputError(msg)
        decay = step_fn(max_minutes)
    c = _prepare(cost, supply, demand, origin=origin, dest=dest, cost_col=cost_col,
                 max_minutes=max_minutes, decay=decay)
    weighted_demand = (c["D"] * c["w"]).groupby(c[dest]).sum()
    s_j = c[dest].map(supply).to_numpy(dtype=float)
    d_j = c[dest].map(weighted_demand).to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(d_j > 0, s_j / d_j, 0.0)
    ratio = np.nan_to_num(ratio, nan=0.0)
    acc = pd.Series(ratio * c["w"].to_numpy(dtype=float), index=c.index).groupby(c[origin]).sum()
    out = acc.reindex(demand.index).fillna(0.0)
    out.name = "access_2sfca"
    logger.info("2SFCA: %d origins, %d sites, %d pairs in reach", len(demand), len(supply), len(c))
    return out


def enhanced_two_stage_fca(cost: pd.DataFrame, supply: pd.Series, demand: pd.Series, *,
                           origin: str = "origin", dest: str = "dest", cost_col: str = "minutes",
                           max_minutes: float | None = None,
                           decay: DecayFn | None = None) -> pd.Series:
    """E2SFCA: :func:`two_stage_fca` with zone weights (default Luo & Qi 10/20/30 minutes)."""
    d = decay or step_zones(E2SFCA_ZONES_30)
    out = two_stage_fca(cost, supply, demand, origin=origin, dest=dest, cost_col=cost_col,
                        max_minutes=max_minutes if max_minutes is not None else
                        (30.0 if decay is None else None), decay=d)
    out.name = "access_e2sfca"
    return out


def cost_table_from_matrix(minutes: np.ndarray, site_ids: pd.Index | np.ndarray,
                           origin_ids: pd.Index | np.ndarray, *,
                           max_minutes: float | None = None) -> pd.DataFrame:
    """Long-form ``origin, dest, minutes`` from a router's ``(n_sites, n_origins)`` matrix."""
    m = np.asarray(minutes, dtype=float)
    if m.shape != (len(site_ids), len(origin_ids)):
        msg = f"matrix shape {m.shape} != ({len(site_ids)}, {len(origin_ids)})"
        raise InputError(msg)
    keep = np.isfinite(m)
    if max_minutes is not None:
        keep &= m <= max_minutes
    si, oi = np.nonzero(keep)
    return pd.DataFrame({"origin": np.asarray(origin_ids)[oi], "dest": np.asarray(site_ids)[si],
                         "minutes": m[si, oi]})


def area_two_stage_fca(area: Area, sites: pd.DataFrame, router: Router, *, max_minutes: float,
                       decay: DecayFn | None = None, supply_col: str = "capacity",
                       per: float = 1000.0) -> pd.DataFrame:
    """Adapter: route every LSOA of ``area`` to every site, then 2SFCA (spopt-style constructor).

    Demand is adults of all LSOAs (core and buffer ring, so cross-border demand competes for
    border sites); supply is ``supply_col`` (missing capacities count 1 site).  Returns the core
    and ring LSOAs with ``access_per_<per>_adults`` (supply per ``per`` adults) and ``in_area``.
    """
    lsoas = area.all_lsoas
    sxy = sites[["easting", "northing"]].to_numpy(dtype=float)
    oxy = lsoas[["easting", "northing"]].to_numpy(dtype=float)
    minutes = router.site_origin_minutes(sxy, oxy, max_minutes=max_minutes)
    cost = cost_table_from_matrix(minutes, sites["site_id"].to_numpy(), lsoas.index.to_numpy(),
                                  max_minutes=max_minutes)
    supply = (pd.to_numeric(sites[supply_col], errors="coerce") if supply_col in sites.columns
              else pd.Series(np.nan, index=sites.index)).fillna(1.0)
    supply.index = sites["site_id"].to_numpy()
    demand = lsoas["adults"].astype(float)
    demand = demand[~demand.index.duplicated()]
    acc = two_stage_fca(cost, supply, demand, max_minutes=max_minutes, decay=decay) * per
    out = pd.DataFrame({"in_area": lsoas["in_area"].to_numpy(), "adults": lsoas["adults"].to_numpy()},
                       index=lsoas.index)
    out[f"access_per_{per:g}_adults"] = acc.reindex(out.index).to_numpy()
    out.attrs["method"] = getattr(router, "method", "")
    out.attrs["router_label"] = getattr(router, "label", "")
    return out


def e2sfca_zones(max_minutes: float) -> dict[float, float]:
    """Luo & Qi's three E2SFCA zones scaled to a catchment of ``max_minutes`` (weights 1, 0.68, 0.22)."""
    if not np.isfinite(max_minutes) or max_minutes <= 0:
        msg = f"catchment of {max_minutes!r} minutes: give a positive number of minutes (e.g. 30)"
        raise InputError(msg)
    m = float(max_minutes)
    return {m / 3.0: 1.0, 2.0 * m / 3.0: 0.68, m: 0.22}


MEASURES = ("2sfca", "e2sfca")


def capacity_access(area: Area, sites: pd.DataFrame, router: Router, *, measure: str = "2sfca",
                    max_minutes: float = 30.0, supply_col: str = "capacity",
                    per: float = 1000.0) -> pd.DataFrame:
    """2SFCA or E2SFCA per LSOA of ``area`` driven by site capacity (missing capacity counts 1).

    Returns :func:`area_two_stage_fca`'s frame (core and ring LSOAs) with the score in
    ``access_per_<per>_adults``; ``attrs`` record the measure, catchment, total capacity and how
    many sites had no capacity (each counted as 1 place).
    """
    if measure not in MEASURES:
        msg = f"measure {measure!r}: choose 2sfca or e2sfca"
        raise InputError(msg)
    decay = step_zones(e2sfca_zones(max_minutes)) if measure == "e2sfca" else step_fn(max_minutes)
    out = area_two_stage_fca(area, sites, router, max_minutes=max_minutes, decay=decay, supply_col=supply_col,
                             per=per)
    cap = pd.to_numeric(sites[supply_col], errors="coerce") if supply_col in sites.columns else \
        pd.Series(np.nan, index=sites.index)
    out.attrs.update({"measure": measure, "catchment_minutes": float(max_minutes), "sites": len(sites),
                      "total_capacity": float(cap.fillna(1.0).sum()), "sites_without_capacity": int(cap.isna().sum()),
                      "score_column": f"access_per_{per:g}_adults"})
    return out


def capacity_access_change(area: Area, before: pd.DataFrame, after: pd.DataFrame, router: Router, *,
                           measure: str = "2sfca", max_minutes: float = 30.0, per: float = 1000.0) -> dict:
    """2SFCA/E2SFCA before and after a change of sites or capacities (e.g. ``geo scenario capacity``).

    Sites are routed once (the union of both sets by ``site_id`` and location).  Returns
    ``summary`` (adults-weighted mean score before/after, LSOAs whose score changed),
    ``by_imd_decile`` and ``lsoas`` (core LSOAs: score before, after, change).
    """
    if measure not in MEASURES:
        msg = f"measure {measure!r}: choose 2sfca or e2sfca"
        raise InputError(msg)
    decay = step_zones(e2sfca_zones(max_minutes)) if measure == "e2sfca" else step_fn(max_minutes)

    def keyed(s: pd.DataFrame) -> pd.DataFrame:
        k = (s["site_id"].astype(str) + "@" + s["easting"].astype(float).round(0).astype(str) + ","
             + s["northing"].astype(float).round(0).astype(str))
        cap = pd.to_numeric(s["capacity"], errors="coerce") if "capacity" in s.columns else pd.Series(np.nan, index=s.index)
        return pd.DataFrame({"key": k.to_numpy(), "easting": s["easting"].to_numpy(float),
                             "northing": s["northing"].to_numpy(float), "supply": cap.fillna(1.0).to_numpy()})

    kb, ka = keyed(before), keyed(after)
    union = pd.concat([kb, ka]).drop_duplicates("key").reset_index(drop=True)
    lsoas = area.all_lsoas
    minutes = router.site_origin_minutes(union[["easting", "northing"]].to_numpy(float),
                                         lsoas[["easting", "northing"]].to_numpy(float), max_minutes=max_minutes)
    cost = cost_table_from_matrix(minutes, union["key"].to_numpy(), lsoas.index.to_numpy(), max_minutes=max_minutes)
    demand = lsoas["adults"].astype(float)
    demand = demand[~demand.index.duplicated()]
    scores = {}
    for label, k in (("before", kb), ("after", ka)):
        supply = pd.Series(0.0, index=union["key"].to_numpy())
        per_key = k.groupby("key")["supply"].sum()
        supply.loc[per_key.index] = per_key.to_numpy()
        scores[label] = two_stage_fca(cost, supply, demand, max_minutes=max_minutes, decay=decay) * per
    b = pd.DataFrame({"in_area": lsoas["in_area"].to_numpy(), "adults": lsoas["adults"].to_numpy()},
                     index=lsoas.index)
    b = b[~b.index.duplicated()]
    b["before"] = scores["before"].reindex(b.index).to_numpy()
    b["after"] = scores["after"].reindex(b.index).to_numpy()
    core = b["in_area"].to_numpy(dtype=bool)
    lsoas = pd.DataFrame({"adults": b["adults"], "score_before": b["before"], "score_after": b["after"]},
                         index=b.index)[core]
    cap_b, cap_a = float(kb["supply"].sum()), float(ka["supply"].sum())
    lsoas["score_change"] = lsoas["score_after"] - lsoas["score_before"]
    w = lsoas["adults"].to_numpy(dtype=float)
    wsum = w.sum() if w.sum() > 0 else 1.0
    changed = ~np.isclose(lsoas["score_before"].to_numpy(float), lsoas["score_after"].to_numpy(float))
    mean_b = float((lsoas["score_before"] * w).sum() / wsum)
    mean_a = float((lsoas["score_after"] * w).sum() / wsum)
    summary = {"measure": measure, "catchment_minutes": max_minutes, "per_adults": per,
               "mean_score_before": mean_b, "mean_score_after": mean_a, "mean_score_change": mean_a - mean_b,
               "total_capacity_before": cap_b, "total_capacity_after": cap_a, "sites_routed": len(union),
               "lsoas": len(lsoas), "lsoas_score_changed": int(changed.sum()),
               "lsoas_score_up": int((lsoas["score_change"] > 1e-12).sum()),
               "lsoas_score_down": int((lsoas["score_change"] < -1e-12).sum())}
    out: dict = {"summary": summary, "lsoas": lsoas}
    dec = area.lsoas["imd_decile"].reindex(lsoas.index) if "imd_decile" in area.lsoas.columns else None
    if dec is not None:
        g = lsoas.assign(imd_decile=dec.to_numpy(), wb=lsoas["score_before"] * w, wa=lsoas["score_after"] * w)
        agg = g.groupby("imd_decile")[["adults", "wb", "wa"]].sum()
        out["by_imd_decile"] = pd.DataFrame({
            "adults": agg["adults"], "mean_score_before": agg["wb"] / agg["adults"],
            "mean_score_after": agg["wa"] / agg["adults"]}).assign(
            mean_score_change=lambda d: d["mean_score_after"] - d["mean_score_before"])
    return out


@dataclass
class AccessModel:
    """Facade: validate demand, supply and costs once, then compute scores as columns.

    ``demand`` is indexed by origin (``demand_col`` e.g. adults), ``supply`` by destination
    (``supply_col`` e.g. capacity; missing capacities count 1).
    """

    demand: pd.DataFrame
    supply: pd.DataFrame
    cost: pd.DataFrame
    demand_col: str = "adults"
    supply_col: str = "capacity"
    origin: str = "origin"
    dest: str = "dest"
    cost_col: str = "minutes"
    results: pd.DataFrame = field(init=False)

    def __post_init__(self) -> None:
        """Check columns and ids."""
        if self.demand_col not in self.demand.columns:
            msg = f"demand frame lacks {self.demand_col!r}"
            raise SchemaError(msg)
        if self.supply_col not in self.supply.columns:
            msg = f"supply frame lacks {self.supply_col!r}"
            raise SchemaError(msg)
        for col in (self.origin, self.dest, self.cost_col):
            if col not in self.cost.columns:
                msg = f"cost table lacks {col!r}"
                raise SchemaError(msg)
        if self.demand.index.duplicated().any() or self.supply.index.duplicated().any():
            msg = "demand and supply ids must be unique"
            raise SchemaError(msg)
        self.results = pd.DataFrame(index=self.demand.index)

    @property
    def _s(self) -> pd.Series:
        return pd.to_numeric(self.supply[self.supply_col], errors="coerce").fillna(1.0)

    @property
    def _d(self) -> pd.Series:
        return self.demand[self.demand_col].astype(float)

    def two_stage_fca(self, *, max_minutes: float, decay: DecayFn | None = None,
                      name: str = "2sfca", per: float = 1000.0) -> pd.Series:
        """Add ``<name>_per_<per>`` (supply per ``per`` demand) and return it."""
        s = two_stage_fca(self.cost, self._s, self._d, origin=self.origin, dest=self.dest,
                          cost_col=self.cost_col, max_minutes=max_minutes, decay=decay) * per
        self.results[f"{name}_per_{per:g}"] = s
        return s

    def enhanced_two_stage_fca(self, *, max_minutes: float | None = None,
                               decay: DecayFn | None = None, name: str = "e2sfca",
                               per: float = 1000.0) -> pd.Series:
        """Add ``<name>_per_<per>`` with zone (or given) decay and return it."""
        s = enhanced_two_stage_fca(self.cost, self._s, self._d, origin=self.origin,
                                   dest=self.dest, cost_col=self.cost_col,
                                   max_minutes=max_minutes, decay=decay) * per
        self.results[f"{name}_per_{per:g}"] = s
        return s


__all__ = [
    "E2SFCA_ZONES_30",
    "MEASURES",
    "AccessModel",
    "DecayFn",
    "area_two_stage_fca",
    "capacity_access",
    "capacity_access_change",
    "cost_table_from_matrix",
    "e2sfca_zones",
    "enhanced_two_stage_fca",
    "gaussian",
    "gravity",
    "step_fn",
    "step_zones",
    "two_stage_fca",
]
