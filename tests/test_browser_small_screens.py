"""A real headless Chromium on a phone-sized screen: no page of the app is wider than the
viewport at 360 px (every HTML page, listed from the app's routes, as a visitor and as an
admin), a site page puts its attributes beside (1366 px) or above (390 px) its map without
overlap, the layer control and legend start folded below 600 px, and the search box goes
to typed coordinates, asks which reading is meant, and finds places."""

from __future__ import annotations

import re

import pytest
from browser_fixtures import ARTIFACTS, live_app, loopback_page, need_browser
from patrol_fixtures import make_patrol
from test_browser_map import sign_in
from test_webmap_search import write_counties
from webmap_fixtures import zipped_shapefile

from fossilgis.patrols.model import ALERT_CATEGORIES

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
SHOTS = ARTIFACTS / "small-screens"
SITE = "GZ-F01"

#: GET routes that are not pages (data, files, images, API): never measured
NOT_PAGES = {
    "/static/<path:filename>": "asset",
    "/healthz": "JSON",
    "/cases/<path:number>/case.geojson": "file",
    "/cases/<path:number>/dossier.zip": "file",
    "/cases/<path:number>/files/<int:seq>": "file",
    "/alerts/<uuid>/files/<int:seq>": "file",
    "/patrols/sw.js": "script",
    "/patrols/app.webmanifest": "manifest",
    "/patrols/app/icon-<int:size>.png": "image",
    "/patrols/app/session.json": "JSON",
    "/cases/<path:number>/map.geojson": "data",
    "/cases/footprints.geojson": "data",
    "/check/<token>.json": "data",
    "/check/<token>/result.geojson": "data",
    "/patrols/export.<fmt>": "file",
    "/photos/<sha256>": "image",
    "/photos/<sha256>/thumb": "image",
    "/ogcapi/<path:rest>": "JSON 404",
}


def _page_urls(ids: dict) -> dict[str, list[str]]:
    """Route → the URLs that show its pages (HTML), path parameters filled from ``ids``."""
    ogc = "/ogcapi/collections"
    return {
        "/": ["/"],
        "/login": ["/login?next=/patrols"],
        "/alerts": ["/alerts"],
        "/alerts/<uuid>": [f"/alerts/{ids['alert']}"],
        "/check": ["/check"],
        "/check/<token>": [f"/check/{ids['token']}"],
        "/check/<token>/report.html": [f"/check/{ids['token']}/report.html"],
        "/cases": ["/cases"],
        "/cases/<path:number>": [f"/cases/{ids['case']}"],
        "/cases/<path:number>/report.html": [f"/cases/{ids['case']}/report.html"],
        "/sites/<path:feature_id>": [f"/sites/{SITE}", "/sites/NO-SUCH-SITE"],
        "/sections/<path:feature_id>": [f"/sections/{ids['section']}"],
        "/patrols": ["/patrols"],
        "/patrols/new": ["/patrols/new"],
        "/patrols/<uuid>": [f"/patrols/{ids['patrol']}"],
        "/patrols/<uuid>/edit": [f"/patrols/{ids['patrol']}/edit"],
        "/patrols/report": ["/patrols/report"],
        "/submit": ["/submit"],
        "/submit/receipt": ["/submit/receipt"],
        "/status/<token>": [ids["status"]],
        "/ogcapi": ["/ogcapi?f=html"],
        "/ogcapi/": ["/ogcapi/?f=html"],
        "/ogcapi/api": ["/ogcapi/api?f=html"],
        "/ogcapi/conformance": ["/ogcapi/conformance?f=html"],
        "/ogcapi/collections": [f"{ogc}?f=html"],
        "/ogcapi/collections/<cid>": [f"{ogc}/sites?f=html"],
        "/ogcapi/collections/<cid>/items": [f"{ogc}/sites/items?f=html&limit=50"],
        "/ogcapi/collections/<cid>/items/<fid>": [f"{ogc}/sites/items/{SITE}?f=html"],
    }


def _pages(app_rules: list[str], ids: dict) -> list[tuple[str, str]]:
    """(route, URL) of every page; fails when a GET route is neither filled here nor a
    non-page."""
    fill = _page_urls(ids)
    unknown = [
        r
        for r in app_rules
        if r not in fill and r not in NOT_PAGES and not r.startswith(("/api/", "/basemaps/"))
    ]
    assert not unknown, f"routes this test does not visit (add them to _page_urls): {unknown}"
    return [(rule, url) for rule in app_rules if rule in fill for url in fill[rule]]


@pytest.fixture(scope="module")
def live(template_copy):
    """(server URL, store, GET rules): the app over a fresh store with the test accounts,
    an office counties layer (测试县) and a patrol on GZ-F03."""
    need_browser()
    from webmap_fixtures import add_users

    data = template_copy("browser-small", add_users)
    write_counties(data)
    with live_app(data) as (server, store):
        store.save_patrol(make_patrol(2), "patroller1")
        from webmap import create_app

        rules = sorted(
            {
                r.rule
                for r in create_app({"DATA_DIR": str(data)}).url_map.iter_rules()
                if "GET" in r.methods
            }
        )
        yield server, store, rules


def _slug(url: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", url).strip("-")[:80] or "map"


_OVERFLOW = """() => {
  const w = window.innerWidth;
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.right > w + 1 && r.width > 0 && getComputedStyle(el).position !== "fixed") {
      wide.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
        (el.className && el.className.baseVal === undefined && el.className ?
          "." + String(el.className).trim().split(/\\s+/).join(".") : "") +
        " right=" + Math.round(r.right));
    }
  }
  return {scroll: document.documentElement.scrollWidth, inner: w, wide: wide.slice(0, 6)};
}"""


#: pages that answer 404 by design: an unknown site, a receipt without a submission
NOT_FOUND = ("/sites/NO-SUCH-SITE", "/submit/receipt")


def _measure(page, url: str, shot: str, failures: list) -> None:
    before = len(page.problems)
    resp = page.goto(url)
    assert resp is not None and "text/html" in resp.headers.get("content-type", ""), url
    if url.endswith(NOT_FOUND):
        assert resp.status == 404, url
        del page.problems[before:]  # Chromium logs the page's own 404 as a console error
    if page.locator(".folium-map").count():
        page.wait_for_selector(".leaflet-control-container", state="attached", timeout=10000)
    page.wait_for_timeout(150)
    got = page.evaluate(_OVERFLOW)
    page.screenshot(path=str(SHOTS / f"{shot}.png"))
    if got["scroll"] > got["inner"] + 1:
        failures.append(f"{shot} {url}: {got['scroll']} px wide in {got['inner']}: {got['wide']}")


def _make_ids(server: str, store, tmp_path) -> dict:
    """A screening token and a case (made by admin1), an applicant's status link (made by a
    visitor through /submit), a section id and the patrol's uuid."""
    ids = {
        "section": store.read_layer("sections")["id"].iloc[0],
        "patrol": store.list_patrols()["uuid"].iloc[0],
        "alert": store.list_waypoints(categories=list(ALERT_CATEGORIES))["uuid"].iloc[0],
    }
    with loopback_page(server, viewport=PHONE) as (_context, page):
        page.goto(server + "/submit?lang=zh")
        page.fill("#project_name", "城南大道改造工程（测试）")
        page.fill("#applicant_unit", "贵州某某建设集团有限公司")
        page.fill("#applicant_contact", "王工 13800000000")
        page.select_option("#project_type", "linear")
        page.fill("#line_width_m", "30")
        page.set_input_files("#footprint", str(zipped_shapefile(tmp_path / "submit")))
        page.click("#submit-send")
        page.wait_for_selector("#receipt-link", timeout=20000)
        ids["status"] = page.locator("#receipt-link").inner_text()
    with loopback_page(server) as (_context, page):
        sign_in(page, server, "admin1", "/check")
        page.set_input_files("#footprint", str(zipped_shapefile(tmp_path / "check")))
        page.select_option("select[name=project_type]", "linear")
        page.click("#check-submit")
        page.wait_for_selector("#grade", timeout=20000)
        ids["token"] = page.url.rstrip("/").rsplit("/", 1)[1]
        page.fill("#case-project-name", "凯里至剑河公路改扩建工程（测试）")
        page.click("#save-case-submit")
        page.wait_for_selector("#case-number", timeout=10000)
        ids["case"] = page.locator("#case-number").inner_text()
    return ids


def test_no_page_is_wider_than_a_360_px_screen(live, tmp_path):
    server, store, rules = live
    (tmp_path / "submit").mkdir()
    (tmp_path / "check").mkdir()
    ids = _make_ids(server, store, tmp_path)
    urls = _pages(rules, ids)
    assert len(urls) >= 25
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in [*SHOTS.glob("visitor-*.png"), *SHOTS.glob("admin-*.png")]:
        old.unlink()
    failures: list[str] = []
    problems: list[str] = []
    for who in ("visitor", "admin"):
        for lang in ("en", "zh"):
            with loopback_page(server, viewport=PHONE) as (_context, page):
                if who == "admin":
                    sign_in(page, server, "admin1")
                page.goto(f"{server}/?lang={lang}")  # remembered in the cookie
                for i, (rule, url) in enumerate(urls):
                    absolute = url if url.startswith("http") else server + url
                    shot = f"{who}-{lang}-{i:02d}-{_slug(rule)}"
                    _measure(page, absolute, shot, failures)
                problems += page.problems + page.outside
    assert not failures, "pages wider than the screen:\n" + "\n".join(failures)
    assert problems == []


@pytest.mark.parametrize("width", [390, 1366])
def test_site_page_puts_attributes_beside_or_above_the_map(live, width):
    server = live[0]
    with loopback_page(server, viewport={"width": width, "height": 844}) as (_context, page):
        page.goto(f"{server}/sites/{SITE}?lang=zh")
        page.wait_for_selector("body[data-layers-loaded=true]", timeout=15000)
        table = page.locator("table.attrs").bounding_box()
        mapbox = page.locator(".small-map .folium-map").bounding_box()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"site-{width}.png"), full_page=True)
        overlap_x = min(table["x"] + table["width"], mapbox["x"] + mapbox["width"]) - max(
            table["x"], mapbox["x"]
        )
        overlap_y = min(table["y"] + table["height"], mapbox["y"] + mapbox["height"]) - max(
            table["y"], mapbox["y"]
        )
        assert overlap_x <= 0 or overlap_y <= 0, (table, mapbox)
        if width >= 1366:
            assert mapbox["x"] >= table["x"] + table["width"], (table, mapbox)
        else:
            assert mapbox["y"] >= table["y"] + table["height"], (table, mapbox)
        assert mapbox["width"] >= 300 and mapbox["height"] >= 300
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        assert page.problems == []


def _map_page(page, server, lang="en"):
    page.goto(f"{server}/?lang={lang}")
    page.wait_for_selector("body[data-layers-loaded=true]", timeout=15000)
    page.wait_for_selector("body[data-search-ready=true]", timeout=5000)


def test_layer_control_and_legend_start_folded_below_600_px(live):
    server = live[0]
    with loopback_page(server, viewport=PHONE) as (_context, page):
        _map_page(page, server)
        control = page.locator(".leaflet-control-layers")
        assert "leaflet-control-layers-expanded" not in control.get_attribute("class")
        assert not page.locator(".leaflet-control-layers-overlays").is_visible()
        assert page.locator(".leaflet-control-layers-toggle").is_visible()
        legend = page.locator(".fg-legend").first
        assert legend.locator("strong").is_visible()
        assert not legend.locator(".fg-legend-row").first.is_visible()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "map-360-folded.png"))
        legend.locator("strong").click()  # the title opens it
        assert legend.locator(".fg-legend-row").first.is_visible()
        toggle = page.locator(".leaflet-control-layers-toggle").bounding_box()
        # Leaflet's toggle opens it (the pointer entering it; a tap on a touch screen)
        page.mouse.move(toggle["x"] + toggle["width"] / 2, toggle["y"] + toggle["height"] / 2)
        assert page.locator(".leaflet-control-layers-overlays").is_visible()
        page.screenshot(path=str(SHOTS / "map-360-opened.png"))
        assert page.problems == []
    with loopback_page(server, viewport={"width": 1366, "height": 850}) as (_context, page):
        _map_page(page, server)
        assert page.locator(".leaflet-control-layers-overlays").is_visible()
        assert page.locator(".fg-legend .fg-legend-row").first.is_visible()


def _marker_at_centre(page) -> bool:
    icon = page.locator("img.leaflet-marker-icon.fg-search-marker").bounding_box()
    box = page.locator(".map-wrap .folium-map").bounding_box()
    tip = (icon["x"] + icon["width"] / 2, icon["y"] + icon["height"])  # the pin's point
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    return abs(tip[0] - centre[0]) <= 3 and abs(tip[1] - centre[1]) <= 3


def test_search_goes_to_coordinates_asks_when_ambiguous_and_finds_places(live):
    server = live[0]
    with loopback_page(server, viewport={"width": 390, "height": 844}) as (_context, page):
        _map_page(page, server)
        asked = []
        page.on("request", lambda r: "/api/search" in r.url and asked.append(r.url))
        page.fill("#search-input", "26°35'N 106°42'E")
        page.wait_for_selector("img.leaflet-marker-icon.fg-search-marker", timeout=5000)
        page.wait_for_function(
            "document.body.getAttribute('data-search-marker') === '26.583333,106.7'"
        )
        page.wait_for_timeout(400)  # the zoom animation
        assert _marker_at_centre(page)
        assert len(asked) == 1, asked  # fossilgis-map.js's own search handler stays quiet
        popup = page.locator(".leaflet-popup-content .fg-search-popup")
        assert "106°42′E, 26°35′N" in popup.inner_text()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "search-coordinate.png"))

        # a 6-digit easting: zone 35 or 36? The page asks and moves nowhere
        page.fill("#search-input", "X=2943211 Y=612345")
        ask = page.locator("#search-results .fg-search-ask")
        ask.wait_for(timeout=5000)
        assert ask.inner_text() == "Which one did you mean?"
        readings = page.locator("#search-results .fg-search-coordinate")
        assert readings.count() == 2
        assert "zone 35" in readings.nth(0).inner_text()
        assert "zone 36" in readings.nth(1).inner_text()
        assert page.get_attribute("body", "data-search-marker") == "26.583333,106.7"
        page.screenshot(path=str(SHOTS / "search-which-one.png"))
        readings.nth(1).click()
        page.wait_for_function(
            "document.body.getAttribute('data-search-marker') === '26.594637,109.127824'"
        )
        assert page.locator("#search-results").is_hidden()

        # an office county by pinyin: fit its box and mark it
        page.fill("#search-input", "ceshi")
        place = page.locator("#search-results .fg-search-place").first
        place.wait_for(timeout=5000)
        assert "测试县" in place.inner_text() and "County" in place.inner_text()
        place.click()
        # the marker of the previous search and its popup go (the popup fades out)
        page.locator(".leaflet-popup-content", has_text="Ceshi County").wait_for(timeout=5000)
        page.wait_for_function("document.querySelectorAll('.leaflet-popup').length === 1")
        page.screenshot(path=str(SHOTS / "search-county.png"))

        # a text that is almost a coordinate says why it is not one
        page.fill("#search-input", "26°75'N 106°42'E")
        message = page.locator("#search-results .fg-search-message")
        message.wait_for(timeout=5000)
        assert "minutes must be below 60" in message.inner_text()
        assert page.problems == [] and page.outside == []

    with loopback_page(server, viewport={"width": 390, "height": 844}) as (_context, page):
        _map_page(page, server, lang="zh")
        page.fill("#search-input", "2943211 512345")
        ask = page.locator("#search-results .fg-search-ask")
        ask.wait_for(timeout=5000)
        assert ask.inner_text() == "您指的是哪一个？"
        assert "高斯-克吕格 35 带" in page.locator(".fg-search-coordinate").first.inner_text()
        page.screenshot(path=str(SHOTS / "search-which-one-zh.png"))
        assert page.problems == []
