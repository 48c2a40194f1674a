"""Privacy attack suite: try to recover a client count of 1-4 from everything geo publishes.

Each attack plays an intruder who collects published numbers (CLI JSON and CSV outputs of every
``--table``, the app's map rates, headline counts) for a **synthetic** extract built on real
postcodes with deliberately small counts, and solves an integer program for the smallest and
largest value every small count (an LSOA cell, a district / decile / quintile / area total or a
headline count of 1-4) could take.  The attack succeeds if any such count is pinned to one
value.  Every attack must fail.

The intruder reads published numbers by the documented rules (docs/privacy.md): a total with a
hidden LSOA beneath it is rounded to 5 (true value within +/-2), headline row counts are rounded
to 5 or shown as "fewer than 5", rates have 2 decimals.  The true values are checked to satisfy
every constraint, so the intruder's model is right, not merely loose.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from geo.cli import main

pytestmark = pytest.mark.privacy

THRESHOLD = 5


# ----------------------------------------------------------------------------- the extracts
def _postcodes(settings, codes: Iterable[str]) -> dict[str, list[str]]:
    from geo.data.loaders import load_postcodes

    pcs = load_postcodes(settings)
    pcs = pcs[pcs["lsoa21cd"].isin(list(codes))].reset_index()
    return pcs.sort_values("pcd").groupby("lsoa21cd")["pcd"].agg(list).to_dict()


def _synthetic_extract(settings, area, pattern: dict[int, int], *, outside: int = 0, unmapped: int = 0,
                       outside_area=None, seed: int = 0) -> tuple[pd.DataFrame, dict[str, int]]:
    """An extract with ``pattern[i]`` clients in the area's i-th LSOA (sorted by code), plus rows
    living outside the area and rows that cannot be mapped.  Returns (rows, true counts by LSOA)."""
    rng = np.random.default_rng(seed)
    codes = sorted(area.lsoas.index)
    by_lsoa = _postcodes(settings, codes)
    rows: list[str] = []
    truth = dict.fromkeys(codes, 0)
    for i, n in pattern.items():
        code = codes[i]
        pcs = by_lsoa[code]
        rows += [pcs[int(j)] for j in rng.integers(0, len(pcs), n)]
        truth[code] += n
    if outside:
        other = sorted(outside_area.lsoas.index)
        opcs = _postcodes(settings, other[:3])
        flat = [p for v in opcs.values() for p in v]
        rows += [flat[int(j)] for j in rng.integers(0, len(flat), outside)]
    rows += ["ZZ99 9ZZ"] * unmapped
    order = rng.permutation(len(rows))
    df = pd.DataFrame({"postcode": np.asarray(rows, dtype=object)[order], "synthetic": True})
    return df, truth


def _small_pattern(n_lsoas: int, seed: int) -> dict[int, int]:
    """Mostly small counts (1-4), a few larger ones, many zeros."""
    rng = np.random.default_rng(seed)
    out: dict[int, int] = {}
    for i in range(n_lsoas):
        r = rng.random()
        out[i] = int(rng.integers(1, 5)) if r < 0.45 else int(rng.integers(5, 13)) if r < 0.7 else 0
    return out


# ----------------------------------------------------------------------------- the intruder
class Intruder:
    """Collects published numbers as interval constraints on the unknown counts and attacks them."""

    def __init__(self, area, *, round_to: int | None = None) -> None:
        self.round_to = round_to
        lsoas = area.lsoas.sort_index()
        self.codes = list(lsoas.index)
        self.pos = {c: i for i, c in enumerate(self.codes)}
        self.n = len(self.codes)
        self.i_out, self.i_unm = self.n, self.n + 1
        self.nv = self.n + 2
        self.adults = lsoas["adults"].astype(float).to_numpy()
        self.lad = lsoas["lad24cd"].astype(str).to_numpy()
        self.decile = lsoas["imd_decile"].astype(int).to_numpy()
        self.quintile = (self.decile + 1) // 2
        self.rows: list[tuple[np.ndarray, float, float, str]] = []
        self.hidden_cells: set[int] = set()
        self.hidden_totals: dict[str, np.ndarray] = {}
        self.banded: dict[str, np.ndarray] = {}

    # public groups ------------------------------------------------------------------------
    def group(self, table: str, label: Any) -> np.ndarray:
        if table == "lad":
            return np.flatnonzero(self.lad == str(label))
        if table == "decile":
            return np.flatnonzero(self.decile == int(label))
        if table == "quintile":
            return np.flatnonzero(self.quintile == int(label))
        return np.arange(self.n)

    def _add(self, idx: np.ndarray, lo: float, hi: float, what: str) -> None:
        self.rows.append((np.asarray(idx, dtype=int), lo, hi, what))

    # published numbers ----------------------------------------------------------------------
    def lsoa_cells(self, values: dict[str, Any], *, round_to: int | None = None) -> None:
        for code, v in values.items():
            i = self.pos[code]
            if v is None or (isinstance(v, float) and np.isnan(v)):
                self.hidden_cells.add(i)
                continue
            round_to = round_to or self.round_to
            half = (round_to // 2) if round_to else 0
            self._add(np.array([i]), max(0.0, float(v) - half), float(v) + half, f"lsoa {code}")

    def map_rates(self, rates: dict[str, float]) -> None:
        """A tooltip rate per 1,000 adults (2 d.p.) times the LSOA's public adult count."""
        for code, r in rates.items():
            i = self.pos[code]
            a = self.adults[i] / 1000.0
            lo, hi = (float(r) - 0.005) * a, (float(r) + 0.005) * a
            half = (self.round_to // 2) if self.round_to else 0  # rates of rounded counts
            lo, hi = np.ceil(lo - 1e-9) - half, np.floor(hi + 1e-9) + half
            self._add(np.array([i]), max(0.0, lo), hi, f"rate {code}")

    def total(self, table: str, label: Any, value: Any) -> None:
        idx = self.group(table, label)
        key = f"{table} {label}"
        if value is None or (isinstance(value, float) and np.isnan(value)):
            self.hidden_totals[key] = idx
            return
        rounded = bool(self.round_to) or bool(self.hidden_cells.intersection(idx.tolist()))
        v = float(value)
        self._add(idx, max(0.0, v - 2) if rounded else v, v + 2 if rounded else v, key)

    def headline(self, name: str, value: Any) -> None:
        idx = {"rows_read": np.arange(self.nv), "rows_not_mapped": np.array([self.i_unm]),
               "clients_outside_area": np.array([self.i_out])}[name]
        if isinstance(value, str):
            assert value == f"fewer than {THRESHOLD}", value
            self._add(idx, 1, THRESHOLD - 1, name)
            self.banded[name] = idx
        elif value == 0:
            self._add(idx, 0, 0, name)
        else:
            self._add(idx, max(0.0, float(value) - 2), float(value) + 2, name)

    def from_json(self, obj: dict[str, Any]) -> None:
        """Every number of a ``geo clients summarise --format json`` output (any --table)."""
        tables = {"by_lsoa": "lsoa", "by_lad": "lad", "by_imd_decile": "decile", "by_imd_quintile": "quintile"}
        if "by_lsoa" in obj:
            self.lsoa_cells({r["lsoa21cd"]: r["clients"] for r in obj["by_lsoa"]})
            self.map_rates({r["lsoa21cd"]: r["clients_per_1000_adults"] for r in obj["by_lsoa"]
                            if r["clients_per_1000_adults"] is not None})
        for key, table in tables.items():
            if key in obj and table != "lsoa":
                self.frame_totals(table, obj[key])
        for name in ("rows_read", "rows_not_mapped", "clients_outside_area"):
            if name in obj:
                self.headline(name, obj[name])
        if "clients_in_area" in obj:
            self.total("area", "total", obj["clients_in_area"])

    def frame_totals(self, table: str, records: list[dict[str, Any]]) -> None:
        col = {"lad": "lad24cd", "decile": "imd_decile", "quintile": "imd_quintile"}[table]
        for r in records:
            if r.get("lsoas", 1) == 0:
                continue
            self.total(table, r[col], r["clients"])

    # the attack -----------------------------------------------------------------------------
    def check_truth(self, truth: np.ndarray) -> None:
        for idx, lo, hi, what in self.rows:
            v = truth[idx].sum()
            assert lo - 1e-9 <= v <= hi + 1e-9, f"intruder model wrong for {what}: true value outside [{lo}, {hi}]"

    def ranges(self, targets: dict[str, np.ndarray]) -> dict[str, tuple[float, float]]:
        from scipy.optimize import Bounds, LinearConstraint, milp

        a = np.zeros((len(self.rows), self.nv))
        lo = np.zeros(len(self.rows))
        hi = np.zeros(len(self.rows))
        for k, (idx, l_, h_, _) in enumerate(self.rows):
            a[k, idx] = 1.0
            lo[k], hi[k] = l_, h_
        cons = [LinearConstraint(a, lo, hi)] if len(self.rows) else []
        out = {}
        for name, idx in targets.items():
            c = np.zeros(self.nv)
            c[idx] = 1.0
            for integer in (False, True):  # the LP relaxation first; whole numbers when it is narrow
                vals = []
                for sign in (1.0, -1.0):
                    res = milp(sign * c, constraints=cons, bounds=Bounds(0, np.inf),
                               integrality=np.full(self.nv, 1 if integer else 0))
                    vals.append(sign * res.fun if res.status == 0 else (np.inf if sign < 0 else 0.0))
                if vals[1] - vals[0] >= 2:
                    break
            out[name] = (vals[0], vals[1])
        return out

    def attack(self, truth_cells: dict[str, int], outside: int, unmapped: int) -> list[str]:
        """Every small count pinned to a single value (the attack's findings)."""
        truth = np.zeros(self.nv)
        for code, v in truth_cells.items():
            truth[self.pos[code]] = v
        truth[self.i_out], truth[self.i_unm] = outside, unmapped
        self.check_truth(truth)
        targets: dict[str, np.ndarray] = {f"lsoa {self.codes[i]}": np.array([i]) for i in self.hidden_cells}
        targets.update(self.hidden_totals)
        targets.update(self.banded)
        small = {k: v for k, v in targets.items() if 1 <= truth[v].sum() < THRESHOLD}
        found = []
        for name, (lo, hi) in self.ranges(small).items():
            assert lo - 1e-6 <= truth[small[name]].sum() <= hi + 1e-6
            if np.floor(hi + 1e-6) - np.ceil(lo - 1e-6) < 1:
                found.append(f"{name} pinned to {lo:g}")
        return found


# ----------------------------------------------------------------------------- running the CLI
def _cli(settings, *args: str) -> int:
    return main(["--data-dir", str(settings.data_dir), "clients", "summarise", *args])


def _publish_all(settings, extract: Path, area: str, tmp: Path, *, round_to: int | None = None,
                 every_table: bool = False) -> dict[str, Any]:
    """The CLI's outputs for the extract: JSON of --table summary, all and lsoa, the LSOA CSV, and
    (``every_table``) the JSON of each single table, which must equal the same table in ``all``."""
    extra = ["--round-to", str(round_to)] if round_to else []
    out: dict[str, Any] = {}
    singles = ("quintile", "decile", "lad") if every_table else ()
    for table in ("summary", "all", "lsoa", *singles):
        path = tmp / f"{table}.json"
        assert _cli(settings, "--file", str(extract), "--area", area, "--table", table, "--format", "json",
                    "--out", str(path), *extra) == 0
        out[table] = json.loads(path.read_text())
    csv = tmp / "lsoa.csv"
    assert _cli(settings, "--file", str(extract), "--area", area, "--table", "lsoa", "--format", "csv",
                "--out", str(csv), *extra) == 0
    out["lsoa_csv"] = pd.read_csv(csv, dtype={"lsoa21cd": str})
    out["round_to"] = round_to
    for table, key in (("quintile", "by_imd_quintile"), ("decile", "by_imd_decile"), ("lad", "by_lad")):
        if table in out:
            assert out[table] == out["all"][key], f"--table {table} differs from the same table in --table all"
        out[table] = out["all"][key]
    assert out["lsoa"] == out["all"]["by_lsoa"]
    return out


def _intruder_from(area, published: dict[str, Any], sources: tuple[str, ...]) -> Intruder:
    it = Intruder(area, round_to=published.get("round_to"))
    # LSOA cells first: the intruder needs them to know which totals are rounded
    if "lsoa" in sources:
        df = published["lsoa_csv"]
        it.lsoa_cells({r.lsoa21cd: (None if pd.isna(r.clients) else r.clients) for r in df.itertuples()})
        it.lsoa_cells({r["lsoa21cd"]: r["clients"] for r in published["lsoa"]})
    if "rates" in sources:
        it.map_rates({r["lsoa21cd"]: r["clients_per_1000_adults"] for r in published["lsoa"]
                      if r["clients_per_1000_adults"] is not None})
        if "lsoa" not in sources:  # hidden cells are the ones without a rate
            it.hidden_cells = {it.pos[r["lsoa21cd"]] for r in published["lsoa"] if r["clients"] is None}
    for table in ("quintile", "decile", "lad"):
        if table in sources:
            it.frame_totals(table, published[table])
    if "area" in sources:
        it.total("area", "total", published["summary"]["clients_in_area"])
    if "headline" in sources:
        for name in ("rows_read", "rows_not_mapped", "clients_outside_area"):
            it.headline(name, published["summary"][name])
    if "all" in sources:
        it.from_json(published["all"])
    return it


ATTACKS = {
    "quintile differencing": ("lsoa", "quintile"),
    "decile differencing": ("lsoa", "decile"),
    "district differencing": ("lsoa", "lad"),
    "area total differencing": ("lsoa", "area"),
    "outside-area and unmapped counts": ("lsoa", "area", "headline"),
    "map rate x adults with every table": ("rates", "quintile", "decile", "lad", "area", "headline"),
    "CLI JSON vs --table lsoa, everything": ("lsoa", "rates", "quintile", "decile", "lad", "area", "headline",
                                             "all"),
}
SCENARIOS = {
    # area, pattern seed, rows outside, unmapped rows, --round-to
    "Rutland": ("Rutland", 11, 3, 2, None),
    "Rutland; Melton (two districts)": ("Rutland; Melton", 12, 4, 1, None),
    "Rutland rounded to 5": ("Rutland", 13, 7, 3, 5),
}


@pytest.fixture(scope="module")
def published(settings, tmp_path_factory) -> dict[str, Any]:
    from geo.data.areas import select_area

    melton = select_area("Melton", settings=settings)
    leics = select_area("Harborough", settings=settings)
    out = {}
    for key, (area_name, seed, outside, unmapped, round_to) in SCENARIOS.items():
        area = select_area(area_name, settings=settings)
        pattern = _small_pattern(len(area.lsoas), seed)
        df, truth = _synthetic_extract(settings, area, pattern, outside=outside, unmapped=unmapped,
                                       outside_area=leics if "Melton" in area_name else melton, seed=seed)
        tmp = tmp_path_factory.mktemp(f"attack-{seed}")
        extract = tmp / f"synthetic_small_{seed}.csv"
        df.to_csv(extract, index=False)
        out[key] = (area, truth, outside, unmapped, _publish_all(settings, extract, area_name, tmp,
                                                                 round_to=round_to, every_table=not out))
    return out


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("attack", list(ATTACKS))
def test_differencing_attack_recovers_nothing(published, scenario: str, attack: str) -> None:
    area, truth, outside, unmapped, pub = published[scenario]
    intruder = _intruder_from(area, pub, ATTACKS[attack])
    assert intruder.hidden_cells, "the extract must have hidden cells to attack"
    assert intruder.attack(truth, outside, unmapped) == []


def test_extract_has_small_counts_to_protect(published) -> None:
    for _area, truth, _outside, _unmapped, pub in published.values():
        small = [v for v in truth.values() if 1 <= v < THRESHOLD]
        assert len(small) >= 5
        shown = [r["clients"] for r in pub["lsoa"] if r["clients"] is not None]
        assert not [v for v in shown if 1 <= v < THRESHOLD]
        assert pub["summary"]["clients_outside_area"] in {"fewer than 5", 5, 10}
        assert pub["summary"]["rows_not_mapped"] in {"fewer than 5", 0}


def test_quintile_minus_visible_cells_is_not_a_count(settings, rutland, tmp_path) -> None:
    """The issue's first finding: one small LSOA alone among large ones in its quintile."""
    codes = sorted(rutland.lsoas.index)
    q = ((rutland.lsoas.loc[codes, "imd_decile"].astype(int) + 1) // 2).to_numpy()
    members = [i for i in range(len(codes)) if q[i] == q[0]]
    pattern = dict.fromkeys(range(len(codes)), 9)
    pattern[members[0]] = 4
    df, truth = _synthetic_extract(settings, rutland, pattern, seed=5)
    extract = tmp_path / "synthetic_one_small.csv"
    df.to_csv(extract, index=False)
    pub = _publish_all(settings, extract, "Rutland", tmp_path)
    intruder = _intruder_from(rutland, pub, ATTACKS["CLI JSON vs --table lsoa, everything"])
    assert codes[members[0]] in {intruder.codes[i] for i in intruder.hidden_cells}
    assert len(intruder.hidden_cells) >= 2
    assert intruder.attack(truth, 0, 0) == []


def test_one_row_extract_gives_nothing_away(settings, rutland, tmp_path) -> None:
    df, truth = _synthetic_extract(settings, rutland, {3: 1}, seed=2)
    extract = tmp_path / "synthetic_one_row.csv"
    df.to_csv(extract, index=False)
    pub = _publish_all(settings, extract, "Rutland", tmp_path)
    assert pub["summary"]["rows_read"] == "fewer than 5"
    assert pub["summary"]["clients_in_area"] is None
    assert all(r["clients"] is None for r in pub["lsoa"])  # not even zeros point at the one client
    assert all(r["clients"] is None for r in pub["quintile"] if r["lsoas"])
    intruder = _intruder_from(rutland, pub, ATTACKS["CLI JSON vs --table lsoa, everything"])
    assert intruder.attack(truth, 0, 0) == []


def test_polygon_round_one_lsoa_is_refused(settings, rutland, tmp_path, capsys) -> None:
    from geo.data.loaders import load_lsoa_boundaries

    code = sorted(rutland.lsoas.index)[4]
    poly = load_lsoa_boundaries(settings).loc[[code]].to_crs(4326)
    area_file = tmp_path / "one_lsoa.geojson"
    area_file.write_text(poly.reset_index()[["geometry"]].to_json())
    df, _ = _synthetic_extract(settings, rutland, {4: 3, 5: 9}, seed=4)
    extract = tmp_path / "synthetic_polygon.csv"
    df.to_csv(extract, index=False)
    capsys.readouterr()
    assert _cli(settings, "--file", str(extract), "--area", str(area_file), "--format", "json") == 2
    cap = capsys.readouterr()
    assert cap.out == ""
    assert "at least 10 neighbourhoods" in cap.err
    assert len(cap.err.strip().splitlines()) == 1


def test_headerless_extract_and_verbose_logs_echo_nothing(settings, rutland, tmp_path, capsys, caplog) -> None:
    df, truth = _synthetic_extract(settings, rutland, {0: 3, 1: 7, 2: 2}, outside=0, unmapped=0, seed=8)
    headerless = tmp_path / "synthetic_headerless.csv"
    headerless.write_text("\n".join(f"c{i},{pc}" for i, pc in enumerate(df["postcode"])) + "\n")
    capsys.readouterr()
    assert _cli(settings, "--file", str(headerless), "--area", "Rutland") == 2
    err = capsys.readouterr().err
    assert "the first row does not look like a header; column 2 looks like postcodes" in err
    for pc in df["postcode"]:
        assert pc.lower().replace(" ", "") not in err.lower().replace(" ", "").replace("_", "")
    good = tmp_path / "synthetic_good.csv"
    df.to_csv(good, index=False)
    with caplog.at_level(logging.DEBUG):
        assert main(["-vv", "--data-dir", str(settings.data_dir), "clients", "summarise", "--file", str(good),
                     "--area", "Rutland", "--format", "json"]) == 0
    text = "\n".join(r.getMessage() for r in caplog.records) + capsys.readouterr().err
    for pc in df["postcode"]:
        assert pc not in text
    assert not re.search(r"\b12\b", text), "the area total (12) must not be logged"
    assert "in area" not in text


def test_written_outputs_scan_clean(published) -> None:
    from geo.measures.disclosure import check_disclosure

    for *_, pub in published.values():
        check_disclosure(pub["lsoa_csv"], count_cols=["clients"])
        for table in ("quintile", "decile", "lad", "lsoa"):
            check_disclosure(pd.DataFrame(pub[table]), count_cols=["clients"])


def test_map_layer_rates_come_from_published_counts(published) -> None:
    """The app's map metric: a rate only where the count is published, and rate x adults gives it back."""
    from geo.measures.client_release import RATE_COL

    for area, *_, pub in published.values():
        adults = area.lsoas["adults"].astype(float)
        for r in pub["lsoa"]:
            if r["clients"] is None:
                assert r[RATE_COL] is None
            else:
                assert round(r[RATE_COL] * adults[r["lsoa21cd"]] / 1000) == r["clients"]


def test_release_audit_agrees(settings, rutland) -> None:
    from geo.measures.client_release import build_release
    from geo.measures.clients import read_client_extract

    df, _ = _synthetic_extract(settings, rutland, _small_pattern(len(rutland.lsoas), 21), seed=21)
    rel = build_release(read_client_extract(df, settings, source="synthetic_audit.csv"), rutland)
    audit = rel.audit()
    assert len(audit) > 0 and not audit["pinned"].any()
    assert (audit["upper"] - audit["lower"] >= 1).all()
