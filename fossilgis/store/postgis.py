"""The PostGIS store: the same data as the GeoPackage store, in a PostgreSQL schema.

Selected with ``--store postgresql://…`` (or ``FOSSILGIS_STORE``). The tables live in
their own schema (``fossilgis`` unless the URL says ``?schema=NAME`` or
``FOSSILGIS_PG_SCHEMA`` is set) with ``geometry(…, 4490)`` columns and GiST indexes.
Photos stay files in the data directory (``--data``), which also holds the web app's
secret key; every app process must see the same directory.

Each write is one transaction. Uniqueness comes from constraints (``INSERT … ON CONFLICT
DO NOTHING`` and then a comparison of content hashes), so READ COMMITTED is enough. The
audit table refuses UPDATE, DELETE and TRUNCATE with a trigger. Migrations are numbered
in ``fossilgis_meta`` and run under an advisory lock, so several processes starting at
once migrate the schema exactly once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import threading
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fossilgis.errors import StoreError
from fossilgis.schema import LAYER_FIELDS, LAYER_KINDS, field_names
from fossilgis.store._common import SRS_ID, LayerStoreLogic
from fossilgis.store.base import Store
from fossilgis.store.postgis_patrols import (
    MIGRATION_2_SQL,
    MIGRATION_3_SQL,
    PostGISPatrolMixin,
)

DEFAULT_SCHEMA = "fossilgis"
_SQL_TYPES = {"str": "text", "float": "double precision", "int": "bigint"}
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _iso_seconds(value) -> str | None:
    """A timestamptz as the GeoPackage store writes layer times (``…+00:00``)."""
    if value is None:
        return None
    return value.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def is_postgres_url(value) -> bool:
    return isinstance(value, str) and value.startswith(("postgresql://", "postgres://"))


def split_url(url: str, schema: str | None = None) -> tuple[str, str]:
    """(libpq URL without ``schema=``, schema name) for a store URL.

    Raises StoreError for a schema name that is not a plain lower-case SQL identifier.
    """
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    from_url = [v for k, v in query if k == "schema"]
    rest = [(k, v) for k, v in query if k != "schema"]
    name = schema or (from_url[-1] if from_url else None)
    name = name or os.environ.get("FOSSILGIS_PG_SCHEMA") or DEFAULT_SCHEMA
    if not _SCHEMA_NAME.match(name):
        raise StoreError(
            f"store URL: schema {name!r} is not a plain lower-case SQL name "
            "(letters, digits, _; not starting with a digit); e.g. ?schema=fossilgis"
        )
    return urlunsplit(parts._replace(query=urlencode(rest))), name


def redact(url: str) -> str:
    """The URL without its password, for messages and ``describe()``."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)


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


#: numbered migrations, the same numbers as the GeoPackage store's; append, never edit
MIGRATIONS = [_migration_1, _migration_2, _migration_3]
SCHEMA_VERSION = len(MIGRATIONS)


class PostGISStore(PostGISPatrolMixin, LayerStoreLogic, Store):
    """The store in a PostgreSQL/PostGIS database; photos in ``data_dir``.

    Parameters
    ----------
    url : str
        ``postgresql://user:password@host:port/database[?schema=NAME]``.
    data_dir : path
        Photos and the web app's secret key (shared by every app process).
    create : bool
        Create and migrate the schema when needed (False: refuse a database without it).
    build : bool
        Fill a newly created schema from ``layers/`` (False for ``store migrate``).
    """

    backend = "postgis"

    def __init__(self, url: str, data_dir, *, create: bool = True, build: bool = True,
                 schema: str | None = None):
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:  # pragma: no cover - psycopg is a dependency
            raise StoreError(
                f"the PostGIS store needs psycopg 3 ({exc}); pip install 'psycopg[binary]'"
            ) from None
        self.url = url
        self.conninfo, self.schema = split_url(url, schema)
        self.data_dir = Path(data_dir)
        self._idle: list = []
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._cache: dict[str, tuple[int, object]] = {}
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the data directory {self.data_dir} (photos, secret key): "
                f"{exc.strerror}; choose another with --data DIR or FOSSILGIS_DATA"
            ) from None
        self._migrate(create=create, build=build)

    # -- connections and transactions -------------------------------------------------
    def connect(self):
        """A new autocommit connection with ``search_path`` set to the store's schema."""
        import psycopg

        try:
            return psycopg.connect(
                self.conninfo,
                autocommit=True,
                options=f"-c search_path={self.schema},public -c TimeZone=UTC",
                connect_timeout=30,
            )
        except psycopg.OperationalError as exc:
            raise StoreError(
                f"cannot connect to the PostGIS store {redact(self.conninfo)}: "
                f"{str(exc).strip()}; check --store / FOSSILGIS_STORE and that the server runs"
            ) from None

    @contextlib.contextmanager
    def _conn(self):
        """A pooled connection (one per thread at a time; reconnects after a fork)."""
        import psycopg

        with self._lock:
            if self._pid != os.getpid():  # never share a socket with a parent process
                self._idle, self._pid = [], os.getpid()
            conn = self._idle.pop() if self._idle else None
        if conn is None or conn.closed:
            conn = self.connect()
        ok = False
        try:
            yield conn
            ok = True
        finally:
            reusable = (
                ok and isinstance(conn, psycopg.Connection) and not conn.closed
                and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            )
            if reusable:
                with self._lock:
                    if len(self._idle) < 16 and self._pid == os.getpid():
                        self._idle.append(conn)
                        conn = None
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.close()

    @contextlib.contextmanager
    def _tx(self):
        """One write transaction; rolled back on any error."""
        with self._conn() as conn, conn.transaction():
            yield conn

    @contextlib.contextmanager
    def _read(self):
        with self._conn() as conn:
            yield conn

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            with contextlib.suppress(Exception):
                conn.close()

    def __del__(self):  # pragma: no cover - best effort
        with contextlib.suppress(Exception):
            self.close()

    # -- schema -----------------------------------------------------------------------
    def _version_in(self, conn) -> int:
        exists = conn.execute(
            "SELECT to_regclass(%s)", (f"{self.schema}.fossilgis_meta",)
        ).fetchone()[0]
        if exists is None:
            return 0
        row = conn.execute(
            "SELECT value FROM fossilgis_meta WHERE key='schema_version'"
        ).fetchone()
        return int(row[0]) if row else 0

    @property
    def schema_version(self) -> int:
        with self._read() as conn:
            return self._version_in(conn)

    def _migrate(self, *, create: bool, build: bool) -> None:
        # a session advisory lock spans the migrations and the first fill from layers/, so
        # a second process waits and then finds the schema built and filled
        with self._conn() as conn:
            key = f"fossilgis-migrate:{self.schema}"
            conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
            try:
                fresh = self._migrate_locked(conn, create)
                if fresh and build:
                    from fossilgis.layers import build_store

                    build_store(self)
            finally:
                conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))

    def _migrate_locked(self, conn, create: bool) -> bool:
        import psycopg

        current = self._version_in(conn)
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"{self.describe()} has schema version {current}, newer than this fossilgis "
                f"({SCHEMA_VERSION}); upgrade fossilgis"
            )
        if current == SCHEMA_VERSION:
            return False
        if not create:
            raise StoreError(
                f"no fossilgis schema in {self.describe()}; create it with `fossilgis --store "
                "URL layers build`"
            )
        has_postgis = conn.execute(
            "SELECT 1 FROM pg_extension WHERE extname='postgis'"
        ).fetchone()
        try:
            with conn.transaction():
                if not has_postgis:
                    conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
                conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
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
                f"cannot create the fossilgis schema in {self.describe()}: "
                f"{exc.diag.message_primary}. As a superuser run `CREATE EXTENSION postgis;` "
                f"and `GRANT CREATE ON DATABASE … TO …` (docs/deploy.md)"
            ) from None
        except psycopg.errors.FeatureNotSupported as exc:
            raise StoreError(
                f"PostGIS is not installed on the server of {self.describe()}: "
                f"{exc.diag.message_primary}; apt-get install postgis"
            ) from None
        return current == 0

    # -- reference layers (the rest is in LayerStoreLogic) ------------------------------
    @staticmethod
    def _layer_time(value) -> str | None:
        return _iso_seconds(value)

    def _lock_layer(self, conn, kind) -> None:
        # one writer per layer at a time: the archive's (kind, version) stays unique
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                     (f"fossilgis-layer:{self.schema}:{kind}",))

    def _insert_layer_rows(self, conn, kind, rows) -> None:
        names = field_names(kind)
        placeholders = ", ".join(["%s"] * len(names))
        self._executemany(
            conn,
            f"INSERT INTO {kind} ({', '.join(names)}, extra, geom) VALUES "
            f"({placeholders}, %s::jsonb, ST_GeomFromWKB(%s, {SRS_ID}))",
            rows,
        )

    def _set_layer_meta(self, conn, values) -> None:
        conn.execute(
            "INSERT INTO layer_meta VALUES (%s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (kind) DO UPDATE SET version=excluded.version, "
            "source=excluded.source, demonstration=excluded.demonstration, "
            "updated_at=excluded.updated_at, updated_by=excluded.updated_by",
            values,
        )

    # -- screening in the database ----------------------------------------------------
    def candidate_pairs(self, footprints_deg, distance_m: float):
        """Footprint × target pairs that may lie within ``distance_m``, found in PostGIS.

        The footprints go into a temporary table by COPY (hex EWKB) with a GiST index;
        a box join (``&&`` on the targets' boxes grown by ``distance_m`` in degrees) and
        ``ST_DWithin`` on geography select the pairs. The result is a superset of the
        pairs within ``distance_m`` on the ellipsoid; the caller computes exact metrics.

        Returns
        -------
        (numpy.ndarray, numpy.ndarray, numpy.ndarray)
            Footprint positions (into ``footprints_deg``), target kinds ("site" |
            "section") and target ids.
        """
        import math

        import numpy as np
        import shapely

        geoms = np.asarray(footprints_deg, dtype=object)
        valid = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        positions = np.flatnonzero(valid)
        empty = (np.array([], dtype=np.int64), np.array([], dtype=object),
                 np.array([], dtype=object))
        if not len(positions):
            return empty
        hexes = shapely.to_wkb(shapely.set_srid(geoms[positions], SRS_ID), hex=True,
                               include_srid=True, output_dimension=2)
        ymax = float(np.abs(shapely.bounds(geoms[positions])[:, [1, 3]]).max())
        # generous degree margins: 1 m ≥ 1/111 500 ° of latitude anywhere
        dlat = distance_m / 110_000 * 1.05
        dlon = distance_m / (111_320 * max(math.cos(math.radians(min(ymax + 1, 89))),
                                           0.01)) * 1.05
        with self._tx() as conn:
            conn.execute("CREATE TEMP TABLE fossilgis_fp (pos integer, geom geometry) "
                         "ON COMMIT DROP")
            with conn.cursor() as cur, cur.copy("COPY fossilgis_fp (pos, geom) FROM STDIN") as cp:
                block = []
                for pos, hexwkb in zip(positions.tolist(), hexes.tolist()):
                    block.append(f"{pos}\t{hexwkb}\n")
                    if len(block) >= 10_000:
                        cp.write("".join(block))
                        block = []
                if block:
                    cp.write("".join(block))
            conn.execute("CREATE INDEX ON fossilgis_fp USING gist (geom)")
            conn.execute("ANALYZE fossilgis_fp")
            rows = conn.execute(
                "SELECT f.pos, t.kind, t.id FROM ("
                " SELECT 'site' AS kind, id, geom FROM sites"
                " UNION ALL SELECT 'section', id, geom FROM sections) t"
                " JOIN fossilgis_fp f"
                " ON f.geom && ST_Expand(t.geom, %(dlon)s::float8, %(dlat)s::float8)"
                " WHERE ST_DWithin(f.geom::geography, t.geom::geography, %(m)s, false)",
                {"dlon": dlon, "dlat": dlat, "m": distance_m * 1.01 + 1.0},
            ).fetchall()
        if not rows:
            return empty
        pos, kinds, ids = zip(*rows)
        return (np.asarray(pos, dtype=np.int64), np.asarray(kinds, dtype=object),
                np.asarray(ids, dtype=object))

    def describe(self) -> str:
        return f"PostGIS {redact(self.conninfo)} (schema {self.schema})"
