"""Migration 6's patrol columns: GPS accuracy and altitude of waypoints, the track's source
and accuracy, kept by both stores, carried by the exchange format, and outside the content
hash when absent (a record sent before they existed keeps its hash)."""

from __future__ import annotations

import pytest
from conftest import reopen, sql
from patrol_fixtures import make_patrol

from fossilgis.errors import PatrolValidationError
from fossilgis.patrols.geojson import patrols_from_geojson, patrols_to_geojson
from fossilgis.patrols.model import content_hash
from fossilgis.store.gpkg_schema import SCHEMA_VERSION


def _with_device_fields(patrol):
    patrol.waypoints[0].accuracy_m = 6.5
    patrol.waypoints[0].altitude_m = 1320.0
    return patrol.replace(track_source="device", track_accuracy_m=8.0)


def test_the_store_keeps_accuracy_altitude_and_track_source(store):
    patrol = _with_device_fields(make_patrol(2))
    store.save_patrol(patrol, "patroller1")
    got = store.get_patrol(patrol.uuid)
    assert (got.waypoints[0].accuracy_m, got.waypoints[0].altitude_m) == (6.5, 1320.0)
    assert (got.waypoints[1].accuracy_m, got.waypoints[1].altitude_m) == (None, None)
    assert (got.track_source, got.track_accuracy_m, got.revision) == ("device", 8.0, 0)
    assert store.list_waypoints()["accuracy_m"].dropna().tolist() == [6.5]


def test_absent_device_fields_leave_the_hash_of_an_older_record_unchanged():
    plain = make_patrol(1, patrol_uuid="0b0f4a56-3c1e-4d8a-9a57-2f0f8e6c1d11")
    before = content_hash(plain)
    assert content_hash(plain.replace()) == before
    richer = _with_device_fields(make_patrol(1, patrol_uuid=plain.uuid))
    richer.waypoints[0].uuid = plain.waypoints[0].uuid
    assert content_hash(richer) != before


def test_the_exchange_format_carries_the_device_fields_both_ways():
    patrol = _with_device_fields(make_patrol(1))
    back = patrols_from_geojson(patrols_to_geojson([patrol]))[0]
    assert back.waypoints[0].accuracy_m == 6.5 and back.track_source == "device"
    assert content_hash(back) == content_hash(patrol)


@pytest.mark.parametrize(
    "key, value, words",
    [("accuracy_m", -3, "between 0"), ("altitude_m", "high", "metres"), ("accuracy_m", True, "")],
)
def test_a_bad_device_number_is_refused_naming_the_field(key, value, words):
    doc = patrols_to_geojson([make_patrol(1)])
    doc["features"][1]["properties"][key] = value
    with pytest.raises(PatrolValidationError, match=f"features\\[1\\].{key}.*{words}"):
        patrols_from_geojson(doc)


def test_migration_6_upgrades_a_schema_5_store(store):
    """A store of the previous release gains the columns and tables and keeps its records."""
    patrol = make_patrol(1)
    store.save_patrol(patrol, "patroller1")
    with store._tx() as conn:
        for name in ("alert_events", "patrol_revisions"):
            conn.execute(f"DROP TABLE {name}")
        for table, col in (("patrols", "revision"), ("patrols", "track_source"),
                           ("patrols", "track_accuracy_m"), ("waypoints", "accuracy_m"),
                           ("waypoints", "altitude_m")):  # fmt: skip
            conn.execute(f"ALTER TABLE {table} DROP COLUMN {col}")
        conn.execute("UPDATE fossilgis_meta SET value='5' WHERE key='schema_version'")
    again = reopen(store)
    assert again.schema_version == SCHEMA_VERSION == 6
    got = again.get_patrol(patrol.uuid)
    assert got.revision == 0 and got.waypoints[0].accuracy_m is None
    assert sql(again, "SELECT count(*) FROM alert_events") == [(0,)]
    again.close()
