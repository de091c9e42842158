"""Place search: Chinese names with and without suffix, pinyin/English folded, ids, ranking."""

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, box

from fossilgis.place_search import PlaceIndex, search_places

PLACES = [
    ("关岭布依族苗族自治县", "Guanling Buyei and Miao Autonomous County", "county",
     box(105.3, 25.7, 105.9, 26.2)),
    ("关岭镇", "Guanling Town", "town", Point(105.62, 25.94)),
    ("六盘水市", "Liupanshui", "prefecture", box(104.3, 25.3, 105.7, 26.9)),
    ("六枝特区", "Liuzhi Special District", "county", box(105.1, 25.9, 105.6, 26.5)),
    ("水城区", "Shuicheng District", "county", box(104.5, 26.0, 105.2, 26.8)),
    ("黔东南苗族侗族自治州", "Qiandongnan Miao and Dong Autonomous Prefecture", "prefecture",
     box(107.3, 25.3, 109.6, 27.5)),
    ("贵阳市", "Guiyang", "city", Point(106.63, 26.65)),
    ("西安市", "Xi'an", "city", Point(108.94, 34.34)),
    ("乌江", "Wu Jiang", "river", LineString([(105.0, 26.8), (106.5, 27.2), (107.8, 29.3)])),
    ("盘州市", "Pánzhōu", "county", box(104.3, 25.4, 104.9, 26.3)),
]  # fmt: skip


@pytest.fixture(scope="module")
def places():
    return gpd.GeoDataFrame(
        [{"name_zh": z, "name_en": e, "kind": k} for z, e, k, _ in PLACES],
        geometry=[g for *_, g in PLACES],
        crs="EPSG:4490",
    )


def names(results):
    return [r["name_zh"] for r in results]


@pytest.mark.parametrize(
    "query",
    ["关岭", "关岭县", "关岭布依族苗族自治县", " 关岭 ", "guanling", "GUANLING", "Guānlǐng",
     "Guan-ling", "guan ling", "Guanling Buyei and Miao Autonomous County", "guanling county"],
)  # fmt: skip
def test_finds_guanling_county_first(places, query):
    results = search_places(query, places)
    assert results[0]["name_zh"] == "关岭布依族苗族自治县", results
    assert results[0]["match"] == "exact"


def test_full_name_outranks_short_form_and_prefix(places):
    results = search_places("关岭", places)
    assert names(results) == ["关岭布依族苗族自治县", "关岭镇"]
    assert [r["match"] for r in results] == ["exact", "exact"]
    assert names(search_places("关岭镇", places)) == ["关岭镇"]
    assert names(search_places("Guanling Town", places)) == ["关岭镇"]
    # a suffix in the query must fit the place's: 县 fits 自治县, 镇 does not
    assert names(search_places("关岭县", places)) == ["关岭布依族苗族自治县"]
    assert names(search_places("guanling county", places)) == ["关岭布依族苗族自治县"]
    assert names(search_places("水城县", places)) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("liupanshui", "六盘水市"),
        ("Liu-Pan-Shui", "六盘水市"),
        ("六盘水", "六盘水市"),
        ("六枝", "六枝特区"),
        ("Liuzhi", "六枝特区"),
        ("水城", "水城区"),
        ("黔东南", "黔东南苗族侗族自治州"),
        ("黔东南州", "黔东南苗族侗族自治州"),
        ("qiandongnan", "黔东南苗族侗族自治州"),
        ("xian", "西安市"),
        ("Xi'an", "西安市"),
        ("panzhou", "盘州市"),
        ("Pánzhōu", "盘州市"),
        ("wujiang", "乌江"),
        ("贵阳", "贵阳市"),
    ],
)
def test_exact_on_short_forms(places, query, expected):
    results = search_places(query, places)
    assert results[0]["name_zh"] == expected and results[0]["match"] == "exact", results


def test_ranked_exact_then_prefix_then_substring(places):
    results = search_places("liu", places)
    assert names(results) == ["六盘水市", "六枝特区"]  # both prefixes: the larger first
    assert {r["match"] for r in results} == {"prefix"}
    results = search_places("shui", places)
    assert [(r["name_zh"], r["match"]) for r in results] == [
        ("水城区", "prefix"),
        ("六盘水市", "substring"),
    ]
    results = search_places("水", places)
    assert [(r["name_zh"], r["match"]) for r in results] == [
        ("水城区", "prefix"),
        ("六盘水市", "substring"),
    ]


def test_one_latin_letter_finds_prefixes_only(places):
    results = search_places("q", places)
    assert names(results) == ["黔东南苗族侗族自治州"]


def test_result_fields(places):
    (county,) = [r for r in search_places("关岭县", places) if r["kind"] == "county"]
    assert set(county) == {"name_zh", "name_en", "kind", "id", "lon", "lat", "bbox", "match"}
    assert county["bbox"] == pytest.approx([105.3, 25.7, 105.9, 26.2])
    assert box(*county["bbox"]).contains(Point(county["lon"], county["lat"]))
    assert county["id"] is None
    (city,) = search_places("guiyang", places)
    assert (city["lon"], city["lat"], city["bbox"]) == (106.63, 26.65, [106.63, 26.65] * 2)
    (river,) = search_places("乌江", places)
    assert LineString([(105.0, 26.8), (106.5, 27.2), (107.8, 29.3)]).distance(
        Point(river["lon"], river["lat"])
    ) == pytest.approx(0, abs=1e-9)


def test_limit_and_nothing_found(places):
    assert len(search_places("市", places, limit=2)) == 2
    assert search_places("昆明", places) == []
    assert search_places("", places) == []
    assert search_places("   ", places) == []
    assert search_places("-", places) == []


def test_ids_of_sites_and_sections():
    sites = gpd.GeoDataFrame(
        {
            "id": ["GZ-F01", "GZ-F10", "GZ-S01"],
            "name_zh": ["凯里生物群（八郎）", "关岭生物群", "甲劳剖面"],
            "name_en": ["Kaili biota, Balang village", "Guanling biota", "Jialao section"],
        },
        geometry=[Point(108.414, 26.081), Point(105.46, 25.95), Point(108.4, 26.1)],
        crs="EPSG:4490",
    )
    for query in ("GZ-F01", "gz-f01", "gzf01", "GZ F01"):
        (first, *_) = search_places(query, sites)
        assert (first["id"], first["match"], first["kind"]) == ("GZ-F01", "exact", "")
    assert [r["id"] for r in search_places("gz-f", sites)] == ["GZ-F01", "GZ-F10"]
    assert [r["id"] for r in search_places("关岭", sites)] == ["GZ-F10"]
    assert [r["id"] for r in search_places("kaili", sites)] == ["GZ-F01"]


def test_projected_frame_is_answered_in_degrees(places):
    projected = places.to_crs("EPSG:4545")
    (city,) = search_places("贵阳", projected)
    assert city["lon"] == pytest.approx(106.63, abs=1e-7)
    assert city["lat"] == pytest.approx(26.65, abs=1e-7)


def test_missing_values_and_empty_geometry_are_tolerated():
    frame = gpd.GeoDataFrame(
        {"name_zh": ["安顺市", None, "无位置"], "name_en": [None, "Anshun", "Nowhere"]},
        geometry=[Point(105.95, 26.25), Point(105.9, 26.2), None],
        crs="EPSG:4490",
    )
    assert [r["name_en"] for r in search_places("anshun", frame)] == ["Anshun"]
    assert [r["name_zh"] for r in search_places("安顺", frame)] == ["安顺市"]
    assert search_places("nowhere", frame) == []


def test_an_index_answers_many_queries(places):
    index = PlaceIndex(places)
    assert len(index) == len(PLACES)
    assert search_places("关岭", index) == search_places("关岭", places)
    assert index.search("guiyang", limit=1)[0]["name_zh"] == "贵阳市"
