"""Client extracts on real Northamptonshire / Rutland data: mapping, counts, disclosure, synthetic data."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from geo._errors import InputError
from geo.measures.client_release import build_release
from geo.measures.clients import (
    client_counts,
    read_client_extract,
    synthetic_clients,
    write_synthetic_clients,
)
from geo.measures.disclosure import check_disclosure, scan_file


@pytest.fixture(scope="module")
def synth_northants(northants, settings) -> pd.DataFrame:
    return synthetic_clients(northants, 3000, 7, settings)


@pytest.fixture(scope="module")
def real_postcodes(settings, rutland) -> list[str]:
    """A few live Rutland postcodes (read from the bundle at test time, never stored)."""
    from geo.data.loaders import load_postcodes

    pcs = load_postcodes(settings)
    return sorted(pcs.index[pcs["lsoa21cd"].isin(rutland.lsoas.index)])[:6]


def _csv(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False).encode()


# ---------------------------------------------------------------- reading
def test_read_extract_maps_postcodes_and_reports_rows(settings, real_postcodes, caplog) -> None:
    pcs = real_postcodes
    raw = pd.DataFrame({
        "Postcode": [pcs[0], pcs[1].lower().replace(" ", ""), "ZZ99 9ZZ", "not a postcode", "", pcs[2]],
        "substance_group": ["Opiate", "alcohol only", "opiate", "", "opiate", "alcohol only"],
        "in_treatment": ["yes", "no", "Y", "", "n", "yes"],
        "date": ["2024-01-05", "05/02/2024", "", "2024-03-01", "2024-04-01", "2024-05-01"],
    })
    with caplog.at_level(logging.DEBUG):
        c = read_client_extract(_csv(raw), settings, source="extract.csv")
    assert "postcode" not in c.columns and "Postcode" not in c.columns
    assert c["row"].tolist() == [1, 2, 3, 4, 5, 6]
    assert c["lsoa21cd"].notna().tolist() == [True, True, False, False, False, True]
    assert c["geo_status"].tolist() == ["postcode", "postcode", "not_found", "invalid", "missing", "postcode"]
    assert c.attrs["problems"] == [{"row": 3, "problem": "postcode not found (terminated, mistyped, or outside England)"},
                                   {"row": 4, "problem": "postcode not in a valid format"},
                                   {"row": 5, "problem": "no postcode or LSOA"}]
    assert c.attrs["summary"]["mapped"] == 3
    assert c["in_treatment"].tolist()[:3] == [True, False, True]
    assert pd.isna(c["in_treatment"].iloc[3])
    assert c["substance_group"].iloc[0] == "opiate"
    assert c["date"].iloc[1] == pd.Timestamp("2024-02-05")  # day-first
    # no postcode value anywhere in logs or returned frame
    text = caplog.text + c.to_csv() + repr(c.attrs)
    for pc in pcs[:3]:
        assert pc not in text and pc.replace(" ", "") not in text.upper()


def test_read_extract_lsoa_codes(settings, rutland) -> None:
    codes = list(rutland.lsoas.index[:3])
    raw = pd.DataFrame({"lsoa21cd": [*codes, "E01999999", "W01000001"]})
    c = read_client_extract(_csv(raw), settings, source="lsoa.csv")
    assert c["lsoa21cd"].tolist()[:3] == codes
    assert c["geo_status"].tolist() == ["lsoa"] * 3 + ["bad_lsoa", "bad_lsoa"]
    assert [p["row"] for p in c.attrs["problems"]] == [4, 5]


def test_read_extract_errors(settings) -> None:
    with pytest.raises(InputError, match="needs a 'postcode' or an 'lsoa21cd' column"):
        read_client_extract(b"name,age\nx,3\n", settings, source="bad.csv")
    with pytest.raises(InputError, match=r"could not be mapped.*row 1: postcode not found") as exc:
        read_client_extract(b"postcode\nZZ99 9ZZ\n", settings, source="bad.csv")
    assert "ZZ99" not in str(exc.value)
    with pytest.raises(InputError, match=r"'in_treatment' must be yes/no \(row 1\)"):
        read_client_extract(b"lsoa21cd,in_treatment\nE01013710,maybe\n", settings, source="bad.csv")
    with pytest.raises(InputError, match=r"'date' has dates that cannot be read \(row 1\)"):
        read_client_extract(b"lsoa21cd,date\nE01013710,yesterday\n", settings, source="bad.csv")
    with pytest.raises(InputError, match="not a CSV text file"):
        read_client_extract(b"PK\x03\x04rest", settings, source="x.xlsx")


# ---------------------------------------------------------------- synthetic extracts
def test_synthetic_is_labelled_deterministic_and_inside_area(synth_northants, northants, settings) -> None:
    df = synth_northants
    assert len(df) == 3000
    assert df["synthetic"].all()
    again = synthetic_clients(northants, 3000, 7, settings)
    pd.testing.assert_frame_equal(df, again)
    other = synthetic_clients(northants, 3000, 8, settings)
    assert not df["postcode"].equals(other["postcode"])
    c = read_client_extract(df, settings, source="synthetic")
    assert c["lsoa21cd"].notna().all()
    assert c["lsoa21cd"].isin(northants.lsoas.index).all()
    assert c["synthetic"].all()


def test_synthetic_shows_seed_deprivation_pattern(synth_northants, northants, settings) -> None:
    c = read_client_extract(synth_northants, settings, source="synthetic")
    q = build_release(c, northants).by_quintile
    # seed 001:964-967 - clients heavily over-represented in the most deprived quintile, under in the least
    assert q.loc[1, "share_of_clients_pct"] > 2.5 * q.loc[1, "share_of_adults_pct"]
    assert q.loc[5, "share_of_clients_pct"] < 0.4 * q.loc[5, "share_of_adults_pct"]
    assert q["representation_ratio"].astype(float).is_monotonic_decreasing
    assert q["share_of_adults_pct"].sum() == pytest.approx(100, abs=0.3)


def test_write_synthetic_requires_label(synth_northants, tmp_path) -> None:
    with pytest.raises(InputError, match="must have 'synthetic' in the file name"):
        write_synthetic_clients(synth_northants, tmp_path / "clients.csv")
    with pytest.raises(InputError, match="synthetic=True"):
        write_synthetic_clients(synth_northants.assign(synthetic=False), tmp_path / "synthetic.csv")
    path = write_synthetic_clients(synth_northants.head(20), tmp_path / "synthetic_clients.csv")
    back = pd.read_csv(path)
    assert back["synthetic"].all()
    assert len(back) == 20


def test_synthetic_bad_n(northants, settings) -> None:
    with pytest.raises(InputError, match="whole number from 1"):
        synthetic_clients(northants, 0, 1, settings)


# ---------------------------------------------------------------- counts and summaries
def test_counts_penetration_quintiles_are_disclosure_safe(synth_northants, northants, settings) -> None:
    c = read_client_extract(synth_northants, settings, source="synthetic")
    counts = client_counts(c, northants)
    assert len(counts) == len(northants.lsoas) == 442
    assert counts["clients"].sum() == 3000
    assert counts.attrs["outside_area"] == 0
    release = build_release(c, northants)
    pen = release.by_lsoa
    check_disclosure(pen, count_cols=["clients"])
    shown = pen["clients"].dropna()
    assert not ((shown >= 1) & (shown <= 4)).any()
    assert pen["suppressed"].any()  # 3,000 clients over 442 LSOAs leaves small cells
    assert pen["clients_per_1000_adults"][pen["suppressed"]].isna().all()
    assert release.headline["clients_in_area"] == 3000
    assert release.headline["clients_per_1000_adults"] == pytest.approx(3000 / northants.adults * 1000, abs=0.01)
    lad = release.by_lad
    assert lad["clients"].sum() == 3000
    check_disclosure(lad, count_cols=["clients"])


def test_small_extract_is_suppressed(settings, rutland) -> None:
    codes = list(rutland.lsoas.index)
    raw = pd.DataFrame({"lsoa21cd": [codes[0]] * 3 + [codes[1]] * 12 + [codes[2]] * 8})
    c = read_client_extract(raw, settings, source="small")
    release = build_release(c, rutland)
    check_disclosure(release.by_quintile, count_cols=["clients"])
    pen = release.by_lsoa
    assert pd.isna(pen.loc[codes[0], "clients"])
    assert pen.loc[codes[1], "clients"] == 12 or pd.isna(pen.loc[codes[1], "clients"])
    # with one LAD, the hidden 3 needs a complementary cell: at least two hidden non-zero cells
    assert int(pen["suppressed"].sum()) >= 2
    tiny = read_client_extract(pd.DataFrame({"lsoa21cd": codes[:2]}), settings, source="tiny")
    assert not isinstance(build_release(tiny, rutland).headline["clients_in_area"], int)


def test_outside_area_and_in_treatment_only(synth_northants, rutland, northants, settings) -> None:
    c = read_client_extract(synth_northants, settings, source="synthetic")
    counts = client_counts(c, rutland)
    assert counts["clients"].sum() == 0
    assert counts.attrs["outside_area"] == 3000
    treated = client_counts(c, northants, in_treatment_only=True)
    expected = int((synth_northants["in_treatment"] == "yes").sum())
    assert treated["clients"].sum() == expected


def test_summary_and_written_outputs_pass_scan(synth_northants, northants, settings, tmp_path) -> None:
    c = read_client_extract(synth_northants, settings, source="synthetic")
    summ = build_release(c, northants).summary()
    assert summ["synthetic_data"] is True
    assert summ["clients_in_area"] == 3000  # a multiple of 5: exact or rounded, both 3000
    for name in ("by_imd_quintile", "by_lad"):
        out = tmp_path / f"{name}.csv"
        summ[name].to_csv(out)
        assert scan_file(out) == []
    pen = build_release(c, northants).by_lsoa
    out = tmp_path / "lsoa.csv"
    pen.to_csv(out)
    assert scan_file(out) == []


def test_cli_synthetic_and_summarise(tmp_path, settings, capsys) -> None:
    from geo.cli import main

    out = tmp_path / "synthetic_clients.csv"
    assert main(["--data-dir", str(settings.data_dir), "synthetic-clients", "--area", "Rutland", "--n", "400",
                 "--seed", "3", "--out", str(out)]) == 0
    assert out.is_file()
    summary = tmp_path / "summary.csv"
    assert main(["--data-dir", str(settings.data_dir), "clients", "summarise", "--file", str(out), "--area",
                 "Rutland", "--table", "lsoa", "--format", "csv", "--out", str(summary)]) == 0
    assert scan_file(summary) == []
    df = pd.read_csv(summary)
    assert len(df) == 26
    assert main(["--data-dir", str(settings.data_dir), "synthetic-clients", "--area", "Rutland", "--n", "5",
                 "--out", str(tmp_path / "clients.csv")]) == 2
    capsys.readouterr()
    assert main(["--data-dir", str(settings.data_dir), "clients", "summarise", "--file", str(out), "--area",
                 "Rutland"]) == 0
    text = capsys.readouterr().out
    assert "SYNTHETIC" in text
    assert np.all([pc not in text for pc in pd.read_csv(out)["postcode"].head(50)])
