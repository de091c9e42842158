"""The map's patrol layers and coverage from the store's SQL, on both stores: the same
answers as the former in-memory views, a new patrol in the very next answer, boxes by the
spatial index, and visitors still without positions."""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import uuid

import pytest
import shapely
from conftest import store_url
from patrol_fixtures import make_patrol

from fossilgis.patrols.model import (
    ALERT_CATEGORIES,
    CHINA_TZ,
    OBSERVATION_CATEGORIES,
    Observation,
    Patrol,
    Waypoint,
)

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
PASSWORD = "correct horse battery"
CATEGORIES = ["intact", "human_damage", "illegal_excavation", "construction_encroachment", "other"]
BOX = (106.2, 26.2, 106.6, 26.7)


def _ages(rng) -> dt.timedelta:
    """How long ago a patrol started: never near the 90-day window's edges nor the alerts'
    24-hour clock (the former views and the endpoints ask the time a moment apart)."""
    return rng.choice(
        [
            dt.timedelta(hours=rng.uniform(2, 20)),
            dt.timedelta(days=rng.uniform(2, 80)),
            dt.timedelta(days=rng.uniform(100, 400)),
            -dt.timedelta(days=2),  # ends after now: not counted as a last patrol
        ]
    )


def _varied_patrols(store, n: int = 300) -> list:
    """``n`` patrols of every shape (track, point, points, none), target and time (some
    with milliseconds), a few deleted."""
    rng = random.Random(20250510)
    made = []
    for i in range(n):
        start = NOW - _ages(rng) + dt.timedelta(milliseconds=rng.choice([0, 0, 250]))
        end = start + dt.timedelta(hours=rng.choice([1, 3]), milliseconds=rng.choice([0, 499]))
        x, y = rng.uniform(106.0, 107.0), rng.uniform(26.0, 27.0)
        shape = i % 5
        track = None
        if shape in (0, 1):
            steps = [(x + rng.uniform(-0.05, 0.05), y + rng.uniform(-0.05, 0.05)) for _ in "ab"]
            track = shapely.MultiLineString([[(x, y), *steps]])
        points = [] if shape == 4 else [(x, y)] if shape in (0, 2) else [(x, y), (x, y + 0.01)]
        waypoints = [
            Waypoint(
                uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                lon=px,
                lat=py,
                observed_at=start + dt.timedelta(minutes=k, seconds=rng.randrange(60)),
                observation=Observation(rng.choice(CATEGORIES), "high", rng.choice(["", "坑"]))
                if rng.random() < 0.7
                else None,
            )
            for k, (px, py) in enumerate(points)
        ]
        target = rng.choice([("site", "GZ-F01"), ("site", "GZ-F03"), ("section", "GZ-S01")])
        target = target if rng.random() < 0.8 else (None, None)
        patrol = Patrol(
            uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            started_at=start,
            ended_at=end,
            team=["A"],
            target_kind=target[0],
            target_id=target[1],
            track=track,
            waypoints=waypoints,
        )
        store.save_patrol(patrol, "patroller1")
        made.append(patrol)
    for patrol in made[3:200:17]:
        store.delete_patrol(patrol.uuid, "admin1")
    return made


@pytest.fixture(scope="module")
def varied(new_store):
    """(store with :func:`_varied_patrols`, a staff client, a visitor client)."""
    from webmap import create_app

    store = new_store()
    _varied_patrols(store)
    where = {"DATA_DIR": str(store.data_dir), "STORE": store_url(store), "TESTING": True}
    staff = create_app({**where, "TESTING_STAFF": True}).test_client()
    yield store, staff, create_app(where).test_client()
    store.close()


# -- the former views, as they were: everything from list_patrols / list_waypoints ----------
def _former_points(store, staff: bool) -> list[dict]:
    import numpy as np

    table = store.list_patrols()
    geoms = np.asarray(table.geometry.values)
    ok = ~shapely.is_missing(geoms)
    table, geoms = table[ok], geoms[ok]
    pts = shapely.point_on_surface(geoms) if len(geoms) else geoms
    features = []
    for u, s, t, a, w, p in zip(
        table["uuid"],
        table["started_at"],
        table["target_id"],
        table["alert_count"],
        table["waypoint_count"],
        pts,
    ):
        props = {
            "uuid": u,
            "started_at": s.tz_convert(CHINA_TZ).strftime("%Y-%m-%d"),
            "alerts": int(a),
            "waypoints": int(w),
            **({"target_id": t} if staff else {}),
        }
        point = {"type": "Point", "coordinates": [round(p.x, 6), round(p.y, 6)]}
        features.append(
            {"type": "Feature", "properties": props, "geometry": point if staff else None}
        )
    return features


def _former_alerts(store, staff: bool, lang: str, now) -> list[dict]:
    from fossilgis.patrols.alerts import alerts

    table = alerts(store.list_waypoints(categories=list(ALERT_CATEGORIES)), now)
    features = []
    for rec in table.to_dict("records"):
        props = {
            "patrol_uuid": rec["patrol_uuid"],
            "category": rec["category"],
            "label": rec["category_zh"] if lang == "zh" else rec["category_en"],
            "severity": rec["severity"],
            "target_id": rec["target_id"] if staff else None,
            "report_time": rec["report_time"].tz_convert(CHINA_TZ).strftime("%Y-%m-%d %H:%M"),
            "status": rec["status"],
            "description": rec["description"] if staff else None,
        }
        point = {"type": "Point", "coordinates": [round(rec["lon"], 6), round(rec["lat"], 6)]}
        features.append(
            {"type": "Feature", "properties": props, "geometry": point if staff else None}
        )
    return features


def _former_coverage(store, now, days: int = 90) -> dict:
    from fossilgis.patrols.coverage import coverage
    from fossilgis.patrols.submit import load_targets
    from webmap.views.patrol_alerts import coverage_json

    return coverage_json(coverage(store.list_patrols(), load_targets(store), now, days), days)


def _no_nan(features: list[dict]) -> list[dict]:
    """The former answers wrote a missing target as NaN (not JSON): now it is null."""
    for f in features:
        for k, v in f["properties"].items():
            if isinstance(v, float) and math.isnan(v):
                f["properties"][k] = None
    return features


def _strict(text: str):
    """JSON as browsers' ``JSON.parse`` takes it: no NaN."""
    return json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))


def _get(client, url: str, headers=None) -> dict:
    r = client.get(url, headers=headers)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return _strict(r.get_data(as_text=True))


# -- the same answers ---------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["staff", "visitor"])
def test_patrol_points_answer_as_the_former_view(varied, who):
    store, staff_client, visitor = varied
    client = staff_client if who == "staff" else visitor
    got = _strict(client.get("/api/patrols.geojson").get_data(as_text=True))
    former = _no_nan(_former_points(store, who == "staff"))
    assert len(former) > 200
    assert got == {"type": "FeatureCollection", "features": former}


@pytest.mark.parametrize("who, lang", [("staff", "en"), ("staff", "zh"), ("visitor", "en")])
def test_alert_points_answer_as_the_former_view(varied, who, lang):
    store, staff_client, visitor = varied
    client = staff_client if who == "staff" else visitor
    got = _strict(client.get(f"/api/alerts.geojson?lang={lang}").get_data(as_text=True))
    former = _no_nan(_former_alerts(store, who == "staff", lang, dt.datetime.now(dt.timezone.utc)))
    assert len(former) > 80
    assert {s["properties"]["status"] for s in former} == {"open", "overdue"}

    def key(f):
        return json.dumps(f, sort_keys=True, ensure_ascii=False)

    # the same features; newest report first (the former order left ties to the sort)
    assert sorted(got["features"], key=key) == sorted(former, key=key)
    times = [f["properties"]["report_time"] for f in got["features"]]
    assert times == sorted(times, reverse=True)
    labels = {f["properties"]["label"] for f in got["features"]}
    assert labels <= {getattr(OBSERVATION_CATEGORIES[c], lang) for c in ALERT_CATEGORIES}


def test_coverage_answers_as_the_former_view(varied):
    store, staff_client, _ = varied
    got = staff_client.get("/api/coverage.json").get_json()
    assert got == _former_coverage(store, dt.datetime.now(dt.timezone.utc))
    assert {v["overdue"] for v in got["targets"].values()} == {True, False}


def test_boxes_use_the_geometry_and_visitors_get_none(varied):
    store, staff_client, visitor = varied
    table = store.list_patrols()
    inside = table[table.geometry.intersects(shapely.box(*BOX))]
    query = "bbox=" + ",".join(map(str, BOX))
    got = _get(staff_client, f"/api/patrols.geojson?{query}")["features"]
    assert [f["properties"]["uuid"] for f in got] == list(inside["uuid"])
    assert 0 < len(got) < len(table)
    wps = store.list_waypoints(categories=list(ALERT_CATEGORIES))
    in_box = wps[wps.geometry.intersects(shapely.box(*BOX))]
    alerts = _get(staff_client, f"/api/alerts.geojson?{query}")["features"]
    assert sorted(f["properties"]["patrol_uuid"] for f in alerts) == sorted(in_box["patrol_uuid"])
    assert 0 < len(alerts) < len(wps)
    # where patrols went is staff data: a visitor's box matches nothing (no probing)
    for url in ("/api/patrols.geojson", "/api/alerts.geojson"):
        assert _get(visitor, f"{url}?{query}")["features"] == []
        assert staff_client.get(f"{url}?bbox=1,2").status_code == 400


def test_visitors_get_no_position_target_or_text(varied):
    _, _, visitor = varied
    for url in ("/api/patrols.geojson", "/api/alerts.geojson"):
        for f in _get(visitor, url)["features"]:
            assert f["geometry"] is None
            assert f["properties"].get("target_id") is None
            assert f["properties"].get("description") is None
    assert visitor.get("/api/coverage.json").status_code in (302, 303, 401)


# -- a new patrol is in the very next answer -----------------------------------------------------
def test_an_uploaded_patrol_is_in_the_next_layers_and_coverage(store):
    from fossilgis.auth import create_user, issue_token
    from fossilgis.patrols.geojson import patrols_to_geojson
    from webmap import create_app

    create_user(store, "patroller1", PASSWORD, "patroller")
    create_user(store, "viewer1", PASSWORD, "viewer")
    upload = {"Authorization": "Bearer " + issue_token(store, "patroller1", "tests")}
    staff = {"Authorization": "Bearer " + issue_token(store, "viewer1", "tests")}
    app = create_app({"DATA_DIR": str(store.data_dir), "STORE": store_url(store), "TESTING": True})
    client = app.test_client()

    def answers():
        return (
            _get(client, "/api/patrols.geojson", staff),
            _get(client, "/api/alerts.geojson", staff),
            _get(client, "/api/coverage.json", staff)["targets"]["sites:GZ-F03"],
        )

    points, alerts, covered = answers()  # answered once before: a cache would hold this
    assert points["features"] == [] and alerts["features"] == []
    assert covered == {"last_patrol": None, "overdue": True}

    patrol = make_patrol(2, start=NOW - dt.timedelta(hours=6), category="human_damage")
    r = client.post("/api/patrols", json=patrols_to_geojson([patrol]), headers=upload)
    assert r.status_code == 201, r.get_data(as_text=True)

    points, alerts, covered = answers()
    assert [f["properties"]["uuid"] for f in points["features"]] == [patrol.uuid]
    assert [f["properties"]["patrol_uuid"] for f in alerts["features"]] == [patrol.uuid] * 2
    # newest observation first
    assert [f["geometry"]["coordinates"] for f in alerts["features"]] == [
        [105.4001, 25.9],
        [105.4, 25.9],
    ]
    day = patrol.ended_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d")
    assert covered == {"last_patrol": day, "overdue": False}

    store.delete_patrol(patrol.uuid, "admin1")  # and gone from the next answers
    points, alerts, covered = answers()
    assert points["features"] == [] and alerts["features"] == []
    assert covered["overdue"] is True
