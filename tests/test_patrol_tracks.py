"""Patrol tracks on the maps, on both stores: the store's SQL (a box by the spatial index and
tested exactly, a target's last patrols, the period, order, limit, simplification, waypoints,
chunked reading) and ``/api/patrols/tracks.geojson`` through the Flask test client (staff
only, "truncated" past the limit, simplified by zoom, bilingual parameter errors, a patrol
uploaded in the very next answer), the site and section pages (tracks for staff, none for
visitors) and the kept map page (no staff overlay for visitors)."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import shapely
from conftest import store_url
from patrol_fixtures import make_patrol
from webmap_fixtures import add_users, signed_in

from fossilgis.patrols.model import Observation, Patrol, Waypoint
from fossilgis.store.patrol_tracks import METRES_PER_DEGREE, PatrolTracks, page_sql

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
BOX = (106.50, 26.50, 106.70, 26.70)
URL = "/api/patrols/tracks.geojson"
MARKUP = '<img src=x onerror="alert(1)"> <b>pit</b>'
_CONFIG = re.compile(r'<script type="application/json" id="fossilgis-config">(.*?)</script>', re.S)


def _uuid(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"tracks-test/{name}"))


def _zigzag(n: int = 200) -> shapely.MultiLineString:
    """About 2 km west to east, wobbling ±5 m north-south at every vertex."""
    return shapely.MultiLineString(
        [
            [
                (106.55 + 0.02 * i / (n - 1), 26.55 + (0.00005 if i % 2 else -0.00005))
                for i in range(n)
            ]
        ]
    )


#: name → (days ago it ended, track or None, target id or None, waypoints [(x, y, category)])
PATROLS = {
    "recent": (1, [(106.52, 26.52), (106.56, 26.58)], "GZ-F01",
               [(106.52, 26.52, "illegal_excavation"), (106.56, 26.58, "intact")]),
    "zigzag": (10, "zigzag", None, []),
    "older": (20, [(106.60, 26.60), (106.62, 26.61)], None, []),
    # its box meets BOX at the corner, the line does not
    "corner": (3, [(106.69, 26.75), (106.75, 26.69)], None, []),
    "points": (2, None, "GZ-F01", [(106.58, 26.58, "human_damage")]),
    "deleted": (4, [(106.53, 26.53), (106.54, 26.54)], "GZ-F01", []),
    "ancient": (400, [(106.51, 26.69), (106.52, 26.68)], "GZ-F01", []),
    "far": (0.5, [(107.5, 27.5), (107.6, 27.6)], None, []),
}  # fmt: skip


def _patrol(name: str) -> Patrol:
    days, line, target, points = PATROLS[name]
    ended = NOW - dt.timedelta(days=days)
    started = ended - dt.timedelta(hours=2)
    track = _zigzag() if line == "zigzag" else shapely.MultiLineString([line]) if line else None
    waypoints = [
        Waypoint(
            uuid=_uuid(f"{name}/{i}"),
            lon=x,
            lat=y,
            observed_at=started + dt.timedelta(minutes=10 * (i + 1)),
            name=f"{name} {i}",
            observation=Observation(category, "high", MARKUP),
            accuracy_m=8.0,
        )
        for i, (x, y, category) in enumerate(points)
    ]
    return Patrol(
        uuid=_uuid(name),
        started_at=started,
        ended_at=ended,
        team=["王丽", "<b>Li</b>"],
        target_kind="site" if target else None,
        target_id=target,
        track=track,
        waypoints=waypoints,
    )


@pytest.fixture(scope="module")
def seeded(new_store):
    """A store of each backend with :data:`PATROLS` (``deleted`` soft-deleted) and users."""
    store = new_store()
    add_users(store)
    for name in PATROLS:
        store.save_patrol(_patrol(name), "patroller1")
    store.delete_patrol(_uuid("deleted"), "admin1")
    yield store
    store.close()


def _uuids(tracks) -> list[str]:
    return [t.uuid for chunk in tracks for t in chunk]


def _names(uuids) -> list[str]:
    by_uuid = {_uuid(n): n for n in PATROLS}
    return [by_uuid.get(u, u) for u in uuids]


# -- the store ------------------------------------------------------------------------------
def test_a_box_gives_the_tracks_meeting_it_newest_first(seeded):
    got = PatrolTracks(seeded.db).tracks(bbox=BOX)
    # not the corner line (only its box meets BOX), the waypoint-only patrol, the deleted
    # one nor the far one
    assert _names(_uuids(got)) == ["recent", "zigzag", "older", "ancient"]
    assert got.more is False
    first = next(iter(PatrolTracks(seeded.db).tracks(bbox=BOX)))[0]
    assert first.team == ["王丽", "<b>Li</b>"] and first.target_id == "GZ-F01"
    assert (first.waypoint_count, first.alert_count) == (2, 1)
    assert first.ended_at == NOW - dt.timedelta(days=1)
    assert first.geometry.equals(_patrol("recent").track)


def test_period_and_limit_keep_the_newest_and_say_there_are_more(seeded):
    repo = PatrolTracks(seeded.db)
    since = NOW - dt.timedelta(days=90)
    assert _names(_uuids(repo.tracks(bbox=BOX, since=since))) == ["recent", "zigzag", "older"]
    two = repo.tracks(bbox=BOX, limit=2)
    assert _names(_uuids(two)) == ["recent", "zigzag"] and two.more is True
    four = repo.tracks(bbox=BOX, limit=4)
    assert len(_uuids(four)) == 4 and four.more is False
    everywhere = _names(_uuids(repo.tracks()))
    assert everywhere == ["far", "recent", "corner", "zigzag", "older", "ancient"]


def test_a_targets_last_patrols_include_those_with_waypoints_only(seeded):
    repo = PatrolTracks(seeded.db)
    got = [t for chunk in repo.tracks(target=("site", "GZ-F01"), tracks_only=False) for t in chunk]
    assert _names(t.uuid for t in got) == ["recent", "points", "ancient"]
    assert got[1].geometry is None and got[1].waypoint_count == 1
    last = repo.tracks(target=("site", "GZ-F01"), tracks_only=False, limit=2)
    assert _names(_uuids(last)) == ["recent", "points"] and last.more is True
    assert _uuids(repo.tracks(target=("section", "GZ-F01"))) == []


def test_tracks_are_simplified_within_the_tolerance(seeded):
    repo = PatrolTracks(seeded.db)
    zig = _uuid("zigzag")

    def track(tolerance_m):
        rows = [t for chunk in repo.tracks(bbox=BOX, tolerance_m=tolerance_m) for t in chunk]
        return next(t.geometry for t in rows if t.uuid == zig)

    assert len(shapely.get_coordinates(track(0))) == 200
    coarse = track(50)
    assert len(shapely.get_coordinates(coarse)) <= 4
    assert coarse.geom_type == "MultiLineString"
    assert shapely.hausdorff_distance(coarse, _zigzag()) <= 50 / METRES_PER_DEGREE
    # a 1 m tolerance keeps the ±5 m wobble
    assert len(shapely.get_coordinates(track(1))) == 200


def test_waypoints_come_newest_patrol_first_then_in_order_and_bounded(seeded):
    repo = PatrolTracks(seeded.db)
    points, more = repo.waypoints([_uuid("points"), _uuid("recent"), _uuid("older")], 10)
    assert [(w.patrol_uuid, w.seq) for w in points] == [
        (_uuid("recent"), 0),
        (_uuid("recent"), 1),
        (_uuid("points"), 0),
    ]
    assert more is False
    first = points[0]
    assert (first.lon, first.lat) == pytest.approx((106.52, 26.52))
    assert (first.category, first.severity, first.description) == (
        "illegal_excavation",
        "high",
        MARKUP,
    )
    assert first.accuracy_m == 8.0 and first.observed_at.tzinfo is not None
    assert repo.waypoints([_uuid("recent"), _uuid("points")], 2)[1] is True
    assert repo.waypoints([], 10) == ([], False)


def test_rows_are_read_a_chunk_at_a_time(seeded, monkeypatch):
    from fossilgis.store import patrol_tracks

    monkeypatch.setattr(patrol_tracks, "CHUNK", 2)
    chunks = list(PatrolTracks(seeded.db).tracks())
    assert [len(c) for c in chunks] == [2, 2, 2]


def test_a_box_is_answered_by_the_spatial_index(seeded):
    d = seeded.db.dialect
    inner, args = page_sql(d, bbox=BOX, target=None, since=None, limit=10, tracks_only=True)
    if seeded.backend == "postgis":
        with seeded.db.read() as conn, conn.transaction():
            conn.execute("SET LOCAL enable_seqscan = off")
            plan = conn.execute(d.q("EXPLAIN " + inner), args).fetchall()
        assert "patrols_geom" in str(plan)
    else:
        from fossilgis.store.patrol_tracks import IS_LINE, _is_line

        with seeded.db.read() as conn:
            conn.create_function(IS_LINE, 1, _is_line)
            plan = [row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + inner, args)]
        # the R-tree (alias r) searched with the box's constraints, not scanned whole
        assert any(re.match(r"SCAN r VIRTUAL TABLE INDEX \d+:\w+", step) for step in plan), plan


# -- the API --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def apps(seeded):
    """(staff client, visitor client, the app) on the seeded store."""
    from webmap import create_app

    where = {"DATA_DIR": str(seeded.data_dir), "STORE": store_url(seeded), "TESTING": True}
    app = create_app(where)
    staff = create_app({**where, "TESTING_STAFF": True}).test_client()
    return staff, app.test_client(), app


def _get(client, url: str) -> dict:
    r = client.get(url)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert r.mimetype == "application/geo+json"
    assert "no-store" in r.headers["Cache-Control"]
    return json.loads(r.get_data(as_text=True))


def _kinds(answer: dict, kind: str) -> list[dict]:
    return [f for f in answer["features"] if f["properties"]["kind"] == kind]


def test_staff_get_the_tracks_visitors_are_refused(apps):
    staff, visitor, _ = apps
    answer = _get(staff, f"{URL}?bbox={','.join(map(str, BOX))}&lang=en")
    tracks = _kinds(answer, "track")
    assert _names(f["properties"]["uuid"] for f in tracks) == [
        "recent",
        "zigzag",
        "older",
        "ancient",
    ]
    assert _kinds(answer, "waypoint") == []  # by box: only when asked
    props = tracks[0]["properties"]
    assert props["age"] == 0 and tracks[-1]["properties"]["age"] == 3
    assert props["started"].endswith("Beijing time (UTC+8)")
    assert props["team"] == "王丽, <b>Li</b>"  # the script writes it as text
    assert (props["waypoints"], props["alerts"], props["target_id"]) == (2, 1, "GZ-F01")
    assert tracks[0]["geometry"]["type"] == "MultiLineString"
    assert answer["truncated"] is False and answer["patrols"] == 4
    r = visitor.get(f"{URL}?bbox={','.join(map(str, BOX))}")
    assert r.status_code == 401 and r.get_json()["code"] == "unauthorized"
    assert "106.5" not in r.get_data(as_text=True)


def test_a_target_gives_its_last_patrols_with_their_waypoints(apps):
    staff, _, _ = apps
    answer = _get(staff, f"{URL}?target=site:GZ-F01&lang=zh")
    assert _names(f["properties"]["uuid"] for f in _kinds(answer, "track")) == ["recent", "ancient"]
    points = _kinds(answer, "waypoint")
    assert [p["properties"]["label"] for p in points] == ["非法采挖", "完好", "人为破坏"]
    first = points[0]["properties"]
    assert first["alert"] is True and points[1]["properties"]["alert"] is False
    assert first["description"] == MARKUP and first["accuracy_m"] == 8.0
    assert first["observed"].endswith("北京时间 (UTC+8)") and first["severity_label"] == "严重"
    assert points[0]["geometry"] == {"type": "Point", "coordinates": [106.52, 26.52]}
    assert answer["limit"] == 10 and answer["patrols"] == 3  # "points" has no track to draw
    assert _get(staff, f"{URL}?target=site:GZ-F01&waypoints=0")["patrols"] == 3
    assert _kinds(_get(staff, f"{URL}?target=site:GZ-F01&waypoints=0"), "waypoint") == []
    assert _get(staff, f"{URL}?target=section:nothing")["features"] == []


def test_more_than_the_limit_is_said_and_the_newest_kept(apps):
    staff, _, _ = apps
    answer = _get(staff, f"{URL}?bbox={','.join(map(str, BOX))}&limit=2&days=90")
    assert answer["truncated"] is True and answer["limit"] == 2 and answer["days"] == 90
    assert _names(f["properties"]["uuid"] for f in answer["features"]) == ["recent", "zigzag"]


def test_the_zoom_sets_the_simplification(apps):
    staff, _, _ = apps

    def vertices(zoom):
        answer = _get(staff, f"{URL}?bbox={','.join(map(str, BOX))}&zoom={zoom}")
        (zig,) = [f for f in answer["features"] if f["properties"]["uuid"] == _uuid("zigzag")]
        return sum(len(part) for part in zig["geometry"]["coordinates"])

    assert vertices(10) <= 4  # ~70 m a pixel: the wobble is gone
    assert vertices(20) == 200  # ~7 cm a pixel: every vertex stays


@pytest.mark.parametrize(
    "query, name",
    [
        ("days=0", "days"),
        ("days=abc", "days"),
        ("limit=501", "limit"),
        ("limit=-1", "limit"),
        ("target=county:x", "target"),
        ("target=site:", "target"),
        ("zoom=99", "zoom"),
        ("waypoints=yes", "waypoints"),
    ],
)
def test_bad_parameters_are_named_in_both_languages(apps, query, name):
    staff, _, _ = apps
    r = staff.get(f"{URL}?{query}")
    assert r.status_code == 400
    body = r.get_json()
    assert body["code"] == "bad_request"
    assert body["description"].count(name) >= 2 and " / " in body["description"]
    assert "Traceback" not in r.get_data(as_text=True)


def test_a_bad_bbox_is_refused(apps):
    staff, _, _ = apps
    r = staff.get(f"{URL}?bbox=1,2,3")
    assert r.status_code == 400 and "bbox" in r.get_json()["description"]


@pytest.fixture
def fresh(new_store):
    """A fresh store of each backend with the test accounts, and two apps on it (two web
    processes would be two apps)."""
    from webmap import create_app

    store = new_store()
    add_users(store)
    where = {"DATA_DIR": str(store.data_dir), "STORE": store_url(store), "TESTING": True}
    yield store, create_app(where), create_app(where)
    store.close()


def test_a_patrol_uploaded_is_in_the_very_next_answer(fresh):
    from fossilgis.patrols.geojson import patrols_to_geojson

    _store, app, other = fresh
    patroller, viewer, elsewhere = (
        signed_in(app, "patroller1"),
        signed_in(app, "viewer1"),
        signed_in(other, "viewer1"),
    )
    box = "105.3,25.8,105.5,26.0"  # around GZ-F03, where make_patrol walks
    before = _get(viewer, f"{URL}?bbox={box}&days=30")
    assert before["features"] == [] and _get(elsewhere, f"{URL}?bbox={box}")["features"] == []
    patrol = make_patrol(2, start=NOW - dt.timedelta(hours=5))
    r = patroller.post("/api/patrols", json=patrols_to_geojson([patrol]))
    assert r.status_code == 201, r.get_data(as_text=True)
    for client in (viewer, elsewhere):
        after = _get(client, f"{URL}?bbox={box}&days=30")
        assert [f["properties"]["uuid"] for f in after["features"]] == [patrol.uuid]
        assert after["features"][0]["properties"]["age"] == 0
    page = _get(viewer, f"{URL}?target=site:GZ-F03")
    assert len(_kinds(page, "waypoint")) == 2


# -- the pages ------------------------------------------------------------------------------
def _config(html: str) -> dict:
    return json.loads(_CONFIG.search(html).group(1))


@pytest.mark.parametrize(
    "path, target", [("/sites/GZ-F01", "site:GZ-F01"), ("/sections/GZ-S01", "section:GZ-S01")]
)
def test_target_pages_give_staff_the_tracks_and_visitors_none(apps, path, target):
    staff, visitor, _ = apps
    html = staff.get(path + "?lang=en").get_data(as_text=True)
    url = _config(html)["urls"]["tracks"]
    parts = urlsplit(url)
    assert parts.path == URL and parse_qs(parts.query) == {"target": [target]}
    assert 'id="tracks-note"' in html and "last 10 patrols" in html
    assert 'id="patrol-history"' in html or 'id="no-patrols"' in html
    r = visitor.get(path + "?lang=en")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "tracks" not in _config(html)["urls"]
    assert 'id="tracks-note"' not in html and 'id="patrols-staff-only"' in html
    assert _uuid("recent") not in html


def test_the_kept_map_page_gives_visitors_no_staff_overlay(apps):
    _, visitor, app = apps
    staff = signed_in(app, "viewer1")
    staff_page = staff.get("/").get_data(as_text=True)  # rendered first and kept
    page = visitor.get("/").get_data(as_text=True)
    assert _config(staff_page)["staff"] is True and "patrols" in _config(staff_page)["urls"]
    config = _config(page)
    # the map script adds the tracks overlay only where the page's config says staff
    assert config["staff"] is False
    assert not {"patrols", "alerts", "coverage", "tracks"} & set(config["urls"])
    assert 'id="signed-in-as"' not in page
    for name in PATROLS:
        assert _uuid(name) not in page and _uuid(name) not in staff_page  # data are fetched
    assert len(app.extensions["fossilgis_map_pages"]._pages) == 2
