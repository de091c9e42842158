"""Fixtures (registered in conftest.py) of the OGC API tests: a store with patrols, the core,
a Flask app, a live server."""

from __future__ import annotations

import contextlib
import datetime as dt
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import shapely

from fossilgis.ogcapi import OGCAPI

TESTS = Path(__file__).resolve().parent

#: site GZ-F01 lies near (108.414, 26.081); the first patrol walks past it
PATROL_SPECS = [
    # (uuid, start, hours, track or None, waypoints [(lon, lat)], team, user, notes)
    (
        "11111111-1111-4111-8111-111111111111",
        "2024-05-01T01:00:00+00:00",
        3,
        [(108.410, 26.078), (108.4142, 26.0813), (108.418, 26.083)],
        [(108.4142, 26.0813)],
        ["王丽", "Zhang Wei"],
        "patroller1",
        "met the farmer Li at the gate",
    ),
    (
        "22222222-2222-4222-8222-222222222222",
        "2024-06-10T02:00:00+00:00",
        2,
        None,
        [(106.700, 26.580)],
        ["陈静"],
        "patroller1",
        "",
    ),
    (
        "33333333-3333-4333-8333-333333333333",
        "2025-01-05T03:00:00+00:00",
        1,
        None,
        [(105.400, 25.900), (105.401, 25.901)],
        ["Liu Yang"],
        "patroller2",
        "cold",
    ),
]
STAFF_PASSWORD = "correct horse battery"


def _patrol(spec):
    from fossilgis.patrols.model import Patrol, Waypoint

    pid, start, hours, track, points, team, _, notes = spec
    started = dt.datetime.fromisoformat(start)
    waypoints = [
        Waypoint(
            uuid=str(uuid.uuid5(uuid.UUID(pid), str(i))),
            lon=x,
            lat=y,
            observed_at=started + dt.timedelta(minutes=10 * (i + 1)),
        )
        for i, (x, y) in enumerate(points)
    ]
    return Patrol(
        uuid=pid,
        started_at=started,
        ended_at=started + dt.timedelta(hours=hours),
        team=team,
        purpose="routine",
        notes=notes,
        target_kind="site",
        target_id="GZ-F01",
        track=shapely.MultiLineString([track]) if track else None,
        waypoints=waypoints,
    )


@pytest.fixture(scope="module")
def ogc_store(new_store):
    """A store of each backend built from layers/ (36 sites, 19 sections) with the three
    PATROL_SPECS (``new_store`` comes from conftest.py)."""
    store = new_store()
    for spec in PATROL_SPECS:
        store.save_patrol(_patrol(spec), spec[6])
    return store


@pytest.fixture(scope="module")
def staff_token(ogc_store) -> str:
    """A live API token of a staff account (role viewer: reading is all the API does)."""
    from fossilgis.auth import create_user, issue_token

    create_user(ogc_store, "staff1", STAFF_PASSWORD, "viewer")
    return issue_token(ogc_store, "staff1", "tests")


@pytest.fixture(scope="module")
def api(ogc_store):
    """The framework-neutral API over the store, answering as http://testserver/ogcapi."""
    return OGCAPI(ogc_store, "http://testserver/ogcapi")


def make_app(store, **blueprint_options):
    """A bare Flask app serving only /ogcapi over ``store`` (the web map's app is not needed)."""
    from flask import Flask

    from webmap.views.ogcapi import make_blueprint

    app = Flask("ogcapi-tests")
    app.config["TESTING"] = True
    app.extensions["fossilgis_store"] = store
    app.register_blueprint(make_blueprint(**blueprint_options))
    return app


@pytest.fixture(scope="module")
def ogc_client(ogc_store):
    """Flask test client; staff is decided by the real bearer-token check."""
    return make_app(ogc_store).test_client()


_SERVE = """
import sys
sys.path.insert(0, sys.argv[2])
from waitress.server import create_server
if sys.argv[4] == "webmap":
    from webmap import create_app
    app = create_app({"DATA_DIR": sys.argv[1], "STORE": sys.argv[3] or None})
else:
    from fossilgis.store import open_store
    from ogcapi_fixtures import make_app
    app = make_app(open_store(sys.argv[1], store=sys.argv[3] or None))
server = create_server(app, host="127.0.0.1", port=0, threads=4)
print(server.effective_port, flush=True)
server.run()
"""


@contextlib.contextmanager
def live_server(store, app: str = "ogcapi"):
    """``http://127.0.0.1:PORT`` of a waitress server over ``store`` in a child process.

    ``app`` is "ogcapi" (only /ogcapi, :func:`make_app`) or "webmap" (the whole web map
    app: uploads at /api/patrols too). The process opens the store itself, as a second web
    process would. It runs apart from the test process because pyogrio holds the GIL while
    GDAL fetches pages, so a server thread in the test process could never answer it.
    """
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _SERVE,
            str(store.data_dir),
            str(TESTS),
            getattr(store, "url", ""),
            app,
        ],
        cwd=TESTS.parent,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(proc.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


@pytest.fixture(scope="module")
def live_url(ogc_store):
    """``http://127.0.0.1:PORT/ogcapi`` of a waitress server over the store, stopped afterwards."""
    with live_server(ogc_store) as root:
        yield f"{root}/ogcapi"
