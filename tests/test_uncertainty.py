"""The uncertainty model (geo.measures.uncertainty, geo.travel.error_bands): error model from the
measured bands, intervals, verdicts, the error field, site positions and the draws' guarantees
(same journey, same error before and after; a site at the same place adds nothing)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo._errors import InputError
from geo.measures.intervals import NOT_DISTINGUISHABLE, interval, verdict
from geo.measures.uncertainty import AccessDraws, UncertaintySpec, relevant_rows, site_positions
from geo.travel.error_bands import travel_error_model
from tests.test_closure import StraightLineRouter


class EstimateLikeRouter(StraightLineRouter):
    """1.3 x straight line at 40 km/h, reporting itself as a drive estimate (so errors apply)."""

    method = "estimate"


# --------------------------------------------------------------------------- error model
def test_error_model_estimate_matches_calibration(settings) -> None:
    from geo.travel.estimate import calibrate

    em = travel_error_model("drive", "estimate", settings)
    cal = calibrate(settings, mode="drive")
    km = np.array([0.5, 3.0, 7.0, 15.0, 40.0])
    np.testing.assert_allclose(em.quantiles(km), cal.error_quantiles(km))
    low, high = em.minutes_range(np.full(5, 12.0), km)
    assert (low <= 12.0).all() and (high >= 12.0).all() and (low >= 0).all()
    mu, sd = em.normal(km)
    p10, p90 = em.quantiles(km)
    np.testing.assert_allclose(mu - 1.2815515655446004 * sd, p10)
    np.testing.assert_allclose(mu + 1.2815515655446004 * sd, p90)


def test_error_model_network_is_valhalla_centred(settings) -> None:
    from geo.travel.accuracy import travel_error_bands

    em = travel_error_model("drive", "network", settings)
    measured = travel_error_bands("drive", "network")
    assert em.centred and "Valhalla" in em.reference
    for b, lo, hi in zip(measured.bands, em.p10, em.p90, strict=True):
        sd = (b.p90_minutes - b.p10_minutes) / (2 * 1.2815515655446004)
        assert hi == pytest.approx(1.2815515655446004 * np.hypot(b.bias_minutes, sd)) and lo == -hi
        assert hi >= (b.p90_minutes - b.p10_minutes) / 2  # never narrower than the measured spread
    mu, _ = em.normal(np.array([1.0, 8.0]))
    np.testing.assert_allclose(mu, 0.0, atol=1e-12)
    low, high = em.minutes_range(np.array([10.0, np.nan]), np.array([6.0, 6.0]))
    assert low[0] < 10.0 < high[0] and np.isnan(low[1]) and np.isnan(high[1])
    assert travel_error_model("transit", "transit", settings) is None


# --------------------------------------------------------------------------- intervals and verdicts
def test_interval_contains_the_point_and_ignores_nan() -> None:
    s = np.array([[1.0, np.nan], [2.0, np.nan], [3.0, np.nan], [4.0, np.nan]])
    lo, hi = interval(s, np.array([10.0, 5.0]))
    assert lo[0] == pytest.approx(1.3) and hi[0] == 10.0  # widened to the point
    assert lo[1] == hi[1] == 5.0  # no samples: the point itself
    lo, hi = interval(np.zeros((0, 2)), np.array([1.0, 2.0]))
    np.testing.assert_array_equal(lo, [1.0, 2.0])


@pytest.mark.parametrize(("args", "kw", "want"), [
    ((100.0, 20.0, 150.0), {}, "gain"),
    ((100.0, 0.0, 150.0), {}, NOT_DISTINGUISHABLE),
    ((-100.0, -150.0, -20.0), {}, "loss"),
    ((0.0, 0.0, 0.0), {"tolerance": 0.5}, "no change"),
    ((-1.5, -2.0, -1.0), {"better": "lower"}, "gain"),
    ((-0.3, -1.0, 0.2), {"better": "lower"}, NOT_DISTINGUISHABLE),
])
def test_verdict(args, kw, want) -> None:
    assert verdict(*args, **kw) == want


def test_relevant_rows_keeps_only_sites_that_can_matter() -> None:
    m = np.array([[5.0, 30.0], [6.0, 31.0], [40.0, 40.0], [np.nan, 9.0]])
    keep = relevant_rows(m, [np.ones(4, bool)], np.full(4, 2.0))
    assert keep.tolist() == [True, True, False, True]
    # for closures (rank 2) the second nearest matters too
    keep2 = relevant_rows(m, [np.array([True, True, True, False])], np.full(4, 2.0), rank=2)
    assert keep2.tolist() == [True, True, False, False]


def test_spec_validates() -> None:
    with pytest.raises(InputError, match="draws"):
        UncertaintySpec(draws=-1)
    with pytest.raises(InputError, match="correlation"):
        UncertaintySpec(correlation=(0.0, 0.1, 0.1))


# --------------------------------------------------------------------------- positions (real data)
def test_site_positions_town_postcode_exact(settings) -> None:
    from geo.data.geocode import town_centres

    oak = town_centres(["Oakham"], settings).iloc[0]
    sites = pd.DataFrame({"site_id": ["a", "b", "c"], "town": ["Oakham", "", ""],
                          "location_precision": ["town", "postcode", "coordinates"],
                          "easting": [oak["easting"], 486253.0, 486000.0],
                          "northing": [oak["northing"], 308656.0, 300000.0]})
    pos, radius = site_positions(sites, settings=settings, seed=1)
    assert 10 <= len(pos[0]) <= 24 and len(pos[1]) == 6 and len(pos[2]) == 1
    spread = np.hypot(*(pos[0] - pos[0].mean(axis=0)).T)
    assert 200 < np.median(spread) < 3_000, "Oakham's extent is a town, not a county"
    assert (np.hypot(*(pos[1] - sites.loc[1, ["easting", "northing"]].to_numpy(float)).T) <= radius[1] + 1e-6).all()
    assert 25 <= radius[1] <= 1_000 and radius[2] == 0
    again, _ = site_positions(sites, settings=settings, seed=1)
    np.testing.assert_array_equal(pos[0], again[0])  # deterministic, keyed by site_id


# --------------------------------------------------------------------------- the draws
def _grid(n: int = 12) -> np.ndarray:
    g = np.linspace(480_000, 492_000, n)
    return np.array([(x, y) for x in g for y in np.linspace(300_000, 310_000, n)])


def test_field_has_unit_variance_and_decays_with_distance(settings) -> None:
    r = EstimateLikeRouter()
    o = _grid(6)
    sites = pd.DataFrame({"site_id": ["a", "b", "c"], "easting": [486_000.0, 486_300.0, 496_000.0],
                          "northing": [305_000.0, 305_000.0, 305_000.0], "location_precision": ""})
    m = r.site_origin_minutes(sites[["easting", "northing"]].to_numpy(), o)
    for corr, far_want in (((3.0, 0.0, 0.0), 0.0), ((0.7, 0.34, 0.34), 0.34)):
        spec = UncertaintySpec(draws=400, seed=7, correlation=corr)
        d = AccessDraws(r, o, sites, m, spec=spec, settings=settings)
        f = np.stack([d._field(k, d.xy) for k in range(400)])  # (draws, sites, origins)
        assert f.std() == pytest.approx(1.0, abs=0.08)
        near = np.corrcoef(f[:, 0, :].ravel(), f[:, 1, :].ravel())[0, 1]  # same origin, sites 300 m apart
        far = np.corrcoef(f[:, 0, :].ravel(), f[:, 2, :].ravel())[0, 1]  # same origin, sites 10 km apart
        assert near > 0.9 and far == pytest.approx(far_want, abs=0.12), (corr, near, far)
        other = np.corrcoef(f[:, 0, 0], f[:, 2, -1])[0, 1]  # nothing shared: far origins, far sites
        assert abs(other) < 0.2, (corr, other)


def test_measured_correlation_is_used(settings) -> None:
    from geo.measures.uncertainty import CORRELATION, DEFAULT_CORRELATION

    spec = UncertaintySpec()
    assert spec.correlation_for("network", "drive") == CORRELATION[("network", "drive")]
    assert spec.correlation_for("transit", "transit") == DEFAULT_CORRELATION
    assert all(0 < length < 10 and a >= 0 and b >= 0 and a + b < 1 for length, a, b in CORRELATION.values())


def test_same_place_same_error_and_deterministic(settings) -> None:
    r = EstimateLikeRouter()
    o = _grid(5)
    sites = pd.DataFrame({"site_id": ["a", "twin"], "easting": [486_000.0, 486_000.0],
                          "northing": [305_000.0, 305_000.0], "location_precision": ["coordinates", "coordinates"]})
    m = r.site_origin_minutes(sites[["easting", "northing"]].to_numpy(), o)
    spec = UncertaintySpec(draws=20, seed=3)
    d1 = AccessDraws(r, o, sites, m, spec=spec, settings=settings)
    d2 = AccessDraws(r, o, sites, m, spec=spec, settings=settings)
    for k in range(20):
        a, b = d1.matrix(k), d2.matrix(k)
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a[0], a[1])  # a second site at the same place has the same error
    assert not np.allclose(d1.matrix(0), d1.matrix(1)), "draws differ from one another"
    assert (d1.matrix(0) >= 0).all()
