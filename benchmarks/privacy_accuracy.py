"""Accuracy cost of the protected client base (cell key method), on realistic synthetic extracts.

For synthetic Northamptonshire extracts made like the seed's (``geo synthetic-clients``: real
postcodes, 38.5% of clients in the most deprived 20% of LSOAs), several sizes and several
installation secrets, it prints the median absolute change (published minus true) of LSOA, ward,
district, IMD quintile and area totals, and how often the stated error (+/- clients_error, about
95%) covers the true value.  As a peer, measured in the same run on the same extracts: ONS's
``ptable_10_5_rule`` shipped with ``cell-key-perturbation`` (counts under 10 to 0, others rounded
to 5), applied to the same LSOA cells and summed the same way.

    python benchmarks/privacy_accuracy.py [--area Northamptonshire] [--sizes 300,3000,10000] [--secrets 5]

Synthetic data only (no real client data exists).  docs/privacy.md quotes its output.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def _ons_10_5(counts: np.ndarray) -> np.ndarray:
    """ONS's shipped example rule: counts under 10 become 0, others are rounded to 5."""
    c = np.asarray(counts, dtype=np.int64)
    return np.where(c < 10, 0, (np.floor(c / 5 + 0.5) * 5).astype(np.int64))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--area", default="Northamptonshire")
    ap.add_argument("--sizes", default="300,3000,10000")
    ap.add_argument("--secrets", type=int, default=5, help="installations (secrets) per size")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="geo-privacy-accuracy-"))
    from geo.config import Settings
    from geo.data.areas import select_area
    from geo.measures.client_base import build_client_base
    from geo.measures.client_release import build_client_release
    from geo.measures.clients import imd_quintile, read_client_extract, synthetic_clients

    rows = []
    t0 = time.process_time()
    for n in (int(x) for x in args.sizes.split(",")):
        for k in range(args.secrets):
            secret = tmp / f"secret{k}"
            secret.write_text(f"benchmark-secret-{k:04d}-0123456789abcdef0123456789abcdef\n")
            secret.chmod(0o600)
            os.environ["GEO_CELLKEY_SECRET_FILE"] = str(secret)
            s = Settings.from_env()
            area = select_area(args.area, settings=s)
            lsoas = area.lsoas
            clients = read_client_extract(synthetic_clients(area, n, seed=100 + k, settings=s), s, source="synthetic")
            rel = build_client_release(build_client_base(clients, s), area)
            true = clients["lsoa21cd"].value_counts().reindex(lsoas.index, fill_value=0).to_numpy()
            ons = _ons_10_5(true)
            groups = {"LSOA": lsoas.index.to_numpy(), "ward": lsoas["wd24cd"].to_numpy(),
                      "district": lsoas["lad24cd"].to_numpy(),
                      "IMD quintile": imd_quintile(lsoas["imd_decile"]).to_numpy(),
                      "area": np.zeros(len(lsoas), dtype=int)}
            tables = {"LSOA": rel.by_lsoa, "ward": rel.by_ward, "district": rel.by_lad, "IMD quintile": rel.by_quintile}
            for level, keys in groups.items():
                t = pd.Series(true).groupby(keys).sum()
                o = pd.Series(ons).groupby(keys).sum()
                if level == "area":
                    pub = pd.Series([rel.headline["clients_in_area"]], index=t.index)
                    err = pd.Series([rel.headline["clients_in_area_error"]], index=t.index)
                else:
                    table = tables[level]
                    pub = table["clients"].set_axis(table.index.astype(str)).reindex(t.index.astype(str))
                    err = table["clients_error"].set_axis(table.index.astype(str)).reindex(t.index.astype(str))
                    pub.index, err.index = t.index, t.index
                rows += [{"clients": n, "level": level, "true": float(tv), "change": float(pv - tv),
                          "covered": bool(abs(pv - tv) <= ev), "ons_10_5_change": float(ov - tv)}
                         for tv, pv, ev, ov in zip(t, pub, err, o, strict=True)]
    df = pd.DataFrame(rows)
    df["abs"] = df["change"].abs()
    df["ons_abs"] = df["ons_10_5_change"].abs()
    order = ["LSOA", "ward", "district", "IMD quintile", "area"]
    summary = df.groupby(["clients", "level"]).agg(
        figures=("abs", "size"), median_true=("true", "median"), median_abs_change=("abs", "median"),
        median_pct=("abs", lambda a: float(np.median(a / df.loc[a.index, "true"].clip(lower=1)) * 100)),
        covered_pct=("covered", lambda c: 100 * c.mean()), ons_10_5_median_abs=("ons_abs", "median"),
        mean_change=("change", "mean"))
    summary = summary.reindex(order, level="level")
    summary["ratio_to_ons_10_5"] = summary["median_abs_change"] / summary["ons_10_5_median_abs"].replace(0, np.nan)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(summary.round(2).to_string())
    print(f"\n{len(df):,} figures from {args.secrets} secrets per size; {time.process_time() - t0:.1f} CPU s")


if __name__ == "__main__":
    main()
