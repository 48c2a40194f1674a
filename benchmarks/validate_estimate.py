"""Validate the straight-line travel-time estimate against held-out real road times.

Prints, before (the old ``a + b*km + c*ln(1+km)`` drive fit on SAMueL alone, walk/cycle at an
assumed x1.3 circuity) and after (geo.travel.estimate_model.MODEL):

1. bias (mean signed, estimate - road) and MAE per straight-line band (0-2, 2-5, 5-10, 10-20,
   20-60 km) against real Rutland road times, per mode.  "after (held out)" predicts each half of
   Rutland (west/east of the median origin easting) with the model fitted on the other half and
   on the other half of England's regions (see calibrate_estimate.py); "after (shipped)" is
   the committed model, fitted on everything;
2. nearest-pharmacy and nearest-hub minutes per Rutland LSOA, estimate vs NetworkRouter on the
   Rutland extract (sites within 15 km of Rutland that lie on the extract, i.e. within 400 m
   of its roads): median |delta|, mean delta, max |delta|; and the share of adults within
   15 minutes of a hub (and the estimate's range);
3. SAMueL held-out MAE per class (by region), with and without the SAMueL offset.

Goals (issue 14): Rutland nearest-site median |delta| <= 1.5 min and mean delta within +-1 min;
SAMueL held-out MAE no worse than before (4.6 urban / 5.3 rural).

Run::

    GEO_DATA_DIR=... python benchmarks/validate_estimate.py        # about 1 minute
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import calibrate_estimate as ce

from geo.config import Settings
from geo.travel import calibration as cal
from geo.travel.estimate import EstimateRouter, calibrate

OLD_WALK_CYCLE_CIRCUITY = 1.3


# --------------------------------------------------------------------------- the old model
def legacy_drive_fit(samuel: pd.DataFrame, rows: np.ndarray) -> dict[str, tuple[float, float, float]]:
    """The pre-issue-14 fit: ``a + b*km + c*ln(1+km)`` per class by least squares on SAMueL."""
    out = {}
    for c in ce.CLASSES:
        s = samuel[rows & (samuel["cls"] == c).to_numpy()]
        km, m = s["km"].to_numpy(float), s["minutes"].to_numpy(float)
        design = np.column_stack([np.ones_like(km), km, np.log1p(km)])
        coef, *_ = np.linalg.lstsq(design, m, rcond=None)
        out[c] = tuple(float(v) for v in coef)
    return out


def legacy_minutes(mode: str, coefs: dict, km: np.ndarray, cls: np.ndarray, s: Settings) -> np.ndarray:
    km = np.asarray(km, dtype=float)
    if mode != "drive":
        speed = s.walk_kph if mode == "walk" else s.cycle_kph
        return km * OLD_WALK_CYCLE_CIRCUITY / speed * 60.0
    out = np.full(km.shape, np.nan)
    for c, (a, b, cc) in coefs.items():
        sel = cls == c
        out[sel] = a + b * km[sel] + cc * np.log1p(km[sel])
    return out


def shipped_minutes(mode: str, km: np.ndarray, cls: np.ndarray, s: Settings) -> np.ndarray:
    return calibrate(s, mode=mode).minutes(km, cls)


# --------------------------------------------------------------------------- nearest site
def nearest_site_frame(s: Settings, mode: str, types: tuple[str, ...]) -> tuple[pd.DataFrame, np.ndarray]:
    """Per Rutland LSOA: road minutes to the nearest site on the extract, km and class."""
    from scipy.spatial import cKDTree

    from geo.data.areas import select_area
    from geo.data.sites import load_sites
    from geo.travel.network import read_network
    from geo.travel.routing import NetworkRouter

    area = select_area("Rutland", settings=s)
    sites = load_sites(s, area=area, types=types, buffer_km=15.0)
    net = read_network(s.data_dir / "networks" / "rutland-2018.osm.pbf", mode=mode, settings=s)
    router = NetworkRouter(net, settings=s)
    sxy = sites[["easting", "northing"]].to_numpy(float)
    _, snap_m, _ = router.snap(sxy)
    sxy = sxy[snap_m <= cal.REFERENCE_SNAP_METRES]
    lsoas = area.lsoas
    oxy = lsoas[["easting", "northing"]].to_numpy(float)
    road = router.nearest(sxy, oxy)
    dist, _ = cKDTree(sxy).query(oxy, k=1)
    out = pd.DataFrame({"road": road.minutes, "km": dist / 1000.0,
                        "cls": EstimateRouter(mode=mode, settings=s).origin_classes(oxy),
                        "adults": lsoas["adults"].to_numpy(float),
                        "easting": oxy[:, 0]}, index=lsoas.index)
    return out, sxy


def delta_stats(est: np.ndarray, road: np.ndarray) -> str:
    d = np.asarray(est) - np.asarray(road)
    return (f"median |d| {np.median(np.abs(d)):4.2f}  mean d {np.mean(d):+5.2f}  "
            f"max |d| {np.max(np.abs(d)):5.2f}")


def pct_within(minutes: np.ndarray, adults: np.ndarray, threshold: float) -> float:
    return float(100.0 * adults[np.asarray(minutes) < threshold].sum() / adults.sum())


def main() -> int:
    t0 = time.perf_counter()
    s = Settings.from_env()
    road, samuel = ce.reference_data(s)
    lsoa_pos = pd.factorize(samuel["lsoa21cd"])[0]
    even = lsoa_pos % 2 == 0
    legacy = legacy_drive_fit(samuel, even)
    pd.set_option("display.width", 160)

    print("\n== 1. Per-band bias and MAE against real Rutland road times (estimate - road, minutes)")
    fold_models: dict[str, list] = {}
    for mode in ce.MODES:
        r = road[mode]
        km, cls, truth = r["km"].to_numpy(), r["cls"].to_numpy(), r["minutes"].to_numpy()
        sam = samuel if mode == "drive" else None
        circuity = cal.measured_circuity(r)
        held, _ = ce.out_of_fold(mode, r, sam, circuity)
        f_road, f_sam = cal.geographic_folds(r, sam)
        fold_models[mode] = [(*ce.fit(mode, r[f_road != f], sam[f_sam != f] if sam is not None else None,
                                      circuity), circuity) for f in (0, 1)]
        rows = {
            "before": legacy_minutes(mode, legacy, km, cls, s) - truth,
            "after (held out)": held - truth,
            "after (shipped)": shipped_minutes(mode, km, cls, s) - truth,
        }
        table = pd.concat({name: cal.band_errors(km, err)[["bias", "mae"]] for name, err in rows.items()},
                          axis=1)
        table.insert(0, ("trips", "n"), cal.band_errors(km, rows["before"])["n"])
        print(f"\n{mode}:")
        print(table.round(2).to_string())

    print("\n== 2. Nearest site per Rutland LSOA (26): estimate vs real road (minutes)")
    split = float(np.median(road["drive"]["origin_easting"]))
    for mode in ce.MODES:
        for types, what in ((("pharmacy",), "pharmacy"), (("hub",), "hub")):
            nf, sxy = nearest_site_frame(s, mode, types)
            km, cls, truth = nf["km"].to_numpy(), nf["cls"].to_numpy(), nf["road"].to_numpy()
            before = legacy_minutes(mode, legacy, km, cls, s)
            after = shipped_minutes(mode, km, cls, s)
            held = np.full(len(nf), np.nan)
            for f, (coefs, _delta, circ) in enumerate(fold_models[mode]):
                sel = (nf["easting"].to_numpy() > split).astype(int) == f
                held[sel] = ce.predict(coefs, circ, nf[sel])
            print(f"{mode:5s} {what:8s} ({len(sxy)} sites) before: {delta_stats(before, truth)}")
            print(f"{'':15s} {'':7s}  after (held out): {delta_stats(held, truth)}")
            print(f"{'':15s} {'':7s}  after (shipped):  {delta_stats(after, truth)}")
            if mode == "drive" and what == "hub":
                adults = nf["adults"].to_numpy()
                low, high = calibrate(s, mode="drive").minutes_range(km, cls)
                print(f"  adults within 15 min of a hub: road {pct_within(truth, adults, 15):.1f}%, "
                      f"before {pct_within(before, adults, 15):.1f}%, after "
                      f"{pct_within(after, adults, 15):.1f}% (range {pct_within(high, adults, 15):.1f}"
                      f"-{pct_within(low, adults, 15):.1f}%)")

    print("\n== 3. SAMueL held-out MAE (minutes)")
    circuity = cal.measured_circuity(road["drive"])
    _, ps = ce.out_of_fold("drive", road["drive"], samuel, circuity)
    f_road, f_sam = cal.geographic_folds(road["drive"], samuel)
    legacy_geo = np.full(len(samuel), np.nan)
    for f in (0, 1):
        coefs = legacy_drive_fit(samuel, f_sam != f)
        sel = f_sam == f
        legacy_geo[sel] = legacy_minutes("drive", coefs, samuel["km"].to_numpy()[sel],
                                         samuel["cls"].to_numpy()[sel], s)
    truth = samuel["minutes"].to_numpy()
    legacy_odd = legacy_minutes("drive", legacy, samuel["km"].to_numpy(), samuel["cls"].to_numpy(), s)
    offset = [m[1] for m in fold_models["drive"]]
    for c in ce.CLASSES:
        sel = (samuel["cls"] == c).to_numpy()
        odd = sel & ~even
        print(f"{c:5s}: before {np.mean(np.abs(legacy_odd[odd] - truth[odd])):.2f} (odd LSOAs), "
              f"{np.mean(np.abs(legacy_geo[sel] - truth[sel])):.2f} (by region); "
              f"after {np.mean(np.abs(ps[sel] - truth[sel])):.2f} (by region, with the SAMueL offset "
              f"of {offset[0]:.1f}/{offset[1]:.1f} min per fold)")
    print(f"\n({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
