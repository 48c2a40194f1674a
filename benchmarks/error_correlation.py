"""How far apart must two journeys be for their travel-time errors to be independent?

The scenario and closure ranges (geo/measures/uncertainty.py, docs/uncertainty.md) draw journey
errors from a smooth random field over (origin, site) positions with a Gaussian correlation
``share + (1 - share) exp(-d^2 / 2 L^2)`` per method and mode (``CORRELATION``): journeys from one
origin share an origin component, journeys to one site a site component, and the rest decays
with the distance between their other ends.  This script measures that correlation on real
errors, the same 650 ordered pairs of Rutland LSOA centroids per mode that
``benchmarks/validate_router.py`` uses:

* the road router against Valhalla on the same OpenStreetMap extract (``network - valhalla``);
* the straight-line estimate against the road router (``estimate - network``).

Each error is standardised within its distance band (bias and spread of the band removed).  For
every two journeys that share an origin, the correlation of their errors is binned by the
distance between their destinations (and likewise for a shared destination, by origin
distance); the length ``L`` and the long-range floor that best fit the binned correlations
(weighted by pairs) -- the origin share and the site share -- are printed beside the model's
``CORRELATION`` constants, ready to paste.

Run::

    GEO_DATA_DIR=... python benchmarks/error_correlation.py [--modes drive,walk,cycle]   # ~1 min
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from geo.config import Settings
from geo.measures.uncertainty import CORRELATION
from geo.travel import reference as ref
from geo.travel.calibration import band_of

BINS_KM = (0.0, 1.5, 3.0, 4.5, 6.0, 8.0, 11.0, 15.0, 20.0)


def standardised(pairs: pd.DataFrame, error: np.ndarray) -> np.ndarray:
    """Error minus its band mean, over its band standard deviation."""
    band = band_of(pairs["km"].to_numpy(float))
    out = np.full(len(error), np.nan)
    for b in np.unique(band):
        sel = (band == b) & np.isfinite(error)
        if sel.sum() > 3:
            e = error[sel]
            out[sel] = (e - e.mean()) / (e.std() or 1.0)
    return out


def binned_correlation(pairs: pd.DataFrame, z: np.ndarray, xy: dict[str, np.ndarray], *,
                       shared: str) -> pd.DataFrame:
    """Correlation of two journeys' errors that share ``shared`` (origin/dest), by the other ends' distance."""
    other = "dest" if shared == "origin" else "origin"
    df = pd.DataFrame({"key": pairs[shared].to_numpy(), "end": pairs[other].to_numpy(), "z": z}).dropna()
    left = df.merge(df, on="key", suffixes=("_a", "_b"))
    left = left[left["end_a"] < left["end_b"]]
    a = np.stack(left["end_a"].map(xy).to_numpy())
    b = np.stack(left["end_b"].map(xy).to_numpy())
    d = np.hypot(*(a - b).T) / 1000.0
    rows = []
    for lo, hi in zip(BINS_KM[:-1], BINS_KM[1:], strict=True):
        sel = (d >= lo) & (d < hi)
        if sel.sum() >= 20:
            za, zb = left["z_a"].to_numpy()[sel], left["z_b"].to_numpy()[sel]
            rows.append({"km": 0.5 * (lo + hi), "pairs": int(sel.sum()), "corr": float(np.corrcoef(za, zb)[0, 1])})
    return pd.DataFrame(rows)


def fit(table: pd.DataFrame) -> tuple[float, float]:
    """``(L_km, floor)`` minimising the pair-weighted squared error of ``floor + (1 - floor) exp(-d^2 / 2L^2)``."""
    d, c, w = table["km"].to_numpy(), table["corr"].to_numpy(), table["pairs"].to_numpy(float)
    best = (np.inf, 1.0, 0.0)
    for floor in np.linspace(0.0, 0.8, 81):
        for length in np.linspace(0.3, 15.0, 295):
            loss = float((w * (c - floor - (1 - floor) * np.exp(-d**2 / (2 * length**2))) ** 2).sum())
            if loss < best[0]:
                best = (loss, float(length), float(floor))
    return best[1], best[2]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--modes", default="drive,walk,cycle")
    args = p.parse_args()
    s = Settings.from_env()
    t0 = time.perf_counter()
    modes = tuple(m.strip() for m in args.modes.split(",") if m.strip())
    pairs = ref.rutland_pairs(s, modes=modes)
    from geo.data.areas import select_area

    lsoas = select_area("Rutland", settings=s).lsoas
    xy = {k: np.array([e, n]) for k, e, n in zip(lsoas.index, lsoas["easting"], lsoas["northing"], strict=True)}
    print(f"{len(pairs):,} journeys between {len(lsoas)} Rutland LSOA centroids ({time.perf_counter() - t0:.0f} s)")
    print("model (geo.measures.uncertainty.CORRELATION): two journeys from one origin correlate "
          "origin_share + (1 - origin_share) exp(-d^2 / 2 L^2) at distance d between their sites; to one site, "
          "site_share + (1 - site_share) exp(-d^2 / 2 L^2)\n")
    fitted: dict[tuple[str, str], tuple[float, float, float]] = {}
    for mode in modes:
        pm = pairs[pairs["mode"] == mode].reset_index(drop=True)
        for method, name, err in (("network", "network - valhalla", pm["network"] - pm["valhalla"]),
                                  ("estimate", "estimate - network", pm["estimate"] - pm["network"])):
            z = standardised(pm, err.to_numpy(float))
            same_origin = binned_correlation(pm, z, xy, shared="origin")
            same_site = binned_correlation(pm, z, xy, shared="dest")
            length_o, origin_floor = fit(same_origin)
            length_s, site_floor = fit(same_site)
            length = 0.5 * (length_o + length_s)
            fitted[(method, mode)] = (round(length, 1), round(origin_floor, 2), round(site_floor, 2))
            model = CORRELATION.get((method, mode))
            row = ", ".join(f"{k:.1f} km {c:+.2f}" for k, c in zip(same_origin["km"], same_origin["corr"], strict=True))
            print(f"{mode:5s} {name:19s}: L = {length:4.1f} km, origin share {origin_floor:.2f}, site share "
                  f"{site_floor:.2f} (model {model}); same origin, by destination distance: {row}")
    print("\nCORRELATION = {" + ", ".join(f"{k!r}: {v!r}" for k, v in fitted.items()) + "}")
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
