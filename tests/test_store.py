"""Both stores (GeoPackage, PostGIS): creation from layers/, versions, archive, restore,
transactions."""

import pyogrio
import pytest
from conftest import reopen, sql

from fossilgis.errors import StoreError
from fossilgis.store import resolve_data_dir
from fossilgis.store.gpkg import SCHEMA_VERSION


def test_created_on_first_use_from_layers(new_store, tmp_path):
    store = new_store(tmp_path / "data")
    if store.backend == "gpkg":
        assert (tmp_path / "data" / "fossilgis.gpkg").exists()
    assert store.schema_version == SCHEMA_VERSION
    sites = store.read_layer("sites")
    assert len(sites) == 36 and sites.crs.to_epsg() == 4490
    info = store.layer_info("sections")
    assert info["count"] == 19 and info["demonstration"] and info["version"] == 1
    assert info["boundary_status"] == "approximate"


def test_is_readable_by_gis_clients(store):
    if store.backend == "gpkg":  # a normal GeoPackage
        via_gdal = pyogrio.read_dataframe(store.path, layer="sites")
        assert sorted(via_gdal["id"]) == sorted(store.read_layer("sites")["id"])
        info = pyogrio.read_info(store.path, layer="sites")
        assert info["features"] == 36
        return
    # normal PostGIS tables (QGIS lists them from geometry_columns) with GiST indexes
    columns = sql(
        store,
        "SELECT f_table_name, type, srid FROM geometry_columns WHERE f_table_schema = ? ORDER BY 1",
        (store.schema,),
    )
    assert columns == [
        ("case_footprints", "GEOMETRY", 4490),
        ("formations", "GEOMETRY", 4490),
        ("patrols", "GEOMETRY", 4490),
        ("sections", "GEOMETRY", 4490),
        ("sites", "GEOMETRY", 4490),
        ("waypoints", "POINT", 4490),
    ]
    gist = sql(
        store,
        "SELECT tablename FROM pg_indexes WHERE schemaname = ? "
        "AND indexdef LIKE '%%USING gist%%' ORDER BY 1",
        (store.schema,),
    )
    assert [r[0] for r in gist] == [
        "case_footprints",
        "formations",
        "patrols",
        "sections",
        "sites",
        "waypoints",
    ]
    ids = sql(
        store,
        "SELECT id FROM sites WHERE ST_Intersects(geom, "
        "ST_MakeEnvelope(104, 24, 110, 30, 4490)) ORDER BY id",
    )
    assert [r[0] for r in ids] == sorted(store.read_layer("sites")["id"])


def test_reopen_does_not_rebuild(store):
    store.replace_layer(
        "sites", store.read_layer("sites").iloc[:3], source="x", demonstration=False
    )
    again = reopen(store)
    assert again.layer_info("sites")["count"] == 3


def test_replace_archives_and_restore_brings_back(store):
    full = store.read_layer("sites")
    v2 = store.replace_layer("sites", full.iloc[:5], source="office.shp", demonstration=False)
    assert v2 == 2 and store.layer_info("sites")["count"] == 5
    assert not store.layer_info("sites")["demonstration"]
    hist = store.layer_history("sites")
    assert [h["version"] for h in hist] == [1] and hist[0]["count"] == 36
    v3 = store.restore_layer("sites", 1)
    assert v3 == 3
    restored = store.read_layer("sites")
    assert sorted(restored["id"]) == sorted(full["id"])
    assert restored.geometry.geom_equals_exact(full.geometry, tolerance=1e-9).all()


def test_restore_unknown_version(store):
    with pytest.raises(StoreError, match="no archived version 7"):
        store.restore_layer("sites", 7)


def test_failed_write_leaves_previous_state(store, monkeypatch):
    new = store.read_layer("sites").iloc[:4]

    def crash_on_meta(conn, sql, *args):  # dies after the rows went in, before the commit
        if "INTO layer_meta" in sql:
            raise OSError("disk full")
        return conn.execute(sql, *args)

    store.close()  # no pooled connection: every one comes from connect()
    monkeypatch.setattr(store.db, "connect", lambda: _Wrapped(store, crash_on_meta))
    with pytest.raises(OSError, match="disk full"):
        store.replace_layer("sites", new, source="bad", demonstration=False)
    monkeypatch.undo()
    assert store.layer_info("sites")["count"] == 36
    assert store.layer_info("sites")["version"] == 1


def test_newer_schema_refused(store):
    with store._tx() as conn:
        conn.execute("UPDATE fossilgis_meta SET value='999' WHERE key='schema_version'")
    with pytest.raises(StoreError, match="newer than this fossilgis"):
        reopen(store)


def test_data_dir_from_env(monkeypatch, tmp_path):
    monkeypatch.setenv("FOSSILGIS_DATA", str(tmp_path / "env"))
    assert resolve_data_dir() == tmp_path / "env"
    assert resolve_data_dir(tmp_path / "arg") == tmp_path / "arg"


class _Wrapped:
    """A connection whose execute() can be made to fail at a chosen statement."""

    def __init__(self, store, execute):
        self._conn = type(store.db).connect(store.db)
        self._execute = execute

    def execute(self, sql, *args):
        return self._execute(self._conn, sql, *args)

    def __getattr__(self, name):
        return getattr(self._conn, name)
