"""geo.travel.rules: what a way means for each mode (hand-made ways; closed-form answers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.travel.modes import TravelMode
from geo.travel.rules import (
    GIVE_WAY,
    NATIONAL_LIMITS_KPH,
    built_up_mask,
    cycle_surface_factor,
    drive_limit_factor,
    edge_speeds_kph,
    junction_delay_seconds,
    way_rules,
)


def test_share_of_the_limit_follows_the_limit():
    limits = np.array([32.2, 48.3, 64.4, 80.5, 96.6, 112.7, np.nan])  # 20 ... 70 mph, none
    assert drive_limit_factor(limits).tolist() == [1.0, 1.0, 0.95, 0.85, 0.85, 0.95, 1.0]


def test_unsigned_roads_run_at_the_national_limit_outside_built_up_areas(settings):
    hw = pd.Series(["tertiary", "unclassified", "tertiary", "motorway"])
    ms = pd.Series([None, None, "30 mph", None])
    rules = way_rules({"highway": hw, "maxspeed": ms}, mode=TravelMode.DRIVE, settings=settings)
    nsl = NATIONAL_LIMITS_KPH["single"] * 0.85
    assert rules.built_up_kph[0] == settings.drive_speeds_kph["tertiary"]
    assert rules.open_road_kph[0] == pytest.approx(nsl)
    # a minor road keeps its cap (a national-limit lane is not fast)
    assert rules.open_road_kph[1] == pytest.approx(1.25 * settings.drive_speeds_kph["unclassified"])
    # a posted limit is the same in and out of town
    assert rules.built_up_kph[2] == rules.open_road_kph[2] == pytest.approx(48.28, abs=0.01)
    assert rules.open_road_kph[3] == pytest.approx(NATIONAL_LIMITS_KPH["motorway"] * 0.95)


def test_cycling_is_slower_on_unsealed_ways_and_avoids_70_mph_roads(settings):
    hw = pd.Series(["residential", "track", "track", "bridleway", "path", "residential", "trunk"])
    surface = pd.Series([None, None, "asphalt", None, "paved", "gravel", None])
    assert cycle_surface_factor(hw, surface, None).tolist() == [1.0, 0.7, 1.0, 0.7, 1.0, 0.7, 1.0]
    assert cycle_surface_factor(hw, None, pd.Series([None, "grade1", None, None, None, None, None]))[1] == 1.0
    kph, _ = edge_speeds_kph(hw, pd.Series([None] * 6 + ["70 mph"]), mode=TravelMode.CYCLE, settings=settings,
                             surface=surface)
    assert kph[0] == settings.cycle_kph == 16.0
    assert np.isnan(kph[-1])


def test_built_up_is_where_roads_are_dense():
    rng = np.random.default_rng(0)
    town = rng.uniform(0, 500, size=(400, 2))  # 400 segments of 50 m in 0.25 km²: 80 km/km²
    lane = np.column_stack([np.linspace(5_000, 20_000, 300), np.full(300, 5_000.0)])  # one road
    xy = np.vstack([town, lane])
    built = built_up_mask(xy[:, 0], xy[:, 1], np.full(len(xy), 50.0))
    assert built[:400].all() and not built[400:].any()


def test_give_way_costs_a_stop_and_start_only_where_a_bigger_road_meets():
    # node 1: a minor road (0-1) meets a primary (2-1-3); node 3 ends the primary
    u = np.array([0, 2, 1, 1])
    v = np.array([1, 1, 3, 2])
    rank = np.array([2, 5, 5, 5], dtype=np.int8)
    degree = np.array([1, 3, 1, 2], dtype=np.int32)
    speed = np.full(4, 10.0)
    delay = junction_delay_seconds(TravelMode.DRIVE, u, v, speed, rank, np.zeros(4, dtype=bool), degree)
    decel, accel, wait = GIVE_WAY["drive"]
    assert delay[0] == pytest.approx(10.0 / 2 * (1 / decel + 1 / accel) + wait)
    assert delay[1:].tolist() == [0.0, 0.0, 0.0]
    walk = junction_delay_seconds(TravelMode.WALK, u, v, speed, rank, np.zeros(4, dtype=bool), degree)
    assert not walk.any()


def test_entering_a_roundabout_gives_way():
    u, v = np.array([0, 1, 2]), np.array([1, 2, 1])
    rank = np.array([5, 5, 5], dtype=np.int8)
    roundabout = np.array([False, True, True])
    degree = np.array([1, 3, 2], dtype=np.int32)
    delay = junction_delay_seconds(TravelMode.DRIVE, u, v, np.full(3, 10.0), rank, roundabout, degree)
    assert delay[0] > 0 and delay[2] == 0.0
