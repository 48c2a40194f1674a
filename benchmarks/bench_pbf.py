"""PBF loading benchmark: the streaming pyosmium loader (geo.travel.pbf) vs pyrosm, in one run.

1. Real Rutland extract (OpenStreetMap 2018, the bundle): drive network, ours vs pyrosm
   (``geo.travel.network.read_pbf_pyrosm``, today's reference loader; results are equal, see
   tests/test_pbf.py).
2. A SYNTHETIC England-sized file written here with pyosmium's writer: ``--nodes`` nodes (default
   5,000,000) on a grid over the East Midlands, joined by highway ways of 20 segments along rows
   and columns (mixed classes, some ``maxspeed``/``oneway`` tags).  pyrosm runs on it only under
   a memory cap (``--pyrosm-cap-gb``, default 8) and a time limit; if it does not fit it is
   reported as failed.

Every load runs in a fresh subprocess (nothing cached, pyrosm's disk cache in a fresh temp
dir), which reports wall seconds and its peak RSS.  Ratios (pyrosm / ours) are measured in the
same run; absolute figures depend on this shared machine.

Run: ``python benchmarks/bench_pbf.py [--nodes 5000000] [--skip-pyrosm-big]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RUNNER = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from geo.config import Settings
loader, path, cap_gb = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3])
if cap_gb > 0:
    cap = int(cap_gb * 1024 ** 3)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
s = Settings.from_env()
t = time.perf_counter()
use0 = resource.getrusage(resource.RUSAGE_SELF)
cpu0 = use0.ru_utime + use0.ru_stime
ways = None
if loader == "ours":
    from geo.travel.pbf import network_from_ways, read_ways
    table = read_ways(path)
    net = network_from_ways(table, mode="drive", settings=s)
    ways = table.ways_read
elif loader == "ours-3-modes":
    from geo.travel.pbf import network_from_ways, read_ways
    table = read_ways(path)
    nets = [network_from_ways(table, mode=m, settings=s) for m in ("drive", "walk", "cycle")]
    net, ways = nets[0], table.ways_read
else:
    from geo.travel.network import read_pbf_pyrosm
    net = read_pbf_pyrosm(path, "drive", s)
secs = time.perf_counter() - t
use = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{"seconds": secs, "cpu_seconds": use.ru_utime + use.ru_stime - cpu0,
                  "rss_mb": use.ru_maxrss / 1024, "nodes": net.n_nodes, "edges": net.n_edges,
                  "ways": ways}}))
"""


def run_loader(loader: str, path: Path, *, cap_gb: float = 0.0, timeout_s: float = 600.0) -> dict:
    """One load in a fresh subprocess; ``{"error": ...}`` when it fails or times out."""
    code = RUNNER.format(root=str(ROOT))
    with tempfile.TemporaryDirectory(prefix="bench-pbf-") as tmp:
        env = {**os.environ, "TMPDIR": tmp, "GEO_CACHE_DIR": tmp}
        try:
            proc = subprocess.run([sys.executable, "-c", code, loader, str(path), str(cap_gb)],
                                  capture_output=True, text=True, timeout=timeout_s, env=env, check=False)
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {timeout_s:.0f} s"}
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return {"error": f"exit {proc.returncode}: {last[:160]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def write_synthetic(path: Path, n_nodes: int, *, segments_per_way: int = 20) -> int:
    """A SYNTHETIC grid road network as .osm.pbf; returns the number of ways.

    The grid is written as OSM OPL text with numpy/pandas, then converted to PBF by libosmium
    (``osmium.apply`` with a ``WriteHandler``: no Python call per object).
    """
    import osmium
    import pandas as pd

    side = int(np.ceil(np.sqrt(n_nodes)))
    lon0, lat0, step = -1.9, 52.0, 0.0004  # ~40 m x 44 m cells: about 90 x 100 km for 5M nodes
    ids = np.arange(1, side * side + 1, dtype=np.int64).reshape(side, side)
    rows, cols = np.divmod(ids.ravel() - 1, side)
    opl = path.with_suffix(".opl")
    # a grid has only ``side`` distinct longitudes and latitudes: format those once
    lon_text = np.array([f"x{lon0 + c * step * 1.5:.7f}" for c in range(side)])
    lat_text = np.array([f"y{lat0 + r * step:.7f}" for r in range(side)])
    nodes = pd.DataFrame({"id": np.char.add("n", ids.ravel().astype(str)), "v": "v1",
                          "x": lon_text[cols], "y": lat_text[rows]})
    nodes.to_csv(opl, sep=" ", header=False, index=False)
    classes = ("residential", "residential", "unclassified", "tertiary", "secondary", "primary",
               "service", "footway", "track", "trunk")
    way_id = 0
    with opl.open("a") as fh:
        for axis in (0, 1):
            lines = ids if axis == 0 else ids.T
            for i, line in enumerate(lines):
                for start in range(0, side - 1, segments_per_way):
                    way_id += 1
                    hw = classes[(i + start) % len(classes)]
                    tags = [f"highway={hw}"]
                    if way_id % 7 == 0:
                        tags.append("maxspeed=30%20%mph")
                    if way_id % 11 == 0 and hw in {"residential", "tertiary"}:
                        tags.append("oneway=yes")
                    refs = ",".join(f"n{r}" for r in line[start:start + segments_per_way + 1])
                    fh.write(f"w{way_id} v1 T{','.join(tags)} N{refs}\n")
    writer = osmium.WriteHandler(str(path))
    osmium.apply(osmium.io.Reader(str(opl)), writer)
    writer.close()
    opl.unlink()
    return way_id


def write_synthetic_england(path: Path, n_nodes: int, *, road_share: float = 0.2,
                            segments_per_way: int = 10, column_every: int = 5, chunk: int = 4_000_000) -> dict:
    """A SYNTHETIC file with England's shape: ``n_nodes`` nodes, ~``road_share`` of them on roads.

    England's OpenStreetMap extract holds ~170M nodes of which ~35M lie on highway ways; the rest
    belong to buildings, land use and so on.  Here: node ids spread over 1..~12 billion like real
    ids (so id sets and location indexes see a realistic id range), every 5th node a road node
    on a grid (~40 m cells) joined by highway ways of ``segments_per_way`` segments along every
    row and every ``column_every``-th column (about one way-node reference per road node, as in
    England), and every other node in closed 8-node building ways.  Coordinates carry a few metres
    of pseudo-random jitter, so the file does not delta-code to almost nothing as a bare grid does.  Written in chunks of OSM OPL
    text through one libosmium writer (pyosmium's ``WriteHandler``), so the disk holds one chunk
    of text at a time.  Returns counts.
    """
    import osmium

    side = int(np.sqrt(n_nodes * road_share))
    n_road = side * side
    k_all = np.arange(n_nodes, dtype=np.int64)
    node_id = 1 + k_all * 70 + (k_all * 7919) % 61  # strictly increasing, up to ~70 x n_nodes
    is_road = (k_all % 5 == 0) & (k_all // 5 < n_road)
    lon0, lat0, step = -1.9, 52.0, 0.0004
    opl = path.with_suffix(".chunk.opl")
    writer = osmium.WriteHandler(str(path))

    def flush(lines_written: int) -> None:
        if lines_written:
            osmium.apply(osmium.io.Reader(str(opl)), writer)
        opl.unlink(missing_ok=True)

    for start in range(0, n_nodes, chunk):  # nodes, in id order
        k = k_all[start:start + chunk]
        j = np.where(is_road[k], k // 5, (k // 5) % max(n_road, 1))
        jitter = ((node_id[k] * 2654435761) % 1000 - 500) * 1e-7  # +-5 m: coordinates that do not
        lon = lon0 + (j % side) * step * 1.5 + jitter + np.where(is_road[k], 0.0, 0.0001 * (1 + k % 5))
        lat = lat0 + (j // side) * step - jitter + np.where(is_road[k], 0.0, 0.0001 * (k % 3))
        with opl.open("w") as fh:
            np.savetxt(fh, np.column_stack([node_id[k], lon, lat]), fmt="n%d v1 x%.7f y%.7f")
        flush(len(k))
    road_ids = node_id[np.flatnonzero(is_road)].reshape(side, side)
    classes = ("residential", "residential", "unclassified", "tertiary", "secondary", "primary",
               "service", "footway", "track", "trunk")
    way_id, road_ways, lines = 0, 0, 0
    fh = opl.open("w")
    for axis in (0, 1):
        grid = road_ids if axis == 0 else road_ids[:, ::column_every].T
        for i, line in enumerate(grid):
            for first in range(0, side - 1, segments_per_way):
                way_id += 1
                hw = classes[(i + first) % len(classes)]
                tags = f"highway={hw}" + (",maxspeed=30%20%mph" if way_id % 7 == 0 else "")
                if way_id % 11 == 0 and hw in {"residential", "tertiary"}:
                    tags += ",oneway=yes"
                refs = ",".join(f"n{r}" for r in line[first:first + segments_per_way + 1])
                fh.write(f"w{way_id} v1 T{tags} N{refs}\n")
                lines += 1
                if lines >= chunk // 4:
                    fh.close()
                    flush(lines)
                    fh, lines = opl.open("w"), 0
    road_ways = way_id
    building_nodes = node_id[np.flatnonzero(~is_road)]
    rings = building_nodes[: len(building_nodes) // 8 * 8].reshape(-1, 8)
    for start in range(0, len(rings), chunk // 4):
        block = rings[start:start + chunk // 4]
        ids = np.arange(way_id + 1, way_id + 1 + len(block))
        way_id += len(block)
        fmt = "w%d v1 Tbuilding=yes N" + ",".join(["n%d"] * 9)
        np.savetxt(fh, np.column_stack([ids, block, block[:, :1]]), fmt=fmt)
        fh.close()
        flush(len(block) + lines)
        fh, lines = opl.open("w"), 0
    fh.close()
    flush(lines)
    writer.close()
    return {"nodes": n_nodes, "road_nodes": n_road, "road_ways": road_ways,
            "building_ways": way_id - road_ways, "max_node_id": int(node_id[-1])}


def row(label: str, res: dict) -> str:
    if "error" in res:
        return f"  {label:<26} FAILED ({res['error']})"
    wpm = f"{res['ways'] / res['seconds'] * 60:,.0f} ways/min" if res.get("ways") else ""
    cpu = f" (CPU {res['cpu_seconds']:.1f} s)" if "cpu_seconds" in res else ""
    return (f"  {label:<26} {res['seconds']:7.2f} s{cpu}   peak RSS {res['rss_mb']:7,.0f} MB   "
            f"{res['nodes']:,} nodes / {res['edges']:,} edges   {wpm}")


def ratio(ref: dict, ours: dict, key: str) -> str:
    if "error" in ref or "error" in ours:
        return "n/a"
    return f"{ref[key] / ours[key]:.2f}x"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=5_000_000, help="synthetic file size (nodes)")
    ap.add_argument("--skip-pyrosm-big", action="store_true", help="do not run pyrosm on the synthetic file")
    ap.add_argument("--pyrosm-cap-gb", type=float, default=8.0, help="address-space cap for pyrosm (GB)")
    ap.add_argument("--timeout", type=float, default=600.0, help="per-load time limit (s)")
    ap.add_argument("--keep", type=Path, default=None,
                    help="write the synthetic file here (or reuse it if it exists) instead of a temp dir")
    args = ap.parse_args()
    from geo.config import Settings

    s = Settings.from_env()
    rutland = s.data_dir / "networks" / "rutland-2018.osm.pbf"
    print(f"1. Rutland 2018 extract ({rutland.stat().st_size / 1e6:.1f} MB), drive network, fresh process each")
    ours = run_loader("ours", rutland)
    ref = run_loader("pyrosm", rutland)
    print(row("ours (pyosmium, streaming)", ours))
    print(row("pyrosm", ref))
    print(f"  ratio pyrosm/ours: time {ratio(ref, ours, 'seconds')}, CPU {ratio(ref, ours, 'cpu_seconds')}, "
          f"peak RSS {ratio(ref, ours, 'rss_mb')}")

    with tempfile.TemporaryDirectory(prefix="bench-pbf-synthetic-") as tmp:
        big = args.keep or Path(tmp) / "synthetic_grid.osm.pbf"
        t = time.perf_counter()
        if big.is_file():
            from geo.travel.pbf import read_ways

            n_ways, how = read_ways(big).ways_read, "reused"
        else:
            n_ways, how = write_synthetic(big, args.nodes), "written"
        print(f"\n2. SYNTHETIC grid: {args.nodes:,} nodes, {n_ways:,} highway ways, "
              f"{big.stat().st_size / 1e6:.0f} MB ({how} in {time.perf_counter() - t:.0f} s)")
        ours_big = run_loader("ours", big, timeout_s=args.timeout)
        print(row("ours (pyosmium, streaming)", ours_big))
        ours3 = run_loader("ours-3-modes", big, timeout_s=args.timeout)
        print(row("ours, drive+walk+cycle", ours3))
        if args.skip_pyrosm_big:
            print("  pyrosm                     skipped (--skip-pyrosm-big)")
        else:
            ref_big = run_loader("pyrosm", big, cap_gb=args.pyrosm_cap_gb, timeout_s=args.timeout)
            print(row(f"pyrosm (cap {args.pyrosm_cap_gb:g} GB)", ref_big))
            print(f"  ratio pyrosm/ours: time {ratio(ref_big, ours_big, 'seconds')}, "
                  f"CPU {ratio(ref_big, ours_big, 'cpu_seconds')}, peak RSS {ratio(ref_big, ours_big, 'rss_mb')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
