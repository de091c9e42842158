"""Flask test-client tests of the map, target, layer and search routes and their errors."""

from __future__ import annotations

import json

import pytest
from webmap_fixtures import XSS_ID, XSS_NAME, urls_in

PAGES = ["/", "/?lang=zh", "/?lang=en", "/sites/GZ-F01", "/sections/GZ-S01", "/check"]


def test_map_page_is_small_and_has_no_inline_layers(client):
    r = client.get("/")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert len(r.data) < 20_000
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert "/api/layers/sites.geojson" in html
    assert '"coordinates"' not in html  # layers are fetched, never inlined
    assert 'id="demo-banner"' in html
    assert "L.control.scale({imperial: false})" in html  # metres only


@pytest.mark.parametrize("path", PAGES)
def test_pages_load_nothing_from_the_internet(client, path):
    r = client.get(path)
    assert r.status_code == 200, path
    assert urls_in(r.get_data(as_text=True)) == set()


@pytest.mark.parametrize(
    "basemap,expected",
    [
        ("osm", {"https://tile.openstreetmap.org/{z}/{x}/{y}.png"}),
        ("tianditu", None),
    ],
)
def test_only_the_configured_tile_template_appears(webmap_data, basemap, expected):
    from webmap import create_app

    app = create_app({"DATA_DIR": str(webmap_data), "BASEMAP": basemap, "TIANDITU_KEY": "testkey"})
    allowed = {layer["url"] for layer in app.config["TILE_LAYERS"]}
    if expected:
        assert allowed == expected
    else:
        assert all("tianditu.gov.cn" in u and "tk=testkey" in u for u in allowed)
        assert any("LAYER=vec" in u for u in allowed) and any("LAYER=cva" in u for u in allowed)
    client = app.test_client()
    for path in PAGES:
        html = client.get(path).get_data(as_text=True)
        found = {u.replace("&amp;", "&").replace("\\u0026", "&") for u in urls_in(html)}
        assert found <= allowed, (path, found - allowed)
        if path == "/":
            assert found == allowed
        assert "autonavi" not in html and "gaode" not in html.lower()


def test_bad_basemap_and_missing_key_fail_at_start(webmap_data):
    from fossilgis.errors import FossilGISError
    from webmap import create_app

    with pytest.raises(FossilGISError, match="BASEMAP 'gaode' is unknown"):
        create_app({"DATA_DIR": str(webmap_data), "BASEMAP": "gaode"})
    with pytest.raises(FossilGISError, match="no key is set"):
        create_app({"DATA_DIR": str(webmap_data), "BASEMAP": "tianditu", "TIANDITU_KEY": None})


def test_config_from_environment(webmap_data, monkeypatch):
    from webmap import create_app

    monkeypatch.setenv("FOSSILGIS_BASEMAP", "osm")
    monkeypatch.setenv("FOSSILGIS_MAX_UPLOAD_MB", "2")
    app = create_app({"DATA_DIR": str(webmap_data)})
    assert app.config["BASEMAP"] == "osm"
    assert app.config["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024
    assert app.config["STORE_DESC"].startswith("GeoPackage")


def test_static_vendor_assets_are_served(client):
    for path in [
        "/static/vendor/leaflet/leaflet.js",
        "/static/vendor/leaflet/leaflet.css",
        "/static/vendor/leaflet/images/layers.png",
        "/static/vendor/leaflet-draw/leaflet.draw.js",
        "/static/vendor/leaflet-measure/leaflet-measure.en.js",
        "/static/vendor/leaflet.fullscreen/Control.FullScreen.js",
        "/static/js/fossilgis-map.js",
        "/static/css/fossilgis.css",
    ]:
        r = client.get(path)
        assert r.status_code == 200, path
        r.close()


def test_sites_geojson_is_generalised_for_visitors(client, staff_client):
    public = client.get("/api/layers/sites.geojson")
    staff = staff_client.get("/api/layers/sites.geojson")
    assert public.status_code == staff.status_code == 200
    assert public.mimetype == "application/geo+json"
    pub, prec = public.get_json(), staff.get_json()
    assert len(pub["features"]) == len(prec["features"]) == 36
    f = pub["features"][0]
    assert f["properties"]["generalised"] is True
    assert "extra" not in f["properties"] and "lon" not in f["properties"]
    # every public vertex lies on the 0.01° grid
    ring = f["geometry"]["coordinates"][0]
    assert all(abs(v * 100 - round(v * 100)) < 1e-6 for xy in ring for v in xy)
    assert "generalised" not in prec["features"][0]["properties"]
    precise_ring = prec["features"][0]["geometry"]["coordinates"][0]
    assert len(precise_ring) > len(ring)
    assert all(len(str(v).split(".")[-1]) <= 6 for xy in precise_ring for v in xy)
    assert public.headers["ETag"] != staff.headers["ETag"]


def test_layer_etag_and_cache_headers(client):
    r = client.get("/api/layers/sections.geojson")
    assert r.headers["Cache-Control"].startswith("private, max-age=")
    again = client.get("/api/layers/sections.geojson", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304


def test_layer_bbox(client):
    full = client.get("/api/layers/sites.geojson").get_json()["features"]
    part = client.get("/api/layers/sites.geojson?bbox=108,25.5,109,26.5").get_json()["features"]
    assert 0 < len(part) < len(full)
    assert "GZ-F01" in {f["id"] for f in part}


def test_zones_layer(client, staff_client):
    zones = client.get("/api/layers/zones.geojson").get_json()["features"]
    assert {f["properties"]["zone"] for f in zones} == {"control", "attention"}
    assert {f["properties"]["target_kind"] for f in zones} == {"site", "section"}
    assert staff_client.get("/api/layers/zones.geojson").status_code == 200


@pytest.mark.parametrize("bbox", ["1,2", "a,b,c,d", "10,10,5,5", "0,0,200,10", "nan,1,2,3"])
def test_bad_bbox_is_400_json(client, bbox):
    r = client.get(f"/api/layers/sites.geojson?bbox={bbox}")
    assert r.status_code == 400
    body = r.get_json()
    assert body["code"] == "bad_request" and "bbox" in body["description"]


def test_unknown_layer_and_feature_are_404_json(client):
    r = client.get("/api/layers/patrolz.geojson")
    assert r.status_code == 404 and r.get_json()["code"] == "not_found"
    r = client.get("/api/layers/sites/NOPE.geojson")
    assert r.status_code == 404 and "NOPE" in r.get_json()["description"]
    r = client.get("/api/nothing-here")
    assert r.status_code == 404 and r.get_json() == {
        "code": "not_found",
        "description": "No such page or target.",
    }


def test_feature_exports(client, staff_client):
    r = client.get("/api/layers/sites/GZ-F01.geojson")
    assert r.status_code == 200 and r.get_json()["features"][0]["id"] == "GZ-F01"
    r = client.get("/api/layers/sections/GZ-S01.kml")
    assert r.status_code == 200
    assert r.mimetype == "application/vnd.google-earth.kml+xml"
    assert b"<kml" in r.data and b"GZ-S01" in r.data
    assert client.get("/api/layers/sites/NOPE.kml").status_code == 404


def test_target_pages(client, staff_client):
    html = client.get("/sites/GZ-F01").get_data(as_text=True)
    assert "凯里生物群" in html and "Kaili biota" in html
    assert "/api/layers/sites/GZ-F01.kml" in html and "/api/layers/sites/GZ-F01.geojson" in html
    assert "generalised extents" in html
    assert "generalised extents" not in staff_client.get("/sites/GZ-F01").get_data(as_text=True)
    assert client.get("/sections/GZ-S01").status_code == 200


def test_unknown_target_page_is_404_html(client):
    r = client.get("/sites/NOPE")
    assert r.status_code == 404 and r.mimetype == "text/html"
    assert "There is no fossil sites with id NOPE" in r.get_data(as_text=True)
    r = client.get("/sites/NOPE?lang=zh")
    assert "没有编号为 NOPE 的化石产地" in r.get_data(as_text=True)


def test_not_found_and_method_not_allowed_pages(client):
    r = client.get("/no/such/page")
    assert r.status_code == 404 and "No such page" in r.get_data(as_text=True)
    r = client.delete("/")
    assert r.status_code == 405 and "does not accept" in r.get_data(as_text=True)
    r = client.get("/api/impact")
    assert r.status_code == 405 and r.get_json()["code"] == "method_not_allowed"


def test_search(client):
    r = client.get("/api/search?q=kaili")
    ids = [x["id"] for x in r.get_json()["results"]]
    assert "GZ-F01" in ids
    assert client.get("/api/search?q=GZ-S0").get_json()["results"][0]["kind"] == "sections"
    assert client.get("/api/search?q=").get_json()["results"] == []
    assert client.get("/api/search?q=凯里").get_json()["results"]


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_internal_error_is_a_page_without_traceback(app):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret detail")

    @app.get("/api/boom")
    def api_boom():
        raise RuntimeError("secret detail")

    c = app.test_client()
    r = c.get("/boom")
    assert r.status_code == 500
    assert "secret detail" not in r.get_data(as_text=True)
    assert "Traceback" not in r.get_data(as_text=True)
    r = c.get("/api/boom")
    assert r.status_code == 500 and r.get_json()["code"] == "internal"


def test_values_are_escaped_in_pages_and_json(xss_client):
    html = xss_client.get(f"/sites/{XSS_ID}").get_data(as_text=True)
    assert XSS_NAME not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html
    # the JSON for the map script is text for JSON.parse, not markup
    gj = xss_client.get("/api/layers/sites.geojson").get_json()
    assert XSS_NAME in {f["properties"]["name_zh"] for f in gj["features"]}
    results = xss_client.get("/api/search?q=script").get_json()["results"]
    assert results and results[0]["name_zh"] == XSS_NAME
    page = xss_client.get("/").get_data(as_text=True)
    assert "<script>alert" not in page
    assert json.loads(page.split('id="fossilgis-config">')[1].split("</script>")[0])
