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
import os
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

from fossilgis.errors import ConflictError, RecordNotFoundError, StoreError
from fossilgis.store import _gpkgblob

#: test hook: called inside the patrol write transaction after each waypoint row
#: (the kill test makes it sleep so that the process can be killed mid-transaction)
_after_waypoint_row: Callable[[], None] | None = None

SRS_ID = 4490

PATROL_FIELDS = [
    ("uuid", "str", True),
    ("target_kind", "str", False),
    ("target_id", "str", False),
    ("target_inferred", "int", False),
    ("target_distance_m", "float", False),
    ("team", "str", False),
    ("started_at", "str", True),
    ("ended_at", "str", True),
    ("purpose", "str", False),
    ("notes", "str", False),
    ("created_by", "str", True),
    ("created_at", "str", True),
    ("updated_at", "str", False),
    ("content_hash", "str", True),
    ("deleted_at", "str", False),
    ("deleted_by", "str", False),
]
WAYPOINT_FIELDS = [
    ("uuid", "str", True),
    ("patrol_uuid", "str", True),
    ("seq", "int", True),
    ("observed_at", "str", True),
    ("name", "str", False),
    ("category", "str", False),
    ("severity", "str", False),
    ("description", "str", False),
]
_PATROL_COLS = [n for n, _, _ in PATROL_FIELDS]
_WAYPOINT_COLS = [n for n, _, _ in WAYPOINT_FIELDS]


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


def _now() -> str:
    from fossilgis.patrols.model import format_time

    return format_time(dt.datetime.now(dt.timezone.utc).replace(microsecond=0))


def _time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _fsync_write(path: Path, data: bytes) -> None:
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


class PatrolStoreMixin:
    """Patrol, photo, user, token and audit methods of :class:`GeoPackageStore`."""

    # -- audit --------------------------------------------------------------------------
    @staticmethod
    def _audit(conn, user, action, object_kind, object_id, detail=None) -> None:
        conn.execute(
            "INSERT INTO audit (at, username, action, object_kind, object_id, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                _now(),
                user,
                action,
                object_kind,
                object_id,
                None if detail is None else json.dumps(detail, ensure_ascii=False, default=str),
            ),
        )

    def append_audit(self, user, action, object_kind, object_id=None, detail=None) -> None:
        with self._tx() as conn:
            self._audit(conn, user, action, object_kind, object_id, detail)

    def audit_rows(self, limit=100, *, object_kind=None, object_id=None, username=None):
        where, args = [], []
        for col, value in (
            ("object_kind", object_kind), ("object_id", object_id), ("username", username)
        ):
            if value is not None:
                where.append(f"{col} = ?")
                args.append(value)
        sql = "SELECT id, at, username, action, object_kind, object_id, detail FROM audit"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        with self._read() as conn:
            rows = conn.execute(sql, args).fetchall()
        keys = ("id", "at", "username", "action", "object_kind", "object_id", "detail")
        out = []
        for row in rows:
            rec = dict(zip(keys, row))
            rec["detail"] = json.loads(rec["detail"]) if rec["detail"] else None
            out.append(rec)
        return out

    # -- photos -------------------------------------------------------------------------
    def photo_path(self, sha256: str, *, thumbnail: bool = False) -> Path:
        with self._read() as conn:
            row = conn.execute("SELECT mime FROM photos WHERE sha256=?", (sha256,)).fetchone()
        if row is None:
            raise RecordNotFoundError(f"no photo with SHA-256 {sha256} in the store")
        from fossilgis.patrols.photos import photo_relpath

        return self.data_dir / photo_relpath(sha256, row[0], thumbnail=thumbnail)

    def photo_info(self, sha256: str):
        from fossilgis.patrols.photos import PhotoInfo

        with self._read() as conn:
            row = conn.execute(
                "SELECT sha256, mime, bytes, width, height, lon, lat, taken_at FROM photos "
                "WHERE sha256=?",
                (sha256,),
            ).fetchone()
        if row is None:
            return None
        return PhotoInfo(*row[:7], taken_at=_time(row[7]))

    def put_photo(self, data: bytes, name: str = "photo", *, max_bytes: int | None = None) -> str:
        from fossilgis.patrols.model import format_time
        from fossilgis.patrols.photos import (
            DEFAULT_MAX_PHOTO_BYTES,
            make_thumbnail,
            photo_relpath,
            read_photo,
        )

        info = read_photo(data, name, max_bytes or DEFAULT_MAX_PHOTO_BYTES)
        if self.photo_info(info.sha256) is not None:
            return info.sha256  # sent twice, stored once
        target = self.data_dir / photo_relpath(info.sha256, info.mime)
        if not target.exists():
            _fsync_write(target, data)
        thumb = self.data_dir / photo_relpath(info.sha256, info.mime, thumbnail=True)
        if not thumb.exists():
            _fsync_write(thumb, make_thumbnail(data))
        with self._tx() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO photos VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    info.sha256, info.mime, info.bytes, info.width, info.height,
                    info.lon, info.lat, format_time(info.taken_at), _now(),
                ),
            )
        return info.sha256

    # -- patrols: writing ---------------------------------------------------------------
    def _patrol_row(self, patrol, user, now, digest, created_at=None) -> dict:
        import shapely

        from fossilgis.patrols.model import format_time

        geom = patrol.geometry
        if isinstance(geom, shapely.LineString):
            geom = shapely.MultiLineString([geom])
        return {
            "uuid": patrol.uuid,
            "target_kind": patrol.target_kind,
            "target_id": patrol.target_id,
            "target_inferred": int(bool(patrol.target_inferred)),
            "target_distance_m": patrol.target_distance_m,
            "team": json.dumps([t.strip() for t in patrol.team], ensure_ascii=False),
            "started_at": format_time(patrol.started_at),
            "ended_at": format_time(patrol.ended_at),
            "purpose": patrol.purpose,
            "notes": patrol.notes,
            "created_by": user if created_at is None else patrol.created_by,
            "created_at": created_at or now,
            "updated_at": None if created_at is None else now,
            "content_hash": digest,
            "deleted_at": None,
            "deleted_by": None,
            "geom": _gpkgblob.encode(geom, SRS_ID),
        }

    def _check_photos_stored(self, conn, patrol) -> None:
        for ref in patrol.all_photos():
            if not ref.sha256:
                raise StoreError(
                    f"patrol {patrol.uuid}: photo {ref.name!r} has not been stored; "
                    "call put_photo first (submit_patrol does)"
                )
            row = conn.execute("SELECT 1 FROM photos WHERE sha256=?", (ref.sha256,)).fetchone()
            if row is None:
                raise StoreError(f"patrol {patrol.uuid}: photo {ref.sha256} is not in the store")

    def _insert_children(self, conn, patrol) -> None:
        import shapely

        from fossilgis.patrols.model import format_time

        hook = _after_waypoint_row
        cols = _WAYPOINT_COLS + ["geom"]
        sql = (
            f"INSERT INTO waypoints ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        )
        for seq, w in enumerate(patrol.waypoints):
            obs = w.observation
            try:
                conn.execute(
                    sql,
                    (
                        w.uuid, patrol.uuid, seq, format_time(w.observed_at), w.name,
                        obs.category if obs else None, obs.severity if obs else None,
                        obs.description if obs else None,
                        _gpkgblob.encode(shapely.Point(w.lon, w.lat), SRS_ID),
                    ),
                )
            except sqlite3.IntegrityError:
                other = conn.execute(
                    "SELECT patrol_uuid FROM waypoints WHERE uuid=?", (w.uuid,)
                ).fetchone()
                raise ConflictError(
                    f"waypoints[{seq}].uuid: {w.uuid} already belongs to patrol "
                    f"{other[0] if other else '?'}; every waypoint needs its own UUID "
                    "/ 航点 UUID 重复"
                ) from None
            if hook is not None:
                hook()
        seq = 0
        for ref in patrol.photos:
            conn.execute(
                "INSERT INTO patrol_photos VALUES (?, ?, NULL, ?, ?)",
                (patrol.uuid, seq, ref.sha256, ref.name),
            )
            seq += 1
        for w in patrol.waypoints:
            for ref in w.photos:
                conn.execute(
                    "INSERT INTO patrol_photos VALUES (?, ?, ?, ?, ?)",
                    (patrol.uuid, seq, w.uuid, ref.sha256, ref.name),
                )
                seq += 1
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

    def _stored_hash(self, conn, uuid):
        row = conn.execute("SELECT content_hash FROM patrols WHERE uuid=?", (uuid,)).fetchone()
        return None if row is None else row[0]

    def _conflict(self, uuid) -> ConflictError:
        return ConflictError(
            f"patrol {uuid} is already stored with different content; a record is never "
            "overwritten by a re-send. Send it with a new UUID if it is a new patrol, or edit "
            "the stored one / 该 UUID 的巡护记录已存在且内容不同"
        )

    def save_patrol(self, patrol, user):
        from fossilgis.patrols.model import content_hash

        digest = content_hash(patrol)
        try:
            with self._tx() as conn:
                stored = self._stored_hash(conn, patrol.uuid)
                if stored is None:
                    self._check_photos_stored(conn, patrol)
                    row = self._patrol_row(patrol, user, _now(), digest)
                    cols = list(row)
                    conn.execute(
                        f"INSERT INTO patrols ({', '.join(cols)}) "
                        f"VALUES ({', '.join('?' * len(cols))})",
                        list(row.values()),
                    )
                    self._insert_children(conn, patrol)
                    self._audit(
                        conn, user, "create", "patrol", patrol.uuid,
                        {
                            "content_hash": digest,
                            "target_kind": patrol.target_kind,
                            "target_id": patrol.target_id,
                            "waypoints": len(patrol.waypoints),
                            "photos": [p.sha256 for p in patrol.all_photos()],
                        },
                    )
        except sqlite3.IntegrityError:
            # another writer inserted the same uuid between our check and our insert (not
            # possible under BEGIN IMMEDIATE, but the UNIQUE index is what decides)
            with self._read() as conn:
                stored = self._stored_hash(conn, patrol.uuid)
            if stored is None:
                raise
        else:
            if stored is None:
                return self.get_patrol(patrol.uuid), True
        if stored != digest:
            raise self._conflict(patrol.uuid)
        return self.get_patrol(patrol.uuid), False

    def update_patrol(self, patrol, user, *, base_hash):
        from fossilgis.patrols.model import content_hash

        digest = content_hash(patrol)
        with self._tx() as conn:
            old = conn.execute(
                "SELECT content_hash, created_by, created_at, deleted_at FROM patrols "
                "WHERE uuid=?",
                (patrol.uuid,),
            ).fetchone()
            if old is None:
                raise RecordNotFoundError(f"no patrol {patrol.uuid} to edit")
            if old[0] != base_hash:
                raise ConflictError(
                    f"patrol {patrol.uuid} was changed by someone else since it was opened "
                    "(content hash differs); reload it and edit again / 记录已被他人修改"
                )
            if old[3] is not None:
                raise ConflictError(f"patrol {patrol.uuid} is deleted; restore it first")
            if digest == old[0]:
                return self.get_patrol(patrol.uuid)
            self._check_photos_stored(conn, patrol)
            patrol = patrol.replace(created_by=old[1])
            row = self._patrol_row(patrol, user, _now(), digest, created_at=old[2])
            sets = ", ".join(f"{c}=?" for c in row if c != "uuid")
            values = [v for c, v in row.items() if c != "uuid"]
            conn.execute(f"UPDATE patrols SET {sets} WHERE uuid=?", values + [patrol.uuid])
            conn.execute("DELETE FROM waypoints WHERE patrol_uuid=?", (patrol.uuid,))
            conn.execute("DELETE FROM patrol_photos WHERE patrol_uuid=?", (patrol.uuid,))
            self._insert_children(conn, patrol)
            self._audit(
                conn, user, "edit", "patrol", patrol.uuid,
                {"content_hash": digest, "previous_hash": old[0]},
            )
        return self.get_patrol(patrol.uuid)

    def _set_deleted(self, uuid, user, delete: bool) -> None:
        with self._tx() as conn:
            row = conn.execute("SELECT deleted_at FROM patrols WHERE uuid=?", (uuid,)).fetchone()
            if row is None:
                raise RecordNotFoundError(
                    f"no patrol {uuid}; list them with `fossilgis patrol list --deleted`"
                )
            if delete and row[0] is not None:
                raise ConflictError(f"patrol {uuid} is already deleted (at {row[0]})")
            if not delete and row[0] is None:
                raise ConflictError(f"patrol {uuid} is not deleted; nothing to restore")
            now = _now()
            conn.execute(
                "UPDATE patrols SET deleted_at=?, deleted_by=? WHERE uuid=?",
                (now if delete else None, user if delete else None, uuid),
            )
            self._audit(
                conn, user, "delete" if delete else "restore", "patrol", uuid,
                {"deleted_at": row[0]} if not delete else None,
            )

    def delete_patrol(self, uuid, user) -> None:
        self._set_deleted(uuid, user, True)

    def restore_patrol(self, uuid, user) -> None:
        self._set_deleted(uuid, user, False)

    # -- patrols: reading ---------------------------------------------------------------
    def get_patrol(self, uuid):
        from fossilgis.patrols.model import Observation, Patrol, PhotoRef, Waypoint

        with self._read() as conn:
            row = conn.execute(
                f"SELECT {', '.join(_PATROL_COLS)}, geom FROM patrols WHERE uuid=?", (uuid,)
            ).fetchone()
            if row is None:
                return None
            wps = conn.execute(
                f"SELECT {', '.join(_WAYPOINT_COLS)}, geom FROM waypoints "
                "WHERE patrol_uuid=? ORDER BY seq",
                (uuid,),
            ).fetchall()
            photos = conn.execute(
                "SELECT pp.waypoint_uuid, pp.sha256, pp.name, p.mime, p.width, p.height, "
                "p.lon, p.lat, p.taken_at FROM patrol_photos pp JOIN photos p USING (sha256) "
                "WHERE pp.patrol_uuid=? ORDER BY pp.seq",
                (uuid,),
            ).fetchall()
        rec = dict(zip(_PATROL_COLS, row))
        (geom,) = _gpkgblob.decode_many([row[-1]])
        track = geom if geom is not None and geom.geom_type == "MultiLineString" else None
        refs: dict[str | None, list] = {}
        for wp_uuid, sha, name, mime, width, height, lon, lat, taken in photos:
            refs.setdefault(wp_uuid, []).append(
                PhotoRef(sha, name or "", mime, width, height, lon, lat, _time(taken))
            )
        points = _gpkgblob.decode_many([w[-1] for w in wps])
        waypoints = []
        for w, point in zip(wps, points):
            wr = dict(zip(_WAYPOINT_COLS, w))
            obs = None
            if wr["category"] is not None:
                obs = Observation(wr["category"], wr["severity"], wr["description"] or "")
            waypoints.append(
                Waypoint(
                    uuid=wr["uuid"], lon=point.x, lat=point.y,
                    observed_at=_time(wr["observed_at"]), name=wr["name"] or "",
                    observation=obs, photos=refs.get(wr["uuid"], []),
                )
            )
        return Patrol(
            uuid=rec["uuid"],
            started_at=_time(rec["started_at"]),
            ended_at=_time(rec["ended_at"]),
            team=json.loads(rec["team"] or "[]"),
            purpose=rec["purpose"] or "",
            notes=rec["notes"] or "",
            target_kind=rec["target_kind"],
            target_id=rec["target_id"],
            target_inferred=bool(rec["target_inferred"]),
            target_distance_m=rec["target_distance_m"],
            track=track,
            waypoints=waypoints,
            photos=refs.get(None, []),
            created_by=rec["created_by"],
            created_at=_time(rec["created_at"]),
            updated_at=_time(rec["updated_at"]),
            content_hash=rec["content_hash"],
            deleted_at=_time(rec["deleted_at"]),
            deleted_by=rec["deleted_by"],
        )

    def patrols_version(self) -> int:
        # every patrol write appends its audit row in the same transaction
        with self._read() as conn:
            row = conn.execute("SELECT max(id) FROM audit WHERE object_kind='patrol'").fetchone()
        return int(row[0] or 0)

    def _bbox_clause(self, table, bbox, args) -> str:
        minx, miny, maxx, maxy = (float(v) for v in bbox)
        args += [minx, maxx, miny, maxy]
        return (
            f"{table}.fid IN (SELECT id FROM rtree_{table}_geom "
            "WHERE maxx >= ? AND minx <= ? AND maxy >= ? AND miny <= ?)"
        )

    def list_patrols(
        self, target_id=None, since=None, until=None, include_deleted=False, bbox=None,
        limit=None,
    ):
        import geopandas as gpd
        import pandas as pd
        import shapely

        from fossilgis.patrols.model import ALERT_CATEGORIES, format_time

        where, args = [], []
        if not include_deleted:
            where.append("deleted_at IS NULL")
        if target_id is not None:
            where.append("target_id = ?")
            args.append(target_id)
        if since is not None:
            where.append("ended_at >= ?")
            args.append(format_time(since))
        if until is not None:
            where.append("started_at <= ?")
            args.append(format_time(until))
        if bbox is not None:
            where.append(self._bbox_clause("patrols", bbox, args))
        alert_in = ", ".join("?" * len(ALERT_CATEGORIES))
        sql = (
            f"SELECT {', '.join(_PATROL_COLS)}, "
            "(SELECT count(*) FROM waypoints w WHERE w.patrol_uuid = patrols.uuid), "
            f"(SELECT count(*) FROM waypoints w WHERE w.patrol_uuid = patrols.uuid "
            f" AND w.category IN ({alert_in})), "
            "(SELECT count(*) FROM patrol_photos pp WHERE pp.patrol_uuid = patrols.uuid), "
            "geom FROM patrols"
        )
        args = list(ALERT_CATEGORIES) + args
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY started_at DESC, uuid"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        with self._read() as conn:
            rows = conn.execute(sql, args).fetchall()
        names = _PATROL_COLS + ["waypoint_count", "alert_count", "photo_count"]
        frame = pd.DataFrame([r[:-1] for r in rows], columns=names)
        frame["team"] = [json.loads(t or "[]") for t in frame["team"]]
        frame["target_inferred"] = frame["target_inferred"].astype(bool)
        frame["target_distance_m"] = frame["target_distance_m"].astype("float64")
        for col in ("started_at", "ended_at", "created_at", "updated_at", "deleted_at"):
            frame[col] = pd.to_datetime(frame[col], utc=True, format="ISO8601")
        geoms = _gpkgblob.decode_many([r[-1] for r in rows])
        gdf = gpd.GeoDataFrame(frame, geometry=geoms, crs=f"EPSG:{SRS_ID}")
        if bbox is not None and len(gdf):
            gdf = gdf[gdf.intersects(shapely.box(*bbox))].reset_index(drop=True)
        return gdf

    def list_waypoints(
        self, patrol_uuid=None, categories=None, since=None, include_deleted=False
    ):
        import geopandas as gpd
        import pandas as pd

        from fossilgis.patrols.model import format_time

        where, args = [], []
        if not include_deleted:
            where.append("p.deleted_at IS NULL")
        if patrol_uuid is not None:
            where.append("w.patrol_uuid = ?")
            args.append(patrol_uuid)
        if categories is not None:
            categories = list(categories)
            where.append(f"w.category IN ({', '.join('?' * len(categories))})")
            args += categories
        if since is not None:
            where.append("w.observed_at >= ?")
            args.append(format_time(since))
        cols = ", ".join(f"w.{c}" for c in _WAYPOINT_COLS)
        sql = (
            f"SELECT {cols}, p.target_kind, p.target_id, p.created_at, p.created_by, "
            "(SELECT count(*) FROM patrol_photos pp WHERE pp.waypoint_uuid = w.uuid), w.geom "
            "FROM waypoints w JOIN patrols p ON p.uuid = w.patrol_uuid"
        )
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY w.observed_at, w.patrol_uuid, w.seq"
        with self._read() as conn:
            rows = conn.execute(sql, args).fetchall()
        names = _WAYPOINT_COLS + [
            "target_kind", "target_id", "received_at", "created_by", "photo_count"
        ]
        frame = pd.DataFrame([r[:-1] for r in rows], columns=names)
        for col in ("observed_at", "received_at"):
            frame[col] = pd.to_datetime(frame[col], utc=True, format="ISO8601")
        geoms = _gpkgblob.decode_many([r[-1] for r in rows])
        return gpd.GeoDataFrame(frame, geometry=geoms, crs=f"EPSG:{SRS_ID}")

    # -- users and tokens ---------------------------------------------------------------
    def add_user(self, username, role, password_hash, *, by=None):
        try:
            with self._tx() as conn:
                conn.execute(
                    "INSERT INTO users (username, role, password_hash, disabled, created_at, "
                    "created_by) VALUES (?, ?, ?, 0, ?, ?)",
                    (username, role, password_hash, _now(), by),
                )
                self._audit(conn, by, "create", "user", username, {"role": role})
        except sqlite3.IntegrityError:
            if self.get_user(username) is not None:
                raise ConflictError(f"user {username!r} exists already / 用户已存在") from None
            raise StoreError(f"role {role!r} is not admin, patroller or viewer") from None
        return self.get_user(username)

    def get_user(self, username):
        from fossilgis.auth import User

        with self._read() as conn:
            row = conn.execute(
                "SELECT username, role, disabled, created_at, password_hash FROM users "
                "WHERE username=?",
                (username,),
            ).fetchone()
        if row is None:
            return None
        return User(row[0], row[1], bool(row[2]), _time(row[3]), row[4])

    def list_users(self):
        from fossilgis.auth import User

        with self._read() as conn:
            rows = conn.execute(
                "SELECT username, role, disabled, created_at, password_hash FROM users "
                "ORDER BY username"
            ).fetchall()
        return [User(r[0], r[1], bool(r[2]), _time(r[3]), r[4]) for r in rows]

    def set_user_disabled(self, username, disabled=True, *, by=None) -> None:
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE users SET disabled=? WHERE username=?", (int(disabled), username)
            )
            if cur.rowcount == 0:
                raise RecordNotFoundError(
                    f"no user {username!r}; see `fossilgis users list` / 用户不存在"
                )
            self._audit(conn, by, "disable" if disabled else "enable", "user", username)

    def add_token(self, username, token_sha256, label="", *, by=None) -> None:
        with self._tx() as conn:
            row = conn.execute("SELECT 1 FROM users WHERE username=?", (username,)).fetchone()
            if row is None:
                raise RecordNotFoundError(
                    f"no user {username!r}; add it with `fossilgis users add`"
                )
            conn.execute(
                "INSERT INTO api_tokens VALUES (?, ?, ?, ?, NULL)",
                (token_sha256, username, label, _now()),
            )
            # the audit row names the token by the first 8 hex digits of its hash only
            self._audit(
                conn, by, "create", "token", username,
                {"label": label, "token_sha256_prefix": token_sha256[:8]},
            )

    def token_owner(self, token_sha256):
        with self._read() as conn:
            row = conn.execute(
                "SELECT username FROM api_tokens WHERE token_sha256=? AND revoked_at IS NULL",
                (token_sha256,),
            ).fetchone()
        return None if row is None else row[0]

    def revoke_tokens(self, username, *, by=None) -> int:
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE api_tokens SET revoked_at=? WHERE username=? AND revoked_at IS NULL",
                (_now(), username),
            )
            if cur.rowcount:
                self._audit(conn, by, "revoke", "token", username, {"count": cur.rowcount})
        return cur.rowcount
