"""The reference layers (``sites``, ``sections``): current rows, version, archive, restore.

Replacing a layer archives the previous version first, in the same transaction as the new
rows and their audit row, so no version is ever lost.
"""

from __future__ import annotations

import json
import math

from fossilgis.errors import StoreError
from fossilgis.schema import check_kind, field_names
from fossilgis.store._common import SRS_ID, now_iso
from fossilgis.store.audit import AuditLog
from fossilgis.store.db import Database

_META_COLS = ["kind", "version", "source", "demonstration", "updated_at", "updated_by"]


def _extra_of(value) -> dict:
    """The ``extra`` attributes of a row: a dict, or the JSON text a file export wrote."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except ValueError:
            return {"extra": value}
    if isinstance(value, dict):
        return value
    return (
        {}
        if value is None or (isinstance(value, float) and math.isnan(value))
        else {"extra": value}
    )


class Layers:
    """The layer tables, ``layer_meta`` and ``layer_archive`` of one store."""

    def __init__(self, db: Database, audit: AuditLog):
        self.db = db
        self.audit = audit
        #: kind -> (version, GeoDataFrame): a layer is read once per version
        self.cache: dict[str, tuple[int, object]] = {}

    def _version(self, conn, kind: str) -> int:
        row = conn.execute(
            self.db.q("SELECT version FROM layer_meta WHERE kind=?"), (kind,)
        ).fetchone()
        return int(row[0]) if row else 0

    def read(self, kind: str):
        """The layer ``kind`` ("sites" | "sections") as a GeoDataFrame in EPSG:4490."""
        import geopandas as gpd

        check_kind(kind)
        d = self.db.dialect
        names = field_names(kind)
        with self.db.read() as conn:
            version = self._version(conn, kind)
            cached = self.cache.get(kind)
            if cached and cached[0] == version:
                return cached[1].copy()
            rows = conn.execute(
                f"SELECT {', '.join(names)}, extra, {d.geom_col('geom')} FROM {kind} ORDER BY fid"
            ).fetchall()
        cols = list(zip(*rows)) if rows else [[] for _ in range(len(names) + 2)]
        data = {n: list(cols[i]) for i, n in enumerate(names)}
        data["extra"] = [d.from_json(e) if e else {} for e in cols[len(names)]]
        geoms = d.decode_geoms(cols[len(names) + 1])
        gdf = gpd.GeoDataFrame(data, geometry=geoms, crs=f"EPSG:{SRS_ID}")
        if "accuracy_m" in gdf:
            gdf["accuracy_m"] = gdf["accuracy_m"].astype("float64")
        self.cache[kind] = (version, gdf)
        return gdf.copy()

    def feature(self, kind: str, feature_id: str):
        """One feature (a GeoDataFrame row as a Series) by id, or None."""
        gdf = self.read(kind)
        hit = gdf[gdf["id"] == feature_id]
        return None if hit.empty else hit.iloc[0]

    def info(self, kind: str) -> dict:
        """count, version, source, updated_at, demonstration, boundary_status.

        The count and the boundary statuses are computed once per layer version: a
        replace or restore writes a new ``layer_meta`` row, so that row (one indexed
        lookup) says whether the rows changed.
        """
        check_kind(kind)
        with self.db.read() as conn:
            meta = conn.execute(
                self.db.q(
                    "SELECT version, source, demonstration, updated_at, updated_by "
                    "FROM layer_meta WHERE kind=?"
                ),
                (kind,),
            ).fetchone()
            # ("info", kind) -> (meta row, (count, statuses)); the meta row is read first:
            # rows counted after a concurrent replace are kept under the older row,
            # which no later call reads again
            entry = self.cache.get(("info", kind))  # type: ignore[call-overload]
            if entry is None or entry[0] != meta:
                count = conn.execute(f"SELECT count(*) FROM {kind}").fetchone()[0]
                statuses = [
                    r[0]
                    for r in conn.execute(
                        f"SELECT DISTINCT boundary_status FROM {kind} ORDER BY 1"
                    ).fetchall()
                ]
                entry = (meta, (count, statuses))
                self.cache[("info", kind)] = entry  # type: ignore[index]
        count, statuses = entry[1]
        version, source, demo, updated_at, updated_by = meta or (0, None, 1, None, None)
        return {
            "count": count,
            "version": version,
            "source": source,
            "demonstration": bool(demo),
            "updated_at": self.db.dialect.layer_time(updated_at),
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
            extra.update(_extra_of(rec.get("extra")))
            # NaN is NULL (SQLite stores a NaN REAL as NULL; PostgreSQL is told so)
            values = [
                None if isinstance(v, float) and math.isnan(v) else v
                for v in (rec.get(n) for n in names)
            ]
            rows.append(
                (
                    *values,
                    json.dumps(extra, ensure_ascii=False, default=str) if extra else None,
                    self.db.dialect.encode_geom(geom),
                )
            )
        return rows

    def _archive_current(self, conn, kind: str, user, note) -> None:
        version = self._version(conn, kind)
        if version == 0:
            return
        meta = conn.execute(
            self.db.q("SELECT source, demonstration FROM layer_meta WHERE kind=?"), (kind,)
        ).fetchone()
        current = self.read(kind)
        features = current.to_json(ensure_ascii=False, default=str)
        conn.execute(
            self.db.q("INSERT INTO layer_archive VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
            (kind, version, meta[0], meta[1], len(current), now_iso(), user, note, features),
        )

    def replace(
        self,
        kind: str,
        gdf,
        *,
        source: str,
        demonstration: bool,
        user: str | None = None,
        note: str = "",
    ) -> int:
        """Replace the whole layer atomically, archive the previous version; new version."""
        check_kind(kind)
        if gdf.crs is None or gdf.crs.to_epsg() != SRS_ID:
            gdf = gdf.to_crs(SRS_ID)
        d = self.db.dialect
        rows = self._rows(kind, gdf)
        names = field_names(kind)
        insert = self.db.q(
            f"INSERT INTO {kind} ({', '.join(names)}, extra, geom) VALUES "
            f"({', '.join('?' * len(names))}, {d.json_param}, {d.geom_param})"
        )
        with self.db.tx() as conn:
            # one writer per layer at a time: the archive's (kind, version) stays unique
            d.lock(conn, "layer", kind)
            self._archive_current(conn, kind, user, note)
            version = self._version(conn, kind) + 1
            conn.execute(f"DELETE FROM {kind}")
            if rows:
                d.executemany(conn, insert, rows)
            conn.execute(
                self.db.q(d.upsert("layer_meta", _META_COLS, "kind")),
                (kind, version, source, d.bool(demonstration), now_iso(), user),
            )
            bounds = tuple(float(v) for v in gdf.total_bounds) if len(gdf) else None
            d.set_extent(conn, kind, bounds)
            # the audit row goes in the same transaction as the change it records
            self.audit.record(
                conn,
                user or "system",
                "layer.replace",
                kind,
                str(version),
                {"source": source, "count": len(rows), "note": note or None},
            )
        return version

    def history(self, kind: str) -> list[dict]:
        """Archived versions, newest first: version, replaced_at, source, count, note."""
        check_kind(kind)
        rows = self.db.all(
            "SELECT version, source, demonstration, feature_count, replaced_at, "
            "replaced_by, note FROM layer_archive WHERE kind=? ORDER BY version DESC",
            (kind,),
        )
        keys = ("version", "source", "demonstration", "count", "replaced_at", "replaced_by", "note")
        layer_time = self.db.dialect.layer_time
        # the same types from both backends: demonstration 0/1, times as text
        return [
            dict(zip(keys, (r[0], r[1], int(r[2]), r[3], layer_time(r[4]), r[5], r[6])))
            for r in rows
        ]

    def restore(self, kind: str, version: int, *, user: str | None = None) -> int:
        """Make an archived version current again (archiving the current one); new version."""
        import geopandas as gpd

        check_kind(kind)
        row = self.db.one(
            "SELECT features, source, demonstration FROM layer_archive WHERE kind=? AND version=?",
            (kind, version),
        )
        if row is None:
            known = [h["version"] for h in self.history(kind)]
            raise StoreError(
                f"{kind} has no archived version {version}; archived versions: "
                f"{', '.join(map(str, known)) or 'none'} (see `fossilgis layers history`)"
            )
        gdf = gpd.GeoDataFrame.from_features(json.loads(row[0]), crs=f"EPSG:{SRS_ID}")
        return self.replace(
            kind,
            gdf,
            source=row[1],
            demonstration=bool(row[2]),
            user=user,
            note=f"restored version {version}",
        )
