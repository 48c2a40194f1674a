"""Every loader on the real bundle: shapes, keys, CRS and schema errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo._errors import DataSourceError, SchemaError
from geo.config import Settings
from geo.data import loaders
from geo.data.sources import DATASETS, sha256_file


@pytest.mark.parametrize(("fn", "rows", "key"), [
    (loaders.load_imd2025, 33755, "lsoa21cd"),
    (loaders.load_imd2025_indicators, 33755, "lsoa21cd"),
    (loaders.load_imd2019, 32844, "lsoa11cd"),
    (loaders.load_population, 33755, "lsoa21cd"),
    (loaders.load_centroids, 33755, "lsoa21cd"),
    (loaders.load_ruc, 33755, "lsoa21cd"),
    (loaders.load_geography_lookup, 33755, "lsoa21cd"),
    (loaders.load_stroke_units, 142, "postcode_key"),
])
def test_indexed_tables(settings: Settings, fn, rows: int, key: str) -> None:
    df = fn(settings)
    assert len(df) == rows
    assert df.index.name == key
    assert df.index.is_unique


def test_boundaries_are_bng(settings: Settings) -> None:
    lsoa = loaders.load_lsoa_boundaries(settings)
    lad = loaders.load_lad_boundaries(settings)
    assert len(lsoa) == 33755 and len(lad) == 296
    assert lsoa.crs.to_epsg() == 27700 and lad.crs.to_epsg() == 27700
    assert lsoa.geometry.is_valid.all()


def test_population_adults(settings: Settings) -> None:
    pop = loaders.load_population(settings)
    assert (pop["adults"] <= pop["aged_16_plus"]).all()
    assert (pop["adults"] <= pop["total"]).all()
    # Rutland adults agree with the source table
    assert int(pop.loc[pop.index.isin(loaders.load_geography_lookup(settings).query("lad24nm == 'Rutland'").index),
                       "aged_18_plus_est"].sum()) == 33402


def test_imd2019_mapping_to_lsoa21(settings: Settings) -> None:
    mapped = loaders.load_imd2019_lsoa21(settings)
    imd19 = loaders.load_imd2019(settings)
    lookup = loaders.load_lsoa11_lsoa21_lookup(settings)
    assert len(mapped) == 33755  # every English LSOA 2021 gets a value
    unchanged = lookup[lookup["chgind"] == "U"].set_index("lsoa21cd")["lsoa11cd"]
    # unchanged LSOAs keep exactly the published rank and decile
    sample = unchanged.iloc[::500]
    np.testing.assert_array_equal(mapped.loc[sample.index, "imd2019_rank"].to_numpy(),
                                  imd19.loc[sample.to_numpy(), "imd_rank"].to_numpy())
    np.testing.assert_array_equal(mapped.loc[sample.index, "imd2019_decile"].to_numpy(),
                                  imd19.loc[sample.to_numpy(), "imd_decile"].to_numpy())
    # a split LSOA: every 2021 part inherits its 2011 parent's rank
    split = lookup[lookup["chgind"] == "S"].iloc[0]
    assert mapped.loc[split["lsoa21cd"], "imd2019_rank"] == imd19.loc[split["lsoa11cd"], "imd_rank"]
    # a merged LSOA takes the mean rank of its parents
    merged = lookup[lookup["chgind"] == "M"]
    code = merged["lsoa21cd"].iloc[0]
    parents = merged.loc[merged["lsoa21cd"] == code, "lsoa11cd"]
    assert mapped.loc[code, "imd2019_rank"] == pytest.approx(imd19.loc[parents.to_numpy(), "imd_rank"].mean())
    assert mapped.loc[code, "imd2019_parts"] == len(parents)


def test_sites_and_stops(settings: Settings) -> None:
    ph = loaders.load_pharmacies(settings)
    assert (ph["status"] == "active").all() and len(ph) == 10546
    gp = loaders.load_gp_practices(settings)
    assert (gp["prescribing_setting_code"] == "8").sum() > 100
    stops = loaders.load_naptan(settings)
    assert stops["atco_code"].is_unique and len(stops) > 19000
    deaths = loaders.load_drug_deaths_la(settings)
    assert deaths["registration_year"].max() == 2020


def test_postcodes_normalised_and_cached(settings: Settings) -> None:
    pc = loaders.load_postcodes(settings)
    assert len(pc) > 1_400_000
    assert pc.loc["NN1 5BA", "lad24cd"] == "E06000062"
    again = loaders.load_postcodes(settings)
    assert again is pc  # memoised in process
    assert any(p.suffix == ".parquet" for p in Path(settings.cache_dir).iterdir())


def test_normalise_postcodes() -> None:
    out = loaders.normalise_postcodes(pd.Series([" nn15ba", "LE15  6RB", "sw1a 1aa"]))
    assert out.tolist() == ["NN1 5BA", "LE15 6RB", "SW1A 1AA"]


def _broken_copy(settings: Settings, tmp_path: Path, key: str) -> tuple[Settings, Path]:
    data = tmp_path / "bundle"
    target = DATASETS[key].path(data)
    target.parent.mkdir(parents=True)
    shutil.copy(DATASETS[key].path(settings.data_dir), target)
    return settings.with_(data_dir=data), target


def test_missing_column_names_file_and_fix(settings: Settings, tmp_path: Path) -> None:
    s, target = _broken_copy(settings, tmp_path, "ruc")
    df = pd.read_csv(target).drop(columns=["ruc21nm"])
    df.to_csv(target, index=False)
    with pytest.raises(SchemaError, match=r"ruc21_lsoa21\.csv: missing column\(s\) ruc21nm.*Fix"):
        loaders.load_ruc(s)


def test_truncated_gzip_is_reported(settings: Settings, tmp_path: Path) -> None:
    s, target = _broken_copy(settings, tmp_path, "stroke_drive_times")
    target.write_bytes(target.read_bytes()[:20000])
    with pytest.raises(DataSourceError, match="damaged"):
        loaders.load_stroke_drive_times(s)
    assert sha256_file(target) != DATASETS["stroke_drive_times"].sha256


def test_missing_file_says_how_to_fix(settings: Settings, tmp_path: Path) -> None:
    s = settings.with_(data_dir=tmp_path)
    with pytest.raises(DataSourceError, match="GEO_DATA_DIR"):
        loaders.load_imd2025(s)
