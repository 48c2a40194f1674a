"""Gap score and outreach list."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.measures.gaps import OUTREACH_COLUMNS, gap_scores, outreach_list
from geo.outputs.export import export_outreach_csv


def _toy() -> pd.DataFrame:
    return pd.DataFrame({
        "lsoa21nm": list("ABCD"), "lad24nm": ["X"] * 4, "adults": [1000] * 4,
        "imd_decile": [1, 2, 9, 10], "imd_score": [50.0, 40.0, 10.0, 5.0],
        "urban_rural": ["Urban", "Rural", "Rural", "Urban"],
        "minutes": [10.0, 60.0, np.nan, 30.0], "site_name": ["s"] * 4, "in_area": True,
    }, index=pd.Index(["a", "b", "c", "d"], name="lsoa21cd"))


def test_product_score_closed_form() -> None:
    g = gap_scores(_toy(), threshold_minutes=30)
    # imd percentile: a=1.0, b=0.75, c=0.5, d=0.25; unreachable c -> 60 minutes (2 x threshold)
    assert g.loc["a", "score"] == pytest.approx(1.0 * 10 / 30)
    assert g.loc["b", "score"] == pytest.approx(0.75 * 2)
    assert g.loc["c", "score"] == pytest.approx(0.5 * 2)
    assert g.index[0] == "b" and g.loc["b", "rank"] == 1
    assert list(g["rural_gap"].sort_index()) == [False, True, True, False]
    assert bool(g.loc["d", "beyond_threshold"])  # 30 >= 30
    assert "need_percentile^1" in g.attrs["gap_method"]


def test_weights_and_rank_form() -> None:
    only_time = gap_scores(_toy(), threshold_minutes=30, w_need=0)
    assert only_time.loc["a", "score"] == pytest.approx(1 / 3)
    r = gap_scores(_toy(), threshold_minutes=30, form="rank")
    assert r["score"].between(0, 1).all()


def test_outreach_list_and_csv(tmp_path) -> None:
    out = outreach_list(_toy(), threshold_minutes=30, top=3)
    # "place" (local name) and the minutes range are carried only when the times frame has them
    assert list(out.columns) == [c for c in OUTREACH_COLUMNS if c not in {"place", "minutes_low", "minutes_high"}]
    assert len(out) == 3 and list(out["rank"]) == [1, 2, 3]
    p = export_outreach_csv(out, tmp_path / "o.csv")
    back = pd.read_csv(p)
    assert list(back["lsoa21cd"]) == list(out["lsoa21cd"])


def test_real_northants(settings, northants) -> None:
    from geo.data.sites import load_sites
    from geo.measures.coverage import restrict_sites
    from geo.measures.need import composite_need_index, need_table
    from geo.measures.straight_line import straight_line_times

    sites = restrict_sites(load_sites(settings, area=northants, types=["hub"]))
    times = straight_line_times(northants.all_lsoas, sites, speed_kph=30.0, detour_factor=1.3)
    need = composite_need_index(need_table(northants.lsoas, settings))
    out = outreach_list(times, need, threshold_minutes=45, top=20)
    assert len(out) == 20
    assert out["lsoa21cd"].is_unique
    assert out["score"].is_monotonic_decreasing
    assert set(out["lad24nm"]) <= {"North Northamptonshire", "West Northamptonshire"}
    full = gap_scores(times, need, threshold_minutes=45)
    assert len(full) == 442
    assert full["rural_gap"].sum() > 0
