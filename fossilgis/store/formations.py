"""The geological map (``formations``): every imported version, the current one, restore.

A formation map is large (tens of thousands of polygons) and replaced rarely, so unlike
sites and sections its versions are not archived as GeoJSON text: each import adds its
rows to the one ``formations`` feature table under a new version number (indexed by the
GeoPackage R-tree or the PostGIS GiST index), and ``formation_versions`` records where each
version came from. The current version is the newest; restoring copies an older version's
rows as a new version in one SQL statement. Nothing is deleted.
"""

from __future__ import annotations

import json
import math

from fossilgis.errors import StoreError
from fossilgis.store._common import SRS_ID, now_iso
from fossilgis.store.audit import AuditLog
from fossilgis.store.columns import FORMATION_ATTRIBUTES, FORMATION_VERSION_COLS
from fossilgis.store.db import Database

_VERSION_NAMES = [n for n, _ in FORMATION_VERSION_COLS]
#: attributes copied by a restore, in table order
_COPIED = [*FORMATION_ATTRIBUTES, "extra", "geom"]


def _text(value):
    """A stored attribute: text, or None for missing values (NaN, empty text)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    value = str(value).strip()
    return value or None


class Formations:
    """The ``formations`` feature table and ``formation_versions`` of one store."""

    def __init__(self, db: Database, audit: AuditLog):
        self.db = db
        self.audit = audit
        #: (version, GeoDataFrame): the current map is decoded once per version
        self.cache: tuple[int, object] | None = None

    # -- versions -----------------------------------------------------------------------
    def _current(self, conn) -> int:
        row = conn.execute("SELECT max(version) FROM formation_versions").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def current_version(self) -> int:
        """The version screened and shown (0: no geological map imported yet)."""
        with self.db.read() as conn:
            return self._current(conn)

    def history(self) -> list[dict]:
        """Every version, newest first: version, source, count, imported_at/by, note, CRS."""
        rows = self.db.all(
            f"SELECT {', '.join(_VERSION_NAMES)} FROM formation_versions ORDER BY version DESC"
        )
        d = self.db.dialect
        out = []
        for row in rows:
            rec = dict(zip(_VERSION_NAMES, row))
            rec["demonstration"] = bool(rec["demonstration"])
            rec["count"] = int(rec.pop("feature_count"))
            rec["imported_at"] = d.layer_time(rec["imported_at"])
            out.append(rec)
        return out

    def info(self) -> dict:
        """The current version's record (``version`` 0 and ``count`` 0 when there is none)."""
        history = self.history()
        if not history:
            return {"version": 0, "count": 0, "source": None, "demonstration": False}
        return history[0]

    # -- reading ------------------------------------------------------------------------
    def read(self, version: int | None = None, *, bbox=None):
        """The units of ``version`` (default: the current one) as a GeoDataFrame in EPSG:4490.

        Columns: ``unit, name_zh, name_en, age, lithology, extra`` (a dict) and geometry.
        ``bbox`` (lon/lat) keeps the units whose boxes meet it, found with the spatial index.
        """
        import geopandas as gpd

        d = self.db.dialect
        with self.db.read() as conn:
            current = self._current(conn)
            version = current if version is None else int(version)
            whole = version == current and bbox is None
            if whole and self.cache and self.cache[0] == version:
                return self.cache[1].copy()
            args: list = [version]
            where = "version = ?"
            if bbox is not None:
                where += " AND " + d.bbox_clause("formations", bbox, args)
            rows = conn.execute(
                self.db.q(
                    f"SELECT {', '.join(FORMATION_ATTRIBUTES)}, extra, {d.geom_col('geom')} "
                    f"FROM formations WHERE {where} ORDER BY fid"
                ),
                args,
            ).fetchall()
        n = len(FORMATION_ATTRIBUTES)
        cols = list(zip(*rows)) if rows else [[] for _ in range(n + 2)]
        data = {name: list(cols[i]) for i, name in enumerate(FORMATION_ATTRIBUTES)}
        data["extra"] = [d.from_json(e) if e else {} for e in cols[n]]
        gdf = gpd.GeoDataFrame(data, geometry=d.decode_geoms(cols[n + 1]), crs=f"EPSG:{SRS_ID}")
        if whole:
            self.cache = (version, gdf)
            return gdf.copy()
        return gdf

    # -- writing ------------------------------------------------------------------------
    def replace(
        self,
        gdf,
        *,
        source: str,
        demonstration: bool = False,
        user: str | None = None,
        note: str = "",
        crs_in: str | None = None,
        encoding: str | None = None,
    ) -> int:
        """Add ``gdf`` (EPSG:4490; the attribute columns above, others go to ``extra``) as
        the new current version, in one transaction with its audit row; the new version."""
        if gdf.crs is None or gdf.crs.to_epsg() != SRS_ID:
            gdf = gdf.to_crs(SRS_ID)
        d = self.db.dialect
        known = set(FORMATION_ATTRIBUTES) | {gdf.geometry.name}
        others = [c for c in gdf.columns if c not in known]
        attrs = [
            [_text(v) for v in gdf[name].tolist()] if name in gdf else [None] * len(gdf)
            for name in FORMATION_ATTRIBUTES
        ]
        extras = _extras(gdf, others)
        geoms = d.encode_geoms(gdf.geometry.values)
        bounds = tuple(float(v) for v in gdf.total_bounds) if len(gdf) else (None,) * 4
        insert = self.db.q(
            f"INSERT INTO formations (version, {', '.join(FORMATION_ATTRIBUTES)}, extra, geom) "
            f"VALUES (?, {', '.join('?' * len(FORMATION_ATTRIBUTES))}, {d.json_param}, "
            f"{d.geom_param})"
        )
        with self.db.tx() as conn:
            d.lock(conn, "layer", "formations")  # one writer: version numbers stay unique
            version = self._current(conn) + 1
            rows = [(version, *vals) for vals in zip(*attrs, extras, geoms)]
            if rows:
                d.executemany(conn, insert, rows)
            self._record_version(
                conn,
                (
                    version,
                    source,
                    d.bool(demonstration),
                    len(rows),
                    now_iso(),
                    user,
                    note,
                    crs_in,
                    encoding,
                    *bounds,
                ),
            )
            if len(rows):
                d.grow_extent(conn, "formations", bounds)
            self.audit.record(
                conn,
                user or "system",
                "layer.replace",
                "formations",
                str(version),
                {"source": source, "count": len(rows), "note": note or None},
            )
        return version

    def restore(self, version: int, *, user: str | None = None) -> int:
        """Make ``version`` current again by copying its rows as a new version."""
        d = self.db.dialect
        with self.db.tx() as conn:
            d.lock(conn, "layer", "formations")
            old = conn.execute(
                self.db.q(
                    f"SELECT {', '.join(_VERSION_NAMES)} FROM formation_versions WHERE version = ?"
                ),
                (int(version),),
            ).fetchone()
            if old is None:
                known = [
                    str(r[0])
                    for r in conn.execute(
                        "SELECT version FROM formation_versions ORDER BY version"
                    ).fetchall()
                ]
                raise StoreError(
                    f"formations has no version {version}; versions: "
                    f"{', '.join(known) or 'none'} (see `fossilgis layers history --kind "
                    "formations`)"
                )
            new = self._current(conn) + 1
            cols = ", ".join(_COPIED)
            conn.execute(
                self.db.q(
                    f"INSERT INTO formations (version, {cols}) SELECT ?, {cols} "
                    "FROM formations WHERE version = ? ORDER BY fid"
                ),
                (new, int(version)),
            )
            rec = dict(zip(_VERSION_NAMES, old))
            rec.update(
                version=new,
                imported_at=now_iso(),
                imported_by=user,
                note=f"restored version {version}",
            )
            self._record_version(conn, tuple(rec[n] for n in _VERSION_NAMES))
            self.audit.record(
                conn,
                user or "system",
                "layer.restore",
                "formations",
                str(new),
                {"from_version": int(version), "count": rec["feature_count"]},
            )
        return new

    def _record_version(self, conn, values: tuple) -> None:
        conn.execute(
            self.db.q(
                f"INSERT INTO formation_versions ({', '.join(_VERSION_NAMES)}) VALUES "
                f"({', '.join('?' * len(_VERSION_NAMES))})"
            ),
            values,
        )


def _extras(gdf, others: list[str]) -> list:
    """The ``extra`` JSON text of each row: its other attributes, without missing values."""
    if not others:
        return [None] * len(gdf)
    out = []
    for rec in gdf[others].to_dict("records"):
        kept = {
            k: v
            for k, v in rec.items()
            if v is not None and not (isinstance(v, float) and math.isnan(v))
        }
        out.append(json.dumps(kept, ensure_ascii=False, default=str) if kept else None)
    return out
