"""Sign-in, roles, API tokens, CSRF, cookies and the stateless app (results in the data dir)."""

from __future__ import annotations

import json
import os
import re
import time

import pytest
from webmap_fixtures import PASSWORD, _app, csrf_of, drawn_geojson, login, signed_in


def _token(webmap_data, username: str) -> str:
    from fossilgis.auth import issue_token
    from fossilgis.store import open_store

    return issue_token(open_store(webmap_data), username, "tests")


# -- the secret key and the session cookie -----------------------------------------------
def test_secret_key_is_made_in_the_data_dir_and_shared(webmap_data, tmp_path):
    from fossilgis.store import open_store

    a, b = _app(webmap_data), _app(webmap_data)
    path = webmap_data / "secret_key"
    assert path.exists() and (path.stat().st_mode & 0o777) == 0o600
    assert a.config["SECRET_KEY"] == b.config["SECRET_KEY"] == path.read_bytes().strip()
    open_store(tmp_path / "other")
    assert _app(tmp_path / "other").config["SECRET_KEY"] != a.config["SECRET_KEY"]
    # a session made by one process is honoured by another on the same data dir
    c = signed_in(a, "viewer1")
    cookie = c.get_cookie("fossilgis_session")
    other = b.test_client()
    other.set_cookie("fossilgis_session", cookie.value)
    assert "viewer1" in other.get("/").get_data(as_text=True)


def test_session_cookie_is_httponly_lax_and_secure_when_configured(webmap_data, monkeypatch):
    r = login(_app(webmap_data).test_client(), "viewer1")
    cookie = [h for h in r.headers.getlist("Set-Cookie") if h.startswith("fossilgis_session=")][0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    monkeypatch.setenv("FOSSILGIS_SESSION_COOKIE_SECURE", "1")
    app = _app(webmap_data)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    r = login(app.test_client(), "viewer1")
    cookie = [h for h in r.headers.getlist("Set-Cookie") if h.startswith("fossilgis_session=")][0]
    assert "Secure" in cookie
    monkeypatch.setenv("FOSSILGIS_SESSION_COOKIE_SECURE", "maybe")
    from fossilgis.errors import FossilGISError

    with pytest.raises(FossilGISError, match="FOSSILGIS_SESSION_COOKIE_SECURE='maybe'"):
        _app(webmap_data)


# -- signing in and out ------------------------------------------------------------------
def test_sign_in_wrong_then_right_is_audited(app, webmap_data):
    from fossilgis.store import open_store

    client = app.test_client()
    r = login(client, "viewer1", "wrong password!")
    assert r.status_code == 401 and "Wrong user name or password" in r.get_data(as_text=True)
    r = login(client, "nobody", "wrong password!")
    assert r.status_code == 401  # the same answer for an unknown name
    r = login(client, "viewer1", next_url="/patrols?target=GZ-F01")
    assert r.status_code == 303 and r.headers["Location"] == "/patrols?target=GZ-F01"
    html = client.get("/").get_data(as_text=True)
    assert 'id="signed-in-as">viewer1' in html
    rows = open_store(webmap_data).audit_rows(10, object_kind="user")
    actions = [(r["action"], r["object_id"]) for r in rows]
    assert ("sign_in", "viewer1") in actions
    assert ("sign_in_failed", "viewer1") in actions and ("sign_in_failed", "nobody") in actions


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "/\\evil", "javascript:alert(1)"]
)
def test_next_never_leaves_the_site(app, target):
    r = login(app.test_client(), "viewer1", next_url=target)
    assert r.status_code == 303 and r.headers["Location"] == "/"


def test_repeated_failures_are_rate_limited(webmap_data):
    client = _app(webmap_data, LOGIN_MAX_FAILURES=2).test_client()
    assert login(client, "admin1", "guess number 1").status_code == 401
    assert login(client, "admin1", "guess number 2").status_code == 401
    r = login(client, "admin1")  # even the right password waits now
    assert r.status_code == 429 and "Too many failed sign-ins" in r.get_data(as_text=True)
    assert login(client, "viewer1").status_code == 303  # another name is not blocked


def test_sign_out_is_a_post_with_csrf(viewer_client):
    assert viewer_client.get("/logout").status_code == 405
    token = viewer_client.environ_base.pop("HTTP_X_CSRF_TOKEN")
    r = viewer_client.post("/logout")
    assert r.status_code == 400 and "CSRF" in r.get_data(as_text=True)
    r = viewer_client.post("/logout", data={"csrf_token": token})
    assert r.status_code == 303
    assert 'id="sign-in"' in viewer_client.get("/").get_data(as_text=True)
    # the old token is worthless after signing out
    login_token = csrf_of(viewer_client)
    assert login_token != token


def test_disabled_account_loses_its_session_at_once(app, webmap_data):
    from fossilgis.auth import create_user
    from fossilgis.store import open_store

    store = open_store(webmap_data)
    create_user(store, "temp1", PASSWORD, "patroller")
    client = signed_in(app, "temp1")
    assert client.get("/patrols/new").status_code == 200
    store.set_user_disabled("temp1", True)
    r = client.get("/patrols/new")
    assert r.status_code == 303 and r.headers["Location"].startswith("/login")


# -- what needs which role -----------------------------------------------------------------
PAGES_NEEDING_SIGN_IN = [
    ("post", "/check"),
    ("get", "/patrols/new"),
    ("post", "/patrols/new"),
    ("get", "/patrols/export.csv"),
    ("get", "/photos/" + "a" * 64),
]
API_NEEDING_SIGN_IN = [
    ("post", "/api/impact"),
    ("post", "/api/patrols"),
    ("get", "/api/coverage.json"),
    ("get", "/api/patrols/11111111-1111-4111-8111-111111111111"),
    ("delete", "/api/patrols/11111111-1111-4111-8111-111111111111"),
]


@pytest.mark.parametrize("method,path", PAGES_NEEDING_SIGN_IN)
def test_anonymous_pages_redirect_to_sign_in(client, method, path):
    r = getattr(client, method)(path)
    assert r.status_code == 303
    assert r.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("method,path", API_NEEDING_SIGN_IN)
def test_anonymous_api_is_401_json(client, method, path):
    r = getattr(client, method)(path, json=drawn_geojson())
    assert r.status_code == 401
    assert r.get_json()["code"] == "unauthorized"
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="fossilgis"'


def test_bad_bearer_token_is_401_invalid_token(client):
    r = client.post(
        "/api/impact",
        json=drawn_geojson(),
        headers={"Authorization": "Bearer fgis_not-a-real-token"},
    )
    assert r.status_code == 401 and "invalid_token" in r.headers["WWW-Authenticate"]
    # a public page still answers, as to a visitor
    assert client.get("/", headers={"Authorization": "Bearer fgis_nope"}).status_code == 200


def test_bearer_token_needs_no_csrf(client, webmap_data):
    token = _token(webmap_data, "viewer1")
    r = client.post(
        "/api/impact", json=drawn_geojson(), headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 200 and r.get_json()["projects"][0]["grade"] == "avoid"


def test_viewer_may_screen_but_not_upload(viewer_client, webmap_data):
    r = viewer_client.post("/check", data={"drawn": json.dumps(drawn_geojson())})
    assert r.status_code == 303 and r.headers["Location"].startswith("/check/")
    r = viewer_client.get("/patrols/new")
    assert r.status_code == 403 and "patroller or admin" in r.get_data(as_text=True)
    r = viewer_client.post("/api/patrols", json={})
    assert r.status_code == 403 and r.get_json()["code"] == "forbidden"
    token = _token(webmap_data, "viewer1")
    r = viewer_client.post("/api/patrols", json={}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403


def test_patroller_may_not_restore(patroller_client):
    r = patroller_client.post("/api/patrols/11111111-1111-4111-8111-111111111111/restore")
    assert r.status_code == 403 and "admin" in r.get_json()["description"]


# -- CSRF --------------------------------------------------------------------------------
def test_csrf_is_checked_on_every_form_and_on_the_api_with_a_cookie(viewer_client, app):
    good = viewer_client.environ_base.pop("HTTP_X_CSRF_TOKEN")
    drawn = {"drawn": json.dumps(drawn_geojson())}
    for token in (None, "", "x" * 43, good[:-1] + ("A" if good[-1] != "A" else "B")):
        data = dict(drawn, **({} if token is None else {"csrf_token": token}))
        r = viewer_client.post("/check", data=data)
        assert r.status_code == 400, token
        assert "CSRF" in r.get_data(as_text=True)
    assert viewer_client.post("/check", data=dict(drawn, csrf_token=good)).status_code == 303
    # the JSON API with the session cookie is not exempt
    r = viewer_client.post("/api/impact", json=drawn_geojson())
    assert r.status_code == 400 and r.get_json()["code"] == "csrf"
    r = viewer_client.post("/api/impact", json=drawn_geojson(), headers={"X-CSRF-Token": good})
    assert r.status_code == 200
    # a token of another session does not fit this one
    other = signed_in(app, "viewer1")
    theirs = other.environ_base["HTTP_X_CSRF_TOKEN"]
    assert theirs != good
    r = viewer_client.post("/check", data=dict(drawn, csrf_token=theirs))
    assert r.status_code == 400


def test_sign_in_form_needs_its_csrf_token(client):
    r = client.post("/login", data={"username": "viewer1", "password": PASSWORD})
    assert r.status_code == 400


def test_every_post_form_carries_a_csrf_field(admin_client):
    for path in ("/login", "/check", "/patrols/new", "/"):
        html = admin_client.get(path).get_data(as_text=True)
        forms = re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", html, re.S | re.I)
        assert forms, path
        for body in forms:
            assert 'name="csrf_token"' in body, path


# -- stateless: results in the data directory ------------------------------------------------
def test_results_are_files_any_process_can_serve(webmap_data):
    a = signed_in(_app(webmap_data), "viewer1")
    r = a.post("/check", data={"drawn": json.dumps(drawn_geojson())})
    token = r.headers["Location"].rsplit("/", 1)[1]
    assert (webmap_data / "results" / f"{token}.pickle").exists()
    b = _app(webmap_data).test_client()  # another process on the same data directory
    assert b.get(f"/check/{token}.json").get_json()["projects"][0]["grade"] == "avoid"
    # expired by age
    old = time.time() - 7200
    os.utime(webmap_data / "results" / f"{token}.pickle", (old, old))
    assert b.get(f"/check/{token}.json").status_code == 404
    assert not (webmap_data / "results" / f"{token}.pickle").exists()


@pytest.mark.parametrize(
    "token", ["../secret_key", "..%2Fsecret_key", "a" * 21, "a" * 23, "secret_key", "x.pickle"]
)
def test_result_tokens_are_checked_before_any_path_is_built(client, token):
    assert client.get(f"/check/{token}.json").status_code == 404


def test_result_store_prunes_old_and_excess(tmp_path):
    from webmap.results import ResultStore

    store = ResultStore(tmp_path, max_items=3, ttl_s=3600)
    tokens = []
    for i in range(5):
        tokens.append(store.put({"n": i}))
        time.sleep(0.02)  # distinct mtimes: pruning goes by age
    assert len(list(tmp_path.glob("*.pickle"))) == 3
    assert store.get(tokens[-1]) == {"n": 4}
    assert store.get(tokens[0]) is None
