"""Tips that suggest a threshold suggest one the user can set (geo.measures.hints)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.measures.hints import nothing_beyond_hint


def _times(minutes: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"minutes": minutes, "adults": [100.0] * len(minutes), "in_area": True})


def _suggested(hint: str) -> float:
    return float(hint.split("Try ")[1].split(" minutes")[0])


def test_short_trips_suggest_a_threshold_the_slider_can_take() -> None:
    """Everyone within a few minutes (a town's pharmacies): the tip was "Try 4.3 minutes"."""
    times = _times([1.2, 2.0, 2.5, 3.1, 3.6, 3.9, 4.1, 4.3, 4.35, 4.6])
    free = nothing_beyond_hint(times, threshold_minutes=30)
    assert free is not None and _suggested(free) == pytest.approx(4.3)  # the CLI takes any number
    hint = nothing_beyond_hint(times, threshold_minutes=30, resolution=1.0)
    assert hint is not None
    value = _suggested(hint)
    assert value == 4.0 and value.is_integer()
    assert "40% of adults are beyond that" in hint  # 4.1, 4.3, 4.35 and 4.6 min


@pytest.mark.parametrize("q", [0.4, 1.0, 3.99, 5.0, 7.5, 12.2, 27.0])
def test_suggestions_are_multiples_of_the_resolution(q: float) -> None:
    times = _times([*np.linspace(0.2, q, 9).tolist(), q * 1.05])
    for resolution in (1.0, 5.0):
        hint = nothing_beyond_hint(times, threshold_minutes=60, resolution=resolution)
        if hint is not None and "Try " in hint:
            value = _suggested(hint)
            assert value % resolution == 0 and value >= resolution


def test_cli_tip_keeps_five_minute_steps_above_five() -> None:
    """The CLI takes any threshold (resolution 0.1): above 5 minutes the tip still rounds to 5."""
    times = _times([2.0, 4.0, 6.0, 8.0, 9.0, 10.0, 10.5, 11.0, 11.5, 16.0])
    hint = nothing_beyond_hint(times, threshold_minutes=45)
    assert hint is not None and _suggested(hint) == 10.0
