"""The OGC API core called directly, and its Flask routes: every parameter, error and view."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import shapely
from ogcapi_fixtures import PATROL_SPECS
from openapi_spec_validator import validate

from fossilgis.generalise import generalise_sites
from fossilgis.ogcapi import html
from fossilgis.ogcapi.core import CONFORMANCE, CRS84
from fossilgis.ogcapi.params import (
    MAX_LIMIT,
    ParameterError,
    parse_bbox,
    parse_datetime,
    parse_format,
    parse_limit,
)
from fossilgis.schema import LAYER_FIELDS

BASE = "http://testserver/ogcapi"
PERSONAL = {"team", "created_by", "notes"}


def links(doc, rel):
    return [link for link in doc["links"] if link["rel"] == rel]


def query_of(href):
    return {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}


# -- landing, conformance, API definition, collections ----------------------------------
def test_landing_links_to_everything_with_media_types(api):
    r = api.landing()
    assert r.status == 200 and r.headers["Content-Type"] == "application/json"
    doc = r.json()
    by_rel = {link["rel"]: link for link in doc["links"]}
    assert by_rel["self"]["href"] == f"{BASE}?f=json"
    assert by_rel["alternate"]["type"] == "text/html"
    assert by_rel["service-desc"] == {
        "href": f"{BASE}/api?f=json",
        "rel": "service-desc",
        "type": "application/vnd.oai.openapi+json;version=3.0",
        "title": "API definition (OpenAPI 3.0)",
    }
    assert by_rel["service-doc"]["type"] == "text/html"
    assert by_rel["conformance"]["href"] == f"{BASE}/conformance?f=json"
    assert by_rel["data"]["href"] == f"{BASE}/collections?f=json"


@pytest.mark.parametrize(
    "params, accept, expected",
    [
        ({}, "", "json"),
        ({}, "application/json", "json"),
        ({}, "text/html,application/xhtml+xml,*/*;q=0.8", "html"),  # a browser
        ({}, "application/geo+json, application/json;q=0.9, */*;q=0.1", "json"),
        ({}, "text/html;q=0.5, application/json", "json"),
        ({"f": "json"}, "text/html", "json"),
        ({"f": "html"}, "application/json", "html"),
    ],
)
def test_format_negotiation(params, accept, expected):
    assert parse_format(params, accept) == expected


def test_unknown_format_is_400(api):
    r = api.landing({"f": "xml"})
    assert r.status == 400
    assert r.json() == {
        "code": "InvalidParameterValue",
        "description": "f='xml' is not a format this API serves; use f=json or f=html",
    }


def test_conformance_declares_core_geojson_html_oas30(api):
    assert api.conformance().json()["conformsTo"] == CONFORMANCE
    assert "oas30" in api.conformance({"f": "html"}).body


def test_openapi_document_is_valid_and_follows_the_schema(api):
    r = api.openapi()
    assert r.headers["Content-Type"] == "application/vnd.oai.openapi+json;version=3.0"
    doc = r.json()
    validate(doc)  # openapi-spec-validator: raises on an invalid document
    assert doc["servers"] == [{"url": BASE}]
    for cid in ("sites", "sections", "patrols"):
        assert f"/collections/{cid}/items/{{featureId}}" in doc["paths"]
    params = doc["paths"]["/collections/sites/items"]["get"]["parameters"]
    filters = {p["name"] for p in params if "name" in p}
    assert filters >= {name for name, _, _ in LAYER_FIELDS["sites"]}
    props = doc["components"]["schemas"]["feature_sites"]["properties"]["properties"]
    assert props["properties"]["accuracy_m"] == {"type": "number", "nullable": True}
    patrol_params = doc["paths"]["/collections/patrols/items"]["get"]["parameters"]
    team = next(p for p in patrol_params if p.get("name") == "team")
    assert "Staff only" in team["description"]


def test_collections_list_three_with_extents(api):
    doc = api.collections().json()
    assert [c["id"] for c in doc["collections"]] == ["sites", "sections", "patrols"]
    sites = doc["collections"][0]
    assert sites["crs"] == [CRS84] and sites["itemType"] == "feature"
    minx, miny, maxx, maxy = sites["extent"]["spatial"]["bbox"][0]
    assert 103 < minx < maxx < 110 and 24 < miny < maxy < 30
    patrols = doc["collections"][2]
    assert patrols["extent"]["temporal"]["interval"] == [
        ["2024-05-01T01:00:00Z", "2025-01-05T04:00:00Z"]
    ]
    assert "temporal" not in sites["extent"]


def test_collection_and_its_links(api):
    doc = api.collection("sections").json()
    assert doc["id"] == "sections"
    items = links(doc, "items")
    assert {(link["type"], link["href"]) for link in items} == {
        ("application/geo+json", f"{BASE}/collections/sections/items?f=json"),
        ("text/html", f"{BASE}/collections/sections/items?f=html"),
    }


@pytest.mark.parametrize(
    "call",
    [
        lambda a: a.collection("fossils"),
        lambda a: a.items("fossils", {}, staff=False),
        lambda a: a.item("fossils", "GZ-F01", staff=False),
    ],
)
def test_unknown_collection_is_404(api, call):
    r = call(api)
    assert r.status == 404
    assert r.json()["code"] == "NotFound"
    assert (
        "no collection 'fossils'; the collections are: sites, sections, patrols"
        in (r.json()["description"])
    )


# -- items: limit, paging, bbox, filters, datetime ---------------------------------------
def test_items_default_page_and_counts(api):
    r = api.items("sites", {}, staff=False)
    assert r.headers["Content-Type"] == "application/geo+json"
    doc = r.json()
    assert doc["type"] == "FeatureCollection"
    assert doc["numberMatched"] == 36 and doc["numberReturned"] == 10 == len(doc["features"])
    assert doc["timeStamp"].endswith("Z")
    assert not links(doc, "prev")
    nxt = [link for link in links(doc, "next") if link["type"] == "application/geo+json"]
    assert query_of(nxt[0]["href"]) == {"offset": "10", "f": "json"}
    assert links(doc, "collection")[0]["href"] == f"{BASE}/collections/sites?f=json"


def test_paging_with_next_links_visits_every_feature_once(api, ogc_store):
    seen, params, pages = [], {"limit": "7", "protection_level": "general"}, 0
    while True:
        doc = api.items("sites", params, staff=False).json()
        seen += [f["id"] for f in doc["features"]]
        pages += 1
        nxt = [x for x in links(doc, "next") if x["type"] == "application/geo+json"]
        if not nxt:
            break
        params = query_of(nxt[0]["href"])
        assert params["protection_level"] == "general" and params["limit"] == "7"
    sites = ogc_store.read_layer("sites")
    assert seen == list(sites[sites.protection_level == "general"]["id"])
    assert pages == 5  # 31 features, 7 a page


def test_prev_link(api):
    doc = api.items("sites", {"limit": "10", "offset": "15"}, staff=False).json()
    prev = [x for x in links(doc, "prev") if x["type"] == "application/geo+json"][0]
    assert query_of(prev["href"]) == {"limit": "10", "offset": "5", "f": "json"}
    last = api.items("sites", {"offset": "30"}, staff=False).json()
    assert last["numberReturned"] == 6 and not links(last, "next")
    beyond = api.items("sites", {"offset": "100"}, staff=False).json()
    assert beyond["features"] == [] and beyond["numberMatched"] == 36


@pytest.mark.parametrize("value", ["0", "-3", "ten", "1.5", ""])
def test_bad_limit_is_400(api, value):
    r = api.items("sites", {"limit": value}, staff=False)
    assert r.status == 400
    assert r.json()["description"] == (
        f"limit={value!r} is not a positive integer; use 1 to 10000 (default 10)"
    )


def test_limit_above_the_maximum_is_served_at_the_maximum(api):
    assert parse_limit("20000") == MAX_LIMIT == 10_000
    doc = api.items("sites", {"limit": "20000"}, staff=False).json()
    assert doc["numberReturned"] == 36


@pytest.mark.parametrize("value", ["-1", "x"])
def test_bad_offset_is_400(api, value):
    r = api.items("sites", {"offset": value}, staff=False)
    assert r.status == 400 and "offset=" in r.json()["description"]


def test_bbox_selects_features(api, ogc_store):
    bbox = "106.0,26.0,107.5,27.0"
    doc = api.items("sections", {"bbox": bbox, "limit": "100"}, staff=True).json()
    sections = ogc_store.read_layer("sections")
    expected = sections[sections.intersects(shapely.box(106.0, 26.0, 107.5, 27.0))]
    assert 0 < doc["numberMatched"] == len(expected) < len(sections)
    assert sorted(f["id"] for f in doc["features"]) == sorted(expected["id"])


def test_bbox_with_heights_and_across_the_antimeridian():
    assert parse_bbox("1,2,0,3,4,100") == [(1.0, 2.0, 3.0, 4.0)]
    assert parse_bbox("170,-10,-170,10") == [
        (170.0, -10.0, 180.0, 10.0),
        (-180.0, -10.0, -170.0, 10.0),
    ]


@pytest.mark.parametrize(
    "value", ["1,2,3", "a,b,c,d", "0,10,1,5", "0,0,1,nan", "0,-91,1,1", "0,0,181,1", ""]
)
def test_bad_bbox_is_400(api, value):
    r = api.items("sites", {"bbox": value}, staff=False)
    assert r.status == 400
    assert r.json()["description"].startswith(f"bbox={value!r}")


def test_equality_filters(api):
    doc = api.items(
        "sites", {"protection_level": "national_key", "limit": "50"}, staff=False
    ).json()
    assert doc["numberMatched"] == 3
    assert {f["properties"]["protection_level"] for f in doc["features"]} == {"national_key"}
    both = api.items(
        "sites", {"protection_level": "general", "accuracy_m": "2000"}, staff=False
    ).json()
    assert all(f["properties"]["accuracy_m"] == 2000 for f in both["features"])
    assert 0 < both["numberMatched"] < 31
    assert api.items("sites", {"generalised": "true"}, staff=False).json()["numberMatched"] == 36
    assert api.items("sites", {"generalised": "true"}, staff=True).json()["numberMatched"] == 0
    assert api.items("sites", {"county_en": "Atlantis"}, staff=False).json()["features"] == []


@pytest.mark.parametrize(
    "params, message",
    [
        ({"accuracy_m": "far"}, "accuracy_m='far' is not a number; expected e.g. accuracy_m=100"),
        ({"generalised": "yes"}, "generalised='yes': expected true or false"),
        (
            {"colour": "red"},
            "unknown parameter 'colour' for sites; use f, bbox, limit, offset, "
            "datetime or a property filter: accuracy_class, accuracy_m, age, ",
        ),
        ({"bbox-crs": CRS84}, "unknown parameter 'bbox-crs'"),
    ],
)
def test_bad_filters_and_unknown_parameters_are_400(api, params, message):
    r = api.items("sites", params, staff=False)
    assert r.status == 400
    assert r.json()["description"].startswith(message)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2024-05-01T02:00:00Z", ["1111"]),  # inside the first patrol
        ("2024-05-01", ["1111"]),  # a date is its whole day
        ("2024-05-01T12:00:00+08:00", ["1111"]),  # 04:00Z: the patrol ends at 04:00Z
        ("2024-05-01T04:00:01Z", []),
        ("2024-06-01/2024-12-31", ["2222"]),
        ("../2024-06-30", ["1111", "2222"]),
        ("2024-06-11/..", ["3333"]),
        ("2024-06-11/", ["3333"]),
        ("../..", ["1111", "2222", "3333"]),
    ],
)
def test_datetime_selects_patrols_whose_span_meets_it(api, value, expected):
    doc = api.items("patrols", {"datetime": value}, staff=False).json()
    assert sorted(f["id"][:4] for f in doc["features"]) == expected


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2024-13-01",
        "2024-06-01/2024-05-01",
        "2024/05/01",
        "..",
        "2024-05-01T25:00:00Z",
    ],
)
def test_bad_datetime_is_400(api, value):
    r = api.items("patrols", {"datetime": value}, staff=False)
    assert r.status == 400 and "datetime" in r.json()["description"]


def test_datetime_is_checked_but_does_not_filter_layers_without_time(api):
    assert api.items("sites", {"datetime": "2024-05-01"}, staff=False).json()["numberMatched"] == 36
    assert api.items("sites", {"datetime": "soon"}, staff=False).status == 400


def test_parse_datetime_interval_ends():
    start, end = parse_datetime("2024-05-01/2024-05-02")
    assert (start.isoformat(), end.isoformat()) == (
        "2024-05-01T00:00:00+00:00",
        "2024-05-02T23:59:59.999999+00:00",
    )
    with pytest.raises(ParameterError, match="more than one '/'"):
        parse_datetime("2024-05-01/2024-05-02/2024-05-03")


# -- single features -------------------------------------------------------------------
def test_item_and_its_links(api):
    # GZ-S02 lies far from every site, so the public get it precise (GZ-S01: grid cells)
    r = api.item("sections", "GZ-S02", staff=False)
    feature = r.json()
    assert feature["id"] == "GZ-S02" and feature["geometry"]["type"] == "LineString"
    assert feature["properties"]["generalised"] is False
    assert links(feature, "self")[0]["href"] == f"{BASE}/collections/sections/items/GZ-S02?f=json"
    assert links(feature, "collection")[0]["href"] == f"{BASE}/collections/sections?f=json"


def test_unknown_feature_is_404(api):
    r = api.item("sites", "GZ-F99", staff=False)
    assert r.status == 404
    assert r.json() == {
        "code": "NotFound",
        "description": "sites has no feature with id 'GZ-F99'; list them at "
        f"{BASE}/collections/sites/items",
    }
    assert "GZ-F99" in api.item("sites", "GZ-F99", {"f": "html"}, staff=False).body


def test_item_takes_only_f(api):
    r = api.item("sites", "GZ-F01", {"limit": "3"}, staff=False)
    assert r.status == 400 and "a single feature takes only f" in r.json()["description"]


# -- visibility: generalised sites, no personal data for the public ------------------------
def test_public_sites_are_generalised_and_staff_sites_precise(api, ogc_store):
    sites = ogc_store.read_layer("sites").set_index("id")
    public = generalise_sites(ogc_store.read_layer("sites")).set_index("id")
    doc = api.items("sites", {"limit": "100"}, staff=False).json()
    for feature in doc["features"]:
        shape = shapely.geometry.shape(feature["geometry"])
        assert shape.equals(public.geometry[feature["id"]])
        assert shape.covers(sites.geometry[feature["id"]])
        assert feature["properties"]["generalised"] is True
        assert "extra" not in feature["properties"]
    precise = api.item("sites", "GZ-F01", staff=True).json()
    assert precise["properties"]["generalised"] is False
    shape = shapely.geometry.shape(precise["geometry"])
    assert shape.hausdorff_distance(sites.geometry["GZ-F01"]) < 1e-5


def test_public_bbox_search_uses_the_generalised_shape(api, ogc_store):
    """A tiny bbox in the site's cell but off the site finds it: no probing for the boundary."""
    site = ogc_store.read_layer("sites").set_index("id").geometry["GZ-F01"]
    cell = generalise_sites(ogc_store.read_layer("sites")).set_index("id").geometry["GZ-F01"]
    probe = cell.difference(site.buffer(0.001)).representative_point()
    bbox = f"{probe.x - 1e-5},{probe.y - 1e-5},{probe.x + 1e-5},{probe.y + 1e-5}"
    public = api.items("sites", {"bbox": bbox}, staff=False).json()
    staff = api.items("sites", {"bbox": bbox}, staff=True).json()
    assert "GZ-F01" in [f["id"] for f in public["features"]]
    assert "GZ-F01" not in [f["id"] for f in staff["features"]]


def test_patrols_hide_personal_data_and_exact_tracks_from_the_public(api):
    doc = api.items("patrols", {}, staff=False).json()
    assert doc["numberMatched"] == 3
    for feature in doc["features"]:
        assert not PERSONAL & set(feature["properties"])
        # which site was patrolled when is staff data: no place, no target
        assert feature["geometry"] is None
        assert not {"target_id", "target_kind", "purpose"} & set(feature["properties"])
    first = api.item("patrols", PATROL_SPECS[0][0], staff=False).json()
    assert first["properties"]["waypoint_count"] == 1
    assert not PERSONAL & set(first["properties"])
    staff = api.item("patrols", PATROL_SPECS[0][0], staff=True).json()
    assert staff["properties"]["team"] == "王丽, Zhang Wei"
    assert staff["properties"]["created_by"] == "patroller1"
    assert staff["geometry"]["type"] == "MultiLineString"
    assert api.items("patrols", {}, staff=True).headers["Cache-Control"] == "private, no-store"
    assert "Cache-Control" not in api.items("patrols", {}, staff=False).headers


def test_filtering_on_personal_data_needs_staff(api):
    r = api.items("patrols", {"created_by": "patroller1"}, staff=False)
    assert r.status == 400
    assert r.json()["description"] == (
        "created_by is personal data: filtering on it needs a staff bearer token"
    )
    staff = api.items("patrols", {"created_by": "patroller1"}, staff=True).json()
    assert staff["numberMatched"] == 2


# -- HTML views --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call, text",
    [
        (lambda a: a.landing({"f": "html"}), "API documentation"),
        (lambda a: a.collections({"f": "html"}), "browse the features"),
        (lambda a: a.collection("sites", {"f": "html"}), "Fossil sites"),
        (lambda a: a.items("sites", {"f": "html", "offset": "10"}, staff=False), "next »"),
        (lambda a: a.item("sites", "GZ-F01", {"f": "html"}, staff=False), "凯里生物群"),
        (lambda a: a.openapi({"f": "html"}), "GET /collections/patrols/items"),
    ],
)
def test_html_views(api, call, text):
    r = call(api)
    assert r.status == 200 and r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.body.startswith("<!doctype html>") and text in r.body
    assert "<script" not in r.body and "<link" not in r.body and " src=" not in r.body


def test_html_escapes_values():
    doc = {
        "type": "Feature",
        "id": "<x>",
        "geometry": None,
        "properties": {"name_en": "<script>alert(1)</script>"},
        "links": [],
    }
    page = html.item(doc, BASE, "sites")
    assert "<script>" not in page and "&lt;script&gt;" in page


# -- the Flask routes ---------------------------------------------------------------------
def test_routes_answer_what_the_core_answers(ogc_client):
    r = ogc_client.get("/ogcapi/collections/sites/items?limit=2")
    assert r.status_code == 200 and r.content_type == "application/geo+json"
    doc = r.get_json(force=True)
    assert doc["numberReturned"] == 2
    assert links(doc, "self")[0]["href"].startswith("http://localhost/ogcapi/collections/sites/")
    assert ogc_client.get("/ogcapi/").status_code == 200
    assert ogc_client.get("/ogcapi", headers={"Accept": "text/html"}).content_type.startswith(
        "text/html"
    )
    r = ogc_client.get("/ogcapi/collections/sites/items/GZ-F99")
    assert r.status_code == 404 and r.get_json()["code"] == "NotFound"


def test_unknown_path_is_a_json_404(ogc_client):
    r = ogc_client.get("/ogcapi/tiles")
    assert r.status_code == 404
    assert r.get_json()["description"].startswith("/ogcapi/tiles is not a resource of this API")


def test_bearer_token_shows_precise_data(ogc_client, staff_token):
    auth = {"Authorization": f"Bearer {staff_token}"}
    staff = ogc_client.get("/ogcapi/collections/patrols/items?created_by=patroller2", headers=auth)
    assert staff.status_code == 200 and staff.get_json(force=True)["numberMatched"] == 1
    public = ogc_client.get("/ogcapi/collections/sites/items/GZ-F01").get_json(force=True)
    precise = ogc_client.get("/ogcapi/collections/sites/items/GZ-F01", headers=auth)
    assert precise.headers["Cache-Control"] == "private, no-store"
    assert public["properties"]["generalised"] is True
    assert precise.get_json(force=True)["properties"]["generalised"] is False


@pytest.mark.parametrize("header", ["Bearer fgis_not-a-token", "Bearer nonsense"])
def test_bad_bearer_token_is_401(ogc_client, header):
    r = ogc_client.get("/ogcapi/collections/sites/items", headers={"Authorization": header})
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert json.loads(r.data)["code"] == "InvalidToken"


def test_injected_staff_check(ogc_store):
    from ogcapi_fixtures import make_app

    app = make_app(ogc_store, is_staff=lambda request: request.headers.get("X-Staff") == "1")
    c = app.test_client()
    doc = c.get("/ogcapi/collections/patrols/items", headers={"X-Staff": "1"}).get_json(force=True)
    assert "team" in doc["features"][0]["properties"]


def test_the_web_map_app_serves_the_api(ogc_store):
    from webmap import create_app

    where = {"DATA_DIR": str(ogc_store.data_dir), "STORE": getattr(ogc_store, "url", None)}
    public = create_app({**where, "TESTING": True}).test_client()
    doc = public.get("/ogcapi/collections").get_json()
    assert [c["id"] for c in doc["collections"]] == ["sites", "sections", "patrols"]
    site = public.get("/ogcapi/collections/sites/items/GZ-F01").get_json(force=True)
    assert site["properties"]["generalised"] is True
    signed_in = create_app({**where, "TESTING": True, "TESTING_STAFF": True}).test_client()
    site = signed_in.get("/ogcapi/collections/sites/items/GZ-F01").get_json(force=True)
    assert site["properties"]["generalised"] is False


# -- patrols in SQL: the same answers as the former in-memory provider ----------------------
#: a diagonal track whose bounding box, but not its line, covers DIAGONAL_MISS
DIAGONAL = [(106.90, 26.90), (106.98, 26.98)]
DIAGONAL_MISS = (106.95, 26.90, 106.98, 26.92)
#: starts with ties and milliseconds around the end of one day (the GeoPackage keeps times
#: as text: "...59Z" and "...59.500Z" must compare as instants)
STARTS = [
    "2024-03-01T00:00:00+00:00",
    "2024-03-01T23:59:59+00:00",
    "2024-03-01T23:59:59.500+00:00",
    "2024-03-02T00:00:00.001+00:00",
    "2024-03-02T00:00:00+00:00",
    "2024-05-20T08:30:00+00:00",
    "2024-05-20T08:30:00+00:00",
    "2025-01-01T00:00:00.250+00:00",
]
TEAMS = [[], ["A"], ["王丽", "Zhang Wei"], ["B", "C, D"]]
CATEGORIES = ["intact", "human_damage", "illegal_excavation", "other"]


def _varied_patrols(store, n: int = 64) -> list:
    """``n`` patrols of every shape (track, point, points, none) and value, a few deleted."""
    import datetime as dt
    import random
    import uuid

    from patrol_fixtures import png_bytes

    from fossilgis.patrols.model import Observation, Patrol, PhotoRef, Waypoint

    rng = random.Random(20240501)
    photo = store.put_photo(png_bytes(), "p.png")
    made = []
    for i in range(n):
        start = dt.datetime.fromisoformat(STARTS[i % len(STARTS)])
        hours = rng.choice([0, 1, 3, 30])
        end = start + dt.timedelta(hours=hours, milliseconds=rng.choice([0, 0, 499]))
        x, y = rng.uniform(106.0, 107.0), rng.uniform(26.0, 27.0)
        shape = i % 6
        track = None
        if shape in (0, 1):
            steps = [(x + rng.uniform(-0.05, 0.05), y + rng.uniform(-0.05, 0.05)) for _ in "abc"]
            track = shapely.MultiLineString([[(x, y), *steps]])
        if i == 0:
            track = shapely.MultiLineString([DIAGONAL])
        points = [] if shape == 5 else [(x, y)] if shape in (0, 2, 3) else [(x, y), (x, y + 0.01)]
        waypoints = [
            Waypoint(
                uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                lon=px,
                lat=py,
                observed_at=start,
                observation=Observation(rng.choice(CATEGORIES)) if rng.random() < 0.6 else None,
            )
            for px, py in points
        ]
        target = rng.choice([("site", "GZ-F01"), ("section", "GZ-S01"), (None, None)])
        patrol = Patrol(
            uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            started_at=start,
            ended_at=end,
            team=rng.choice(TEAMS),
            purpose=rng.choice(["", "routine", "例行巡护"]),
            notes=rng.choice(["", "x"]),
            target_kind=target[0],
            target_id=target[1],
            target_inferred=rng.random() < 0.5,
            target_distance_m=rng.choice([None, 12.5, 100.0]),
            track=track,
            waypoints=waypoints,
            photos=[PhotoRef(photo, "p.png")] if i % 4 == 0 else [],
        )
        store.save_patrol(patrol, rng.choice(["patroller1", "patroller2"]))
        made.append(patrol)
    for patrol in made[3:40:9]:
        store.delete_patrol(patrol.uuid, "admin1")
    return made


@pytest.fixture(scope="module")
def varied(new_store):
    """(store with :func:`_varied_patrols`, the patrols, the SQL provider, the former
    in-memory provider over ``store.list_patrols()``)."""
    from fossilgis.generalise import public_patrols
    from fossilgis.ogcapi.providers import PATROL_FIELDS, FrameProvider, PatrolProvider
    from fossilgis.serving import served_decimals

    store = new_store()
    patrols = _varied_patrols(store)

    def load():
        gdf = store.list_patrols().rename(columns={"uuid": "id"})
        gdf["team"] = [", ".join(t) for t in gdf["team"]]
        return gdf

    former = FrameProvider(
        "patrols",
        title="Patrols",
        description="",
        geometry_type="MultiLineString",
        fields=PATROL_FIELDS,
        load=load,
        public=public_patrols,
        time_fields=("started_at", "ended_at"),
        public_decimals=served_decimals("patrols", staff=False),
    )
    yield store, patrols, PatrolProvider(store), former
    store.close()


BOXES = [
    None,
    [(106.2, 26.2, 106.6, 26.7)],
    [(106.0, 26.0, 106.3, 26.3), (106.7, 26.6, 107.0, 27.0)],
    [DIAGONAL_MISS],
    [(106.9, 26.9, 106.91, 26.91)],
]
DATETIMES = [
    None,
    "2024-03-01",
    "2024-03-01T23:59:59Z",
    "2024-03-01T23:59:59.5Z",
    "2024-03-01T23:59:59.499Z",
    "../2024-03-01",
    "2024-03-02/..",
    "2024-03-02T00:00:00.001Z/..",
    "2024-03-01T23:59:59.9995Z/2024-03-02T00:00:00.0005Z",
    "../..",
]
FILTERS = [
    {},
    {"waypoint_count": "2"},
    {"alert_count": "1"},
    {"photo_count": "1"},
    {"waypoint_count": "0", "photo_count": "0"},
    {"alert_count": "nan"},
    {"target_inferred": "true"},
    {"target_inferred": "false", "target_kind": "section"},
    {"target_distance_m": "12.5"},
    {"team": "王丽, Zhang Wei"},
    {"team": ""},
    {"team": "B, C, D"},
    {"target_id": "GZ-F01", "purpose": "routine"},
    {"created_by": "patroller2", "notes": ""},
    {"purpose": "例行巡护"},
]
PAGES = [(10, 0), (7, 3), (1000, 0), (5, 100)]


def _both(varied, staff: bool, **query):
    _, _, sql, former = varied
    query = {"bbox": None, "limit": 1000, "offset": 0, "datetime": None, "filters": {}, **query}
    if isinstance(query["datetime"], str):
        query["datetime"] = parse_datetime(query["datetime"])
    return sql.query(staff=staff, **query), former.query(staff=staff, **query)


@pytest.mark.parametrize("staff", [True, False], ids=["staff", "public"])
def test_patrol_queries_answer_as_the_in_memory_provider_did(varied, staff):
    public = {"id", "waypoint_count", "alert_count", "photo_count"}
    checked = 0
    for bbox in BOXES:
        for value in DATETIMES:
            new, old = _both(varied, staff, bbox=bbox, datetime=value)
            assert new == old, (bbox, value)
            checked += len(new[0])
    for filters in FILTERS:
        if not staff and not set(filters) <= public:
            continue
        for limit, offset in PAGES:
            new, old = _both(varied, staff, filters=filters, limit=limit, offset=offset)
            assert new == old, (filters, limit, offset)
        new, old = _both(varied, staff, filters=filters, bbox=BOXES[2], datetime="2024-03-02/..")
        assert new == old, filters
    assert checked > 200


def test_patrol_queries_match_a_plain_geopandas_filter(varied):
    """An independent check of bbox, time span and counts on ``store.list_patrols()``."""
    store, patrols, sql, _ = varied
    table = store.list_patrols()
    assert len(table) == len(patrols) - 5
    for bbox in BOXES[1:]:
        for value in DATETIMES[1:]:
            start, end = parse_datetime(value)
            hit = table.geometry.intersects(shapely.box(*bbox[0]))
            for box in bbox[1:]:
                hit |= table.geometry.intersects(shapely.box(*box))
            if start is not None:
                hit &= table["ended_at"] >= start
            if end is not None:
                hit &= table["started_at"] <= end
            features, matched = sql.query(
                bbox=bbox, limit=1000, offset=0, datetime=(start, end), filters={}, staff=True
            )
            assert [f["id"] for f in features] == list(table[hit]["uuid"])
            assert matched == int(hit.sum())
    miss, _ = sql.query(
        bbox=[DIAGONAL_MISS], limit=10, offset=0, datetime=None, filters={}, staff=True
    )
    assert patrols[0].uuid not in [f["id"] for f in miss]  # the line, not its box


def test_patrol_items_get_extent_and_errors_as_before(varied):
    store, patrols, sql, former = varied
    for patrol in patrols[:12]:  # some of them deleted: None from both
        for staff in (True, False):
            assert sql.get(patrol.uuid, staff=staff) == former.get(patrol.uuid, staff=staff)
    assert sql.get("00000000-0000-4000-8000-000000000000", staff=True) is None
    for staff in (True, False):
        assert sql.extent(staff=staff) == former.extent(staff=staff)
    assert sql.extent(staff=False)["bbox"] is None  # the public's patrols have no place
    for filters, message in (
        ({"target_inferred": "yes"}, "target_inferred='yes': expected true or false"),
        ({"photo_count": "many"}, "photo_count='many' is not a number"),
    ):
        for provider in (sql, former):
            with pytest.raises(ParameterError, match=message):
                provider.query(
                    bbox=BOXES[1], limit=10, offset=0, datetime=None, filters=filters, staff=True
                )
    page, total = store.patrols.page(include_deleted=True, limit=3, offset=2)
    everything = store.list_patrols(include_deleted=True)
    assert total == len(everything) == len(patrols)
    assert list(page["uuid"]) == list(everything["uuid"][2:5])
