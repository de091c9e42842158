"""The fossil potential on the web: /api/potential.geojson and its legend, and the potential
block of the /check result, the case page and the applicant's status page.

Nothing here is geology: the map is tests/potential_fixtures.py's synthetic squares (SYN5,
SYN1, SYN3 and the unknown XQ, here twice as wide and with a name in markup) far from every
site, plus a far SYN5 square; the table is the shipped one's classes and actions with the
synthetic units only (``FOSSILGIS_POTENTIAL``).
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
import shapely
from potential_fixtures import ORIGIN, synthetic_map, synthetic_table
from webmap_fixtures import _app, add_users, drawn_geojson, signed_in

D = 0.02  # the side of a synthetic square, degrees
X0, Y0 = ORIGIN
#: the squares (minx, miny, maxx, maxy) of the class-5 unit and the (larger) unknown one
SQUARE_5 = (X0, Y0, X0 + D, Y0 + D)
SQUARE_U = (X0, Y0 + D, X0 + 2 * D, Y0 + 2 * D)
FAR_5 = (107.50, 27.50, 107.52, 27.52)
NEAR_BOX = f"{X0 - 0.01},{Y0 - 0.01},{X0 + 3 * D + 0.01},{Y0 + 2 * D + 0.01}"
FAR_BOX = "107.4,27.4,107.6,27.6"
UNKNOWN_CODE = "XQ"
UNKNOWN_EN = '<b>Test</b> "Unknown" Fm & <script>alert(1)</script>'


def centre(square) -> tuple[float, float]:
    return (square[0] + square[2]) / 2, (square[1] + square[3]) / 2


def use_synthetic_table(mp, directory):
    """Point ``FOSSILGIS_POTENTIAL`` (on the MonkeyPatch ``mp``) at the synthetic table."""
    from fossilgis.potential.table import POTENTIAL_FILE_ENV, load_potential_table

    mp.setenv(POTENTIAL_FILE_ENV, str(synthetic_table(directory)))
    return load_potential_table()


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """The synthetic potential table, in use for this module."""
    with pytest.MonkeyPatch.context() as mp:
        yield use_synthetic_table(mp, tmp_path_factory.mktemp("potential"))


def formation_map():
    """The synthetic map: SYN5, SYN1, SYN3, a wider XQ named in markup, a far SYN5."""
    import geopandas as gpd
    import pandas as pd

    gdf = synthetic_map()
    unknown = gdf["unit"] == UNKNOWN_CODE
    gdf.loc[unknown, "name_en"] = UNKNOWN_EN
    gdf.loc[unknown, "geometry"] = shapely.box(*SQUARE_U)
    far = gdf[gdf["unit"] == "SYN5"].copy().set_geometry([shapely.box(*FAR_5)], crs=gdf.crs)
    return gpd.GeoDataFrame(pd.concat([gdf, far], ignore_index=True), crs=gdf.crs)


@pytest.fixture(scope="module")
def potential_data(template_copy, table):
    """A GeoPackage data directory (the app is given DATA_DIR alone) with the test
    accounts and the synthetic geological map."""

    def prepare(store):
        add_users(store)
        store.formations.replace(formation_map(), source="synthetic test map", user="t")

    return template_copy("potential-web", prepare)


@pytest.fixture
def papp(potential_data):
    return _app(potential_data)


def _geojson(client, query: str):
    r = client.get(f"/api/potential.geojson?{query}")
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.mimetype == "application/geo+json"
    return r.get_json()


# -- the layer and its legend -----------------------------------------------------------
def test_units_in_the_box_with_class_and_colour(papp, table):
    client = papp.test_client()  # a visitor: potential is not a location secret
    data = _geojson(client, f"bbox={NEAR_BOX}&zoom=12")
    assert data["type"] == "FeatureCollection" and data["truncated"] is False
    assert data["formations_version"] == 1 and data["matched"] == 4
    props = {f["properties"]["unit"]: f["properties"] for f in data["features"]}
    classes = {"SYN5": "5", "SYN1": "1", "SYN3": "3", UNKNOWN_CODE: "U"}
    assert {u: p["potential_class"] for u, p in props.items()} == classes
    for unit, code in classes.items():
        assert props[unit]["colour"] == table.classes[code].colour
    assert props["SYN5"]["name_zh"] == "合成五级组"
    assert props["SYN5"]["name_en"] == "Synthetic Five Fm"
    assert props[UNKNOWN_CODE]["name_en"] == UNKNOWN_EN  # JSON is data; the script escapes
    # the far square is found only by its own box
    far = _geojson(client, f"bbox={FAR_BOX}&zoom=12")
    assert [f["properties"]["unit"] for f in far["features"]] == ["SYN5"]
    assert _geojson(client, "bbox=104,25,104.1,25.1")["features"] == []


def test_geometries_are_simplified_and_rounded_for_the_zoom(template_copy, table):
    """A wavy unit keeps fewer vertices and fewer decimals at a lower zoom."""
    import geopandas as gpd

    # wiggles of ±0.0005° along half the edge (kept at zoom 12, gone at zoom 9) and of
    # ±0.00005° along the other half (gone at zoom 12, kept at zoom 17)
    t = [i / 400 for i in range(401)]
    amplitude = [0.001 if x < 0.5 else 0.0001 for x in t]
    wave = [
        (106.7 + 0.04 * x, 26.7 + a * ((i % 2) - 0.5)) for i, (x, a) in enumerate(zip(t, amplitude))
    ]
    ring = [*wave, (106.74, 26.75), (106.7, 26.75)]
    gdf = gpd.GeoDataFrame(
        {"unit": ["W1"], "name_zh": ["波"], "name_en": ["Wave"]},
        geometry=[shapely.Polygon(ring)],
        crs="EPSG:4490",
    )
    data_dir = template_copy(
        "potential-wave", lambda store: store.formations.replace(gdf, source="wave", user="t")
    )
    client = _app(data_dir).test_client()
    counts, decimals = {}, {}
    for zoom in (9, 12, 17):
        data = _geojson(client, f"bbox=106.69,26.69,106.75,26.76&zoom={zoom}")
        (feat,) = data["features"]
        counts[zoom] = len(feat["geometry"]["coordinates"][0])
        text = json.dumps(feat["geometry"])
        decimals[zoom] = max(len(m) for m in re.findall(r"\.(\d+)", text))
    assert counts[9] < counts[12] < counts[17] == len(ring) + 1
    assert decimals[9] <= 4 and decimals[12] <= 5 and decimals[17] <= 6
    # no zoom: the box's size decides (a small box is a close zoom)
    assert _geojson(client, "bbox=106.69,26.69,106.75,26.76")["zoom"] >= 12


def test_a_low_cap_keeps_the_largest_units_and_says_truncated(potential_data, table):
    client = _app(potential_data, POTENTIAL_MAX_FEATURES=1).test_client()
    data = _geojson(client, f"bbox={NEAR_BOX}&zoom=12")
    assert data["truncated"] is True and data["matched"] == 4
    assert [f["properties"]["unit"] for f in data["features"]] == [UNKNOWN_CODE]  # the largest
    data = _geojson(client, f"bbox={FAR_BOX}&zoom=12")
    assert data["truncated"] is False and len(data["features"]) == 1


@pytest.mark.parametrize(
    "query",
    [
        "",
        "bbox=",
        "bbox=1,2,3",
        "bbox=a,b,c,d",
        "bbox=106.8,26.6,106.7,26.7",
        "bbox=106,95,107,96",
        "bbox=nan,26,107,27",
    ],
)
def test_a_bad_bbox_is_refused_in_both_languages(papp, query):
    r = papp.test_client().get(f"/api/potential.geojson?{query}")
    assert r.status_code == 400
    body = r.get_json()
    assert body["code"] == "bad_request"
    assert "bbox" in body["description"]
    assert re.search(r"[\u4e00-\u9fff]", body["description"])  # Chinese …
    assert "must be four numbers" in body["description"]  # … and English


@pytest.mark.parametrize("zoom", ["x", "-1", "23", "nan"])
def test_a_bad_zoom_is_refused(papp, zoom):
    r = papp.test_client().get(f"/api/potential.geojson?bbox={NEAR_BOX}&zoom={zoom}")
    assert r.status_code == 400
    assert "zoom" in r.get_json()["description"]


def test_no_geological_map_gives_an_empty_collection(app, table):
    client = app.test_client()
    data = _geojson(client, f"bbox={NEAR_BOX}&zoom=12")
    assert data["features"] == [] and data["formations_version"] == 0
    legend = client.get("/api/potential/legend.json").get_json()
    assert legend["formations"]["version"] == 0 and legend["formations"]["count"] == 0
    assert [c["class"] for c in legend["classes"]] == sorted(
        table.classes, key=lambda c: -table.classes[c].rank
    )


def test_legend_lists_classes_table_and_map(papp, table):
    r = papp.test_client().get("/api/potential/legend.json")
    assert r.status_code == 200 and r.headers["Cache-Control"].startswith("public")
    legend = r.get_json()
    assert legend["table_version"] == table.version
    assert legend["formations"] == {
        "version": 1,
        "count": 5,
        "source": "synthetic test map",
        "demonstration": False,
        "not_in_table": 1,
    }
    assert legend["min_zoom"] == 9
    by_class = {c["class"]: c for c in legend["classes"]}
    assert set(by_class) == set(table.classes)
    for code, c in table.classes.items():
        got = by_class[code]
        assert (got["label_zh"], got["label_en"], got["colour"]) == (c.zh, c.en, c.colour)
        assert got["description_zh"] == c.description_zh
        assert got["description_en"] == c.description_en
    assert by_class["5"]["units"] == 2 and by_class["U"]["units"] == 1
    assert by_class["1"]["units"] == 1 and by_class["4"]["units"] == 0


def test_the_map_page_points_the_script_at_the_layer(papp):
    html = papp.test_client().get("/?lang=zh").get_data(as_text=True)
    config = json.loads(
        re.search(r'id="fossilgis-config"[^>]*>(.*?)</script>', html, re.S).group(1)
    )
    assert config["urls"]["potential"] == "/api/potential.geojson"
    assert config["urls"]["potential_legend"] == "/api/potential/legend.json"
    assert config["strings"]["layer_potential"] == "化石潜力"


# -- the screen's potential on the pages ---------------------------------------------------
def _check(client, **fields) -> str:
    """Screen a 400 m square on the class-5 unit; the result page's URL."""
    x, y = centre(SQUARE_5)
    r = client.post(
        "/check",
        data={
            "drawn": json.dumps(drawn_geojson(x, y, 0.002)),
            "project_type": "building",
            **fields,
        },
    )
    assert r.status_code == 303, r.get_data(as_text=True)
    return r.headers["Location"]


def _section(html: str, marker: str) -> str:
    start = html.index(marker)
    return html[start : html.index("</section>", start)]


def test_check_result_shows_the_potential_of_the_ground(papp, table):
    client = signed_in(papp, "viewer1")
    url = _check(client)
    data = client.get(url + ".json").get_json()
    pot = data["projects"][0]["potential"]
    assert pot["highest_class"] == "5" and pot["grade"] != "none" and pot["actions"]
    html = client.get(url).get_data(as_text=True)
    block = _section(html, 'class="potential" data-highest="5"')
    assert table.classes["5"].en in block
    assert f'data-grade="{pot["grade"]}"' in block
    assert pot["reason_en"] in block
    for action in pot["actions"]:
        assert action["en"] in block
    c5 = pot["classes"][0]
    assert f"{c5['area_m2']:,.0f}" in block and f"{c5['area_ha']:,.2f}" in block
    assert f"{c5['area_mu']:,.1f}" in block and "100.0 %" in block
    assert "potential-none" not in html
    zh = client.get(url + "?lang=zh").get_data(as_text=True)
    block = _section(zh, 'class="potential" data-highest="5"')
    assert table.classes["5"].zh in block and pot["reason_zh"] in block
    assert pot["actions"][0]["zh"] in block and "化石潜力" in block
    # a visitor holding the link sees the same block (the texts scrubbed of coordinates)
    visitor = papp.test_client().get(url).get_data(as_text=True)
    assert 'class="potential" data-highest="5"' in visitor


def test_unknown_unit_names_are_escaped_on_the_pages(papp):
    client = signed_in(papp, "viewer1")
    x, y = centre(SQUARE_U)
    r = client.post("/check", data={"drawn": json.dumps(drawn_geojson(x, y, 0.002))})
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    block = _section(html, 'class="potential" data-highest="U"')
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in block and "<script>" not in block
    assert "&lt;b&gt;Test&lt;/b&gt;" in block and UNKNOWN_CODE in block
    assert "not in the potential table" in block


def test_no_map_says_so_on_the_result_and_the_case(app):
    client = signed_in(app, "viewer1")
    r = client.post("/check", data={"drawn": json.dumps(drawn_geojson(104.0, 26.0))})
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'id="potential-none"' in html and 'class="potential"' not in html
    r = client.post(r.headers["Location"] + "/case", data={"project_name": "无地质图"})
    case = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'id="potential-none"' in case


def test_case_page_shows_the_potential(papp, table):
    client = signed_in(papp, "viewer1")
    url = _check(client)
    r = client.post(url + "/case", data={"project_name": "潜力测试"})
    assert r.status_code == 303 and "/cases/" in r.headers["Location"]
    html = client.get(r.headers["Location"] + "?lang=en").get_data(as_text=True)
    part = html[html.index('id="case-potential"') :]
    block = _section(part, 'class="potential" data-highest="5"')
    assert table.classes["5"].en in block and "data-grade=" in block
    assert "potential-actions" in block


def _applicant_case(store, x: float, y: float) -> str:
    """An applicant's case screened from a square at (x, y); its status token."""
    import geopandas as gpd

    from fossilgis.cases.model import CaseDetails
    from fossilgis.io._pipeline import ReadResult
    from fossilgis.screening import screen_results

    fc = drawn_geojson(x, y, 0.002)
    gdf = gpd.GeoDataFrame.from_features(fc["features"], crs="EPSG:4490")
    screening = screen_results([ReadResult(gdf=gdf, source="red-line.geojson")], store)
    token = "applicant-" + uuid.uuid4().hex
    store.cases.open(
        CaseDetails("潜力申请", "unit", "contact", source="applicant"),
        user=None,
        screening=screening,
        status_token=token,
    )
    return token


def test_status_page_shows_the_potential_without_the_grade(papp, table):
    store = papp.extensions["fossilgis_store"]
    x, y = centre(SQUARE_5)
    token = _applicant_case(store, x, y)
    client = papp.test_client()
    html = client.get(f"/status/{token}?lang=en").get_data(as_text=True)
    section = html[html.index('id="status-potential"') :]
    block = _section(section, 'class="potential" data-highest="5"')
    assert table.classes["5"].en in block and "potential-actions" in block
    assert 'class="grade' not in block and "data-grade" not in block
    assert "potential-reason" not in block
    zh = client.get(f"/status/{token}?lang=zh").get_data(as_text=True)
    assert table.classes["5"].zh in _section(zh, 'class="potential" data-highest="5"')


def test_status_page_says_nothing_without_a_map(app):
    token = _applicant_case(app.extensions["fossilgis_store"], 104.0, 26.0)
    html = app.test_client().get(f"/status/{token}").get_data(as_text=True)
    assert "status-potential" not in html and "potential-none" not in html
