"""Patrols over HTTP: the API and the form, idempotent re-sends, validation, photos, delete and
restore with audit, list, exports, alerts, coverage, and uploads to a live loopback server."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import socket
import urllib.request
import uuid as uuidlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from patrol_fixtures import jpeg_with_gps, make_patrol, png_bytes
from webmap_fixtures import _app, add_users, signed_in

NEAR_F03 = (105.40, 25.90)
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


@pytest.fixture(scope="module")
def template(template_copy):
    """A GeoPackage data directory with the test accounts (the app is given DATA_DIR only)."""
    return template_copy("webmap-patrols", add_users)


@pytest.fixture
def data(template, tmp_path):
    """A fresh data directory per test (a copy of the module's store and accounts)."""
    out = tmp_path / "data"
    shutil.copytree(template, out)
    return out


@pytest.fixture
def app(data):
    return _app(data)


@pytest.fixture
def app_store(app):
    """The app's own (GeoPackage) store."""
    return app.extensions["fossilgis_store"]


@pytest.fixture
def visitor(app):
    return app.test_client()


def body_of(patrol) -> dict:
    from fossilgis.patrols.geojson import patrols_to_geojson

    return patrols_to_geojson([patrol])


def recent(**kw):
    return make_patrol(start=NOW - dt.timedelta(days=2), **kw)


def _multipart(patrol_body: dict, **files) -> dict:
    data = {"patrol": (io.BytesIO(json.dumps(patrol_body).encode()), "patrol.geojson")}
    for name, (content, filename) in files.items():
        data[name] = (io.BytesIO(content), filename)
    return data


# -- never lost, never duplicated -------------------------------------------------------------
def test_resend_same_content_is_200_different_is_409(patroller_client, app_store):
    patrol = recent(n_waypoints=2)
    r = patroller_client.post("/api/patrols", json=body_of(patrol))
    assert r.status_code == 201, r.get_json()
    assert r.headers["Location"] == f"/api/patrols/{patrol.uuid}"
    first = r.get_json()
    assert first["created"] is True and first["features"][0]["id"] == patrol.uuid
    r = patroller_client.post("/api/patrols", json=body_of(patrol))
    assert r.status_code == 200 and r.get_json()["created"] is False
    assert r.get_json()["features"] == first["features"]
    changed = body_of(patrol)
    changed["features"][0]["properties"]["notes"] = "something else"
    r = patroller_client.post("/api/patrols", json=changed)
    assert r.status_code == 409 and r.get_json()["code"] == "conflict"
    assert list(app_store.list_patrols()["uuid"]) == [patrol.uuid]
    rows = app_store.audit_rows(None, object_kind="patrol")
    creates = [a for a in rows if a["action"] == "create"]
    assert len(creates) == 1 and creates[0]["username"] == "patroller1"


def test_multipart_photos_sent_twice_are_stored_once(patroller_client, app_store, data):
    patrol = recent()
    body = body_of(patrol)
    body["features"][1]["properties"]["photos"] = ["pit.jpg"]
    photo = jpeg_with_gps(*NEAR_F03)
    r = patroller_client.post(
        "/api/patrols",
        data=_multipart(body, photo=(photo, "pit.jpg")),
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.get_json()
    r = patroller_client.post(
        "/api/patrols",
        data=_multipart(body, photo=(photo, "pit.jpg")),
        content_type="multipart/form-data",
    )
    assert r.status_code == 200
    other = recent()
    other_body = body_of(other)
    other_body["features"][0]["properties"]["photos"] = ["same-photo-new-name.jpg"]
    r = patroller_client.post(
        "/api/patrols",
        data=_multipart(other_body, photo=(photo, "same-photo-new-name.jpg")),
        content_type="multipart/form-data",
    )
    assert r.status_code == 201
    assert len(list((data / "photos").glob("??/*.jpg"))) == 1
    stored = app_store.get_patrol(patrol.uuid)
    assert [p.sha256 for p in stored.waypoints[0].photos] == [
        app_store.get_patrol(other.uuid).photos[0].sha256
    ]


def test_a_failure_while_saving_leaves_no_record_and_a_resend_works(
    patroller_client, app_store, monkeypatch
):
    from fossilgis.errors import StoreError

    patrol = recent()
    real = type(app_store).save_patrol

    def broken(self, *args, **kwargs):
        raise StoreError("disk full (simulated)")

    monkeypatch.setattr(type(app_store), "save_patrol", broken)
    r = patroller_client.post("/api/patrols", json=body_of(patrol))
    assert r.status_code == 500 and "disk full" in r.get_json()["description"]
    monkeypatch.setattr(type(app_store), "save_patrol", real)
    assert app_store.get_patrol(patrol.uuid) is None
    assert patroller_client.post("/api/patrols", json=body_of(patrol)).status_code == 201


# -- the web form (without JavaScript: the same builder as the API) ---------------------------
GPX = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
 <wpt lat="25.9001" lon="105.4001"><time>{t1}</time><name>坑</name><type>非法采挖</type>
  <desc>fresh pit</desc></wpt>
 <trk><name>t</name><trkseg>
  <trkpt lat="25.8990" lon="105.3990"><time>{t0}</time></trkpt>
  <trkpt lat="25.9000" lon="105.4000"><time>{t1}</time></trkpt>
  <trkpt lat="25.9010" lon="105.4010"><time>{t2}</time></trkpt>
 </trkseg></trk>
</gpx>
"""


def gpx_bytes(start: dt.datetime) -> bytes:
    def iso(minutes):
        return (start + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")

    return GPX.format(t0=iso(0), t1=iso(30), t2=iso(60)).encode()


def form_fields(patrol_uuid: str, **extra) -> dict:
    local = (NOW - dt.timedelta(days=1)).astimezone(dt.timezone(dt.timedelta(hours=8)))
    fields = {
        "uuid": patrol_uuid,
        "target": "site:GZ-F03",
        "team": "张三, 李四",
        "purpose": "routine",
        "notes": "<script>alert('x')</script> 完好",
        "obs-0-category": "construction_encroachment",
        "obs-0-severity": "medium",
        "obs-0-description": "road cut <b>here</b>",
        "obs-0-lon": "105.4002",
        "obs-0-lat": "25.9002",
        "obs-0-time": local.strftime("%Y-%m-%dT%H:%M"),
    }
    fields.update(extra)
    return fields


def test_form_with_gpx_photo_and_observation(patroller_client, app_store):
    uid = str(uuidlib.uuid4())
    start = NOW - dt.timedelta(days=1, hours=1)

    def post():
        fields = form_fields(uid)
        fields["gpx"] = (io.BytesIO(gpx_bytes(start)), "轨迹 1.gpx")
        fields["obs-0-photos"] = (io.BytesIO(jpeg_with_gps(105.4002, 25.9002)), "image.jpg")
        fields["photos"] = (io.BytesIO(png_bytes()), "image.png")
        return patroller_client.post(
            "/patrols/new", data=fields, content_type="multipart/form-data"
        )

    r = post()
    assert r.status_code == 303, r.get_data(as_text=True)
    assert r.headers["Location"] == f"/patrols/{uid}?created=1"
    stored = app_store.get_patrol(uid)
    assert stored.track is not None and len(stored.waypoints) == 2  # the form's + the GPX's
    cats = sorted(w.observation.category for w in stored.waypoints)
    assert cats == ["construction_encroachment", "illegal_excavation"]
    assert stored.started_at == start  # from the GPX
    assert stored.team == ["张三", "李四"] and len(stored.all_photos()) == 2
    assert post().headers["Location"] == f"/patrols/{uid}?created=0"  # a re-send: one record
    assert len(app_store.list_patrols()) == 1
    html = patroller_client.get(f"/patrols/{uid}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "<script>alert" not in html and "<b>here</b>" not in html
    assert html.count('class="thumb"') == 2


def test_form_errors_are_listed_and_the_form_kept(patroller_client):
    fields = form_fields(str(uuidlib.uuid4()), **{"obs-0-lon": "115.0", "obs-0-lat": "40.0"})
    fields["started_at"] = "2099-01-01T08:00"
    fields["ended_at"] = "2098-01-01T08:00"
    r = patroller_client.post("/patrols/new", data=fields)
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "outside Guizhou" in html and "later than the server" in html and "before it" in html
    assert 'value="105.4002"' not in html and 'value="115.0"' in html  # what was typed stays


# -- validation over the API -------------------------------------------------------------------
def _with(patrol, **props):
    body = body_of(patrol)
    body["features"][0]["properties"].update(props)
    return body


@pytest.mark.parametrize(
    "change,needle",
    [
        (
            {"started_at": "2099-05-01T09:00:00+08:00", "ended_at": "2099-05-01T10:00:00+08:00"},
            "later than the server",
        ),
        (
            {"started_at": "2024-05-01T10:00:00+08:00", "ended_at": "2024-05-01T09:00:00+08:00"},
            "before it starts",
        ),
        ({"site_id": "GZ-NOPE"}, "GZ-NOPE"),
        ({"uuid": "not-a-uuid"}, "is not a valid UUID"),
    ],
)
def test_api_validation_names_the_field(patroller_client, change, needle):
    r = patroller_client.post("/api/patrols", json=_with(recent(), **change))
    assert r.status_code == 400
    body = r.get_json()
    assert body["code"] == "patrol_invalid" and needle in json.dumps(body, ensure_ascii=False)


def test_coordinates_outside_guizhou_are_refused(patroller_client):
    r = patroller_client.post(
        "/api/patrols",
        json=body_of(
            make_patrol(start=NOW - dt.timedelta(days=2), centre=(116.4, 39.9), site_id=None)
        ),
    )
    assert r.status_code == 400 and "outside Guizhou" in r.get_json()["description"]


def test_track_far_from_the_site_is_a_warning(patroller_client):
    r = patroller_client.post("/api/patrols", json=body_of(recent(site_id="GZ-F01")))
    assert r.status_code == 201
    assert any("km from site GZ-F01" in w["message"] for w in r.get_json()["warnings"])


@pytest.mark.parametrize(
    "content,name,status,needle",
    [
        (png_bytes(), "photo.jpg", 400, "does not match its content (image/png)"),
        (b"MZ\x90\x00 not an image", "photo.jpg", 400, "not a JPEG or PNG"),
        (jpeg_with_gps(105.4, 25.9, size=(1500, 1500)), "big.jpg", 413, "over the"),
    ],
)
def test_bad_photos_are_refused_and_nothing_is_stored(data, content, name, status, needle):
    app = _app(data, MAX_PHOTO_BYTES=20_000)
    client = signed_in(app, "patroller1")
    patrol = recent()
    body = body_of(patrol)
    body["features"][0]["properties"]["photos"] = [name]
    r = client.post(
        "/api/patrols",
        data=_multipart(body, photo=(content, name)),
        content_type="multipart/form-data",
    )
    assert r.status_code == status and needle in r.get_json()["description"]
    assert app.extensions["fossilgis_store"].get_patrol(patrol.uuid) is None


def test_request_over_the_size_limit_is_413(data):
    client = signed_in(_app(data, MAX_CONTENT_LENGTH=5000), "patroller1")
    r = client.post(
        "/api/patrols",
        data=_multipart(body_of(recent()), photo=(b"\xff\xd8\xff" + b"0" * 9000, "a.jpg")),
        content_type="multipart/form-data",
    )
    assert r.status_code == 413 and r.get_json()["code"] == "too_large"


def test_a_file_that_is_not_gpx_is_422(patroller_client):
    fields = form_fields(str(uuidlib.uuid4()))
    fields["gpx"] = (io.BytesIO(b"lon,lat\n105,26\n"), "track.gpx")
    r = patroller_client.post("/api/patrols", data=fields, content_type="multipart/form-data")
    assert r.status_code == 422 and "not a GPX file" in r.get_json()["description"]


def test_other_media_types_are_415(patroller_client):
    r = patroller_client.post("/api/patrols", data=b"x", content_type="text/plain")
    assert r.status_code == 415


# -- delete and restore, audited ------------------------------------------------------------
def test_soft_delete_and_admin_restore_with_audit(
    patroller_client, admin_client, viewer_client, app_store
):
    patrol = recent()
    assert patroller_client.post("/api/patrols", json=body_of(patrol)).status_code == 201
    assert viewer_client.post(f"/patrols/{patrol.uuid}/delete").status_code == 403
    r = patroller_client.post(f"/patrols/{patrol.uuid}/delete")
    assert r.status_code == 303
    assert patrol.uuid not in patroller_client.get("/patrols").get_data(as_text=True)
    assert patroller_client.get(f"/patrols/{patrol.uuid}").status_code == 404
    assert patroller_client.post(f"/patrols/{patrol.uuid}/restore").status_code == 403
    html = admin_client.get("/patrols?deleted=1").get_data(as_text=True)
    assert patrol.uuid in html and "deleted" in html
    page = admin_client.get(f"/patrols/{patrol.uuid}").get_data(as_text=True)
    assert 'id="restore-patrol"' in page and 'id="deleted-badge"' in page
    assert admin_client.post(f"/patrols/{patrol.uuid}/restore").status_code == 303
    assert patrol.uuid in patroller_client.get("/patrols").get_data(as_text=True)
    rows = app_store.audit_rows(None, object_kind="patrol", object_id=patrol.uuid)
    assert [(r["action"], r["username"]) for r in rows] == [
        ("restore", "admin1"),
        ("delete", "patroller1"),
        ("create", "patroller1"),
    ]
    # the API does the same; a second delete is a conflict
    assert patroller_client.delete(f"/api/patrols/{patrol.uuid}").status_code == 200
    assert patroller_client.delete(f"/api/patrols/{patrol.uuid}").status_code == 409
    assert admin_client.post(f"/api/patrols/{patrol.uuid}/restore").get_json()["deleted"] is False


# -- photos through the app, pages, list, exports ---------------------------------------------
def _stored_with_photo(client, app_store):
    patrol = recent()
    body = body_of(patrol)
    body["features"][0]["properties"]["photos"] = ["p.jpg"]
    r = client.post(
        "/api/patrols",
        data=_multipart(body, photo=(jpeg_with_gps(105.4, 25.9), "p.jpg")),
        content_type="multipart/form-data",
    )
    assert r.status_code == 201
    return app_store.get_patrol(patrol.uuid)


def test_photos_only_through_the_app_for_signed_in_users(
    patroller_client, viewer_client, visitor, app_store
):
    stored = _stored_with_photo(patroller_client, app_store)
    sha = stored.photos[0].sha256
    assert visitor.get(f"/photos/{sha}").status_code == 303
    with (
        viewer_client.get(f"/photos/{sha}") as r,
        viewer_client.get(f"/photos/{sha}/thumb") as thumb,
    ):
        assert r.status_code == 200 and r.mimetype == "image/jpeg"
        assert r.data[:3] == b"\xff\xd8\xff" and "private" in r.headers["Cache-Control"]
        assert thumb.status_code == 200 and len(thumb.data) < len(r.data)
    assert viewer_client.get("/photos/" + "0" * 64).status_code == 404
    assert viewer_client.get("/photos/../secret_key").status_code == 404
    assert viewer_client.get("/photos/" + sha[:-1] + "G").status_code == 404


def test_visitors_see_generalised_patrols_without_personal_data(
    patroller_client, visitor, app_store
):
    stored = _stored_with_photo(patroller_client, app_store)
    pub = visitor.get("/api/patrols.geojson").get_json()["features"][0]
    # which site was patrolled when is staff data (it rebuilds coverage): no place, no target
    assert pub["geometry"] is None and "target_id" not in pub["properties"]
    staff = patroller_client.get("/api/patrols.geojson").get_json()["features"][0]
    assert staff["geometry"]["coordinates"] and staff["properties"]["target_id"]
    html = visitor.get(f"/patrols/{stored.uuid}").get_data(as_text=True)
    assert "张三" not in html and "/photos/" not in html and "新挖坑" not in html
    assert "张三" in patroller_client.get(f"/patrols/{stored.uuid}").get_data(as_text=True)
    listing = visitor.get("/patrols").get_data(as_text=True)
    assert stored.uuid in listing and "张三" not in listing and "patroller1" not in listing
    # nor a target filter or column that could only ever say "–"
    assert 'name="target"' not in listing
    assert 'name="target"' in patroller_client.get("/patrols").get_data(as_text=True)


def test_site_page_shows_the_history_and_thumbnails(patroller_client, visitor, app_store):
    stored = _stored_with_photo(patroller_client, app_store)
    html = patroller_client.get("/sites/GZ-F03").get_data(as_text=True)
    assert 'id="patrol-history"' in html and f"/patrols/{stored.uuid}" in html
    assert f"/photos/{stored.photos[0].sha256}/thumb" in html
    public = visitor.get("/sites/GZ-F03").get_data(as_text=True)
    # a site's patrol dates are staff data
    assert f"/patrols/{stored.uuid}" not in public and "/photos/" not in public
    assert 'id="patrols-staff-only"' in public and 'id="no-patrols"' not in public
    assert 'id="no-patrols"' in patroller_client.get("/sections/GZ-S01").get_data(as_text=True)


def test_list_filters_and_exports(patroller_client, visitor, app_store):
    a = recent(category="intact")
    b = recent(category="illegal_excavation")
    c = make_patrol(
        start=NOW - dt.timedelta(days=40),
        site_id="GZ-F01",
        centre=(108.414, 26.081),
        category="vegetation",
    )
    for p in (a, b, c):
        assert patroller_client.post("/api/patrols", json=body_of(p)).status_code == 201

    def listed(query):
        html = patroller_client.get("/patrols" + query).get_data(as_text=True)
        return {p.uuid for p in (a, b, c) if p.uuid in html}

    assert listed("") == {a.uuid, b.uuid, c.uuid}
    assert listed("?target=GZ-F01") == {c.uuid}
    assert listed("?category=alerts") == {b.uuid}
    assert listed("?category=intact") == {a.uuid}
    day = (NOW - dt.timedelta(days=10)).date().isoformat()
    assert listed(f"?since={day}") == {a.uuid, b.uuid}
    assert listed(f"?until={day}") == {c.uuid}
    assert patroller_client.get("/patrols?since=yesterday").status_code == 400
    assert patroller_client.get("/patrols?category=rocks").status_code == 400

    html = patroller_client.get("/patrols?target=GZ-F03").get_data(as_text=True)
    for fmt in ("geojson", "csv", "gpx", "kml"):
        assert f"/patrols/export.{fmt}?target=GZ-F03" in html
    gj = patroller_client.get("/patrols/export.geojson?target=GZ-F03")
    assert (
        gj.mimetype == "application/geo+json" and "attachment" in gj.headers["Content-Disposition"]
    )
    kinds = [f["properties"]["feature_type"] for f in gj.get_json(force=True)["features"]]
    assert kinds.count("patrol") == 2
    csv = patroller_client.get("/patrols/export.csv?category=alerts")
    text = csv.data.decode("utf-8")
    assert text.startswith("\ufeff") and b.uuid in text and a.uuid not in text
    import xml.etree.ElementTree as ET

    for fmt in ("gpx", "kml"):
        r = patroller_client.get(f"/patrols/export.{fmt}")
        assert r.status_code == 200
        ET.fromstring(r.data)  # well-formed
        assert a.uuid in r.data.decode()
    assert patroller_client.get("/patrols/export.shp").status_code == 404
    assert visitor.get("/patrols/export.csv").status_code == 303  # exports hold exact tracks


def test_alerts_page_and_map_layer_with_the_art18_clocks(patroller_client, visitor, app_store):
    fresh = make_patrol(start=NOW - dt.timedelta(hours=3), category="human_damage")
    old = make_patrol(start=NOW - dt.timedelta(days=3), category="illegal_excavation")
    calm = recent(category="intact")
    for p in (fresh, old, calm):
        assert patroller_client.post("/api/patrols", json=body_of(p)).status_code == 201
    html = patroller_client.get("/alerts").get_data(as_text=True)
    assert html.count("alert-open") == 1 and html.count("alert-overdue") == 1
    assert "Human damage" in html or "human damage" in html
    assert "新挖坑" in html  # staff see the description
    pub = visitor.get("/alerts").get_data(as_text=True)
    assert "新挖坑" not in pub and pub.count("alert-overdue") == 1
    assert (
        patroller_client.get("/alerts?status=open").get_data(as_text=True).count("alert-open") == 1
    )
    feats = visitor.get("/api/alerts.geojson").get_json()["features"]
    assert sorted(f["properties"]["status"] for f in feats) == ["open", "overdue"]
    assert all(f["properties"]["description"] is None for f in feats)


def test_coverage_is_for_staff_and_marks_unpatrolled_targets(patroller_client, app):
    assert patroller_client.post("/api/patrols", json=body_of(recent())).status_code == 201
    cov = patroller_client.get("/api/coverage.json").get_json()
    assert cov["days"] == 90
    assert cov["targets"]["sites:GZ-F03"]["overdue"] is False
    assert cov["targets"]["sites:GZ-F01"] == {"last_patrol": None, "overdue": True}
    cfg = app.test_client().get("/").get_data(as_text=True)
    assert "/api/coverage.json" not in cfg  # visitors' maps do not ask for it
    assert "/api/coverage.json" in patroller_client.get("/").get_data(as_text=True)


def test_coverage_days_from_the_environment(data, monkeypatch):
    monkeypatch.setenv("FOSSILGIS_COVERAGE_DAYS", "30")
    client = signed_in(_app(data), "viewer1")
    assert client.get("/api/coverage.json").get_json()["days"] == 30


def test_map_loads_markercluster_from_the_vendored_copy(visitor):
    html = visitor.get("/").get_data(as_text=True)
    assert "/static/vendor/leaflet.markercluster/leaflet.markercluster.js" in html
    assert "/static/vendor/leaflet.markercluster/MarkerCluster.Default.css" in html
    r = visitor.get("/static/vendor/leaflet.markercluster/leaflet.markercluster.js")
    assert r.status_code == 200
    r.close()


# -- a live server on loopback -------------------------------------------------------------------
@pytest.fixture
def live(data):
    from live_server import serve_on_loopback

    from fossilgis.auth import issue_token

    app = _app(data)
    app_store = app.extensions["fossilgis_store"]
    token = issue_token(app_store, "patroller1", "tests")
    with serve_on_loopback(app, threads=8, channel_timeout=5) as url:
        yield url, token, app_store


def _post(url: str, token: str, body: bytes) -> int:
    req = urllib.request.Request(
        url + "/api/patrols",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/geo+json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_20_concurrent_uploads_are_all_stored(live):
    url, token, app_store = live
    patrols = [recent(n_waypoints=3) for _ in range(20)]
    bodies = [json.dumps(body_of(p)).encode() for p in patrols]
    with ThreadPoolExecutor(20) as pool:
        codes = list(pool.map(lambda b: _post(url, token, b), bodies))
    assert codes == [201] * 20
    assert sorted(app_store.list_patrols()["uuid"]) == sorted(p.uuid for p in patrols)
    # the same patrol sent by 8 clients at once: one record, one 201, the rest 200
    one = json.dumps(body_of(recent())).encode()
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda _: _post(url, token, one), range(8)))
    assert sorted(codes) == [200] * 7 + [201]
    assert len(app_store.list_patrols()) == 21


def test_a_dropped_upload_leaves_no_partial_record(live):
    url, token, app_store = live
    host, port = url.removeprefix("http://").split(":")
    patrol = recent()
    body = body_of(patrol)
    body["features"][0]["properties"]["photos"] = ["p.jpg"]
    boundary = "fossilgisboundary"
    photo = jpeg_with_gps(105.4, 25.9, size=(1200, 900))
    payload = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="patrol"; '
            f'filename="p.geojson"\r\nContent-Type: application/geo+json\r\n\r\n'
            + json.dumps(body)
            + f"\r\n--{boundary}\r\nContent-Disposition: form-data; "
            'name="photo"; filename="p.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
        ).encode()
        + photo
        + f"\r\n--{boundary}--\r\n".encode()
    )
    audit_before = len(app_store.audit_rows(None))
    head = (
        f"POST /api/patrols HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: Bearer {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head + payload[: len(payload) * 2 // 3])  # the record and half the photo
    # the connection is gone; the server must still be healthy and have stored nothing
    with urllib.request.urlopen(url + "/healthz", timeout=10) as resp:
        assert resp.status == 200
    assert app_store.get_patrol(patrol.uuid) is None
    assert len(app_store.audit_rows(None)) == audit_before
    assert app_store.photo_info(__import__("hashlib").sha256(photo).hexdigest()) is None
    # the client's retry goes through whole
    req = urllib.request.Request(
        url + "/api/patrols",
        data=payload,
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 201
    assert app_store.get_patrol(patrol.uuid).photos[0].sha256
