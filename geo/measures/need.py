"""Need layer: per-LSOA indicators of drug and alcohol treatment need, and a composite index.

Indicators (one row per LSOA, index ``lsoa21cd``):

* ``adults`` -- Census 2021 residents 18+ (ONS-band estimate);
* ``imd_score``, ``health_deprivation_disability_score``, ``barriers_housing_services_score``
  (IoD 2025; higher = more deprived);
* ``drug_deaths_rate_per_100k`` -- ONS deaths related to drug poisoning of the LSOA's local
  authority, pooled over the latest ``death_years`` registration years, crude rate per 100,000
  residents per year.  This is an **LA-level** figure repeated on each LSOA.  With
  ``apportion_deaths`` the LA count is also shared out to LSOAs (``drug_deaths_apportioned``)
  in proportion to residents (``"population"``) or residents x IMD score (``"imd"``, a
  modelling assumption that deaths follow deprivation); the method is written to
  ``attrs["notes"]``;
* ``clients_per_1000_adults`` -- treatment clients per 1,000 adults, when a count Series by
  LSOA is given (local, often restricted data; never bundled);
* ``prevalence_per_1000_adults`` -- an optional user prevalence estimate per LSOA.

:func:`composite_need_index` combines chosen indicators with user weights, on z-scores
(adults-weighted mean and SD) or on percentile ranks, and adds ``need_percentile`` in (0, 1].
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo._errors import InputError, SchemaError
from geo.data.loaders import load_drug_deaths_la

if TYPE_CHECKING:
    from collections.abc import Mapping

    from geo.config import Settings

logger = logging.getLogger(__name__)

#: Default composite weights (sum to 1): deprivation, health, deaths.
DEFAULT_WEIGHTS: dict[str, float] = {
    "imd_score": 0.4,
    "health_deprivation_disability_score": 0.3,
    "drug_deaths_rate_per_100k": 0.3,
}
BASE_COLUMNS = ("lsoa21nm", "lad24cd", "lad24nm", "population", "adults", "imd_score", "imd_rank",
                "imd_decile", "health_deprivation_disability_score",
                "barriers_housing_services_score", "sub_geographical_barriers_score",
                "urban_rural")


def la_drug_death_rates(settings: Settings | None = None, *, years: int = 3,
                        population: pd.Series | None = None) -> pd.DataFrame:
    """ONS drug-poisoning deaths per local authority, latest ``years`` pooled.

    Returns a frame indexed by ``area_code`` with ``deaths`` (pooled count), ``years`` (text) and,
    when ``population`` (residents by LAD code) is given, ``rate_per_100k`` per year.
    """
    d = load_drug_deaths_la(settings)
    last = int(d["registration_year"].max())
    first = last - years + 1
    recent = d[d["registration_year"] >= first]
    out = recent.groupby("area_code")["deaths"].sum().to_frame("deaths")
    out["years"] = f"{first}-{last}"
    if population is not None:
        pop = population.reindex(out.index)
        out["rate_per_100k"] = 1e5 * out["deaths"] / years / pop
    return out


def need_table(lsoas: pd.DataFrame, settings: Settings | None = None, *, death_years: int = 3,
               apportion_deaths: str | None = None, client_counts: pd.Series | None = None,
               prevalence_per_1000: pd.Series | None = None) -> pd.DataFrame:
    """Need indicators for ``lsoas`` (rows of the LSOA table); see the module docstring.

    Parameters
    ----------
    lsoas : pandas.DataFrame
        Rows of :func:`geo.data.tables.load_lsoa_table` (index ``lsoa21cd``).
    settings : Settings, optional
        Locates the deaths table.
    death_years : int, default 3
        Registration years pooled (ONS publishes 3-year periods; counts are small).
    apportion_deaths : {None, "population", "imd"}
        Also share LA deaths out to LSOAs (``drug_deaths_apportioned``; an estimate).
    client_counts : pandas.Series, optional
        Treatment clients by ``lsoa21cd``; missing LSOAs count 0.
    prevalence_per_1000 : pandas.Series, optional
        User prevalence estimate per 1,000 adults by ``lsoa21cd``.

    Returns
    -------
    pandas.DataFrame
        Indicators; ``attrs["notes"]`` records methods and caveats.
    """
    missing = [c for c in ("lad24cd", "adults", "population", "imd_score") if c not in lsoas.columns]
    if missing:
        msg = f"LSOA rows lack column(s) {missing}; pass rows of geo.data.tables.load_lsoa_table()"
        raise SchemaError(msg)
    cols = [c for c in BASE_COLUMNS if c in lsoas.columns]
    out = pd.DataFrame(lsoas[cols]).copy()
    notes: list[str] = []

    from geo.data.tables import load_lsoa_table

    lad_pop = load_lsoa_table(settings).groupby("lad24cd")["population"].sum()
    rates = la_drug_death_rates(settings, years=death_years, population=lad_pop)
    lad = out["lad24cd"].astype(str)
    out["drug_deaths_la"] = lad.map(rates["deaths"]).astype(float)
    out["drug_deaths_rate_per_100k"] = lad.map(rates["rate_per_100k"]).astype(float)
    yrs = str(rates["years"].iloc[0]) if len(rates) else "?"
    notes.append(f"drug_deaths_rate_per_100k: ONS deaths related to drug poisoning, {yrs} "
                 "registrations pooled, crude rate per 100,000 residents per year of the LSOA's "
                 "local authority (LA-level, repeated on every LSOA)")
    no_data = sorted(set(lad[out["drug_deaths_la"].isna()]))
    if no_data:
        notes.append(f"no ONS death counts for LAD(s) {no_data} (e.g. 2023 unitaries published "
                     "under former codes); their rate is missing and scored at the mean")
    if apportion_deaths is not None:
        if apportion_deaths not in {"population", "imd"}:
            msg = f"apportion_deaths must be None, 'population' or 'imd', not {apportion_deaths!r}"
            raise InputError(msg)
        basis = out["population"].astype(float)
        if apportion_deaths == "imd":
            basis = basis * out["imd_score"].astype(float)
        share = basis / lad_basis(lsoas_all=load_lsoa_table(settings), how=apportion_deaths
                                  ).reindex(lad).to_numpy()
        out["drug_deaths_apportioned"] = out["drug_deaths_la"] * share
        notes.append("drug_deaths_apportioned: ESTIMATE - LA deaths shared out to LSOAs in "
                     + ("proportion to residents (uniform LA rate)" if apportion_deaths == "population"
                        else "proportion to residents x IMD 2025 score (assumes deaths follow "
                             "deprivation)")
                     + "; not observed LSOA counts")
    adults = out["adults"].astype(float).replace(0, np.nan)
    if client_counts is not None:
        counts = pd.Series(client_counts).reindex(out.index).fillna(0).astype(float)
        out["clients"] = counts
        out["clients_per_1000_adults"] = 1000.0 * counts / adults
        notes.append("clients_per_1000_adults: user-supplied treatment client counts by LSOA")
    if prevalence_per_1000 is not None:
        out["prevalence_per_1000_adults"] = pd.Series(prevalence_per_1000).reindex(out.index).astype(float)
        notes.append("prevalence_per_1000_adults: user-supplied estimate")
    out.attrs["notes"] = notes
    logger.info("need table: %d LSOAs, %d indicators", len(out), out.shape[1])
    return out


def lad_basis(*, lsoas_all: pd.DataFrame, how: str) -> pd.Series:
    """Sum of the apportioning basis per LAD over all of England (see :func:`need_table`)."""
    basis = lsoas_all["population"].astype(float)
    if how == "imd":
        basis = basis * lsoas_all["imd_score"].astype(float)
    return basis.groupby(lsoas_all["lad24cd"].astype(str)).sum()


def _weighted_z(x: pd.Series, w: np.ndarray) -> pd.Series:
    v = x.to_numpy(dtype=float)
    ok = np.isfinite(v) & np.isfinite(w)
    if not ok.any():
        return pd.Series(0.0, index=x.index)
    mean = np.average(v[ok], weights=w[ok]) if w[ok].sum() > 0 else v[ok].mean()
    var = np.average((v[ok] - mean) ** 2, weights=w[ok]) if w[ok].sum() > 0 else v[ok].var()
    sd = float(np.sqrt(var))
    z = (v - mean) / sd if sd > 0 else np.zeros_like(v)
    return pd.Series(np.where(np.isfinite(z), z, 0.0), index=x.index)


def composite_need_index(need: pd.DataFrame, *, weights: Mapping[str, float] | None = None,
                         method: str = "z", weight_col: str = "adults") -> pd.DataFrame:
    """Weighted composite of need indicators.

    Parameters
    ----------
    need : pandas.DataFrame
        Output of :func:`need_table` (or any frame holding the indicator columns).
    weights : mapping of str to float, optional
        Indicator -> weight; default :data:`DEFAULT_WEIGHTS`.  Weights are normalised to sum
        to 1; negative weights are refused.
    method : {"z", "rank"}, default "z"
        ``"z"``: adults-weighted z-scores (mean 0, SD 1 across the rows given), missing values
        scored 0 (the mean); ``"rank"``: percentile ranks in (0, 1], missing scored 0.5.
    weight_col : str, default "adults"
        Population column for the z-score mean and SD.

    Returns
    -------
    pandas.DataFrame
        ``need`` plus ``need_index`` (weighted sum of standardised indicators; higher = more
        need) and ``need_percentile`` (its percentile rank in (0, 1], 1 = highest need).
        ``attrs["need_weights"]`` and ``attrs["need_method"]`` record the recipe.
    """
    w = dict(DEFAULT_WEIGHTS if weights is None else weights)
    w = {k: float(v) for k, v in w.items() if float(v) != 0.0}
    if not w or any(v < 0 for v in w.values()):
        msg = f"need weights must be non-negative and not all zero, got {w}"
        raise InputError(msg)
    missing = [k for k in w if k not in need.columns]
    if missing:
        msg = (f"need indicators {missing} are not in the need table (have: "
               f"{[c for c in need.columns if need[c].dtype.kind in 'fi']})")
        raise SchemaError(msg)
    if method not in {"z", "rank"}:
        msg = f"method must be 'z' or 'rank', not {method!r}"
        raise InputError(msg)
    total = sum(w.values())
    pop = (need[weight_col].to_numpy(dtype=float) if weight_col in need.columns
           else np.ones(len(need)))
    index = pd.Series(0.0, index=need.index)
    for col, wt in w.items():
        x = need[col].astype(float)
        std = _weighted_z(x, pop) if method == "z" else x.rank(pct=True).fillna(0.5)
        index = index + (wt / total) * std
    out = need.copy()
    out["need_index"] = index
    out["need_percentile"] = index.rank(pct=True, method="average")
    out.attrs = dict(need.attrs)
    out.attrs["need_weights"] = {k: v / total for k, v in w.items()}
    out.attrs["need_method"] = method
    return out


def area_need(lsoas: pd.DataFrame, settings: Settings | None = None, *,
              weights: Mapping[str, float] | None = None, method: str = "z",
              client_counts: pd.Series | None = None) -> pd.Series:
    """Composite need per LSOA: :func:`need_table` then :func:`composite_need_index`.

    The one place need is weighted for gaps, the report and the app.  With ``client_counts``
    (already disclosure-controlled) and no explicit ``weights``, clients per 1,000 adults joins
    :data:`DEFAULT_WEIGHTS` with weight 1.
    """
    table = need_table(lsoas, settings, client_counts=client_counts)
    if weights is None and client_counts is not None:
        weights = {**DEFAULT_WEIGHTS, "clients_per_1000_adults": 1.0}
    return composite_need_index(table, weights=weights, method=method)


def describe_need(need: pd.DataFrame) -> dict[str, Any]:
    """Short text description of the composite recipe (for reports)."""
    wts = need.attrs.get("need_weights", {})
    return {
        "method": {"z": "adults-weighted z-scores", "rank": "percentile ranks"}.get(
            need.attrs.get("need_method", ""), "n/a"),
        "weights": {k: round(v, 3) for k, v in wts.items()},
        "notes": list(need.attrs.get("notes", [])),
    }


__all__ = ["DEFAULT_WEIGHTS", "area_need", "composite_need_index", "describe_need", "la_drug_death_rates",
           "lad_basis", "need_table"]
