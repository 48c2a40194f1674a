"""Fit the straight-line travel-time estimate (geo.travel.estimate) and print its coefficients.

Reference trips, all real:

* drive, walk and cycle road minutes on the bundled Rutland 2018 OpenStreetMap extract, routed by
  the project's own NetworkRouter (vectorised site x origin matrix) from every Rutland LSOA
  population-weighted centroid (what the estimate is used for) to every point within 40 km:
  the other centroids, 15 town/village centres, every pharmacy and GP practice in Rutland and
  every n-th live Rutland postcode (~300);
* SAMueL modelled drive minutes from every England LSOA to its five nearest stroke units (< 60 km).

Model per mode and urban/rural class of the origin: minutes = overhead + 60 * circuity * km / v(km),
v(km) = v_long - (v_long - v_short) * exp(-km / k_km); circuity = the median road/straight-line
ratio of Rutland trips >= 2 km (measured on the mode's own network).  The Rutland trips are fitted
by relative error (robust soft-L1, every distance band weighing the same), as the accuracy goals
are measured.  Drive is fitted jointly on Rutland and SAMueL with one SAMueL offset (its fixed
overhead against free-flow OSM times; SAMueL residuals in minutes).

Held out by geography: fold 0 = Rutland origins west of the median easting + SAMueL regions
E12000001/3/5/7/9, fold 1 = the rest; each fold is predicted by the model fitted on the other,
and those out-of-fold errors make the per-band error table (10th/90th percentiles) that the
library uses for its ranges.  The shipped coefficients are fitted on everything.

Run::

    GEO_DATA_DIR=... python benchmarks/calibrate_estimate.py            # ~30-60 s

and paste the printed ``MODEL = {...}`` block into geo/travel/estimate_model.py (``--update`` writes it
there), then re-run ``benchmarks/validate_router.py --update`` for the error against Valhalla.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from geo.config import Settings
from geo.travel import calibration as cal
from geo.travel.modes import TravelMode
from geo.travel.network import read_network

ESTIMATE = Path(__file__).resolve().parent.parent / "geo" / "travel" / "estimate_model.py"
MODES = tuple(m.value for m in TravelMode.road_modes())
CLASSES = ("Urban", "Rural")
#: Bands of the error table where the Rutland trips alone are too few pool SAMueL trips in.
MIN_ROAD_PAIRS_PER_BAND = 200
#: Walk and cycle curves may tend to at most this multiple of the network's own speed.
V_LONG_HEADROOM = 1.1


def reference_data(s: Settings) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Rutland road pairs per mode (with road km) and SAMueL pairs."""
    pts = cal.rutland_reference_points(s)
    print(f"reference points: {len(pts)} ({pts['kind'].str.split(':').str[0].value_counts().to_dict()})")
    pbf = s.data_dir / "networks" / "rutland-2018.osm.pbf"
    road = {}
    for mode in MODES:
        net = read_network(pbf, mode=mode, settings=s)
        pairs = cal.road_reference_pairs(net, pts, s, with_metres=True)
        # the estimate answers one question: minutes from an LSOA population-weighted centroid
        road[mode] = pairs[pairs["origin_kind"] == "lsoa"].reset_index(drop=True)
        print(f"{mode}: {len(road[mode]):,} Rutland road trips from the LSOA centroids "
              f"(of {len(pairs):,} between all points)")
    samuel = cal.samuel_reference_pairs(s)
    print(f"SAMueL: {len(samuel):,} LSOA-to-stroke-unit trips")
    return road, samuel


def predict(coefs: dict[str, tuple[float, ...]], circuity: dict[str, float],
            df: pd.DataFrame) -> np.ndarray:
    out = np.full(len(df), np.nan)
    for c, params in coefs.items():
        sel = (df["cls"] == c).to_numpy()
        out[sel] = cal.curve_minutes(df["km"].to_numpy(float)[sel], circuity[c], *params)
    return out


def fit(mode: str, road: pd.DataFrame, samuel: pd.DataFrame | None,
        circuity: dict[str, float]) -> tuple[dict[str, tuple[float, ...]], float]:
    if mode == "drive":
        return cal.fit_drive(road, samuel, circuity=circuity, classes=CLASSES)
    return cal.fit_mode(road, circuity=circuity, classes=CLASSES,
                        v_long_max=V_LONG_HEADROOM * (TravelMode(mode).profile.fitted_kph or 0.0)), 0.0


def out_of_fold(mode: str, road: pd.DataFrame, samuel: pd.DataFrame | None,
                circuity: dict[str, float]) -> tuple[np.ndarray, np.ndarray | None]:
    """Out-of-fold predictions (road, SAMueL incl. offset) from the geographic 2-fold split."""
    f_road, f_sam = cal.geographic_folds(road, samuel)
    pr = np.full(len(road), np.nan)
    ps = np.full(len(samuel), np.nan) if samuel is not None else None
    for fold in (0, 1):
        train_r = road[f_road != fold]
        train_s = samuel[f_sam != fold] if samuel is not None else None
        coefs, delta = fit(mode, train_r, train_s, circuity)
        test = f_road == fold
        pr[test] = predict(coefs, circuity, road[test])
        if samuel is not None:
            ts = f_sam == fold
            ps[ts] = predict(coefs, circuity, samuel[ts]) + delta
    return pr, ps


def error_table(road: pd.DataFrame, err_road: np.ndarray, samuel: pd.DataFrame | None,
                err_sam: np.ndarray | None) -> pd.DataFrame:
    """Per band: road errors; where too few, pooled with SAMueL errors (offset removed)."""
    t = cal.band_errors(road["km"].to_numpy(), err_road)
    if samuel is None:
        return t.assign(source="rutland")
    pooled = cal.band_errors(np.concatenate([road["km"].to_numpy(), samuel["km"].to_numpy()]),
                             np.concatenate([err_road, err_sam]))
    few = t["n"] < MIN_ROAD_PAIRS_PER_BAND
    out = t.where(~few, pooled)
    out["source"] = np.where(few, "rutland+samuel", "rutland")
    return out


def format_model(model: dict) -> str:
    """The coefficients as a compact Python literal (one line per entry) for estimate.py."""
    lines = ["{"]
    for mode, m in model.items():
        lines.append(f"    {mode!r}: {{")
        for key, value in m.items():
            if isinstance(value, dict):
                lines.append(f"        {key!r}: {{")
                lines += [f"            {k!r}: {v!r}," for k, v in value.items()]
                lines.append("        },")
            else:
                lines.append(f"        {key!r}: {value!r},")
        lines.append("    },")
    lines.append("}")
    return "\n".join(lines)


def write_between_markers(path: Path, start: str, end: str, block: str) -> None:
    """Replace the text between the lines ``start`` and ``end`` of ``path`` with ``block``."""
    text = path.read_text()
    pattern = re.compile(f"({re.escape(start)}\n).*?({re.escape(end)})", re.S)
    if not pattern.search(text):
        raise SystemExit(f"{path}: markers {start!r} / {end!r} not found")
    path.write_text(pattern.sub(lambda m: m.group(1) + block + "\n" + m.group(2), text))
    print(f"\nwrote the new figures into {path.name}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--update", action="store_true", help="write MODEL into geo/travel/estimate_model.py")
    args = ap.parse_args()
    t0 = time.perf_counter()
    s = Settings.from_env()
    road, samuel = reference_data(s)
    model: dict[str, dict] = {}
    pd.set_option("display.width", 160)
    for mode in MODES:
        r = road[mode]
        sam = samuel if mode == "drive" else None
        circuity = cal.measured_circuity(r)
        coefs, delta = fit(mode, r, sam, circuity)
        pr, ps = out_of_fold(mode, r, sam, circuity)
        err_r = pr - r["minutes"].to_numpy()
        err_s = None
        if sam is not None:
            err_s = ps - sam["minutes"].to_numpy()  # prediction includes the offset
        table = error_table(r, err_r, sam, err_s)
        print(f"\n== {mode}: circuity {', '.join(f'{c} {v:.3f}' for c, v in circuity.items())}"
              + (f"; SAMueL offset {delta:.2f} min" if mode == "drive" else ""))
        for c, (vs, vl, k, overhead) in coefs.items():
            print(f"  {c:5s} v_short {vs:6.2f} km/h  v_long {vl:6.2f} km/h  k {k:6.2f} km  "
                  f"overhead {overhead:4.2f} min")
        print("  held-out Rutland road errors (estimate - road, minutes) and the range table:")
        print(table.round(2).to_string())
        if sam is not None:
            for c in CLASSES:
                sel = (sam["cls"] == c).to_numpy()
                print(f"  SAMueL held-out {c}: MAE {np.mean(np.abs(err_s[sel])):.2f} min "
                      f"(bias {np.mean(err_s[sel]):+.2f}) over {int(sel.sum()):,} trips")
        model[mode] = {
            "circuity": {c: round(v, 4) for c, v in circuity.items()},
            "curve": {c: tuple(round(x, 4) for x in v) for c, v in coefs.items()},
            "error_bands": {b: (round(float(row["p10"]), 2), round(float(row["p90"]), 2),
                                round(float(row["bias"]), 2), round(float(row["mae"]), 2))
                            for b, row in table.iterrows()},
            "band_trips": {b: int(row["n"]) for b, row in table.iterrows()},
        }
        if mode == "drive":
            model[mode]["samuel_offset_minutes"] = round(delta, 3)
            model[mode]["samuel_mae_minutes"] = {
                c: round(float(np.mean(np.abs(err_s[(sam["cls"] == c).to_numpy()]))), 2) for c in CLASSES}
    block = "MODEL: dict[str, dict[str, Any]] = " + format_model(model)
    print("\n" + block)
    if args.update:
        write_between_markers(ESTIMATE, "# <fitted: calibrate_estimate.py>", "# </fitted>", block)
    print(f"\n({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
