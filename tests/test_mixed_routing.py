"""The mixed method on the real Rutland extract with the real cross-border pharmacies.

Roads inside the bundled network, the calibrated straight-line estimate for the leg beyond it
(:class:`geo.travel.routing.NetworkRouter` with ``mixed=True``, what method ``auto`` gives).
The independent reference is the full Rutland network: cut it in two, route the cut-away half
with the mixed method and compare with the full network's road times
(``benchmarks/validate_mixed.py`` runs the 12-cut version).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo import Study, StudySpec
from geo.data.sites import load_sites
from geo.travel.graph import clip_network
from geo.travel.network import read_network
from geo.travel.routing import NetworkRouter, make_router

#: Town centres (OS grid metres) from the bundle's NaPTAN locality medians.
UPPINGHAM = (486_614.0, 299_849.0)
OAKHAM = (485_704.0, 309_002.0)
KETTON = (498_046.0, 304_563.0)


@pytest.fixture(scope="module")
def drive(rutland_pbf, settings):
    return read_network(rutland_pbf, mode="drive", settings=settings)


@pytest.fixture(scope="module")
def cross_border(settings, rutland):
    """Rutland's pharmacies and those within 15 km of its border (real ODS list)."""
    return load_sites(settings, area=rutland, types=("pharmacy",), buffer_km=15.0)


@pytest.fixture(scope="module")
def mixed(drive, settings):
    return NetworkRouter(drive, settings=settings, mixed=True)


def _xy(sites: pd.DataFrame) -> np.ndarray:
    return sites[["easting", "northing"]].to_numpy(float)


def test_auto_is_mixed_and_network_is_roads_only(settings, rutland):
    assert make_router("drive", area=rutland, settings=settings).is_mixed
    assert not make_router("drive", area=rutland, settings=settings, method="network").is_mixed


def test_every_cross_border_pharmacy_is_reached(mixed, cross_border, settings):
    xy = _xy(cross_border)
    _, metres, _ = mixed.snap(xy)
    beyond = metres > settings.snap_tolerance_metres
    assert beyond.sum() > 40, "most pharmacies within 15 km lie outside the Rutland extract"
    m = mixed.site_origin_minutes(xy, np.array([UPPINGHAM, OAKHAM, KETTON]))
    assert np.isfinite(m).all()
    km = np.hypot(xy[:, None, 0] - np.array([UPPINGHAM, OAKHAM, KETTON])[None, :, 0],
                  xy[:, None, 1] - np.array([UPPINGHAM, OAKHAM, KETTON])[None, :, 1]) / 1000.0
    # plausible drive times: never faster than 100 km/h in a straight line, nor slower than 20 km/h
    assert (m[beyond] >= km[beyond] * 0.6).all() and (m[beyond] <= km[beyond] * 3.0 + 3.0).all()


def test_corby_from_uppingham_is_a_plausible_mixed_trip(mixed, cross_border):
    corby = cross_border[cross_border["postcode"].astype(str).str.startswith("NN17")]
    assert len(corby) >= 3
    res = mixed.nearest(_xy(corby), np.array([UPPINGHAM]))
    assert res.origin_method is not None and res.origin_method[0] == "mixed"
    # ~10 km in a straight line by the A6003: a 10-20 minute drive, with its range around it
    assert 8.0 < res.minutes[0] < 20.0
    assert res.minutes_low[0] < res.minutes[0] < res.minutes_high[0]


def test_ketton_to_stamford_stays_short(mixed, cross_border):
    """Stamford's pharmacies, just over the border, are minutes from Ketton -- not 40."""
    stamford = cross_border[cross_border["postcode"].astype(str).str.match(r"PE9 [12]")]
    assert len(stamford) >= 3
    res = mixed.nearest(_xy(stamford), np.array([KETTON]))
    assert 5.0 < res.minutes[0] < 15.0


def test_nearest_agrees_with_the_matrix(mixed, cross_border, rutland_buffered):
    oxy = rutland_buffered.all_lsoas[["easting", "northing"]].to_numpy(float)
    xy = _xy(cross_border)
    res = mixed.nearest(xy, oxy)
    m = mixed.site_origin_minutes(xy, oxy)
    assert np.allclose(np.nanmin(m, axis=0), res.minutes, atol=1e-6)
    assert set(res.origin_method) == {"network", "mixed", "estimate"}
    roads = res.origin_method == "network"
    assert np.array_equal(res.minutes_low[roads], res.minutes[roads])
    assert np.array_equal(res.minutes_high[roads], res.minutes[roads])
    assert (res.minutes_low[~roads] < res.minutes[~roads]).all()
    assert (res.minutes_high[~roads] > res.minutes[~roads]).all()


def test_adding_a_site_beyond_the_roads_never_lengthens_a_trip(mixed, cross_border, rutland_buffered):
    oxy = rutland_buffered.all_lsoas[["easting", "northing"]].to_numpy(float)
    xy = _xy(cross_border)
    one_less = mixed.nearest(xy[1:], oxy).minutes
    assert (mixed.nearest(xy, oxy).minutes <= one_less + 1e-9).all()


def test_mixed_times_match_the_full_network_on_a_cut_extract(drive, settings):
    """West half of the extract kept: the east is reached by the mixed method; the full
    network's road times are the independent reference."""
    cut = float(np.median(drive.node_x))
    half = NetworkRouter(clip_network(drive, drive.node_x < cut), settings=settings, mixed=True)
    full = NetworkRouter(drive, settings=settings)
    pc = pd.read_csv(settings.data_dir / "postcodes" / "postcodes_england.csv.gz",
                     usecols=["easting", "northing", "lad24cd"])
    pts = pc.loc[pc["lad24cd"] == "E06000017", ["easting", "northing"]].dropna().to_numpy(float)
    pts = pts[np.random.default_rng(3).choice(len(pts), 300, replace=False)]
    pts = pts[full.snap(pts)[1] < 200]
    east, west = pts[pts[:, 0] > cut + 1500], pts[pts[:, 0] < cut - 300]
    ref = full.site_origin_minutes(east, west)
    got = half.site_origin_minutes(east, west)
    err = (got - ref)[np.isfinite(ref)]
    assert np.isfinite(got).all()
    assert abs(np.median(err)) < 1.0 and np.mean(np.abs(err)) < 2.5
    res, best = half.nearest(east, west), full.nearest(east, west)
    assert (res.origin_method == "mixed").all()
    assert np.mean(np.abs(res.minutes - best.minutes)) < 1.5
    width = res.minutes_high - res.minutes_low
    assert (width > 0.5).all() and np.median(width) < 5.0, "the estimated leg's range, not a guess"


def test_study_label_counts_the_trips_with_an_estimated_leg(settings):
    study = Study(StudySpec(area="Rutland", services=("pharmacy",)), settings=settings)
    base = study.baseline_times
    assert (base.loc[base["in_area"], "method"] == "network").all()
    # trips on the roads carry the road router's own measured error (against Valhalla), no more
    assert ((base["minutes_low"] <= base["minutes"]) & (base["minutes"] <= base["minutes_high"])).all()
    assert "no trip from the area needs an estimated leg" in study.label
    beyond = base.attrs["sites_beyond_roads"]["site_id"]
    only_beyond = study.sites[study.sites["site_id"].isin(beyond)]
    t = study.times(sites=only_beyond)
    core = t[t["in_area"]]
    assert (core["method"] == "mixed").all()
    assert "26 of 26 neighbourhoods' trips have an estimated leg" in t.attrs["label"]
    assert ((core["minutes_low"] < core["minutes"]) & (core["minutes"] < core["minutes_high"])).all()
    assert t.attrs["warnings"] == ["no pharmacy sites inside Rutland: all 63 sites counted are across the border"]
