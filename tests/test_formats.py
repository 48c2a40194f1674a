"""The answer formats registry (geo.outputs.formats): one list the CLI offers, each format renders."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from geo._errors import InputError
from geo.cli import build_parser
from geo.outputs.formats import FORMATS, POINT_FORMATS, render


def _choices(argv: list[str]) -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices[argv[0]]
    if len(argv) > 1:
        sub = next(a for a in sub._actions if a.dest.endswith("_command")).choices[argv[1]]
    return list(next(a for a in sub._actions if a.dest == "format").choices)


def test_cli_format_choices_come_from_the_registry() -> None:
    assert _choices(["coverage"]) == list(FORMATS) == ["table", "json", "csv"]
    assert _choices(["gaps"]) == list(FORMATS)
    assert _choices(["sites", "list"]) == [*FORMATS, *POINT_FORMATS]


def test_every_format_renders_a_frame() -> None:
    df = pd.DataFrame({"name": ["=1+1", "Oakham"], "minutes": [np.nan, 12.5], "lon": [-0.7, -0.72],
                       "lat": [52.67, 52.66]})
    assert "Oakham" in render(df, "table", title="Sites")
    assert json.loads(render(df, "json"))[0]["minutes"] is None
    back = pd.read_csv(io.StringIO(render(df, "csv")))
    assert back["name"].tolist() == ["'=1+1", "Oakham"]
    gj = json.loads(render(df, "geojson"))
    assert gj["features"][1]["geometry"]["coordinates"] == [-0.72, 52.66]
    assert gj["features"][0]["properties"]["minutes"] is None


def test_formats_refuse_what_they_cannot_hold() -> None:
    two = {"a": pd.DataFrame({"x": [1]}), "b": pd.DataFrame({"y": [2]})}
    with pytest.raises(InputError, match="single table"):
        render(two, "csv")
    with pytest.raises(InputError, match="lon and lat"):
        render(pd.DataFrame({"x": [1]}), "geojson")
    with pytest.raises(InputError, match="use one of table, json, csv, geojson"):
        render(pd.DataFrame({"x": [1]}), "xlsx")
