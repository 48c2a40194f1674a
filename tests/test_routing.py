"""Routing on the real Rutland roads, checked against networkx as an oracle."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from geo._errors import InputError
from geo.travel.estimate import EstimateRouter
from geo.travel.network import read_network
from geo.travel.routing import NetworkRouter, Router, make_router, nearest_from_matrix


@pytest.fixture(scope="module")
def router(rutland_pbf, settings):
    return NetworkRouter(read_network(rutland_pbf, mode="drive", settings=settings), settings=settings)


def _nx_graph(net):
    g = nx.DiGraph()
    w = {}
    for u, v, s in zip(net.edge_u.tolist(), net.edge_v.tolist(), net.edge_seconds.tolist()):
        if (u, v) not in w or s < w[(u, v)]:
            w[(u, v)] = max(s, 1e-3)
    g.add_weighted_edges_from((u, v, s) for (u, v), s in w.items())
    return g


def test_router_protocol(router, settings):
    assert isinstance(router, Router)
    assert isinstance(EstimateRouter(settings=settings), Router)
    assert router.method == "network" and router.mode == "drive"


def test_nearest_matches_networkx_oracle(router):
    net = router.network
    rng = np.random.default_rng(7)
    main = np.flatnonzero(net.main_component)
    site_nodes = rng.choice(main, 5, replace=False)
    origin_nodes = rng.choice(main, 200, replace=False)
    sxy = np.column_stack([net.node_x[site_nodes], net.node_y[site_nodes]])
    oxy = np.column_stack([net.node_x[origin_nodes], net.node_y[origin_nodes]])
    res = router.nearest(sxy, oxy)
    # oracle: origin -> nearest site on the directed graph = multi-source search on the reverse
    g = _nx_graph(net).reverse(copy=True)
    dist = nx.multi_source_dijkstra_path_length(g, set(site_nodes.tolist()), weight="weight")
    expect = np.array([dist.get(int(o), np.inf) for o in origin_nodes]) / 60.0
    assert np.allclose(res.minutes, expect, atol=1e-3, equal_nan=False)
    assert np.all(res.origin_snap_metres < 1e-6)
    # the nearest site really is the nearest
    matrix = router.site_origin_minutes(sxy, oxy)
    assert np.allclose(np.nanmin(matrix, axis=0), res.minutes, atol=1e-6)
    assert (np.argmin(matrix, axis=0) == res.site_index).mean() > 0.99  # ties may differ


def test_one_way_direction(router):
    """Travel to a site honours one-way streets: A->B and B->A differ somewhere."""
    net = router.network
    main = np.flatnonzero(net.main_component)
    rng = np.random.default_rng(1)
    pts = rng.choice(main, 40, replace=False)
    xy = np.column_stack([net.node_x[pts], net.node_y[pts]])
    m = router.site_origin_minutes(xy, xy)
    assert np.nanmax(np.abs(m - m.T)) > 0.05
    assert np.allclose(np.diag(m), 0, atol=0.01)


def test_snap_legs_and_unsnapped_reported(router, settings):
    far = np.array([[600_000.0, 300_000.0]])  # in the North Sea off Norfolk: > 1.5 km from roads
    oakham = np.array([[485_900.0, 308_800.0]])
    res = router.nearest(oakham, np.vstack([oakham + 300, far]))
    assert np.isfinite(res.minutes[0]) and np.isnan(res.minutes[1])
    assert res.site_index.tolist()[1] == -1 and res.unsnapped_origins.tolist() == [1]
    assert 0 < res.origin_snap_metres[0] < 500


def test_max_minutes_limits(router):
    net = router.network
    site = np.array([[net.node_x[0], net.node_y[0]]])
    oxy = np.column_stack([net.node_x[::50], net.node_y[::50]])
    full = router.nearest(site, oxy)
    lim = router.nearest(site, oxy, max_minutes=5)
    within = full.minutes <= 5
    assert np.allclose(lim.minutes[within], full.minutes[within])
    assert np.isnan(lim.minutes[~within]).all()
    m = router.site_origin_minutes(site, oxy, max_minutes=5)
    assert np.array_equal(np.isnan(m[0]), np.isnan(lim.minutes))


def test_deterministic(router):
    net = router.network
    xy = np.column_stack([net.node_x[:300:7], net.node_y[:300:7]])
    runs = [router.site_origin_minutes(xy[:5], xy) for _ in range(3)]
    assert all(np.array_equal(runs[0], r, equal_nan=True) for r in runs)


def test_bad_coordinates(router):
    with pytest.raises(InputError, match=r"\(n, 2\)"):
        router.nearest(np.zeros((2, 3)), np.zeros((2, 2)))
    with pytest.raises(InputError, match="row 1"):
        router.nearest(np.zeros((1, 2)), np.array([[1.0, 2.0], [np.nan, 1.0]]))


def test_make_router_auto(rutland, northants, settings):
    r = make_router("drive", area=rutland, settings=settings)
    assert r.method == "network"
    e = make_router("drive", area=northants, settings=settings)
    assert e.method == "estimate" and "ESTIMATE" in e.label
    assert make_router("walk", area=rutland, settings=settings, network="none").method == "estimate"
    with pytest.raises(InputError, match="unknown travel mode"):
        make_router("teleport", area=rutland, settings=settings)


def test_nearest_from_matrix_empty():
    res = nearest_from_matrix(np.zeros((0, 3)), method="estimate")
    assert res.site_index.tolist() == [-1, -1, -1] and np.isnan(res.minutes).all()


def _line_network(*, one_way: bool = False):
    """Nodes 0-1-2 on a straight road east-west, 1 km apart, 100 s per edge (a synthetic oracle);
    ``one_way``: eastbound only, with a long way back (2 -> 3 -> 0, 1000 s each) through node 3."""
    from geo.travel.graph import Network

    x, y = [0.0, 1000.0, 2000.0], [0.0, 0.0, 0.0]
    u, v, secs = [0, 1], [1, 2], [100.0, 100.0]
    if one_way:
        x, y = [*x, 1000.0], [*y, -5000.0]
        u, v, secs = [*u, 2, 3], [*v, 3, 0], [*secs, 1000.0, 1000.0]
    else:
        u, v, secs = [*u, 1, 2], [*v, 0, 1], [*secs, 100.0, 100.0]
    return Network(mode="drive" if one_way else "walk", node_x=np.array(x), node_y=np.array(y),
                   osmid=np.arange(len(x)), edge_u=np.array(u, dtype=np.int32),
                   edge_v=np.array(v, dtype=np.int32), edge_metres=np.array(secs) * 10.0,
                   edge_seconds=np.array(secs), source="synthetic line")


def test_points_snap_onto_the_nearest_edge_with_its_partial_time(settings):
    """A point beside the middle of an edge joins the road there (as Valhalla does), not at a node:
    the perpendicular connector at the connector speed plus its share of the edge."""
    from geo.travel.snapping import connector_seconds

    net = _line_network()
    router = NetworkRouter(net, settings=settings)
    site = np.array([[2000.0, 0.0]])
    origin = np.array([[1300.0, 40.0]])  # 40 m north of the road, 30% along the second edge
    _, metres, _ = router.snap(origin)
    assert metres[0] == pytest.approx(40.0)
    leg = float(connector_seconds(np.array([40.0]), net.mode)[0])
    res = router.nearest(site, origin)
    assert res.minutes[0] * 60.0 == pytest.approx(leg + 70.0)
    assert router.site_origin_minutes(site, origin)[0, 0] * 60.0 == pytest.approx(leg + 70.0)
    # and arriving: a site beside the road is reached over its share of the edge
    back = router.site_origin_minutes(origin, site)[0, 0] * 60.0
    assert back == pytest.approx(leg + 70.0)


def test_edge_snapping_honours_one_way_streets(settings):
    """On a one-way road (west to east) a point can only leave eastwards and be reached from the west."""
    from geo.travel.snapping import connector_seconds

    net = _line_network(one_way=True)
    router = NetworkRouter(net, settings=settings)
    point = np.array([[1300.0, 40.0]])
    leg = float(connector_seconds(np.array([40.0]), net.mode)[0])
    east, west = np.array([[2000.0, 0.0]]), np.array([[0.0, 0.0]])
    assert router.site_origin_minutes(east, point)[0, 0] * 60.0 == pytest.approx(leg + 70.0)
    # westwards it must ride on east and round the long way back
    assert router.site_origin_minutes(west, point)[0, 0] * 60.0 == pytest.approx(leg + 70.0 + 2000.0)
    assert router.site_origin_minutes(point, west)[0, 0] * 60.0 == pytest.approx(leg + 130.0)
