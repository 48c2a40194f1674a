"""Routing benchmark: this engine vs networkx, pandana and a bare scipy call, in one run.

1. Real Rutland drive network (OpenStreetMap 2018, the bundle): the nearest-site table for
   every LSOA of Rutland plus a 10 km ring, for each site type (hubs, pharmacies) and for all
   types together, after the network is loaded.  Peers on the same graph and the same snapped
   nodes: networkx ``multi_source_dijkstra`` (what osmnx users do), pandana
   ``nearest_pois`` (contraction hierarchies) and one bare ``scipy.sparse.csgraph.dijkstra``
   ``min_only`` call.  Times must agree within 0.1 s.
2. Scale: a SYNTHETIC 1,000 x 1,000 grid road network (1M nodes, 4M directed edges, random
   speeds) with 11,000 sites and 33,755 origins (England's pharmacies and LSOAs).

Machines are shared and noisy, so the script prints ratios (peer / ours) measured in the same
run; absolute seconds are shown only for context.  Run: ``python benchmarks/bench_routing.py``.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.config import Settings
from geo.data.areas import select_area
from geo.data.sites import load_sites
from geo.travel.network import Network, read_network
from geo.travel.routing import NetworkRouter


def best_of(fn, repeat: int = 5) -> tuple[float, object]:
    """Fastest wall time of ``repeat`` runs, and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def rutland(settings: Settings) -> list[tuple[str, float]]:
    import networkx as nx
    import pandana
    from scipy.sparse.csgraph import dijkstra

    pbf = settings.data_dir / "networks" / "rutland-2018.osm.pbf"
    t = time.perf_counter()
    net = read_network(pbf, mode="drive", settings=settings)
    load_s = time.perf_counter() - t
    area = select_area("Rutland", settings=settings, buffer_km=10)
    sites = load_sites(settings, area=area, types=["hub", "pharmacy", "nsp"])
    router = NetworkRouter(net, settings=settings)
    oxy = area.all_lsoas[["easting", "northing"]].to_numpy(float)
    groups = {"all": np.ones(len(sites), bool)} | {
        t_: (sites["site_type"] == t_).to_numpy() for t_ in sorted(sites["site_type"].unique())}
    print(f"Rutland drive network: {net.n_nodes:,} nodes, {net.n_edges:,} edges; cache load "
          f"{load_s * 1000:.0f} ms; {len(oxy)} LSOA origins; {len(sites)} sites "
          f"({', '.join(f'{k} {int(v.sum())}' for k, v in groups.items())})")

    # Same snapped nodes for every engine: sites and origins moved onto their nodes.
    s_nodes, _, _ = router.snap(sites[["easting", "northing"]].to_numpy(float))
    o_nodes, _, o_secs = router.snap(oxy)
    o_nodes = o_nodes[np.isfinite(o_secs)]
    sxy = np.column_stack([net.node_x[s_nodes], net.node_y[s_nodes]])
    nxy = np.column_stack([net.node_x[o_nodes], net.node_y[o_nodes]])

    def ours() -> dict[str, np.ndarray]:
        return {k: router.nearest(sxy[m], nxy).minutes for k, m in groups.items()}

    t_ours, r_ours = best_of(ours)

    graph_t = router.csr_to_site

    def bare() -> dict[str, np.ndarray]:
        return {k: dijkstra(graph_t, indices=np.unique(s_nodes[m]), min_only=True)[o_nodes] / 60.0
                for k, m in groups.items()}

    t_bare, r_bare = best_of(bare)

    g = nx.DiGraph()
    csr = net.csr.tocoo()
    g.add_weighted_edges_from(zip(csr.col.tolist(), csr.row.tolist(), csr.data.tolist()))  # reversed

    def networkx_() -> dict[str, np.ndarray]:
        out = {}
        for k, m in groups.items():
            d, _paths = nx.multi_source_dijkstra(g, set(s_nodes[m].tolist()), weight="weight")
            out[k] = np.array([d.get(int(o), np.inf) for o in o_nodes]) / 60.0
        return out

    t_nx, r_nx = best_of(networkx_, repeat=2)

    # pandana: impedance in milliseconds (its contraction hierarchy rounds weights)
    import pandas as pd

    node_ids = pd.Index(np.arange(net.n_nodes))
    pnet = pandana.Network(pd.Series(net.node_x, index=node_ids), pd.Series(net.node_y, index=node_ids),
                           pd.Series(csr.row), pd.Series(csr.col),
                           pd.DataFrame({"ms": csr.data.astype(float) * 1000}), twoway=False)

    def pandana_() -> dict[str, np.ndarray]:
        out = {}
        for k, m in groups.items():
            pnet.set_pois(category=k, maxdist=7.2e6, maxitems=1, x_col=sxy[m, 0], y_col=sxy[m, 1])
            res = pnet.nearest_pois(7.2e6, k, num_pois=1)
            out[k] = res[1].reindex(o_nodes).to_numpy() / 60_000.0
        return out

    pnet.init_pois(num_categories=len(groups), max_dist=7.2e6, max_pois=1)
    t_pd, r_pd = best_of(pandana_, repeat=2)

    for name, res in (("bare scipy", r_bare), ("networkx", r_nx), ("pandana", r_pd)):
        worst = max(np.nanmax(np.abs(res[k] - r_ours[k])) * 60 for k in groups)
        status = "OK" if worst <= 0.1 else "MISMATCH"
        print(f"  agreement with {name:<10}: max |diff| {worst:.4f} s  {status}")
    print(f"  ours {t_ours * 1000:.1f} ms | bare scipy {t_bare * 1000:.1f} ms | "
          f"networkx {t_nx * 1000:.0f} ms | pandana {t_pd * 1000:.1f} ms")
    return [("networkx / ours (goal >= 20x)", t_nx / t_ours),
            ("pandana / ours", t_pd / t_ours),
            ("ours / bare scipy (goal <= 3x)", t_ours / t_bare),
            ("cache load seconds (goal <= 1)", load_s)]


def synthetic_grid(side: int = 1000, seed: int = 3) -> Network:
    """SYNTHETIC grid road network: side x side nodes 100 m apart, random 20-100 km/h."""
    rng = np.random.default_rng(seed)
    ids = np.arange(side * side).reshape(side, side)
    right = np.column_stack([ids[:, :-1].ravel(), ids[:, 1:].ravel()])
    down = np.column_stack([ids[:-1, :].ravel(), ids[1:, :].ravel()])
    pairs = np.vstack([right, down])
    u = np.concatenate([pairs[:, 0], pairs[:, 1]])
    v = np.concatenate([pairs[:, 1], pairs[:, 0]])
    metres = np.full(len(u), 100.0)
    kph = rng.uniform(20, 100, len(u))
    x0, y0 = 400_000.0, 200_000.0
    yy, xx = np.divmod(np.arange(side * side), side)
    return Network(mode="drive", node_x=x0 + xx * 100.0, node_y=y0 + yy * 100.0,
                   osmid=np.arange(side * side), edge_u=u.astype(np.int32), edge_v=v.astype(np.int32),
                   edge_metres=metres, edge_seconds=metres / (kph / 3.6), source="synthetic grid")


def scale(settings: Settings) -> list[tuple[str, float]]:
    from scipy.sparse.csgraph import dijkstra

    t = time.perf_counter()
    net = synthetic_grid()
    router = NetworkRouter(net, settings=settings)
    build_s = time.perf_counter() - t
    rng = np.random.default_rng(11)
    span = 100_000.0
    sxy = np.column_stack([400_000 + rng.uniform(0, span, 11_000), 200_000 + rng.uniform(0, span, 11_000)])
    oxy = np.column_stack([400_000 + rng.uniform(0, span, 33_755), 200_000 + rng.uniform(0, span, 33_755)])
    t_ours, res = best_of(lambda: router.nearest(sxy, oxy), repeat=3)
    s_nodes, _, _ = router.snap(sxy)
    t_bare, _ = best_of(lambda: dijkstra(router.csr_to_site, indices=np.unique(s_nodes), min_only=True),
                        repeat=3)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"SYNTHETIC grid: {net.n_nodes:,} nodes, {net.n_edges:,} edges (built + indexed in "
          f"{build_s:.1f} s); 11,000 sites, 33,755 origins: ours {t_ours:.2f} s, bare scipy "
          f"{t_bare:.2f} s; reached {np.isfinite(res.minutes).mean():.0%}; peak RSS {peak_mb:,.0f} MB")
    return [("scale: seconds for 1M nodes (goal <= 3)", t_ours), ("scale: ours / bare scipy", t_ours / t_bare),
            ("scale: peak memory MB (goal <= 2048)", peak_mb)]


def main() -> None:
    settings = Settings.from_env()
    rows = rutland(settings) + scale(settings)
    print("\nratios and goals")
    for name, value in rows:
        print(f"  {name:<42} {value:8.2f}")


if __name__ == "__main__":
    main()
