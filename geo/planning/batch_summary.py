"""National batch runs, part 3: what one authority's partition and summary row hold.

A partition keeps the LAD's core LSOAs (:data:`LSOA_COLUMNS` plus geometry) and, per mode,
:data:`MODE_COLUMNS` suffixed ``_<mode>``.  The summary row gives, per mode, the share of adults
within each threshold, the adults-weighted mean minutes, equity indices (concentration index by
IMD rank, Gini, decile 1 / decile 10 ratio) and gap counts (LSOAs and adults beyond the headline
threshold or with no reachable site), with the method used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo._errors import InputError

if TYPE_CHECKING:
    from geo.planning.study import Study

#: LSOA columns kept in every partition (plus geometry and the per-mode columns).
LSOA_COLUMNS = ("lsoa21nm", "lad24cd", "lad24nm", "rgn24nm", "adults", "imd_rank", "imd_decile",
                "urban_rural")
#: Per-mode columns of a partition, each suffixed ``_<mode>``.
MODE_COLUMNS = ("minutes", "site_id", "site_name", "site_type", "method", "status")


def mode_times(study: Study, router: Any) -> pd.DataFrame:
    """Times for one mode; LSOAs keep their rows (NaN and a status) when nothing can be routed."""
    if router is None:
        out = pd.DataFrame(index=study.area.lsoas.index)
        return out.assign(minutes=np.nan, site_id=None, site_name=None, site_type=None,
                          method="none (no public-transport network covers this authority)", status="no_network")
    try:  # partitions keep the nearest site of any type: no per-service searches
        return study.times(per_service=False)
    except InputError as exc:
        if "no sites" not in str(exc):
            raise
        out = pd.DataFrame(index=study.area.lsoas.index)
        return out.assign(minutes=np.nan, site_id=None, site_name=None, site_type=None, method=str(router.method),
                          status="no_site")


def lsoa_frame(study: Study) -> pd.DataFrame:
    lsoas = study.area.lsoas
    cols = [c for c in LSOA_COLUMNS if c in lsoas.columns]
    out = pd.DataFrame(lsoas[cols]).copy()
    out["geometry"] = lsoas.geometry.to_numpy()
    out.index.name = "lsoa21cd"
    return out


def area_row(study: Study) -> dict[str, Any]:
    lsoas = study.area.lsoas
    try:
        sites = study.sites
        n_sites, n_in = len(sites), int(sites["in_area"].sum())
    except InputError:
        n_sites = n_in = 0
    return {"lad24nm": str(lsoas["lad24nm"].iloc[0]), "rgn24nm": str(lsoas["rgn24nm"].iloc[0]),
            "lsoas": len(lsoas), "adults": int(lsoas["adults"].sum()), "sites": n_sites, "sites_inside": n_in}


def mode_row(study: Study, times: pd.DataFrame, mode: str) -> dict[str, Any]:
    """Coverage at each threshold, equity indices and gap counts for one mode."""
    from geo.measures.coverage import coverage_summary
    from geo.measures.equity import equity_summary

    first = str(times["method"].iloc[0]) if len(times) else ""
    row: dict[str, Any] = {f"method_{mode}": str(times.attrs.get("method", first)),
                           # trips of the LAD's neighbourhoods with a leg beyond the extract's roads (mixed method)
                           f"estimated_trips_{mode}": int(times.attrs.get("estimated_trips", 0))}
    core = times[times["in_area"].astype(bool)] if "in_area" in times.columns else times.assign(in_area=True)
    minutes = pd.to_numeric(core["minutes"], errors="coerce")
    for thr in study.thresholds_minutes:
        if minutes.notna().any():
            cov = coverage_summary(core, threshold_minutes=thr)["headline"]
            row[f"pct_within_{thr:g}min_{mode}"] = float(cov["pct_within"])
        else:
            row[f"pct_within_{thr:g}min_{mode}"] = 0.0
    w = core["adults"].to_numpy(float)
    ok = minutes.notna().to_numpy()
    row[f"mean_minutes_{mode}"] = float(np.average(minutes[ok], weights=w[ok])) if ok.any() and w[ok].sum() else np.nan
    if ok.sum() >= 2:
        eq = equity_summary(core)
        row[f"concentration_index_{mode}"] = eq.get("concentration_index", np.nan)
        row[f"gini_{mode}"] = eq.get("gini", np.nan)
        row[f"decile_ratio_{mode}"] = eq.get("decile1_to_decile10_ratio", np.nan)
    else:
        row[f"concentration_index_{mode}"] = row[f"gini_{mode}"] = row[f"decile_ratio_{mode}"] = np.nan
    gap = ~(minutes <= study.threshold_minutes).to_numpy()
    row[f"gap_lsoas_{mode}"] = int(gap.sum())
    row[f"gap_adults_{mode}"] = int(w[gap].sum())
    row[f"unreachable_lsoas_{mode}"] = int((~ok).sum())
    return row


__all__ = ["LSOA_COLUMNS", "MODE_COLUMNS", "area_row", "lsoa_frame", "mode_row", "mode_times"]
