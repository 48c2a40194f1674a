"""Area profiles agree with the source tables."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd

from geo.config import Settings
from geo.measures.profile import profile_area


def test_rutland_profile_matches_sources(settings: Settings, rutland) -> None:
    p = profile_area(rutland, settings)
    raw_pop = pd.read_csv(settings.data_dir / "tables/population_lsoa21_2021.csv")
    raw_lookup = pd.read_csv(settings.data_dir / "tables/lookup_lsoa21_geographies.csv")
    codes = raw_lookup.loc[raw_lookup["lad24nm"] == "Rutland", "lsoa21cd"]
    rows = raw_pop[raw_pop["lsoa21cd"].isin(codes)]
    assert p["lsoas"] == len(codes) == 26
    assert p["adults_18_plus"] == int(rows["aged_18_plus_est"].sum())
    assert p["population"] == int(rows["total"].sum())
    imd = pd.read_csv(settings.data_dir / "tables/imd2025_lsoa21.csv")
    counts = imd[imd["lsoa21cd"].isin(codes)]["imd_decile"].value_counts()
    dec = p["imd2025_deciles"]
    assert dec["lsoas"].sum() == 26
    for d, n in counts.items():
        assert dec.loc[d, "lsoas"] == n
    deaths = pd.read_csv(settings.data_dir / "tables/drug_poisoning_deaths_la.csv")
    r = deaths[(deaths["area_code"] == "E06000017") & deaths["registration_year"].between(2018, 2020)]
    assert p["drug_poisoning_deaths"]["deaths"] == int(r["deaths"].sum())
    assert p["sites_by_type"]["hub"] == 1


def test_northamptonshire_deaths_sum_two_unitaries(settings: Settings, northants) -> None:
    p = profile_area(northants, settings)
    deaths = pd.read_csv(settings.data_dir / "tables/drug_poisoning_deaths_la.csv")
    r = deaths[deaths["area_code"].isin(["E06000061", "E06000062"]) & deaths["registration_year"].between(2018, 2020)]
    assert p["drug_poisoning_deaths"]["deaths"] == int(r["deaths"].sum())
    assert p["drug_poisoning_deaths"]["method"] == "sum of published LA counts"
    assert p["lsoas"] == 442


def test_cli_profile_json(settings: Settings) -> None:
    out = subprocess.run([sys.executable, "-m", "geo", "--data-dir", str(settings.data_dir), "profile",
                          "--area", "Rutland", "--format", "json"], capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    assert data["lsoas"] == 26 and data["adults_18_plus"] == 33402
    assert sum(r["lsoas"] for r in data["imd2025_deciles"]) == 26


def test_cli_error_is_one_line(settings: Settings) -> None:
    out = subprocess.run([sys.executable, "-m", "geo", "profile", "--area", "Atlantis"],
                         capture_output=True, text=True)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert out.stderr.strip().startswith("geo profile: error: unknown area 'Atlantis'")
