"""Equity indices: closed-form cases, oracles and real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.measures.equity import concentration_index, equity_summary, fractional_rank, gini, palma_ratio


def _pairwise_gini(x: np.ndarray, w: np.ndarray) -> float:
    W = w.sum()  # noqa: N806
    mu = (w * x).sum() / W
    return float((w[:, None] * w[None, :] * np.abs(x[:, None] - x[None, :])).sum() / (2 * W**2 * mu))


def test_equal_times_give_zero() -> None:
    h = np.full(50, 17.0)
    rank = np.arange(1, 51)
    w = np.arange(1, 51, dtype=float)
    assert concentration_index(h, rank, w) == pytest.approx(0.0, abs=1e-12)
    assert gini(h, w) == pytest.approx(0.0, abs=1e-12)
    assert palma_ratio(h, w) == pytest.approx(0.25)


def test_concentration_sign() -> None:
    rank = np.arange(1, 101)  # 1 = most deprived
    deprived_far = 100.0 - rank  # most deprived travel longest
    assert concentration_index(deprived_far, rank) < 0
    assert concentration_index(rank.astype(float), rank) > 0


def test_concentration_closed_form_two_groups() -> None:
    # two equal groups: deprived time 0, affluent time 1 -> CI = 0.5 (unweighted, n large)
    n = 1000
    rank = np.arange(1, 2 * n + 1)
    h = np.r_[np.zeros(n), np.ones(n)]
    assert concentration_index(h, rank) == pytest.approx(0.5, abs=1e-3)


def test_weights_equal_replication() -> None:
    rng = np.random.default_rng(1)
    h = rng.uniform(1, 60, 20)
    rank = rng.permutation(20) + 1
    w = rng.integers(1, 5, 20)
    rep_h, rep_r = np.repeat(h, w), np.repeat(rank, w)
    assert gini(h, w.astype(float)) == pytest.approx(gini(rep_h))
    assert concentration_index(h, rank, w) == pytest.approx(concentration_index(rep_h, rep_r), abs=1e-12)


def test_gini_matches_pairwise_oracle() -> None:
    rng = np.random.default_rng(7)
    x = rng.gamma(2.0, 10.0, 200)
    w = rng.uniform(500, 2000, 200)
    assert gini(x, w) == pytest.approx(_pairwise_gini(x, w), rel=1e-9)


def test_fractional_rank_ties() -> None:
    r = fractional_rank(np.array([1, 1, 2]), np.array([1.0, 1.0, 2.0]))
    assert r[0] == r[1] == pytest.approx(0.25)
    assert r[2] == pytest.approx(0.75)


def test_order_invariance() -> None:
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"minutes": rng.uniform(1, 60, 100), "adults": rng.uniform(500, 2000, 100),
                       "imd_rank": rng.permutation(100) + 1})
    df["imd_decile"] = (df["imd_rank"] - 1) // 10 + 1
    a = equity_summary(df)
    b = equity_summary(df.sample(frac=1.0, random_state=1))
    for k in ("concentration_index", "gini", "palma_ratio", "decile1_to_decile10_ratio"):
        assert a[k] == pytest.approx(b[k])


def test_real_northants_pharmacy(settings, northants) -> None:
    from geo.data.sites import load_sites
    from geo.measures.straight_line import straight_line_times

    sites = load_sites(settings, area=northants, types=["pharmacy"], buffer_km=10.0)
    t = straight_line_times(northants.all_lsoas, sites, speed_kph=30.0, detour_factor=1.3)
    e = equity_summary(t)
    assert e["n_lsoas"] == 442
    assert e["n_unreachable"] == 0
    # pharmacies cluster in deprived town centres: times concentrated among the less deprived
    assert e["concentration_index"] > 0
    assert 0 < e["gini"] < 1
    assert e["decile1_to_decile10_ratio"] < 1
