"""The patrol app's server side: the service worker and what it precaches, the manifest and
icons, the session check of the outbox, the GPS settings of the form, and the upload the
form's script builds (a ``patrol`` part in the exchange format with the device's track and
accuracies, and photos named in it)."""

from __future__ import annotations

import io
import json
import re
import uuid as uuidlib

import pytest
from patrol_fixtures import jpeg_with_gps
from webmap_fixtures import _app, signed_in

_ASSET = re.compile(r'<(?:script src|link rel="stylesheet" href)="([^"]+)"')
_APP_CONFIG = re.compile(r'<script type="application/json" id="patrol-app-config">(.*?)</script>')


def _sw_settings(client) -> dict:
    body = client.get("/patrols/sw.js").get_data(as_text=True)
    first = body.split("\n", 1)[0]
    assert first.startswith("self.FOSSILGIS_SW = ") and first.endswith(";")
    return json.loads(first[len("self.FOSSILGIS_SW = ") : -1])


def test_service_worker_script_headers_and_scope(client):
    r = client.get("/patrols/sw.js")
    assert r.status_code == 200
    assert r.mimetype == "text/javascript"
    assert r.headers["Cache-Control"] == "no-cache"  # a deploy is seen at the next visit
    assert "connect-src 'self'" in r.headers["Content-Security-Policy"]
    assert "Service-Worker-Allowed" not in r.headers  # its scope is /patrols/, no wider
    assert 'addEventListener("fetch"' in r.get_data(as_text=True)


def test_the_worker_precaches_every_file_of_the_form_and_nothing_private(patroller_client):
    html = patroller_client.get("/patrols/new?lang=en").get_data(as_text=True)
    settings = _sw_settings(patroller_client)
    assert settings["form"] == "/patrols/new"
    precached = set(settings["precache"])
    linked = {url.split("?")[0] for url in _ASSET.findall(html)}
    assert linked and linked <= precached, linked - precached
    assert {"/patrols/app.webmanifest", "/patrols/app/icon-192.png"} <= precached
    assert not [u for u in precached if u.startswith(("/api/", "/photos/")) or "session" in u]
    # the scripts carry the worker's version, so a deploy loads the new ones
    version = settings["version"]
    assert re.fullmatch(r"[0-9a-f]{16}", version)
    scripts = [u for u in _ASSET.findall(html) if u.endswith(".js?v=" + version)]
    assert len(scripts) == 3
    for url in settings["precache"]:
        with patroller_client.get(url) as r:  # static files: close them
            assert r.status_code == 200, url


def test_manifest_and_icons(client):
    from PIL import Image

    r = client.get("/patrols/app.webmanifest?lang=zh")
    assert r.status_code == 200 and r.mimetype == "application/manifest+json"
    manifest = r.get_json(force=True)
    assert manifest["start_url"] == "/patrols/new" and manifest["scope"] == "/patrols/"
    assert manifest["display"] == "standalone" and manifest["name"] == "贵州化石巡护"
    assert client.get("/patrols/app.webmanifest?lang=en").get_json(force=True)["name"] == (
        "Guizhou fossil patrol"
    )
    for icon in manifest["icons"]:
        png = client.get(icon["src"])
        assert png.status_code == 200 and png.mimetype == "image/png"
        size = int(icon["sizes"].split("x")[0])
        assert Image.open(io.BytesIO(png.data)).size == (size, size)
    assert client.get("/patrols/app/icon-64.png").status_code == 404


def test_session_check(app, client, patroller_client):
    r = client.get("/patrols/app/session.json")
    assert r.status_code == 401 and r.get_json()["code"] == "unauthorized"
    r = patroller_client.get("/patrols/app/session.json")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    data = r.get_json()
    assert data["user"] == "patroller1" and data["role"] == "patroller"
    html = patroller_client.get("/patrols/new").get_data(as_text=True)
    assert f'<meta name="csrf-token" content="{data["csrf"]}">' in html
    assert signed_in(app, "viewer1").get("/patrols/app/session.json").status_code == 403


def _app_config(client) -> dict:
    html = client.get("/patrols/new?lang=en").get_data(as_text=True)
    return json.loads(_APP_CONFIG.search(html).group(1))


def test_gps_settings_come_from_the_config(patroller_client, webmap_data):
    config = _app_config(patroller_client)
    assert config["gps"] == {"max_accuracy_m": 50.0, "interval_s": 10.0, "distance_m": 20.0}
    assert config["user"] == "patroller1"
    assert config["urls"]["sw"] == "/patrols/sw.js" and config["urls"]["scope"] == "/patrols/"
    assert "only to pages opened over HTTPS (or on localhost)" in config["strings"]["no_https"]
    other = _app(webmap_data, GPS_MAX_ACCURACY_M=30, TRACK_INTERVAL_S=5)
    client = signed_in(other, "patroller1")
    assert _app_config(client)["gps"]["max_accuracy_m"] == 30.0
    html = client.get("/patrols/new?lang=en").get_data(as_text=True)
    assert "A point every 5 s or 20 m walked; positions less accurate than 30 m" in html
    assert 'id="https-help"' in html and "fossilgis serve make-cert" in html


def test_the_forms_upload_stores_the_device_track_and_accuracies(app, patroller_client):
    """The body fossilgis-patrol-form.js sends: a ``patrol`` field in the exchange format and
    the photo parts under the names it gives them."""
    uid, wp = str(uuidlib.uuid4()), str(uuidlib.uuid4())
    track = [[105.4003, 25.9003], [105.4005, 25.9009], [105.4007, 25.9015]]
    patrol = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": uid,
                "geometry": {"type": "LineString", "coordinates": track},
                "properties": {
                    "feature_type": "patrol",
                    "uuid": uid,
                    "site_id": "GZ-F03",
                    "started_at": "2025-05-08T09:00:00+08:00",
                    "ended_at": "2025-05-08T11:00:00+08:00",
                    "team": ["张三"],
                    "photos": [],
                    "track_source": "device",
                    "track_accuracy_m": 6,
                },
            },
            {
                "type": "Feature",
                "id": wp,
                "geometry": {"type": "Point", "coordinates": [105.4003, 25.9003]},
                "properties": {
                    "feature_type": "waypoint",
                    "uuid": wp,
                    "patrol_uuid": uid,
                    "observed_at": "2025-05-08T10:00:00+08:00",
                    "category": "illegal_excavation",
                    "severity": "high",
                    "description": "pit",
                    "photos": ["2-IMG_0001.jpg"],
                    "accuracy_m": 8,
                    "altitude_m": 1034.5,
                },
            },
        ],
    }
    photo = (io.BytesIO(jpeg_with_gps(105.4003, 25.9003)), "2-IMG_0001.jpg")
    r = patroller_client.post(
        "/api/patrols",
        data={"patrol": json.dumps(patrol), "obs-0-photos": photo},
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.get_json()
    stored = app.extensions["fossilgis_store"].get_patrol(uid)
    assert stored.track_source == "device" and stored.track_accuracy_m == 6.0
    assert (stored.waypoints[0].accuracy_m, stored.waypoints[0].altitude_m) == (8.0, 1034.5)
    assert [p.name for p in stored.waypoints[0].photos] == ["2-IMG_0001.jpg"]


@pytest.mark.parametrize("path", ["/patrols/sw.js", "/patrols/app.webmanifest"])
def test_worker_and_manifest_are_public_and_hold_nothing_private(client, path):
    body = client.get(path).get_data(as_text=True)
    assert "patroller1" not in body and "csrf" not in body.lower()
