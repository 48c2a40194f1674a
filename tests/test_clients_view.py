"""The Clients view's tables and warnings (pure functions, hand-made published numbers)."""

from __future__ import annotations

import pandas as pd

from atlas.views.clients import _pretty, extract_warnings


def test_tables_have_readable_headers_errors_and_no_none() -> None:
    df = pd.DataFrame({"lad24nm": ["Rutland", None], "adults": [33402, 100], "clients": [1030, 0],
                       "clients_error": [21, 4], "clients_per_1000_adults": [30.84, None],
                       "disclosure": ["counts perturbed (cell key method), D = 5"] * 2},
                      index=pd.Index(["E06000017", "E07000133"], name="lad24cd"))
    out = _pretty(df)
    assert list(out.columns) == ["District", "Adults", "Clients (± error)", "Clients per 1,000 adults"]
    assert out.index.name == "District code"
    assert out.loc["E06000017", "Clients (± error)"] == "1,030 ± 21"
    assert out.loc["E07000133", "Clients (± error)"] == "0 ± 4"
    assert _pretty(df.assign(clients_error=[21, 0])).loc["E07000133", "Clients (± error)"] == "0"
    text = out.to_string()
    assert "None" not in text and "<NA>" not in text and "nan" not in text


def test_warns_when_the_extract_is_for_another_area() -> None:
    notes = extract_warnings({"rows_read": 30, "rows_not_mapped": 0, "clients_outside_area": 25,
                              "clients_in_area": 0}, "Northamptonshire")
    assert len(notes) == 1 and "outside Northamptonshire" in notes[0]


def test_warns_when_rows_do_not_look_like_clients() -> None:
    notes = extract_warnings({"rows_read": 30, "rows_not_mapped": 25, "clients_outside_area": 0,
                              "clients_in_area": 0}, "Rutland")
    assert any("could not be placed" in n for n in notes)
    assert not extract_warnings({"rows_read": 500, "rows_not_mapped": 5, "clients_outside_area": 10,
                                 "clients_in_area": 480}, "Rutland")
