"""Streaming .osm.pbf loader (geo.travel.pbf) against today's pyrosm loader on the real Rutland extract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from geo.config import Settings
from geo.travel.network import read_pbf_pyrosm
from geo.travel.pbf import MODE_BITS, read_pbf_networks, way_modes

pytest.importorskip("osmium")


def _edges(net):
    key = np.column_stack([net.osmid[net.edge_u], net.osmid[net.edge_v]])
    order = np.lexsort((net.edge_seconds, key[:, 1], key[:, 0]))
    return key[order], net.edge_seconds[order], net.edge_metres[order]


@pytest.mark.slow
@pytest.mark.parametrize("passes", [1, 2])
def test_equal_to_pyrosm_on_rutland(rutland_pbf: Path, settings: Settings, passes: int) -> None:
    """One pass (county files) and two passes (large files: road nodes only) read the same network
    as pyrosm."""
    pytest.importorskip("pyrosm")
    ours = read_pbf_networks(rutland_pbf, modes=("drive", "walk", "cycle"), settings=settings, passes=passes)
    for mode, net in ours.items():
        ref = read_pbf_pyrosm(rutland_pbf, mode, settings)
        assert (net.n_nodes, net.n_edges) == (ref.n_nodes, ref.n_edges), mode
        assert np.array_equal(np.sort(net.osmid), np.sort(ref.osmid))
        (k1, s1, m1), (k2, s2, m2) = _edges(net), _edges(ref)
        assert np.array_equal(k1, k2), mode
        np.testing.assert_allclose(s1, s2, rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(m1, m2, atol=1e-3)
        np.testing.assert_allclose(np.sort(net.node_x), np.sort(ref.node_x), atol=0.01)
        assert net.notes == ref.notes
    assert ours["drive"].n_edges < ours["walk"].n_edges


def test_way_modes_follow_osm_access_rules() -> None:
    drive, walk, cycle = MODE_BITS["drive"], MODE_BITS["walk"], MODE_BITS["cycle"]
    assert way_modes({"highway": "residential"}.get) == drive | walk | cycle
    assert way_modes({"highway": "motorway"}.get) == drive
    assert way_modes({"highway": "footway"}.get) == walk
    assert way_modes({"highway": "cycleway"}.get) == cycle
    assert way_modes({"highway": "residential", "access": "private"}.get) == 0
    assert way_modes({"highway": "residential", "access": "no", "foot": "yes"}.get) == walk
    assert way_modes({"highway": "service", "service": "parking_aisle"}.get) == walk | cycle
    assert way_modes({"highway": "primary", "sidewalk": "separate"}.get) == drive | cycle
    assert way_modes({"highway": "residential", "access": "private;delivery"}.get) == 0
    assert way_modes({"highway": "pedestrian", "area": "yes"}.get) == 0
    assert way_modes({"highway": "proposed"}.get) == 0
