"""Disclosure control: primary/secondary suppression, rounding, checks and file scans."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from geo._errors import DisclosureError, InputError, SchemaError
from geo.measures.disclosure import (
    audit_suppression,
    check_disclosure,
    find_disclosure_problems,
    safe_total,
    scan_file,
    scan_text_for_postcodes,
    suppress_counts,
    suppression_mask,
)


# ---------------------------------------------------------------- hand-computed cases
def test_single_column_primary_and_complement() -> None:
    df = pd.DataFrame({"lad": list("ABCDE"), "clients": [120, 3, 0, 45, 9]})
    out = suppress_counts(df, "clients")
    # 3 is primary; column total published, so the smallest non-zero visible (9) goes too; 0 stays shown
    assert out["clients"].isna().tolist() == [False, True, False, False, True]
    assert out["clients"].dropna().tolist() == [120, 0, 45]
    assert out["suppressed"].tolist() == [False, True, False, False, True]
    d = out.attrs["disclosure"]
    assert (d["primary_cells"], d["secondary_cells"]) == (1, 1)
    assert str(out["clients"].dtype) == "Int64"


def test_zero_shown_by_default_and_optional() -> None:
    df = pd.DataFrame({"clients": [0, 10, 12]})
    assert suppress_counts(df, "clients")["clients"].tolist() == [0, 10, 12]
    z = suppress_counts(df, "clients", suppress_zero=True)
    assert z["clients"].isna().tolist() == [True, True, False]  # 0 hidden, 10 as complement


def test_two_way_table_hand_computed() -> None:
    df = pd.DataFrame({"lad": list("ABCD"), "male": [10, 3, 20, 8], "female": [12, 15, 0, 9]})
    out = suppress_counts(df, ["male", "female"])
    # B.male=3 primary; row B -> B.female (15); column male -> D.male (8, smallest non-zero);
    # row D -> D.female (9); column female then has two hidden cells.
    expected = pd.DataFrame({"male": [10, pd.NA, 20, pd.NA], "female": [12, pd.NA, 0, pd.NA]}, dtype="Int64")
    pd.testing.assert_frame_equal(out[["male", "female"]], expected)
    assert out.attrs["disclosure"]["secondary_cells"] == 3


def test_groups_protect_each_group_total() -> None:
    df = pd.DataFrame({"lad": ["X", "X", "X", "Y", "Y"], "lsoa": list("abcde"), "clients": [2, 30, 40, 50, 60]})
    out = suppress_counts(df, "clients", by="lad")
    assert out["clients"].isna().tolist() == [True, True, False, False, False]


def test_group_of_one_flags_hidden_total() -> None:
    df = pd.DataFrame({"lad": ["X", "Y", "Y"], "clients": [2, 30, 40]})
    out = suppress_counts(df, "clients", by="lad")
    assert out.attrs["disclosure"]["hidden_totals"] == ["X"]


def test_no_small_cells_nothing_changes() -> None:
    df = pd.DataFrame({"a": [10, 20], "b": [30, 40]})
    out = suppress_counts(df, ["a", "b"])
    assert not out["suppressed"].any()
    assert out["a"].tolist() == [10, 20]


def test_rounding_to_base_five() -> None:
    df = pd.DataFrame({"clients": [12, 13, 3, 101, 7]})
    out = suppress_counts(df, "clients", round_to=5)
    assert out["clients"].isna().tolist() == [False, False, True, False, True]
    assert out["clients"].dropna().tolist() == [10, 15, 100]
    assert all(v % 5 == 0 for v in out["clients"].dropna())


def test_bad_inputs() -> None:
    with pytest.raises(SchemaError, match="not found"):
        suppress_counts(pd.DataFrame({"a": [1]}), "b")
    with pytest.raises(SchemaError, match="row 2 is not a number"):
        suppress_counts(pd.DataFrame({"a": ["1", "x"]}), "a")
    with pytest.raises(SchemaError, match="negative or fractional"):
        suppress_counts(pd.DataFrame({"a": [1.5, 2]}), "a")
    with pytest.raises(InputError, match="threshold"):
        suppress_counts(pd.DataFrame({"a": [1]}), "a", threshold=0)
    with pytest.raises(InputError, match="round_to"):
        suppress_counts(pd.DataFrame({"a": [1]}), "a", round_to=0)


def test_safe_total() -> None:
    assert safe_total([1, 2]) is None
    assert safe_total([0, 0]) == 0
    assert safe_total([3, 4, 10]) == 17
    assert safe_total([3, 4, 10], round_to=5) == 15


def test_audit_finds_exact_recovery() -> None:
    vals = np.array([[3.0, 10.0], [7.0, 12.0]])  # totals 13, 19, 10, 22 are all published
    hidden = np.array([[True, False], [False, False]])
    rep = audit_suppression(vals, hidden)
    assert rep["exact"].tolist() == [True]
    assert rep.loc[0, "lower"] == pytest.approx(3.0)


# ---------------------------------------------------------------- checks
def test_check_disclosure_flags_small_counts() -> None:
    df = pd.DataFrame({"lad": ["A", "B"], "clients": [10, 3]})
    with pytest.raises(DisclosureError, match=r"'clients' shows 1 count\(s\) between 1 and 4 \(row 2\)"):
        check_disclosure(df)
    check_disclosure(suppress_counts(df, "clients"))


def test_check_disclosure_ignores_rates_and_zero() -> None:
    df = pd.DataFrame({"clients": [0, 10], "clients_per_1000_adults": [2.5, 3.0], "share_of_clients_pct": [1.0, 3.0],
                       "adults": [3, 4]})
    check_disclosure(df)


def test_check_disclosure_postcodes_and_identifiers() -> None:
    df = pd.DataFrame({"note": ["lives near NN1 5BA", "ok"], "clients": [10, 12]})
    with pytest.raises(DisclosureError, match=r"'note' holds 1 postcode-like value\(s\) \(row 1\)") as exc:
        check_disclosure(df)
    assert "5BA" not in str(exc.value)
    with pytest.raises(DisclosureError, match="record-level identifier"):
        check_disclosure(pd.DataFrame({"client_id": ["x"], "clients": [10]}))
    with pytest.raises(DisclosureError, match="postcode-like"):
        check_disclosure(pd.DataFrame({"x": ["nn15ba"]}))
    check_disclosure(pd.DataFrame({"site": ["NN1 5BA"]}), allowed_postcodes=["nn15ba"])


def test_check_disclosure_scans_index() -> None:
    df = pd.DataFrame({"clients": [10]}, index=pd.Index(["LE3 8RA"], name="area"))
    assert find_disclosure_problems(df)


@pytest.mark.parametrize(("text", "n"), [
    ("NN1 5BA", 1), ("at LE3 8RA and E1 6AN.", 2), ("EC1A 1BB", 1), ("GIR 0AA", 1),
    ("E01027178", 0), ("colour #AB12CD", 0), ("NN1", 0), ("W1A 0AX,SW1A 2AA", 2), ("ANN1 5BAX", 0),
])
def test_scan_text_for_postcodes(text: str, n: int) -> None:
    found = scan_text_for_postcodes(text)
    assert len(found) == n
    assert all(f.endswith(" ***") for f in found)


def test_scan_text_loose_and_allowed() -> None:
    assert scan_text_for_postcodes("nn15ba") == []
    assert scan_text_for_postcodes("nn15ba", loose=True) == ["NN1 ***"]
    assert scan_text_for_postcodes("NN1 5BA", allowed=["NN15BA"]) == []


def test_scan_file_formats(tmp_path) -> None:
    clean = tmp_path / "clean.csv"
    pd.DataFrame({"lsoa21cd": ["E01027178"], "clients": [12]}).to_csv(clean, index=False)
    assert scan_file(clean) == []
    small = tmp_path / "small.csv"
    pd.DataFrame({"lsoa21cd": ["E01027178", "E01027179"], "clients": [12, 2]}).to_csv(small, index=False)
    assert any("between 1 and 4" in f for f in scan_file(small))
    assert scan_file(small, check_counts=False) == []
    html = tmp_path / "report.html"
    html.write_text("<p>Client at NN1 5BA</p>\n<p style='color:#AB12CD'>ok</p>")
    found = scan_file(html)
    assert found == ["report.html: line 1: postcode-like string NN1 ***"]
    gj = tmp_path / "out.geojson"
    gj.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": None, "properties": {"clients": 3, "pc": "LE3 8RA"}}]}))
    found = scan_file(gj)
    assert any("between 1 and 4" in f for f in found)
    assert any("postcode" in f for f in found)
    assert all("8RA" not in f for f in found)


def test_scan_file_gpkg(tmp_path) -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    p = tmp_path / "out.gpkg"
    gpd.GeoDataFrame({"deaths": [2, 20], "name": ["x", "SW1A 2AA"]}, geometry=[Point(0, 0), Point(1, 1)],
                     crs="EPSG:27700").to_file(p, layer="a", engine="pyogrio")
    found = scan_file(p)
    assert any("'deaths'" in f for f in found)
    assert any("postcode" in f for f in found)


def test_scan_file_missing(tmp_path) -> None:
    with pytest.raises(InputError, match="not found"):
        scan_file(tmp_path / "nope.csv")


# ---------------------------------------------------------------- properties
_counts = st.one_of(st.integers(0, 6), st.integers(0, 60))


@st.composite
def _tables(draw: st.DrawFn) -> np.ndarray:
    n_rows = draw(st.integers(1, 6))
    n_cols = draw(st.integers(1, 4))
    return draw(arrays(np.int64, (n_rows, n_cols), elements=_counts))


@given(_tables(), st.booleans())
@hsettings(max_examples=80, deadline=None)
def test_no_visible_small_cells(values: np.ndarray, suppress_zero: bool) -> None:
    df = pd.DataFrame(values, columns=[f"c{j}" for j in range(values.shape[1])])
    out = suppress_counts(df, list(df.columns), suppress_zero=suppress_zero)
    shown = out[list(df.columns)].to_numpy(dtype=float, na_value=np.nan)
    low = 0 if suppress_zero else 1
    assert not ((shown >= low) & (shown < 5)).any()
    # visible cells keep their true values
    vis = ~np.isnan(shown)
    assert (shown[vis] == values[vis]).all()
    check_disclosure(out, count_cols=list(df.columns))


def _lines_ok(hidden: np.ndarray) -> bool:
    """Every row and column holds 0 or at least 2 hidden cells (one-step differencing is blocked)."""
    rows = hidden.sum(axis=1) if hidden.shape[1] > 1 else np.zeros(1)
    cols = hidden.sum(axis=0) if hidden.shape[0] > 1 else np.zeros(1)
    return bool(((rows == 0) | (rows >= 2)).all() and ((cols == 0) | (cols >= 2)).all())


@given(_tables())
@hsettings(max_examples=150, deadline=None)
def test_no_hidden_value_recoverable_from_totals(values: np.ndarray) -> None:
    """With every row and column total published, no hidden cell can be worked out."""
    primary, secondary = suppression_mask(values)
    hidden = primary | secondary
    assert _lines_ok(hidden)
    # full linear-programming attack (row totals + column totals + non-negativity)
    rep = audit_suppression(values, hidden)
    pinned = rep[rep["exact"] & (rep["value"] > 0)]
    # protection holds unless the table ran out of non-zero cells to hide; then it is reported
    assert pinned.empty or (values[~hidden] == 0).all(), pinned
    if not pinned.empty and values.shape[1] > 1:
        df = pd.DataFrame(values, columns=[f"c{j}" for j in range(values.shape[1])])
        out = suppress_counts(df, list(df.columns))
        assert len(out.attrs["disclosure"]["exposed_cells"]) == len(pinned)


def test_exposed_cells_reported() -> None:
    df = pd.DataFrame({"a": [1, 0], "b": [5, 0]})
    out = suppress_counts(df, ["a", "b"])
    assert out.attrs["disclosure"]["exposed_cells"] == [{"row": 1, "column": "a"}, {"row": 1, "column": "b"}]


@given(arrays(np.int64, st.integers(2, 30), elements=_counts), st.integers(1, 4))
@hsettings(max_examples=100, deadline=None)
def test_single_column_groups(values: np.ndarray, n_groups: int) -> None:
    groups = np.arange(len(values)) % n_groups
    df = pd.DataFrame({"g": groups, "clients": values})
    out = suppress_counts(df, "clients", by="g")
    hidden = out["clients"].isna().to_numpy()
    for g in np.unique(groups):
        in_g = groups == g
        n_hidden = int(hidden[in_g].sum())
        if in_g.sum() > 1:
            assert n_hidden != 1
    shown = out["clients"].to_numpy(dtype=float, na_value=np.nan)
    assert not ((shown >= 1) & (shown < 5)).any()


@given(_tables())
@hsettings(max_examples=60, deadline=None)
def test_suppression_invariant_to_row_order(values: np.ndarray) -> None:
    df = pd.DataFrame(values, columns=[f"c{j}" for j in range(values.shape[1])])
    a = suppress_counts(df, list(df.columns))
    b = suppress_counts(df.iloc[::-1], list(df.columns)).iloc[::-1]
    # the number of hidden cells does not depend on row order for primary cells
    assert a.attrs["disclosure"]["primary_cells"] == b.attrs["disclosure"]["primary_cells"]
