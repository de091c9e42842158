"""A real headless Chromium draws patrol tracks: a site's last patrols on its page (tracks
coloured by age, waypoints by category, popups as text, a legend), the staff map's "Patrol
tracks" overlay (off until switched on, loaded by the view's box and period), and a visitor
gets neither, nor asks for them."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from browser_fixtures import ARTIFACTS, live_app, loopback_page, need_browser
from patrol_fixtures import NEAR_F03, make_patrol
from test_browser_map import sign_in

from fossilgis.patrols.model import Observation, Waypoint

pytestmark = pytest.mark.browser

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
MARKUP = '<img src=x onerror="alert(1)"> <b>fresh pit</b>'
#: moves the page's Leaflet map (folium's global ``map_<id>``)
SET_VIEW = """([lat, lon, zoom]) => {
  const name = Object.keys(window).find((k) => /^map_[0-9a-f]+$/.test(k));
  window[name].setView([lat, lon], zoom, {animate: false});
}"""
#: the page position of a point a quarter along an SVG path
ON_THE_LINE = """(el) => {
  const p = el.getPointAtLength(el.getTotalLength() / 4);
  const m = el.getScreenCTM();
  return [p.x * m.a + p.y * m.c + m.e, p.x * m.b + p.y * m.d + m.f];
}"""
#: days ago each seeded patrol on GZ-F03 started (ages 0 and 2 of the map's colours)
AGES = (1, 40)


def _seed(store) -> None:
    from webmap_fixtures import add_users

    add_users(store)
    x, y = NEAR_F03
    for n, days in enumerate(AGES):
        patrol = make_patrol(0, start=NOW - dt.timedelta(days=days))
        start = patrol.started_at
        waypoints = [
            Waypoint(
                uuid=str(uuid.uuid4()),
                lon=x + 0.004 * n,
                lat=y + 0.003 * i,
                observed_at=start + dt.timedelta(minutes=10 + i),
                name=f"wp {n}.{i}",
                observation=Observation(category, "high", MARKUP),
                accuracy_m=6.0,
            )
            for i, category in enumerate(("illegal_excavation", "intact"))
        ]
        store.save_patrol(patrol.replace(waypoints=waypoints), "patroller1")


@pytest.fixture(scope="module")
def live(template_copy):
    """(server URL, store): the app on loopback, two patrols with tracks on GZ-F03."""
    need_browser()
    with live_app(template_copy("browser-tracks", _seed)) as served:
        yield served


def _overlays(page) -> str:
    return page.locator(".leaflet-control-layers-overlays").inner_text()


def test_a_site_page_draws_its_last_patrols_for_staff(live):
    server, _ = live
    with loopback_page(server, dialogs=True) as (_context, page):
        sign_in(page, server, "viewer1", "/sites/GZ-F03?lang=en")
        page.wait_for_selector("body[data-tracks-loaded]", timeout=15000)
        body = page.locator("body")
        assert body.get_attribute("data-tracks-loaded") == "2"
        assert body.get_attribute("data-waypoints-loaded") == "4"
        assert page.locator("path.fg-track").count() == 2
        assert page.locator("path.fg-track-age-0").count() == 1
        assert page.locator("path.fg-track-age-2").count() == 1
        assert page.locator("path.fg-waypoint-alert").count() == 2
        assert page.locator("path.fg-waypoint-intact").count() == 2
        colours = page.locator("path.fg-track").evaluate_all(
            "els => els.map(e => e.getAttribute('stroke'))"
        )
        assert len(set(colours)) == 2  # newer and older differ
        legend = page.locator(".fg-tracks-legend")
        assert legend.is_visible()
        assert "ended within 7 days" in legend.inner_text()
        assert "Waypoint: damage, digging or encroachment" in legend.inner_text()
        assert page.locator("#tracks-note").is_visible()

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "site-patrol-tracks.png"), full_page=True)
        # the site's 15 km accuracy circle is in the view: zoom in to tell the markers apart
        x, y = NEAR_F03
        page.evaluate(SET_VIEW, [y + 0.0015, x + 0.002, 15])
        page.locator("path.fg-waypoint-alert").first.click()
        popup = page.locator(".leaflet-popup-content .fg-waypoint-popup")
        popup.wait_for(timeout=5000)
        text = popup.inner_text()
        assert MARKUP in text and "illegal excavation" in text
        assert "Beijing time (UTC+8)" in text and "± 6 m" in text
        assert popup.locator("img, b, script").count() == 0
        href = popup.locator("a.fg-popup-link").get_attribute("href")
        assert href.startswith("/patrols/")
        assert page.problems == [] and page.outside == []


def test_the_staff_map_overlay_is_off_until_switched_on_then_follows_the_view(live):
    server, _ = live
    with loopback_page(server, dialogs=True) as (_context, page):
        asked = []
        page.on("request", lambda r: "tracks.geojson" in r.url and asked.append(r.url))
        sign_in(page, server, "viewer1", "/?lang=en")
        page.wait_for_selector("body[data-layers-loaded=true]", timeout=15000)
        assert "Patrol tracks" in _overlays(page)
        assert page.locator("path.fg-track").count() == 0 and asked == []
        page.locator(".leaflet-control-layers-overlays label", has_text="Patrol tracks").click()
        page.wait_for_selector("body[data-tracks-loaded]", timeout=10000)
        assert page.locator("path.fg-track").count() == 2
        assert page.locator("path.fg-waypoint").count() == 0  # none at the province's zoom
        hint = page.locator(".fg-tracks-hint")
        assert hint.inner_text() == "Zoom in to see the waypoints."
        assert "bbox=" in asked[0] and "days=90" in asked[0] and "waypoints=0" in asked[0]

        x, y = NEAR_F03
        page.evaluate(SET_VIEW, [y, x, 15])
        page.wait_for_selector("path.fg-waypoint-alert", timeout=10000)
        assert page.locator("path.fg-waypoint").count() == 4 and hint.inner_text() == ""
        assert "waypoints=1" in asked[-1]
        # a line's box centre may be off the line: click a point on it
        at = page.locator("path.fg-track-age-0").evaluate(ON_THE_LINE)
        page.mouse.click(*at)
        popup = page.locator(".leaflet-popup-content .fg-track-popup")
        popup.wait_for(timeout=5000)
        assert "张三, 李四" in popup.inner_text() and "GZ-F03" in popup.inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "map-patrol-tracks.png"))

        # the last 30 days: the 40-day-old patrol goes
        page.select_option(".fg-tracks-period select", "30")
        page.wait_for_function("document.body.dataset.tracksLoaded === '1'", timeout=10000)
        assert page.locator("path.fg-track").count() == 1 and "days=30" in asked[-1]
        # switched off: nothing drawn, the legend gone
        page.locator(".leaflet-control-layers-overlays label", has_text="Patrol tracks").click()
        assert page.locator("path.fg-track, path.fg-waypoint").count() == 0
        assert page.locator(".fg-tracks-legend").count() == 0
        assert page.problems == [] and page.outside == []


def test_a_visitor_gets_no_tracks_nor_asks_for_them(live):
    server, _ = live
    with loopback_page(server, dialogs=True) as (_context, page):
        asked = []
        page.on("request", lambda r: "tracks.geojson" in r.url and asked.append(r.url))
        # a staff page is rendered and kept first: the visitor's is another
        sign_in(page, server, "viewer1", "/?lang=en")
        page.wait_for_selector("body[data-layers-loaded=true]", timeout=15000)
        page.locator("#sign-out").click()
        page.wait_for_selector("#sign-in", timeout=10000)
        asked.clear()
        page.goto(server + "/?lang=en")
        page.wait_for_selector("body[data-layers-loaded=true]", timeout=15000)
        assert "Patrol tracks" not in _overlays(page)
        page.goto(server + "/sites/GZ-F03?lang=en")
        page.wait_for_selector("body[data-layers-loaded=true]", timeout=15000)
        assert page.locator("#patrols-staff-only").is_visible()
        assert page.locator("path.fg-track, path.fg-waypoint, .fg-tracks-legend").count() == 0
        assert page.locator("#tracks-note").count() == 0
        assert page.locator("body").get_attribute("data-tracks-loaded") is None
        assert asked == []
        assert page.problems == [] and page.outside == []
