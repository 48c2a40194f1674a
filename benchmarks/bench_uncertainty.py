"""What the ranges cost: a per-service scenario with ranges against the same scenario without them.

    .venv/bin/python benchmarks/bench_uncertainty.py [--draws 200]

For Rutland (real roads) and Leicestershire (the calibrated estimate), hubs and pharmacies, a
satellite added at a postcode, threshold 15 minutes: CPU seconds of

* the point answer (``Settings.uncertainty_draws = 0``: per service, no draws);
* the answer with ranges (``--draws`` seeded draws over travel-time error and site location);
* the peer: the old single-figure ``run_scenario`` (nearest site of any type, no ranges);

with LSOA, site and jittered-site counts, and the ratios ranges/point and ranges/peer.  Goal
(issue 22): a scenario on Leicestershire with the estimate answers in seconds -- ranges at most
~10x the point answer.  CPU time (``time.process_time``), not wall time: the machine is shared.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo import AddSite, Scenario, Settings, Study, StudySpec, TravelSpec
from geo.planning.scenarios import run_scenario

CASES = (("Rutland", "auto", "LE15 9PZ"), ("Leicestershire", "estimate", "LE13 0AE"))


def cpu(fn: object) -> tuple[float, object]:
    t0 = time.process_time()
    out = fn()  # type: ignore[operator]
    return time.process_time() - t0, out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--draws", type=int, default=200)
    args = p.parse_args()
    base = Settings.from_env()
    print(f"{'area':15s} {'method':9s} {'LSOAs':>6s} {'sites':>6s} {'jittered':>8s} {'peer s':>7s} "
          f"{'point s':>8s} {'ranges s':>9s} {'ranges/point':>13s} {'ranges/peer':>12s}")
    for area, method, postcode in CASES:
        sc = Scenario(name="satellite", changes=(AddSite(name="satellite", postcode=postcode),))
        times = {}
        for label, draws in (("point", 0), ("ranges", args.draws)):
            st = Study(StudySpec(area=area, services=("hub", "pharmacy"), travel=TravelSpec.parse(
                mode="drive", method=method), thresholds_minutes=(15.0,)), settings=base.with_(uncertainty_draws=draws))
            _ = st.sites, st.router, st.origins()  # loading is not what is timed
            times[label], res = cpu(lambda st=st, sc=sc: st.scenario(sc))
        peer_s, _ = cpu(lambda st=st, sc=sc: run_scenario(sc, st.area, st.sites, st.router, threshold_minutes=15.0,
                                                   settings=st.settings))
        jit = res["uncertainty"]["sites_with_uncertain_location"]  # type: ignore[index]
        print(f"{area:15s} {st.method:9s} {len(st.area.lsoas):6d} {len(st.sites):6d} {jit:8d} {peer_s:7.2f} "
              f"{times['point']:8.2f} {times['ranges']:9.2f} {times['ranges'] / times['point']:13.1f} "
              f"{times['ranges'] / peer_s:12.1f}")


if __name__ == "__main__":
    main()
