"""A real headless Chromium (Debian's, driven by playwright) on the web map."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from browser_fixtures import ARTIFACTS, CHROMIUM, live_app, loopback_page
from webmap_fixtures import PASSWORD, XSS_ID, XSS_NAME, zipped_shapefile

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(xss_data):
    """The app on waitress on a free loopback port, in a thread."""
    with live_app(xss_data) as (url, _store):
        yield url


@pytest.fixture
def page(server):
    with loopback_page(server, dialogs=True) as (_context, pg):
        yield pg


def sign_in(page, server, username="viewer1", next_path="/"):
    """Sign in through the form, as a person would."""
    page.goto(f"{server}/login?lang=en&next={next_path}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#signed-in-as", timeout=10000)


def test_map_draws_sites_popups_switches_language(page, server):
    page.goto(server + "/")
    page.wait_for_selector("body[data-layers-loaded=true]", timeout=15000)
    n_sites = page.locator("path.fg-site").count()
    assert n_sites == 37  # 36 demonstration sites + the markup-named one
    assert page.locator("path.fg-section").count() > 0
    assert page.locator(".fg-legend").is_visible()
    # a visitor's map draws no patrols or alerts, so its legend does not list them
    assert page.locator(".fg-legend .fg-legend-patrol, .fg-legend .fg-legend-alert").count() == 0
    assert page.locator("#demo-banner").is_visible()
    assert page.locator(".leaflet-control-scale").count() == 1
    assert page.locator(".leaflet-control-measure").count() == 1
    assert page.locator(".leaflet-control-zoom-fullscreen").count() == 1

    # open the popup of the markup-named site through the search box: its name is text
    page.fill("#search-input", "script")
    page.locator(".fg-search-item").first.click()
    popup = page.locator(".leaflet-popup-content .fg-popup")
    popup.wait_for(timeout=5000)
    assert popup.locator(".fg-popup-zh").inner_text() == XSS_NAME
    assert popup.locator("script").count() == 0 and popup.locator("b").count() == 0
    assert popup.locator("a.fg-popup-link").get_attribute("href") == f"/sites/{XSS_ID}"

    # click a drawn site polygon and see its popup
    page.keyboard.press("Escape")
    page.goto(server + "/")
    page.wait_for_selector("body[data-layers-loaded=true]", timeout=15000)
    page.fill("#search-input", "GZ-F01")
    page.locator(".fg-search-item").first.click()
    page.wait_for_selector(".leaflet-popup-content .fg-popup", timeout=5000)
    assert "Kaili" in page.locator(".leaflet-popup-content").inner_text()

    # control zones toggle on
    page.locator(".leaflet-control-layers-overlays label", has_text="Construction-control").click()
    page.wait_for_selector("path.fg-zone-control", state="attached", timeout=10000)

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map.png"))

    page.click("#lang-switch")
    page.wait_for_selector("body[data-layers-loaded=true]", timeout=15000)
    assert "贵州省古生物化石保护地图" in page.locator(".brand").inner_text()
    assert "图例" in page.locator(".fg-legend").inner_text()
    page.screenshot(path=str(ARTIFACTS / "map-zh.png"))
    assert page.problems == []
    assert page.outside == []


def test_check_upload_zipped_shapefile_shows_grade(page, server, tmp_path):
    page.goto(server + "/check?lang=en")
    assert page.locator("#check-sign-in").is_visible()  # visitors are asked to sign in
    sign_in(page, server, next_path="/check")
    assert page.url.endswith("/check")
    page.wait_for_selector(".leaflet-draw-toolbar", timeout=10000)
    page.set_input_files("#footprint", str(zipped_shapefile(tmp_path)))
    page.select_option("select[name=project_type]", "building")
    page.click("#check-submit")
    page.wait_for_selector("#grade", timeout=20000)
    assert page.locator("#grade").get_attribute("data-grade") == "avoid"
    assert "Must avoid" in page.locator("#grade").inner_text()
    page.wait_for_selector("body[data-layers-loaded=true]", timeout=10000)
    assert page.locator("path.fg-footprint").count() == 1
    assert page.locator("path.fg-target").count() >= 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "check-result.png"), full_page=True)
    assert page.problems == []
    assert page.outside == []


def test_check_draw_polygon(page, server):
    sign_in(page, server, next_path="/check")
    page.goto(server + "/check?lang=en")
    page.wait_for_selector(".leaflet-draw-draw-polygon", timeout=10000)
    page.click(".leaflet-draw-draw-polygon")
    box = page.locator(".draw-map .folium-map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in [(-60, -60), (60, -60), (60, 60), (-60, 60)]:
        page.mouse.move(cx + dx, cy + dy)
        page.mouse.down()
        page.mouse.up()
        page.wait_for_timeout(250)
    page.locator(".leaflet-draw-actions a", has_text="Finish").first.click()
    page.wait_for_function("document.getElementById('drawn-status').textContent.length > 0")
    page.click("#check-submit")
    page.wait_for_selector("#grade", timeout=20000)
    assert page.locator("#grade").get_attribute("data-grade") in {
        "none",
        "attention",
        "assess",
        "avoid",
    }
    assert page.problems == []


def test_target_page_escapes_and_draws(page, server):
    page.goto(server + f"/sites/{XSS_ID}?lang=en")
    page.wait_for_selector("body[data-layers-loaded=true]", timeout=10000)
    assert page.locator("h1 .zh").inner_text() == XSS_NAME
    assert page.locator("path.fg-site").count() == 1
    assert page.problems == []


def test_chromium_is_debian_s(server):
    assert shutil.which("chromium") == CHROMIUM or Path(CHROMIUM).exists()
