"""Cell key perturbation: the ptable, record keys, the installation secret and ONS's package."""

from __future__ import annotations

import logging
import os
import stat

import numpy as np
import pandas as pd
import pytest

from geo._errors import DataSourceError, InputError
from geo.measures.cellkey import (
    DEFAULT_ROWS,
    KEY_RANGE,
    default_ptable,
    load_secret,
    make_ptable,
    perturb_counts,
    record_keys,
)

SECRET = b"test-secret-for-record-keys-0123456789abcdef"


# ----------------------------------------------------------------------------- the ptable
def test_default_rows_are_what_make_ptable_computes() -> None:
    made, shipped = make_ptable(), default_ptable()
    assert (made.noise == shipped.noise).all()
    assert made.frame.equals(shipped.frame)
    assert list(shipped.frame.columns) == ["pcv", "ckey", "pvalue"]  # ONS's ptable format
    assert len(shipped.frame) == 750 * 256
    assert max(DEFAULT_ROWS) == 9


def test_ptable_rows_unbiased_bounded_and_never_small() -> None:
    pt = default_ptable()
    counts = np.arange(pt.noise.shape[0])
    assert (pt.noise.sum(axis=1) == 0).all(), "every row exactly unbiased"
    assert np.abs(pt.noise).max() == pt.max_noise == 5
    published = counts[:, None] + pt.noise
    assert (published >= 0).all()
    assert not ((published >= 1) & (published <= pt.small_count)).any()
    assert (pt.noise[0] == 0).all()  # an empty cell stays empty
    var = pt.row_variance()
    assert var[9:] == pytest.approx(np.full(len(var) - 9, var[9]))
    assert var[9] == pytest.approx(pt.variance, abs=0.05)
    for c in range(1, pt.small_count + 1):  # small counts need at least the two-point variance
        assert var[c] >= c * (pt.small_count + 1 - c)


def test_support_is_what_one_published_value_allows() -> None:
    pt = default_ptable()
    assert pt.support(0) == (0, 5)
    assert pt.support(5) == (1, 9)
    assert pt.support(20) == (16, 24)
    for p in range(1, 5):
        with pytest.raises(InputError, match="never published"):
            pt.support(p)


def test_make_ptable_other_parameters_and_bad_ones() -> None:
    pt = make_ptable(max_noise=10, variance=4.0, small_count=9)
    published = np.arange(pt.noise.shape[0])[:, None] + pt.noise
    assert not ((published >= 1) & (published <= 9)).any()
    assert (pt.noise.sum(axis=1) == 0).all()
    with pytest.raises(InputError, match="need D >= js"):
        make_ptable(max_noise=3, small_count=4)
    with pytest.raises(InputError, match="V > 0"):
        make_ptable(variance=0)


def test_perturbation_is_onss_package() -> None:
    """Our lookup (cell key = sum of record keys mod 256, counts over 750 reuse rows 501-750)
    agrees with ``cell_key_perturbation.create_perturbed_table`` on every cell."""
    pt = default_ptable()
    rng = np.random.default_rng(4)
    sizes = {**{f"c{i}": int(rng.integers(1, 40)) for i in range(300)}, "big": 800, "bigger": 1601}
    cells = np.repeat(list(sizes), list(sizes.values()))
    keys = rng.integers(0, KEY_RANGE, len(cells))
    got = perturb_counts(pd.Series(cells), keys, pt)
    frame = pd.DataFrame({"cell": cells, "key": keys})
    g = frame.groupby("cell")["key"].agg(["size", "sum"])
    expected = pt.perturb(g["size"].to_numpy(), g["sum"].to_numpy() % KEY_RANGE)
    assert got.reindex(g.index).tolist() == expected.tolist()
    assert not got.between(1, 4).any()
    assert got["big"] != 800 or got["bigger"] != 1601 or (got != g["size"].reindex(got.index)).any()


def test_package_prints_nothing(capsys) -> None:
    perturb_counts(pd.Series(["a", "a", "b"]), np.array([3, 250, 17]))
    cap = capsys.readouterr()
    assert cap.out == "" and cap.err == ""


# ----------------------------------------------------------------------------- record keys
def _extract() -> pd.DataFrame:
    return pd.DataFrame({"postcode": ["LE15 6AA", "LE15 6AA", "LE15 7AR", "NN1 5BA"],
                         "substance_group": ["opiate", "opiate", "alcohol only", "opiate"]})


def test_record_keys_stable_distinct_for_duplicates_and_secret_bound() -> None:
    df = _extract()
    keys = record_keys(df, SECRET)
    assert keys.dtype == np.uint8
    assert (record_keys(df, SECRET) == keys).all()  # the same extract: the same keys
    assert keys[0] != keys[1]  # two identical rows: two keys
    shuffled = df.iloc[[3, 2, 1, 0]].reset_index(drop=True)
    assert sorted(record_keys(shuffled, SECRET)) == sorted(keys)  # reordering changes nothing
    assert (record_keys(df[["substance_group", "postcode"]], SECRET) == keys).all()  # nor column order
    assert not (record_keys(df, SECRET + b"x") == keys).all()


def test_identical_rows_get_distinct_keys() -> None:
    df = pd.DataFrame({"postcode": ["LE15 6AA"] * 64})
    keys = record_keys(df, SECRET)
    assert len(set(keys.tolist())) > 40  # 64 identical rows: keys drawn independently (0-255)


def test_client_id_keeps_its_key_when_other_fields_change() -> None:
    a = pd.DataFrame({"client_ref": ["A17", "B22"], "postcode": ["LE15 6AA", "LE15 7AR"], "date": ["2024-01-01"] * 2})
    b = a.assign(date=["2024-06-01", "2024-06-02"])
    assert (record_keys(a, SECRET) == record_keys(b, SECRET)).all()
    blank = a.assign(client_ref=["", ""])
    assert not (record_keys(blank, SECRET) == record_keys(blank.assign(date=["x", "y"]), SECRET)).all()


def test_record_keys_are_uniform() -> None:
    df = pd.DataFrame({"postcode": [f"P{i}" for i in range(25_600)]})
    counts = np.bincount(record_keys(df, SECRET), minlength=KEY_RANGE)
    chi2 = ((counts - 100) ** 2 / 100).sum()
    assert chi2 < 400  # 255 degrees of freedom: far beyond 99.9% would be ~330


def test_extract_reading_attaches_keys_and_drops_postcodes(settings, rutland) -> None:
    from geo.measures.clients import read_client_extract

    code = sorted(rutland.lsoas.index)[0]
    raw = f"lsoa21cd,client_id\n{code},1\n{code},2\n{code},2\n".encode()
    c = read_client_extract(raw, settings, source="synthetic_keys.csv")
    assert c["record_key"].notna().all() and c["record_key"].between(0, 255).all()
    again = read_client_extract(raw, settings, source="synthetic_keys.csv")
    assert (again["record_key"] == c["record_key"]).all()


# ----------------------------------------------------------------------------- the secret
def test_secret_created_private_on_first_use(tmp_path) -> None:
    path = tmp_path / "config" / "geo" / "cellkey.secret"
    first = load_secret(path)
    assert len(first) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load_secret(path) == first  # kept, not replaced


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_secret_refused_when_readable_by_others_or_broken(tmp_path) -> None:
    path = tmp_path / "cellkey.secret"
    path.write_text("x" * 64)
    path.chmod(0o644)
    with pytest.raises(DataSourceError, match=r"readable by nobody else; run `chmod 600"):
        load_secret(path)
    path.chmod(0o600)
    path.write_text("short")
    with pytest.raises(DataSourceError, match="too short"):
        load_secret(path)
    folder = tmp_path / "folder.secret"
    folder.mkdir()
    with pytest.raises(DataSourceError, match="regular file"):
        load_secret(folder)


def test_secret_location_is_a_setting(tmp_path, monkeypatch) -> None:
    from geo.config import Settings

    monkeypatch.setenv("GEO_CELLKEY_SECRET_FILE", str(tmp_path / "s.secret"))
    assert Settings.from_env().cellkey_secret_file == tmp_path / "s.secret"
    monkeypatch.delenv("GEO_CELLKEY_SECRET_FILE")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert Settings.from_env().cellkey_secret_file == tmp_path / "xdg" / "geo" / "cellkey.secret"



def test_retired_suppress_below_says_it_does_nothing(monkeypatch, caplog) -> None:
    """GEO_SUPPRESS_BELOW (read by nothing since the cell key method) is named in a warning, not ignored."""
    from geo.config import Settings

    monkeypatch.setenv("GEO_SUPPRESS_BELOW", "10")
    with caplog.at_level(logging.WARNING, logger="geo.config"):
        s = Settings.from_env()
    assert not hasattr(s, "suppress_below")
    assert "GEO_SUPPRESS_BELOW is no longer used: client counts are perturbed by the cell key method" in caplog.text

# ----------------------------------------------------------------------------- the base's stated errors
def test_expected_square_error() -> None:
    from geo.measures.client_base import error_95, expected_square_error

    pt = default_ptable()
    assert expected_square_error(np.zeros(50, dtype=int), pt).max() < 1e-9  # a district with no clients
    big = expected_square_error(np.full(100, 60), pt)
    assert big == pytest.approx(np.full(100, pt.row_variance()[60]), abs=0.3)
    flat = expected_square_error(np.array([0]), pt, iterations=0)[0]
    assert 1 < flat < 6  # a lone published zero may hide up to 5
    assert error_95(np.array([0.0, 2.0, 100.0])).tolist() == [0, 3, 20]
