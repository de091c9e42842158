"""The patrol detail page's map and history, and the admin's correction form: role admin,
CSRF, reason required, escaping; visitors get neither map nor history; a real Chromium
draws the track, the waypoints and the target."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from patrol_fixtures import make_patrol
from webmap_fixtures import XSS_ID, XSS_NAME, _app, signed_in

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
_CONFIG = re.compile(r'<script type="application/json" id="fossilgis-config">(.*?)</script>', re.S)


def _upload(client, n_waypoints=2, **kw):
    """A patrol near GZ-F03 sent by ``client`` over the API (the first waypoint an alert)."""
    from fossilgis.patrols.geojson import patrols_to_geojson

    patrol = make_patrol(
        n_waypoints, start=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1), **kw
    )
    patrol.waypoints[-1].observation.category = "intact"
    r = client.post("/api/patrols", json=patrols_to_geojson([patrol]))
    assert r.status_code == 201, r.get_json()
    return patrol


def _form(client, patrol, **changes) -> dict:
    """The correction form as the page fills it, with ``changes``."""
    html = client.get(f"/patrols/{patrol.uuid}/edit").get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    form = {
        **fields,
        "target": re.search(r'<option value="([^"]*)" selected', html).group(1),
        "team": ", ".join(patrol.team),
        "purpose": patrol.purpose,
        "notes": "",
        "reason": "",
    }
    for w in patrol.waypoints:
        form[f"wp-{w.uuid}-category"] = w.observation.category
        form[f"wp-{w.uuid}-severity"] = w.observation.severity
        # a browser sends a textarea's line breaks as CRLF
        form[f"wp-{w.uuid}-description"] = w.observation.description.replace("\n", "\r\n")
    form.update(changes)
    return form


def _config(html: str) -> dict:
    match = _CONFIG.search(html)
    return json.loads(match.group(1)) if match else {}


@pytest.fixture
def app_store(app):
    return app.extensions["fossilgis_store"]


def test_admin_corrects_with_a_reason_and_the_page_shows_both_versions(
    patroller_client, admin_client, app_store
):
    patrol = _upload(patroller_client)
    first = patrol.waypoints[0].uuid
    page = admin_client.get(f"/patrols/{patrol.uuid}").get_data(as_text=True)
    assert f'href="/patrols/{patrol.uuid}/edit"' in page  # the admin's "Edit / correct"
    form = _form(
        admin_client,
        patrol,
        reason="wrong site: it was GZ-F01",
        target="site:GZ-F01",
        notes="rechecked\r\non site",
        **{f"wp-{first}-category": "human_damage", f"wp-{first}-severity": "medium"},
    )
    r = admin_client.post(f"/patrols/{patrol.uuid}/edit", data=form)
    assert r.status_code == 303, r.get_data(as_text=True)
    assert r.headers["Location"] == f"/patrols/{patrol.uuid}?corrected=1"
    rec = app_store.get_patrol(patrol.uuid)
    assert (rec.revision, rec.target_id, rec.target_inferred) == (1, "GZ-F01", False)
    assert rec.notes == "rechecked\non site"
    assert (rec.waypoints[0].observation.category, rec.waypoints[0].observation.severity) == (
        "human_damage",
        "medium",
    )
    assert rec.waypoints[1].observation == patrol.waypoints[1].observation  # CRLF: no change
    assert (
        app_store.audit_rows(1, object_kind="patrol", object_id=patrol.uuid)[0]["action"]
        == "correct"
    )

    page = admin_client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'id="patrol-corrected"' in page
    history = page[page.index('id="record-history"') :]
    assert 'data-revision="1"' in history and 'data-revision="0"' in history
    assert (
        "wrong site: it was GZ-F01" in history and "admin1" in history and "patroller1" in history
    )
    assert '<li data-field="target">' in history and "GZ-F03" in history and "GZ-F01" in history
    assert "Waypoint 1 · Category" in history and "illegal excavation" in history
    assert "human damage" in history


def test_reason_required_and_nothing_stored(patroller_client, admin_client, app_store):
    patrol = _upload(patroller_client)
    r = admin_client.post(
        f"/patrols/{patrol.uuid}/edit", data=_form(admin_client, patrol, notes="x")
    )
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "reason: missing" in page and 'id="form-error"' in page
    assert ">x</textarea>" in page  # what was typed is kept
    same = _form(admin_client, patrol, reason="no change")
    r = admin_client.post(f"/patrols/{patrol.uuid}/edit", data=same)
    assert r.status_code == 400 and "nothing to correct" in r.get_data(as_text=True)
    assert app_store.get_patrol(patrol.uuid).revision == 0
    assert app_store.patrols.revisions.rows(patrol.uuid) == []


def test_a_stale_form_is_409_and_not_saved(patroller_client, admin_client, app_store):
    patrol = _upload(patroller_client)
    form = _form(admin_client, patrol, reason="first", notes="first")
    assert admin_client.post(f"/patrols/{patrol.uuid}/edit", data=form).status_code == 303
    form.update(reason="second", notes="second")  # still revision 0
    r = admin_client.post(f"/patrols/{patrol.uuid}/edit", data=form)
    assert r.status_code == 409 and "corrected by someone else" in r.get_data(as_text=True)
    assert app_store.get_patrol(patrol.uuid).notes == "first"


def test_only_admins_may_correct(patroller_client, viewer_client, client, admin_client, app_store):
    patrol = _upload(patroller_client)
    form = _form(admin_client, patrol, reason="r", notes="n")
    for who in (patroller_client, viewer_client):
        assert who.get(f"/patrols/{patrol.uuid}/edit").status_code == 403
        assert who.post(f"/patrols/{patrol.uuid}/edit", data=form).status_code == 403
        assert "/edit" not in who.get(f"/patrols/{patrol.uuid}").get_data(as_text=True)
    r = client.get(f"/patrols/{patrol.uuid}/edit")
    assert r.status_code == 303 and r.headers["Location"].startswith("/login")
    assert client.post(f"/patrols/{patrol.uuid}/edit", data=form).status_code == 303
    assert admin_client.get("/patrols/not-a-uuid/edit").status_code == 404
    missing = "00000000-0000-4000-8000-000000000000"
    assert admin_client.get(f"/patrols/{missing}/edit").status_code == 404
    assert app_store.get_patrol(patrol.uuid).revision == 0


def test_the_form_needs_the_csrf_token(patroller_client, admin_client, app_store):
    patrol = _upload(patroller_client)
    form = _form(admin_client, patrol, reason="r", notes="n")
    admin_client.environ_base.pop("HTTP_X_CSRF_TOKEN")  # no header: the form field only
    without = {k: v for k, v in form.items() if k != "csrf_token"}
    r = admin_client.post(f"/patrols/{patrol.uuid}/edit", data=without)
    assert r.status_code == 400 and "CSRF" in r.get_data(as_text=True)
    r = admin_client.post(f"/patrols/{patrol.uuid}/edit", data={**without, "csrf_token": "forged"})
    assert r.status_code == 400
    assert app_store.get_patrol(patrol.uuid).revision == 0
    assert 'name="csrf_token"' in admin_client.get(f"/patrols/{patrol.uuid}/edit").get_data(
        as_text=True
    )
    assert admin_client.post(f"/patrols/{patrol.uuid}/edit", data=form).status_code == 303


def test_hostile_text_is_escaped_everywhere(xss_data):
    app = _app(xss_data)
    patroller, admin = signed_in(app, "patroller1"), signed_in(app, "admin1")
    patrol = _upload(patroller)
    first = patrol.waypoints[0].uuid
    form = _form(
        admin,
        patrol,
        reason=HOSTILE,
        target=f"site:{XSS_ID}",
        notes=HOSTILE,
        team=HOSTILE,
        **{f"wp-{first}-description": HOSTILE},
    )
    assert admin.post(f"/patrols/{patrol.uuid}/edit", data=form).status_code == 303
    for path in (f"/patrols/{patrol.uuid}", f"/patrols/{patrol.uuid}/edit"):
        html = admin.get(path).get_data(as_text=True)
        assert HOSTILE not in html and XSS_NAME not in html
        assert "onerror=alert(1)>" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
        # the map's JSON: "<" written as \u003c, so no tag can close the script element
        assert (
            "</script><img" not in _CONFIG.search(html).group(1) if _CONFIG.search(html) else True
        )
    page = admin.get(f"/patrols/{patrol.uuid}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the site's name, in the history
    features = _config(page)["patrol_map"]["features"]
    assert features[0]["properties"]["label"].endswith(XSS_NAME + ' "quoted" & <b>bold</b>')
    assert features[2]["properties"]["description"] == HOSTILE  # drawn as text by the script


def test_the_detail_page_has_the_map_for_staff_only(patroller_client, viewer_client, client, app):
    patrol = _upload(patroller_client, n_waypoints=3)
    page = viewer_client.get(f"/patrols/{patrol.uuid}").get_data(as_text=True)
    assert re.search(r'src="/static/js/fossilgis-patrol-map\.js\?v=[0-9a-f]{10}"', page)
    assert 'id="patrol-map"' in page and "leaflet" in page
    config = _config(page)
    assert config["page"] == "patrol"
    features = config["patrol_map"]["features"]
    roles = [f["properties"]["role"] for f in features]
    assert roles == ["target", "track", "waypoint", "waypoint", "waypoint"]
    assert features[0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert features[1]["geometry"]["type"] == "MultiLineString"
    waypoints = [f["properties"] for f in features[2:]]
    assert [w["alert"] for w in waypoints] == [True, True, False]
    assert [w["category"] for w in waypoints] == ["illegal_excavation"] * 2 + ["intact"]
    assert features[2]["geometry"]["coordinates"] == [
        round(patrol.waypoints[0].lon, 6),
        round(patrol.waypoints[0].lat, 6),
    ]
    assert 'id="record-history"' in page  # one version: as uploaded
    assert "/leaflet" in page and "unpkg" not in page and "cdn" not in page.lower()

    # visitors: no map, no positions, no history, no link to the form (as before)
    anon = client.get(f"/patrols/{patrol.uuid}").get_data(as_text=True)
    assert "fossilgis-patrol-map.js" not in anon and "patrol_map" not in anon
    assert 'id="record-history"' not in anon and "/edit" not in anon
    for w in patrol.waypoints:
        assert f"{w.lon:.3f}" not in anon and f"{w.lat:.3f}" not in anon
    with app.test_client().get("/static/js/fossilgis-patrol-map.js") as js:
        assert js.status_code == 200 and b"textContent" in js.data and b"innerHTML" not in js.data


def test_a_patrol_without_positions_has_no_map(patroller_client, viewer_client):
    from fossilgis.patrols.geojson import patrols_to_geojson

    patrol = make_patrol(0, start=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1))
    patrol.track = None
    r = patroller_client.post("/api/patrols", json=patrols_to_geojson([patrol]))
    assert r.status_code == 201, r.get_json()
    page = viewer_client.get(f"/patrols/{patrol.uuid}").get_data(as_text=True)
    # the target's outline alone still gives the map its context
    roles = [f["properties"]["role"] for f in _config(page)["patrol_map"]["features"]]
    assert roles == ["target"]


# -- a real browser draws it -----------------------------------------------------------------
@pytest.mark.browser
def test_the_map_draws_track_waypoints_alerts_and_target(template_copy):
    from browser_fixtures import ARTIFACTS, live_app, loopback_page, need_browser
    from test_browser_map import sign_in
    from webmap_fixtures import add_users

    need_browser()
    with live_app(template_copy("browser-patrol-map", add_users)) as (server, _store):
        with loopback_page(server) as (_context, page):
            sign_in(page, server, "admin1", "/patrols")
            patrol = make_patrol(3, start=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1))
            patrol.waypoints[-1].observation.category = "intact"
            from fossilgis.patrols.geojson import patrols_to_geojson

            status = page.evaluate(
                """async (body) => {
                  const token = document.querySelector('meta[name=csrf-token]').content;
                  const r = await fetch('/api/patrols', {method: 'POST', body: JSON.stringify(body),
                    headers: {'Content-Type': 'application/json', 'X-CSRF-Token': token}});
                  return r.status; }""",
                patrols_to_geojson([patrol]),
            )
            assert status == 201
            page.goto(f"{server}/patrols/{patrol.uuid}?lang=zh")
            page.wait_for_selector("body[data-layers-loaded=true]", timeout=15000)
            assert page.locator("body").get_attribute("data-patrol-map") == "5"
            assert page.locator("path.fg-patrol-track").count() == 1
            assert page.locator("path.fg-patrol-target").count() == 1
            assert page.locator("path.fg-patrol-waypoint").count() == 3
            assert page.locator("path.fg-patrol-alert").count() == 2
            legend = page.locator("#patrol-map-legend")
            assert legend.is_visible() and "非法采挖" in legend.inner_text()
            page.locator("path.fg-patrol-alert").first.click(force=True)
            popup = page.locator(".leaflet-popup-content")
            popup.wait_for(timeout=5000)
            assert "非法采挖" in popup.inner_text() and "新挖坑" in popup.inner_text()
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "patrol-page.png"), full_page=True)
            assert page.problems == [] and page.outside == []
