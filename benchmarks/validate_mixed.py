"""Check the mixed method (roads inside a network, the calibrated estimate beyond) on real roads.

The bundled Rutland extract is cut in two at 12 lines (west/east/south/north halves, each at the
median node and 4 km either side).  Travel minutes from real Rutland postcodes on the kept part
to real postcodes on the cut-away part are routed three ways and compared with the full
network's road times (the reference):

* ``mixed``  -- this project's router on the clipped network, ``mixed=True``: roads to the edge
  of the clipped network, then ``EstimateRouter.leg_minutes_for_km`` for the leg beyond;
* ``whole-trip curve`` -- the same, with the leg timed by the whole-trip estimate curve
  (``minutes_for_km``: short-trip slowness at both ends), the alternative rejected;
* ``estimate`` -- the straight-line estimate for the whole trip (no roads at all).

Prints per cut and overall the median error (bias), the 10th/90th percentile and MAE in minutes,
the ratio of MAEs against the straight-line estimate, and the share of reference times inside
the mixed range (``minutes_low``..``minutes_high``, 10th-90th percentile of the leg's error).

Run::

    GEO_DATA_DIR=... python benchmarks/validate_mixed.py        # about a minute
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from geo.config import Settings
from geo.data.sources import get_dataset
from geo.travel.estimate import EstimateRouter
from geo.travel.graph import clip_network
from geo.travel.network import read_network
from geo.travel.routing import NetworkRouter

RUTLAND = "E06000017"


def rutland_points(settings: Settings, router: NetworkRouter, n: int = 600) -> np.ndarray:
    """``n`` random live Rutland postcodes within 200 m of the roads (seeded)."""
    pc = pd.read_csv(settings.data_dir / "postcodes" / "postcodes_england.csv.gz",
                     usecols=["easting", "northing", "lad24cd"])
    xy = pc.loc[pc["lad24cd"] == RUTLAND, ["easting", "northing"]].dropna().to_numpy(float)
    xy = xy[np.random.default_rng(0).choice(len(xy), min(n, len(xy)), replace=False)]
    return xy[router.snap(xy)[1] < 200]


def errors(value: np.ndarray, ref: np.ndarray) -> np.ndarray:
    e = (value - ref).ravel()
    return e[np.isfinite(e)]


def main() -> int:
    s = Settings.from_env()
    t0 = time.process_time()
    net = read_network(get_dataset("rutland_pbf").path(s.data_dir), mode="drive", settings=s)
    full = NetworkRouter(net, settings=s)
    pts = rutland_points(s, full)
    estimate = EstimateRouter(settings=s)
    rows, pooled = [], {"mixed": [], "whole-trip curve": [], "estimate": []}
    inside_all = []
    for axis, name in ((0, "easting"), (1, "northing")):
        coord = net.node_x if axis == 0 else net.node_y
        mid = float(np.median(coord))
        for side in (-1, 1):
            for off in (-4000.0, 0.0, 4000.0):
                cut = mid + off
                keep = (coord - cut) * side < 0
                far = (pts[:, axis] - cut) * side > 1500
                near = (pts[:, axis] - cut) * side < -300
                if far.sum() < 5 or near.sum() < 5:
                    continue
                ref = full.site_origin_minutes(pts[far], pts[near])
                mixed = NetworkRouter(clip_network(net, keep), settings=s, mixed=True)
                whole = NetworkRouter(clip_network(net, keep), settings=s, mixed=True)
                assert whole.beyond is not None
                whole.beyond.leg_minutes_for_km = whole.beyond.minutes_for_km  # type: ignore[method-assign]
                got = {"mixed": mixed.site_origin_minutes(pts[far], pts[near]),
                       "whole-trip curve": whole.site_origin_minutes(pts[far], pts[near]),
                       "estimate": estimate.site_origin_minutes(pts[far], pts[near])}
                res, best = mixed.nearest(pts[far], pts[near]), full.nearest(pts[far], pts[near])
                assert res.minutes_low is not None and res.minutes_high is not None
                inside = (res.minutes_low - 1e-9 <= best.minutes) & (best.minutes <= res.minutes_high + 1e-9)
                inside_all.append(inside)
                for k, v in got.items():
                    e = errors(v, ref)
                    pooled[k].append(e)
                    rows.append({"cut": f"{name} {'<' if side < 0 else '>'} median{off:+.0f} m", "method": k,
                                 "pairs": len(e), "median": np.median(e), "p10": np.percentile(e, 10),
                                 "p90": np.percentile(e, 90), "mae": np.mean(np.abs(e))})
    table = pd.DataFrame(rows)
    print(table.pivot_table(index="cut", columns="method", values=["median", "mae"]).round(2).to_string())
    print("\noverall (minutes, estimate - full road network):")
    base = np.mean(np.abs(np.concatenate(pooled["estimate"])))
    for k, parts in pooled.items():
        e = np.concatenate(parts)
        print(f"  {k:17s} pairs {len(e):7,}  median {np.median(e):+.2f}  p10 {np.percentile(e, 10):+.2f}  "
              f"p90 {np.percentile(e, 90):+.2f}  MAE {np.mean(np.abs(e)):.2f}  (MAE ratio to estimate "
              f"{np.mean(np.abs(e)) / base:.2f})")
    print(f"  nearest-site reference inside the mixed range: {np.mean(np.concatenate(inside_all)):.0%}")
    print(f"\n{len(pts)} postcodes, {net.n_nodes:,} nodes; {time.process_time() - t0:.1f} CPU s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
