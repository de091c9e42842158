"""A patrol uploaded through the API is in the very next OGC API answer, in every web process."""

from __future__ import annotations

import datetime as dt
import json
import urllib.request

import pytest
from ogcapi_fixtures import live_server
from patrol_fixtures import make_patrol

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
PASSWORD = "correct horse battery"
ITEMS = "/ogcapi/collections/patrols/items"


@pytest.fixture
def tokens(store) -> dict:
    """Bearer tokens of a patroller (uploads) and of a viewer (reads as staff)."""
    from fossilgis.auth import create_user, issue_token

    create_user(store, "patroller1", PASSWORD, "patroller")
    create_user(store, "viewer1", PASSWORD, "viewer")
    return {
        "patroller": issue_token(store, "patroller1", "tests"),
        "viewer": issue_token(store, "viewer1", "tests"),
    }


def body_of(patrol) -> dict:
    from fossilgis.patrols.geojson import patrols_to_geojson

    return patrols_to_geojson([patrol])


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def ids(doc) -> list[str]:
    return [f["id"] for f in doc["features"]]


NEAR_F03_BOX = "bbox=105.39,25.89,105.41,25.91"


def test_an_uploaded_patrol_is_in_the_very_next_query(store, tokens):
    from webmap import create_app

    app = create_app(
        {"DATA_DIR": str(store.data_dir), "STORE": getattr(store, "url", None), "TESTING": True}
    )
    client = app.test_client()
    staff = bearer(tokens["viewer"])
    # every view answered once before the upload: a cache, if any, would hold the old state
    before = client.get(f"{ITEMS}?{NEAR_F03_BOX}", headers=staff).get_json(force=True)
    assert before["numberMatched"] == 0
    assert client.get(ITEMS).get_json(force=True)["numberMatched"] == 0
    client.get("/ogcapi/collections/patrols")

    patrol = make_patrol(start=NOW - dt.timedelta(days=1))
    r = client.post("/api/patrols", json=body_of(patrol), headers=bearer(tokens["patroller"]))
    assert r.status_code == 201, r.get_data(as_text=True)

    staff_doc = client.get(f"{ITEMS}?{NEAR_F03_BOX}", headers=staff).get_json(force=True)
    assert ids(staff_doc) == [patrol.uuid] and staff_doc["numberMatched"] == 1
    assert staff_doc["features"][0]["properties"]["team"] == "张三, 李四"
    public = client.get(ITEMS).get_json(force=True)
    assert ids(public) == [patrol.uuid] and public["features"][0]["geometry"] is None
    one = client.get(f"{ITEMS}/{patrol.uuid}").get_json(force=True)
    assert one["properties"]["waypoint_count"] == 1
    day = (NOW - dt.timedelta(days=1)).date().isoformat()
    assert ids(client.get(f"{ITEMS}?datetime={day}").get_json(force=True)) == [patrol.uuid]

    # and a deleted one is gone from the next answer
    store.delete_patrol(patrol.uuid, "admin1")
    assert client.get(ITEMS).get_json(force=True)["numberMatched"] == 0
    assert client.get(f"{ITEMS}/{patrol.uuid}").status_code == 404


def _get(url: str, headers: dict | None = None) -> dict:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def _post(url: str, body: dict, headers: dict) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={**headers, "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.status


def test_two_web_processes_on_one_store_both_see_a_new_patrol(store, tokens):
    staff = bearer(tokens["viewer"])
    with live_server(store, "webmap") as one, live_server(store, "webmap") as two:
        for root in (one, two):  # both have answered before the upload
            assert _get(f"{root}{ITEMS}?{NEAR_F03_BOX}", staff)["numberMatched"] == 0
            assert _get(f"{root}{ITEMS}")["numberMatched"] == 0
        patrol = make_patrol(start=NOW - dt.timedelta(hours=5))
        assert _post(f"{one}/api/patrols", body_of(patrol), bearer(tokens["patroller"])) == 201
        # at once, no sleep: the other process answers from the store, not from a copy
        for root in (two, one):
            doc = _get(f"{root}{ITEMS}?{NEAR_F03_BOX}", staff)
            assert ids(doc) == [patrol.uuid] and doc["numberMatched"] == 1
            assert doc["features"][0]["geometry"]["type"] == "MultiLineString"
            assert ids(_get(f"{root}{ITEMS}")) == [patrol.uuid]
            assert _get(f"{root}{ITEMS}/{patrol.uuid}")["id"] == patrol.uuid
