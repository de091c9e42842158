"""A real headless Chromium on the fossil potential layer: turned on, it draws the
synthetic units (tests/test_webmap_potential.py) in their class colours with the legend,
asks for nothing below its zoom, and no request leaves the host."""

from __future__ import annotations

import pytest
from browser_fixtures import ARTIFACTS, live_app, loopback_page
from test_webmap_potential import (
    SQUARE_5,
    SQUARE_U,
    UNKNOWN_EN,
    centre,
    formation_map,
    use_synthetic_table,
)

pytestmark = pytest.mark.browser

#: moves the page's Leaflet map (folium's global ``map_<id>``)
SET_VIEW = """([lat, lon, zoom]) => {
  const name = Object.keys(window).find((k) => /^map_[0-9a-f]+$/.test(k));
  window[name].setView([lat, lon], zoom, {animate: false});
}"""


@pytest.fixture(scope="module")
def live(template_copy, tmp_path_factory):
    """(server URL, table): the app on loopback with the synthetic geological map."""
    with pytest.MonkeyPatch.context() as mp:
        table = use_synthetic_table(mp, tmp_path_factory.mktemp("potential"))
        data = template_copy(
            "potential-browser",
            lambda store: store.formations.replace(
                formation_map(), source="synthetic test map", user="t"
            ),
        )
        with live_app(data) as (url, _store):
            yield url, table


def _turn_on(page, name: str) -> None:
    page.locator(".leaflet-control-layers-overlays label", has_text=name).click()


def test_potential_layer_draws_units_in_class_colours_with_legend(live):
    server, table = live
    with loopback_page(server) as (_context, page):
        asked = []
        page.on("request", lambda r: "potential.geojson" in r.url and asked.append(r.url))
        page.goto(server + "/?lang=en")
        page.wait_for_selector("body[data-layers-loaded=true]", timeout=15000)
        assert page.locator(".fg-potential-legend").count() == 0  # off by default
        _turn_on(page, "Fossil potential")
        page.wait_for_selector("body[data-potential-legend=true]", timeout=10000)
        # the province view (zoom 7) is below the layer's zoom: a hint, no units asked for
        hint = page.locator(".fg-potential-hint")
        assert "Zoom in to level 9" in hint.inner_text()
        assert page.locator("path.fg-potential").count() == 0 and asked == []

        x, y = centre(SQUARE_5)
        page.evaluate(SET_VIEW, [y + 0.01, x + 0.02, 13])
        page.wait_for_selector("path.fg-potential-5", timeout=10000)
        page.wait_for_selector("path.fg-potential-U", timeout=10000)
        assert len(asked) == 1 and "&zoom=13" in asked[0]
        for code in ("5", "1", "3", "U"):
            path = page.locator(f"path.fg-potential-{code}").first
            assert path.get_attribute("fill") == table.classes[code].colour
            assert path.get_attribute("stroke") == table.classes[code].colour
        assert hint.inner_text() == ""

        legend = page.locator(".fg-potential-legend")
        assert legend.is_visible()
        assert legend.locator(".fg-potential-row").count() == len(table.classes)
        text = legend.inner_text()
        assert "Fossil potential" in text and table.classes["5"].en in text
        assert "Geological map version 1, 5 units" in text
        swatches = legend.locator(".fg-potential-row .fg-swatch")
        colours = swatches.evaluate_all("els => els.map(e => getComputedStyle(e).backgroundColor)")
        assert len(set(colours)) == len(table.classes)

        # the unknown unit's popup: its markup name is text
        page.locator("path.fg-potential-U").first.click()
        popup = page.locator(".leaflet-popup-content .fg-potential-popup")
        popup.wait_for(timeout=5000)
        assert popup.locator(".fg-popup-en").inner_text() == UNKNOWN_EN
        assert popup.locator("script, b").count() == 0
        assert f"U · {table.classes['U'].en}" in popup.inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "potential.png"))
        page.keyboard.press("Escape")
        # drawn under the sites and sections, which stay clickable
        z = page.evaluate(
            """() => ['fgPotential', 'overlay'].map((p) => Number(getComputedStyle(
                 document.querySelector('.leaflet-' + p + '-pane')).zIndex))"""
        )
        assert z[0] < z[1]

        # off again: no units, no legend
        _turn_on(page, "Fossil potential")
        assert page.locator("path.fg-potential").count() == 0
        assert page.locator(".fg-potential-legend").count() == 0
        assert page.outside == [] and page.problems == []


def test_potential_layer_in_chinese(live):
    server, table = live
    with loopback_page(server, locale="zh-CN") as (_context, page):
        page.goto(server + "/?lang=zh")
        page.wait_for_selector("body[data-layers-loaded=true]", timeout=15000)
        x, y = centre(SQUARE_U)
        page.evaluate(SET_VIEW, [y, x, 12])
        _turn_on(page, "化石潜力")
        page.wait_for_selector("path.fg-potential-5", timeout=10000)
        text = page.locator(".fg-potential-legend").inner_text()
        assert "化石潜力" in text and table.classes["5"].zh in text
        page.locator("path.fg-potential-5").first.click()
        popup = page.locator(".leaflet-popup-content .fg-potential-popup")
        popup.wait_for(timeout=5000)
        assert "SYN5" in popup.inner_text() and "合成五级组" in popup.inner_text()
        assert page.outside == [] and page.problems == []
