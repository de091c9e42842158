"""What the GeoPackage and PostGIS stores share: helpers, SQL dialect hooks, layer logic.

The shared SQL is written once with ``?`` placeholders and passed through
:meth:`SqlDialect._q`, which the PostGIS store overrides to turn them into ``%s``. What
really differs between the backends (geometry encoding, JSON and boolean columns, time
types, collation, transactions) is a small hook on :class:`SqlDialect`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import tempfile
from pathlib import Path

from fossilgis.errors import StoreError
from fossilgis.schema import check_kind, field_names

SRS_ID = 4490


def now_iso() -> str:
    """The time written for layer versions and archives (``…+00:00``)."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def fsync_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: temp file, fsync, rename, fsync the directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class SqlDialect:
    """The backend hooks the shared store logic calls (GeoPackage defaults shown)."""

    #: appended to ORDER BY on text columns (PostgreSQL: byte order, as SQLite)
    _COLLATE = ""
    #: appended to a SELECT that is followed by an UPDATE of the same row
    _FOR_UPDATE = ""

    @staticmethod
    def _q(sql: str) -> str:
        """The shared SQL (``?`` placeholders) in this backend's parameter style."""
        return sql

    def _read_one(self, sql: str, args=()):
        """The first row of one query (shared SQL) on a read connection, or None."""
        with self._read() as conn:
            return conn.execute(self._q(sql), args).fetchone()

    def _read_all(self, sql: str, args=()) -> list:
        """Every row of one query (shared SQL) on a read connection."""
        with self._read() as conn:
            return conn.execute(self._q(sql), args).fetchall()

    @staticmethod
    def _geom_col(col: str) -> str:
        """How a geometry column is selected (decoded by :meth:`_decode_geoms`)."""
        return col

    @staticmethod
    def _bool(value) -> object:
        """A boolean as this backend stores it."""
        raise NotImplementedError

    @staticmethod
    def _encode_geom(geom):
        raise NotImplementedError

    @staticmethod
    def _decode_geoms(blobs) -> list:
        raise NotImplementedError

    @staticmethod
    def _from_json(value):
        """A (non-empty) JSON column's value as Python."""
        raise NotImplementedError


class LayerStoreLogic(SqlDialect):
    """The reference-layer methods of both stores (``sites``, ``sections``)."""

    @staticmethod
    def _layer_time(value) -> str | None:
        """A layer_meta / layer_archive time as text (``…+00:00``)."""
        return value

    def _lock_layer(self, conn, kind: str) -> None:
        """Serialise writers of one layer (the write transaction may already do)."""

    def _insert_layer_rows(self, conn, kind: str, rows: list[tuple]) -> None:
        raise NotImplementedError

    def _set_layer_meta(self, conn, values: tuple) -> None:
        """Insert or replace the layer_meta row (kind, version, source, demo, at, by)."""
        raise NotImplementedError

    def _touch_contents(self, conn, kind: str, gdf) -> None:
        """Backend bookkeeping after a layer was replaced (GeoPackage: gpkg_contents)."""

    def _version(self, conn, kind: str) -> int:
        row = conn.execute(
            self._q("SELECT version FROM layer_meta WHERE kind=?"), (kind,)
        ).fetchone()
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
                f"SELECT {', '.join(names)}, extra, {self._geom_col('geom')} FROM {kind} "
                "ORDER BY fid"
            ).fetchall()
        cols = list(zip(*rows)) if rows else [[] for _ in range(len(names) + 2)]
        data = {n: list(cols[i]) for i, n in enumerate(names)}
        data["extra"] = [self._from_json(e) if e else {} for e in cols[len(names)]]
        geoms = self._decode_geoms(cols[len(names) + 1])
        gdf = gpd.GeoDataFrame(data, geometry=geoms, crs=f"EPSG:{SRS_ID}")
        if "accuracy_m" in gdf:
            gdf["accuracy_m"] = gdf["accuracy_m"].astype("float64")
        self._cache[kind] = (version, gdf)
        return gdf.copy()

    def layer_info(self, kind: str) -> dict:
        check_kind(kind)
        with self._read() as conn:
            meta = conn.execute(
                self._q(
                    "SELECT version, source, demonstration, updated_at, updated_by "
                    "FROM layer_meta WHERE kind=?"
                ),
                (kind,),
            ).fetchone()
            count = conn.execute(f"SELECT count(*) FROM {kind}").fetchone()[0]
            statuses = [
                r[0]
                for r in conn.execute(
                    f"SELECT DISTINCT boundary_status FROM {kind} ORDER BY 1"
                ).fetchall()
            ]
        version, source, demo, updated_at, updated_by = meta or (0, None, 1, None, None)
        return {
            "count": count,
            "version": version,
            "source": source,
            "demonstration": bool(demo),
            "updated_at": self._layer_time(updated_at),
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
            # NaN is NULL (SQLite stores a NaN REAL as NULL; PostgreSQL is told so)
            values = [None if isinstance(v, float) and math.isnan(v) else v
                      for v in (rec.get(n) for n in names)]
            rows.append(
                (
                    *values,
                    json.dumps(extra, ensure_ascii=False, default=str) if extra else None,
                    self._encode_geom(geom),
                )
            )
        return rows

    def _archive_current(self, conn, kind: str, user, note) -> None:
        version = self._version(conn, kind)
        if version == 0:
            return
        meta = conn.execute(
            self._q("SELECT source, demonstration FROM layer_meta WHERE kind=?"), (kind,)
        ).fetchone()
        current = self.read_layer(kind)
        features = current.to_json(ensure_ascii=False, default=str)
        conn.execute(
            self._q("INSERT INTO layer_archive VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
            (kind, version, meta[0], meta[1], len(current), now_iso(), user, note, features),
        )

    def replace_layer(self, kind, gdf, *, source, demonstration, user=None, note="") -> int:
        check_kind(kind)
        if gdf.crs is None or gdf.crs.to_epsg() != SRS_ID:
            gdf = gdf.to_crs(SRS_ID)
        rows = self._rows(kind, gdf)
        with self._tx() as conn:
            self._lock_layer(conn, kind)
            self._archive_current(conn, kind, user, note)
            version = self._version(conn, kind) + 1
            conn.execute(f"DELETE FROM {kind}")
            if rows:
                self._insert_layer_rows(conn, kind, rows)
            self._set_layer_meta(
                conn, (kind, version, source, self._bool(demonstration), now_iso(), user)
            )
            self._touch_contents(conn, kind, gdf)
            # the audit row goes in the same transaction as the change it records
            self._audit(conn, user or "system", "layer.replace", kind, str(version),
                        {"source": source, "count": len(rows), "note": note or None})
        return version

    def layer_history(self, kind: str) -> list[dict]:
        check_kind(kind)
        rows = self._read_all(
            "SELECT version, source, demonstration, feature_count, replaced_at, "
            "replaced_by, note FROM layer_archive WHERE kind=? ORDER BY version DESC",
            (kind,),
        )
        keys = ("version", "source", "demonstration", "count", "replaced_at", "replaced_by", "note")
        # the same types from both backends: demonstration 0/1, times as text
        return [
            dict(zip(keys, (r[0], r[1], int(r[2]), r[3], self._layer_time(r[4]), r[5], r[6])))
            for r in rows
        ]

    def restore_layer(self, kind: str, version: int, *, user=None) -> int:
        import geopandas as gpd

        check_kind(kind)
        row = self._read_one(
            "SELECT features, source, demonstration FROM layer_archive "
            "WHERE kind=? AND version=?",
            (kind, version),
        )
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
