"""Coverage over a set of thresholds, or per service side by side.

:func:`coverage_by_thresholds` counts adults within each of several thresholds (``"15,30,45"``,
:func:`parse_thresholds`); :func:`coverage_by_service` gives the headline per service from a
times frame with per-service columns (:func:`service_times` picks one service's times).  Both
count with :mod:`geo.measures.coverage`, so there is one definition of coverage.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.measures.coverage import BREAKDOWNS, coverage_headline, coverage_table, threshold_column

if TYPE_CHECKING:
    from collections.abc import Sequence

logger = logging.getLogger(__name__)


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
    _, value_col = threshold_column(None if km else 1.0, 1.0 if km else None, value_col)
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


__all__ = ["coverage_by_service", "coverage_by_thresholds", "has_service_times", "parse_thresholds",
           "service_times"]
