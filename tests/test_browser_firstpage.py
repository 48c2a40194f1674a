"""The first page, opening hours and the national view in real headless Chromium with NO network.

Every request that does not go to the local Streamlit server is aborted and recorded, so a view
that needed the internet (a CDN map library, street tiles) would fail here.  Checks the words a
commissioner reads: no warning about neighbourhoods outside the area, the mixed-method label when
trips have a leg beyond the bundled roads, unknown opening hours counted apart, and a national map
that draws offline and says which authorities its batch run covers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_browser import ARGS, CHROMIUM, _idle, _leaflet_frame, _map_frame, _shot, _tab, server  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def offline(server: str) -> Iterator[tuple[object, list[str]]]:  # noqa: F811
    """A page whose only reachable host is the local Streamlit server; the list of blocked URLs."""
    if CHROMIUM is None:
        pytest.skip("no chromium binary (install the Debian 'chromium' package)")
    sync_api = pytest.importorskip("playwright.sync_api")
    blocked: list[str] = []

    def route(r: object) -> None:
        url = r.request.url
        if url.startswith((server, "data:", "about:", "blob:")):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        pg = browser.new_page(viewport={"width": 1440, "height": 2000})
        pg.route("**/*", route)
        pg.goto(server, wait_until="domcontentloaded")
        yield pg, blocked
        browser.close()


def _markers_and_labels(pg: object) -> tuple[list[list[float]], list[tuple[str, list[float]]]]:
    fr = _leaflet_frame(pg)
    marks = fr.evaluate("() => Array.from(document.querySelectorAll('.geo-site svg')).map(e => {"
                        " var r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })")
    labels = fr.evaluate("() => Array.from(document.querySelectorAll('.geo-place span')).map(e => {"
                         " var r = e.getBoundingClientRect(); return [e.textContent, [r.left, r.top, r.right, r.bottom]]; })")
    return marks, labels


def test_first_page_words_and_labels(offline: tuple[object, list[str]], tmp_path: Path) -> None:
    pg, blocked = offline
    frame = _map_frame(pg)
    _idle(pg)
    assert frame.locator(".geo-site").count() > 0
    body = pg.locator("section.main, [data-testid='stMain']").first.inner_text()
    for outside in ("E01025809", "LSOAs (", "count as unreachable", "are not used", "not used:"):
        assert outside not in body, outside
    assert not pg.locator('[data-testid="stAlertContentWarning"]').count(), "no warning on Rutland's first page"
    assert "no trip from the area needs an estimated leg" in body
    assert "real road network" in body
    # town names never sit under a site marker (Oakham is next to its hub and pharmacies)
    marks, labels = _markers_and_labels(pg)
    names = [t for t, _ in labels]
    assert {"Oakham", "Uppingham"} <= set(names), names
    for text, (x0, y0, x1, y1) in labels:
        for m0, n0, m1, n1 in marks:
            assert x1 <= m0 or x0 >= m1 or y1 <= n0 or y0 >= n1, f"{text} is under a site marker"
    assert not [u for u in blocked if "unpkg" in u or "cdn" in u], blocked
    _shot(pg, "coverage_rutland", tmp_path)


def test_hours_unknown_are_counted_apart(offline: tuple[object, list[str]], tmp_path: Path) -> None:
    pg, _ = offline
    _tab(pg, "Opening hours")
    body = pg.locator("[data-testid='stMain']").first.inner_text()
    assert "At Tuesday 10:00: 0 open, 0 closed, 74 hours unknown (of 74 sites)" in body
    assert "counted apart as 'hours unknown'" in body
    assert "coverage by day and hour is unknown" in body
    pg.get_by_text("hours unknown: reached only if sites of unknown hours are open").first.wait_for(timeout=60_000)
    assert not pg.locator('[data-testid="stException"]').count()
    _shot(pg, "hours_rutland", tmp_path)


def test_mixed_method_label_for_neighbourhoods_beyond_the_roads(offline: tuple[object, list[str]],
                                                                tmp_path: Path, settings, lsoa_table) -> None:
    """An uploaded area = Rutland + two neighbourhoods across the border, beyond the bundled roads."""
    import geopandas as gpd
    import shapely

    from geo.data.loaders import load_lsoa_boundaries

    pg, _ = offline
    _tab(pg, "Coverage")
    codes = [*lsoa_table.index[lsoa_table["lad24cd"] == "E06000017"], "E01027033", "E01026363"]
    shapes = load_lsoa_boundaries(settings).loc[codes]
    poly = shapely.union_all(shapes.geometry.buffer(1).to_numpy())
    path = tmp_path / "Rutland and border.geojson"
    gpd.GeoDataFrame({"name": ["Rutland and border"]}, geometry=[poly], crs=shapes.crs).to_crs(4326).to_file(
        path, driver="GeoJSON")
    box = pg.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
    box.click()
    pg.get_by_role("option", name="Upload a boundary file…").click()
    _idle(pg)
    pg.locator('[data-testid="stSidebar"] [data-testid="stFileUploader"] input[type="file"]').first.set_input_files(
        str(path))
    pg.get_by_text("MIXED with an estimated leg for 2 neighbourhoods").first.wait_for(timeout=240_000)
    _idle(pg)
    body = pg.locator("[data-testid='stMain']").first.inner_text()
    assert "2 of 28 neighbourhoods' trips have an estimated leg beyond these roads" in body
    assert "estimated leg beyond its roads for 2 of 28 neighbourhoods" in body
    assert not pg.locator('[data-testid="stException"]').count()
    _shot(pg, "coverage_mixed_upload", tmp_path, publish=False)
    box.click()
    pg.get_by_role("option", name="Rutland", exact=True).click()
    _idle(pg)


def test_national_view_draws_offline(offline: tuple[object, list[str]], tmp_path: Path, settings) -> None:
    from geo.planning.batch import BatchJob
    from geo.planning.batch_run import run_batch

    pg, blocked = offline
    run = run_batch(BatchJob.parse(area="E06000017;E07000133", services=("pharmacy", "hub"), modes="drive"),
                    out_dir=tmp_path / "run", settings=settings, scheduler="serial")
    _tab(pg, "National")
    box = pg.locator(".st-key-national_run input")
    box.fill(str(run.out_dir))
    box.press("Enter")
    _idle(pg)
    pg.locator('.st-key-national_map iframe').first.wait_for(timeout=120_000)
    fr = next(f for f in pg.frames if f.evaluate("() => !!window.geoMap") and
              f.evaluate("() => document.querySelectorAll('path.leaflet-interactive').length > 2"))
    n_paths = fr.evaluate("() => document.querySelectorAll('path.leaflet-interactive').length")
    assert fr.evaluate("() => typeof L !== 'undefined'") and n_paths > 100  # 2 coloured + the grey rest
    body = pg.locator("[data-testid='stMain']").first.inner_text()
    assert "This run covers 2 of England's 296 local authorities (Rutland, Melton)" in body
    assert "the other 294 are not in it (grey on the map, no figures)" in body
    assert "L is not defined" not in body
    legend = fr.evaluate("() => Array.from(document.querySelectorAll('.geo-legend')).map(e => e.innerText).join(' ')")
    assert "not in this batch run" in legend
    assert not [u for u in blocked if "leaflet" in u.lower()], json.dumps(blocked)
    _shot(pg, "national_offline", tmp_path)
