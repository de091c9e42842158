"""The GeoPackage store's schema: numbered migrations, recorded in ``fossilgis_meta``.

GDAL creates the feature tables (so that QGIS, ogr2ogr and pyogrio read the file as a
normal GeoPackage); the plain tables, indexes and triggers are made with sqlite3. One
process migrates at a time (a lock file in the data directory).
"""

from __future__ import annotations

import fcntl
from pathlib import Path

from fossilgis.errors import StoreError
from fossilgis.schema import LAYER_FIELDS, LAYER_KINDS
from fossilgis.store._common import SRS_ID
from fossilgis.store.columns import (
    CASE_FOOTPRINT_FIELDS,
    FORMATION_FIELDS,
    PATROL_FIELDS,
    PATROL_FIELDS_6,
    WAYPOINT_FIELDS,
    WAYPOINT_FIELDS_6,
    case_ddl,
    field_patrol_ddl,
    formation_ddl,
)


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


def _migration_1(db) -> None:
    """Reference layers (sites, sections), their version metadata and archive."""
    for kind in LAYER_KINDS:
        if not db.table_exists(kind):
            fields = LAYER_FIELDS[kind] + [("extra", "str", False)]
            _create_feature_table(db.dialect.path, kind, fields, "Unknown")
    with db.tx() as conn:
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


#: migration 2's plain tables, indexes and triggers (the feature tables are made by GDAL)
_MIGRATION_2_SQL = [
    "CREATE UNIQUE INDEX IF NOT EXISTS patrols_uuid ON patrols(uuid)",
    "CREATE INDEX IF NOT EXISTS patrols_target ON patrols(target_id, ended_at)",
    "CREATE INDEX IF NOT EXISTS patrols_started ON patrols(started_at)",
    "CREATE UNIQUE INDEX IF NOT EXISTS waypoints_uuid ON waypoints(uuid)",
    "CREATE INDEX IF NOT EXISTS waypoints_patrol ON waypoints(patrol_uuid, seq)",
    "CREATE INDEX IF NOT EXISTS waypoints_category ON waypoints(category)",
    """CREATE TABLE IF NOT EXISTS photos (
        sha256 TEXT PRIMARY KEY, mime TEXT NOT NULL, bytes INTEGER NOT NULL,
        width INTEGER, height INTEGER, lon REAL, lat REAL, taken_at TEXT,
        created_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS patrol_photos (
        patrol_uuid TEXT NOT NULL, seq INTEGER NOT NULL, waypoint_uuid TEXT,
        sha256 TEXT NOT NULL REFERENCES photos(sha256), name TEXT,
        PRIMARY KEY (patrol_uuid, seq))""",
    "CREATE INDEX IF NOT EXISTS patrol_photos_sha ON patrol_photos(sha256)",
    """CREATE TABLE IF NOT EXISTS users (
        username TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('admin', 'patroller', 'viewer')),
        password_hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL, created_by TEXT)""",
    """CREATE TABLE IF NOT EXISTS api_tokens (
        token_sha256 TEXT PRIMARY KEY, username TEXT NOT NULL REFERENCES users(username),
        label TEXT, created_at TEXT NOT NULL, revoked_at TEXT)""",
    """CREATE TABLE IF NOT EXISTS audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, username TEXT,
        action TEXT NOT NULL, object_kind TEXT NOT NULL, object_id TEXT, detail TEXT)""",
    "CREATE INDEX IF NOT EXISTS audit_object ON audit(object_kind, object_id)",
    """CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
]


def _migration_2(db) -> None:
    """Patrols and waypoints (feature tables), photos, users, API tokens, audit log."""
    if not db.table_exists("patrols"):
        _create_feature_table(db.dialect.path, "patrols", PATROL_FIELDS, "Unknown")
    if not db.table_exists("waypoints"):
        _create_feature_table(db.dialect.path, "waypoints", WAYPOINT_FIELDS, "Point")
    with db.tx() as conn:  # executescript would commit: one statement at a time
        for statement in _MIGRATION_2_SQL:
            conn.execute(statement)


#: migration 3: server-side sign-in sessions. A session cookie carries a random id; the
#: store keeps only its SHA-256, so signing out, a password change or disabling the account
#: ends the session in every process at once. No foreign key to ``users``: sessions are
#: not copied by ``store migrate`` (everyone signs in again) and TRUNCATE must not trip.
MIGRATION_3_SQL = [
    """CREATE TABLE IF NOT EXISTS sessions (
        sid_sha256 TEXT PRIMARY KEY, username TEXT NOT NULL, created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL, ended_at TEXT)""",
    "CREATE INDEX IF NOT EXISTS sessions_user ON sessions(username)",
    "CREATE INDEX IF NOT EXISTS sessions_expires ON sessions(expires_at)",
]


def _migration_3(db) -> None:
    """Server-side sign-in sessions (the ``sessions`` table)."""
    with db.tx() as conn:
        for statement in MIGRATION_3_SQL:
            conn.execute(statement)


#: SQLite types of the case tables' column kinds (times ISO 8601 text, JSON text)
_CASE_TYPES = {
    "text": "TEXT",
    "int": "INTEGER",
    "real": "REAL",
    "time": "TEXT",
    "json": "TEXT",
    "bool": "INTEGER",
}


def _migration_4(db) -> None:
    """The case register: cases, their screens, footprints (a feature table), files,
    follow-ups and the number counters."""
    if not db.table_exists("case_footprints"):
        _create_feature_table(db.dialect.path, "case_footprints", CASE_FOOTPRINT_FIELDS, "Unknown")
    with db.tx() as conn:
        for statement in case_ddl(_CASE_TYPES):
            conn.execute(statement)


def _migration_5(db) -> None:
    """The geological map: formation units of every version (a feature table) and where
    each version came from."""
    if not db.table_exists("formations"):
        _create_feature_table(db.dialect.path, "formations", FORMATION_FIELDS, "Unknown")
    with db.tx() as conn:
        for statement in formation_ddl(_CASE_TYPES):
            conn.execute(statement)


_SQLITE_TYPES = {"str": "TEXT", "float": "REAL", "int": "INTEGER"}


def _migration_6(db) -> None:
    """Field patrols: GPS accuracy and altitude of waypoints, the track's source and
    accuracy and the correction count of patrols, alert steps and patrol revisions."""
    with db.tx() as conn:
        for table, fields in (("patrols", PATROL_FIELDS_6), ("waypoints", WAYPOINT_FIELDS_6)):
            have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
            for name, kind, _ in fields:
                if name not in have:
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {_SQLITE_TYPES[kind]}")
        for statement in field_patrol_ddl(_CASE_TYPES):
            conn.execute(statement)


#: numbered migrations; append, never edit a released one
MIGRATIONS = [_migration_1, _migration_2, _migration_3, _migration_4, _migration_5, _migration_6]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db, *, fill) -> None:
    """Bring the GeoPackage up to :data:`SCHEMA_VERSION`; ``fill()`` a new one (or None)."""
    path = db.dialect.path
    lock_path = path.parent / ".migrate.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one process migrates at a time
        current = db.schema_version
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"{path} has schema version {current}, newer than this fossilgis "
                f"({SCHEMA_VERSION}); upgrade fossilgis"
            )
        fresh = current == 0
        for number in range(current + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[number - 1](db)
            with db.tx() as conn:
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS fossilgis_meta "
                    "(key TEXT PRIMARY KEY, value TEXT NOT NULL)"
                )
                conn.execute(
                    "INSERT OR REPLACE INTO fossilgis_meta VALUES ('schema_version', ?)",
                    (str(number),),
                )
        if fresh:
            with db.read() as conn:  # WAL lets readers go on while a patrol is written
                conn.execute("PRAGMA journal_mode=WAL")
    if fresh and fill is not None:
        fill()
