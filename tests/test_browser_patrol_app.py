"""The patrol form as an offline app in a real headless Chromium on a phone-sized screen:
the service worker serves the form without a network, a track is recorded from (mocked)
GPS, the outbox keeps the patrol through a closed page and an expired sign-in and sends it
once; over plain HTTP on a LAN name the page says that the position needs HTTPS; over HTTPS
with the certificate of ``fossilgis serve make-cert`` the position works."""

from __future__ import annotations

import contextlib
import threading

import pytest
from browser_fixtures import ARTIFACTS, CHROMIUM, LAUNCH_ARGS, need_browser
from patrol_fixtures import jpeg_with_gps
from test_browser_map import sign_in

pytestmark = pytest.mark.browser

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "en-GB",
    "service_workers": "allow",
    "permissions": ["geolocation"],
}
#: near demonstration site GZ-F03
START = {"latitude": 25.9003, "longitude": 105.4003, "accuracy": 8}
#: what the offline app caches: the precache list of /patrols/sw.js and the form page
CACHE_BYTES_JS = """async () => {
  let bytes = 0, urls = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const req of await cache.keys()) {
      urls.push(new URL(req.url).pathname);
      bytes += (await (await cache.match(req)).arrayBuffer()).byteLength;
    }
  }
  return {names: await caches.keys(), urls, bytes};
}"""
FIRST_PAINT_JS = """() => Object.fromEntries(
  performance.getEntriesByType('paint').map(e => [e.name, e.startTime]))"""


class Recorder:
    """WSGI middleware: the (method, path) of every request that reached the server."""

    def __init__(self, app):
        self.app, self.requests = app, []

    def __call__(self, environ, start_response):
        self.requests.append((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
        return self.app(environ, start_response)


@pytest.fixture(scope="module")
def data_dir(template_copy):
    """A GeoPackage data directory with the test accounts (the app is given DATA_DIR)."""
    need_browser()
    from webmap_fixtures import add_users

    return template_copy("browser-patrol-app", add_users)


@pytest.fixture(scope="module")
def live(data_dir):
    """(URL, store, recorder): the app on loopback, every request recorded."""
    from live_server import serve_on_loopback

    from webmap import create_app

    app = create_app({"DATA_DIR": str(data_dir)})
    recorder = Recorder(app.wsgi_app)
    app.wsgi_app = recorder
    recorder.flask_app = app
    with serve_on_loopback(app, threads=4) as url:
        yield url, app.extensions["fossilgis_store"], recorder


@contextlib.contextmanager
def phone(extra_args=(), **options):
    """(browser, context): Chromium as a phone, service workers allowed."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[*LAUNCH_ARGS, *extra_args])
        context = browser.new_context(**{**PHONE, **options})
        try:
            yield browser, context
        finally:
            context.close()
            browser.close()


def watch(page):
    page.problems = []
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    return page


def real_problems(page):
    """Console errors but the browser's own notes on refused requests while offline."""
    return [p for p in page.problems if "ERR_INTERNET_DISCONNECTED" not in p]


def points(page) -> int:
    return int(page.locator("#track-status").get_attribute("data-points") or 0)


def record_track(context, page):
    """Start, walk three mocked positions (about 60 m apart), stop; returns the points."""
    # (selectors, not wait_for_function: the page's CSP allows no eval)
    page.click("#track-start")
    page.wait_for_selector("#track-status[data-points='1']", timeout=10000)
    for i in (1, 2, 3):
        context.set_geolocation(
            {"latitude": 25.9003 + 0.0006 * i, "longitude": 105.4003 + 0.0002 * i, "accuracy": 6}
        )
        page.wait_for_selector(f"#track-status[data-points='{i + 1}']", timeout=10000)
    # a poor fix is skipped, not recorded
    context.set_geolocation({"latitude": 25.905, "longitude": 105.405, "accuracy": 400})
    page.wait_for_selector("#track-status:has-text('poor fixes skipped')", timeout=10000)
    page.click("#track-stop")
    assert page.locator("#track-status").get_attribute("data-state") == "stopped"
    return points(page)


def fill_observation(context, page, photo):
    context.set_geolocation(START)
    page.click("#add-observation")
    obs = page.locator("#observations .obs").last
    obs.locator("select[name$=-category]").select_option("illegal_excavation")
    obs.locator("select[name$=-severity]").select_option("high")
    obs.locator("input[name$=-description]").fill("新挖坑 fresh pit")
    obs.locator(".use-location").click()
    obs.locator(".gps-msg[data-state=fix]").wait_for(timeout=10000)
    assert "±8 m" in obs.locator(".gps-msg").inner_text()
    assert obs.locator("input[name$=-accuracy]").input_value() == "8"
    assert obs.locator("input[name$=-lon]").input_value() == "105.400300"
    obs.locator("input[type=file]").set_input_files(str(photo))


def test_offline_app_records_a_track_and_sends_once(live, tmp_path):
    server, store, recorder = live
    photo = tmp_path / "IMG_2001.jpg"
    photo.write_bytes(jpeg_with_gps(105.4003, 25.9003, color=(40, 120, 200)))
    with phone(geolocation=START) as (_, context):
        page = watch(context.new_page())
        sign_in(page, server, "patroller1", "/patrols/new")
        page.wait_for_selector("body[data-outbox-ready=true]", timeout=10000)
        page.wait_for_selector("body[data-sw=controlled]", timeout=15000)
        assert page.evaluate("window.isSecureContext") is True
        cached = page.evaluate(CACHE_BYTES_JS)
        assert len(cached["names"]) == 1 and cached["names"][0].startswith("fossilgis-patrol-")
        assert "/patrols/new" in cached["urls"]
        assert not [u for u in cached["urls"] if u.startswith("/api/") or "session" in u]

        # no network from here: the reload comes from the service worker
        context.set_offline(True)
        before = len(recorder.requests)
        response = page.reload()
        assert response.from_service_worker
        page.wait_for_selector("body[data-outbox-ready=true]", timeout=10000)
        paint = page.evaluate(FIRST_PAINT_JS)
        assert recorder.requests[before:] == []  # nothing reached the server
        print(
            f"\noffline app: {cached['bytes']} bytes cached in {len(cached['urls'])} entries; "
            f"offline reload first paint {paint.get('first-paint', -1):.0f} ms, "
            f"first contentful paint {paint.get('first-contentful-paint', -1):.0f} ms"
        )

        page.select_option("#patrol-target", "site:GZ-F03")
        page.fill("#patrol-team", "张三, 李四")
        page.fill("#patrol-notes", "offline app")
        assert record_track(context, page) == 4
        fill_observation(context, page, photo)
        uuid = page.locator("#patrol-uuid").input_value()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "patrol-app-offline.png"), full_page=True)
        page.click("#patrol-submit")
        page.wait_for_selector("#outbox-status[data-state=offline]", timeout=10000)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        item = page.locator(f"#outbox-list li[data-uuid='{uuid}']")
        assert item.get_attribute("data-state") == "waiting"
        assert "Beijing time (UTC+8)" in item.inner_text()
        assert page.locator("body").get_attribute("data-outbox-count") == "1"
        problems = real_problems(page)
        page.close()

        # a new page, still offline: the form from the cache, the patrol still waiting
        page = watch(context.new_page())
        assert page.goto(server + "/patrols/new").from_service_worker
        page.wait_for_selector("body[data-outbox-ready=true]", timeout=10000)
        assert page.locator("body").get_attribute("data-outbox-count") == "1"
        assert store.get_patrol(uuid) is None
        context.set_offline(False)
        page.wait_for_selector("#outbox-status[data-state=sent]", timeout=20000)
        page.wait_for_selector("body[data-outbox-count='0']", timeout=5000)
        problems += real_problems(page)

    assert list(store.list_patrols()["uuid"]).count(uuid) == 1
    patrols = [recorder.requests.count(("POST", "/api/patrols"))]
    assert patrols == [1]
    stored = store.get_patrol(uuid)
    assert stored.track_source == "device"
    assert len(stored.track.geoms[0].coords) == 4
    assert stored.track_accuracy_m == 6.0
    assert stored.target_id == "GZ-F03" and stored.team == ["张三", "李四"]
    (wp,) = stored.waypoints
    assert wp.accuracy_m == 8.0 and wp.observation.category == "illegal_excavation"
    assert [p.name for p in wp.photos] == ["IMG_2001.jpg"]
    assert problems == []


def test_expired_sign_in_keeps_the_patrol_until_signed_in_again(live, tmp_path):
    server, store, _ = live
    with phone(geolocation=START) as (_, context):
        page = watch(context.new_page())
        sign_in(page, server, "patroller1", "/patrols/new")
        page.wait_for_selector("body[data-sw=controlled]", timeout=15000)
        page.wait_for_selector("body[data-outbox-ready=true]", timeout=10000)
        # the sign-in ends (cookie gone) while the patroller is online: the form still opens
        context.clear_cookies()
        assert page.goto(server + "/patrols/new").from_service_worker
        page.wait_for_selector("body[data-outbox-ready=true]", timeout=10000)
        assert page.locator("#patrol-form").is_visible()
        page.select_option("#patrol-target", "site:GZ-F03")
        page.fill("#patrol-notes", "after the session expired")
        page.fill("#patrol-start", "2025-05-08T09:00")
        page.fill("#patrol-end", "2025-05-08T11:00")
        uuid = page.locator("#patrol-uuid").input_value()
        page.click("#patrol-submit")
        page.wait_for_selector("#outbox-status[data-state=sign-in]", timeout=10000)
        assert (
            page.locator(f"#outbox-list li[data-uuid='{uuid}']").get_attribute("data-state")
            == "sign-in"
        )
        assert store.get_patrol(uuid) is None
        # signing in again sends it (the form's CSRF token is the new session's)
        page.click("#outbox-link")
        page.wait_for_selector("#username", timeout=10000)
        page.fill("#username", "patroller1")
        from webmap_fixtures import PASSWORD

        page.fill("#password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_selector("#outbox-status[data-state=sent]", timeout=20000)
        assert store.get_patrol(uuid).notes == "after the session expired"
        # the browser's note on the session check's 401, which is how the outbox learns it
        assert [p for p in real_problems(page) if "401 (UNAUTHORIZED)" not in p] == []


def test_a_deploy_replaces_the_worker_and_drops_the_old_cache(live):
    server, _, recorder = live
    extensions = recorder.flask_app.extensions
    with phone() as (_, context):
        page = watch(context.new_page())
        sign_in(page, server, "patroller1", "/patrols/new")
        page.wait_for_selector("body[data-sw=controlled]", timeout=15000)
        old = page.evaluate("caches.keys()")
        assert old == ["fossilgis-patrol-" + extensions["fossilgis_patrol_app_version"]]
        saved = extensions["fossilgis_patrol_app_version"]
        extensions["fossilgis_patrol_app_version"] = "0123456789abcdef"  # a new deploy
        try:
            page.reload()  # the browser checks /patrols/sw.js at each visit
            for _ in range(100):
                names = page.evaluate("caches.keys()")
                if names == ["fossilgis-patrol-0123456789abcdef"]:
                    break
                page.wait_for_timeout(100)
            assert names == ["fossilgis-patrol-0123456789abcdef"]
            urls = page.evaluate(CACHE_BYTES_JS)["urls"]
            assert "/patrols/new" in urls and len(urls) == 9
        finally:
            extensions["fossilgis_patrol_app_version"] = saved
        assert real_problems(page) == []


def test_plain_http_on_a_lan_name_says_the_position_needs_https(live):
    server, _, _ = live
    port = server.rsplit(":", 1)[1]
    lan = f"http://fossil.test:{port}"
    args = ["--host-resolver-rules=MAP fossil.test 127.0.0.1"]
    narrow = {"width": 360, "height": 740}  # the help's commands must wrap, not widen the page
    with phone(args, viewport=narrow) as (_, context):
        page = watch(context.new_page())
        sign_in(page, lan, "patroller1", "/patrols/new")
        page.wait_for_selector("body[data-outbox-ready=true]", timeout=10000)
        assert page.evaluate("window.isSecureContext") is False
        banner = page.locator("#https-needed")
        assert banner.is_visible() and "HTTPS" in banner.inner_text()
        page.click("#add-observation")
        obs = page.locator("#observations .obs").last
        obs.locator(".use-location").click()
        msg = obs.locator(".gps-msg[data-state=insecure]")
        msg.wait_for(timeout=5000)
        text = msg.inner_text()
        assert "only to pages opened over HTTPS (or on localhost)" in text
        msg.locator("a").click()
        assert page.locator("#https-help").evaluate("d => d.open") is True
        assert "fossilgis serve make-cert" in page.locator("#https-help").inner_text()
        page.click("#track-start")
        assert page.locator("#track-status").get_attribute("data-state") == "insecure"
        assert page.locator("body").get_attribute("data-sw") is None  # no worker over http
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(ARTIFACTS / "patrol-app-http.png"), full_page=True)
        # Chromium notes that it ignores Cross-Origin-Opener-Policy on an insecure origin
        assert [p for p in page.problems if "Cross-Origin-Opener-Policy" not in p] == []


@contextlib.contextmanager
def https_server(app, certfile, keyfile):
    """The app on ``fossilgis serve --certfile/--keyfile``'s server, in a thread."""
    from fossilgis.cli.serve import make_server

    server = make_server(app, "127.0.0.1", 0, 4, certfile, keyfile)
    server.prepare()
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        yield server.bind_addr[1]
    finally:
        server.stop()
        thread.join(timeout=10)


def test_https_with_the_made_certificate_gives_a_position(data_dir, tmp_path):
    import ssl
    import urllib.request

    from click.testing import CliRunner

    from fossilgis.cli.main import cli
    from webmap import create_app

    certs = tmp_path / "certs"
    result = CliRunner().invoke(
        cli, ["serve", "make-cert", "--host", "fossil.test", "-o", str(certs)]
    )
    assert result.exit_code == 0, result.output
    app = create_app({"DATA_DIR": str(data_dir), "SESSION_COOKIE_SECURE": True})
    with https_server(app, certs / "server.crt", certs / "server.key") as port:
        # the chain and the name verify against the CA a phone would install
        trust = ssl.create_default_context(cafile=str(certs / "fossilgis-ca.crt"))
        with urllib.request.urlopen(f"https://localhost:{port}/healthz", context=trust) as r:
            assert r.status == 200
        base = f"https://fossil.test:{port}"
        args = ["--host-resolver-rules=MAP fossil.test 127.0.0.1"]
        with phone(args, ignore_https_errors=True, geolocation=START) as (_, context):
            page = watch(context.new_page())
            sign_in(page, base, "patroller1", "/patrols/new")
            page.wait_for_selector("body[data-outbox-ready=true]", timeout=10000)
            assert page.evaluate("window.isSecureContext") is True
            assert page.locator("#https-needed").is_hidden()
            page.click("#add-observation")
            obs = page.locator("#observations .obs").last
            obs.locator(".use-location").click()
            obs.locator(".gps-msg[data-state=fix]").wait_for(timeout=10000)
            assert obs.locator("input[name$=-lat]").input_value() == "25.900300"
            # a fix worse than the limit is used only when the patroller says so
            context.set_geolocation({**START, "accuracy": 120})
            obs.locator(".use-location").click()
            obs.locator(".gps-msg[data-state=poor]").wait_for(timeout=10000)
            assert "±120 m" in obs.locator(".gps-msg").inner_text()
            assert obs.locator("input[name$=-accuracy]").input_value() == "8"
            obs.locator(".use-anyway").click()
            assert obs.locator("input[name$=-accuracy]").input_value() == "120"
