"""Area profile: who lives in a study area and what services it has, from real data.

LSOA count, population (all ages and adults 18+), population and LSOAs per IMD decile (2025, or
2019 with ``Settings.imd_version``)
(1 = most deprived), rural/urban split, sites by type, and ONS drug-poisoning deaths (latest
pooled years, crude rate per 100,000 residents).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo.config import Settings
from geo.data.loaders import load_drug_deaths_la
from geo.data.tables import imd_label, imd_version_of, load_lsoa_table

if TYPE_CHECKING:
    from geo.data.areas import Area

logger = logging.getLogger(__name__)


def deprivation_table(lsoas: pd.DataFrame, *, decile_col: str = "imd_decile") -> pd.DataFrame:
    """LSOAs, population and adults per national IMD decile (1 = most deprived), with shares."""
    g = lsoas.groupby(decile_col)
    out = pd.DataFrame({"lsoas": g.size(), "population": g["population"].sum(), "adults": g["adults"].sum()})
    out = out.reindex(range(1, 11), fill_value=0)
    out.index.name = "imd_decile"
    out["population_pct"] = 100.0 * out["population"] / max(out["population"].sum(), 1)
    out["adults_pct"] = 100.0 * out["adults"] / max(out["adults"].sum(), 1)
    return out


def rurality_table(lsoas: pd.DataFrame) -> pd.DataFrame:
    """LSOAs and adults by 2021 rural-urban class and by urban/rural."""
    g = lsoas.groupby(["urban_rural", "ruc21nm"], observed=True)
    out = pd.DataFrame({"lsoas": g.size(), "adults": g["adults"].sum()})
    out["adults_pct"] = 100.0 * out["adults"] / max(out["adults"].sum(), 1)
    return out


def drug_deaths_for_area(area: Area, settings: Settings | None = None, *, years: int = 3) -> dict[str, Any]:
    """ONS deaths related to drug poisoning for the area's local authorities, latest ``years``.

    Counts are published LA totals (registration year, usual residence).  Where the area
    covers only part of a LAD (polygon or ICB areas), deaths are apportioned by the share of
    the LAD's residents living in the area, and the result says so.  The rate is crude, per
    100,000 residents per year (Census 2021 population).
    """
    s = settings if settings is not None else Settings.from_env()
    deaths = load_drug_deaths_la(s)
    table = load_lsoa_table(s)
    last = int(deaths["registration_year"].max())
    first = last - years + 1
    recent = deaths[(deaths["registration_year"] >= first)]
    by_lad = recent.groupby("area_code")["deaths"].sum()
    lad_pop = table.groupby("lad24cd")["population"].sum()
    area_pop = area.lsoas.groupby("lad24cd")["population"].sum()
    share = (area_pop / lad_pop.reindex(area_pop.index)).clip(upper=1.0)
    known = share.index.isin(by_lad.index)
    missing = [str(c) for c in share.index[~known]]
    count = float((by_lad.reindex(share.index[known]) * share[known]).sum())
    apportioned = bool((share[known] < 0.999).any())
    pop = float(area_pop[known].sum())
    rate = 1e5 * count / years / pop if pop else float("nan")
    return {
        "years": f"{first}-{last}",
        "deaths": round(count, 1) if apportioned else int(round(count)),
        "crude_rate_per_100k_per_year": round(rate, 2),
        "method": ("apportioned by population share of partly covered LADs" if apportioned
                   else "sum of published LA counts"),
        "lads_without_data": missing,
        "source": "ONS deaths related to drug poisoning by local authority (registrations)",
    }


def profile_area(area: Area, settings: Settings | None = None, *, sites: pd.DataFrame | None = None) -> dict[str, Any]:
    """Profile of a study area (see module docstring); ``sites`` defaults to :func:`load_sites`."""
    from geo.data.sites import load_sites

    s = settings if settings is not None else Settings.from_env()
    lsoas = area.lsoas
    if sites is None:
        sites = load_sites(s, area=area, buffer_km=0.0)
    in_area = sites[sites["in_area"]] if "in_area" in sites else sites
    dep = deprivation_table(lsoas)
    rur = lsoas.groupby("urban_rural", observed=True)["adults"].agg(["size", "sum"])
    rural_urban = {str(k): {"lsoas": int(v["size"]), "adults": int(v["sum"]),
                            "adults_pct": round(float(100.0 * v["sum"] / max(lsoas["adults"].sum(), 1)), 1)}
                   for k, v in rur.iterrows()}
    by_type = in_area.groupby("site_type").size().to_dict()
    precision = in_area.groupby("location_precision").size().to_dict()
    return {
        "area": area.name,
        "kind": area.kind,
        "lads": sorted(lsoas["lad24nm"].astype(str).unique()),
        "lsoas": len(lsoas),
        "population": int(lsoas["population"].sum()),
        "adults_18_plus": int(lsoas["adults"].sum()),
        "adults_note": "Census 2021; 18+ estimated from ONS age bands (16-24 band minus 2/9)",
        "imd": imd_label(imd_version_of(lsoas)),
        f"imd{imd_version_of(lsoas)}_deciles": dep,
        "most_deprived_20pct_adults_pct": round(float(dep.loc[[1, 2], "adults_pct"].sum()), 1),
        "most_deprived_40pct_population": int(dep.loc[[1, 2, 3, 4], "population"].sum()),
        "most_deprived_40pct_population_pct": round(float(dep.loc[[1, 2, 3, 4], "population_pct"].sum()), 1),
        "rural_urban": rural_urban,
        "rural_urban_classes": rurality_table(lsoas),
        "sites_by_type": {str(k): int(v) for k, v in sorted(by_type.items())},
        "sites_location_precision": {str(k): int(v) for k, v in precision.items()},
        "drug_poisoning_deaths": drug_deaths_for_area(area, s),
        "mean_imd_score": round(float(np.average(lsoas["imd_score"], weights=lsoas["population"])), 2),
    }
