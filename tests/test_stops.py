"""geo.measures.stops: nearest NaPTAN bus stop per LSOA on real data (Rutland, North/West Northamptonshire)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from geo._errors import DataSourceError, InputError
from geo.cli import main
from geo.data.areas import select_area
from geo.measures.stops import (
    CIRCUITY_FACTOR,
    compute_stop_access,
    load_bus_stops,
    nearest_stop_metres,
    summarise_stop_access,
    walk_minutes_from_metres,
)


def test_nearest_stop_matches_brute_force() -> None:
    rng = np.random.default_rng(7)
    origins = rng.uniform(480_000, 500_000, size=(50, 2))
    stops = rng.uniform(480_000, 500_000, size=(200, 2))
    dist, idx = nearest_stop_metres(origins, stops)
    brute = np.sqrt(((origins[:, None, :] - stops[None, :, :]) ** 2).sum(axis=2))
    np.testing.assert_allclose(dist, brute.min(axis=1))
    np.testing.assert_array_equal(idx, brute.argmin(axis=1))


def test_no_stops_gives_inf() -> None:
    dist, idx = nearest_stop_metres(np.array([[1.0, 2.0]]), np.zeros((0, 2)))
    assert np.isinf(dist).all() and (idx == -1).all()


def test_walk_minutes_formula() -> None:
    # 400 m straight line x 1.3 = 520 m at 4.8 km/h (80 m/min) = 6.5 minutes
    assert walk_minutes_from_metres(np.array([400.0]), walk_kph=4.8)[0] == pytest.approx(6.5)
    assert CIRCUITY_FACTOR == 1.3
    with pytest.raises(InputError, match="walk_kph"):
        walk_minutes_from_metres(np.array([1.0]), walk_kph=0)


def test_bus_stops_are_active_bus_types(settings) -> None:
    stops = load_bus_stops(settings)
    assert len(stops) > 15_000
    assert set(stops["stop_type"].unique()) <= {"BCT", "BCS", "BCQ", "BST"}
    assert "RSE" not in set(stops["stop_type"])


def test_rutland_real_figures(settings, rutland) -> None:
    access = compute_stop_access(rutland, settings=settings)
    df = access.lsoas
    assert len(df) == 26
    assert (df["stop_distance_metres"] >= 0).all()
    assert df["stop_distance_metres"].max() < 5_000  # every Rutland LSOA has a stop within 5 km
    s = summarise_stop_access(access)
    for key in ("share_adults_no_stop_within_400m", "share_adults_no_stop_within_800m"):
        assert 0.0 <= s[key] <= 1.0
    assert s["share_adults_no_stop_within_800m"] <= s["share_adults_no_stop_within_400m"]
    ur = s["by_urban_rural"]
    assert set(ur.index) == {"Urban", "Rural"}
    assert ur.loc["Rural", "share_adults_no_stop_within_400m"] > ur.loc["Urban", "share_adults_no_stop_within_400m"]
    assert ur.loc["Rural", "mean_stop_distance_metres"] > ur.loc["Urban", "mean_stop_distance_metres"]
    assert s["by_imd_decile"]["adults"].sum() == pytest.approx(s["adults"], abs=len(s["by_imd_decile"]))


@pytest.mark.parametrize("name", ["North Northamptonshire", "West Northamptonshire"])
def test_northamptonshire_lads(settings, name: str) -> None:
    area = select_area(name, settings=settings)
    s = summarise_stop_access(compute_stop_access(area, settings=settings))
    assert s["lsoas"] > 150
    assert 0.0 <= s["share_adults_no_stop_within_800m"] <= s["share_adults_no_stop_within_400m"] <= 0.5
    ur = s["by_urban_rural"]
    assert ur.loc["Rural", "share_adults_no_stop_within_400m"] > ur.loc["Urban", "share_adults_no_stop_within_400m"]
    assert 50 < s["mean_stop_distance_metres"] < 1_000


def test_area_without_naptan_file_is_refused(settings) -> None:
    with pytest.raises(DataSourceError, match="no NaPTAN bus-stop file covers Oxford"):
        compute_stop_access(select_area("Oxford", settings=settings), settings=settings)


def test_cli_table_json_csv(settings, capsys) -> None:
    data = ["--data-dir", str(settings.data_dir)]
    assert main([*data, "stops-access", "--area", "Rutland"]) == 0
    assert "share_adults_no_stop_within_400m" in capsys.readouterr().out
    assert main([*data, "stops-access", "--area", "North Northamptonshire", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["area"] == "North Northamptonshire"
    assert 0 <= payload["share_adults_no_stop_within_400m"] <= 1
    assert main([*data, "stops-access", "--area", "West Northamptonshire", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("lsoa21cd,") and len(lines) > 200
    assert main([*data, "stops-access", "--area", "Oxford"]) == 2
    assert "NaPTAN" in capsys.readouterr().err
