"""New sites per service, ranked by the gain they can show, named by place and postcode.

:func:`geo.planning.optimise.optimise_sites` finds the best ``k`` candidates on the router's
own times.  A commissioner needs more: the pick for *each* service studied (a new treatment
site is judged against the existing hubs, not against pharmacies), and a gain that holds up
when the times and the site locations are as uncertain as they are.  So, per service:

1. the exact optimum on the router's times (spopt MCLP / p-median, as before);
2. a shortlist: the optimum's picks and the candidates with the largest gain on their own;
3. the shortlist's gains in every draw of :class:`geo.measures.uncertainty.AccessDraws`;
4. a greedy ranking by the **lower end** (10th percentile over the draws) of the total gain with
   each candidate added to the picks before it -- ties broken by the median, then the point gain.  Each pick says
   the runner-up and, when their ranges overlap, that the data cannot tell them apart; a pick
   whose range includes zero is "not distinguishable from no change".

Picks are named with the nearest live postcode and their town or village
(:func:`geo.data.geocode.describe_locations`), never by coordinates alone.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.data.services import ANY_SITE, result_services, selection_label, service_masks
from geo.measures.intervals import interval, verdict
from geo.measures.uncertainty import AccessDraws, UncertaintySpec
from geo.planning.location_models import UNREACHABLE_MINUTES
from geo.planning.optimise import ZERO_GAIN, optimise_sites
from geo.travel.matrix import site_origin_matrix

if TYPE_CHECKING:
    from geo.config import Settings
    from geo.data.areas import Area
    from geo.travel.base import Router
    from geo.travel.matrix import Origins

logger = logging.getLogger(__name__)

#: Candidates carried into the draws besides the optimum's picks: at least this many, or 4 x k.
SHORTLIST = 16


def place_labels(sites: pd.DataFrame, settings: Settings | None = None) -> pd.DataFrame:
    """``place``, ``postcode`` (nearest live postcode) and ``label`` ("Name, Place (POSTCODE)") per site."""
    from geo.data.geocode import describe_locations

    xy = np.column_stack([sites["easting"].to_numpy(float), sites["northing"].to_numpy(float)])
    loc = describe_locations(xy, settings)
    own = (sites["postcode"].fillna("").astype(str).str.strip().to_numpy(dtype=object) if "postcode" in sites
           else np.full(len(sites), "", dtype=object))
    postcode = np.where(own != "", own, loc["postcode"].to_numpy(dtype=object))
    names = sites["name"].fillna("").astype(str).to_numpy(dtype=object) if "name" in sites else postcode
    place = loc["place"].to_numpy(dtype=object)
    label = [f"{n}, {p} ({c})" if p and str(p).lower() not in str(n).lower() else f"{n} ({c})"
             for n, p, c in zip(names, place, postcode, strict=True)]
    return pd.DataFrame({"place": place, "postcode": postcode, "label": label}, index=sites.index)


def _gains(objective: str, cand: np.ndarray, cur: np.ndarray, w: np.ndarray, t: float | None) -> np.ndarray:
    """Marginal gain of each candidate; ``cand`` (..., n_c, n_o), ``cur`` (..., n_o) -> (..., n_c)."""
    if objective == "mclp":
        assert t is not None
        uncovered = w * (cur > t)
        return np.einsum("...cn,...n->...c", (cand <= t).astype(float), uncovered)
    saved = np.maximum(cur[..., None, :] - cand, 0.0)
    return np.einsum("...cn,n->...c", saved, w) / (float(w.sum()) or 1.0)


def _total(objective: str, cur: np.ndarray, w: np.ndarray, t: float | None) -> np.ndarray:
    """Adults covered (mclp) or adults-weighted mean minutes (pmedian) for ``cur`` (..., n_o)."""
    if objective == "mclp":
        return (w * (cur <= t)).sum(axis=-1)
    return (w * cur).sum(axis=-1) / (float(w.sum()) or 1.0)


def _robust_greedy(objective: str, cand_p: np.ndarray, base_p: np.ndarray, cand_r: np.ndarray,
                   base_r: np.ndarray, w: np.ndarray, t: float | None, k: int) -> list[dict[str, Any]]:
    """Pick ``k`` candidates, each maximising the lower end (10th percentile over the draws) of the
    *total* gain so far -- not of its own marginal gain, which would trade a large likely gain for
    a small sure one.  Ties go to the higher median, then the higher point gain."""
    cur_p, cur_r = base_p.copy(), base_r.copy()
    total_p, total_r = 0.0, np.zeros(len(base_r))
    free = np.ones(cand_p.shape[0], dtype=bool)
    steps: list[dict[str, Any]] = []
    for _ in range(k):
        g_p = _gains(objective, cand_p, cur_p, w, t)
        g_r = _gains(objective, cand_r, cur_r, w, t) if len(cur_r) else np.zeros((0, len(g_p)))
        lo, hi = interval(g_r, g_p)
        tot_lo, _ = interval(total_r[:, None] + g_r, total_p + g_p)
        med = np.median(total_r[:, None] + g_r, axis=0) if len(g_r) else g_p
        key = np.lexsort((-g_p, -med, -tot_lo))
        key = key[free[key] & (g_p[key] > ZERO_GAIN)]
        if not len(key):
            break
        j = int(key[0])
        runner = int(key[1]) if len(key) > 1 else -1
        steps.append({"row": j, "gain": float(g_p[j]), "low": float(lo[j]), "high": float(hi[j]),
                      "runner": runner, "runner_gain": float(g_p[runner]) if runner >= 0 else np.nan,
                      "runner_low": float(lo[runner]) if runner >= 0 else np.nan,
                      "runner_high": float(hi[runner]) if runner >= 0 else np.nan})
        free[j] = False
        total_p += float(g_p[j])
        cur_p = np.minimum(cur_p, cand_p[j])
        if len(cur_r):
            total_r = total_r + g_r[:, j]
            cur_r = np.minimum(cur_r, cand_r[:, j])
    return steps


def optimise_by_service(area: Area | Origins, existing: pd.DataFrame, candidates: pd.DataFrame, router: Router, *,
                        services: tuple[str, ...], k: int, objective: str = "mclp",
                        threshold_minutes: float | None = None, spec: UncertaintySpec,
                        settings: Settings | None = None, method: str = "exact", solver: Any = None,
                        only: str | None = None, existing_minutes: np.ndarray | None = None) -> dict[str, Any]:
    """Choose up to ``k`` new sites for each service of the study, ranked by the gain they can show.

    Returns ``by_service`` (one row per service: coverage or mean minutes before and after with
    ranges, the total gain with its range, the exact optimum's gain and whether the ranked picks
    are that optimum, a ``message``), ``chosen`` (long: ``service``, ``rank``, ``site_id``,
    ``name``, ``place``, ``postcode``, ``label``, ``easting``, ``northing``, the gain --
    ``adults_newly_covered`` or ``mean_minutes_saved`` -- with ``_low``/``_high``, its running
    total, ``verdict`` and ``note``) and ``uncertainty``.
    """
    from geo.planning.by_service import describe_draws
    from geo.travel.matrix import Origins, area_origins

    origins = area if isinstance(area, Origins) else area_origins(area)
    keys = [s for s in result_services(services) if s != ANY_SITE]
    if only:
        if only not in keys:
            msg = f"--service {only!r} is not one of the study's services ({', '.join(keys)})"
            raise InputError(msg)
        keys = [only]
    existing = pd.DataFrame(existing).reset_index(drop=True)
    candidates = pd.DataFrame(candidates).reset_index(drop=True)
    em = (site_origin_matrix(router, existing, origins) if existing_minutes is None
          else np.asarray(existing_minutes, dtype=float))
    masks = service_masks(existing, services)
    w = origins.weights
    t = float(threshold_minutes) if objective == "mclp" and threshold_minutes is not None else None
    finite = em[np.isfinite(em)]
    cap = (t + 15.0) if t is not None else (float(finite.max()) + 15.0 if len(finite) else None)
    cm = site_origin_matrix(router, candidates, origins, max_minutes=cap)
    gain_col = "adults_newly_covered" if objective == "mclp" else "mean_minutes_saved"
    summaries, chosen_frames, uncertainty = [], [], {}
    for key in keys:
        rows = masks[key]
        point = optimise_sites(origins, existing[rows], candidates, router, k=k, objective=objective,
                               threshold_minutes=t, method=method, solver=solver,
                               existing_minutes=em[rows], candidate_minutes=cm)
        res = point["result"]
        cand_p = np.where(np.isnan(cm), np.inf, cm)
        base_p = np.where(np.isnan(em[rows]), np.inf, em[rows]).min(axis=0) if rows.any() else np.full(
            origins.n, np.inf)
        if objective != "mclp":
            cand_p = np.minimum(cand_p, UNREACHABLE_MINUTES)
            base_p = np.minimum(base_p, UNREACHABLE_MINUTES)
        solo = _gains(objective, cand_p, base_p, w, t)
        top = np.argsort(-solo, kind="stable")[: max(SHORTLIST, 4 * k)]
        short = np.unique(np.r_[res.chosen, top[solo[top] > ZERO_GAIN]]).astype(np.int64)
        union = pd.concat([existing[rows], candidates.iloc[short]], ignore_index=True)
        mat = np.vstack([em[rows], cm[short]])
        is_existing = np.r_[np.ones(int(rows.sum()), dtype=bool), np.zeros(len(short), dtype=bool)]
        draws = AccessDraws(router, origins.xy, union, mat, spec=spec, settings=settings,
                            states=[is_existing, np.ones(len(union), dtype=bool)])
        n_e = int(rows.sum())
        base_r = np.full((draws.draws, origins.n), np.inf)
        cand_r = np.full((draws.draws, len(short), origins.n), np.inf)
        for r, m in draws.matrices():
            base_r[r] = m[:n_e].min(axis=0) if n_e else np.inf
            cand_r[r] = m[n_e:]
        if objective != "mclp":
            base_r, cand_r = np.minimum(base_r, UNREACHABLE_MINUTES), np.minimum(cand_r, UNREACHABLE_MINUTES)
        steps = _robust_greedy(objective, cand_p[short], base_p, cand_r, base_r, w, t, k)
        picked = [short[s["row"]] for s in steps]
        table = _chosen_table(key, candidates, short, steps, gain_col, settings)
        if len(table):
            final_r = np.minimum(base_r, cand_r[:, [s["row"] for s in steps]].min(axis=1))
            final_p = np.minimum(base_p, cand_p[picked].min(axis=0))
        else:
            final_r, final_p = base_r, base_p
        summaries.append(_summary_row(key, objective, k, t, w, base_p, final_p, base_r, final_r, point, picked,
                                      len(candidates), len(short)))
        chosen_frames.append(table)
        uncertainty = describe_draws(draws, spec)
    chosen = pd.concat(chosen_frames, ignore_index=True) if chosen_frames else pd.DataFrame()
    return {"by_service": pd.DataFrame(summaries).set_index("service"), "chosen": chosen,
            "uncertainty": uncertainty}


def _chosen_table(key: str, candidates: pd.DataFrame, short: np.ndarray, steps: list[dict[str, Any]],
                  gain_col: str, settings: Settings | None) -> pd.DataFrame:
    if not steps:
        return pd.DataFrame()
    rows = [int(short[s["row"]]) for s in steps]
    runners = [int(short[s["runner"]]) for s in steps if s["runner"] >= 0]
    names = place_labels(candidates.iloc[sorted(set(rows + runners))], settings)
    info = [c for c in ("site_id", "name", "site_type") if c in candidates.columns]
    out = candidates.iloc[rows][info].reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(rows) + 1))
    out.insert(0, "service", key)
    out["place"] = names.loc[rows, "place"].to_numpy()
    out["postcode"] = names.loc[rows, "postcode"].to_numpy()
    out["label"] = names.loc[rows, "label"].to_numpy()
    out["easting"] = candidates.iloc[rows]["easting"].to_numpy(float)
    out["northing"] = candidates.iloc[rows]["northing"].to_numpy(float)
    gains = np.array([s["gain"] for s in steps])
    out[gain_col] = gains
    out[f"{gain_col}_low"] = [s["low"] for s in steps]
    out[f"{gain_col}_high"] = [s["high"] for s in steps]
    out[f"cumulative_{gain_col}"] = np.cumsum(gains)
    tol = 0.5 if gain_col.startswith("adults") else 0.05
    out["verdict"] = [verdict(s["gain"], s["low"], s["high"], tolerance=tol) for s in steps]
    notes = []
    for s in steps:
        if s["runner"] < 0:
            notes.append("")
            continue
        who = names.loc[int(short[s["runner"]]), "label"]
        fmt = "{:+,.0f}" if gain_col.startswith("adults") else "{:+.2f}"
        rng = f"{fmt.format(s['runner_gain'])}, range {fmt.format(s['runner_low'])} to {fmt.format(s['runner_high'])}"
        if s["runner_high"] >= s["low"]:
            notes.append(f"near tie: {who} ({rng}) -- the ranges overlap, the data cannot tell them apart")
        else:
            notes.append(f"runner-up {who} ({rng}) is clearly behind")
    out["note"] = notes
    return out


def _summary_row(key: str, objective: str, k: int, t: float | None, w: np.ndarray, base_p: np.ndarray,
                 final_p: np.ndarray, base_r: np.ndarray, final_r: np.ndarray, point: dict[str, Any],
                 picked: list[int], n_cand: int, n_short: int) -> dict[str, Any]:
    row: dict[str, Any] = {"service": key, "service_label": selection_label(key), "objective": objective, "k": k}
    before_p, after_p = float(_total(objective, base_p, w, t)), float(_total(objective, final_p, w, t))
    before_r, after_r = _total(objective, base_r, w, t), _total(objective, final_r, w, t)
    names = (("adults_covered_before", "adults_covered_after", "adults_newly_covered") if objective == "mclp"
             else ("mean_minutes_before", "mean_minutes_after", "mean_minutes_saved"))
    gain_p = after_p - before_p if objective == "mclp" else before_p - after_p
    gain_r = after_r - before_r if objective == "mclp" else before_r - after_r
    for name, p, r in zip(names, (before_p, after_p, gain_p), (before_r, after_r, gain_r), strict=True):
        lo, hi = interval(r, p)
        row.update({name: p, f"{name}_low": float(lo), f"{name}_high": float(hi)})
    if objective == "mclp":
        total = float(w.sum()) or 1.0
        for name in ("before", "after"):
            row[f"pct_covered_{name}"] = 100.0 * row[f"adults_covered_{name}"] / total
            row[f"pct_covered_{name}_low"] = 100.0 * row[f"adults_covered_{name}_low"] / total
            row[f"pct_covered_{name}_high"] = 100.0 * row[f"adults_covered_{name}_high"] / total
    tol = 0.5 if objective == "mclp" else 0.05
    row["verdict"] = verdict(gain_p, row[f"{names[2]}_low"], row[f"{names[2]}_high"], tolerance=tol)
    res = point["result"]
    exact = set(np.asarray(res.chosen)[: len(point["chosen"])].tolist())
    row["exact_optimum_gain"] = float(res.gain if objective == "mclp" else res.gain / (float(w.sum()) or 1.0))
    row["picks"] = len(picked)
    row["same_as_exact_optimum"] = bool(set(picked) == exact)
    row["candidates"] = n_cand
    row["shortlisted"] = n_short
    row["solver"] = str(point["summary"]["method"])
    row["message"] = _message(objective, k, len(picked), row, t)
    return row


def _message(objective: str, k: int, n: int, row: dict[str, Any], t: float | None) -> str:
    what = row["service_label"]
    if n == 0:
        if objective == "mclp":
            return (f"No candidate adds coverage for the nearest {what}: none brings more adults within "
                    f"{t:g} minutes. Try a tighter threshold or other candidate locations.")
        return f"No candidate adds coverage for the nearest {what}: none shortens anyone's trip."
    text = f"{n} new site(s) for the nearest {what}, ranked by the gain they can show (10th percentile)"
    if n < k:
        text += f"; only {n} of the {k} asked for add anything"
    if not row["same_as_exact_optimum"]:
        gain = row["adults_newly_covered" if objective == "mclp" else "mean_minutes_saved"]
        exact = row["exact_optimum_gain"]
        fmt = "{:,.0f} adults" if objective == "mclp" else "{:.2f} minutes"
        if exact - gain <= (0.5 if objective == "mclp" else 0.005):
            text += "; the exact optimum on the router's own times picks other sites with the same gain"
        else:
            text += (f"; the exact optimum on the router's own times gains {fmt.format(exact)} "
                     f"(these picks {fmt.format(gain)}), but that extra gain does not hold up in the draws")
    return text + "."


__all__ = ["SHORTLIST", "optimise_by_service", "place_labels"]
