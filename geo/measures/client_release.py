"""The one release of a client extract: every number the CLI, the app and reports may show.

:func:`build_release` is the only way client-derived numbers leave :mod:`geo`.  It builds, from
one extract and one area, the headline numbers, the LSOA, district, IMD decile and IMD quintile
tables, and the map rates, and protects them **jointly** with
:func:`geo.measures.disclosure_joint.protect` (see ``docs/privacy.md``):

* LSOA counts of 1-4 are hidden, plus enough other cells that no hidden count of 1-4 can be
  worked out from any combination of published numbers (district, decile, quintile and area
  totals, the headline counts, rates x adults);
* totals with a hidden cell beneath them are rounded to 5; totals of 1-4 are hidden;
* rows read, rows not mapped and clients outside the area are rounded to 5, or shown as
  "fewer than 5";
* rates, shares and ratios are computed from published counts only, so multiplying a rate by
  the (public) adult population gives back a published count, never a hidden one;
* areas with fewer than :data:`MIN_AREA_LSOAS` LSOAs get no client breakdown at all.

Logs give only row counts of the extract and how many cells were hidden, never a count per area.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.measures.clients import client_counts, imd_quintile
from geo.measures.disclosure import DEFAULT_THRESHOLD, check_disclosure
from geo.measures.disclosure_joint import Item, Plan, protect

if TYPE_CHECKING:
    from geo.data.areas import Area

logger = logging.getLogger(__name__)

#: Smallest area (in LSOAs) for which any client breakdown is given.
MIN_AREA_LSOAS = 10
#: Base to which totals above hidden cells and the headline row counts are rounded.
TOTAL_BASE = 5
PER_ADULTS = 1000
RATE_COL = f"clients_per_{PER_ADULTS}_adults"


@dataclass(frozen=True)
class ClientRelease:
    """Everything published from one client extract for one area (all disclosure-controlled).

    Attributes
    ----------
    headline
        ``area``, ``synthetic_data``, ``rows_read``, ``rows_not_mapped``, ``clients_outside_area``
        (rounded to 5 or ``"fewer than 5"``), ``clients_in_area`` (None when hidden),
        ``adults_in_area``, ``clients_per_1000_adults``, ``suppression`` (the rule in words).
    by_lsoa, by_lad, by_decile, by_quintile
        Published tables (``clients`` is ``<NA>`` where hidden; rates and shares from published
        counts only).
    unmapped_rows
        Row numbers that could not be mapped, for the person fixing the file (diagnostic: not
        part of what is published, never written to ``--out``).
    """

    headline: dict[str, Any]
    by_lsoa: pd.DataFrame
    by_lad: pd.DataFrame
    by_decile: pd.DataFrame
    by_quintile: pd.DataFrame
    threshold: int = DEFAULT_THRESHOLD
    round_to: int | None = None
    unmapped_rows: tuple[int, ...] = field(default=(), repr=False)
    _plan: Plan | None = field(default=None, repr=False, compare=False)

    TABLES = ("lsoa", "lad", "decile", "quintile")

    def table(self, name: str) -> pd.DataFrame:
        """One published table by name (``lsoa``, ``lad``, ``decile``, ``quintile``)."""
        frames = {"lsoa": self.by_lsoa, "lad": self.by_lad, "decile": self.by_decile,
                  "quintile": self.by_quintile}
        if name not in frames:
            msg = f"table {name!r}: choose one of {', '.join(frames)}"
            raise InputError(msg)
        return frames[name]

    def summary(self) -> dict[str, Any]:
        """Headline numbers plus the quintile and district tables (the CLI's default output)."""
        return {**self.headline, "by_imd_quintile": self.by_quintile, "by_lad": self.by_lad}

    def everything(self) -> dict[str, Any]:
        """Every published number (headline and all four tables)."""
        return {**self.headline, "by_imd_quintile": self.by_quintile, "by_imd_decile": self.by_decile,
                "by_lad": self.by_lad, "by_lsoa": self.by_lsoa}

    def map_rates(self) -> dict[str, float]:
        """Published clients per 1,000 adults by LSOA (hidden LSOAs absent)."""
        return {str(k): float(v) for k, v in self.by_lsoa[RATE_COL].dropna().items()}

    def need_counts(self) -> pd.Series:
        """Client counts by LSOA for need indices, built from published numbers only.

        Hidden cells are set to half the threshold (2.5) whatever their true value, so a ranking
        or score computed from this series reveals nothing beyond the release.
        """
        c = self.by_lsoa["clients"].astype("Float64")
        return c.fillna(self.threshold / 2).astype(float)

    def audit(self) -> pd.DataFrame:
        """Feasible range of every small count over everything published (true values: tests only)."""
        return self._plan.audit.copy() if self._plan is not None else pd.DataFrame()


def _headline_value(n: int, threshold: int) -> int | str:
    if n == 0:
        return 0
    if n < threshold:
        return f"fewer than {threshold}"
    return int(np.floor(n / TOTAL_BASE + 0.5) * TOTAL_BASE)


def build_release(clients: pd.DataFrame, area: Area, *, threshold: int = DEFAULT_THRESHOLD,
                  round_to: int | None = None, decile_col: str = "imd_decile",
                  min_lsoas: int = MIN_AREA_LSOAS) -> ClientRelease:
    """Build the disclosure-controlled release of a client extract for an area.

    Parameters
    ----------
    clients
        Output of :func:`geo.measures.clients.read_client_extract`.
    area
        Study area (its core LSOAs).
    threshold
        Counts of 1 to ``threshold - 1`` are never shown or derivable (5).
    round_to
        Also round every visible count to this base (e.g. 5); totals above hidden cells are
        rounded to 5 regardless.
    decile_col
        National IMD decile column used for the decile and quintile tables.
    min_lsoas
        Refuse areas with fewer LSOAs than this (a polygon drawn round one LSOA would give its
        exact count).

    Returns
    -------
    ClientRelease

    Raises
    ------
    InputError
        The area is smaller than ``min_lsoas`` LSOAs, or the options are out of range.
    """
    if threshold < 2:
        msg = f"threshold={threshold}: must be at least 2 (5 is the usual rule)"
        raise InputError(msg)
    if round_to is not None and not 1 <= int(round_to) <= 100:
        msg = f"--round-to {round_to}: give a whole number from 1 to 100 (e.g. 5)"
        raise InputError(msg)
    lsoas = area.lsoas
    if len(lsoas) < min_lsoas:
        msg = (f"{area.name}: client breakdowns need an area of at least {min_lsoas} neighbourhoods (LSOAs); "
               f"this area has {len(lsoas)}. Choose a larger area (a district, county or several districts)")
        raise InputError(msg)
    counts = client_counts(clients, area)
    n = len(lsoas)
    x = counts["clients"].reindex(lsoas.index).fillna(0).to_numpy(dtype=float)
    summ = clients.attrs.get("summary", {})
    rows_read = int(summ.get("rows", len(clients)))
    unmapped = int(summ.get("unmapped", int(clients["lsoa21cd"].isna().sum())))
    outside = int(counts.attrs.get("outside_area", 0))
    values = np.concatenate([x, [outside, unmapped]])
    i_out, i_unm = n, n + 1
    codes = lsoas.index.astype(str).to_numpy()
    lad = lsoas["lad24cd"].astype(str).to_numpy()
    dec = lsoas[decile_col].astype(int).to_numpy()
    quint = imd_quintile(lsoas[decile_col]).to_numpy()
    items: list[Item] = [Item("lsoa", c, np.array([i]), kind="cell") for i, c in enumerate(codes)]
    items += [Item("lad", g, np.flatnonzero(lad == g)) for g in np.unique(lad)]
    items += [Item("decile", str(d), np.flatnonzero(dec == d)) for d in np.unique(dec)]
    items += [Item("quintile", str(q), np.flatnonzero(quint == q)) for q in np.unique(quint)]
    items.append(Item("area", "total", np.arange(n)))
    items += [Item("headline", "clients_outside_area", np.array([i_out]), kind="headline"),
              Item("headline", "rows_not_mapped", np.array([i_unm]), kind="headline"),
              Item("headline", "rows_read", np.arange(n + 2), kind="headline")]
    tiny = 1 <= x.sum() < threshold  # a handful of clients: no cell or total at all, not even zeros
    for it in items if tiny else ():
        it.forced_hidden = it.kind == "total"
    plan = protect(values, items, threshold=threshold, total_base=TOTAL_BASE, cell_base=round_to,
                   hide_all_cells=bool(tiny))
    shown = {(it.table, it.label): plan.published(it) for it in items}

    def count_array(table: str, labels: Any) -> pd.array:
        return pd.array([shown[(table, str(k))] for k in labels], dtype="Int64")

    adults = lsoas["adults"].astype(float)
    by_lsoa = pd.DataFrame({
        "lsoa21nm": lsoas["lsoa21nm"] if "lsoa21nm" in lsoas.columns else pd.NA,
        "lad24cd": lad, "imd_decile": dec, "imd_quintile": quint,
        "adults": adults.round().astype("int64"), "clients": count_array("lsoa", codes)}, index=lsoas.index)
    by_lsoa.index.name = "lsoa21cd"
    by_lsoa[RATE_COL] = _rate(by_lsoa["clients"], adults)
    by_lsoa["suppressed"] = by_lsoa["clients"].isna()

    lad_names = lsoas.groupby("lad24cd")["lad24nm"].first() if "lad24nm" in lsoas.columns else None
    grp_adults = adults.groupby(lad).sum()
    by_lad = pd.DataFrame({"lad24nm": lad_names.reindex(grp_adults.index) if lad_names is not None else pd.NA,
                           "lsoas": pd.Series(lad).value_counts().reindex(grp_adults.index).to_numpy(),
                           "adults": grp_adults.round().astype("int64"),
                           "clients": count_array("lad", grp_adults.index)}, index=grp_adults.index)
    by_lad.index.name = "lad24cd"
    by_lad[RATE_COL] = _rate(by_lad["clients"], grp_adults)
    by_lad["suppressed"] = by_lad["clients"].isna()

    total_value = shown[("area", "total")]
    total_shown = total_value if isinstance(total_value, int) else None  # "fewer than N" gives no base
    by_decile = _deprivation_table("imd_decile", dec, range(1, 11), adults, count_array, "decile", total_shown)
    by_quintile = _deprivation_table("imd_quintile", quint, range(1, 6), adults, count_array, "quintile",
                                     total_shown)
    adults_total = float(adults.sum())
    headline = {
        "area": area.name,
        "synthetic_data": bool(counts.attrs.get("synthetic")),
        "rows_read": _headline_value(rows_read, threshold),
        "rows_not_mapped": _headline_value(unmapped, threshold),
        "clients_outside_area": _headline_value(outside, threshold),
        "clients_in_area": total_value,
        "adults_in_area": round(adults_total),
        RATE_COL: None if total_shown is None or not adults_total
        else round(float(total_shown) / adults_total * PER_ADULTS, 2),
        "suppression": (f"counts 1-{threshold - 1} hidden, plus cells that would reveal them; totals above "
                        f"hidden cells and row counts rounded to {TOTAL_BASE}"
                        + (f"; visible counts rounded to {round_to}" if round_to else "")),
    }
    for name, frame in (("LSOA", by_lsoa), ("district", by_lad), ("decile", by_decile),
                        ("quintile", by_quintile)):
        check_disclosure(frame, count_cols=["clients"], threshold=threshold, source=f"clients by {name}")
    hidden = int(by_lsoa["suppressed"].sum())
    logger.info("client release for %s: %d of %d LSOA cells hidden", area.name, hidden, n)
    bad = clients.loc[clients["lsoa21cd"].isna(), "row"] if "row" in clients.columns else pd.Series([], dtype=int)
    return ClientRelease(headline=headline, by_lsoa=by_lsoa, by_lad=by_lad, by_decile=by_decile,
                         by_quintile=by_quintile, threshold=threshold, round_to=round_to,
                         unmapped_rows=tuple(int(r) for r in bad), _plan=plan)


def _rate(published: pd.Series, adults: pd.Series) -> pd.Series:
    a = pd.Series(np.asarray(adults, dtype=float), index=published.index)
    return (published.astype("Float64") / a.where(a > 0) * PER_ADULTS).round(2)


def _deprivation_table(name: str, groups: np.ndarray, levels: range, adults: pd.Series, count_array: Any,
                       table: str, total_shown: int | None) -> pd.DataFrame:
    a = pd.Series(adults.to_numpy(), index=groups).groupby(level=0).sum().reindex(levels, fill_value=0.0)
    n_lsoas = pd.Series(groups).value_counts().reindex(levels, fill_value=0)
    present = set(np.unique(groups).tolist())
    clients = pd.array([count_array(table, [k])[0] if k in present else 0 for k in levels], dtype="Int64")
    out = pd.DataFrame({"lsoas": n_lsoas.to_numpy(), "adults": a.round().astype("int64").to_numpy(),
                        "clients": clients}, index=pd.Index(list(levels), name=name))
    adult_share = a / a.sum() if a.sum() else a * np.nan
    if total_shown:
        client_share = out["clients"].astype("Float64") / float(total_shown)
    else:
        client_share = pd.Series(pd.array([pd.NA] * len(out), dtype="Float64"), index=out.index)
    out["share_of_clients_pct"] = (client_share * 100).round(1)
    out["share_of_adults_pct"] = (adult_share.to_numpy() * 100).round(1)
    ratio = client_share / pd.Series(adult_share.to_numpy(), index=out.index).where(lambda s: s > 0)
    out["representation_ratio"] = ratio.astype("Float64").round(2)
    out["suppressed"] = out["clients"].isna()
    return out
