"""Gap score and outreach list: where high need meets long travel times.

Gap score per LSOA (multiplicative form, documented and the default)::

    score = need_percentile ** w_need  x  (minutes / threshold_minutes) ** w_time

* ``need_percentile`` in (0, 1] comes from :func:`geo.measures.need.composite_need_index` (1 = highest
  need in the study area); with no need table the IMD 2025 score's percentile rank is used;
* ``minutes / threshold_minutes`` is 1 at the threshold, above 1 beyond it; unreachable LSOAs
  get ``unreachable_factor`` x the threshold (default 2) so they rank with the worst;
* ``w_need`` and ``w_time`` (default 1, 1) tilt the score towards need or distance; 0 drops a
  term.

The alternative ``form="rank"`` is a weighted mean of the two percentile ranks
(``(w_need * need_pct + w_time * time_pct) / (w_need + w_time)``), robust to outliers.

A *rural gap* is an LSOA classed ``urban_rural == "Rural"`` whose time is beyond the threshold
(or unreachable).  The outreach list ranks core LSOAs by score (1 = highest).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo._errors import InputError, SchemaError

if TYPE_CHECKING:
    from collections.abc import Sequence

logger = logging.getLogger(__name__)

OUTREACH_COLUMNS = ("lsoa21cd", "lsoa21nm", "place", "lad24nm", "adults", "imd_decile", "urban_rural",
                    "minutes", "minutes_low", "minutes_high", "site_name", "need_percentile", "beyond_threshold",
                    "rural_gap", "score", "rank")
#: Per-service columns added after ``site_name`` for each service (``minutes_hub`` ...).
SERVICE_COLUMNS = ("minutes_{}", "minutes_{}_low", "minutes_{}_high", "site_name_{}")


def gap_scores(times: pd.DataFrame, need: pd.DataFrame | pd.Series | None = None, *,
               threshold_minutes: float, w_need: float = 1.0, w_time: float = 1.0,
               form: str = "product", unreachable_factor: float = 2.0,
               core_only: bool = True, service: str | None = None) -> pd.DataFrame:
    """Gap score per LSOA (see module docstring).

    Parameters
    ----------
    times : pandas.DataFrame
        Times frame indexed by ``lsoa21cd`` with ``minutes`` (NaN = unreachable).
    need : pandas.DataFrame or pandas.Series, optional
        A frame with ``need_percentile`` (from :func:`geo.measures.need.composite_need_index`) or a
        Series of percentiles in (0, 1] by ``lsoa21cd``; default: percentile of ``imd_score``.
    threshold_minutes : float
        Travel-time threshold.
    w_need, w_time : float, default 1.0
        Exponents (``product``) or weights (``rank``); non-negative.
    form : {"product", "rank"}
        Score form.
    unreachable_factor : float, default 2.0
        Unreachable LSOAs are scored as ``unreachable_factor x threshold`` minutes.
    core_only : bool, default True
        Score only core LSOAs (``in_area``).
    service : str, optional
        Score the journeys to this service (its ``minutes_<service>`` column) instead of to the
        nearest site of any type; ``minutes`` and ``site_name`` stay the any-type ones.

    Returns
    -------
    pandas.DataFrame
        ``times`` plus ``need_percentile``, ``time_ratio``, ``beyond_threshold``,
        ``rural_gap``, ``score`` and ``rank`` (1 = biggest gap), sorted by rank.
    """
    if threshold_minutes <= 0 or w_need < 0 or w_time < 0:
        msg = "threshold_minutes must be positive and weights non-negative"
        raise InputError(msg)
    if form not in {"product", "rank"}:
        msg = f"form must be 'product' or 'rank', not {form!r}"
        raise InputError(msg)
    if "minutes" not in times.columns:
        msg = "times frame lacks 'minutes'"
        raise SchemaError(msg)
    if service and service != "any":
        from geo.measures.coverage_sets import has_service_times, service_times

        if not has_service_times(times, service):
            msg = f"the times have no journeys to {service!r}; include it in the study's services"
            raise SchemaError(msg)
        scored = gap_scores(service_times(times, service), need, threshold_minutes=threshold_minutes,
                            w_need=w_need, w_time=w_time, form=form, unreachable_factor=unreachable_factor,
                            core_only=core_only)
        for col in ("minutes", "minutes_low", "minutes_high", "site_id", "site_name"):
            if col in times.columns:
                scored[col] = times[col].reindex(scored.index)
        scored.attrs["gap_method"] += f"; minutes to the nearest {service}"
        return scored
    df = times
    if core_only and "in_area" in df.columns:
        df = df[df["in_area"].astype(bool)]
    df = pd.DataFrame(df.drop(columns="geometry", errors="ignore")).copy()
    if need is None:
        if "imd_score" not in df.columns:
            msg = "no need table given and the times frame has no imd_score"
            raise SchemaError(msg)
        pct = df["imd_score"].rank(pct=True)
    elif isinstance(need, pd.DataFrame):
        if "need_percentile" not in need.columns:
            msg = "need frame lacks 'need_percentile'; build it with geo.measures.need.composite_need_index"
            raise SchemaError(msg)
        pct = need["need_percentile"].reindex(df.index)
    else:
        pct = pd.Series(need).reindex(df.index)
    if pct.isna().any():
        logger.warning("%d LSOAs have no need value; scored at the median (0.5)", int(pct.isna().sum()))
        pct = pct.fillna(0.5)
    minutes = df["minutes"].astype(float)
    unreachable = ~np.isfinite(minutes.to_numpy())
    eff = minutes.where(~unreachable, unreachable_factor * threshold_minutes)
    df["need_percentile"] = pct.astype(float)
    df["time_ratio"] = eff / threshold_minutes
    df["beyond_threshold"] = (eff >= threshold_minutes) | unreachable
    df["unreachable"] = unreachable
    rural = df["urban_rural"].astype(str).eq("Rural") if "urban_rural" in df.columns else False
    df["rural_gap"] = rural & df["beyond_threshold"]
    if form == "product":
        df["score"] = df["need_percentile"] ** w_need * df["time_ratio"] ** w_time
    else:
        tot = w_need + w_time
        if tot == 0:
            msg = "w_need + w_time must be positive for the rank form"
            raise InputError(msg)
        df["score"] = (w_need * df["need_percentile"] + w_time * eff.rank(pct=True)) / tot
    df["rank"] = df["score"].rank(ascending=False, method="min").astype(int)
    df = df.sort_values(["rank", "need_percentile"], ascending=[True, False])
    df.attrs["gap_method"] = (
        f"score = need_percentile^{w_need:g} x (minutes/{threshold_minutes:g})^{w_time:g}"
        if form == "product" else
        f"score = ({w_need:g} x need percentile + {w_time:g} x time percentile) / {w_need + w_time:g}")
    return df


def outreach_list(times: pd.DataFrame, need: pd.DataFrame | pd.Series | None = None, *,
                  threshold_minutes: float, top: int | None = 20, beyond_only: bool = False,
                  w_need: float = 1.0, w_time: float = 1.0, form: str = "product",
                  columns: Sequence[str] = OUTREACH_COLUMNS, services: Sequence[str] = (),
                  score_service: str | None = None) -> pd.DataFrame:
    """The LSOAs an outreach team should look at first, ranked by gap score.

    Returns a flat frame with :data:`OUTREACH_COLUMNS` (``minutes`` = to the nearest site of
    any type, with its range ``minutes_low``/``minutes_high``; ``site_name`` = that site) and,
    for each of ``services``, :data:`SERVICE_COLUMNS` side by side (``minutes_hub``,
    ``minutes_hub_low``, ``minutes_hub_high``, ``site_name_hub`` ...); ``top`` rows (all when
    None), optionally only LSOAs beyond the threshold.  ``score_service`` scores (and ranks)
    the journeys to that service instead of to the nearest site of any type.
    """
    g = gap_scores(times, need, threshold_minutes=threshold_minutes, w_need=w_need,
                   w_time=w_time, form=form, service=score_service)
    if beyond_only:
        g = g[g["beyond_threshold"]]
    g = g.reset_index().rename(columns={"index": "lsoa21cd"})
    if "site_name" not in g.columns:
        g["site_name"] = None
    per_service = [c.format(k) for k in services for c in SERVICE_COLUMNS]
    keep = [c for c in columns if c in g.columns]
    if "site_name" in keep:
        at = keep.index("site_name") + 1
        keep[at:at] = [c for c in per_service if c in g.columns and c not in keep]
    out = g[keep].head(top) if top else g[keep]
    out = out.reset_index(drop=True)
    out.attrs["gap_method"] = g.attrs.get("gap_method", "")
    for c in out.columns:
        if c.startswith("minutes") or c in ("score", "need_percentile"):
            out[c] = out[c].astype(float).round(1 if c.startswith("minutes") else 4)
    return out


def rural_gaps(scores: pd.DataFrame) -> pd.DataFrame:
    """Rows of :func:`gap_scores` flagged as rural gaps (rural and beyond the threshold)."""
    return scores[scores["rural_gap"]]


__all__ = ["OUTREACH_COLUMNS", "SERVICE_COLUMNS", "gap_scores", "outreach_list", "rural_gaps"]
