"""Alerts in the web app: an alert taken from open to closed through its page, CSRF, roles,
refusals shown on the page, what visitors see, escaping and the attachment download."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil

import pytest
from patrol_fixtures import make_patrol
from webmap_fixtures import _app, add_users, signed_in

from fossilgis.patrols.model import Observation

PDF = b"%PDF-1.4\n% opinion letter\n%%EOF\n"
XSS = "<script>alert('x')</script>"
REPORTED = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - dt.timedelta(days=3)


@pytest.fixture(scope="module")
def template(template_copy):
    """A GeoPackage data directory with the test accounts (the app is given DATA_DIR only)."""
    return template_copy("webmap-alerts", add_users)


@pytest.fixture
def app(template, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(template, data)
    return _app(data)


@pytest.fixture
def reported(app):
    """An alert reported 3 days ago (its description is markup) and a visit patrol 5 hours
    later: (waypoint uuid, visit patrol uuid)."""
    store = app.extensions["fossilgis_store"]
    alert = make_patrol(1, start=REPORTED)
    alert.waypoints[0].observation = Observation("illegal_excavation", "high", XSS + " 新挖坑")
    visit = make_patrol(0, start=REPORTED + dt.timedelta(hours=5), category="intact")
    store.save_patrol(alert, "patroller1")
    store.save_patrol(visit, "patroller1")
    return alert.waypoints[0].uuid, visit.uuid


def _post(client, url: str, **fields):
    return client.post(url, data=fields, content_type="multipart/form-data")


def _status(html: str, clock: str) -> str:
    return re.search(rf'id="clock-{clock}">.*?data-status="(\w+)"', html, re.S).group(1)


def test_an_alert_goes_from_open_to_closed_in_the_web_app(app, reported):
    wp, visit = reported
    patroller, admin = signed_in(app, "patroller1"), signed_in(app, "admin1")
    listed = patroller.get("/alerts").get_data(as_text=True)
    assert listed.count("alert-overdue") == 1 and f'href="/alerts/{wp}"' in listed
    assert 'id="alerts-map"' in listed and f'"uuid": "{wp}"' in listed  # staff: the map
    page = patroller.get(f"/alerts/{wp}").get_data(as_text=True)
    assert 'id="form-acknowledge"' in page and 'id="form-close"' not in page
    assert _status(page, "on-site") == "overdue" and 'id="no-steps"' in page

    r = _post(patroller, f"/alerts/{wp}/acknowledge", note="收到")
    assert r.status_code == 303 and r.headers["Location"] == f"/alerts/{wp}#step-1"
    page = patroller.get(f"/alerts/{wp}").get_data(as_text=True)
    assert f'<option value="{visit}"' in page  # the visit patrol is offered
    r = _post(patroller, f"/alerts/{wp}/visit", visit_patrol_uuid=visit)
    assert r.status_code == 303
    page = patroller.get(f"/alerts/{wp}").get_data(as_text=True)
    assert _status(page, "on-site") == "met" and _status(page, "opinion") == "open"
    assert 'id="form-close"' not in page and 'id="admin-steps"' in page
    assert _post(patroller, f"/alerts/{wp}/refer", note="县局").status_code == 403

    assert _post(admin, f"/alerts/{wp}/refer", note="关岭县自然资源局").status_code == 303
    r = _post(
        admin,
        f"/alerts/{wp}/close",
        outcome="resolved",
        opinion="责令回填，立案调查。",
        attachment=(io.BytesIO(PDF), "意见书.pdf"),
    )
    assert r.status_code == 303 and r.headers["Location"] == f"/alerts/{wp}#step-4"
    page = admin.get(f"/alerts/{wp}").get_data(as_text=True)
    assert 'data-status="closed"' in page and _status(page, "opinion") == "met"
    assert page.count('class="step-') == 4 and "责令回填，立案调查。" in page
    assert 'id="form-reopen"' in page and 'id="form-visit"' not in page
    link = f"/alerts/{wp}/files/4"
    assert f'href="{link}"' in page and "意见书.pdf" in page
    got = admin.get(link)
    assert got.status_code == 200 and got.data == PDF and got.mimetype == "application/pdf"
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert got.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    got.close()

    # the map's alert layer says closed too (it is read from SQL, not from /alerts)
    layer = admin.get("/api/alerts.geojson").get_json()
    assert [f["properties"]["status"] for f in layer["features"]] == ["closed"]
    closed = admin.get("/alerts?status=closed").get_data(as_text=True)
    assert closed.count("alert-closed") == 1 and "alert-overdue" not in closed
    assert "alert-closed" not in admin.get("/alerts?status=open").get_data(as_text=True)
    audit = app.extensions["fossilgis_store"].audit_rows(None, object_kind="alert")
    assert [(a["action"], a["username"]) for a in reversed(audit)] == [
        ("acknowledged", "patroller1"),
        ("visited", "patroller1"),
        ("referred", "admin1"),
        ("closed", "admin1"),
    ]
    r = _post(admin, f"/alerts/{wp}/reopen", note="又发现新坑")
    assert r.status_code == 303
    page = admin.get(f"/alerts/{wp}").get_data(as_text=True)
    assert _status(page, "opinion") == "open" and 'id="form-close"' in page


def test_every_step_needs_the_csrf_token(app, reported):
    wp, _ = reported
    patroller = signed_in(app, "patroller1")
    token = patroller.environ_base.pop("HTTP_X_CSRF_TOKEN")
    r = _post(patroller, f"/alerts/{wp}/acknowledge")
    assert r.status_code == 400
    r = _post(patroller, f"/alerts/{wp}/acknowledge", csrf_token="forged")
    assert r.status_code == 400
    assert app.extensions["fossilgis_store"].alert_events.events(wp) == []
    r = _post(patroller, f"/alerts/{wp}/acknowledge", csrf_token=token)
    assert r.status_code == 303
    page = patroller.get(f"/alerts/{wp}").get_data(as_text=True)
    forms = re.findall(r"<form method=\"post\".*?</form>", page, re.S)
    assert forms and all(f'name="csrf_token" value="{token}"' in f for f in forms)


def test_refusals_come_back_on_the_page_with_what_was_typed(app, reported):
    wp, visit = reported
    admin = signed_in(app, "admin1")
    assert _post(admin, f"/alerts/{wp}/acknowledge").status_code == 303
    r = _post(admin, f"/alerts/{wp}/close", form="closed", outcome="resolved", opinion=XSS)
    page = r.get_data(as_text=True)
    assert r.status_code == 409 and 'id="alert-error"' in page
    assert "nobody has been on site yet" in page
    r = _post(admin, f"/alerts/{wp}/visit", visit_patrol_uuid=visit, at="2199-01-01T10:00")
    assert r.status_code == 422 and "is in the future" in r.get_data(as_text=True)
    r = _post(admin, f"/alerts/{wp}/visit", visit_patrol_other="not-a-uuid")
    assert r.status_code == 404 and "is not a UUID" in r.get_data(as_text=True)
    r = _post(admin, f"/alerts/{wp}/refer", note="县局", attachment=(io.BytesIO(b"MZ..."), "a.exe"))
    assert r.status_code == 422 and "a.exe: not a PDF, JPEG or PNG" in r.get_data(as_text=True)
    r = _post(admin, f"/alerts/{wp}/refer", note="", form="referred")
    assert r.status_code == 422 and "say which authority" in r.get_data(as_text=True)
    assert len(app.extensions["fossilgis_store"].alert_events.events(wp)) == 1
    assert admin.get("/alerts/6a1f0c0e-2f8e-4f4b-9d6a-000000000000").status_code == 404
    assert admin.get("/alerts/nonsense").status_code == 404
    assert admin.get(f"/alerts/{wp}/files/1").status_code == 404


def test_roles_and_what_visitors_see(app, reported):
    wp, _ = reported
    viewer = signed_in(app, "viewer1")
    page = viewer.get(f"/alerts/{wp}").get_data(as_text=True)
    assert '<form method="post" action="/alerts/' not in page and 'id="read-only"' in page
    assert _post(viewer, f"/alerts/{wp}/acknowledge").status_code == 403
    visitor = app.test_client()
    r = visitor.get(f"/alerts/{wp}")
    assert r.status_code == 303 and r.headers["Location"].startswith("/login")
    assert visitor.get(f"/alerts/{wp}/files/1").status_code == 303
    assert visitor.post(f"/alerts/{wp}/acknowledge").status_code == 303
    public = visitor.get("/alerts").get_data(as_text=True)
    assert public.count("alert-overdue") == 1 and "新挖坑" not in public
    assert f"/alerts/{wp}" not in public and "alerts-map" not in public
    assert "fossilgis-config" not in public and "GZ-F03" not in public
    assert "105.40" not in public and "25.90" not in public
    # visitors cannot ask which site has an alert
    assert visitor.get("/alerts?target=GZ-F01").get_data(as_text=True).count("alert-overdue") == 1
    assert 'id="filter-target"' not in public
    assert app.extensions["fossilgis_store"].alert_events.events(wp) == []


def test_every_value_shown_is_escaped(app, reported):
    wp, visit = reported
    admin = signed_in(app, "admin1")
    _post(admin, f"/alerts/{wp}/acknowledge", note=XSS)
    _post(admin, f"/alerts/{wp}/visit", visit_patrol_uuid=visit)
    _post(
        admin,
        f"/alerts/{wp}/close",
        outcome="resolved",
        opinion=XSS,
        attachment=(io.BytesIO(PDF), '"><img src=x onerror=alert(1)>.pdf'),
    )
    for path in (f"/alerts/{wp}", "/alerts"):
        html = admin.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html, path
    html = admin.get(f"/alerts/{wp}").get_data(as_text=True)
    assert html.count("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") == 3  # text, note, opinion


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("status=closed", 0),
        ("status=bogus", 1),  # an unknown value filters nothing
        ("category=intact", 1),  # not an alert category: ignored
        ("category=human_damage", 0),
        ("target=GZ-F01", 0),
        ("target=GZ-F03&category=illegal_excavation&status=overdue", 1),
    ],
)
def test_the_list_filters(app, reported, query, shown):
    r = signed_in(app, "admin1").get(f"/alerts?{query}")
    assert r.status_code == 200
    assert r.get_data(as_text=True).count("alert-overdue") == shown


# -- a real browser -----------------------------------------------------------------------------
_WIDTH = """() => [document.documentElement.scrollWidth, window.innerWidth,
  [...document.body.querySelectorAll("*")].filter(e => e.getBoundingClientRect().right >
   window.innerWidth + 1 && !e.closest(".leaflet-container") &&
   e.parentElement.getBoundingClientRect().right <= window.innerWidth + 1)
   .map(e => e.tagName + "#" + e.id + "." + e.className).slice(0, 8)]"""


@pytest.mark.browser
def test_the_map_and_the_forms_on_a_phone(template_copy, tmp_path):
    """Chromium at 360 px: the list's map draws the alert, no page is wider than the screen,
    and the forms take the alert to closed (the close asks for a confirmation)."""
    from browser_fixtures import live_app, loopback_page
    from test_browser_map import sign_in

    data = template_copy("alerts-browser", add_users)
    letter = tmp_path / "opinion.pdf"
    letter.write_bytes(PDF)
    with live_app(data) as (server, store):
        alert = make_patrol(1, start=REPORTED)
        visit = make_patrol(0, start=REPORTED + dt.timedelta(hours=5), category="intact")
        for p in (alert, visit):
            store.save_patrol(p, "patroller1")
        wp = alert.waypoints[0].uuid
        with loopback_page(server, viewport={"width": 360, "height": 740}) as (_c, page):
            sign_in(page, server, "admin1")
            page.goto(f"{server}/alerts?lang=zh")
            page.wait_for_selector("body[data-layers-loaded=true]", timeout=15000)
            assert page.locator("path.fg-alert-point.fg-alert-overdue").count() == 1
            assert page.locator(".fg-legend").count() == 1
            scroll, inner, wide = page.evaluate(_WIDTH)
            assert scroll <= inner + 1, f"/alerts is {scroll} px wide in {inner}: {wide}"
            page.goto(f"{server}/alerts/{wp}")
            page.wait_for_selector("body[data-layers-loaded=true]", timeout=15000)
            page.fill("#acknowledge-note", "收到")
            page.click("#acknowledge-submit")
            page.wait_for_selector("#step-1")
            scroll, inner, wide = page.evaluate(_WIDTH)
            assert scroll <= inner + 1, f"the visit form is {scroll} px wide in {inner}: {wide}"
            page.select_option("#visit-patrol", visit.uuid)
            page.click("#visit-submit")
            page.wait_for_selector("#step-2")
            page.select_option("#close-outcome", "resolved")
            page.fill("#close-opinion", "责令回填。")
            page.set_input_files("#close-attachment", str(letter))
            page.once("dialog", lambda d: d.accept())
            page.click("#close-submit")
            page.wait_for_selector("#step-3")
            assert page.locator("#alert-status").get_attribute("data-status") == "closed"
            scroll, inner, wide = page.evaluate(_WIDTH)
            assert scroll <= inner + 1, f"/alerts/{wp} is {scroll} px wide in {inner}: {wide}"
            assert not page.problems and not page.outside
        assert [e.step for e in store.alert_events.events(wp)] == [
            "acknowledged",
            "visited",
            "closed",
        ]
