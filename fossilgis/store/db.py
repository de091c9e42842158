"""The database wrapper the repositories use, and the dialect interface it is built on.

Repositories write their SQL once with ``?`` placeholders and run it through
:class:`Database`, which hands what really differs between SQLite (GeoPackage) and
PostgreSQL (PostGIS) to its :class:`Dialect`: the parameter style, insert-or-ignore and
upsert syntax, geometry, JSON, boolean and time encodings, how a connection is obtained
and a transaction begun, which tables exist, and the numbered migrations.
"""

from __future__ import annotations

import contextlib
import datetime as dt


class Dialect:
    """What one backend does its own way (the GeoPackage's choices are the defaults)."""

    #: short name shown to users ("gpkg" | "postgis")
    name = "abstract"
    #: appended to ORDER BY on text columns (PostgreSQL: byte order, as SQLite)
    collate = ""
    #: appended to a SELECT that is followed by an UPDATE of the same row
    for_update = ""
    #: how a JSON value and a geometry are passed as parameters
    json_param = "?"
    geom_param = "?"
    #: cast the count columns of list_patrols / list_waypoints to int64 (empty frames too)
    int_counts = False
    #: writers take turns (one write transaction at a time): concurrent writes gain by
    #: sharing a transaction (:mod:`fossilgis.store.group_commit`)
    serial_writers = False
    #: driver errors meaning "a unique constraint refused the row"
    integrity_errors: tuple = ()
    #: driver errors of a user insert meaning "name taken" or "role not allowed", and
    #: those of them that surely mean the latter (a CHECK constraint)
    user_errors: tuple = ()
    check_errors: tuple = ()

    # -- connections, transactions, schema ------------------------------------------------
    def connect(self):
        """A new connection."""
        raise NotImplementedError

    def connection(self, connect):
        """A context manager lending a connection made by ``connect`` (maybe pooled)."""
        raise NotImplementedError

    def transaction(self, conn):
        """A context manager: one write transaction on ``conn``, rolled back on error."""
        raise NotImplementedError

    def savepoint(self, conn):
        """A context manager: a nested transaction a failed statement rolls back to."""
        raise NotImplementedError

    def lock(self, conn, what: str, name: str) -> None:
        """Serialise writers of ``what`` ``name`` (e.g. layer sites) until the transaction
        ends, where beginning the transaction does not already."""

    def table_exists(self, db: Database, name: str) -> bool:
        raise NotImplementedError

    def migrate(self, db: Database, *, create: bool, fill) -> None:
        """Run the numbered migrations; call ``fill()`` once when the schema was new."""
        raise NotImplementedError

    def close(self) -> None:
        """Close pooled connections."""

    def describe(self) -> str:
        return self.name

    # -- SQL text -----------------------------------------------------------------------
    @staticmethod
    def q(sql: str) -> str:
        """The shared SQL (``?`` placeholders) in this backend's parameter style."""
        return sql

    def insert_ignore(self, table: str, ncols: int, key: str) -> str:
        """SQL inserting one row into ``table`` unless ``key`` is already there."""
        raise NotImplementedError

    def upsert(self, table: str, cols: list[str], key: str) -> str:
        """SQL inserting one row into ``table`` or replacing the row with that ``key``."""
        raise NotImplementedError

    def conflict_clause(self, key: str) -> str:
        """Appended to an INSERT so that a duplicate ``key`` inserts nothing, if supported
        (else the insert raises one of :attr:`integrity_errors`)."""
        return ""

    @staticmethod
    def in_(col: str, values) -> tuple[str, list]:
        """(SQL, parameters) for ``col`` being one of ``values``."""
        values = list(values)
        return f"{col} IN ({', '.join('?' * len(values))})", values

    def bbox_clause(self, table: str, bbox, args: list) -> str:
        """A WHERE clause keeping rows of ``table`` whose box meets ``bbox`` (adds args)."""
        raise NotImplementedError

    @staticmethod
    def executemany(conn, sql: str, rows: list) -> int:
        """Run ``sql`` once per row; the number of rows it changed."""
        return conn.executemany(sql, rows).rowcount

    # -- values -------------------------------------------------------------------------
    @staticmethod
    def geom_col(col: str) -> str:
        """How a geometry column is selected (decoded by :meth:`decode_geoms`)."""
        return col

    @staticmethod
    def encode_geom(geom):
        raise NotImplementedError

    def encode_geoms(self, geoms) -> list:
        """:meth:`encode_geom` of many geometries (a backend may vectorise it)."""
        return [self.encode_geom(g) for g in geoms]

    @staticmethod
    def decode_geoms(blobs) -> list:
        raise NotImplementedError

    @staticmethod
    def bool(value):
        """A boolean as this backend stores it."""
        raise NotImplementedError

    @staticmethod
    def from_json(value):
        """A (non-empty) JSON column's value as Python."""
        raise NotImplementedError

    @staticmethod
    def load_team(value) -> list:
        raise NotImplementedError

    @staticmethod
    def to_time(value) -> dt.datetime | None:
        """A stored time as an aware datetime in UTC."""
        raise NotImplementedError

    @staticmethod
    def time_text(value) -> str | None:
        """A stored time as the text the GeoPackage store keeps."""
        return value

    @staticmethod
    def layer_time(value) -> str | None:
        """A layer_meta / layer_archive time as text (``…+00:00``)."""
        return value

    # -- GeoPackage bookkeeping (no-ops elsewhere) ----------------------------------------
    def set_extent(self, conn, table: str, bounds) -> None:
        """Record ``table``'s extent (None: empty) where GIS clients look for it."""

    def grow_extent(self, conn, table: str, bounds) -> None:
        """Grow ``table``'s recorded extent to cover ``bounds``."""


def filters(*pairs) -> tuple[list[str], list]:
    """(WHERE clauses, parameters) for the ``(clause, value)`` pairs whose value is given."""
    given = [(clause, value) for clause, value in pairs if value is not None]
    return [c for c, _ in given], [v for _, v in given]


class Database:
    """Connections, transactions and queries on one store database.

    Parameters
    ----------
    dialect : Dialect
        The backend (:class:`fossilgis.store.gpkg.GpkgDialect` or
        :class:`fossilgis.store.postgis.PgDialect`).
    """

    def __init__(self, dialect: Dialect):
        self.dialect = dialect

    def connect(self):
        """A new connection (tests replace it to make a chosen statement fail)."""
        return self.dialect.connect()

    @contextlib.contextmanager
    def read(self):
        """A connection for reading."""
        with self.dialect.connection(self.connect) as conn:
            yield conn

    @contextlib.contextmanager
    def tx(self):
        """One write transaction; rolled back on any error."""
        with self.read() as conn, self.dialect.transaction(conn):
            yield conn

    def q(self, sql: str) -> str:
        return self.dialect.q(sql)

    def one(self, sql: str, args=()):
        """The first row of one query (shared SQL) on a read connection, or None."""
        with self.read() as conn:
            return conn.execute(self.q(sql), args).fetchone()

    def all(self, sql: str, args=()) -> list:
        """Every row of one query (shared SQL) on a read connection."""
        with self.read() as conn:
            return conn.execute(self.q(sql), args).fetchall()

    def table_exists(self, name: str) -> bool:
        return self.dialect.table_exists(self, name)

    @property
    def schema_version(self) -> int:
        """The migration the database has reached (0: none)."""
        if not self.table_exists("fossilgis_meta"):
            return 0
        row = self.one("SELECT value FROM fossilgis_meta WHERE key='schema_version'")
        return int(row[0]) if row else 0

    def close(self) -> None:
        self.dialect.close()
