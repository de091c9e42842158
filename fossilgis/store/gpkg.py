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
import datetime as dt
import fcntl
import json
import sqlite3
from pathlib import Path

from fossilgis.errors import StoreError
from fossilgis.schema import LAYER_FIELDS, LAYER_KINDS, check_kind, field_names
from fossilgis.store import _gpkgblob
from fossilgis.store.base import Store
from fossilgis.store.gpkg_patrols import PatrolStoreMixin, migration_2

GPKG_NAME = "fossilgis.gpkg"
SRS_ID = 4490
_SQL_TYPES = {"str": "TEXT", "float": "REAL", "int": "INTEGER"}


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


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
MIGRATIONS = [_migration_1, migration_2]
SCHEMA_VERSION = len(MIGRATIONS)


class GeoPackageStore(PatrolStoreMixin, Store):
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

    # -- reference layers -------------------------------------------------------------
    def _version(self, conn, kind: str) -> int:
        row = conn.execute("SELECT version FROM layer_meta WHERE kind=?", (kind,)).fetchone()
        return int(row[0]) if row else 0

    def read_layer(self, kind: str):
        import geopandas as gpd

        check_kind(kind)
        names = field_names(kind)
        with self._read() as conn:
            version = self._version(conn, kind)
            cached = self._cache.get(kind)
            if cached and cached[0] == version:
                return cached[1].copy()
            rows = conn.execute(
                f"SELECT {', '.join(names)}, extra, geom FROM {kind} ORDER BY fid"
            ).fetchall()
        cols = list(zip(*rows)) if rows else [[] for _ in range(len(names) + 2)]
        data = {n: list(cols[i]) for i, n in enumerate(names)}
        data["extra"] = [json.loads(e) if e else {} for e in cols[len(names)]]
        geoms = _gpkgblob.decode_many(cols[len(names) + 1])
        gdf = gpd.GeoDataFrame(data, geometry=geoms, crs=f"EPSG:{SRS_ID}")
        if "accuracy_m" in gdf:
            gdf["accuracy_m"] = gdf["accuracy_m"].astype("float64")
        self._cache[kind] = (version, gdf)
        return gdf.copy()

    def layer_info(self, kind: str) -> dict:
        check_kind(kind)
        with self._read() as conn:
            meta = conn.execute(
                "SELECT version, source, demonstration, updated_at, updated_by "
                "FROM layer_meta WHERE kind=?",
                (kind,),
            ).fetchone()
            count = conn.execute(f"SELECT count(*) FROM {kind}").fetchone()[0]
            statuses = [
                r[0]
                for r in conn.execute(f"SELECT DISTINCT boundary_status FROM {kind} ORDER BY 1")
            ]
        version, source, demo, updated_at, updated_by = meta or (0, None, 1, None, None)
        return {
            "count": count,
            "version": version,
            "source": source,
            "demonstration": bool(demo),
            "updated_at": updated_at,
            "updated_by": updated_by,
            "boundary_status": statuses[0] if len(statuses) == 1 else "mixed" if statuses else None,
        }

    def _rows(self, kind: str, gdf) -> list[tuple]:
        names = field_names(kind)
        known = set(names) | {"extra", gdf.geometry.name}
        rows = []
        for rec, geom in zip(
            gdf.drop(columns=gdf.geometry.name).to_dict("records"), gdf.geometry.values
        ):
            extra = {k: v for k, v in rec.items() if k not in known and v is not None}
            extra.update(rec.get("extra") or {})
            values = [rec.get(n) for n in names]
            rows.append(
                (
                    *values,
                    json.dumps(extra, ensure_ascii=False, default=str) if extra else None,
                    _gpkgblob.encode(geom, SRS_ID),
                )
            )
        return rows

    def _archive_current(self, conn, kind: str, user, note) -> None:
        version = self._version(conn, kind)
        if version == 0:
            return
        meta = conn.execute(
            "SELECT source, demonstration FROM layer_meta WHERE kind=?", (kind,)
        ).fetchone()
        current = self.read_layer(kind)
        features = current.to_json(ensure_ascii=False, default=str)
        conn.execute(
            "INSERT INTO layer_archive VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (kind, version, meta[0], meta[1], len(current), _now(), user, note, features),
        )

    def replace_layer(self, kind, gdf, *, source, demonstration, user=None, note="") -> int:
        check_kind(kind)
        if gdf.crs is None or gdf.crs.to_epsg() != SRS_ID:
            gdf = gdf.to_crs(SRS_ID)
        rows = self._rows(kind, gdf)
        names = field_names(kind) + ["extra", "geom"]
        with self._tx() as conn:
            self._archive_current(conn, kind, user, note)
            version = self._version(conn, kind) + 1
            conn.execute(f"DELETE FROM {kind}")
            conn.executemany(
                f"INSERT INTO {kind} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                rows,
            )
            conn.execute(
                "INSERT OR REPLACE INTO layer_meta VALUES (?, ?, ?, ?, ?, ?)",
                (kind, version, source, int(demonstration), _now(), user),
            )
            self._touch_contents(conn, kind, gdf)
        return version

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

    def layer_history(self, kind: str) -> list[dict]:
        check_kind(kind)
        with self._read() as conn:
            rows = conn.execute(
                "SELECT version, source, demonstration, feature_count, replaced_at, "
                "replaced_by, note FROM layer_archive WHERE kind=? ORDER BY version DESC",
                (kind,),
            ).fetchall()
        keys = ("version", "source", "demonstration", "count", "replaced_at", "replaced_by", "note")
        return [dict(zip(keys, r)) for r in rows]

    def restore_layer(self, kind: str, version: int, *, user=None) -> int:
        import geopandas as gpd

        check_kind(kind)
        with self._read() as conn:
            row = conn.execute(
                "SELECT features, source, demonstration FROM layer_archive "
                "WHERE kind=? AND version=?",
                (kind, version),
            ).fetchone()
        if row is None:
            known = [h["version"] for h in self.layer_history(kind)]
            raise StoreError(
                f"{kind} has no archived version {version}; archived versions: "
                f"{', '.join(map(str, known)) or 'none'} (see `fossilgis layers history`)"
            )
        gdf = gpd.GeoDataFrame.from_features(json.loads(row[0]), crs=f"EPSG:{SRS_ID}")
        return self.replace_layer(
            kind,
            gdf,
            source=row[1],
            demonstration=bool(row[2]),
            user=user,
            note=f"restored version {version}",
        )

    def describe(self) -> str:
        return f"GeoPackage {self.path}"
