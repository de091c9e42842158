"""Patrols, photos, users, API tokens and the audit log in the PostGIS store (a mixin).

The semantics are the GeoPackage store's (:mod:`fossilgis.store.gpkg_patrols`): every
write is one transaction that also appends its audit row; a patrol's uniqueness is the
``UNIQUE`` constraint on ``patrols.uuid`` (``INSERT … ON CONFLICT DO NOTHING``, then the
stored content hash decides between "already stored" and ConflictError); photo files are
written before the transaction that references them. Values come back as the same Python
types as from the GeoPackage store.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable

from fossilgis.store._common import SRS_ID, SqlDialect
from fossilgis.store.patrols_base import PatrolStoreLogic

#: test hook: called inside the patrol write transaction after each waypoint row
_after_waypoint_row: Callable[[], None] | None = None


#: migration 2: the tables of :mod:`fossilgis.store.gpkg_patrols` with PostgreSQL types
MIGRATION_2_SQL = [
    f"""CREATE TABLE IF NOT EXISTS patrols (
        fid bigserial PRIMARY KEY, uuid text NOT NULL UNIQUE, target_kind text,
        target_id text, target_inferred boolean, target_distance_m double precision,
        team jsonb, started_at timestamptz NOT NULL, ended_at timestamptz NOT NULL,
        purpose text, notes text, created_by text NOT NULL, created_at timestamptz NOT NULL,
        updated_at timestamptz, content_hash text NOT NULL, deleted_at timestamptz,
        deleted_by text, geom geometry(Geometry, {SRS_ID}))""",
    "CREATE INDEX IF NOT EXISTS patrols_geom ON patrols USING gist (geom)",
    "CREATE INDEX IF NOT EXISTS patrols_target ON patrols (target_id, ended_at)",
    "CREATE INDEX IF NOT EXISTS patrols_started ON patrols (started_at)",
    f"""CREATE TABLE IF NOT EXISTS waypoints (
        fid bigserial PRIMARY KEY, uuid text NOT NULL UNIQUE, patrol_uuid text NOT NULL,
        seq integer NOT NULL, observed_at timestamptz NOT NULL, name text, category text,
        severity text, description text, geom geometry(Point, {SRS_ID}))""",
    "CREATE INDEX IF NOT EXISTS waypoints_geom ON waypoints USING gist (geom)",
    "CREATE INDEX IF NOT EXISTS waypoints_patrol ON waypoints (patrol_uuid, seq)",
    "CREATE INDEX IF NOT EXISTS waypoints_category ON waypoints (category)",
    """CREATE TABLE IF NOT EXISTS photos (
        sha256 text PRIMARY KEY, mime text NOT NULL, bytes bigint NOT NULL,
        width integer, height integer, lon double precision, lat double precision,
        taken_at timestamptz, created_at timestamptz NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS patrol_photos (
        patrol_uuid text NOT NULL, seq integer NOT NULL, waypoint_uuid text,
        sha256 text NOT NULL REFERENCES photos(sha256), name text,
        PRIMARY KEY (patrol_uuid, seq))""",
    "CREATE INDEX IF NOT EXISTS patrol_photos_sha ON patrol_photos (sha256)",
    "CREATE INDEX IF NOT EXISTS patrol_photos_waypoint ON patrol_photos (waypoint_uuid)",
    """CREATE TABLE IF NOT EXISTS users (
        username text PRIMARY KEY,
        role text NOT NULL CHECK (role IN ('admin', 'patroller', 'viewer')),
        password_hash text NOT NULL, disabled boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL, created_by text)""",
    """CREATE TABLE IF NOT EXISTS api_tokens (
        token_sha256 text PRIMARY KEY, username text NOT NULL REFERENCES users(username),
        label text, created_at timestamptz NOT NULL, revoked_at timestamptz)""",
    """CREATE TABLE IF NOT EXISTS audit (
        id bigserial PRIMARY KEY, at timestamptz NOT NULL, username text,
        action text NOT NULL, object_kind text NOT NULL, object_id text, detail jsonb)""",
    "CREATE INDEX IF NOT EXISTS audit_object ON audit (object_kind, object_id)",
    """CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$""",
    """CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit
        FOR EACH ROW EXECUTE FUNCTION audit_append_only()""",
    """CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
        FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()""",
]


#: migration 3: server-side sign-in sessions (see :mod:`fossilgis.store.gpkg_patrols`)
MIGRATION_3_SQL = [
    """CREATE TABLE IF NOT EXISTS sessions (
        sid_sha256 text PRIMARY KEY, username text NOT NULL,
        created_at timestamptz NOT NULL, expires_at timestamptz NOT NULL,
        ended_at timestamptz)""",
    "CREATE INDEX IF NOT EXISTS sessions_user ON sessions (username)",
    "CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires_at)",
]


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """A timestamptz as the GeoPackage store returns times: aware, in datetime.timezone.utc."""
    return None if value is None else value.astimezone(dt.timezone.utc)


def _text(value: dt.datetime | None) -> str | None:
    from fossilgis.patrols.model import format_time

    return None if value is None else format_time(value)


class PgDialect(SqlDialect):
    """The PostGIS side of the shared store logic: psycopg 3 with ``%s`` parameters."""

    _COLLATE = ' COLLATE "C"'  # the byte order SQLite uses, whatever the database's locale
    _FOR_UPDATE = " FOR UPDATE"

    @staticmethod
    def _q(sql: str) -> str:
        return sql.replace("?", "%s")

    @staticmethod
    def _geom_col(col: str) -> str:
        return f"ST_AsBinary({col})"

    @staticmethod
    def _bool(value) -> bool:
        return bool(value)

    @staticmethod
    def _encode_geom(geom):
        import shapely

        return None if geom is None else shapely.to_wkb(geom, output_dimension=2)

    @staticmethod
    def _decode_geoms(blobs) -> list:
        import shapely

        return list(shapely.from_wkb([None if b is None else bytes(b) for b in blobs]))

    @staticmethod
    def _from_json(value):
        return value  # jsonb comes back decoded

    @staticmethod
    def _executemany(conn, sql, rows) -> None:
        with conn.cursor() as cur:
            cur.executemany(sql, rows)


class PostGISPatrolMixin(PgDialect, PatrolStoreLogic):
    """Patrol, photo, user, token and audit methods of :class:`PostGISStore`."""

    _JSON_PARAM = "?::jsonb"
    _GEOM_PARAM = f"ST_GeomFromWKB(?, {SRS_ID})"
    _INT_COUNTS = True
    _PATROL_INSERT_SUFFIX = " ON CONFLICT (uuid) DO NOTHING"

    @staticmethod
    def _to_time(value):
        return _utc(value)

    @staticmethod
    def _time_text(value):
        return _text(value)

    @staticmethod
    def _load_team(value) -> list:
        return list(value or [])

    def _insert_ignore(self, table, ncols, key) -> str:
        marks = ", ".join("?" * ncols)
        return f"INSERT INTO {table} VALUES ({marks}) ON CONFLICT ({key}) DO NOTHING"

    def _in(self, col, values):
        return f"{col} = ANY(?)", [list(values)]

    def _bbox_clause(self, table, bbox, args) -> str:
        minx, miny, maxx, maxy = (float(v) for v in bbox)
        args += [minx, miny, maxx, maxy]
        return f"geom && ST_MakeEnvelope(?, ?, ?, ?, {SRS_ID})"

    @contextlib.contextmanager
    def _user_errors(self, username, role):
        import psycopg

        try:
            yield
        except psycopg.errors.UniqueViolation:
            raise self._user_taken(username) from None
        except psycopg.errors.CheckViolation:
            raise self._bad_role(role) from None

    def _insert_children(self, conn, patrol) -> None:
        import psycopg

        hook = _after_waypoint_row
        sql = self._waypoint_sql()
        rows = self._waypoint_rows(patrol)
        try:
            with conn.transaction():  # a savepoint: a clash is reported, then rolled back
                if hook is None:
                    if rows:
                        self._executemany(conn, sql, rows)
                else:
                    for row in rows:
                        conn.execute(sql, row)
                        hook()
        except psycopg.errors.UniqueViolation:
            uuids = [r[0] for r in rows]
            clash = conn.execute(
                "SELECT uuid, patrol_uuid FROM waypoints WHERE uuid = ANY(%s) "
                "AND patrol_uuid <> %s",
                (uuids, patrol.uuid),
            ).fetchall()
            wp_uuid, other = clash[0] if clash else ("?", "?")
            seq = uuids.index(wp_uuid) if wp_uuid in uuids else "?"
            raise self._waypoint_clash(seq, wp_uuid, other) from None
        self._insert_photo_links(conn, patrol)
