"""The web path of a case on both stores: a zipped shapefile screened on /check, saved as a
case, decided with a released follow-up, found on /cases, drawn on its map, and followed by
the applicant on the status page."""

from __future__ import annotations

import re

import pytest
from webmap_fixtures import add_users, signed_in, zipped_shapefile


@pytest.fixture(scope="module")
def web(new_store):
    """(app, store, admin client) on a fresh store of each backend."""
    from conftest import store_url

    from webmap import create_app

    store = new_store()
    add_users(store)
    app = create_app({"DATA_DIR": str(store.data_dir), "STORE": store_url(store)})
    return app, store, signed_in(app, "admin1")


def test_a_case_from_upload_to_decision_on_either_store(web, tmp_path):
    app, store, admin = web
    with open(zipped_shapefile(tmp_path), "rb") as fh:
        r = admin.post(
            "/check",
            data={"project_type": "building", "footprint": (fh, "红线.zip")},
            content_type="multipart/form-data",
        )
    assert r.status_code == 303, r.get_data(as_text=True)
    result = r.headers["Location"]
    r = admin.post(result + "/case", data={"project_name": "剑河公路", "applicant_unit": "交通局"})
    assert r.status_code == 303 and "/cases/" in r.headers["Location"]
    number = r.headers["Location"].rsplit("/cases/", 1)[1]
    (kept,) = store.cases.files(number)
    assert kept["name"] == "红线.zip" and kept["role"] == "submitted"
    r = admin.post(
        f"/cases/{number}/decide",
        data={
            "status": "avoid_required",
            "text": "请调整线位",
            "fu_text": ["提交调整后的红线"],
            "fu_due": ["2027-03-31"],
            "release": "1",
        },
    )
    assert r.status_code == 303 and store.cases.get(number)["status"] == "avoid_required"
    html = admin.get("/cases?q=交通局").get_data(as_text=True)
    assert re.findall(r'data-number="([^"]+)"', html) == [number]
    fc = admin.get(f"/cases/{number}/map.geojson").get_json()
    roles = {f["properties"].get("role") for f in fc["features"]}
    assert {"footprint", "target"} <= roles and len(fc["features"]) >= 3
    assert admin.get(f"/cases/{number}/report.html").status_code == 200
    # the saved result no longer expires: the result link reads the case
    assert admin.get(result).status_code == 200
    history = [h["action"] for h in store.cases.history(number)]
    assert history == ["open", "decide"]
