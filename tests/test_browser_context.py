"""A real headless Chromium on the context layers: with no network at all (every request
that leaves loopback is refused and recorded), the maps draw the province outline, the
rivers, the cities named in the page language and an office's counties (synthetic, named
测试县 and 样例县, written by the test) with their names from zoom 9, under the sites, at a
desktop and a phone size, in Chinese and in English."""

from __future__ import annotations

import json

import pytest
from browser_fixtures import ARTIFACTS, live_app, loopback_page
from test_browser_potential import SET_VIEW
from test_webmap_context import COUNTIES, write_office_layer

from fossilgis.context import ATTRIBUTION, read_context

pytestmark = pytest.mark.browser

SIZES = [(1366, 850), (390, 844)]
LANGS = {
    "zh": {"locale": "zh-CN", "overlay": "地理底图要素", "city": "贵阳", "county": "测试县"},
    "en": {
        "locale": "en-GB",
        "overlay": "Geographic context",
        "city": "Guiyang",
        "county": "Ceshi County",
    },
}
PANE = ".leaflet-fgContext-pane"


@pytest.fixture(scope="module")
def server(template_copy):
    """The app on loopback; the office has imported two (synthetic) counties."""
    data = template_copy("context-browser")
    write_office_layer(data, "counties", COUNTIES)
    with live_app(data) as (url, _store):
        yield url


def _loaded(page) -> dict:
    page.wait_for_selector("body[data-context-loaded]", timeout=15000)
    return json.loads(page.get_attribute("body", "data-context-loaded"))


def _names(page, cls: str) -> list[str]:
    return page.locator(f".leaflet-fgContextLabels-pane .{cls}").all_inner_texts()


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_main_map_draws_the_context_offline(server, lang, size):
    want = LANGS[lang]
    width, height = size
    viewport = {"width": width, "height": height}
    with loopback_page(server, locale=want["locale"], viewport=viewport) as (_context, page):
        page.goto(f"{server}/?lang={lang}")
        page.wait_for_selector("body[data-layers-loaded=true]", timeout=15000)
        counts = _loaded(page)
        assert counts == {
            "province": 1,
            "counties": 2,
            "rivers": len(read_context("rivers")),
            "places": len(read_context("places")),
        }
        # drawn: the outline, the counties' lines, each river, a dot per city
        assert page.locator(f"{PANE} path.fg-ctx-province").count() == 1
        assert page.locator(f"{PANE} path.fg-ctx-counties").count() == 2
        assert page.locator(f"{PANE} path.fg-ctx-rivers").count() == counts["rivers"]
        assert page.locator(f"{PANE} path.fg-ctx-place").count() == counts["places"]
        province = page.locator(f"{PANE} path.fg-ctx-province")
        assert province.get_attribute("fill") == "none" and province.get_attribute("d")
        # the cities are named in the page's language; the counties not yet (zoom 7)
        cities = _names(page, "fg-ctx-place-name")
        places = read_context("places")
        assert sorted(cities) == sorted(places["name_zh" if lang == "zh" else "name_en"])
        assert page.locator(".fg-ctx-place-name span", has_text=want["city"]).is_visible()
        assert _names(page, "fg-ctx-counties-name") == []
        # under the sites and sections, which stay on top and clickable
        z = page.evaluate(
            """() => ['fgContext', 'fgContextLabels', 'overlay'].map((p) => Number(
                 getComputedStyle(document.querySelector('.leaflet-' + p + '-pane')).zIndex))"""
        )
        assert z[0] < z[2] and z[1] < z[2]
        assert page.locator("path.fg-site").count() > 0
        # one overlay in the layer control, on; the credit in the attribution
        overlay = page.locator(".leaflet-control-layers-overlays label", has_text=want["overlay"])
        assert overlay.locator("input").is_checked()
        credit = page.locator(".leaflet-control-attribution").inner_text()
        assert ATTRIBUTION[lang] in credit
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"context-{lang}-{width}x{height}.png"))

        # county names from zoom 9, in the page's language
        page.evaluate(SET_VIEW, [26.32, 106.52, 9])
        page.wait_for_selector(".fg-ctx-counties-name span", timeout=5000)
        counties = _names(page, "fg-ctx-counties-name")
        assert want["county"] in counties and len(counties) == 2
        page.screenshot(path=str(ARTIFACTS / f"context-{lang}-{width}x{height}-z9.png"))

        # off: nothing drawn, no credit; on again: all back (a phone's control opens first)
        page.locator(".leaflet-control-layers").first.hover()
        overlay.click()
        assert page.locator(f"{PANE} path").count() == 0
        assert _names(page, "fg-ctx-counties-name") == []
        assert ATTRIBUTION[lang] not in page.locator(".leaflet-control-attribution").inner_text()
        overlay.click()
        assert page.locator(f"{PANE} path.fg-ctx-province").count() == 1
        assert len(_names(page, "fg-ctx-counties-name")) == 2
        assert page.outside == [] and page.problems == []


@pytest.mark.parametrize("path", ["/sites/GZ-F01", "/check"])
def test_small_and_drawing_maps_draw_the_context_with_their_own_control(server, path):
    with loopback_page(server, locale="zh-CN") as (_context, page):
        page.goto(f"{server}{path}?lang=zh")
        counts = _loaded(page)
        assert counts["province"] == 1 and counts["counties"] == 2
        assert page.locator(f"{PANE} path.fg-ctx-rivers").count() == counts["rivers"]
        assert "贵阳" in _names(page, "fg-ctx-place-name")
        control = page.locator(".leaflet-control-layers")
        assert control.count() == 1
        control.hover()
        overlay = control.locator("label", has_text="地理底图要素")
        assert overlay.locator("input").is_checked()
        assert ATTRIBUTION["zh"] in page.locator(".leaflet-control-attribution").inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        name = path.strip("/").replace("/", "-")
        page.screenshot(path=str(ARTIFACTS / f"context-{name}.png"))
        assert page.outside == [] and page.problems == []
