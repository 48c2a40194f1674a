"""Where to open ``k`` new sites, with the existing sites kept open: sites and a router in, ranked sites out.

:func:`optimise_sites` routes the existing sites and the candidates (:mod:`geo.planning.candidates`)
to the area's LSOAs, solves with a location model (:mod:`geo.planning.location_models`: MCLP or
p-median, or the greedy ranking) and returns the chosen sites in marginal-gain order with a plain
message; a pick that adds nothing is never a recommendation.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo.planning.location_models import check_objective, solve
from geo.travel.matrix import area_origins, best_two, site_origin_matrix

if TYPE_CHECKING:
    from geo.data.areas import Area
    from geo.travel.matrix import Origins
    from geo.travel.routing import Router

logger = logging.getLogger(__name__)


def optimise_sites(area: Area | Origins, existing: pd.DataFrame, candidates: pd.DataFrame, router: Router, *,
                   k: int, objective: str = "mclp", threshold_minutes: float | None = None,
                   need_column: str = "adults", method: str = "exact", solver: Any = None,
                   existing_minutes: np.ndarray | None = None,
                   candidate_minutes: np.ndarray | None = None) -> dict[str, Any]:
    """Choose ``k`` of ``candidates`` to open alongside ``existing`` for the core LSOAs of ``area``.

    Returns ``summary`` (need covered / weighted mean minutes before and after, timings,
    ``useful_sites`` and a plain ``message``) and ``chosen`` (one row per chosen site in
    marginal-gain order: ``site_id``, ``name``, ``marginal_gain``, cumulative value).  A pick
    that adds nothing (zero marginal gain: everyone it could serve is already within the
    threshold of an existing site, or nobody is brought within it) is never a recommendation:
    it is left out of ``chosen``, and ``message`` says "no candidate adds coverage" when none
    does (with the fix: a tighter threshold, or other candidates).  ``existing_minutes`` and
    ``candidate_minutes`` reuse already-routed matrices (minutes beyond the threshold may be NaN).
    """
    from geo.travel.matrix import Origins

    check_objective(objective, threshold_minutes)
    origins = area if isinstance(area, Origins) else area_origins(area, weight_column=need_column)
    t0 = time.perf_counter()
    em = existing_minutes if existing_minutes is not None else site_origin_matrix(router, existing, origins)
    _, baseline, _ = best_two(em)
    cap = None
    if objective == "mclp" and threshold_minutes is not None:
        cap = float(threshold_minutes)
    elif np.isfinite(baseline).all() and len(baseline):
        cap = float(baseline.max())
    cm = (site_origin_matrix(router, candidates, origins, max_minutes=cap) if candidate_minutes is None
          else np.asarray(candidate_minutes, dtype=float))
    t_route = time.perf_counter() - t0
    res = solve(cm, origins.weights, k=k, objective=objective, baseline_minutes=baseline,
                threshold_minutes=threshold_minutes, method=method, solver=solver)
    total = float(origins.weights.sum()) or 1.0
    chosen = candidates.iloc[res.chosen].reset_index(drop=True)
    info = [c for c in ("site_id", "name", "site_type", "postcode", "easting", "northing") if c in chosen]
    table = chosen[info].copy()
    table.index = pd.RangeIndex(1, len(table) + 1, name="rank")
    gain_name = f"{need_column}_newly_covered" if objective == "mclp" else "mean_minutes_saved"
    gains = res.marginal_gain if objective == "mclp" else res.marginal_gain / total
    table[gain_name] = gains
    table[f"cumulative_{gain_name}"] = np.cumsum(gains)
    useful = np.asarray(gains, dtype=float) > ZERO_GAIN
    table = table[useful]
    wc = need_column
    if objective == "mclp":
        summary = {"objective": "mclp", "k": k, "threshold_minutes": threshold_minutes,
                   f"{wc}": total, f"{wc}_covered_before": res.value_before, f"{wc}_covered_after": res.value_after,
                   "pct_covered_before": 100 * res.value_before / total,
                   "pct_covered_after": 100 * res.value_after / total}
    else:
        summary = {"objective": "pmedian", "k": k, f"{wc}": total,
                   "mean_minutes_before": res.value_before / total, "mean_minutes_after": res.value_after / total}
    summary.update(method=res.method, router=str(getattr(router, "label", getattr(router, "method", ""))),
                   existing_sites=len(existing), candidates=len(candidates), lsoas=origins.n,
                   routing_seconds=round(t_route, 3), solve_seconds=round(res.seconds, 3),
                   useful_sites=int(useful.sum()),
                   message=_gain_message(objective, k=k, useful=int(useful.sum()),
                                         threshold_minutes=threshold_minutes, need=wc))
    return {"summary": summary, "chosen": table, "result": res}


#: A marginal gain at or below this (adults, or minutes x adults) counts as nothing.
ZERO_GAIN = 1e-6


def _gain_message(objective: str, *, k: int, useful: int, threshold_minutes: float | None,
                  need: str) -> str:
    """What the optimiser found, in words (no zero-gain pick is ever presented as advice)."""
    if useful == 0:
        if objective == "mclp":
            return (f"No candidate adds coverage: no candidate brings any more {need} within "
                    f"{threshold_minutes:g} minutes (those it could reach already are). Try a tighter "
                    "threshold or other candidate locations.")
        return "No candidate adds coverage: none shortens anyone's trip to the nearest site."
    if useful < k:
        return (f"Only {useful} of the {k} sites asked for add coverage; the others would add "
                "nothing and are not listed.")
    return f"{useful} new site(s), each adding coverage."


__all__ = ["ZERO_GAIN", "optimise_sites"]
