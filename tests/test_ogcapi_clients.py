"""Clients this project did not write read the OGC API from a waitress server on loopback."""

import pytest
import shapely

from fossilgis.schema import LAYER_FIELDS

COLLECTIONS = ["sites", "sections", "patrols"]
SITE_FIELDS = [name for name, _, _ in LAYER_FIELDS["sites"]]


# -- GDAL's OAPIF driver ------------------------------------------------------------------
def test_gdal_lists_the_collections(live_url):
    import pyogrio

    layers = pyogrio.list_layers(f"OAPIF:{live_url}")
    assert sorted(layers[:, 0]) == sorted(COLLECTIONS)


def test_gdal_reads_every_site_with_its_attributes(live_url, ogc_store):
    import pyogrio

    gdf = pyogrio.read_dataframe(f"OAPIF:{live_url}", layer="sites")
    sites = ogc_store.read_layer("sites")
    assert len(gdf) == 36
    assert set(SITE_FIELDS) <= set(gdf.columns)
    assert sorted(gdf["id"]) == sorted(sites["id"])
    by_id = gdf.set_index("id")
    for rec in sites.to_dict("records"):
        got = by_id.loc[rec["id"]]
        assert (
            got["name_zh"] == rec["name_zh"] and got["protection_level"] == rec["protection_level"]
        )
        assert got["accuracy_m"] == pytest.approx(rec["accuracy_m"], nan_ok=True)
        assert bool(got["generalised"])  # anonymous: public shapes
        assert got.geometry.covers(rec["geometry"])
    assert gdf.crs.to_string() in ("OGC:CRS84", "EPSG:4326")


def test_gdal_attribute_and_spatial_filters(live_url):
    import pyogrio

    national = pyogrio.read_dataframe(
        f"OAPIF:{live_url}", layer="sites", where="protection_level = 'national_key'"
    )
    assert sorted(national["protection_level"]) == ["national_key"] * 3
    box = (106.0, 26.0, 107.5, 27.0)
    some = pyogrio.read_dataframe(f"OAPIF:{live_url}", layer="sections", bbox=box)
    assert 0 < len(some) < 19
    assert all(shapely.box(*box).intersects(g) for g in some.geometry)


def test_gdal_with_a_bearer_token_reads_precise_patrols(live_url, staff_token):
    import pyogrio

    anonymous = pyogrio.read_dataframe(f"OAPIF:{live_url}", layer="patrols")
    assert len(anonymous) == 3 and "team" not in anonymous.columns
    # GDAL_HTTP_HEADERS would be overridden by the driver's own Accept header
    pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": "BEARER", "GDAL_HTTP_BEARER": staff_token})
    try:
        staff = pyogrio.read_dataframe(f"OAPIF:{live_url}", layer="patrols")
    finally:
        pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": None, "GDAL_HTTP_BEARER": None})
    assert len(staff) == 3 and set(staff["created_by"]) == {"patroller1", "patroller2"}


def test_fiona_reads_the_sites_too(live_url, monkeypatch):
    import fiona

    # fiona opens only the drivers it lists; OAPIF is in its GDAL but not in the list
    monkeypatch.setitem(fiona.supported_drivers, "OAPIF", "r")
    with fiona.open(f"OAPIF:{live_url}", layer="sites") as layer:
        features = list(layer)
        assert set(SITE_FIELDS) <= set(layer.schema["properties"])
    assert len(features) == 36


# -- OWSLib ---------------------------------------------------------------------------------
def test_owslib_features_client(live_url):
    from owslib.ogcapi.features import Features

    api = Features(live_url)
    assert (
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
        in (api.conformance()["conformsTo"])
    )
    assert [c["id"] for c in api.collections()["collections"]] == COLLECTIONS
    assert api.collection("sites")["id"] == "sites"
    page = api.collection_items("sites", limit=100)
    assert page["numberMatched"] == page["numberReturned"] == 36
    assert {f["id"] for f in page["features"]} == {f"GZ-F{i:02d}" for i in range(1, 37)}
    national = api.collection_items("sites", protection_level="national_key")
    assert national["numberMatched"] == 3
    one = api.collection_item("sections", "GZ-S01")
    assert one["properties"]["name_en"].startswith("Wuliu-Zengjiayan")
    patrols = api.collection_items("patrols", datetime_="2024-06-01/..")
    assert patrols["numberMatched"] == 2
    assert "paths" in api.api()


# -- schemathesis -------------------------------------------------------------------------
# (its pytest loader, schemathesis.pytest.from_fixture, fails on pytest 9.2 with "'Function'
# object has no attribute '_nodeid'", so the operations are driven with hypothesis here)
@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_schemathesis_finds_no_server_error(live_url, mode):
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    schema = schemathesis.openapi.from_url(f"{live_url}/api?f=json")
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = {op.label for op in operations}  # schemathesis leaves out the schema's own URL
    assert {f"GET /collections/{cid}/items/{{featureId}}" for cid in COLLECTIONS} <= labels
    for operation in operations:

        @given(case=operation.as_strategy(schemathesis.GenerationMode(mode)))
        @settings(
            max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def call(case):
            case.call_and_validate(checks=checks if mode == "positive" else checks[:1])

        call()
