"""Atlas benchmarks: cold start to first map, control-change latency, map payload size.

Run: ``python benchmarks/bench_app.py [--areas Rutland,Northamptonshire,Essex] [--no-browser]``.
Needs the open-data bundle; the browser timings need Chromium (``/usr/bin/chromium``).
Prints one line per figure; the payload goal is <= 5 MB per map.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def payload_mb(area_name: str, *, metric: str = "minutes") -> dict[str, float]:
    """Size of what st_folium ships for the Coverage map of ``area_name`` (script + GeoJSON + assets)."""
    import numpy as np

    from atlas import basemap, leaflet
    from geo.config import Settings
    from geo.data.areas import select_area
    from geo.data.sites import load_sites
    from geo.outputs import geojson
    from geo.travel.routing import make_router

    s = Settings.from_env()
    t0 = time.perf_counter()
    a = select_area(area_name, settings=s, buffer_km=5.0)
    sites = load_sites(s, area=a, types=["hub", "pharmacy"], buffer_km=15.0)
    r = make_router("drive", area=a, settings=s)
    frame = a.all_lsoas[["lsoa21nm", "lad24nm", "adults", "imd_decile", "in_area", "easting", "northing", "geometry"]].copy()
    res = r.nearest(sites[["easting", "northing"]].to_numpy(float), frame[["easting", "northing"]].to_numpy(float))
    frame["minutes"] = res.minutes
    frame["site_name"] = np.where(res.site_index >= 0, sites["name"].to_numpy()[np.clip(res.site_index, 0, None)], None)
    t_analysis = time.perf_counter() - t0
    t1 = time.perf_counter()
    gj = geojson.choropleth_geojson(frame, "minutes", bins=geojson.MINUTES_BINS, colours=geojson.MINUTES_COLOURS)
    m = basemap.base_map(geojson.geojson_bounds(gj))
    leaflet.lsoa_choropleth(gj, legend_title="Minutes").add_to(m)
    leaflet.site_markers(sites).add_to(m)
    d = basemap.leaflet_data_urls(basemap.find_leaflet_dir()) if basemap.find_leaflet_dir() else {"js": [], "css": []}
    basemap.use_assets(m, d)
    html = m.get_root().render()
    t_map = time.perf_counter() - t1
    assets = sum(len(u) for _, u in d["js"] + d["css"])
    return {"lsoas": len(frame), "sites": len(sites), "geojson_mb": len(json.dumps(gj)) / 1e6,
            "map_script_mb": len(html) / 1e6, "assets_mb": assets / 1e6,
            "total_mb": (len(html) + assets) / 1e6, "analysis_s": t_analysis, "map_build_s": t_map,
            "method": r.method}


def _free_port() -> int:
    with socket.socket() as sk:
        sk.bind(("127.0.0.1", 0))
        return int(sk.getsockname()[1])


def browser_timings() -> dict[str, float]:
    """Cold start (process launch to first drawn map) and a threshold-change round trip."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    port = _free_port()
    cache = Path(os.environ.get("TMPDIR", "/tmp")) / f"geo-bench-cache-{port}"
    env = {**os.environ, "GEO_CACHE_DIR": str(cache)}  # cold: no on-disk network/routing cache
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless",
                             "true", "--server.port", str(port), "--server.address", "127.0.0.1"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        t_server = time.perf_counter() - t0
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu",
                                                                   "--disable-background-networking"])
            pg = b.new_page(viewport={"width": 1440, "height": 1000})
            pg.goto(url)
            fr = pg.frame_locator('iframe[title="streamlit_folium.st_folium"]').first
            fr.locator("path.leaflet-interactive").first.wait_for(timeout=600_000)
            t_first_map = time.perf_counter() - t0
            pg.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=600_000)
            pg.wait_for_timeout(1000)
            slider = pg.get_by_role("slider").first
            t1 = time.perf_counter()
            slider.focus()
            slider.press("ArrowLeft")
            pg.wait_for_function("() => document.querySelector('[data-stale=\"true\"]') || true")
            pg.wait_for_timeout(100)
            pg.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=600_000)
            fr.locator("path.leaflet-interactive").first.wait_for(timeout=600_000)
            t_change = time.perf_counter() - t1
            b.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        shutil.rmtree(cache, ignore_errors=True)
    return {"server_up_s": t_server, "cold_start_to_first_map_s": t_first_map, "threshold_change_s": t_change}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--areas", default="Rutland,Northamptonshire,Leicestershire,Essex")
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args()
    for name in args.areas.split(","):
        r = payload_mb(name.strip())
        flag = "OK" if r["total_mb"] <= 5 else "OVER 5 MB"
        print(f"payload {name:<18} lsoas={r['lsoas']:>5} sites={r['sites']:>4} method={r['method']:<8} "
              f"geojson={r['geojson_mb']:.2f} MB map={r['map_script_mb']:.2f} MB assets={r['assets_mb']:.2f} MB "
              f"total={r['total_mb']:.2f} MB [{flag}] analysis={r['analysis_s']:.1f}s build={r['map_build_s']:.2f}s")
    if not args.no_browser:
        t = browser_timings()
        print(f"browser server_up={t['server_up_s']:.1f}s cold_start_to_first_map={t['cold_start_to_first_map_s']:.1f}s "
              f"threshold_change={t['threshold_change_s']:.2f}s")


if __name__ == "__main__":
    main()
