"""The PostGIS store: the same data as the GeoPackage store, in a PostgreSQL schema.

Selected with ``--store postgresql://…`` (or ``FOSSILGIS_STORE``). The tables live in
their own schema (``fossilgis`` unless the URL says ``?schema=NAME`` or
``FOSSILGIS_PG_SCHEMA`` is set) with ``geometry(…, 4490)`` columns and GiST indexes.
Photos stay files in the data directory (``--data``), which also holds the web app's
secret key; every app process must see the same directory.

Each write is one transaction. Uniqueness comes from constraints (``INSERT … ON CONFLICT
DO NOTHING`` and then a comparison of content hashes), so READ COMMITTED is enough. The
audit table refuses UPDATE, DELETE and TRUNCATE with a trigger. Values come back as the
same Python types as from the GeoPackage store. The schema and its migrations are in
:mod:`fossilgis.store.postgis_schema`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import threading
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fossilgis.errors import StoreError
from fossilgis.store import postgis_schema
from fossilgis.store._common import SRS_ID
from fossilgis.store.base import Store
from fossilgis.store.db import Database, Dialect

DEFAULT_SCHEMA = "fossilgis"
SCHEMA_VERSION = postgis_schema.SCHEMA_VERSION
MIGRATIONS = postgis_schema.MIGRATIONS
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


class PgDialect(Dialect):
    """psycopg 3 with ``%s`` parameters, pooled autocommit connections, PostGIS types."""

    name = "postgis"
    collate = ' COLLATE "C"'  # the byte order SQLite uses, whatever the database's locale
    for_update = " FOR UPDATE"
    json_param = "?::jsonb"
    geom_param = f"ST_GeomFromWKB(?, {SRS_ID})"
    int_counts = True

    def __init__(self, conninfo: str, schema: str):
        import psycopg

        self.conninfo, self.schema = conninfo, schema
        self.integrity_errors = (psycopg.errors.UniqueViolation,)
        self.user_errors = (psycopg.errors.UniqueViolation, psycopg.errors.CheckViolation)
        self.check_errors = (psycopg.errors.CheckViolation,)
        self._idle: list = []
        self._lock = threading.Lock()
        self._pid = os.getpid()

    # -- connections, transactions, schema ------------------------------------------------
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
    def connection(self, connect):
        """A pooled connection (one per thread at a time; reconnects after a fork)."""
        import psycopg

        with self._lock:
            if self._pid != os.getpid():  # never share a socket with a parent process
                self._idle, self._pid = [], os.getpid()
            conn = self._idle.pop() if self._idle else None
        if conn is None or conn.closed:
            conn = connect()
        ok = False
        try:
            yield conn
            ok = True
        finally:
            reusable = (
                ok
                and isinstance(conn, psycopg.Connection)
                and not conn.closed
                and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            )
            if reusable:
                with self._lock:
                    if len(self._idle) < 16 and self._pid == os.getpid():
                        # marked as pooled, as psycopg_pool marks its own: a store dropped
                        # without close() frees its idle connections when the collector
                        # reaches it (libpq closes them), which psycopg would otherwise
                        # report as a connection "deleted while still open"
                        conn._pool = None
                        self._idle.append(conn)
                        conn = None
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            with contextlib.suppress(Exception):
                conn.close()

    def __del__(self):  # pragma: no cover - best effort
        try:
            self.close()
        except Exception:  # noqa: S110 - also at interpreter exit, when modules are gone
            pass

    def transaction(self, conn):
        return conn.transaction()

    def savepoint(self, conn):
        return conn.transaction()  # nested: a savepoint

    def lock(self, conn, what: str, name: str) -> None:
        conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))",
            (f"fossilgis-{what}:{self.schema}:{name}",),
        )

    def table_exists(self, db, name: str) -> bool:
        row = db.one("SELECT to_regclass(?)", (f"{self.schema}.{name}",))
        return row[0] is not None

    def migrate(self, db, *, create: bool, fill) -> None:
        postgis_schema.migrate(db, create=create, fill=fill)

    def describe(self) -> str:
        return f"PostGIS {redact(self.conninfo)} (schema {self.schema})"

    # -- SQL text -----------------------------------------------------------------------
    @staticmethod
    def q(sql: str) -> str:
        return sql.replace("?", "%s")

    def insert_ignore(self, table, ncols, key) -> str:
        marks = ", ".join("?" * ncols)
        return f"INSERT INTO {table} VALUES ({marks}){self.conflict_clause(key)}"

    def upsert(self, table, cols, key) -> str:
        sets = ", ".join(f"{c}=excluded.{c}" for c in cols if c != key)
        return (
            f"INSERT INTO {table} VALUES ({', '.join('?' * len(cols))}) "
            f"ON CONFLICT ({key}) DO UPDATE SET {sets}"
        )

    def conflict_clause(self, key: str) -> str:
        return f" ON CONFLICT ({key}) DO NOTHING"

    @staticmethod
    def in_(col, values):
        return f"{col} = ANY(?)", [list(values)]

    def bbox_clause(self, table, bbox, args) -> str:
        minx, miny, maxx, maxy = (float(v) for v in bbox)
        args += [minx, miny, maxx, maxy]
        return f"geom && ST_MakeEnvelope(?, ?, ?, ?, {SRS_ID})"

    @staticmethod
    def executemany(conn, sql, rows) -> int:
        with conn.cursor() as cur:
            cur.executemany(sql, rows)
            return cur.rowcount

    # -- values -------------------------------------------------------------------------
    @staticmethod
    def geom_col(col: str) -> str:
        return f"ST_AsBinary({col})"

    @staticmethod
    def encode_geom(geom):
        import shapely

        return None if geom is None else shapely.to_wkb(geom, output_dimension=2)

    def encode_geoms(self, geoms) -> list:
        import numpy as np
        import shapely

        return list(shapely.to_wkb(np.asarray(geoms, dtype=object), output_dimension=2))

    @staticmethod
    def decode_geoms(blobs) -> list:
        import shapely

        return list(shapely.from_wkb([None if b is None else bytes(b) for b in blobs]))

    @staticmethod
    def bool(value) -> bool:
        return bool(value)

    @staticmethod
    def from_json(value):
        return value  # jsonb comes back decoded

    @staticmethod
    def load_team(value) -> list:
        return list(value or [])

    @staticmethod
    def to_time(value: dt.datetime | None) -> dt.datetime | None:
        """Aware, in datetime.timezone.utc, as the GeoPackage store returns times."""
        return None if value is None else value.astimezone(dt.timezone.utc)

    @staticmethod
    def time_text(value: dt.datetime | None) -> str | None:
        from fossilgis.patrols.model import format_time

        return None if value is None else format_time(value)

    @staticmethod
    def layer_time(value) -> str | None:
        return _iso_seconds(value)


class PostGISStore(Store):
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

    def __init__(
        self,
        url: str,
        data_dir,
        *,
        create: bool = True,
        build: bool = True,
        schema: str | None = None,
    ):
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:  # pragma: no cover - psycopg is a dependency
            raise StoreError(
                f"the PostGIS store needs psycopg 3 ({exc}); pip install 'psycopg[binary]'"
            ) from None
        self.url = url
        self.conninfo, self.schema = split_url(url, schema)
        super().__init__(
            Database(PgDialect(self.conninfo, self.schema)),
            data_dir,
            create=create,
            build=build,
            dir_note=" (photos, secret key)",
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
        empty = (
            np.array([], dtype=np.int64),
            np.array([], dtype=object),
            np.array([], dtype=object),
        )
        if not len(positions):
            return empty
        hexes = shapely.to_wkb(
            shapely.set_srid(geoms[positions], SRS_ID),
            hex=True,
            include_srid=True,
            output_dimension=2,
        )
        ymax = float(np.abs(shapely.bounds(geoms[positions])[:, [1, 3]]).max())
        # generous degree margins: 1 m ≥ 1/111 500 ° of latitude anywhere
        dlat = distance_m / 110_000 * 1.05
        dlon = distance_m / (111_320 * max(math.cos(math.radians(min(ymax + 1, 89))), 0.01)) * 1.05
        with self.db.tx() as conn:
            conn.execute(
                "CREATE TEMP TABLE fossilgis_fp (pos integer, geom geometry) ON COMMIT DROP"
            )
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
        return (
            np.asarray(pos, dtype=np.int64),
            np.asarray(kinds, dtype=object),
            np.asarray(ids, dtype=object),
        )
