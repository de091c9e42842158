"""Patrols, photos, users, API tokens and the audit log in the GeoPackage store (a mixin).

Every write is one ``BEGIN IMMEDIATE`` transaction that also appends its audit row, so a
crash leaves either nothing or the whole record with its audit row. A patrol's uniqueness
is the ``UNIQUE`` index on ``patrols.uuid``; photo files are written (temp file, fsync,
rename) before the transaction that references them, so a stored record never points at a
missing file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Callable

from fossilgis.store import _gpkgblob
from fossilgis.store._common import SRS_ID, SqlDialect, fsync_write
from fossilgis.store.patrols_base import (
    PATROL_COLS,
    PATROL_FIELDS,
    WAYPOINT_COLS,
    WAYPOINT_FIELDS,
    PatrolStoreLogic,
    now_text,
)

#: test hook: called inside the patrol write transaction after each waypoint row
#: (the kill test makes it sleep so that the process can be killed mid-transaction)
_after_waypoint_row: Callable[[], None] | None = None


_PATROL_COLS = PATROL_COLS
_WAYPOINT_COLS = WAYPOINT_COLS
_now = now_text
_fsync_write = fsync_write


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


def migration_2(store) -> None:
    """Patrols and waypoints (feature tables), photos, users, API tokens, audit log."""
    from fossilgis.store.gpkg import _create_feature_table

    if not store._table_exists("patrols"):
        _create_feature_table(store.path, "patrols", PATROL_FIELDS, "Unknown")
    if not store._table_exists("waypoints"):
        _create_feature_table(store.path, "waypoints", WAYPOINT_FIELDS, "Point")
    with store._tx() as conn:  # executescript would commit: one statement at a time
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


def migration_3(store) -> None:
    """Server-side sign-in sessions (the ``sessions`` table)."""
    with store._tx() as conn:
        for statement in MIGRATION_3_SQL:
            conn.execute(statement)


def _time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


class GpkgDialect(SqlDialect):
    """The GeoPackage side of the shared store logic: sqlite3 with ``?`` parameters."""

    @staticmethod
    def _bool(value) -> int:
        return int(bool(value))

    @staticmethod
    def _encode_geom(geom):
        return _gpkgblob.encode(geom, SRS_ID)

    @staticmethod
    def _decode_geoms(blobs) -> list:
        return _gpkgblob.decode_many(blobs)

    @staticmethod
    def _from_json(value):
        return json.loads(value)


class PatrolStoreMixin(GpkgDialect, PatrolStoreLogic):
    """Patrol, photo, user, token and audit methods of :class:`GeoPackageStore`."""

    _INTEGRITY_ERRORS = (sqlite3.IntegrityError,)

    @staticmethod
    def _to_time(value):
        return _time(value)

    @staticmethod
    def _load_team(value) -> list:
        return json.loads(value or "[]")

    def _insert_ignore(self, table, ncols, key) -> str:
        return f"INSERT OR IGNORE INTO {table} VALUES ({', '.join('?' * ncols)})"

    def _bbox_clause(self, table, bbox, args) -> str:
        minx, miny, maxx, maxy = (float(v) for v in bbox)
        args += [minx, maxx, miny, maxy]
        return (
            f"{table}.fid IN (SELECT id FROM rtree_{table}_geom "
            "WHERE maxx >= ? AND minx <= ? AND maxy >= ? AND miny <= ?)"
        )

    @contextlib.contextmanager
    def _user_errors(self, username, role):
        try:
            yield
        except sqlite3.IntegrityError:
            if self.get_user(username) is not None:
                raise self._user_taken(username) from None
            raise self._bad_role(role) from None

    def _insert_children(self, conn, patrol) -> None:
        hook = _after_waypoint_row
        sql = self._waypoint_sql()
        for seq, row in enumerate(self._waypoint_rows(patrol)):
            try:
                conn.execute(sql, row)
            except sqlite3.IntegrityError:
                other = conn.execute(
                    "SELECT patrol_uuid FROM waypoints WHERE uuid=?", (row[0],)
                ).fetchone()
                raise self._waypoint_clash(seq, row[0], other[0] if other else "?") from None
            if hook is not None:
                hook()
        self._insert_photo_links(conn, patrol)
        geom = patrol.geometry
        if geom is not None:
            self._grow_extent(conn, "patrols", geom.bounds)
        if patrol.waypoints:
            xs = [w.lon for w in patrol.waypoints]
            ys = [w.lat for w in patrol.waypoints]
            self._grow_extent(conn, "waypoints", (min(xs), min(ys), max(xs), max(ys)))

    @staticmethod
    def _grow_extent(conn, table, bounds) -> None:
        """Keep gpkg_contents' extent covering the rows so GIS clients zoom correctly."""
        minx, miny, maxx, maxy = bounds
        conn.execute(
            "UPDATE gpkg_contents SET min_x=min(coalesce(min_x, ?), ?), "
            "min_y=min(coalesce(min_y, ?), ?), max_x=max(coalesce(max_x, ?), ?), "
            "max_y=max(coalesce(max_y, ?), ?), "
            "last_change=strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name=?",
            (minx, minx, miny, miny, maxx, maxx, maxy, maxy, table),
        )
