"""PBF loading benchmark: the two-pass pyosmium loader (geo.travel.pbf) vs pyrosm, in one run.

1. Real Rutland extract (OpenStreetMap 2018, the bundle): drive network, ours vs pyrosm
   (``geo.travel.network.read_pbf_pyrosm``; the two give the same network, tests/test_pbf.py).
2. A SYNTHETIC file with England's shape (:func:`write_synthetic_england`: ~20% of the nodes on
   highway ways, the rest in buildings, ids spread like real ones) small enough for pyrosm
   (``--ratio-nodes``, default 10,000,000): ours vs pyrosm, the ratio.
3. The same at England's size (``--nodes``, default 170,000,000: ~34M road nodes, ~4M highway
   ways, ~17M building ways): ours alone -- peak RSS (goal <= 8 GB) and throughput, for the drive
   network and for drive + walk + cycle from one read.  pyrosm only with ``--pyrosm-big``.

Every load runs in a fresh subprocess (nothing cached, pyrosm's disk cache in a fresh temp
dir), which reports wall seconds, CPU seconds and its peak RSS.  Ratios (pyrosm / ours) are
measured in the same run; absolute figures depend on this shared machine.  The generated files
are deleted at the end unless ``--keep DIR`` is given (then they are reused on the next run).
Check ``free -g`` first: the England-size file takes ~15-40 min to write and the loader several GB.

Run: ``python benchmarks/bench_pbf.py [--nodes 170000000] [--ratio-nodes 10000000] [--keep DIR]``
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
ways = way_nodes = None
if loader.startswith("ours"):  # ours-<passes>[-3-modes]
    from geo.travel.pbf import network_from_ways, read_ways
    table = read_ways(path, passes=int(loader.split("-")[1]))
    ways, way_nodes = table.ways_read, len(table.node_id)
    from geo.travel.modes import TravelMode
    modes = TravelMode.road_modes() if loader.endswith("3-modes") else (TravelMode.DRIVE,)
    net = [network_from_ways(table, mode=m, settings=s) for m in modes][0]
else:
    from geo.travel.network import read_pbf_pyrosm
    net = read_pbf_pyrosm(path, "drive", s)
secs = time.perf_counter() - t
use = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{"seconds": secs, "cpu_seconds": use.ru_utime + use.ru_stime - cpu0,
                  "rss_mb": use.ru_maxrss / 1024, "nodes": net.n_nodes, "edges": net.n_edges,
                  "ways": ways, "way_nodes": way_nodes}}))
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


def write_synthetic_england(path: Path, n_nodes: int, *, road_share: float = 0.2,
                            segments_per_way: int = 10, column_every: int = 5, chunk: int = 4_000_000) -> dict:
    """A SYNTHETIC file with England's shape: ``n_nodes`` nodes, ~``road_share`` of them on roads.

    England's OpenStreetMap extract holds ~170M nodes of which ~35M lie on highway ways; the rest
    belong to buildings, land use and so on.  Here: node ids spread over 1..~70 x ``n_nodes``
    (~12 billion for England's size, like real ids, so id sets and location indexes see a
    realistic id range); every 5th node is a road node on a grid (~40 m cells) joined by highway
    ways of ``segments_per_way`` segments along every row and every ``column_every``-th column
    (about 1.2 way-node references per road node, as in England); every other node belongs to a
    closed 8-node building way.  Coordinates carry a few metres of pseudo-random jitter, so the
    file does not delta-code to almost nothing as a bare grid does.  Written in chunks of OSM OPL
    text through one libosmium writer (pyosmium's ``WriteHandler``): the disk holds one chunk of
    text at a time and memory stays near the grid's road-node ids.  Returns counts.
    """
    import osmium

    side = int(np.sqrt(n_nodes * road_share))
    n_road = side * side  # road node j is node k = 5 j; every other k is a building node

    def node_id(k: np.ndarray) -> np.ndarray:
        return 1 + k * 70 + (k * 7919) % 61  # strictly increasing

    def building_k(i: np.ndarray) -> np.ndarray:
        """Node position k of the i-th building node."""
        return np.where(i < 4 * n_road, (i // 4) * 5 + 1 + i % 4, 5 * n_road + (i - 4 * n_road))

    lon0, lat0, step = -1.9, 52.0, 0.0004
    opl = path.with_suffix(".chunk.opl")
    writer = osmium.WriteHandler(str(path))

    def convert() -> None:  # one chunk of OPL text into the PBF
        osmium.apply(osmium.io.Reader(str(opl)), writer)
        opl.unlink()

    for start in range(0, n_nodes, chunk):  # nodes, in id order
        k = np.arange(start, min(start + chunk, n_nodes), dtype=np.int64)
        road = (k % 5 == 0) & (k // 5 < n_road)
        j = np.where(road, k // 5, (k // 5) % n_road)
        ids = node_id(k)
        jitter = ((ids * 2654435761) % 1000 - 500) * 1e-7
        lon = lon0 + (j % side) * step * 1.5 + jitter + np.where(road, 0.0, 0.0001 * (1 + k % 5))
        lat = lat0 + (j // side) * step - jitter + np.where(road, 0.0, 0.0001 * (k % 3))
        with opl.open("w") as fh:
            np.savetxt(fh, np.column_stack([ids, lon, lat]), fmt="n%d v1 x%.7f y%.7f")
        convert()
    road_ids = node_id(np.arange(n_road, dtype=np.int64) * 5).reshape(side, side)
    classes = ("residential", "residential", "unclassified", "tertiary", "secondary", "primary",
               "service", "footway", "track", "trunk")
    way_id, lines = 0, 0
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
                    convert()
                    fh, lines = opl.open("w"), 0
    fh.close()
    if lines:
        convert()
    road_ways = way_id
    n_rings = (n_nodes - n_road) // 8
    fmt = "w%d v1 Tbuilding=yes N" + ",".join(["n%d"] * 9)
    for start in range(0, n_rings, chunk // 4):
        ring = np.arange(start, min(start + chunk // 4, n_rings), dtype=np.int64)
        members = node_id(building_k(ring[:, None] * 8 + np.arange(8)))
        ids = way_id + 1 + ring
        with opl.open("w") as fh:
            np.savetxt(fh, np.column_stack([ids, members, members[:, :1]]), fmt=fmt)
        convert()
    writer.close()
    return {"nodes": n_nodes, "road_nodes": n_road, "road_ways": road_ways, "building_ways": n_rings,
            "max_node_id": int(node_id(np.array([n_nodes - 1]))[0])}


def row(label: str, res: dict) -> str:
    if "error" in res:
        return f"  {label:<26} FAILED ({res['error']})"
    wpm = (f"{res['ways'] / res['seconds'] * 60:,.0f} highway ways/min, "
           f"{res['way_nodes'] / res['cpu_seconds'] / 1e6:.2f}M way nodes per CPU-s" if res.get("ways") else "")
    cpu = f" (CPU {res['cpu_seconds']:.1f} s)" if "cpu_seconds" in res else ""
    return (f"  {label:<26} {res['seconds']:7.2f} s{cpu}   peak RSS {res['rss_mb']:7,.0f} MB   "
            f"{res['nodes']:,} nodes / {res['edges']:,} edges   {wpm}")


def ratio(ref: dict, ours: dict, key: str) -> str:
    if "error" in ref or "error" in ours:
        return "n/a"
    return f"{ref[key] / ours[key]:.2f}x"


def synthetic(folder: Path, n_nodes: int) -> tuple[Path, str]:
    """The SYNTHETIC England-shaped file of ``n_nodes`` nodes in ``folder`` (written or reused)."""
    path = folder / f"synthetic_england_shape_{n_nodes}.osm.pbf"
    t = time.perf_counter()
    if path.is_file():
        return path, f"reused, {path.stat().st_size / 1e6:,.0f} MB"
    counts = write_synthetic_england(path, n_nodes)
    return path, (f"{counts['road_nodes']:,} road nodes, {counts['road_ways']:,} highway ways, "
                  f"{counts['building_ways']:,} building ways, ids up to {counts['max_node_id']:,}; "
                  f"{path.stat().st_size / 1e6:,.0f} MB written in {time.perf_counter() - t:.0f} s")


def compare(label: str, path: Path, *, timeout_s: float, pyrosm: bool, cap_gb: float,
            passes: tuple[int, ...] = (1, 2)) -> None:
    """Our loader (each number of passes) and, if asked, pyrosm on one file; ratios to the last of ours."""
    for p in passes:
        ours = run_loader(f"ours-{p}", path, timeout_s=timeout_s)
        print(row(f"ours (pyosmium, {p} pass{'es' if p > 1 else ''})", ours))
    if pyrosm:
        ref = run_loader("pyrosm", path, cap_gb=cap_gb, timeout_s=timeout_s)
        print(row(f"pyrosm (cap {cap_gb:g} GB)" if cap_gb else "pyrosm", ref))
        print(f"  {label} ratio pyrosm/ours: time {ratio(ref, ours, 'seconds')}, "
              f"CPU {ratio(ref, ours, 'cpu_seconds')}, peak RSS {ratio(ref, ours, 'rss_mb')}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=170_000_000, help="England-size synthetic file (nodes); 0 = skip")
    ap.add_argument("--ratio-nodes", type=int, default=10_000_000,
                    help="synthetic file on which pyrosm also runs (nodes); 0 = skip")
    ap.add_argument("--pyrosm-big", action="store_true", help="also run pyrosm on the England-size file")
    ap.add_argument("--one-pass-big", action="store_true",
                    help="also read the England-size file in one pass (every node indexed), for comparison")
    ap.add_argument("--pyrosm-cap-gb", type=float, default=8.0, help="address-space cap for pyrosm (GB)")
    ap.add_argument("--timeout", type=float, default=3600.0, help="per-load time limit (s)")
    ap.add_argument("--keep", type=Path, default=None,
                    help="write the synthetic files here (or reuse them) instead of a temp dir")
    args = ap.parse_args()
    from geo.config import Settings

    s = Settings.from_env()
    rutland = s.data_dir / "networks" / "rutland-2018.osm.pbf"
    print(f"1. Rutland 2018 extract ({rutland.stat().st_size / 1e6:.1f} MB), drive network, fresh process each")
    compare("Rutland", rutland, timeout_s=args.timeout, pyrosm=True, cap_gb=0.0, passes=(2, 1))
    with tempfile.TemporaryDirectory(prefix="bench-pbf-synthetic-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        if args.ratio_nodes:
            path, how = synthetic(folder, args.ratio_nodes)
            print(f"\n2. SYNTHETIC, England's shape, {args.ratio_nodes:,} nodes ({how})")
            compare("synthetic", path, timeout_s=args.timeout, pyrosm=True, cap_gb=args.pyrosm_cap_gb,
                    passes=(2, 1))
        if args.nodes:
            path, how = synthetic(folder, args.nodes)
            print(f"\n3. SYNTHETIC, England's size, {args.nodes:,} nodes ({how})")
            compare("England-size", path, timeout_s=args.timeout, pyrosm=args.pyrosm_big,
                    cap_gb=args.pyrosm_cap_gb, passes=(2, 1) if args.one_pass_big else (2,))
            print(row("ours, 2 passes, drive+walk+cycle", run_loader("ours-2-3-modes", path, timeout_s=args.timeout)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
