"""A real headless Chromium signs in, sends a patrol with a photo through the form (also
while offline), and finds it on the map and on the site's page."""

from __future__ import annotations

import datetime as dt

import pytest
from browser_fixtures import ARTIFACTS, live_app, loopback_page, need_browser
from patrol_fixtures import jpeg_with_gps
from test_browser_map import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(template_copy):
    """(server URL, store): the app on loopback over a fresh store with the test accounts."""
    need_browser()
    from webmap_fixtures import add_users

    with live_app(template_copy("browser-patrols", add_users)) as served:
        yield served


@pytest.fixture
def browser_context(live):
    # a phone-sized screen: the form must work there
    phone = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
             "is_mobile": True, "has_touch": True}  # fmt: skip
    with loopback_page(live[0], **phone) as (context, page):
        yield context, page


def _fill_patrol(page, tmp_path, note: str, photo_name: str):
    local = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))) - dt.timedelta(hours=5)
    page.select_option("#patrol-target", "site:GZ-F03")
    page.fill("#patrol-start", local.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#patrol-end", (local + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#patrol-team", "张三, 李四")
    page.fill("#patrol-notes", note)
    page.click("#add-observation")
    obs = page.locator("#observations .obs").last
    obs.locator("select[name$=-category]").select_option("illegal_excavation")
    obs.locator("select[name$=-severity]").select_option("high")
    obs.locator("input[name$=-description]").fill("新挖坑 fresh pit")
    obs.locator("input[name$=-lon]").fill("105.4003")
    obs.locator("input[name$=-lat]").fill("25.9003")
    photo = tmp_path / photo_name
    photo.write_bytes(jpeg_with_gps(105.4003, 25.9003, color=(200, 60, 40)))
    obs.locator("input[type=file]").set_input_files(str(photo))
    return page.locator("#patrol-uuid").input_value()


def test_patrol_form_photo_map_and_site_page(browser_context, live, tmp_path):
    server, store = live
    _, page = browser_context
    sign_in(page, server, "patroller1", "/patrols/new")
    page.wait_for_selector("body[data-outbox-ready=true]", timeout=10000)
    uuid = _fill_patrol(page, tmp_path, "<script>alert(1)</script> gate ok", "IMG_0001.jpg")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "patrol-form-phone.png"), full_page=True)
    page.click("#patrol-submit")
    page.wait_for_selector("#outbox-status[data-state=sent]", timeout=20000)
    assert page.locator("body").get_attribute("data-outbox-count") == "0"
    assert page.locator("#patrol-uuid").input_value() != uuid  # ready for the next one

    stored = store.get_patrol(uuid)
    assert stored is not None and stored.created_by == "patroller1"
    assert len(stored.waypoints[0].photos) == 1

    page.click("#outbox-link")
    page.wait_for_selector("#waypoint-table img.thumb", timeout=10000)
    assert page.locator("#patrol-notes").inner_text() == "<script>alert(1)</script> gate ok"
    assert page.evaluate("document.querySelector('#waypoint-table img.thumb').naturalWidth") > 0

    # the map: the patrol (clustered layer) and its alert stand out
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(server + "/?lang=en")
    try:
        page.wait_for_selector("body[data-patrols-loaded=true]", timeout=15000)
    except Exception:
        raise AssertionError(
            str(page.problems) + str(page.locator("body").get_attribute("data-layers-error"))
        ) from None
    assert page.locator(".fg-alert-icon").count() == 1
    assert page.locator(".fg-patrol-icon, .marker-cluster").count() >= 1
    assert page.locator("path.fg-overdue").count() > 0  # unpatrolled sites, for staff
    labels = page.locator(".leaflet-control-layers-overlays").inner_text()
    assert "Patrols" in labels and "Alerts" in labels and "Not patrolled in 90 days" in labels
    page.locator(".fg-alert-icon").first.click()
    popup = page.locator(".leaflet-popup-content .fg-alert-popup")
    popup.wait_for(timeout=5000)
    assert "新挖坑 fresh pit" in popup.inner_text()
    page.screenshot(path=str(ARTIFACTS / "patrols-map.png"))
    # switching the patrols layer off hides its markers
    page.locator(".leaflet-control-layers-overlays label", has_text="Patrols").click()
    assert page.locator(".fg-patrol-icon, .marker-cluster").count() == 0

    # the site's page: history and the photo's thumbnail
    page.goto(server + "/sites/GZ-F03?lang=en")
    page.wait_for_selector("#patrol-history", timeout=10000)
    assert page.locator(f"#patrol-history a[href='/patrols/{uuid}']").count() == 1
    page.wait_for_function(
        "[...document.querySelectorAll('#history-photos img')].every(i => i.naturalWidth > 0)"
    )
    page.screenshot(path=str(ARTIFACTS / "site-patrol-history.png"), full_page=True)
    assert page.problems == []
    assert page.outside == []


def test_offline_patrol_waits_in_the_outbox_then_is_sent_once(browser_context, live, tmp_path):
    server, store = live
    context, page = browser_context
    sign_in(page, server, "patroller1", "/patrols/new")
    page.wait_for_selector("body[data-outbox-ready=true]", timeout=10000)
    uuid = _fill_patrol(page, tmp_path, "sent from the hills", "IMG_0002.jpg")
    context.set_offline(True)
    page.click("#patrol-submit")
    page.wait_for_selector("#outbox-status[data-state=offline]", timeout=10000)
    assert page.locator("body").get_attribute("data-outbox-count") == "1"
    assert store.get_patrol(uuid) is None
    page.screenshot(path=str(ARTIFACTS / "patrol-outbox-offline.png"), full_page=True)
    # the network returns: the outbox sends it and empties only after the server confirms
    context.set_offline(False)
    page.wait_for_selector("#outbox-status[data-state=sent]", timeout=20000)
    page.wait_for_selector("body[data-outbox-count='0']", timeout=5000)
    assert store.get_patrol(uuid) is not None
    # a reload finds nothing left to send, and nothing was stored twice
    page.reload()
    page.wait_for_selector("body[data-outbox-ready=true]", timeout=10000)
    assert page.locator("body").get_attribute("data-outbox-count") == "0"
    assert list(store.list_patrols()["uuid"]).count(uuid) == 1
    problems = [p for p in page.problems if "ERR_INTERNET_DISCONNECTED" not in p]
    assert problems == []
