"""Area names: which names and GSS codes select which LSOAs (LAD, county, region, ICB, sub-ICB
location, former district, ward, the seeds' county aliases) -- the vocabulary of
:func:`geo.data.areas.select_area`, ``geo areas`` and the app's area picker.

The kinds chosen by a name or a code column of the LSOA table are declared once, in
:data:`AREA_KINDS`; wards (names shared between districts) and the aliases are the two
special cases.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo._errors import AreaError
from geo.config import Settings
from geo.data.tables import load_lsoa_table

if TYPE_CHECKING:
    import geopandas as gpd

#: Counties as the seed documents use them, by LAD 2024 codes or UTLA names.
COUNTY_ALIASES: dict[str, tuple[str, ...]] = {
    "northamptonshire": ("E06000061", "E06000062"),  # North + West Northamptonshire
    "northants": ("E06000061", "E06000062"),
    "leicester, leicestershire and rutland": ("utla:E10000018", "E06000016", "E06000017"),
    "llr": ("utla:E10000018", "E06000016", "E06000017"),
    "greater essex": ("utla:E10000012", "E06000033", "E06000034"),
}
_ALIAS_NAMES = {"northants": "Northamptonshire", "northamptonshire": "Northamptonshire",
                "llr": "Leicester, Leicestershire and Rutland",
                "leicester, leicestershire and rutland": "Leicester, Leicestershire and Rutland",
                "greater essex": "Greater Essex"}
_CODE = re.compile(r"^E\d{8}$", re.IGNORECASE)  # a GSS code; which kind is read from AREA_KINDS


@dataclass(frozen=True)
class AreaKind:
    """An area kind chosen by a name (and a GSS code) column of the LSOA table."""

    kind: str  #: its key (``Area.kind``, ``geo areas --kind``)
    label: str  #: words for messages ("sub-ICB location")
    name_col: str
    code_col: str | None = None  #: None: chosen by name only


#: Every kind chosen by a column of the LSOA table, in the order names are tried (a LAD wins
#: over a county of the same name, e.g. Rutland). To add a kind: one row here and its columns in
#: :data:`geo.data.tables.LOOKUP_COLUMNS` (and the lookup's checked columns in ``geo.data.sources``).
AREA_KINDS: tuple[AreaKind, ...] = (
    AreaKind("lad", "LAD", "lad24nm", "lad24cd"),
    AreaKind("county", "county", "utla23nm", "utla23cd"),
    AreaKind("region", "region", "rgn24nm", "rgn24cd"),
    AreaKind("icb", "ICB", "icb24nm", "icb24cd"),
    AreaKind("sub_icb", "sub-ICB location", "sicbl24nm", "sicbl24cd"),
    AreaKind("former_district", "former district", "former_district"),
)


def _kinds_in(table: pd.DataFrame) -> tuple[AreaKind, ...]:
    return tuple(k for k in AREA_KINDS if k.name_col in table.columns)


def _kind_words(kinds: Sequence[AreaKind]) -> str:
    return ", ".join(k.label for k in kinds)


@lru_cache(maxsize=65_536)  # every LSOA-table name (wards, districts, ...) is looked up again per area part
def _norm(text: str) -> str:
    t = text.strip().lower().replace("&", "and")
    t = re.sub(r"\s+", " ", t)
    return re.sub(r"\b(nhs|integrated care board|icb|county council|council)\b", "", t).strip(" ,")


def _normed(names: pd.Series) -> np.ndarray:
    """:func:`_norm` of every name, computed once per distinct name (35k LSOAs share ~7k wards)."""
    codes, uniques = pd.factorize(names)
    return np.array([_norm(str(u)) for u in uniques], dtype=object)[codes]


def list_area_names(settings: Settings | None = None) -> dict[str, list[str]]:
    """Names accepted by :func:`geo.data.areas.select_area`, by kind (the kinds of :data:`AREA_KINDS`, then
    ``ward`` and ``other``)."""
    t = load_lsoa_table(settings)
    names = {k.kind: sorted(t[k.name_col].astype(str).unique()) for k in _kinds_in(t)}
    names["county"] = sorted({*names.get("county", ()), "Northamptonshire"})
    names["ward"] = sorted((t["ward"].astype(str) + ", " + t["lad24nm"].astype(str)).unique())
    names["other"] = ["England", *[k.title() for k in COUNTY_ALIASES if len(k) > 4]]
    return names


def resolve_area_part(table: gpd.GeoDataFrame, part: str) -> tuple[str, str, np.ndarray]:
    """``(kind, display name, LSOA mask)`` of one part of an area spec (a name or a GSS code);
    an :class:`~geo._errors.AreaError` with suggestions when nothing matches."""
    p = part.strip()
    low = _norm(p)
    if low in {"england", "all"}:
        return "england", "England", np.ones(len(table), dtype=bool)
    kinds = _kinds_in(table)
    if _CODE.match(p):
        code = p.upper()
        coded = [k for k in kinds if k.code_col is not None and k.code_col in table.columns]
        for k in coded:
            m = (table[k.code_col] == code).to_numpy()
            if m.any():
                return k.kind, str(table.loc[m, k.name_col].iloc[0]), m
        msg = f"no English LSOAs have code {code}; use the code of a {_kind_words(coded)}"
        raise AreaError(msg)
    if low in COUNTY_ALIASES:
        m = np.zeros(len(table), dtype=bool)
        for c in COUNTY_ALIASES[low]:
            m |= (table["utla23cd"] == c[5:]).to_numpy() if c.startswith("utla:") else (
                table["lad24cd"] == c).to_numpy()
        return "county", _ALIAS_NAMES.get(low, p.title()), m
    for k in kinds:
        names = table[k.name_col].astype(str)
        m = _normed(names) == low
        if m.any():
            return k.kind, str(names[m].iloc[0]), m
    ward = _resolve_ward(table, p)
    if ward is not None:
        return ward
    candidates = sorted({*(n for k in kinds for n in table[k.name_col].astype(str)),
                         *table.get("ward", pd.Series(dtype=str)).astype(str),
                         "Northamptonshire", "England"})
    close = difflib.get_close_matches(p, candidates, n=3, cutoff=0.6)
    hint = f" Did you mean: {', '.join(close)}?" if close else " Run `geo areas` to list names."
    msg = f"unknown area {p!r}: not a {_kind_words(kinds)}, ward or code.{hint}"
    raise AreaError(msg)


def _resolve_ward(table: gpd.GeoDataFrame, part: str) -> tuple[str, str, np.ndarray] | None:
    """A 2024 ward by name (``"Oakham North West"``), or ``"Ward, District"`` where the name is
    used in several districts (``"Abbey, Leicester"``); None when no ward has that name."""
    if "ward" not in table.columns:
        return None
    wards = _normed(table["ward"].astype(str))
    name, _, district = part.rpartition(",") if "," in part else (part, "", "")
    m = wards == _norm(name)
    if not m.any():
        return None
    if district.strip():
        m = m & (_normed(table["lad24nm"].astype(str)) == _norm(district))
        if not m.any():
            msg = f"no ward {name.strip()!r} in {district.strip()!r}; run `geo areas --kind ward` to list wards"
            raise AreaError(msg)
    districts = sorted(table.loc[m, "lad24nm"].astype(str).unique())
    if len(districts) > 1:
        options = "; ".join(f"{name.strip()}, {d}" for d in districts[:6])
        msg = (f"ward name {name.strip()!r} is used in {len(districts)} districts; "
               f"say which, e.g. {options}")
        raise AreaError(msg)
    label = f"{table.loc[m, 'ward'].iloc[0]} ward ({districts[0]})"
    return "ward", label, m


__all__ = ["AREA_KINDS", "COUNTY_ALIASES", "AreaKind", "list_area_names", "resolve_area_part"]
