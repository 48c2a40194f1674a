"""The intruder of the privacy attack suite (test helper, not part of ``geo``).

:class:`Intruder` plays the viewer of issue 24: it can pick any area (named districts, unions of
wards, polygons, either IMD edition, rounded or not; through the CLI, the API or the app) and
pools every number published for one extract.  It knows the published design (docs/privacy.md)
and the public ptable: every client figure is the sum, over the figure's LSOAs, of one published
value per LSOA (the base), and a published LSOA value ``p`` can only come from a true count in
``ptable.support(p)``.  From the pooled figures it bounds each LSOA's published value with a
linear programme, then each LSOA's true count.  The attack succeeds if a true count of 1-4 is
pinned to one value.

The extracts are synthetic (``synthetic_*``): real postcodes drawn from the bundle at test
time, with a pattern of counts chosen to be hard to protect (many 1-4s).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

SMALL = range(1, 5)
TABLE_KEYS = {"by_lad": "lad24cd", "by_ward": "wd24cd", "by_imd_decile": "imd_decile",
              "by_imd_quintile": "imd_quintile"}


def postcodes_by_lsoa(settings, codes: Iterable[str]) -> dict[str, list[str]]:
    """Live postcodes of each LSOA (read from the bundle at test time, never stored)."""
    from geo.data.loaders import load_postcodes

    pcs = load_postcodes(settings)
    pcs = pcs[pcs["lsoa21cd"].isin(list(codes))].reset_index()
    return pcs.sort_values("pcd").groupby("lsoa21cd")["pcd"].agg(list).to_dict()


def small_pattern(codes: list[str], seed: int) -> dict[str, int]:
    """Mostly counts of 1-4, some 5-14, some zeros."""
    rng = np.random.default_rng(seed)
    out = {}
    for code in codes:
        r = rng.random()
        out[code] = int(rng.integers(1, 5)) if r < 0.45 else int(rng.integers(5, 15)) if r < 0.75 else 0
    return out


def synthetic_extract(settings, truth: dict[str, int], *, outside_codes: Iterable[str] = (), outside: int = 0,
                      unmapped: int = 0, seed: int = 0) -> pd.DataFrame:
    """A synthetic extract with ``truth[code]`` clients in each LSOA (real postcodes), plus clients
    living in ``outside_codes`` and rows that cannot be mapped; rows shuffled."""
    rng = np.random.default_rng(seed)
    by_lsoa = postcodes_by_lsoa(settings, [*truth, *outside_codes])
    rows: list[str] = []
    for code, n in truth.items():
        rows += [by_lsoa[code][int(j)] for j in rng.integers(0, len(by_lsoa[code]), n)]
    if outside:
        flat = [p for c in outside_codes for p in by_lsoa[c]]
        rows += [flat[int(j)] for j in rng.integers(0, len(flat), outside)]
    rows += ["ZZ99 9ZZ"] * unmapped
    order = rng.permutation(len(rows))
    return pd.DataFrame({"postcode": np.asarray(rows, dtype=object)[order], "synthetic": True})


def _frame(obj: Any, key: str) -> pd.DataFrame:
    """A published table from the API (a frame) or from JSON (a list of records)."""
    if isinstance(obj, pd.DataFrame):
        return obj
    df = pd.DataFrame(obj)
    return df.set_index(key) if key in df.columns else df


class Intruder:
    """Pools published client figures of one extract and bounds every LSOA's true count."""

    def __init__(self, universe_lsoas: pd.DataFrame, ptable: Any) -> None:
        self.lsoas = universe_lsoas.sort_index()
        self.codes = list(self.lsoas.index)
        self.pos = {c: i for i, c in enumerate(self.codes)}
        self.n = len(self.codes)
        self.i_rest, self.i_unm = self.n, self.n + 1  # published clients elsewhere in England; not mapped
        self.nv = self.n + 2
        self.ptable = ptable
        self.rows: dict[tuple[int, ...], tuple[float, float]] = {}
        self.figures = 0

    def _add(self, support: Iterable[int], value: float, half: float) -> None:
        key = tuple(sorted(int(i) for i in support))
        lo, hi = value - half, value + half
        if key in self.rows:
            old = self.rows[key]
            lo, hi = max(lo, old[0]), min(hi, old[1])
        self.rows[key] = (lo, hi)
        self.figures += 1

    def observe(self, rel: dict[str, Any], area_codes: Iterable[str], *, deciles: pd.Series,
                round_to: int | None = None) -> None:
        """Every number of one release (API ``everything()``, CLI JSON, or any part of them)."""
        half = (round_to or 0) / 2
        area = sorted(area_codes)
        idx = [self.pos[c] for c in area]
        groups = {"lad24cd": self.lsoas.loc[area, "lad24cd"].astype(str),
                  "wd24cd": self.lsoas.loc[area, "wd24cd"].astype(str),
                  "imd_decile": deciles.loc[area].astype(int).astype(str),
                  "imd_quintile": ((deciles.loc[area].astype(int) + 1) // 2).astype(str)}
        if "by_lsoa" in rel:
            lsoa = _frame(rel["by_lsoa"], "lsoa21cd")
            for code, v in lsoa["clients"].items():
                self._add([self.pos[str(code)]], float(v), half)
            adults = self.lsoas.loc[lsoa.index, "adults"].astype(float)
            for code, r in lsoa["clients_per_1000_adults"].dropna().items():  # rate x adults is a count
                a = adults[code] / 1000.0
                self._add([self.pos[str(code)]], round(float(r) * a), half)
        for table, col in TABLE_KEYS.items():
            if table not in rel:
                continue
            frame = _frame(rel[table], col)
            for key, v in frame["clients"].items():
                members = [self.pos[c] for c, g in groups[col].items() if g == str(key)]
                if members:
                    self._add(members, float(v), half)
        inside = set(area)
        outside = [self.pos[c] for c in self.codes if c not in inside] + [self.i_rest]
        figures = {"clients_in_area": idx, "clients_outside_area": outside, "rows_not_mapped": [self.i_unm],
                   "rows_read": list(range(self.nv))}
        for name, support in figures.items():
            if name in rel:
                self._add(support, float(rel[name]), half)

    def check(self, published: np.ndarray) -> None:
        """The intruder's model holds for the true base (so its conclusions are sound)."""
        for key, (lo, hi) in self.rows.items():
            v = published[list(key)].sum()
            assert lo - 1e-9 <= v <= hi + 1e-9, f"figure over {len(key)} cell(s) is not a sum of the base"

    def published_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Smallest and largest published value of each LSOA consistent with every figure (LP)."""
        from scipy.optimize import linprog

        keys = list(self.rows)
        a = np.zeros((len(keys), self.nv))
        for k, key in enumerate(keys):
            a[k, list(key)] = 1.0
        lo_b = np.array([self.rows[k][0] for k in keys])
        hi_b = np.array([self.rows[k][1] for k in keys])
        a_ub, b_ub = np.vstack([a, -a]), np.concatenate([hi_b, -lo_b])
        lo, hi = np.zeros(self.n), np.full(self.n, np.inf)
        for i in range(self.n):
            c = np.zeros(self.nv)
            c[i] = 1.0
            r_lo = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
            r_hi = linprog(-c, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
            assert r_lo.status == 0, r_lo.message
            lo[i] = r_lo.fun
            hi[i] = -r_hi.fun if r_hi.status == 0 else np.inf
        return lo, hi

    def count_bounds(self) -> dict[str, tuple[int, int]]:
        """Smallest and largest true count of each LSOA given everything observed and the ptable."""
        lo, hi = self.published_bounds()
        out = {}
        for i, code in enumerate(self.codes):
            top = int(np.floor(hi[i] + 1e-6)) if np.isfinite(hi[i]) else 10**6
            candidates = [p for p in range(int(np.ceil(lo[i] - 1e-6)), min(top, 10**4) + 1)
                          if p == 0 or p > self.ptable.small_count]
            ranges = [self.ptable.support(p) for p in candidates]
            out[code] = (min(r[0] for r in ranges), max(r[1] for r in ranges) if top < 10**6 else 10**6)
        return out

    def pinned_small_counts(self, truth: dict[str, int]) -> list[str]:
        """LSOAs whose true count of 1-4 is pinned to one value (the attack's findings)."""
        found = []
        for code, (lo, hi) in self.count_bounds().items():
            c = truth.get(code, 0)
            assert lo <= c <= hi, f"{code}: true count outside the intruder's bounds: model wrong"
            if c in SMALL and lo == hi:
                found.append(f"{code} pinned to {c}")
        return found
