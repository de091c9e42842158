"""The embedded default store: one GeoPackage file in the data directory.

Layout of the data directory::

    fossilgis.gpkg   reference layers, their archived versions, store metadata
    photos/          patrol photos, content-addressed (ab/cdef….jpg), thumbs/ thumbnails
    secret_key       the web app's signing key, made on first run (mode 0600)

Rows are written with sqlite3 in explicit transactions (``BEGIN IMMEDIATE``), so a crash
leaves either the old or the new state. A patrol's uniqueness is the ``UNIQUE`` index on
``patrols.uuid``. The schema and its migrations are in :mod:`fossilgis.store.gpkg_schema`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from pathlib import Path

from fossilgis.errors import StoreError
from fossilgis.store import _gpkgblob, gpkg_schema
from fossilgis.store._common import SRS_ID
from fossilgis.store.base import Store
from fossilgis.store.db import Database, Dialect

GPKG_NAME = "fossilgis.gpkg"
SCHEMA_VERSION = gpkg_schema.SCHEMA_VERSION
MIGRATIONS = gpkg_schema.MIGRATIONS


class GpkgDialect(Dialect):
    """SQLite with ``?`` parameters, GeoPackage geometry blobs, times and JSON as text."""

    name = "gpkg"
    integrity_errors = (sqlite3.IntegrityError,)
    user_errors = (sqlite3.IntegrityError,)

    def __init__(self, path: Path):
        self.path = Path(path)

    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute("PRAGMA foreign_keys = ON")
        _gpkgblob.register_functions(conn)
        return conn

    @contextlib.contextmanager
    def connection(self, connect):
        conn = connect()
        try:
            yield conn
        finally:
            conn.close()

    @contextlib.contextmanager
    def transaction(self, conn):
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @contextlib.contextmanager
    def savepoint(self, conn):
        conn.execute("SAVEPOINT fossilgis_sp")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK TO fossilgis_sp")
            raise
        finally:
            conn.execute("RELEASE fossilgis_sp")

    def table_exists(self, db, name: str) -> bool:
        if not self.path.exists():  # connecting would create an empty file
            return False
        row = db.one("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,))
        return row is not None

    def migrate(self, db, *, create: bool, fill) -> None:
        gpkg_schema.migrate(db, fill=fill)

    def describe(self) -> str:
        return f"GeoPackage {self.path}"

    def insert_ignore(self, table, ncols, key) -> str:
        return f"INSERT OR IGNORE INTO {table} VALUES ({', '.join('?' * ncols)})"

    def upsert(self, table, cols, key) -> str:
        return f"INSERT OR REPLACE INTO {table} VALUES ({', '.join('?' * len(cols))})"

    def bbox_clause(self, table, bbox, args) -> str:
        minx, miny, maxx, maxy = (float(v) for v in bbox)
        args += [minx, maxx, miny, maxy]
        return (
            f"{table}.fid IN (SELECT id FROM rtree_{table}_geom "
            "WHERE maxx >= ? AND minx <= ? AND maxy >= ? AND miny <= ?)"
        )

    @staticmethod
    def encode_geom(geom):
        return _gpkgblob.encode(geom, SRS_ID)

    @staticmethod
    def decode_geoms(blobs) -> list:
        return _gpkgblob.decode_many(blobs)

    @staticmethod
    def bool(value) -> int:
        return int(bool(value))

    @staticmethod
    def from_json(value):
        return json.loads(value)

    @staticmethod
    def load_team(value) -> list:
        return json.loads(value or "[]")

    @staticmethod
    def to_time(value) -> dt.datetime | None:
        if not value:
            return None
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))

    def set_extent(self, conn, table, bounds) -> None:
        """Keep gpkg_contents' extent and timestamp right so GIS clients zoom correctly."""
        minx, miny, maxx, maxy = bounds if bounds is not None else (None,) * 4
        conn.execute(
            "UPDATE gpkg_contents SET min_x=?, min_y=?, max_x=?, max_y=?, "
            "last_change=strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name=?",
            (minx, miny, maxx, maxy, table),
        )

    def grow_extent(self, conn, table, bounds) -> None:
        """Keep gpkg_contents' extent covering the rows so GIS clients zoom correctly."""
        minx, miny, maxx, maxy = bounds
        conn.execute(
            "UPDATE gpkg_contents SET min_x=min(coalesce(min_x, ?), ?), "
            "min_y=min(coalesce(min_y, ?), ?), max_x=max(coalesce(max_x, ?), ?), "
            "max_y=max(coalesce(max_y, ?), ?), "
            "last_change=strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name=?",
            (minx, minx, miny, miny, maxx, maxx, maxy, maxy, table),
        )


class GeoPackageStore(Store):
    """The store in ``data_dir/fossilgis.gpkg`` (created and filled from ``layers/``)."""

    def __init__(self, data_dir: Path, *, create: bool = True):
        data_dir = Path(data_dir)
        self.path = data_dir / GPKG_NAME
        if not self.path.exists() and not create:
            raise StoreError(
                f"no store at {self.path}; create it with `fossilgis layers build "
                f"--data {data_dir}`"
            )
        super().__init__(Database(GpkgDialect(self.path)), data_dir)

    def protected_paths(self) -> dict:
        """The GeoPackage, its SQLite sidecars, the photo folder and the secret key."""
        own = {self.path: "the store's GeoPackage (数据存储文件)"}
        for suffix, what in (
            ("-wal", "write-ahead log"),
            ("-shm", "shared-memory index"),
            ("-journal", "rollback journal"),
        ):
            own[self.path.with_name(self.path.name + suffix)] = f"the store's SQLite {what}"
        return {**own, **super().protected_paths()}
