"""The embedded default store: one GeoPackage file in the data directory.

Layout of the data directory::

    fossilgis.gpkg   reference layers, their archived versions, store metadata
    photos/          patrol photos, content-addressed (ab/cdef….jpg), thumbs/ thumbnails
    secret_key       the web app's signing key, made on first run (mode 0600)

Rows are written with sqlite3 in explicit transactions (``BEGIN IMMEDIATE``), so a crash
leaves either the old or the new state. GDAL creates the feature tables (so that QGIS,
ogr2ogr and pyogrio read the file as a normal GeoPackage); migrations are numbered and
recorded in ``fossilgis_meta``.
"""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
from pathlib import Path

from fossilgis.errors import StoreError
from fossilgis.schema import LAYER_FIELDS, LAYER_KINDS, field_names
from fossilgis.store import _gpkgblob
from fossilgis.store._common import SRS_ID, LayerStoreLogic
from fossilgis.store.base import Store
from fossilgis.store.gpkg_patrols import PatrolStoreMixin, migration_2, migration_3

GPKG_NAME = "fossilgis.gpkg"
_SQL_TYPES = {"str": "TEXT", "float": "REAL", "int": "INTEGER"}


def _create_feature_table(path: Path, name: str, fields, geometry_type: str) -> None:
    """Create an empty GeoPackage feature table with GDAL (metadata, R-tree, triggers)."""
    import geopandas as gpd
    import pandas as pd
    import pyogrio

    dtypes = {"str": object, "float": "float64", "int": "int64"}
    columns = {n: pd.Series([], dtype=dtypes[t]) for n, t, _ in fields}
    gdf = gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs=f"EPSG:{SRS_ID}"))
    pyogrio.write_dataframe(
        gdf,
        path,
        layer=name,
        driver="GPKG",
        geometry_type=geometry_type,
        append=False,
        layer_options={"GEOMETRY_NAME": "geom", "FID": "fid"},
    )


def _migration_1(store: GeoPackageStore) -> None:
    """Reference layers (sites, sections), their version metadata and archive."""
    for kind in LAYER_KINDS:
        if not store._table_exists(kind):
            fields = LAYER_FIELDS[kind] + [("extra", "str", False)]
            _create_feature_table(store.path, kind, fields, "Unknown")
    with store._tx() as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS layer_meta ("
            " kind TEXT PRIMARY KEY, version INTEGER NOT NULL, source TEXT,"
            " demonstration INTEGER NOT NULL DEFAULT 1, updated_at TEXT, updated_by TEXT)"
        )
        conn.execute(
            "CREATE TABLE IF NOT EXISTS layer_archive ("
            " kind TEXT NOT NULL, version INTEGER NOT NULL, source TEXT,"
            " demonstration INTEGER NOT NULL, feature_count INTEGER NOT NULL,"
            " replaced_at TEXT NOT NULL, replaced_by TEXT, note TEXT,"
            " features TEXT NOT NULL, PRIMARY KEY (kind, version))"
        )


#: numbered migrations; append, never edit a released one
MIGRATIONS = [_migration_1, migration_2, migration_3]
SCHEMA_VERSION = len(MIGRATIONS)


class GeoPackageStore(PatrolStoreMixin, LayerStoreLogic, Store):
    backend = "gpkg"

    def __init__(self, data_dir: Path, *, create: bool = True):
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / GPKG_NAME
        self._cache: dict[str, tuple[int, object]] = {}
        if not self.path.exists():
            if not create:
                raise StoreError(
                    f"no store at {self.path}; create it with `fossilgis layers build "
                    f"--data {self.data_dir}`"
                )
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the data directory {self.data_dir}: {exc.strerror}; "
                "choose another with --data DIR or FOSSILGIS_DATA"
            ) from None
        self._migrate()

    # -- connections and transactions -------------------------------------------------
    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute("PRAGMA foreign_keys = ON")
        _gpkgblob.register_functions(conn)
        return conn

    @contextlib.contextmanager
    def _tx(self):
        """One write transaction; rolled back on any error."""
        conn = self.connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()

    @contextlib.contextmanager
    def _read(self):
        conn = self.connect()
        try:
            yield conn
        finally:
            conn.close()

    def _table_exists(self, name: str) -> bool:
        if not self.path.exists():
            return False
        with self._read() as conn:
            row = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)
            ).fetchone()
        return row is not None

    # -- schema -----------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        if not self._table_exists("fossilgis_meta"):
            return 0
        with self._read() as conn:
            row = conn.execute(
                "SELECT value FROM fossilgis_meta WHERE key='schema_version'"
            ).fetchone()
        return int(row[0]) if row else 0

    def _migrate(self) -> None:
        lock_path = self.data_dir / ".migrate.lock"
        with open(lock_path, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one process migrates at a time
            current = self.schema_version
            if current > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} has schema version {current}, newer than this fossilgis "
                    f"({SCHEMA_VERSION}); upgrade fossilgis"
                )
            fresh = current == 0
            for number in range(current + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[number - 1](self)
                with self._tx() as conn:
                    conn.execute(
                        "CREATE TABLE IF NOT EXISTS fossilgis_meta "
                        "(key TEXT PRIMARY KEY, value TEXT NOT NULL)"
                    )
                    conn.execute(
                        "INSERT OR REPLACE INTO fossilgis_meta VALUES ('schema_version', ?)",
                        (str(number),),
                    )
            if fresh:
                with self._read() as conn:  # WAL lets readers go on while a patrol is written
                    conn.execute("PRAGMA journal_mode=WAL")
        if fresh:
            from fossilgis.layers import build_store

            build_store(self)

    # -- reference layers (the rest is in LayerStoreLogic) ------------------------------
    def _insert_layer_rows(self, conn, kind, rows) -> None:
        names = field_names(kind) + ["extra", "geom"]
        conn.executemany(
            f"INSERT INTO {kind} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            rows,
        )

    def _set_layer_meta(self, conn, values) -> None:
        conn.execute("INSERT OR REPLACE INTO layer_meta VALUES (?, ?, ?, ?, ?, ?)", values)

    def _touch_contents(self, conn, kind, gdf) -> None:
        """Keep gpkg_contents' extent and timestamp right so GIS clients zoom correctly."""
        if len(gdf):
            minx, miny, maxx, maxy = (float(v) for v in gdf.total_bounds)
        else:
            minx = miny = maxx = maxy = None
        conn.execute(
            "UPDATE gpkg_contents SET min_x=?, min_y=?, max_x=?, max_y=?, "
            "last_change=strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name=?",
            (minx, miny, maxx, maxy, kind),
        )

    def protected_paths(self) -> dict:
        """The GeoPackage, its SQLite sidecars, the photo folder and the secret key."""
        own = {self.path: "the store's GeoPackage (数据存储文件)"}
        for suffix, what in (("-wal", "write-ahead log"), ("-shm", "shared-memory index"),
                             ("-journal", "rollback journal")):
            own[self.path.with_name(self.path.name + suffix)] = f"the store's SQLite {what}"
        return {**own, **super().protected_paths()}

    def describe(self) -> str:
        return f"GeoPackage {self.path}"
