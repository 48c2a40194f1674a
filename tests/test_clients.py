"""Client extracts on real Northamptonshire / Rutland data: mapping, counts, disclosure, synthetic data."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from geo._errors import InputError
from geo.measures.client_base import build_client_base
from geo.measures.client_release import build_client_release
from geo.measures.clients import read_client_extract, synthetic_clients
from geo.measures.disclosure import check_disclosure, scan_file
from geo.outputs.export import write_synthetic_clients


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
    q = build_client_release(c, northants).by_quintile
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


# ---------------------------------------------------------------- the protected base and its releases
def test_release_is_additive_perturbed_and_close(synth_northants, northants, settings) -> None:
    c = read_client_extract(synth_northants, settings, source="synthetic")
    base = build_client_base(c, settings)
    release = build_client_release(base, northants)
    pen = release.by_lsoa
    assert len(pen) == len(northants.lsoas) == 442
    check_disclosure(pen, count_cols=["clients"])
    assert not pen["clients"].between(1, 4).any()
    # every figure is a sum of the base: the tables add up to the headline exactly
    total = release.headline["clients_in_area"]
    for table in (release.by_lsoa, release.by_ward, release.by_lad, release.by_decile, release.by_quintile):
        assert int(table["clients"].sum()) == total
        check_disclosure(table, count_cols=["clients"])
    assert release.headline["rows_read"] == total + release.headline["rows_not_mapped"]
    # perturbed, not exact, and within its stated error of the true 3,000
    true_by_lsoa = c["lsoa21cd"].value_counts().reindex(pen.index, fill_value=0)
    assert (pen["clients"] != true_by_lsoa).mean() > 0.3
    assert (pen["clients"] - true_by_lsoa).abs().max() <= base.ptable.max_noise
    assert abs(total - 3000) <= release.headline["clients_in_area_error"]
    assert release.headline["clients_per_1000_adults"] == pytest.approx(total / northants.adults * 1000, abs=0.01)
    assert "counts perturbed (cell key method), D = 5" in release.headline["disclosure"]
    assert (release.by_lad["disclosure"] == release.headline["disclosure"]).all()


def test_same_extract_same_numbers_whatever_the_area(synth_northants, settings) -> None:
    """The same LSOAs give the same published counts in every area and either IMD edition."""
    from geo.data.areas import select_area

    c = read_client_extract(synth_northants, settings, source="synthetic")
    county = build_client_release(c, select_area("Northamptonshire", settings=settings))
    north = build_client_release(c, select_area("North Northamptonshire", settings=settings))
    imd19 = build_client_release(c, select_area("Northamptonshire", settings=settings.with_(imd_version=2019)))
    shared = north.by_lsoa.index
    pd.testing.assert_series_equal(county.by_lsoa.loc[shared, "clients"], north.by_lsoa["clients"])
    assert county.by_lad.loc["E06000061", "clients"] == north.headline["clients_in_area"]
    assert imd19.headline["clients_in_area"] == county.headline["clients_in_area"]
    assert imd19.by_quintile["clients"].sum() == county.by_quintile["clients"].sum()
    again = build_client_release(read_client_extract(synth_northants.sample(frac=1, random_state=3), settings,
                                                     source="synthetic"), select_area("Northamptonshire",
                                                                                      settings=settings))
    pd.testing.assert_frame_equal(again.by_lsoa, county.by_lsoa)  # row order changes nothing


def test_small_extract_never_shows_1_to_4(settings, rutland) -> None:
    codes = list(rutland.lsoas.index)
    raw = pd.DataFrame({"lsoa21cd": [codes[0]] * 3 + [codes[1]] * 12 + [codes[2]] * 8 + [codes[3]]})
    release = build_client_release(read_client_extract(raw, settings, source="small"), rutland)
    for name in release.TABLES:
        check_disclosure(release.table(name), count_cols=["clients"])
    for key in ("clients_in_area", "rows_read", "rows_not_mapped", "clients_outside_area"):
        assert not 1 <= release.headline[key] <= 4


def test_round_to_never_makes_a_small_count(settings, rutland) -> None:
    """Rounding a published 5 to base 4 would show a 4: refused with the fix; other bases are safe."""
    codes = list(rutland.lsoas.index)
    raw = pd.DataFrame({"lsoa21cd": [c for i, c in enumerate(codes) for _ in range(i % 9)]})
    base = build_client_base(read_client_extract(raw, settings, source="small"), settings)
    with pytest.raises(InputError, match=r"--round-to 4: a published 5 would be shown as 4.*give 5 or more"):
        build_client_release(base, rutland, round_to=4)
    for r in (1, 2, 3, 5, 7, 10, 25):
        release = build_client_release(base, rutland, round_to=r)
        for name in release.TABLES:
            check_disclosure(release.table(name), count_cols=["clients"])
            assert (release.table(name)["clients"] % r == 0).all()


def test_outside_area_counts_come_from_the_base(synth_northants, rutland, northants, settings) -> None:
    c = read_client_extract(synth_northants, settings, source="synthetic")
    base = build_client_base(c, settings)
    rut = build_client_release(base, rutland)
    county = build_client_release(base, northants)
    assert rut.headline["clients_in_area"] == 0
    assert rut.headline["clients_outside_area"] == county.headline["clients_in_area"]
    assert rut.headline["clients_outside_area_error"] == county.headline["clients_in_area_error"]


def test_summary_and_written_outputs_pass_scan(synth_northants, northants, settings, tmp_path) -> None:
    c = read_client_extract(synth_northants, settings, source="synthetic")
    release = build_client_release(c, northants)
    summ = release.summary()
    assert summ["synthetic_data"] is True
    for name in ("by_imd_quintile", "by_lad"):
        out = tmp_path / f"{name}.csv"
        summ[name].to_csv(out)
        assert scan_file(out) == []
    for name in release.TABLES:
        out = tmp_path / f"{name}.csv"
        release.table(name).to_csv(out)
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
