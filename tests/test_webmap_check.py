"""/check and POST /api/impact: uploads, drawn shapes, results, and every bad input as 4xx."""

from __future__ import annotations

import io
import json
import re

import pytest
from webmap_fixtures import drawn_geojson, login, signed_in, urls_in, zipped_shapefile


@pytest.fixture
def client(app):
    """Screening needs a sign-in: a viewer account (reviewers have those)."""
    return signed_in(app, "viewer1")


@pytest.fixture
def visitor(app):
    return app.test_client()


def _upload(client, path, name=None, **fields):
    data = {
        "footprint": (open(path, "rb"), name or path.name),
        "project_type": "building",
        **fields,
    }
    return client.post("/check", data=data, content_type="multipart/form-data")


def test_zipped_shapefile_gives_a_graded_result(client, tmp_path):
    r = _upload(client, zipped_shapefile(tmp_path), name="项目 范围(1).zip")
    assert r.status_code == 303
    result_url = r.headers["Location"]
    page = client.get(result_url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert re.search(r'id="grade"[^>]*data-grade="avoid"', html)
    assert "GZ-F01" in html and "Must avoid" in html
    assert "项目 范围(1).zip" in html  # the Chinese name stays readable, no temp path
    assert "/tmp/" not in html and urls_in(html) == set()
    data = client.get(result_url + ".json").get_json()
    assert data["projects"][0]["grade"] == "avoid"
    report = client.get(result_url + "/report.html")
    assert report.status_code == 200 and report.mimetype == "text/html"
    # an SVG namespace is an identifier, never fetched
    assert urls_in(report.get_data(as_text=True)) <= {"http://www.w3.org/2000/svg"}
    gj = client.get(result_url + "/result.geojson").get_json()
    roles = [f["properties"]["role"] for f in gj["features"]]
    assert "footprint" in roles and "target" in roles


def test_result_shows_generalised_targets_to_visitors(client, visitor, tmp_path):
    r = client.post("/check", data={"drawn": json.dumps(drawn_geojson())})
    url = r.headers["Location"]
    target = [
        f
        for f in visitor.get(url + "/result.geojson").get_json()["features"]
        if f["properties"]["role"] == "target"
    ][0]
    ring = target["geometry"]["coordinates"][0]
    assert all(abs(v * 100 - round(v * 100)) < 1e-6 for xy in ring for v in xy)


def test_drawn_polygon_on_check(client):
    r = client.post(
        "/check?lang=zh",
        data={"drawn": json.dumps(drawn_geojson()), "project_type": "linear", "line_width_m": "20"},
    )
    assert r.status_code == 303
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "须避让" in html


def test_far_footprint_is_graded_none(client):
    r = client.post("/check", data={"drawn": json.dumps(drawn_geojson(104.0, 26.0))})
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'data-grade="none"' in html and "No site or section" in html


BAD_UPLOADS = [
    ("empty.zip", b"", 422),
    ("broken.zip", b"PK\x03\x04 not really a zip", 422),
    ("road.dwg", b"AC1032 binary drawing", 422),
    ("notes.txt", "随便写的文字".encode(), 422),
    ("bad.geojson", b"{not json", 422),
]


@pytest.mark.parametrize("name,content,status", BAD_UPLOADS)
def test_bad_upload_gets_the_form_with_the_problem(client, name, content, status):
    r = client.post(
        "/check",
        data={"footprint": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )
    assert r.status_code == status, r.get_data(as_text=True)[:500]
    html = r.get_data(as_text=True)
    assert 'class="error"' in html and 'id="check-form"' in html
    assert "Traceback" not in html


@pytest.mark.parametrize(
    "data,status,needle",
    [
        ({}, 400, "Choose a footprint file or draw"),
        ({"drawn": "{oops"}, 400, "cannot be parsed"),
        ({"drawn": json.dumps({"type": "Topology"})}, 400, "'Topology'"),
        ({"drawn": json.dumps({"type": "FeatureCollection", "features": []})}, 400, "no features"),
        ({"drawn": json.dumps(drawn_geojson()), "line_width_m": "-3"}, 400, "positive number"),
        ({"drawn": json.dumps(drawn_geojson()), "point_radius_m": "abc"}, 400, "positive number"),
        ({"drawn": json.dumps(drawn_geojson()), "project_type": "rocket"}, 400, "rocket"),
        ({"drawn": json.dumps(drawn_geojson(80.0, 40.0))}, 422, ""),
    ],
)
def test_bad_check_inputs_are_4xx_pages(client, data, status, needle):
    r = client.post("/check", data=data)
    assert r.status_code == status
    html = r.get_data(as_text=True)
    assert 'class="error"' in html and needle in html.replace("&#39;", "'")


def test_both_file_and_drawing_is_refused(client, tmp_path):
    path = zipped_shapefile(tmp_path)
    r = client.post(
        "/check",
        data={"footprint": (open(path, "rb"), "a.zip"), "drawn": json.dumps(drawn_geojson())},
        content_type="multipart/form-data",
    )
    assert r.status_code == 400 and "one input only" in r.get_data(as_text=True)


def test_too_large_upload_is_413(webmap_data):
    from webmap import create_app

    client = create_app({"DATA_DIR": str(webmap_data), "MAX_CONTENT_LENGTH": 1000}).test_client()
    assert login(client, "viewer1").status_code == 303
    big = {"footprint": (io.BytesIO(b"x" * 5000), "big.zip")}
    r = client.post("/check", data=big, content_type="multipart/form-data")
    assert r.status_code == 413 and "too large" in r.get_data(as_text=True)
    r = client.post(
        "/api/impact",
        data={"file": (io.BytesIO(b"x" * 5000), "big.zip")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 413 and r.get_json()["code"] == "too_large"


def test_unknown_or_expired_result_is_404(client):
    assert client.get("/check/nonexistent").status_code == 404
    r = client.get("/check/nonexistent.json")
    assert r.status_code == 404 and r.get_json()["code"] == "not_found"
    assert client.get("/check/nonexistent/report.html").status_code == 404


def test_api_impact_multipart(client, tmp_path):
    path = zipped_shapefile(tmp_path)
    r = client.post(
        "/api/impact",
        data={"file": (open(path, "rb"), "site.zip"), "project_type": "mining"},
        content_type="multipart/form-data",
    )
    assert r.status_code == 200
    body = r.get_json()
    assert body["options"]["project_type"] == "mining"
    assert body["projects"][0]["grade"] == "avoid"
    assert body["projects"][0]["impacts"][0]["target_id"] == "GZ-F01"


def test_api_impact_geojson_body(client):
    r = client.post(
        "/api/impact?project_type=linear&line_width_m=30",
        data=json.dumps(drawn_geojson()),
        content_type="application/geo+json",
    )
    assert r.status_code == 200
    assert r.get_json()["options"]["line_width_m"] == 30.0


@pytest.mark.parametrize(
    "kwargs,status,code",
    [
        ({"data": b"", "content_type": "application/json"}, 400, "bad_request"),
        ({"data": b"{nope", "content_type": "application/json"}, 400, "bad_request"),
        ({"data": b"x", "content_type": "text/plain"}, 415, "unsupported_media_type"),
        ({"data": {}, "content_type": "multipart/form-data"}, 400, "bad_request"),
        (
            {
                "data": {"file": (io.BytesIO(b"junk"), "x.zip")},
                "content_type": "multipart/form-data",
            },
            422,
            None,
        ),
        (
            {"data": json.dumps(drawn_geojson(80.0, 40.0)), "content_type": "application/json"},
            422,
            None,
        ),
    ],
)
def test_api_impact_errors_are_json(client, kwargs, status, code):
    r = client.post("/api/impact", **kwargs)
    assert r.status_code == status
    body = r.get_json()
    assert set(body) == {"code", "description"} and body["description"]
    if code:
        assert body["code"] == code


def test_api_impact_bad_option_is_400(client):
    r = client.post("/api/impact?project_type=rocket", json=drawn_geojson())
    assert r.status_code == 400 and "rocket" in r.get_json()["description"]


def test_safe_name_keeps_chinese_and_drops_paths():
    from webmap.screen import safe_name

    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\项目\\红线 图.dxf") == "红线 图.dxf"
    assert safe_name("...") == "upload"
    assert safe_name(".hidden.shp") == "hidden.shp"
    assert safe_name("a<b>|c.zip") == "abc.zip"
    assert len(safe_name("长" * 500 + ".zip")) <= 120 and safe_name("长" * 500 + ".zip").endswith(
        ".zip"
    )
