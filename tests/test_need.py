"""Need layer on real data."""

from __future__ import annotations

import pandas as pd
import pytest

from geo._errors import InputError, SchemaError
from geo.measures.need import composite_need_index, need_table


def test_need_table_northants(settings, northants) -> None:
    n = need_table(northants.lsoas, settings, apportion_deaths="population")
    assert len(n) == 442
    assert n["adults"].sum() == 614188
    rates = n.groupby("lad24nm")["drug_deaths_rate_per_100k"].nunique()
    assert (rates == 1).all()  # LA-level rate repeated on each LSOA
    assert n["drug_deaths_rate_per_100k"].between(1, 30).all()
    # apportioned counts add back to the LA totals (Northants = whole LADs)
    by_lad = n.groupby("lad24cd").agg(la=("drug_deaths_la", "first"), s=("drug_deaths_apportioned", "sum"))
    assert by_lad["s"].to_numpy() == pytest.approx(by_lad["la"].to_numpy())
    assert any("ESTIMATE" in note for note in n.attrs["notes"])


def test_clients_and_prevalence(settings, rutland) -> None:
    codes = rutland.lsoas.index[:3]
    n = need_table(rutland.lsoas, settings, client_counts=pd.Series([10, 5, 1], index=codes),
                   prevalence_per_1000=pd.Series(8.0, index=rutland.lsoas.index))
    assert n["clients"].sum() == 16
    row = n.loc[codes[0]]
    assert row["clients_per_1000_adults"] == pytest.approx(10_000 / row["adults"])
    assert (n["prevalence_per_1000_adults"] == 8.0).all()


def test_composite_index(settings, northants) -> None:
    n = need_table(northants.lsoas, settings)
    c = composite_need_index(n)
    assert c["need_percentile"].between(0, 1, inclusive="right").all()
    assert c["need_index"].corr(c["imd_score"]) > 0.7
    only_imd = composite_need_index(n, weights={"imd_score": 2.0})
    assert only_imd["need_percentile"].corr(n["imd_score"].rank(pct=True)) == pytest.approx(1.0)
    r = composite_need_index(n, method="rank")
    assert r.attrs["need_method"] == "rank"
    assert sum(c.attrs["need_weights"].values()) == pytest.approx(1.0)
    with pytest.raises(SchemaError, match="not in the need table"):
        composite_need_index(n, weights={"nope": 1})
    with pytest.raises(InputError):
        composite_need_index(n, weights={"imd_score": -1})
