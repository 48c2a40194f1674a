"""The release of a client extract for an area: every number the CLI, the app and the API show.

A release is a set of **sums of the extract's one protected base**
(:class:`geo.measures.client_base.ClientBase`): the LSOA, ward, district, IMD decile and IMD
quintile tables, the headline counts (clients in the area, clients living outside it, rows
read, rows not mapped), the rates per 1,000 adults and the shares.  Nothing here looks at a
true count, so a release for any area, IMD edition or rounding reveals nothing beyond the base,
and the same area and extract give the same numbers in every view (``docs/privacy.md``).

Every count comes with its stated error (``clients_error``: +/- about 95%, from the base's
per-LSOA expected squared errors) and every table and headline says how it was protected
(``disclosure``: "counts perturbed (cell key method), D = 5, ...").  Areas with fewer than
:data:`MIN_AREA_LSOAS` LSOAs get no client breakdown.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.measures.cellkey import SMALL_COUNT
from geo.measures.client_base import ClientBase, build_client_base, error_95
from geo.measures.clients import imd_quintile
from geo.measures.disclosure import check_disclosure

if TYPE_CHECKING:
    from geo.config import Settings
    from geo.data.areas import Area

logger = logging.getLogger(__name__)

#: Smallest area (in LSOAs) for which any client breakdown is given.
MIN_AREA_LSOAS = 10
PER_ADULTS = 1000
RATE_COL = f"clients_per_{PER_ADULTS}_adults"
#: Stated error of a published count: +/- this many clients (about a 95% interval).
ERROR_COL = "clients_error"
#: How the figures were protected, on every table (so a CSV or GeoPackage says it too).
LABEL_COL = "disclosure"


@dataclass(frozen=True)
class ClientRelease:
    """Everything published from one client extract for one area (sums of its protected base).

    Attributes
    ----------
    headline
        ``area``, ``synthetic_data``, ``disclosure`` (the rule in words), ``clients_in_area``,
        ``clients_outside_area``, ``rows_read``, ``rows_not_mapped`` (each with ``*_error``),
        ``adults_in_area``, ``clients_per_1000_adults`` (and its error).
    by_lsoa, by_ward, by_lad, by_decile, by_quintile
        Published tables: ``clients``, ``clients_error``, rates (and shares for deprivation).
    unmapped_rows
        Row numbers that could not be mapped, for the person fixing the file (diagnostic: not
        part of what is published, never written to ``--out``).
    """

    headline: dict[str, Any]
    by_lsoa: pd.DataFrame
    by_ward: pd.DataFrame
    by_lad: pd.DataFrame
    by_decile: pd.DataFrame
    by_quintile: pd.DataFrame
    label: str
    round_to: int | None = None
    unmapped_rows: tuple[int, ...] = field(default=(), repr=False)

    TABLES = ("lsoa", "ward", "lad", "decile", "quintile")

    def table(self, name: str) -> pd.DataFrame:
        """One published table by name (``lsoa``, ``ward``, ``lad``, ``decile``, ``quintile``)."""
        frames = {"lsoa": self.by_lsoa, "ward": self.by_ward, "lad": self.by_lad, "decile": self.by_decile,
                  "quintile": self.by_quintile}
        if name not in frames:
            msg = f"table {name!r}: choose one of {', '.join(frames)}"
            raise InputError(msg)
        return frames[name]

    def summary(self) -> dict[str, Any]:
        """Headline numbers plus the quintile and district tables (the CLI's default output)."""
        return {**self.headline, "by_imd_quintile": self.by_quintile, "by_lad": self.by_lad}

    def everything(self) -> dict[str, Any]:
        """Every published number (headline and all five tables)."""
        return {**self.headline, "by_imd_quintile": self.by_quintile, "by_imd_decile": self.by_decile,
                "by_lad": self.by_lad, "by_ward": self.by_ward, "by_lsoa": self.by_lsoa}

    def map_rates(self) -> dict[str, float]:
        """Published clients per 1,000 adults by LSOA of the area."""
        return {str(k): float(v) for k, v in self.by_lsoa[RATE_COL].dropna().items()}

    def need_counts(self) -> pd.Series:
        """Published client counts by LSOA (for need indices and gap rankings)."""
        return self.by_lsoa["clients"].astype(float)


def build_client_release(extract: ClientBase | pd.DataFrame, area: Area, *, round_to: int | None = None,
                  decile_col: str = "imd_decile", min_lsoas: int = MIN_AREA_LSOAS,
                  settings: Settings | None = None) -> ClientRelease:
    """The release of an extract for an area: sums of the extract's protected base.

    Parameters
    ----------
    extract
        The extract's :class:`~geo.measures.client_base.ClientBase`, or the output of
        :func:`geo.measures.clients.read_client_extract` (its base is built here; the same
        extract always gives the same base).
    area
        Study area (its core LSOAs).
    round_to
        Also round every published count to this base (e.g. 5); the stated errors grow by half of it.
    decile_col
        National IMD decile column used for the decile and quintile tables.
    min_lsoas
        Refuse areas with fewer LSOAs than this.
    settings
        Used only when ``extract`` is a frame (the LSOA table for the stated errors).

    Returns
    -------
    ClientRelease

    Raises
    ------
    InputError
        The area is smaller than ``min_lsoas`` LSOAs, or ``round_to`` is out of range.
    """
    if round_to is not None and not 1 <= int(round_to) <= 100:
        msg = f"--round-to {round_to}: give a whole number from 1 to 100 (e.g. 5)"
        raise InputError(msg)
    if round_to is not None and 1 <= (low := _Publisher(round_to).count(SMALL_COUNT + 1)) <= SMALL_COUNT:
        msg = (f"--round-to {round_to}: a published {SMALL_COUNT + 1} would be shown as {low}, a count of "
               f"1-{SMALL_COUNT}; give 5 or more (e.g. 5 or 10), or 1-3")
        raise InputError(msg)
    lsoas = area.lsoas
    if len(lsoas) < min_lsoas:
        msg = (f"{area.name}: client breakdowns need an area of at least {min_lsoas} neighbourhoods (LSOAs); "
               f"this area has {len(lsoas)}. Choose a larger area (a district, county or several districts)")
        raise InputError(msg)
    base = extract if isinstance(extract, ClientBase) else build_client_base(extract, settings)
    label = base.label + (f"; every count rounded to {round_to}" if round_to else "")
    shown = _Publisher(round_to)
    codes = lsoas.index
    counts = base.counts(codes)
    mse = base.square_errors(codes)
    adults = lsoas["adults"].astype(float).to_numpy()

    def grouped(keys: np.ndarray, levels: Any = None) -> pd.DataFrame:
        frame = pd.DataFrame({"key": keys, "clients": counts, "mse": mse, "adults": adults, "lsoas": 1})
        g = frame.groupby("key").sum()
        if levels is not None:
            g = g.reindex(levels, fill_value=0)
        out = pd.DataFrame({"lsoas": g["lsoas"].astype("int64"), "adults": g["adults"].round().astype("int64")},
                           index=g.index)
        out["clients"] = shown.counts(g["clients"].to_numpy())
        out[ERROR_COL] = shown.errors(g["mse"].to_numpy())
        out[RATE_COL] = _rate(out["clients"], g["adults"])
        return out

    by_lsoa = pd.DataFrame({
        "lsoa21nm": lsoas["lsoa21nm"] if "lsoa21nm" in lsoas.columns else pd.NA,
        "ward": lsoas["ward"] if "ward" in lsoas.columns else pd.NA,
        "lad24cd": lsoas["lad24cd"].astype(str), "imd_decile": lsoas[decile_col].astype(int),
        "imd_quintile": imd_quintile(lsoas[decile_col]), "adults": lsoas["adults"].round().astype("int64"),
        "clients": shown.counts(counts), ERROR_COL: shown.errors(mse)}, index=codes)
    by_lsoa.index.name = "lsoa21cd"
    by_lsoa[RATE_COL] = _rate(by_lsoa["clients"], pd.Series(adults, index=codes))

    lad = lsoas["lad24cd"].astype(str).to_numpy()
    by_lad = grouped(lad)
    by_lad.index.name = "lad24cd"
    if "lad24nm" in lsoas.columns:
        by_lad.insert(0, "lad24nm", lsoas.groupby("lad24cd")["lad24nm"].first().reindex(by_lad.index))
    ward_code = lsoas["wd24cd"].astype(str).to_numpy() if "wd24cd" in lsoas.columns else lad
    by_ward = grouped(ward_code)
    by_ward.index.name = "wd24cd" if "wd24cd" in lsoas.columns else "lad24cd"
    if "ward" in lsoas.columns:
        names = lsoas.assign(_k=ward_code).groupby("_k")[["ward", "lad24nm"]].first().reindex(by_ward.index)
        by_ward.insert(0, "lad24nm", names["lad24nm"])
        by_ward.insert(0, "ward", names["ward"])

    total = shown.count(int(counts.sum()))
    total_error = shown.error(float(mse.sum()))
    by_decile = _deprivation(grouped(lsoas[decile_col].astype(int).to_numpy(), range(1, 11)), "imd_decile", total)
    by_quintile = _deprivation(grouped(imd_quintile(lsoas[decile_col]).to_numpy(), range(1, 6)), "imd_quintile",
                               total)
    in_area = set(codes)
    outside_codes = [c for c in base.lsoa.index if c not in in_area]
    outside_mse = float(base.mse.drop(index=list(in_area), errors="ignore").sum())
    adults_total = float(adults.sum())
    rate = round(total / adults_total * PER_ADULTS, 2) if adults_total else None
    headline = {
        "area": area.name,
        "synthetic_data": base.synthetic,
        LABEL_COL: label,
        "clients_in_area": total,
        "clients_in_area_error": total_error,
        "clients_outside_area": shown.count(int(base.lsoa.reindex(outside_codes).sum())),
        "clients_outside_area_error": shown.error(outside_mse),
        "rows_read": shown.count(base.rows_read()),
        "rows_read_error": shown.error(base.rows_read_mse()),
        "rows_not_mapped": shown.count(base.not_mapped),
        "rows_not_mapped_error": shown.error(base.not_mapped_mse),
        "adults_in_area": round(adults_total),
        RATE_COL: rate,
        f"{RATE_COL}_error": round(total_error / adults_total * PER_ADULTS, 2) if adults_total else None,
    }
    tables = {"LSOA": by_lsoa, "ward": by_ward, "district": by_lad, "decile": by_decile, "quintile": by_quintile}
    for name, frame in tables.items():
        frame[LABEL_COL] = label
        check_disclosure(frame, count_cols=["clients"], source=f"clients by {name}")
    logger.info("client release for %s: %d LSOAs (%s)", area.name, len(codes), label)
    return ClientRelease(headline=headline, by_lsoa=by_lsoa, by_ward=by_ward, by_lad=by_lad, by_decile=by_decile,
                         by_quintile=by_quintile, label=label, round_to=round_to,
                         unmapped_rows=base.unmapped_rows)


@dataclass(frozen=True)
class _Publisher:
    """Published form of a sum of the base: optionally rounded; its error grows by half the base."""

    round_to: int | None

    def count(self, value: int) -> int:
        r = self.round_to
        return int(np.floor(value / r + 0.5) * r) if r else int(value)

    def counts(self, values: np.ndarray) -> np.ndarray:
        v = np.asarray(values, dtype=np.int64)
        r = self.round_to
        return (np.floor(v / r + 0.5) * r).astype(np.int64) if r else v

    def error(self, square_error: float) -> int:
        return int(self.errors(np.array([square_error]))[0])

    def errors(self, square_errors: np.ndarray) -> np.ndarray:
        return error_95(square_errors) + (self.round_to // 2 if self.round_to else 0)


def _rate(published: pd.Series, adults: pd.Series) -> pd.Series:
    a = pd.Series(np.asarray(adults, dtype=float), index=published.index)
    return (published.astype(float) / a.where(a > 0) * PER_ADULTS).round(2)


def _deprivation(table: pd.DataFrame, name: str, total: int) -> pd.DataFrame:
    """Shares of clients and adults by deprivation group, from published counts only."""
    out = table.drop(columns=RATE_COL)
    out.index.name = name
    adult_share = out["adults"] / out["adults"].sum() if out["adults"].sum() else out["adults"] * np.nan
    client_share = out["clients"] / total if total else out["clients"] * np.nan
    out["share_of_clients_pct"] = (client_share * 100).round(1)
    out["share_of_adults_pct"] = (adult_share * 100).round(1)
    out["representation_ratio"] = (client_share / adult_share.where(adult_share > 0)).round(2)
    return out
