"""TravelMode carries its profile: every per-mode fact is on it, complete and consistent."""

from __future__ import annotations

import dataclasses

import pytest

from geo._errors import InputError
from geo.config import Settings
from geo.travel.estimate_model import MODEL
from geo.travel.modes import PROFILES, TravelMode
from geo.travel.pbf import MODE_BITS


def test_every_mode_has_a_profile_and_road_modes_are_complete() -> None:
    assert set(PROFILES) == set(TravelMode)
    fields = {f.name for f in dataclasses.fields(Settings)}
    for mode in TravelMode.road_modes():
        p = mode.profile
        assert p.osm is not None and p.osm.highway and p.osm.access
        assert p.pyrosm_type and p.osmnx_type and p.valhalla_costing
        assert p.connector_kph > 0 and p.isochrone_buffer_metres > 0
        assert p.speed_setting is None or p.speed_setting in fields
        assert (p.speed_setting is None) == (p.speed_rule == "posted-limits")
    assert not TravelMode.TRANSIT.profile.on_roads
    assert TravelMode.TRANSIT.label == "public transport"


def test_speeds_come_from_settings(settings: Settings) -> None:
    assert TravelMode.WALK.speed_kph(settings) == settings.walk_kph
    assert TravelMode.CYCLE.speed_kph(settings.with_(cycle_kph=20.0)) == 20.0
    assert TravelMode.DRIVE.speed_kph(settings) is None  # per road: limits and the class table
    for mode in TravelMode.road_modes():  # the estimate was fitted at the default speeds
        assert mode.value in MODEL
        assert mode.profile.fitted_kph is None or mode.profile.fitted_kph == mode.speed_kph(settings)


def test_pbf_bits_are_distinct_and_unchanged() -> None:
    assert MODE_BITS == {TravelMode.DRIVE: 1, TravelMode.WALK: 2, TravelMode.CYCLE: 4}


def test_names_are_parsed_once_with_a_clear_error() -> None:
    assert TravelMode.parse_road(" Walk ") is TravelMode.WALK
    with pytest.raises(InputError, match="unknown network mode 'transit'; choose one of drive, walk, cycle"):
        TravelMode.parse_road("transit")
    with pytest.raises(InputError, match="unknown travel mode 'boat'"):
        TravelMode.parse("boat")
