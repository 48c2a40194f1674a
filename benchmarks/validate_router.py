"""Check our road router and the straight-line estimate against an independent engine (Valhalla).

Valhalla builds its own graph from the same Rutland 2018 OpenStreetMap extract (seconds) and routes
every ordered pair of the 26 Rutland LSOA population-weighted centroids (650 pairs per mode) and
each LSOA to its nearest pharmacy and hub (sites within 15 km that lie on the extract).  Walk and
cycle run as the DfT Journey Time Statistics model them (4.8 and 16 km/h, cycling the fastest route
on every type of road) on both sides, so the table tests the network -- ways, access rules,
detours, junctions, start and end legs -- not a choice of speed or route preference.  Sensitivity
checks: every run also prints cycling against Valhalla's default route choice, which keeps off
busy roads (``--reference quiet-roads`` prints everything that way); ``--reference valhalla`` uses
Valhalla's own defaults (5.1 km/h walk, 18 km/h hybrid bicycle on quiet roads).  Valhalla is a
reference, not ground truth (see geo/travel/reference.py).

Prints, per mode and straight-line band, for the road router (``network``) and the estimate:
median |relative error|, bias (mean relative error), p10/p90 of the relative error and the same in
minutes; then the nearest-site mean difference; then the ``ROUTER_VS_VALHALLA`` /
``ESTIMATE_VS_VALHALLA`` / ``NEAREST_SITE_VS_VALHALLA`` constants of geo/travel/accuracy.py
(``--update`` writes them there).

Goals (issue 26): every band of drive, walk and cycle: median relative error <= 15% and |bias| <=
10%; nearest-site mean difference within +-1 min.

Run::

    GEO_DATA_DIR=... python benchmarks/validate_router.py [--update] [--reference dft|quiet-roads|valhalla]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from calibrate_estimate import write_between_markers

from geo.config import Settings
from geo.travel import reference as ref

ROOT = Path(__file__).resolve().parent.parent
ACCURACY = ROOT / "geo" / "travel" / "accuracy.py"
MODES = ("drive", "walk", "cycle")
METHODS = ("network", "estimate")
SITE_TYPES = ("pharmacy", "hub")
GOAL_MEDIAN_PCT, GOAL_BIAS_PCT, GOAL_NEAREST_MINUTES = 15.0, 10.0, 1.0


def band_table(pairs: pd.DataFrame, mode: str, method: str) -> pd.DataFrame:
    p = pairs[pairs["mode"] == mode]
    return ref.band_relative_errors(p["km"], p[method], p["valhalla"])


def halves(pairs: pd.DataFrame, mode: str, method: str) -> str:
    """Bias per band for origins west and east of the median easting (the geographic folds)."""
    p = pairs[pairs["mode"] == mode]
    west = (p["origin_easting"] <= p["origin_easting"].median()).to_numpy()
    out = []
    for name, sel in (("west", west), ("east", ~west)):
        t = ref.band_relative_errors(p["km"][sel], p[method][sel], p["valhalla"][sel])
        out.append(f"{name} " + " ".join(f"{b} {100 * r['bias_pct']:+.1f}%" for b, r in t.iterrows()
                                          if r["n"] > 0))
        out[-1] += f" ({verdict(t)})"
    return "  by geography, bias: " + "; ".join(out)


def verdict(t: pd.DataFrame) -> str:
    ok = (100 * t["median_abs_pct"] <= GOAL_MEDIAN_PCT) & (100 * t["bias_pct"].abs() <= GOAL_BIAS_PCT)
    bad = [str(b) for b in t.index[~ok & (t["n"] > 0)]]
    return "PASS" if not bad else f"FAIL ({', '.join(bad)} km)"


def show(t: pd.DataFrame) -> str:
    out = pd.DataFrame({"n": t["n"].astype(int),
                        "median |rel| %": 100 * t["median_abs_pct"], "bias %": 100 * t["bias_pct"],
                        "p10 %": 100 * t["p10_pct"], "p90 %": 100 * t["p90_pct"],
                        "bias min": t["bias_minutes"], "p10 min": t["p10_minutes"],
                        "p90 min": t["p90_minutes"]})
    return out.round(2).to_string()


def quiet_roads_sensitivity(s: Settings) -> None:
    """Cycling against Valhalla's default route choice (keeps off busy roads): bias per band, nearest site."""
    pairs = ref.rutland_pairs(s, modes=("cycle",), reference="quiet-roads")
    print("\nSensitivity: cycling against Valhalla's default route choice, which keeps off busy roads "
          f"(use_roads 0.5, same {ref.DFT_CYCLE_KPH:g} km/h)")
    for method in METHODS:
        t = band_table(pairs, "cycle", method)
        print(f"  {method:8s} median |rel| / bias %: "
              + "; ".join(f"{b} {100 * r['median_abs_pct']:.1f} / {100 * r['bias_pct']:+.1f}" for b, r in t.iterrows())
              + f"  ({verdict(t)})")
    for types in SITE_TYPES:
        nf = ref.rutland_nearest_sites(s, mode="cycle", types=(types,), reference="quiet-roads")
        print(f"  nearest {types}: mean difference network {np.nanmean(nf['network'] - nf['valhalla']):+.2f}, "
              f"estimate {np.nanmean(nf['estimate'] - nf['valhalla']):+.2f} min")


def constants(tables: dict[tuple[str, str], pd.DataFrame],
              nearest: dict[tuple[str, str], dict[str, float]]) -> str:
    """The accuracy.py constant blocks for the measured tables."""
    import datetime as dt

    import valhalla

    measured = (f"Rutland 2018 OpenStreetMap extract (Geofabrik, 27 Feb 2018); every ordered pair of the 26 "
                f"Rutland LSOA 2021 population-weighted centroids (650 per mode); Valhalla {valhalla.__version__} "
                f"(pyvalhalla) matrix on tiles built from the same file: auto, pedestrian at {ref.DFT_WALK_KPH:g} "
                f"km/h, hybrid bicycle at {ref.DFT_CYCLE_KPH:g} km/h on the fastest route (use_roads "
                f"{ref.DFT_CYCLE_USE_ROADS:g}; as the DfT Journey Time Statistics); "
                f"benchmarks/validate_router.py, {dt.date.today().isoformat()}")
    lines = [f"VALHALLA_MEASURED = {measured!r}"]
    for name, method in (("ROUTER_VS_VALHALLA", "network"), ("ESTIMATE_VS_VALHALLA", "estimate")):
        lines.append(f"{name}: dict[str, dict[str, tuple[float, ...]]] = {{")
        for mode in MODES:
            lines.append(f"    {mode!r}: {{")
            for band, r in tables[(method, mode)].iterrows():
                vals = (int(r["n"]), *(round(float(r[c]), 3) for c in (
                    "bias_minutes", "p10_minutes", "p90_minutes", "bias_pct", "median_abs_pct",
                    "p10_pct", "p90_pct")))
                lines.append(f"        {band!r}: {vals!r},")
            lines.append("    },")
        lines.append("}")
    lines.append("NEAREST_SITE_VS_VALHALLA: dict[tuple[str, str], dict[str, float]] = {")
    for key, vals in nearest.items():
        lines.append(f"    {key!r}: {{{', '.join(f'{k!r}: {v:.2f}' for k, v in vals.items())}}},")
    lines.append("}")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--update", action="store_true", help="write the constants into geo/travel/accuracy.py")
    ap.add_argument("--reference", choices=ref.REFERENCES, default=ref.REFERENCES[0],
                    help="Valhalla costing: dft (the goal's reference), quiet-roads (cycling keeps off busy "
                         "roads) or valhalla (Valhalla's own speeds and route choice); the last two are "
                         "sensitivity checks and never --update")
    args = ap.parse_args()
    t0 = time.perf_counter()
    s = Settings.from_env()
    pd.set_option("display.width", 180)
    reference = args.reference
    pairs = ref.rutland_pairs(s, modes=MODES, reference=reference)
    print(f"Valhalla reference on {ref.rutland_pbf(s).name}: {len(pairs):,} LSOA-to-LSOA pairs "
          f"({len(pairs) // len(MODES)} per mode); walk/cycle "
          + {"dft": f"at {ref.DFT_WALK_KPH:g}/{ref.DFT_CYCLE_KPH:g} km/h, fastest route (DfT)",
             "quiet-roads": f"at {ref.DFT_WALK_KPH:g}/{ref.DFT_CYCLE_KPH:g} km/h, cycling on quiet roads",
             "valhalla": "at Valhalla's default speeds, cycling on quiet roads"}[reference])
    print("Signed error = method - Valhalla; relative to the Valhalla time. Goals: median |rel| <= 15%, "
          "|bias| <= 10% in every band.")
    tables: dict[tuple[str, str], pd.DataFrame] = {}
    for mode in MODES:
        for method in METHODS:
            t = band_table(pairs, mode, method)
            tables[(method, mode)] = t
            print(f"\n{mode} / {method}: {verdict(t)}")
            print(show(t))
            print(halves(pairs, mode, method))
    print("\nNearest site per Rutland LSOA (26): mean difference, method - Valhalla (minutes; goal within +-1)")
    nearest: dict[tuple[str, str], dict[str, float]] = {}
    for mode in MODES:
        for types in SITE_TYPES:
            nf = ref.rutland_nearest_sites(s, mode=mode, types=(types,), reference=reference)
            for method in METHODS:
                d = (nf[method] - nf["valhalla"]).to_numpy()
                nearest.setdefault((method, mode), {})[types] = float(np.nanmean(d))
                flag = "ok" if abs(np.nanmean(d)) <= GOAL_NEAREST_MINUTES else "MISS"
                print(f"  {mode:5s} {types:8s} ({int(nf['n_sites'].iloc[0])} sites) {method:8s}: mean "
                      f"{np.nanmean(d):+5.2f}  median |d| {np.nanmedian(np.abs(d)):4.2f}  max |d| "
                      f"{np.nanmax(np.abs(d)):5.2f}  (Valhalla mean {nf['valhalla'].mean():5.1f} min)  {flag}")
    if reference == "dft":
        quiet_roads_sensitivity(s)
    print("\nGoals (issue 26), median |rel| / bias % per band 0-2 / 2-5 / 5-10 / 10-20 / 20-60 km; nearest-site mean "
          "difference (min):")
    for method in METHODS:
        for mode in MODES:
            t = tables[(method, mode)]
            bands = " ".join(f"{100 * r['median_abs_pct']:4.1f}/{100 * r['bias_pct']:+5.1f}" for _, r in t.iterrows())
            near = " ".join(f"{k} {v:+.2f}" for k, v in nearest[(method, mode)].items())
            near_ok = all(abs(v) <= GOAL_NEAREST_MINUTES for v in nearest[(method, mode)].values())
            print(f"  {method:8s} {mode:5s} {bands}  {verdict(t):22s} nearest {near} ({'PASS' if near_ok else 'MISS'})")
    block = constants(tables, nearest)
    print("\n" + block)
    if args.update and reference == "dft":
        write_between_markers(ACCURACY, "# <measured: validate_router.py>", "# </measured>", block)
    print(f"\n({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
