"""The map's search API (/api/search): typed coordinates in each form, sites and sections,
places of the context layers (the shipped cities, an office's counties), the message for a
text that looks like a coordinate but is not one, and the visitors' generalisation."""

from __future__ import annotations

import json
import os

import pytest
import shapely
from webmap_fixtures import _app

from fossilgis.context import office_context_path

#: the synthetic county an office adds (test only: no such county exists)
CESHI = {"name_zh": "测试县", "name_en": "Ceshi County"}
CESHI_BOX = (106.10, 26.20, 106.40, 26.45)


def write_counties(data_dir, features=((CESHI, CESHI_BOX),)) -> None:
    """An office counties layer at ``<data_dir>/context/counties.geojson``."""
    path = office_context_path(data_dir, "counties")
    path.parent.mkdir(parents=True, exist_ok=True)
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": props,
                "geometry": shapely.geometry.mapping(shapely.box(*box)),
            }
            for props, box in features
        ],
    }
    path.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")


@pytest.fixture(scope="module")
def search_data(template_copy):
    """A GeoPackage data directory (the app reads the office's context files from it)."""
    from webmap_fixtures import add_users

    data = template_copy("webmap-search", add_users)
    write_counties(data)
    return data


@pytest.fixture
def visitor(search_data):
    return _app(search_data).test_client()


def ask(client, q: str, lang: str = "en") -> dict:
    r = client.get("/api/search", query_string={"q": q, "lang": lang})
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def coordinates(answer: dict) -> list[dict]:
    return [r for r in answer["results"] if r["kind"] == "coordinate"]


@pytest.mark.parametrize(
    ("text", "lon", "lat", "form"),
    [
        ("106.7, 26.6", 106.7, 26.6, "decimal"),
        ("26.6, 106.7", 106.7, 26.6, "decimal"),
        ("26°35'N 106°42'E", 106.7, 26 + 35 / 60, "dms"),
        ("北纬26°35′ 东经106°42′", 106.7, 26 + 35 / 60, "dms"),
        ("E106.7 N26.6", 106.7, 26.6, "hemisphere"),
        ("X=2943211 Y=35612345", 106.12782, 26.59464, "gauss_kruger"),
    ],
)
def test_each_coordinate_form_returns_its_point(visitor, text, lon, lat, form):
    answer = ask(visitor, text)
    found = coordinates(answer)
    assert len(found) == 1 and answer["ambiguous"] is False, answer
    r = answer["results"][0]  # coordinates come first
    assert r["kind"] == "coordinate" and r["form"] == form
    assert r["lon"] == pytest.approx(lon, abs=1e-5) and r["lat"] == pytest.approx(lat, abs=1e-5)
    assert r["bbox"] == [r["lon"], r["lat"], r["lon"], r["lat"]]
    assert r["inside_guizhou"] is True and answer["message"] is None
    assert r["label"] == r["name_en"] and "lon" in r["label"]


def test_the_label_is_in_the_page_language(visitor):
    r = ask(visitor, "26°35'N 106°42'E", lang="zh")["results"][0]
    assert r["label"] == r["name_zh"] and "北纬 26°35′" in r["label"]
    assert r["name_en"].startswith("106°42′E, 26°35′N")


def test_a_six_digit_easting_is_ambiguous_and_every_reading_is_returned(visitor):
    answer = ask(visitor, "X=2943211 Y=612345")
    found = coordinates(answer)
    assert answer["ambiguous"] is True and len(found) == 2
    assert [r["crs"] for r in found] == ["EPSG:4544", "EPSG:4545"]
    assert found[0]["lon"] == pytest.approx(106.12782, abs=1e-5)
    assert found[1]["lon"] == pytest.approx(109.12782, abs=1e-5)
    assert all(r["lat"] == pytest.approx(26.59464, abs=1e-5) for r in found)
    assert "zone 35" in found[0]["label"] and "zone 36" in found[1]["label"]


@pytest.mark.parametrize("query", ["测试", "测试县", "ceshi", "CESHI", "Ceshi County"])
def test_an_office_county_is_found_by_chinese_pinyin_and_english(visitor, query):
    answer = ask(visitor, query)
    places = [r for r in answer["results"] if r["kind"] == "place"]
    assert places and places[0]["name_zh"] == "测试县", answer
    county = places[0]
    assert county["layer"] == "counties" and county["name_en"] == "Ceshi County"
    assert county["bbox"] == list(CESHI_BOX)
    minx, miny, maxx, maxy = CESHI_BOX
    assert minx < county["lon"] < maxx and miny < county["lat"] < maxy
    assert county["label"] == "Ceshi County"
    assert ask(visitor, query, lang="zh")["results"][-1]["label"] == "测试县"


def test_shipped_cities_are_found_and_source_ids_are_not_searched(visitor):
    answer = ask(visitor, "Zunyi")
    city = [r for r in answer["results"] if r["kind"] == "place"][0]
    assert city["name_zh"] == "遵义" and city["layer"] == "places"
    assert ask(visitor, "遵义")["results"][-1]["name_en"] == "Zunyi"
    # geonames:…, CN-GZ are the sources' ids, not names people type
    assert not [r for r in ask(visitor, "geonames")["results"] if r["kind"] == "place"]


def test_the_place_index_follows_the_context_files(tmp_path, template_copy):
    data = template_copy("webmap-search-mtime")
    client = _app(data).test_client()
    assert not [r for r in ask(client, "测试")["results"] if r["kind"] == "place"]
    write_counties(data)
    assert ask(client, "测试")["results"][-1]["name_zh"] == "测试县"
    write_counties(data, (({"name_zh": "样例县", "name_en": "Yangli"}, CESHI_BOX),))
    path = office_context_path(data, "counties")
    os.utime(path, ns=(path.stat().st_mtime_ns + 10**9,) * 2)  # a later mtime, surely
    assert not [r for r in ask(client, "测试")["results"] if r["kind"] == "place"]
    assert ask(client, "yangli")["results"][-1]["name_zh"] == "样例县"
    path.write_text("not geojson", encoding="utf-8")  # a broken office file: left out
    assert ask(client, "Zunyi")["results"][-1]["name_zh"] == "遵义"


def test_one_index_per_process_until_a_file_changes(visitor):
    from flask import current_app

    ask(visitor, "ceshi")
    with visitor.application.app_context():
        index = current_app.extensions["fossilgis_place_search"].index()
    ask(visitor, "zunyi")
    with visitor.application.app_context():
        assert current_app.extensions["fossilgis_place_search"].index() is index


def test_a_site_by_id_and_name_as_before(visitor):
    answer = ask(visitor, "GZ-F01")
    assert answer["results"][0]["kind"] == "sites" and answer["results"][0]["id"] == "GZ-F01"
    assert {"id", "name_zh", "name_en", "bbox"} <= set(answer["results"][0])
    assert not coordinates(answer) and answer["message"] is None
    kaili = ask(visitor, "Kaili")["results"]
    assert "GZ-F01" in [r.get("id") for r in kaili]


def test_visitors_get_the_generalised_box_staff_the_precise_one(search_data):
    from webmap_fixtures import signed_in

    from fossilgis.store import open_store

    store = open_store(search_data)
    precise = [
        round(v, 5) for v in store.read_layer("sites").set_index("id").geometry["GZ-F01"].bounds
    ]
    store.close()
    app = _app(search_data)
    public = ask(app.test_client(), "GZ-F01")["results"][0]["bbox"]
    staff = ask(signed_in(app, "viewer1"), "GZ-F01")["results"][0]["bbox"]
    assert staff == precise
    assert public != precise
    # a visitor's box is made of the ~1 km grid cells (0.01°) around the site
    assert all(abs(v * 100 - round(v * 100)) < 1e-6 for v in public), public
    assert public[0] <= precise[0] and public[2] >= precise[2]


@pytest.mark.parametrize(
    ("text", "zh", "en"),
    [
        ("26°75'N 106°42'E", "分不能 ≥ 60", "minutes must be below 60"),
        ("26.6, 26.7, 26.8", "需要两个数值", "a coordinate needs two numbers"),
        ("91.5, 95.2", "不能组成经纬度", "cannot be a longitude/latitude pair"),
    ],
)
def test_a_bad_coordinate_gets_the_reason(visitor, text, zh, en):
    answer = ask(visitor, text)
    assert answer["results"] == [] and answer["ambiguous"] is False
    assert zh in answer["message"] and en in answer["message"], answer["message"]


def test_nothing_found_without_a_reason_and_empty_queries(visitor):
    answer = ask(visitor, "no such place anywhere")
    assert answer["results"] == [] and answer["message"] is None
    empty = {"query": "   ", "results": [], "ambiguous": False, "message": None}
    assert ask(visitor, "   ") == empty
    long = ask(visitor, "x" * 500)
    assert long["query"] == "x" * 100


def test_the_map_page_loads_the_search_script_and_its_strings(visitor):
    html = visitor.get("/?lang=zh").get_data(as_text=True)
    assert "/static/js/fossilgis-search.js?v=" in html
    assert html.index("fossilgis-search.js") < html.index("FossilGIS.start(")
    config = json.loads(html.split('id="fossilgis-config">', 1)[1].split("</script>", 1)[0])
    assert config["strings"]["search_which"] == "您指的是哪一个？"
    assert config["strings"]["place:counties"]
    r = visitor.get("/static/js/fossilgis-search.js")
    assert r.status_code == 200 and b"innerHTML" not in r.data
    r.close()
