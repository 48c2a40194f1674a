"""Real-browser tests of the atlas (headless Chromium via Playwright).

Starts ``streamlit run app.py`` on a free port, waits for the Leaflet map, changes a control,
and saves screenshots to a temporary folder (and to ``docs/screenshots/`` when
``GEO_SCREENSHOTS=1``).  Skipped when no Chromium is available.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SHOTS = ROOT / "docs" / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("streamlit did not start within 60 s")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def page(server: str) -> Iterator[object]:
    if CHROMIUM is None:
        pytest.skip("no chromium binary (install the Debian 'chromium' package)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        pg = browser.new_page(viewport={"width": 1440, "height": 2000})
        pg.goto(server, wait_until="domcontentloaded")
        yield pg
        browser.close()


def _map_frame(pg: object, *, index: int | None = None, timeout_ms: int = 240_000) -> object:
    """The iframe holding a Leaflet map, once its container and a path are drawn.

    Display maps are ``st.iframe`` elements in a container keyed ``map-…``; the scenario click map
    is an ``st_folium`` iframe.  By default this takes the first *visible* map.
    """
    sel = '[class*="st-key-map-"] iframe, iframe[title="streamlit_folium.st_folium"]'
    pg.wait_for_selector(sel, timeout=timeout_ms, state="attached")
    if index is None:
        maps_ = pg.locator(sel)
        index = 0
        for _ in range(max(1, timeout_ms // 1000)):
            visible = [i for i in range(maps_.count()) if maps_.nth(i).is_visible()]
            if visible:
                index = visible[0]
                break
            pg.wait_for_timeout(1000)
    frame = pg.frame_locator(sel).nth(index)
    frame.locator(".leaflet-container").first.wait_for(timeout=timeout_ms)
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=timeout_ms)
    return frame


def _idle(pg: object, timeout_ms: int = 240_000) -> None:
    """Wait until Streamlit has finished running the script."""
    pg.wait_for_timeout(500)
    pg.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.trim() === ''",
        timeout=timeout_ms)
    pg.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=timeout_ms)
    pg.wait_for_timeout(1500)


def _shot(pg: object, name: str, tmp_path: Path, *, full_page: bool = True, publish: bool = True) -> Path:
    """Screenshot into tmp_path; with GEO_SCREENSHOTS=1 also into docs/screenshots if ``publish``."""
    out = tmp_path / f"{name}.png"
    pg.screenshot(path=str(out), full_page=full_page)
    if publish and os.environ.get("GEO_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(out, SHOTS / f"{name}.png")
    return out


def _tab(pg: object, label: str) -> None:
    """Pick a view in the tab-like switcher (a horizontal radio keyed ``view``)."""
    pg.locator(".st-key-view").get_by_text(label, exact=True).click()
    _idle(pg)


def _leaflet_frame(pg: object, index: int = 0) -> object:
    """The ``index``-th page frame (visible or not) that holds an atlas Leaflet map (``window.geoMap``)."""
    found = []
    for fr in pg.frames:
        try:
            if fr.evaluate("() => !!window.geoMap && window.geoMap.getContainer().offsetWidth > 0"):
                found.append(fr)
        except Exception:  # detached or cross-origin frames
            continue
    assert len(found) > index, f"only {len(found)} Leaflet maps on the page"
    return found[index]


def _check_map_context(pg: object, *, expect: tuple[str, ...] = ()) -> None:
    """Place labels are drawn in the map iframe and no legend covers the study area's centre."""
    fr = _leaflet_frame(pg)
    labels = fr.evaluate("() => Array.from(document.querySelectorAll('.geo-place span')).map(e => e.textContent)")
    assert len(labels) >= 3, labels
    for name in expect:
        assert name in labels, (name, labels)
    centre = fr.evaluate("() => { var p = window.geoMap.latLngToContainerPoint(window.geoAreaCentre);"
                         " var r = window.geoMap.getContainer().getBoundingClientRect();"
                         " return [p.x + r.left, p.y + r.top]; }")
    rects = fr.evaluate("() => Array.from(document.querySelectorAll('.geo-legend')).map(e => {"
                        " var r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })")
    assert rects, "legends are drawn"
    for x0, y0, x1, y1 in rects:
        assert not (x0 <= centre[0] <= x1 and y0 <= centre[1] <= y1), ("legend covers the centre", rects, centre)


def test_map_loads_and_controls_work(page: object, tmp_path: Path) -> None:
    pg = page
    frame = _map_frame(pg)
    _idle(pg)
    assert frame.locator(".geo-site").count() > 0, "site markers are drawn"
    assert frame.locator(".geo-legend").count() >= 1, "a legend is drawn"
    _check_map_context(pg, expect=("Oakham", "Uppingham"))
    assert frame.locator(".geo-legend details").count() >= 1, "legends fold away"
    assert _shot(pg, "coverage_rutland", tmp_path).stat().st_size > 10_000
    # change the threshold slider with the keyboard (a control change re-renders the map)
    slider = pg.get_by_role("slider").first
    slider.focus()
    for _ in range(10):  # 1-minute steps: 30 -> 20 minutes
        slider.press("ArrowLeft")
    _idle(pg)
    _map_frame(pg)
    assert pg.get_by_text("threshold").first.is_visible()


@pytest.mark.parametrize(("label", "name"), [("Gaps", "gaps_rutland"), ("Scenario", "scenario_rutland"),
                                             ("Opening hours", "hours_rutland"), ("Clients", "clients_rutland"),
                                             ("Data & sources", "data_sources")])
def test_each_view_renders(page: object, tmp_path: Path, label: str, name: str) -> None:
    pg = page
    _tab(pg, label)
    assert not pg.locator('[data-testid="stException"]').count(), f"exception in {label}"
    if label in {"Gaps", "Scenario"}:
        pg.wait_for_timeout(1500)
        _map_frame(pg)
        _check_map_context(pg, expect=("Oakham",))
    _shot(pg, name, tmp_path)


def test_scenario_click_adds_site(page: object, tmp_path: Path) -> None:
    pg = page
    _tab(pg, "Coverage")
    _map_frame(pg)
    _idle(pg)
    _tab(pg, "Scenario")
    maps_ = pg.locator('iframe[title="streamlit_folium.st_folium"]')
    visible: list[int] = []
    for _ in range(60):
        visible = [i for i in range(maps_.count()) if maps_.nth(i).is_visible()]
        if visible:
            break
        pg.wait_for_timeout(1000)
    assert visible, "no visible map in the Scenario tab"
    _idle(pg)
    box = maps_.nth(visible[0]).bounding_box()
    pg.wait_for_timeout(2000)
    pg.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.55)
    try:
        pg.get_by_text("Clicked point").first.wait_for(timeout=120_000)
    except Exception:
        _shot(pg, "debug_click", tmp_path)
        raise
    _idle(pg)
    pg.get_by_role("button", name="Add site here").click()
    try:
        pg.get_by_text("What changes").first.wait_for(timeout=240_000)
    except Exception:
        _shot(pg, "debug_add", tmp_path)
        raise
    _idle(pg)
    assert not pg.locator('[data-testid="stException"]').count()
    _shot(pg, "scenario_after_click", tmp_path, publish=False)


def test_scenario_bad_postcode_keeps_results(page: object, tmp_path: Path) -> None:
    """A bad postcode is refused beside the input; earlier results stay; one change can be removed."""
    pg = page
    _tab(pg, "Scenario")
    if pg.get_by_text("Clear all changes").count():  # changes left by the click test
        pg.get_by_text("Clear all changes").first.click()
        _idle(pg)
    pg.locator(".st-key-scen_place_by").get_by_text("postcode", exact=True).click()
    _idle(pg)
    box = pg.locator(".st-key-scen_postcode input")
    box.fill("LE15 9EH")
    box.press("Enter")
    _idle(pg)
    pg.get_by_role("button", name="Add site here").click()
    pg.get_by_text("What changes").first.wait_for(timeout=240_000)
    _idle(pg)
    box.fill("ZZ9 9ZZ")
    box.press("Enter")
    _idle(pg)
    pg.get_by_role("button", name="Add site here").click()
    pg.get_by_text("Not added").first.wait_for(timeout=120_000)
    _idle(pg)
    assert pg.get_by_text("What changes").first.is_visible(), "earlier results stay"
    assert not pg.locator('[data-testid="stException"]').count()
    _shot(pg, "scenario_bad_postcode", tmp_path, publish=False)
    pg.locator('[class*="st-key-scen_del_0"] button').first.click()
    _idle(pg)
    assert pg.get_by_text("None yet").first.is_visible(), "the change was removed on its own"


def test_bad_uploads_show_errors(page: object, tmp_path: Path) -> None:
    pg = page
    _tab(pg, "Clients")
    bad = tmp_path / "extract.csv"
    bad.write_text("name,age\nAlice,31\n", encoding="utf-8")
    pg.locator('[data-testid="stFileUploader"] input[type="file"]').last.set_input_files(str(bad))
    pg.get_by_text("The extract could not be used").first.wait_for(timeout=120_000)
    _idle(pg)
    _shot(pg, "clients_bad_upload", tmp_path)
    pg.get_by_role("button", name="Try a synthetic extract").click()
    pg.get_by_text("Clients per 1,000 adults").first.wait_for(timeout=120_000)
    _idle(pg)
    _shot(pg, "clients_synthetic", tmp_path)
    # a broken boundary file for the study area
    box = pg.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
    box.click()
    pg.get_by_role("option", name="Upload a boundary file…").click()
    _idle(pg)
    poly = tmp_path / "area.geojson"
    poly.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    pg.locator('[data-testid="stSidebar"] [data-testid="stFileUploader"] input[type="file"]').first.set_input_files(
        str(poly))
    pg.get_by_text("Could not prepare the analysis").first.wait_for(timeout=120_000)
    _idle(pg)
    _shot(pg, "area_bad_upload", tmp_path)


def test_northamptonshire_estimate(page: object, tmp_path: Path) -> None:
    pg = page
    _tab(pg, "Coverage")
    box = pg.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
    box.click()
    pg.get_by_role("option", name="Northamptonshire", exact=True).click()
    _idle(pg)
    _map_frame(pg)
    _idle(pg)
    assert pg.get_by_text("ESTIMATE").first.is_visible()
    _check_map_context(pg, expect=("Northampton", "Kettering"))
    _shot(pg, "coverage_northamptonshire_estimate", tmp_path, publish=False)
    # a large county: every layer still draws (payload stays small enough for Leaflet)
    box.click()
    pg.get_by_role("option", name="Essex", exact=True).click()
    _idle(pg)
    _map_frame(pg)
    _idle(pg)
    pg.get_by_text("Essex").first.wait_for(timeout=240_000)
    _shot(pg, "coverage_essex_estimate", tmp_path, publish=False)  # checked, not kept in docs/
