"""Road networks from the real Rutland OSM extract: speeds, one-way streets, cache."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from geo._errors import InputError, NetworkError
from geo.travel.graph import Network, to_csr
from geo.travel.modes import TravelMode
from geo.travel.network import read_network
from geo.travel.rules import edge_speeds_kph, oneway_flags, parse_maxspeed_kph


@pytest.fixture(scope="module")
def drive(rutland_pbf, settings):
    return read_network(rutland_pbf, mode="drive", settings=settings)


@pytest.fixture(scope="module")
def walk(rutland_pbf, settings):
    return read_network(rutland_pbf, mode="walk", settings=settings)


def test_maxspeed_parsing():
    hw = pd.Series(["primary", "primary", "motorway", "trunk", "residential", "primary", "primary"])
    ms = pd.Series(["30 mph", "50", "national", "GB:nsl_dual", None, "30 mph;40 mph", "fast"])
    kph = parse_maxspeed_kph(ms, hw)
    assert kph[0] == pytest.approx(48.28, abs=0.01)
    assert kph[1] == 50
    assert kph[2] == pytest.approx(112.65) and kph[3] == pytest.approx(112.65)
    assert np.isnan(kph[4]) and np.isnan(kph[6])
    assert kph[5] == pytest.approx(48.28, abs=0.01)  # lowest of a list: the first is taken


def test_speeds_posted_and_class(settings):
    hw = pd.Series(["primary", "residential", "service"])
    ms = pd.Series(["60 mph", None, "60 mph"])
    kph, posted = edge_speeds_kph(hw, ms, mode=TravelMode.DRIVE, settings=settings)
    assert kph[0] == pytest.approx(96.56 * 0.85, abs=0.01)
    assert kph[1] == settings.drive_speeds_kph["residential"]
    assert kph[2] == pytest.approx(16.0 * 1.25) and posted.tolist() == [True, False, True]
    walk_kph, _ = edge_speeds_kph(hw, ms, mode=TravelMode.WALK, settings=settings)
    assert (walk_kph == 4.8).all()


def test_oneway_flags():
    fwd, rev = oneway_flags(pd.Series(["yes", "-1", None, "no", None]),
                            pd.Series(["primary", "primary", "motorway", "motorway", "tertiary"]),
                            pd.Series([None, None, None, None, "roundabout"]))
    assert fwd.tolist() == [True, False, True, False, True]
    assert rev.tolist() == [False, True, False, False, False]


def test_csr_keeps_minimum_of_parallel_edges():
    g = to_csr(np.array([0, 0, 1]), np.array([1, 1, 2]), np.array([5.0, 3.0, 0.0]), 3)
    assert g[0, 1] == 3.0  # not 8 (scipy would sum duplicates)
    assert g[1, 2] > 0  # zero weights clipped, never dropped


def test_real_rutland_drive_network(drive, walk):
    assert drive.n_nodes > 10_000 and drive.n_edges > 20_000
    assert drive.mode == "drive" and "rutland-2018.osm.pbf" in drive.label
    minx, miny, maxx, maxy = drive.bounds()
    assert 470_000 < minx < maxx < 510_000 and 290_000 < miny < maxy < 330_000  # Rutland, BNG
    speeds = drive.edge_metres / drive.edge_seconds * 3.6
    assert 10 < np.median(speeds) < 100 and speeds.max() <= 113
    # one-way streets: the drive graph lacks some reverse edges that the walk graph has
    pairs = set(zip(drive.edge_u.tolist(), drive.edge_v.tolist()))
    one_way = [(u, v) for u, v in pairs if (v, u) not in pairs]
    assert len(one_way) > 100
    assert walk.n_edges > drive.n_edges
    assert drive.main_component.mean() > 0.9


def test_second_load_from_cache_is_fast(rutland_pbf, settings, drive):
    start = time.perf_counter()
    again = read_network(rutland_pbf, mode="drive", settings=settings)
    assert time.perf_counter() - start < 1.0
    assert np.array_equal(again.edge_seconds, drive.edge_seconds) and again.key == drive.key


def test_osm_xml_reader_agrees_with_pbf(settings, drive):
    from geo.data.sources import get_dataset

    xml = get_dataset("rutland_highways_xml").path(settings.data_dir)
    if not xml.is_file():
        pytest.skip("highways XML missing from the bundle")
    net = read_network(xml, mode="drive", settings=settings)
    assert isinstance(net, Network) and net.mode == "drive"
    # pyrosm's driving filter drops service driveways/parking aisles that the XML keeps, so
    # compare what matters: times from every Rutland LSOA to the Oakham hub.
    from geo.data.tables import load_lsoa_table
    from geo.travel.routing import NetworkRouter

    table = load_lsoa_table(settings)
    oxy = table.loc[table["lad24nm"] == "Rutland", ["easting", "northing"]].to_numpy(float)
    hub = np.array([[486_000.0, 308_700.0]])
    a = NetworkRouter(net, settings=settings).nearest(hub, oxy).minutes
    b = NetworkRouter(drive, settings=settings).nearest(hub, oxy).minutes
    assert np.median(np.abs(a - b)) < 1.5 and np.corrcoef(a, b)[0, 1] > 0.95


def test_bad_network_inputs(tmp_path, rutland_pbf, settings):
    with pytest.raises(NetworkError, match="not found"):
        read_network(tmp_path / "nope.osm.pbf", settings=settings)
    bad = tmp_path / "roads.shp"
    bad.write_bytes(b"x")
    with pytest.raises(NetworkError, match="unknown network format"):
        read_network(bad, settings=settings)
    trunc = tmp_path / "truncated.osm.pbf"
    trunc.write_bytes(rutland_pbf.read_bytes()[:5000])
    with pytest.raises(NetworkError, match="truncated.osm.pbf"):
        read_network(trunc, settings=settings, use_cache=False)
    with pytest.raises(InputError, match="unknown network mode"):
        read_network(rutland_pbf, mode="fly", settings=settings)


@pytest.mark.network
def test_download_by_place_and_polygon(settings, rutland):
    """With internet: osmnx by place name and by the area polygon give routable networks."""
    from geo.travel.network import download_network, download_network_by_place

    by_place = download_network_by_place("Rutland, England", settings=settings)
    by_poly = download_network(rutland, settings=settings, buffer_metres=0)
    assert by_place.n_edges > 10_000 and by_poly.n_edges > 10_000


def test_download_offline_fails_clearly(settings, monkeypatch):
    import osmnx as ox

    from geo.travel.network import download_network_by_place

    def boom(*_a, **_k):
        raise ConnectionError("no route to host")

    monkeypatch.setattr(ox, "graph_from_place", boom)
    with pytest.raises(NetworkError, match="internet connection"):
        download_network_by_place("Rutland, England", settings=settings)
