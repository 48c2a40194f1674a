"""A hostile site / neighbourhood name is shown as text in real Chromium, never run as script.

Builds the atlas map layers (``geo.outputs.maps``: LSOA choropleth with tooltips, site markers
with tooltips and popups, legend) with names like ``<img src=x onerror=...>``, opens the page in
headless Chromium (offline Leaflet), hovers and clicks, and checks that the tooltip and popup show
the name literally and that no ``onerror`` handler ran.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
HOSTILE = '<img src=x onerror="window.__xss=(window.__xss||0)+1">'


@pytest.fixture(scope="module")
def hostile_map(rutland, tmp_path_factory) -> Path:
    from atlas import basemap, leaflet
    from geo.outputs import geojson as maps

    lsoas = rutland.lsoas.sort_index().head(3).copy()
    lsoas["lsoa21nm"] = [HOSTILE, "Rutland & <b>Oakham</b>", "plain"]
    lsoas["minutes"] = [5.0, 12.0, 40.0]
    gj = maps.choropleth_geojson(lsoas, "minutes", bins=maps.MINUTES_BINS, colours=maps.MINUTES_COLOURS)
    c = lsoas.geometry.representative_point()
    sites = pd.DataFrame({"name": [HOSTILE], "site_type": ["hub"], "easting": [c.x.iloc[2]],
                          "northing": [c.y.iloc[2]], "provider": [HOSTILE], "opening_hours": ["Mo-Fr 09:00-17:00"]})
    m = basemap.base_map(maps.geojson_bounds(gj), tiles=None, width_px=900, height_px=600)
    leaflet.lsoa_choropleth(gj, legend_title=HOSTILE, bins=maps.MINUTES_BINS, colours=maps.MINUTES_COLOURS,
                            value_label="Minutes").add_to(m)
    leaflet.site_markers(sites).add_to(m)
    local = basemap.find_leaflet_dir(str(ROOT / "atlas" / "static" / "leaflet"))
    if local is None:
        pytest.skip("no local Leaflet copy")
    basemap.use_assets(m, basemap.leaflet_data_urls(local))
    out = tmp_path_factory.mktemp("xss") / "hostile_map.html"
    out.write_text(m.get_root().render(), encoding="utf-8")
    return out


def test_hostile_names_are_text_in_chromium(hostile_map: Path) -> None:
    if CHROMIUM is None:
        pytest.skip("no chromium binary (install the Debian 'chromium' package)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            pg = browser.new_page(viewport={"width": 1000, "height": 700})
            pg.goto(hostile_map.as_uri(), wait_until="load")
            pg.wait_for_selector(".leaflet-interactive", timeout=60_000)
            # site marker: tooltip on hover, popup on click
            marker = pg.locator(".geo-site").first
            marker.hover()
            pg.wait_for_selector(".leaflet-tooltip", timeout=10_000)
            tip = pg.locator(".leaflet-tooltip").first
            assert HOSTILE in tip.inner_text()
            assert tip.locator("img").count() == 0
            marker.click()
            pg.wait_for_selector(".leaflet-popup-content", timeout=10_000)
            popup = pg.locator(".leaflet-popup-content").first
            assert HOSTILE in popup.inner_text()
            assert popup.locator("img").count() == 0
            pg.locator(".leaflet-popup-close-button").first.click()
            # LSOA polygon: the folium GeoJsonTooltip of the first (hostile) neighbourhood; hover a
            # grid of points over each polygon's box until its tooltip shows
            paths = pg.locator("path.leaflet-interactive")
            hovered = False
            for i in range(paths.count()):
                box = paths.nth(i).bounding_box()
                if not box or hovered:
                    continue
                for fx in (0.5, 0.3, 0.7, 0.4, 0.6):
                    for fy in (0.5, 0.3, 0.7, 0.4, 0.6):
                        pg.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
                        pg.wait_for_timeout(120)
                        texts = pg.locator(".leaflet-tooltip").all_inner_texts()
                        if any("window.__xss" in t and "Minutes" in t for t in texts):
                            hovered = True
                            break
                    if hovered:
                        break
            assert hovered, "the hostile neighbourhood name should show, as text, in a polygon tooltip"
            legend = pg.locator(".leaflet-control").all_inner_texts()
            assert any(HOSTILE in t for t in legend)
            assert pg.locator(".leaflet-container img[src='x']").count() == 0
            assert pg.evaluate("window.__xss === undefined"), "an onerror handler ran"
        finally:
            browser.close()
