"""The context layers on the web (/api/context.json, /api/context/<name>.geojson, the map
shells that draw them) and the site pages' and popups' values in the page language.

The office's layers here are synthetic: two counties named 测试县 and 样例县 written by the
test into the store's data directory, and a square "province" that replaces the shipped one.
"""

from __future__ import annotations

import json
import re

import pytest
import shapely
from webmap_fixtures import _app, add_users, signed_in

from fossilgis.context import ATTRIBUTION, office_context_path, read_context

SHIPPED = ["province", "rivers", "places"]  # drawing order, bottom first
#: the synthetic counties: 8-decimal corners, so rounding to 5 shows
COUNTIES = {
    "测试县": shapely.box(106.123456789, 26.123456789, 106.523456789, 26.523456789),
    "样例县": shapely.box(106.523456789, 26.123456789, 106.923456789, 26.523456789),
}


def write_office_layer(data_dir, name: str, names_geoms: dict, en: dict | None = None):
    """``<data_dir>/context/<name>.geojson`` with ``name_zh`` and ``name_en``, EPSG:4490."""
    import geopandas as gpd

    path = office_context_path(data_dir, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    en = en or {"测试县": "Ceshi County", "样例县": "Yangli County"}
    gpd.GeoDataFrame(
        {"name_zh": list(names_geoms), "name_en": [en.get(n, n) for n in names_geoms]},
        geometry=list(names_geoms.values()),
        crs="EPSG:4490",
    ).to_file(path, driver="GeoJSON")
    return path


@pytest.fixture
def data(template_copy):
    """A data directory of its own: the tests write the office's context files into it."""
    return template_copy("context-web")


@pytest.fixture
def visitor(data):
    return _app(data).test_client()


def decimals(coords) -> int:
    """The most decimals of any number in a nested coordinate list."""
    if isinstance(coords, list):
        return max((decimals(c) for c in coords), default=0)
    text = repr(coords)
    return len(text.split(".", 1)[1]) if "." in text else 0


def test_the_list_names_the_shipped_layers_labels_urls_and_attribution(visitor):
    r = visitor.get("/api/context.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert r.headers["Cache-Control"] == "public, max-age=60" and r.headers["ETag"]
    index = r.get_json()
    assert [layer["name"] for layer in index["layers"]] == SHIPPED
    assert index["attribution"] == ATTRIBUTION
    assert index["label"] == {"zh": "地理底图要素", "en": "Geographic context"}
    province = index["layers"][0]
    assert province["label_zh"] == "省界" and province["label_en"] == "Province outline"
    assert province["geometry"] == "polygon" and province["office"] is False
    assert re.fullmatch(r"/api/context/province\.geojson\?v=[0-9a-f]{16}", province["url"])
    again = visitor.get("/api/context.json", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("name", SHIPPED)
def test_each_shipped_layer_is_geojson_rounded_and_cached_by_its_file(visitor, name):
    r = visitor.get(f"/api/context/{name}.geojson")
    assert r.status_code == 200 and r.mimetype == "application/geo+json"
    assert r.headers["Cache-Control"] == "public, max-age=3600"
    body = r.get_json()
    features = body["features"]
    assert len(features) == len(read_context(name)) > 0
    assert all(f["properties"]["name_zh"] and f["properties"]["name_en"] for f in features)
    assert 0 < decimals([f["geometry"]["coordinates"] for f in features]) <= 5
    # only the listed properties leave the server
    allowed = {"id", "name_zh", "name_en", "name_alt", "rank", "min_zoom", "label"}
    assert set().union(*(f["properties"] for f in features)) <= allowed
    etag = r.headers["ETag"]
    listed = {x["name"]: x["url"] for x in visitor.get("/api/context.json").get_json()["layers"]}
    assert listed[name].endswith("?v=" + etag.strip('"'))
    assert visitor.get(listed[name], headers={"If-None-Match": etag}).status_code == 304


def test_a_polygon_carries_a_point_inside_it_for_its_name(visitor):
    province = visitor.get("/api/context/province.geojson").get_json()["features"][0]
    x, y = province["properties"]["label"]
    assert shapely.geometry.shape(province["geometry"]).contains(shapely.Point(x, y))
    assert province["properties"]["name_zh"] == "贵州省"


def test_the_offices_counties_are_served_from_the_data_dir(data, visitor):
    assert visitor.get("/api/context/counties.geojson").status_code == 404
    write_office_layer(data, "counties", COUNTIES)
    index = visitor.get("/api/context.json").get_json()
    assert [layer["name"] for layer in index["layers"]] == [
        "province",
        "counties",
        "rivers",
        "places",
    ]
    counties = next(layer for layer in index["layers"] if layer["name"] == "counties")
    assert counties["office"] is True and counties["label_zh"] == "县（市、区）界"
    r = visitor.get(counties["url"])
    assert r.status_code == 200
    features = r.get_json()["features"]
    assert [f["properties"]["name_zh"] for f in features] == ["测试县", "样例县"]
    assert features[0]["properties"]["name_en"] == "Ceshi County"
    assert decimals([f["geometry"]["coordinates"] for f in features]) == 5
    assert [106.12346, 26.12346] in features[0]["geometry"]["coordinates"][0]
    for f in features:
        x, y = f["properties"]["label"]
        assert COUNTIES[f["properties"]["name_zh"]].contains(shapely.Point(x, y))

    # a new file is a new version: a new ETag and a new URL in the list
    write_office_layer(data, "counties", {"测试县": COUNTIES["测试县"]})
    r2 = visitor.get("/api/context/counties.geojson")
    assert r2.headers["ETag"] != r.headers["ETag"]
    assert [f["properties"]["name_zh"] for f in r2.get_json()["features"]] == ["测试县"]
    index2 = visitor.get("/api/context.json").get_json()
    assert counties["url"] not in [layer["url"] for layer in index2["layers"]]


def test_the_offices_file_wins_over_the_shipped_one(data, visitor):
    shipped = visitor.get("/api/context/province.geojson")
    write_office_layer(
        data, "province", {"测试省": shapely.box(106, 26, 107, 27)}, {"测试省": "Test province"}
    )
    r = visitor.get("/api/context/province.geojson")
    assert r.headers["ETag"] != shipped.headers["ETag"]
    (feature,) = r.get_json()["features"]
    assert feature["properties"]["name_zh"] == "测试省"
    index = visitor.get("/api/context.json").get_json()
    assert index["layers"][0]["name"] == "province" and index["layers"][0]["office"] is True


@pytest.mark.parametrize(
    "path, zh, en",
    [
        ("/api/context/nope.geojson", "未知底图要素图层 'nope'", "Unknown context layer 'nope'"),
        ("/api/context/roads.geojson", "此处没有底图要素图层 roads", "context layer roads is not"),
        ("/api/context/%3Cb%3E.geojson", "未知底图要素图层", "Unknown context layer '<b>'"),
    ],
)
def test_unknown_and_absent_layers_are_404_in_both_languages(visitor, path, zh, en):
    r = visitor.get(path + "?lang=en")
    assert r.status_code == 404 and r.mimetype == "application/json"
    body = r.get_json()
    assert body["code"] == "not_found"
    assert zh in body["description"] and en in body["description"]


def test_signed_in_users_get_the_same_public_geography(data):
    from fossilgis.store import open_store

    store = open_store(data)
    add_users(store)
    store.close()
    app = _app(data)
    staff = signed_in(app, "viewer1")
    visitor = app.test_client()
    for path in ("/api/context.json", "/api/context/rivers.geojson"):
        mine, theirs = staff.get(path), visitor.get(path)
        assert mine.get_data() == theirs.get_data()
        assert mine.headers["Cache-Control"].startswith("public")


@pytest.mark.parametrize("path", ["/", "/sites/GZ-F01", "/check"])
def test_every_map_shell_adds_the_context_overlay(visitor, path):
    for lang, label in (("zh", "地理底图要素"), ("en", "Geographic context")):
        html = visitor.get(f"{path}?lang={lang}").get_data(as_text=True)
        assert "/static/js/fossilgis-context.js" in html
        call = re.search(r"FossilGISContext\.add\(map_[0-9a-f]+, (\{.*?\})\);", html)
        options = json.loads(call.group(1))
        assert options["url"] == "/api/context.json" and options["lang"] == lang
        assert options["label"] == {lang: label}
        assert options["attribution"] == {lang: ATTRIBUTION[lang]}
        # the main map lists the overlay in its own layer control, the others get one
        assert options["control"] is (path != "/")


def test_site_page_shows_age_and_formation_in_the_page_language(visitor):
    zh = visitor.get("/sites/GZ-F01?lang=zh").get_data(as_text=True)
    assert "寒武纪第二世—苗岭世" in zh and "凯里组" in zh
    assert "Cambrian Series 2-Miaolingian" not in zh
    en = visitor.get("/sites/GZ-F01?lang=en").get_data(as_text=True)
    assert "Cambrian Series 2-Miaolingian" in en and "Kaili Fm" in en
    assert "寒武纪第二世—苗岭世" not in en and "凯里组" not in en


@pytest.mark.parametrize(
    "path",
    ["/api/layers/sites.geojson", "/api/layers/sites/GZ-F01.geojson"],
)
def test_popup_data_in_the_page_language(visitor, path):
    def f01(lang):
        r = visitor.get(f"{path}?lang={lang}")
        assert r.status_code == 200 and "Accept-Language" in r.headers["Vary"]
        props = next(
            f["properties"] for f in r.get_json()["features"] if f["properties"]["id"] == "GZ-F01"
        )
        return props, r.headers["ETag"]

    (zh, zh_tag), (en, en_tag) = f01("zh"), f01("en")
    assert zh["age"] == "寒武纪第二世—苗岭世" and zh["formation"] == "凯里组"
    assert en["age"] == "Cambrian Series 2-Miaolingian" and en["formation"] == "Kaili Fm"
    assert zh["name_zh"] == en["name_zh"] and zh_tag != en_tag
    assert f01("zh")[0] == zh  # the kept Chinese copy is the same
    # the language of Accept-Language alone also counts (a new client: no language cookie)
    r = visitor.application.test_client().get(path, headers={"Accept-Language": "zh-CN"})
    assert "凯里组" in r.get_data(as_text=True)
