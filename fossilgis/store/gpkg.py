"""The embedded default store: one GeoPackage file in the data directory.

Layout of the data directory::

    fossilgis.gpkg   reference layers, their archived versions, store metadata
    photos/          patrol photos, content-addressed (ab/cdef….jpg), thumbs/ thumbnails
    secret_key       the web app's signing key, made on first run (mode 0600)

Rows are written with sqlite3 in explicit transactions (``BEGIN IMMEDIATE``), so a crash
leaves either the old or the new state. A patrol's uniqueness is the ``UNIQUE`` index on
``patrols.uuid``. The schema and its migrations are in :mod:`fossilgis.store.gpkg_schema`.

Each thread keeps its connection for its next use: SQLite parses a GeoPackage's schema
(~2 ms) on a connection's first statement, and closing the last connection to a WAL
database checkpoints it. The writers of one process queue on a lock before ``BEGIN
IMMEDIATE`` instead of in SQLite's busy handler, which sleeps up to 100 ms between tries.
GDAL brings its own copy of SQLite: it must not open the file while this process keeps
connections to it (migrations release them first; so must code that hands the file to
pyogrio), since closing its handle would drop our locks and remove the WAL.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import threading
import weakref
from pathlib import Path

import shapely

from fossilgis.errors import StoreError
from fossilgis.store import _gpkgblob, gpkg_schema
from fossilgis.store._common import SRS_ID
from fossilgis.store.base import Store
from fossilgis.store.db import Database, Dialect

GPKG_NAME = "fossilgis.gpkg"
SCHEMA_VERSION = gpkg_schema.SCHEMA_VERSION
MIGRATIONS = gpkg_schema.MIGRATIONS
#: SQL function on every connection: 1 when a GeoPackage geometry meets a box (exact test)
INTERSECTS_BOX = "fossilgis_intersects_box"


class _File:
    """What the stores of this process share about one GeoPackage file: the writers' lock
    and each thread's kept connection."""

    def __init__(self):
        self.writer = threading.RLock()
        #: per thread: ((pid, file id, generation, connect), connection)
        self.kept = threading.local()
        self.generation = 0  # a release makes every kept connection stale
        self.held = 0  # > 0: GDAL works on the file, no connection is kept


#: the files of the open stores (an entry lives as long as a store of that file)
_FILES: weakref.WeakValueDictionary[str, _File] = weakref.WeakValueDictionary()
_FILES_LOCK = threading.Lock()


def _intersects_box(blob, minx, miny, maxx, maxy) -> int:
    (geom,) = _gpkgblob.decode_many([blob])
    return int(geom is not None and shapely.intersects(geom, shapely.box(minx, miny, maxx, maxy)))


def _file_id(path: Path):
    """(device, inode) of ``path``, or None: a file put in its place is another database."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


class GpkgDialect(Dialect):
    """SQLite with ``?`` parameters, GeoPackage geometry blobs, times and JSON as text."""

    name = "gpkg"
    serial_writers = True
    integrity_errors = (sqlite3.IntegrityError,)
    user_errors = (sqlite3.IntegrityError,)

    def __init__(self, path: Path):
        self.path = Path(path)
        with _FILES_LOCK:
            self._file = _FILES.setdefault(str(self.path.resolve()), _File())

    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute("PRAGMA foreign_keys = ON")
        _gpkgblob.register_functions(conn)
        conn.create_function(INTERSECTS_BOX, 5, _intersects_box, deterministic=True)
        return conn

    def _key(self, connect, generation: int) -> tuple:
        # a test may replace Database.connect: a connection of the other one is not reused
        maker = getattr(connect, "__func__", connect)
        return os.getpid(), _file_id(self.path), generation, maker

    @contextlib.contextmanager
    def connection(self, connect):
        """This thread's kept connection (else a new one), kept again when it is left
        outside a transaction after a normal exit; never one made before a fork, for a
        file since replaced, by another ``connect`` or before :meth:`release`."""
        file = self._file
        generation = file.generation
        key = self._key(connect, generation)
        kept = file.kept.__dict__.pop("conn", None)
        conn = None
        if kept is not None:
            if kept[0] == key:
                conn = kept[1]
            else:
                with contextlib.suppress(Exception):
                    kept[1].close()
        if conn is None:
            conn = connect()
            key = self._key(connect, generation)  # connecting may have made the file
        keep = False
        try:
            yield conn
            keep = not conn.in_transaction and generation == file.generation and not file.held
        finally:
            if keep and "conn" not in file.kept.__dict__:
                file.kept.conn = (key, conn)
            else:
                conn.close()

    def release(self) -> None:
        """Close this thread's kept connection to the file; the other threads' are stale
        from now on (closed at their next use)."""
        file = self._file
        file.generation += 1
        kept = file.kept.__dict__.pop("conn", None)
        if kept is not None:
            with contextlib.suppress(Exception):
                kept[1].close()

    def close(self) -> None:
        self.release()

    @contextlib.contextmanager
    def transaction(self, conn):
        # the writers of this process wait here (woken at once), not in busy_timeout
        writer = self._file.writer
        queued = writer.acquire(timeout=30)
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        finally:
            if queued:
                writer.release()

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
        # GDAL, with its own copy of SQLite, creates the feature tables: no connection of
        # this process may stay open meanwhile (closing its last handle, GDAL's SQLite
        # would take the file's locks and remove the WAL from under ours)
        with _FILES_LOCK:
            self._file.held += 1
        try:
            self.release()
            gpkg_schema.migrate(db, fill=fill)
        finally:
            with _FILES_LOCK:
                self._file.held -= 1

    def describe(self) -> str:
        return f"GeoPackage {self.path}"

    def insert_ignore(self, table, ncols, key) -> str:
        return f"INSERT OR IGNORE INTO {table} VALUES ({', '.join('?' * ncols)})"

    def upsert(self, table, cols, key) -> str:
        return f"INSERT OR REPLACE INTO {table} VALUES ({', '.join('?' * len(cols))})"

    def conflict_clause(self, key: str) -> str:
        return f" ON CONFLICT ({key}) DO NOTHING"  # SQLite ≥ 3.24, a unique index on key

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

    def encode_geoms(self, geoms) -> list:
        return _gpkgblob.encode_many(geoms, SRS_ID)

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
