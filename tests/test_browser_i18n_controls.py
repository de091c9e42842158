"""A real headless Chromium on the maps' controls in Chinese and in English: Leaflet.draw's
toolbar and tooltips, the zoom buttons, leaflet-measure, the layer control, the legend and
the metric scale bar follow the page's language (webmap/static/js/fossilgis-leaflet-i18n.js)."""

from __future__ import annotations

import contextlib
import re

import pytest
from browser_fixtures import ARTIFACTS, live_app, loopback_page

pytestmark = pytest.mark.browser

CJK = re.compile(r"[\u3400-\u9fff]")
LOCALES = {"zh": "zh-CN", "en": "en-GB"}


@pytest.fixture(scope="module")
def server(webmap_data):
    with live_app(webmap_data) as (url, _store):
        yield url


def _labels(lang: str) -> dict[str, str]:
    from webmap.i18n import leaflet_strings, text

    return {**leaflet_strings(lang), "context": text("context_overlay", lang)}


@contextlib.contextmanager
def _opened(server, path: str, lang: str, ready: str = "body[data-layers-loaded=true]"):
    """(page, labels): ``path`` in ``lang`` once ``ready`` is there; afterwards nothing may
    have left the host nor failed."""
    with loopback_page(server, locale=LOCALES[lang]) as (_context, page):
        page.goto(f"{server}{path}?lang={lang}")
        page.wait_for_selector(ready, state="attached", timeout=15000)
        yield page, _labels(lang)
        assert page.outside == [] and page.problems == []


def _in_language(texts, lang: str) -> bool:
    """Every text is in ``lang``: Chinese ones hold Chinese, English ones none."""
    return all(bool(CJK.search(t)) == (lang == "zh") for t in texts)


def _layer_names(page) -> list[str]:
    control = page.locator(".leaflet-control-layers")
    assert control.count() == 1
    return [t.strip() for t in control.locator("label").all_text_contents() if t.strip()]


def _controls_in(page, lang: str, labels: dict) -> list[str]:
    """Check what every map has in ``lang``: the zoom buttons, the layer control, a metric
    scale bar (one line, metres or kilometres); return the layer names."""
    for button in ("in", "out"):
        title = page.locator(f".leaflet-control-zoom-{button}").get_attribute("title")
        assert title == labels[f"zoom_{button}"]
    names = _layer_names(page)
    assert _in_language(names, lang), names
    lines = page.locator(".leaflet-control-scale-line").all_inner_texts()
    assert len(lines) == 1 and re.fullmatch(r"\d+ k?m", lines[0].strip()), lines
    return names


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_check_draw_map_speaks_the_page_language(server, lang):
    with _opened(server, "/check", lang, ".leaflet-control-layers label") as (page, labels):
        page.wait_for_selector(".leaflet-draw-draw-polygon", timeout=10000)
        titles = {
            kind: page.locator(f".leaflet-draw-draw-{kind}").get_attribute("title")
            for kind in ("polyline", "polygon", "rectangle")
        }
        assert titles == {k: labels[f"draw_{k}"] for k in titles}
        edit = {
            kind: page.locator(f".leaflet-draw-edit-{kind}").get_attribute("title")
            for kind in ("edit", "remove")
        }
        assert edit == {"edit": labels["edit_none"], "remove": labels["remove_none"]}
        assert labels["context"] in _controls_in(page, lang, labels)

        # drawing: the tooltip follows the mouse and says what to do, the actions are named
        page.click(".leaflet-draw-draw-polygon")
        box = page.locator(".draw-map .folium-map").bounding_box()
        cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(cx, cy)
        tooltip = page.locator(".leaflet-draw-tooltip")
        assert tooltip.inner_text().strip() == labels["polygon_start"]
        actions = page.locator(".leaflet-draw-actions:visible a")
        assert labels["cancel"] in actions.all_inner_texts()
        assert (
            actions.filter(has_text=labels["cancel"]).first.get_attribute("title")
            == (labels["draw_cancel_title"])
        )
        for dx, dy in [(-50, -50), (50, -50)]:
            page.mouse.move(cx + dx, cy + dy)
            page.mouse.down()
            page.mouse.up()
            page.wait_for_timeout(200)
        page.mouse.move(cx + 40, cy + 40)
        assert labels["polygon_cont"] in tooltip.inner_text()
        assert labels["draw_undo"] in actions.all_inner_texts()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"i18n-check-draw-{lang}.png"))
        page.keyboard.press("Escape")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_main_map_controls_speak_the_page_language(server, lang):
    with _opened(server, "/", lang) as (page, labels):
        assert len(_controls_in(page, lang, labels)) >= 5
        legend = page.locator(".fg-legend").first.inner_text()
        assert _in_language([legend], lang), legend
        toggle = page.locator(".leaflet-control-measure-toggle")
        measure = {"zh": "同时测量距离和面积", "en": "Measure distances and areas"}[lang]
        assert toggle.get_attribute("title") == measure

        # a measured line is in metres and kilometres, named in the page's language
        page.locator(".leaflet-control-measure").hover()
        page.locator(".leaflet-control-measure .js-start").click()
        box = page.locator(".map-wrap .folium-map").bounding_box()
        cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        for dx in (-80, 80):
            page.mouse.click(cx + dx, cy + 60)
            page.wait_for_timeout(200)
        results = page.locator(".leaflet-control-measure .js-results").inner_text()
        assert labels["unit_m"] in results and labels["unit_km"] in results, results
        assert _in_language([results], lang), results
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"i18n-main-measure-{lang}.png"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_site_map_speaks_the_page_language(server, lang):
    with _opened(server, "/sites/GZ-F01", lang) as (page, labels):
        assert labels["context"] in _controls_in(page, lang, labels)
