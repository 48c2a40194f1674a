"""Pooling attack: many releases of one synthetic extract over areas that differ by one neighbourhood.

The intruder of issue 24: a viewer who can pick any area (named districts, unions of wards,
polygons drawn round LSOAs) asks for the client summary of each, and pools every published
number into one integer programme over the unknown LSOA counts.  Deterministic rules (hiding,
rounding totals to 5) are defeated by varying the rest of the area: each pair of areas with and
without the target neighbourhood gives a window of width 5 on its count, and windows at
different offsets intersect in one value.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.privacy

UNIVERSE = "Rutland; Melton"
TARGET = 3  # the neighbourhood count the attack goes after (the example)


def _extract(settings, universe, seed: int = 24) -> tuple[pd.DataFrame, dict[str, int], str]:
    """Synthetic extract on real postcodes: one target LSOA of 3, others 0, 1-4 or 5-14."""
    from geo.data.loaders import load_postcodes

    rng = np.random.default_rng(seed)
    codes = sorted(universe.lsoas.index)
    pcs = load_postcodes(settings)
    pcs = pcs[pcs["lsoa21cd"].isin(codes)].reset_index().sort_values("pcd")
    by_lsoa = pcs.groupby("lsoa21cd")["pcd"].agg(list).to_dict()
    truth = {}
    for i, code in enumerate(codes):
        r = rng.random()
        truth[code] = int(rng.integers(5, 15)) if r < 0.7 else int(rng.integers(1, 5)) if r < 0.85 else 0
    target = codes[7]
    truth[target] = TARGET
    rows = [by_lsoa[c][int(j)] for c, n in truth.items() for j in rng.integers(0, len(by_lsoa[c]), n)]
    df = pd.DataFrame({"postcode": np.asarray(rows, dtype=object)[rng.permutation(len(rows))], "synthetic": True})
    return df, truth, target


class PooledIntruder:
    """Every published number of every release as an interval on a sum of unknown counts."""

    def __init__(self, universe) -> None:
        self.codes = sorted(universe.lsoas.index)
        self.pos = {c: i for i, c in enumerate(self.codes)}
        self.n = len(self.codes)
        self.i_out, self.i_unm = self.n, self.n + 1  # mapped outside the universe; not mapped
        self.nv = self.n + 2
        self.rows: list[tuple[np.ndarray, float, float]] = []

    def _add(self, idx: Any, lo: float, hi: float) -> None:
        self.rows.append((np.asarray(idx, dtype=int), float(lo), float(hi)))

    def observe(self, rel: dict[str, Any], area_codes: list[str]) -> None:
        """The documented publication rules of the current release (docs/privacy.md)."""
        lsoa = rel["by_lsoa"]
        idx = {c: self.pos[c] for c in area_codes}
        hidden = {c for c in area_codes if pd.isna(lsoa.loc[c, "clients"])}
        for c in area_codes:
            if c not in hidden:
                v = float(lsoa.loc[c, "clients"])
                self._add([idx[c]], v, v)

        def total(members: list[str], value: Any) -> None:
            if value is None or pd.isna(value):
                return
            v = float(value)
            half = 2.0 if hidden.intersection(members) else 0.0
            self._add([idx[c] for c in members], max(0.0, v - half), v + half)

        for table, col in (("by_lad", "lad24cd"), ("by_imd_decile", "imd_decile"),
                           ("by_imd_quintile", "imd_quintile")):
            frame = rel[table]
            for key, value in frame["clients"].items():
                members = [c for c in area_codes if str(lsoa.loc[c, col]) == str(key)]
                if members:
                    total(members, value)
        total(list(area_codes), rel["clients_in_area"])
        inside = set(area_codes)
        outside = [self.pos[c] for c in self.codes if c not in inside] + [self.i_out]
        for name, support in (("rows_read", list(range(self.nv))), ("rows_not_mapped", [self.i_unm]),
                              ("clients_outside_area", outside)):
            v = rel[name]
            if isinstance(v, str):
                self._add(support, 1, 4)
            elif v == 0:
                self._add(support, 0, 0)
            else:
                self._add(support, max(0.0, v - 2), v + 2)

    def bounds(self, target: str) -> tuple[float, float]:
        from scipy.optimize import Bounds, LinearConstraint, milp

        a = np.zeros((len(self.rows), self.nv))
        lo, hi = np.zeros(len(self.rows)), np.zeros(len(self.rows))
        for k, (idx, l_, h_) in enumerate(self.rows):
            a[k, idx] = 1.0
            lo[k], hi[k] = l_, h_
        c = np.zeros(self.nv)
        c[self.pos[target]] = 1.0
        out = []
        for sign in (1.0, -1.0):
            res = milp(sign * c, constraints=[LinearConstraint(a, lo, hi)], bounds=Bounds(0, np.inf),
                       integrality=np.ones(self.nv))
            assert res.status == 0, res.message
            out.append(sign * res.fun)
        return out[0], out[1]


def _polygon_area(settings, codes: list[str], name: str):
    from geo.data.areas import select_area
    from geo.data.loaders import load_lsoa_boundaries

    geom = load_lsoa_boundaries(settings).loc[codes].union_all()
    area = select_area(geom, settings=settings, name=name)
    return area


def test_pooled_areas_differing_by_one_neighbourhood_pin_nothing(settings) -> None:
    """Pairs of polygon areas with and without the target LSOA, the rest varied: the count of 3
    must not be pinned by the pooled releases."""
    from geo.data.areas import select_area
    from geo.measures.client_release import build_release
    from geo.measures.clients import read_client_extract

    universe = select_area(UNIVERSE, settings=settings)
    df, truth, target = _extract(settings, universe)
    clients = read_client_extract(df, settings, source="synthetic_pooling.csv")
    intruder = PooledIntruder(universe)
    rng = np.random.default_rng(5)
    others = [c for c in intruder.codes if c != target]
    for k in range(12):
        rest = sorted(rng.choice(others, size=int(rng.integers(10, 20)), replace=False).tolist())
        for codes in (rest, sorted([*rest, target])):
            area = _polygon_area(settings, codes, f"polygon {k}")
            got = sorted(area.lsoas.index)
            rel = build_release(clients, area).everything()
            intruder.observe(rel, got)
    lo, hi = intruder.bounds(target)
    assert lo <= truth[target] <= hi
    assert hi - lo >= 1, f"the target's count of {truth[target]} is pinned by pooling releases"
