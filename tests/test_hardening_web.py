"""Hardening of the web app: server-side sessions (sign-out, password change, disable),
security headers (CSP with a nonce), no server paths in errors, an audit log that cannot be
forged, hostile patrol bodies answered 4xx, and a property-based test that throws hostile
input at every endpoint that takes some (never a 5xx)."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import time
import urllib.parse
import uuid as uuidlib
import xml.etree.ElementTree as ET

import pytest
from case_fixtures import details
from click.testing import CliRunner
from conftest import reopen, sql, store_url
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from webmap_fixtures import PASSWORD, _app, add_users, csrf_of, login

from fossilgis.store.gpkg_schema import SCHEMA_VERSION

NEAR_F03 = (105.40, 25.90)


# -- helpers ------------------------------------------------------------------------------
@pytest.fixture
def web(store):
    """An app on ``store`` (GeoPackage or PostGIS) with the three test accounts."""
    add_users(store)
    return _app(store.data_dir, STORE=store_url(store))


def _signed_in(app, username="viewer1", password=PASSWORD):
    client = app.test_client()
    r = login(client, username, password)
    assert r.status_code == 303, r.get_data(as_text=True)[:300]
    return client


def _replay(app, client):
    """A new client carrying ``client``'s session cookie (a copied or kept cookie)."""
    other = app.test_client()
    other.set_cookie("fossilgis_session", client.get_cookie("fossilgis_session").value)
    return other


def _staff_routes_open(client) -> tuple[int, int]:
    return (
        client.get("/api/coverage.json").status_code,
        client.get("/patrols/export.csv").status_code,
    )


def patrol_body(**props) -> dict:
    """A valid exchange-format body near GZ-F03 (times two hours ago)."""
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    x, y = NEAR_F03
    base = {
        "feature_type": "patrol",
        "uuid": str(uuidlib.uuid4()),
        "site_id": "GZ-F03",
        "started_at": (now - dt.timedelta(hours=3)).isoformat(),
        "ended_at": (now - dt.timedelta(hours=1)).isoformat(),
        "team": ["张三"],
        "purpose": "routine",
        "notes": "ok",
    }
    base.update(props)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": base,
                "geometry": {"type": "LineString", "coordinates": [[x, y], [x + 0.001, y + 0.001]]},
            },
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [x, y]},
                "properties": {
                    "feature_type": "waypoint",
                    "uuid": str(uuidlib.uuid4()),
                    "observed_at": (now - dt.timedelta(hours=2)).isoformat(),
                    "category": "intact",
                    "severity": "none",
                    "description": "fine",
                },
            },
        ],
    }


def _token(store, username="patroller1") -> str:
    from fossilgis.auth import issue_token

    return issue_token(store, username, "tests")


# -- 1. sessions end on the server -----------------------------------------------------------
def test_schema_3_has_the_sessions_table(store):
    from fossilgis.store.gpkg import SCHEMA_VERSION as GPKG_VERSION
    from fossilgis.store.postgis import SCHEMA_VERSION as PG_VERSION

    assert GPKG_VERSION == PG_VERSION == store.schema_version >= 3
    assert sql(store, "SELECT count(*) FROM sessions") == [(0,)]


def test_migration_3_upgrades_a_schema_2_store(store):
    with store._tx() as conn:
        conn.execute("DROP TABLE sessions")
        conn.execute("UPDATE fossilgis_meta SET value='2' WHERE key='schema_version'")
    again = reopen(store)
    assert again.schema_version == SCHEMA_VERSION
    assert sql(again, "SELECT count(*) FROM sessions") == [(0,)]


def test_migration_4_adds_the_case_register_to_a_schema_3_store(store):
    """A store of the previous release gains the case tables and keeps its content."""
    tables = ("case_footprints", "cases", "case_numbers", "case_screens", "case_blobs",
              "case_files", "case_followups")  # fmt: skip
    with store._tx() as conn:
        for name in tables:
            conn.execute(f"DROP TABLE {name}")
        if store.backend == "gpkg":  # the feature table's GeoPackage bookkeeping too
            conn.execute("DROP TABLE rtree_case_footprints_geom")
            for meta in ("gpkg_extensions", "gpkg_geometry_columns", "gpkg_contents"):
                conn.execute(f"DELETE FROM {meta} WHERE table_name = 'case_footprints'")
        conn.execute("UPDATE fossilgis_meta SET value='3' WHERE key='schema_version'")
    again = reopen(store)
    assert again.schema_version == SCHEMA_VERSION
    assert again.cases.list()[1] == 0 and len(again.read_layer("sites")) == 36
    assert again.cases.open(details(), user="u").endswith("-0001")


def test_sign_out_ends_the_session_on_the_server(web):
    client = _signed_in(web)
    assert _staff_routes_open(client) == (200, 200)
    kept = _replay(web, client)  # the cookie as it was before signing out
    assert client.post("/logout").status_code == 303
    assert _staff_routes_open(client) == (401, 303)
    r = kept.get("/api/coverage.json")
    assert r.status_code == 401 and r.get_json()["code"] == "unauthorized"
    r = kept.get("/patrols/export.csv")
    assert r.status_code == 303 and r.headers["Location"].startswith("/login?next=")


def test_signing_out_one_device_keeps_the_others(web):
    phone, desk = _signed_in(web), _signed_in(web)
    phone.post("/logout")
    assert _staff_routes_open(phone) == (401, 303)
    assert _staff_routes_open(desk) == (200, 200)


def test_password_change_ends_every_session_of_the_user(web, store):
    from fossilgis.auth import authenticate, set_password

    a, b, other = _signed_in(web), _signed_in(web), _signed_in(web, "admin1")
    set_password(store, "viewer1", "a new password 2", by="tests")
    assert _staff_routes_open(a) == _staff_routes_open(b) == (401, 303)
    assert _staff_routes_open(other) == (200, 200)  # another user's sessions stay
    assert authenticate(store, "viewer1", PASSWORD) is None
    fresh = _signed_in(web, "viewer1", "a new password 2")
    assert _staff_routes_open(fresh) == (200, 200)
    rows = store.audit_rows(5, object_kind="user", object_id="viewer1")
    assert [r["action"] for r in rows[1:3]] == ["end_sessions", "password"]
    assert rows[1]["detail"] == {"count": 2}


def test_disabling_ends_sessions_and_enabling_does_not_revive_them(web, store):
    client = _signed_in(web, "patroller1")
    kept = _replay(web, client)
    store.set_user_disabled("patroller1", True, by="tests")
    assert _staff_routes_open(kept) == (401, 303)
    store.set_user_disabled("patroller1", False, by="tests")
    assert _staff_routes_open(kept) == (401, 303)
    assert _staff_routes_open(_signed_in(web, "patroller1")) == (200, 200)


def test_a_cookie_without_a_live_session_opens_nothing(web, store):
    """A correctly signed cookie that names a user (the old design) is not enough."""
    forged = web.session_interface.get_signing_serializer(web).dumps(
        {"user": "admin1", "csrf": "x"}
    )
    client = web.test_client()
    client.set_cookie("fossilgis_session", forged)
    assert _staff_routes_open(client) == (401, 303)
    for sid in ("not-a-session", "", 12, None):
        cookie = web.session_interface.get_signing_serializer(web).dumps(
            {"sid": sid, "user": "admin1"}
        )
        client.set_cookie("fossilgis_session", cookie)
        assert client.get("/api/coverage.json").status_code == 401


def test_session_ids_are_stored_hashed_and_expire(web, store):
    from fossilgis.auth import new_session, session_owner, token_sha256

    client = _signed_in(web)
    sid = web.session_interface.get_signing_serializer(web).loads(
        client.get_cookie("fossilgis_session").value
    )["sid"]
    stored = [r[0] for r in sql(store, "SELECT sid_sha256 FROM sessions")]
    assert token_sha256(sid) in stored and sid not in stored
    user = store.get_user("viewer1")
    old = new_session(store, user, -60)  # ended a minute ago
    assert session_owner(store, old) is None
    assert session_owner(store, new_session(store, user, 60)).username == "viewer1"
    new_session(store, user, 60)  # a sign-in removes sessions past their end
    assert token_sha256(old) not in [r[0] for r in sql(store, "SELECT sid_sha256 FROM sessions")]


def test_users_password_and_sign_out_commands(store):
    from fossilgis.auth import authenticate, new_session, session_owner
    from fossilgis.cli.main import cli

    add_users(store)
    args = ["--data", str(store.data_dir)] + (
        ["--store", store_url(store)] if store_url(store) else []
    )
    sid = new_session(store, store.get_user("viewer1"), 3600)
    r = CliRunner().invoke(cli, [*args, "users", "sign-out", "viewer1"])
    assert r.exit_code == 0 and "Ended 1 session(s) of viewer1" in r.output
    assert session_owner(store, sid) is None
    sid = new_session(store, store.get_user("viewer1"), 3600)
    r = CliRunner().invoke(
        cli, [*args, "users", "password", "viewer1", "--password-stdin"], input="brand new secret\n"
    )
    assert r.exit_code == 0 and "web sessions have ended" in r.output
    assert session_owner(store, sid) is None
    assert authenticate(store, "viewer1", "brand new secret") is not None
    r = CliRunner().invoke(
        cli, [*args, "users", "password", "viewer1", "--password-stdin"], input="short\n"
    )
    assert r.exit_code != 0 and "at least 8" in r.output
    r = CliRunner().invoke(cli, [*args, "users", "sign-out", "nobody"])
    assert r.exit_code != 0 and "no user 'nobody'" in r.output


# -- 2. security headers --------------------------------------------------------------------
PAGES = [
    "/",
    "/check",
    "/patrols",
    "/patrols/new",
    "/sites/GZ-F01",
    "/sections/GZ-S01",
    "/alerts",
    "/login",
    "/no-such-page",
]
_SCRIPT = re.compile(r"<script([^>]*)>", re.S)


def _directives(header: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in header.split(";") if d.strip()}


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_a_content_security_policy_with_a_nonce(webmap_data, path):
    client = _signed_in(_app(webmap_data), "admin1")
    r = client.get(path)
    assert r.mimetype == "text/html"
    csp = _directives(r.headers["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"] and csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"] and csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["img-src"][:3] == ["'self'", "data:", "blob:"]
    assert "'unsafe-inline'" not in csp["script-src"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "same-origin"
    assert r.headers["X-Frame-Options"] == "DENY"
    html = r.get_data(as_text=True)
    nonces = {s for s in csp["script-src"] if s.startswith("'nonce-")}
    for attrs in _SCRIPT.findall(html):
        if "src=" in attrs or 'type="application/json"' in attrs:
            continue  # files from 'self'; data blocks never run
        found = re.search(r'nonce="([^"]+)"', attrs)
        assert found and f"'nonce-{found.group(1)}'" in nonces, attrs
    assert "javascript:" not in html
    # eval only where leaflet-measure's templates need it (the main map)
    assert ("'unsafe-eval'" in csp["script-src"]) == (path == "/")


def test_no_inline_event_handlers_on_any_page(web, store):
    """The CSP blocks ``onsubmit=`` and friends: pages must not rely on them."""
    headers = {"Authorization": "Bearer " + _token(store)}
    body = patrol_body()
    assert web.test_client().post("/api/patrols", json=body, headers=headers).status_code == 201
    uuid = body["features"][0]["properties"]["uuid"]
    admin = _signed_in(web, "admin1")
    for path in [*PAGES, f"/patrols/{uuid}", "/patrols?category=alerts"]:
        html = admin.get(path).get_data(as_text=True)
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", html), path
    html = admin.get(f"/patrols/{uuid}").get_data(as_text=True)
    assert 'data-confirm="' in html and 'addEventListener("submit"' in html


def test_nonces_differ_per_request(webmap_data):
    client = _app(webmap_data).test_client()
    a, b = (client.get("/").headers["Content-Security-Policy"] for _ in range(2))
    assert re.search(r"'nonce-[\w-]{20,}'", a) and a != b


def test_data_responses_get_a_policy_that_runs_nothing(webmap_data):
    client = _app(webmap_data).test_client()
    for path in ("/api/layers/sites.geojson", "/api/search?q=GZ", "/api/patrols.geojson"):
        r = client.get(path)
        assert r.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert r.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "basemap, extra, source",
    [
        ("osm", {}, "https://tile.openstreetmap.org"),
        ("tianditu", {"TIANDITU_KEY": "k"}, "https://*.tianditu.gov.cn"),
    ],
)
def test_configured_tile_hosts_may_serve_images(webmap_data, basemap, extra, source):
    r = _app(webmap_data, BASEMAP=basemap, **extra).test_client().get("/")
    csp = _directives(r.headers["Content-Security-Policy"])
    assert source in csp["img-src"] and source not in csp["script-src"]


def test_error_page_back_link_is_same_site_only(webmap_data):
    client = _app(webmap_data).test_client()
    html = client.get("/nope", headers={"Referer": "http://localhost/patrols?x=1"}).get_data(
        as_text=True
    )
    assert 'href="/patrols?x=1"' in html
    html = client.get("/nope", headers={"Referer": "http://evil.example/x"}).get_data(as_text=True)
    assert "evil.example" not in html and 'id="error-back"' not in html


# -- 3. no server paths in answers ------------------------------------------------------------
def test_upload_errors_do_not_show_server_paths(webmap_data):
    import tempfile

    client = _signed_in(_app(webmap_data), "viewer1")
    tmp = tempfile.gettempdir()
    for name, data in (("broken.gpkg", b"not a geopackage"), ("broken.kml", b"<kml><bad")):
        r = client.post(
            "/api/impact",
            data={"file": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )
        text = r.get_data(as_text=True)
        assert r.status_code == 422 and name in text, text
        assert tmp not in text and str(webmap_data) not in text
        r = client.post(
            "/check",
            data={"footprint": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )
        text = r.get_data(as_text=True)
        assert r.status_code == 422 and name in text
        assert tmp not in text and str(webmap_data) not in text


def test_store_errors_do_not_show_server_paths(webmap_data, monkeypatch):
    from fossilgis.errors import StoreError

    app = _app(webmap_data)
    store = app.extensions["fossilgis_store"]

    def broken(*args, **kwargs):
        raise StoreError(f"cannot read {store.path}: disk I/O error; /var/lib/x/y.db locked")

    from fossilgis.store.patrol_maps import PatrolMaps

    monkeypatch.setattr(type(store), "list_patrols", broken)
    monkeypatch.setattr(PatrolMaps, "last_by_target", broken)  # coverage: one SQL aggregate
    for path in ("/api/coverage.json", "/patrols"):
        r = _signed_in(app).get(path)
        text = r.get_data(as_text=True)
        assert r.status_code == 500 and "disk I/O error" in text
        assert str(webmap_data) not in text and "/var/lib" not in text
        assert "…/fossilgis.gpkg" in text and "…/y.db" in text


def test_hide_paths_keeps_urls_and_words():
    from webmap.errors import hide_paths

    assert hide_paths("see /api/patrols and lon/lat, CGCS2000/WGS 84 / 中文") == (
        "see /api/patrols and lon/lat, CGCS2000/WGS 84 / 中文"
    )
    assert hide_paths("'/tmp/fossilgis-upload-x/红线.zip' not recognized") == (
        "'…/红线.zip' not recognized"
    )
    assert hide_paths("in /srv/gis/data/x.gpkg", ["/srv/gis/data"]) == "in …/x.gpkg"
    # a closing tag is not a path: </option> once became ‹…/option> on 4xx form pages
    assert hide_paths('<option value="a">甲</option></optgroup>') == (
        '<option value="a">甲</option></optgroup>'
    )
    assert hide_paths("under /opt: /optional") == "under …/opt: /optional"


# -- 4. the audit log cannot be forged ---------------------------------------------------------
FORGED = "x\n    99 2025-01-01T00:00:00Z admin1 delete patrol 1234"


def test_user_names_are_checked_on_creation(store):
    from fossilgis.auth import create_user
    from fossilgis.errors import AuthError

    for bad in ("ab\n", "a b", "a\x00b", "ab\u2028", "x" * 65, "a", "名字", "", FORGED):
        with pytest.raises(AuthError, match="use 2–64 letters, digits"):
            create_user(store, bad, PASSWORD, "viewer")
    assert store.get_user("ab") is None
    create_user(store, "wang.li@office-2", PASSWORD, "viewer")


@pytest.mark.parametrize(
    "evil", [FORGED, "x\r\ny", "x\u2028y", "x\x85y", "x\x1b[2Jy", "x\u202eyy", "x\ud800y"]
)
def test_control_characters_never_reach_the_audit_log_raw(store, evil):
    from fossilgis.cli.main import cli

    store.append_audit(evil, "sign_in_failed", "user", evil, {"typed": evil})
    row = store.audit_rows(1)[0]
    for value in (row["username"], row["object_id"], json.dumps(row["detail"])):
        assert not re.search("[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029\\u202e\\ud800]", value)
    assert row["username"].startswith("x\\")  # shown escaped, not dropped
    args = ["--data", str(store.data_dir)] + (
        ["--store", store_url(store)] if store_url(store) else []
    )
    for extra in ([], ["--json"]):
        out = CliRunner().invoke(cli, [*args, "audit", "--limit", "1", *extra]).output
        assert len(out.splitlines()) == 1 and "\u2028" not in out and "\x85" not in out
        if extra:
            assert json.loads(out)["id"] == row["id"]


def test_a_failed_sign_in_with_a_forged_name_is_one_escaped_row(web, store):
    client = web.test_client()
    r = client.post(
        "/login", data={"username": FORGED, "password": "whatever!", "csrf_token": csrf_of(client)}
    )
    assert r.status_code == 401
    row = store.audit_rows(1)[0]
    assert row["action"] == "sign_in_failed" and "\n" not in row["username"]
    assert row["username"].startswith("x\\n    99")


# -- 5. hostile patrol bodies: 4xx naming the field, never 500 ---------------------------------
def _with_track(coords):
    body = patrol_body()
    body["features"][0]["geometry"] = {"type": "LineString", "coordinates": coords}
    return body


def _with_waypoint(**props):
    body = patrol_body()
    body["features"][1]["properties"].update(props)
    return body


HOSTILE_PATROLS = {
    "year 1 with +08:00": (
        patrol_body(started_at="0001-01-01T00:00:00+08:00"),
        "features[0].started_at",
    ),
    "year 9999 with -08:00": (
        patrol_body(ended_at="9999-12-31T23:59:59-08:00"),
        "features[0].ended_at",
    ),
    "waypoint in year 1": (
        _with_waypoint(observed_at="0001-01-01T00:30:00+08:00"),
        "features[1].observed_at",
    ),
    "lone surrogate in notes": (patrol_body(notes="a\ud800b"), "notes"),
    "NUL in notes": (patrol_body(notes="bad\x00notes"), "U+0000"),
    "escape in description": (_with_waypoint(description="a\x1b[31m"), "waypoints[0].description"),
    "one-point track": (_with_track([[105.4, 25.9]]), "features[0].geometry.coordinates"),
    "NaN-free but bad position": (
        _with_track([[105.4, "x"], [105.4, 25.9]]),
        "features[0].geometry.coordinates[0]",
    ),
    "features not a list": ({"type": "FeatureCollection", "features": "abc"}, "features"),
    "features an object": ({"type": "FeatureCollection", "features": {"a": 1}}, "features"),
    "feature not an object": ({"type": "FeatureCollection", "features": [1]}, "features[0]"),
    "properties a list": (
        {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": [1]}]},
        "features[0].properties",
    ),
    "unknown photo sha256": (patrol_body(photos=["ab" * 32]), "photos[0]"),
    "empty photo sha256": (patrol_body(photos=[{"sha256": ""}]), "features[0].photos[0]"),
    "photo sha256 a number": (patrol_body(photos=[{"sha256": 5}]), "features[0].photos[0].sha256"),
    "notes an object": (patrol_body(notes={"a": 1}), "features[0].notes"),
    "team of objects": (patrol_body(team=[{"a": 1}]), "team[0]"),
    "notes too long": (patrol_body(notes="长" * 20_001), "20001 characters"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_PATROLS))
def test_hostile_patrol_bodies_are_refused_naming_the_field(web, store, case):
    body, field = HOSTILE_PATROLS[case]
    headers = {"Authorization": "Bearer " + _token(store)}
    # ensure_ascii: a lone surrogate travels as the escape \ud800, as a client sends it
    r = web.test_client().post(
        "/api/patrols",
        data=json.dumps(body, ensure_ascii=True),
        content_type="application/json",
        headers=headers,
    )
    assert r.status_code == 400, (r.status_code, r.get_data(as_text=True)[:300])
    answer = r.get_json()
    problems = json.dumps(answer["problems"], ensure_ascii=False)  # field, code, zh, en
    assert answer["code"] == "patrol_invalid" and field in problems, answer
    assert store.list_patrols().empty


def test_a_valid_body_is_still_stored(web, store):
    headers = {"Authorization": "Bearer " + _token(store)}
    body = patrol_body(notes="line one\r\nline two\ttabbed")
    r = web.test_client().post("/api/patrols", json=body, headers=headers)
    assert r.status_code == 201, r.get_json()


@pytest.mark.parametrize(
    "raw", [b"{", b"[" * 100_000, b'{"type": NaN}', b"\xff\xfe", b'"just a string"', b"null"]
)
def test_bodies_that_are_not_the_exchange_format(web, store, raw):
    headers = {"Authorization": "Bearer " + _token(store)}
    r = web.test_client().post(
        "/api/patrols", data=raw, content_type="application/json", headers=headers
    )
    assert r.status_code == 400 and r.get_json()["problems"][0]["field"] == "body"


def test_kml_export_survives_a_stored_nul(tmp_path):
    """Records stored before NUL was refused (GeoPackage kept them) still export as
    well-formed XML."""
    from fossilgis.patrols.export import patrols_gpx, patrols_kml
    from fossilgis.patrols.geojson import patrols_from_geojson
    from fossilgis.store import open_store

    (patrol,) = patrols_from_geojson(patrol_body(notes="a\x00b", purpose="p\x01"))
    patrol.waypoints[0].observation.description = "d\x00\ufffe"
    store = open_store(tmp_path)
    store.save_patrol(patrol, "tests")  # the store itself does not validate
    stored = [store.get_patrol(patrol.uuid)]
    assert stored[0].notes == "a\x00b"
    for text in (patrols_kml(stored), patrols_gpx(stored)):
        ET.fromstring(text.split("?>", 1)[1])
        assert "\x00" not in text


@pytest.mark.parametrize(
    "next_url",
    [
        "/x\r\nSet-Cookie: a=b",
        "/\r\n/evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "//evil.example",
        "https://evil.example/",
        "/ok\u2028",
        "/\x00",
    ],
)
def test_login_next_with_controls_stays_on_site(web, next_url):
    client = web.test_client()
    r = client.post(
        "/login",
        data={
            "username": "viewer1",
            "password": PASSWORD,
            "csrf_token": csrf_of(client),
            "next": next_url,
        },
    )
    assert r.status_code == 303 and r.headers["Location"] == "/"
    assert all("\r" not in v and "\n" not in v and "a=b" not in v for _, v in r.headers.items())
    page = client.get("/login?next=" + urllib.parse.quote(next_url))
    assert page.status_code == 200


# -- 6. property-based: hostile input everywhere, never a 5xx ------------------------------------
#: how many hostile cases each property test generated in this run (reported at the end)
GENERATED: dict[str, int] = {}
#: one request must answer within this many seconds (a shared 2-core machine; typical < 0.2)
MAX_SECONDS = 10.0

_SPECIAL = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "\r\n",
        "\u2028",
        "\u2029",
        "\x85",
        "\x1b[2J",
        "\ud800",
        "a\udfffb",
        "\ufffe",
        "\u202e",
        "../../etc/passwd",
        "/tmp/x",
        "C:\\Windows",
        "%0d%0a",
        "\\",
        "0001-01-01T00:00:00+08:00",
        "9999-12-31T23:59:59-08:00",
        "2024-02-30",
        "NaN",
        "Infinity",
        "-1",
        "1e309",
        "9" * 5000,
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "GZ-F03",
        "site:GZ-F03",
        "illegal_excavation",
        "非法采挖",
        "ab" * 32,
        "长" * 3000,
    ]
)
_CHARS = st.one_of(
    st.characters(),
    st.integers(0xD800, 0xDFFF).map(chr),
    st.integers(0, 0x1F).map(chr),
    st.integers(0x7F, 0x9F).map(chr),
)
HOSTILE_TEXT = st.one_of(_SPECIAL, st.text(_CHARS, max_size=40))
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(-(10**40), 10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    HOSTILE_TEXT,
)
JSON_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(HOSTILE_TEXT, inner, max_size=4),
    max_leaves=10,
)
_COORD = st.one_of(st.floats(-1e6, 1e6), st.integers(-(10**20), 10**20), _SCALARS)
GEOMETRIES = st.one_of(
    JSON_VALUES,
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(
                ["LineString", "MultiLineString", "Point", "Polygon", "GeometryCollection"]
            ),
            "coordinates": st.recursive(_COORD, lambda c: st.lists(c, max_size=3), max_leaves=8),
        }
    ),
)
PATROL_KEYS = [
    "uuid",
    "started_at",
    "ended_at",
    "team",
    "purpose",
    "notes",
    "site_id",
    "section_id",
    "target_kind",
    "target_id",
    "photos",
    "feature_type",
]
WAYPOINT_KEYS = [
    "uuid",
    "patrol_uuid",
    "observed_at",
    "name",
    "category",
    "severity",
    "description",
    "photos",
    "feature_type",
]


@st.composite
def hostile_patrol_bodies(draw):
    """A valid body with a few fields made hostile, or hostile JSON of any shape."""
    kind = draw(st.sampled_from(["mutate", "mutate", "mutate", "any", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "any":
        value = draw(JSON_VALUES)
    else:
        value = patrol_body()
        places = draw(
            st.lists(
                st.sampled_from(
                    ["patrol", "waypoint", "geometry", "wp_geometry", "feature", "features", "type"]
                ),
                min_size=1,
                max_size=3,
            )
        )
        order = ["patrol", "waypoint", "geometry", "wp_geometry", "feature", "features", "type"]
        for where in sorted(places, key=order.index):  # replace the whole last
            hostile = draw(JSON_VALUES)
            if where == "patrol":
                value["features"][0]["properties"][draw(st.sampled_from(PATROL_KEYS))] = hostile
            elif where == "waypoint":
                key = draw(st.sampled_from(WAYPOINT_KEYS))
                value["features"][1]["properties"][key] = hostile
            elif where in ("geometry", "wp_geometry"):
                value["features"][where == "wp_geometry"]["geometry"] = draw(GEOMETRIES)
            elif where == "features":
                value["features"] = hostile
            elif where == "feature":
                value["features"].append(hostile)
            else:
                value["type"] = hostile
    return json.dumps(value, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")


def _check_answer(r, elapsed: float, json_api: bool = True) -> None:
    assert elapsed < MAX_SECONDS, f"{elapsed:.1f} s"
    body = r.get_data(as_text=True)
    assert r.status_code < 500, (r.status_code, body[:500])
    assert "Traceback" not in body
    if json_api and r.status_code >= 400:
        answer = json.loads(body)
        assert isinstance(answer["code"], str) and isinstance(answer["description"], str)
        assert answer["code"] and answer["description"]


def _timed(call):
    start = time.perf_counter()
    r = call()
    elapsed = time.perf_counter() - start
    GENERATED["requests"] = GENERATED.get("requests", 0) + 1
    GENERATED["requests seconds"] = GENERATED.get("requests seconds", 0) + elapsed
    return r, elapsed


def _count(name: str) -> None:
    GENERATED[name] = GENERATED.get(name, 0) + 1


@pytest.fixture(scope="module")
def hostile_app(new_store):
    """One app per store backend for every property test (hypothesis runs many examples
    per test; PostgreSQL refuses what SQLite takes, e.g. NUL in text)."""
    from fossilgis.auth import issue_token

    store = new_store()
    add_users(store)
    app = _app(store.data_dir, STORE=store_url(store))
    app.config["LOGIN_MAX_FAILURES"] = 10**6  # answer every sign-in, not 429
    app.extensions["fossilgis_login_limiter"].max_failures = 10**6
    return app, {"Authorization": "Bearer " + issue_token(store, "admin1", "hostile")}


@pytest.fixture(scope="module", autouse=True)
def _report_counts(request):
    """After the module: how many hostile cases and requests the property tests made."""
    yield
    if not GENERATED:
        return
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    cases = {k: v for k, v in GENERATED.items() if not k.startswith("requests")}
    line = (
        f"hostile cases generated: {sum(cases.values())} ("
        + ", ".join(f"{k} {v}" for k, v in sorted(cases.items()))
        + f"); requests sent: {GENERATED.get('requests', 0)} in "
        f"{GENERATED.get('requests seconds', 0):.1f} s"
    )
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("\n" + line)


#: examples per endpoint; FOSSILGIS_HOSTILE_EXAMPLES=500 for a longer hunt
EXAMPLES = int(os.environ.get("FOSSILGIS_HOSTILE_EXAMPLES", "40"))
HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@HYPOTHESIS
@given(
    body=hostile_patrol_bodies(),
    mimetype=st.sampled_from(["application/json", "application/geo+json"]),
)
def test_property_api_patrols_never_fails_on_hostile_json(hostile_app, body, mimetype):
    app, headers = hostile_app
    _count("POST /api/patrols")
    r, elapsed = _timed(
        lambda: app.test_client().post(
            "/api/patrols", data=body, content_type=mimetype, headers=headers
        )
    )
    _check_answer(r, elapsed)
    assert r.status_code in (200, 201, 400, 409, 413, 415, 422), r.get_json()


@HYPOTHESIS
@given(
    fields=st.dictionaries(
        st.sampled_from(
            [
                "uuid",
                "target",
                "team",
                "started_at",
                "ended_at",
                "purpose",
                "notes",
                "patrol",
                "obs-0-category",
                "obs-0-severity",
                "obs-0-description",
                "obs-0-lon",
                "obs-0-lat",
                "obs-0-time",
                "obs-0-uuid",
                "obs-99-lon",
            ]
        ),
        HOSTILE_TEXT,
        max_size=8,
    )
)
def test_property_patrol_form_never_fails(hostile_app, fields):
    app, headers = hostile_app
    _count("POST /api/patrols (form)")
    data = {k: v.encode("utf-8", "surrogatepass") for k, v in fields.items()}
    r, elapsed = _timed(
        lambda: app.test_client().post(
            "/api/patrols", data=data, content_type="multipart/form-data", headers=headers
        )
    )
    _check_answer(r, elapsed)


@st.composite
def hostile_footprints(draw):
    """A footprint near GZ-F01 with hostile properties, odd rings or far coordinates."""
    x, y = 108.414, 26.081
    d = draw(st.one_of(st.just(0.001), st.floats(-1e3, 1e3), st.integers(-(10**9), 10**9)))
    ring = [[x, y], [x + d, y], [x + d, y + d], [x, y]]
    ring = ring[: draw(st.integers(0, 4))] if draw(st.booleans()) else ring
    feature = {
        "type": "Feature",
        "properties": draw(st.dictionaries(HOSTILE_TEXT, _SCALARS, max_size=3)),
        "geometry": {
            "type": draw(st.sampled_from(["Polygon", "LineString", "Point"])),
            "coordinates": [ring],
        },
    }
    if feature["geometry"]["type"] == "Point":
        feature["geometry"]["coordinates"] = ring[0] if ring else []
    elif feature["geometry"]["type"] == "LineString":
        feature["geometry"]["coordinates"] = ring
    body = {"type": "FeatureCollection", "features": [feature] * draw(st.integers(1, 3))}
    if draw(st.booleans()):
        body["crs"] = {"type": "name", "properties": {"name": draw(HOSTILE_TEXT)}}
    return json.dumps(body, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")


@HYPOTHESIS
@given(
    body=st.one_of(
        JSON_VALUES.map(lambda v: json.dumps(v).encode()),
        GEOMETRIES.map(lambda g: json.dumps(g).encode()),
        hostile_footprints(),
        hostile_footprints(),
        st.binary(max_size=100),
    ),
    args=st.dictionaries(
        st.sampled_from(
            [
                "project_type",
                "ground_disturbance",
                "line_width_m",
                "point_radius_m",
                "crs",
                "layer",
                "encoding",
            ]
        ),
        HOSTILE_TEXT,
        max_size=3,
    ),
)
def test_property_api_impact_never_fails_on_hostile_json(hostile_app, body, args):
    app, headers = hostile_app
    _count("POST /api/impact")
    query = urllib.parse.urlencode({k: v.encode("utf-8", "surrogatepass") for k, v in args.items()})
    r, elapsed = _timed(
        lambda: app.test_client().post(
            "/api/impact?" + query, data=body, content_type="application/geo+json", headers=headers
        )
    )
    _check_answer(r, elapsed)


@HYPOTHESIS
@given(username=HOSTILE_TEXT, password=HOSTILE_TEXT, next_url=HOSTILE_TEXT, with_csrf=st.booleans())
def test_property_login_form_never_fails(hostile_app, username, password, next_url, with_csrf):
    app, _ = hostile_app
    _count("POST /login")
    client = app.test_client()
    data = {"username": username, "password": password, "next": next_url}
    if with_csrf:
        data["csrf_token"] = csrf_of(client)
    data = {k: v.encode("utf-8", "surrogatepass") for k, v in data.items()}
    r, elapsed = _timed(lambda: client.post("/login", data=data))
    _check_answer(r, elapsed, json_api=False)
    assert r.status_code in (303, 400, 401, 429)
    if r.status_code == 303:
        assert r.headers["Location"].startswith("/") and not r.headers["Location"].startswith("//")


GET_ENDPOINTS = [
    ("/api/search", ["q"]),
    ("/api/layers/sites.geojson", ["bbox"]),
    ("/api/patrols.geojson", ["bbox"]),
    ("/patrols/export.geojson", ["target", "since", "until", "category", "deleted"]),
    ("/patrols", ["target", "since", "until", "category"]),
    ("/alerts", ["status"]),
    ("/ogcapi/collections/sites/items", ["bbox", "limit", "offset", "f", "datetime", "id"]),
]


@HYPOTHESIS
@given(
    endpoint=st.sampled_from(GET_ENDPOINTS),
    values=st.lists(HOSTILE_TEXT, min_size=1, max_size=4),
    path_part=HOSTILE_TEXT,
)
def test_property_queries_and_paths_never_fail(hostile_app, endpoint, values, path_part):
    app, headers = hostile_app
    _count("GET/DELETE with hostile query or path")
    path, keys = endpoint
    query = urllib.parse.urlencode(
        {k: v.encode("utf-8", "surrogatepass") for k, v in zip(keys, values)}
    )
    client = app.test_client()
    r, elapsed = _timed(lambda: client.get(f"{path}?{query}", headers=headers))
    _check_answer(r, elapsed, json_api=path.startswith("/api/"))
    quoted = urllib.parse.quote(path_part.encode("utf-8", "surrogatepass"), safe="")
    for method, url in (
        ("get", f"/api/patrols/{quoted}"),
        ("delete", f"/api/patrols/{quoted}"),
        ("post", f"/api/patrols/{quoted}/restore"),
        ("get", f"/check/{quoted}.json"),
    ):
        r, elapsed = _timed(lambda m=method, u=url: getattr(client, m)(u, headers=headers))
        _check_answer(r, elapsed)


def test_a_deeply_nested_body_to_api_impact_is_a_400(hostile_app):
    app, headers = hostile_app
    body = '{"type": "FeatureCollection", "features": ' + "[" * 50_000 + "]" * 50_000 + "}"
    r = app.test_client().post(
        "/api/impact", data=body, content_type="application/geo+json", headers=headers
    )
    assert r.status_code == 400
    assert "nested deeper than" in r.get_json()["description"]


def test_a_read_limit_on_the_web_is_a_413_naming_it(hostile_app):
    from fossilgis.io.limits import WEB_LIMITS

    app, headers = hostile_app
    n = WEB_LIMITS.features + 1
    points = [
        {
            "type": "Feature",
            "properties": {},
            "geometry": {"type": "Point", "coordinates": [106.7 + i * 1e-6, 26.5]},
        }
        for i in range(n)
    ]
    body = json.dumps({"type": "FeatureCollection", "features": points})
    r = app.test_client().post(
        "/api/impact", data=body, content_type="application/geo+json", headers=headers
    )
    assert r.status_code == 413, r.get_data(as_text=True)[:300]
    answer = r.get_json()
    assert answer["code"] == "too_large" and "features" in answer["description"]
