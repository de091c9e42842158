"""The PostGIS store's schema: numbered migrations (the GeoPackage store's numbers).

Migrations are recorded in ``fossilgis_meta`` and run in one transaction under an advisory
lock, so several processes starting at once migrate the schema exactly once.
"""

from __future__ import annotations

from fossilgis.errors import StoreError
from fossilgis.schema import LAYER_FIELDS, LAYER_KINDS
from fossilgis.store._common import SRS_ID
from fossilgis.store.columns import (
    PATROL_FIELDS_6,
    WAYPOINT_FIELDS_6,
    case_ddl,
    field_patrol_ddl,
    formation_ddl,
)

_SQL_TYPES = {"str": "text", "float": "double precision", "int": "bigint"}


#: migration 2: the tables of :mod:`fossilgis.store.gpkg_schema` with PostgreSQL types
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


#: migration 3: server-side sign-in sessions (see :mod:`fossilgis.store.gpkg_schema`)
MIGRATION_3_SQL = [
    """CREATE TABLE IF NOT EXISTS sessions (
        sid_sha256 text PRIMARY KEY, username text NOT NULL,
        created_at timestamptz NOT NULL, expires_at timestamptz NOT NULL,
        ended_at timestamptz)""",
    "CREATE INDEX IF NOT EXISTS sessions_user ON sessions (username)",
    "CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires_at)",
]


def _layer_ddl(kind: str) -> list[str]:
    cols = ", ".join(f"{n} {_SQL_TYPES[t]}" for n, t, _ in LAYER_FIELDS[kind])
    return [
        f"CREATE TABLE IF NOT EXISTS {kind} (fid bigserial PRIMARY KEY, {cols}, extra jsonb, "
        f"geom geometry(Geometry, {SRS_ID}))",
        f"CREATE INDEX IF NOT EXISTS {kind}_geom ON {kind} USING gist (geom)",
        f"CREATE INDEX IF NOT EXISTS {kind}_id ON {kind} (id)",
    ]


def _migration_1(conn) -> None:
    """Reference layers (sites, sections), their version metadata and archive."""
    for kind in LAYER_KINDS:
        for statement in _layer_ddl(kind):
            conn.execute(statement)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS layer_meta ("
        " kind text PRIMARY KEY, version integer NOT NULL, source text,"
        " demonstration boolean NOT NULL DEFAULT true, updated_at timestamptz,"
        " updated_by text)"
    )
    conn.execute(
        "CREATE TABLE IF NOT EXISTS layer_archive ("
        " kind text NOT NULL, version integer NOT NULL, source text,"
        " demonstration boolean NOT NULL, feature_count integer NOT NULL,"
        " replaced_at timestamptz NOT NULL, replaced_by text, note text,"
        " features text NOT NULL, PRIMARY KEY (kind, version))"
    )


def _migration_2(conn) -> None:
    """Patrols and waypoints, photos, users, API tokens, the append-only audit log."""
    for statement in MIGRATION_2_SQL:
        conn.execute(statement)


def _migration_3(conn) -> None:
    """Server-side sign-in sessions (the ``sessions`` table)."""
    for statement in MIGRATION_3_SQL:
        conn.execute(statement)


#: PostgreSQL types of the case tables' column kinds
_CASE_TYPES = {
    "text": "text",
    "int": "bigint",
    "real": "double precision",
    "time": "timestamptz",
    "json": "jsonb",
    "bool": "boolean",
}


def _migration_4(conn) -> None:
    """The case register (see :mod:`fossilgis.store.gpkg_schema`)."""
    conn.execute(
        f"""CREATE TABLE IF NOT EXISTS case_footprints (
        fid bigserial PRIMARY KEY, case_number text NOT NULL, screen_seq bigint NOT NULL,
        project_id text NOT NULL, footprint_index bigint NOT NULL, area_m2 double precision,
        geom geometry(Geometry, {SRS_ID}))"""
    )
    conn.execute(
        "CREATE INDEX IF NOT EXISTS case_footprints_geom ON case_footprints USING gist (geom)"
    )
    for statement in case_ddl(_CASE_TYPES):
        conn.execute(statement)


def _migration_5(conn) -> None:
    """The geological map (see :mod:`fossilgis.store.gpkg_schema`)."""
    conn.execute(
        f"""CREATE TABLE IF NOT EXISTS formations (
        fid bigserial PRIMARY KEY, version bigint NOT NULL, unit text, name_zh text,
        name_en text, age text, lithology text, extra jsonb,
        geom geometry(Geometry, {SRS_ID}))"""
    )
    conn.execute("CREATE INDEX IF NOT EXISTS formations_geom ON formations USING gist (geom)")
    for statement in formation_ddl(_CASE_TYPES):
        conn.execute(statement)


def _migration_6(conn) -> None:
    """Field patrols (see :mod:`fossilgis.store.gpkg_schema`)."""
    for table, fields in (("patrols", PATROL_FIELDS_6), ("waypoints", WAYPOINT_FIELDS_6)):
        for name, kind, _ in fields:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {name} {_SQL_TYPES[kind]}")
    for statement in field_patrol_ddl(_CASE_TYPES):
        conn.execute(statement)


#: numbered migrations, the same numbers as the GeoPackage store's; append, never edit
MIGRATIONS = [_migration_1, _migration_2, _migration_3, _migration_4, _migration_5, _migration_6]
SCHEMA_VERSION = len(MIGRATIONS)


def version_in(conn, schema: str) -> int:
    """The migration ``schema`` has reached, read on ``conn`` (0: none)."""
    exists = conn.execute("SELECT to_regclass(%s)", (f"{schema}.fossilgis_meta",)).fetchone()[0]
    if exists is None:
        return 0
    row = conn.execute("SELECT value FROM fossilgis_meta WHERE key='schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(db, *, create: bool, fill) -> None:
    """Bring the schema up to :data:`SCHEMA_VERSION`; ``fill()`` a new one (or None)."""
    dialect = db.dialect
    # a session advisory lock spans the migrations and the first fill from layers/, so
    # a second process waits and then finds the schema built and filled
    with db.read() as conn:
        key = f"fossilgis-migrate:{dialect.schema}"
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
        try:
            fresh = _migrate_locked(conn, dialect.schema, dialect.describe(), create)
            if fresh and fill is not None:
                fill()
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))


def _migrate_locked(conn, schema: str, where: str, create: bool) -> bool:
    import psycopg

    current = version_in(conn, schema)
    if current > SCHEMA_VERSION:
        raise StoreError(
            f"{where} has schema version {current}, newer than this fossilgis "
            f"({SCHEMA_VERSION}); upgrade fossilgis"
        )
    if current == SCHEMA_VERSION:
        return False
    if not create:
        raise StoreError(
            f"no fossilgis schema in {where}; create it with `fossilgis --store URL layers build`"
        )
    has_postgis = conn.execute("SELECT 1 FROM pg_extension WHERE extname='postgis'").fetchone()
    try:
        with conn.transaction():
            if not has_postgis:
                conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS fossilgis_meta "
                "(key text PRIMARY KEY, value text NOT NULL)"
            )
            for number in range(current + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[number - 1](conn)
                conn.execute(
                    "INSERT INTO fossilgis_meta VALUES ('schema_version', %s) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (str(number),),
                )
    except psycopg.errors.InsufficientPrivilege as exc:
        raise StoreError(
            f"cannot create the fossilgis schema in {where}: "
            f"{exc.diag.message_primary}. As a superuser run `CREATE EXTENSION postgis;` "
            f"and `GRANT CREATE ON DATABASE … TO …` (docs/deploy.md)"
        ) from None
    except psycopg.errors.FeatureNotSupported as exc:
        raise StoreError(
            f"PostGIS is not installed on the server of {where}: "
            f"{exc.diag.message_primary}; apt-get install postgis"
        ) from None
    return current == 0
