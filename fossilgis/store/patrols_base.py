"""Patrols, photos, users, API tokens and the audit log: the logic both stores share.

:class:`PatrolStoreLogic` holds every method whose SQL and decisions are the same in the
GeoPackage and PostGIS stores (written once with ``?`` placeholders, see
:class:`fossilgis.store._common.SqlDialect`); :mod:`fossilgis.store.gpkg_patrols` and
:mod:`fossilgis.store.postgis_patrols` add the hooks and what really differs (waypoint
inserts and their clash handling, the bbox filter, integrity errors).
"""

from __future__ import annotations

import datetime as dt
import json

from fossilgis.errors import ConflictError, RecordNotFoundError, StoreError
from fossilgis.store._common import SRS_ID, SqlDialect, fsync_write

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
PATROL_COLS = [n for n, _, _ in PATROL_FIELDS]
WAYPOINT_COLS = [n for n, _, _ in WAYPOINT_FIELDS]

_PATROL_TIMES = ("started_at", "ended_at", "created_at", "updated_at", "deleted_at")
_USER_COLS = "username, role, disabled, created_at, password_hash"


def now_text() -> str:
    """The time written for patrols, photos, users, tokens and audit rows."""
    from fossilgis.patrols.model import format_time

    return format_time(dt.datetime.now(dt.timezone.utc).replace(microsecond=0))


def _escaped(value):
    """A JSON-able audit detail with control characters escaped in every string, so that
    the JSON holds no control character (PostgreSQL's jsonb refuses ``\\u0000`` and lone
    surrogates; a terminal would act on the others)."""
    from fossilgis.auth import escape_control

    if isinstance(value, str):
        return escape_control(value)
    if isinstance(value, dict):
        return {_escaped(str(k)): _escaped(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_escaped(v) for v in value]
    return value


class PatrolStoreLogic(SqlDialect):
    """Patrol, photo, user, token and audit methods of both stores."""

    #: how a JSON value and a geometry are passed as parameters
    _JSON_PARAM = "?"
    _GEOM_PARAM = "?"
    #: cast the count columns of list_patrols / list_waypoints to int64 (empty frames too)
    _INT_COUNTS = False
    #: errors of a patrol insert that mean "another writer stored that uuid"
    _INTEGRITY_ERRORS: tuple = ()
    #: appended to the patrol INSERT (PostgreSQL: ON CONFLICT (uuid) DO NOTHING)
    _PATROL_INSERT_SUFFIX = ""

    # -- hooks --------------------------------------------------------------------------
    @staticmethod
    def _to_time(value) -> dt.datetime | None:
        """A stored time as an aware datetime in UTC."""
        raise NotImplementedError

    @staticmethod
    def _time_text(value) -> str | None:
        """A stored time as the text the GeoPackage store keeps."""
        return value

    @staticmethod
    def _load_team(value) -> list:
        raise NotImplementedError

    def _insert_ignore(self, table: str, ncols: int, key: str) -> str:
        """SQL inserting one row into ``table`` unless ``key`` is already there."""
        raise NotImplementedError

    def _in(self, col: str, values) -> tuple[str, list]:
        """(SQL, parameters) for ``col`` being one of ``values``."""
        values = list(values)
        return f"{col} IN ({', '.join('?' * len(values))})", values

    def _bbox_clause(self, table, bbox, args) -> str:
        raise NotImplementedError

    def _executemany(self, conn, sql: str, rows: list) -> None:
        conn.executemany(sql, rows)

    def _user_errors(self, username, role):
        """A context manager turning a failed user insert into Conflict/StoreError."""
        raise NotImplementedError

    def _insert_children(self, conn, patrol) -> None:
        raise NotImplementedError

    # -- audit --------------------------------------------------------------------------
    def _audit(self, conn, user, action, object_kind, object_id, detail=None) -> None:
        from fossilgis.auth import escape_control

        # names and ids may come from a request (a failed sign-in records the name typed):
        # control characters are escaped so that no value can forge a line of the log
        conn.execute(
            self._q(
                "INSERT INTO audit (at, username, action, object_kind, object_id, detail) "
                f"VALUES (?, ?, ?, ?, ?, {self._JSON_PARAM})"
            ),
            (
                now_text(), escape_control(user), escape_control(action),
                escape_control(object_kind), escape_control(object_id),
                None if detail is None else json.dumps(
                    _escaped(detail), ensure_ascii=False, default=str),
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
        rows = self._read_all(sql, args)
        keys = ("id", "at", "username", "action", "object_kind", "object_id", "detail")
        out = []
        for row in rows:
            rec = dict(zip(keys, row))
            rec["at"] = self._time_text(rec["at"])
            rec["detail"] = self._from_json(rec["detail"]) if rec["detail"] else None
            out.append(rec)
        return out

    # -- photos -------------------------------------------------------------------------
    def photo_path(self, sha256: str, *, thumbnail: bool = False):
        row = self._read_one("SELECT mime FROM photos WHERE sha256=?", (sha256,))
        if row is None:
            raise RecordNotFoundError(f"no photo with SHA-256 {sha256} in the store")
        from fossilgis.patrols.photos import photo_relpath

        return self.data_dir / photo_relpath(sha256, row[0], thumbnail=thumbnail)

    def photo_info(self, sha256: str):
        from fossilgis.patrols.photos import PhotoInfo

        row = self._read_one(
            "SELECT sha256, mime, bytes, width, height, lon, lat, taken_at FROM photos "
            "WHERE sha256=?",
            (sha256,),
        )
        if row is None:
            return None
        return PhotoInfo(*row[:7], taken_at=self._to_time(row[7]))

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
            fsync_write(target, data)
        thumb = self.data_dir / photo_relpath(info.sha256, info.mime, thumbnail=True)
        if not thumb.exists():
            fsync_write(thumb, make_thumbnail(data))
        with self._tx() as conn:
            conn.execute(
                self._q(self._insert_ignore("photos", 9, "sha256")),
                (
                    info.sha256, info.mime, info.bytes, info.width, info.height,
                    info.lon, info.lat, format_time(info.taken_at), now_text(),
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
            "target_inferred": self._bool(patrol.target_inferred),
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
            "geom": self._encode_geom(geom),
        }

    def _row_sql(self, row: dict) -> list[str]:
        """Placeholders for a patrol row (team is JSON, geom a geometry)."""
        casts = {"team": self._JSON_PARAM, "geom": self._GEOM_PARAM}
        return [casts.get(c, "?") for c in row]

    def _check_photos_stored(self, conn, patrol) -> None:
        for ref in patrol.all_photos():
            if not ref.sha256:
                raise StoreError(
                    f"patrol {patrol.uuid}: photo {ref.name!r} has not been stored; "
                    "call put_photo first (submit_patrol does)"
                )
            row = conn.execute(
                self._q("SELECT 1 FROM photos WHERE sha256=?"), (ref.sha256,)
            ).fetchone()
            if row is None:
                raise StoreError(f"patrol {patrol.uuid}: photo {ref.sha256} is not in the store")

    def _waypoint_sql(self) -> str:
        cols = WAYPOINT_COLS + ["geom"]
        marks = ["?"] * len(WAYPOINT_COLS) + [self._GEOM_PARAM]
        return self._q(f"INSERT INTO waypoints ({', '.join(cols)}) VALUES ({', '.join(marks)})")

    def _waypoint_rows(self, patrol) -> list[tuple]:
        import shapely

        from fossilgis.patrols.model import format_time

        rows = []
        for seq, w in enumerate(patrol.waypoints):
            obs = w.observation
            rows.append((
                w.uuid, patrol.uuid, seq, format_time(w.observed_at), w.name,
                obs.category if obs else None, obs.severity if obs else None,
                obs.description if obs else None,
                self._encode_geom(shapely.Point(w.lon, w.lat)),
            ))
        return rows

    @staticmethod
    def _waypoint_clash(seq, wp_uuid, other) -> ConflictError:
        return ConflictError(
            f"waypoints[{seq}].uuid: {wp_uuid} already belongs to patrol "
            f"{other}; every waypoint needs its own UUID / 航点 UUID 重复"
        )

    def _insert_photo_links(self, conn, patrol) -> None:
        """The patrol's photos, then each waypoint's, numbered in that order."""
        rows = [(patrol.uuid, seq, None, ref.sha256, ref.name)
                for seq, ref in enumerate(patrol.photos)]
        for w in patrol.waypoints:
            for ref in w.photos:
                rows.append((patrol.uuid, len(rows), w.uuid, ref.sha256, ref.name))
        if rows:
            self._executemany(
                conn, self._q("INSERT INTO patrol_photos VALUES (?, ?, ?, ?, ?)"), rows
            )

    def _stored_hash(self, conn, uuid):
        row = conn.execute(
            self._q("SELECT content_hash FROM patrols WHERE uuid=?"), (uuid,)
        ).fetchone()
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
                    row = self._patrol_row(patrol, user, now_text(), digest)
                    # the UNIQUE constraint decides: a concurrent insert of the same uuid
                    # raises (SQLite) or waits for the other transaction and inserts nothing
                    cur = conn.execute(
                        self._q(
                            f"INSERT INTO patrols ({', '.join(row)}) "
                            f"VALUES ({', '.join(self._row_sql(row))})"
                            + self._PATROL_INSERT_SUFFIX
                        ),
                        list(row.values()),
                    )
                    if cur.rowcount:
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
                    else:
                        stored = self._stored_hash(conn, patrol.uuid)
        except self._INTEGRITY_ERRORS:
            # another writer inserted the same uuid between our check and our insert
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
                self._q(
                    "SELECT content_hash, created_by, created_at, deleted_at FROM patrols "
                    "WHERE uuid=?" + self._FOR_UPDATE
                ),
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
            row = self._patrol_row(
                patrol, user, now_text(), digest, created_at=self._time_text(old[2])
            )
            del row["uuid"]
            sets = ", ".join(f"{c}={p}" for c, p in zip(row, self._row_sql(row)))
            conn.execute(
                self._q(f"UPDATE patrols SET {sets} WHERE uuid=?"),
                list(row.values()) + [patrol.uuid],
            )
            conn.execute(self._q("DELETE FROM waypoints WHERE patrol_uuid=?"), (patrol.uuid,))
            conn.execute(
                self._q("DELETE FROM patrol_photos WHERE patrol_uuid=?"), (patrol.uuid,)
            )
            self._insert_children(conn, patrol)
            self._audit(
                conn, user, "edit", "patrol", patrol.uuid,
                {"content_hash": digest, "previous_hash": old[0]},
            )
        return self.get_patrol(patrol.uuid)

    def _set_deleted(self, uuid, user, delete: bool) -> None:
        with self._tx() as conn:
            row = conn.execute(
                self._q("SELECT deleted_at FROM patrols WHERE uuid=?" + self._FOR_UPDATE),
                (uuid,),
            ).fetchone()
            if row is None:
                raise RecordNotFoundError(
                    f"no patrol {uuid}; list them with `fossilgis patrol list --deleted`"
                )
            was = self._time_text(row[0])
            if delete and was is not None:
                raise ConflictError(f"patrol {uuid} is already deleted (at {was})")
            if not delete and was is None:
                raise ConflictError(f"patrol {uuid} is not deleted; nothing to restore")
            conn.execute(
                self._q("UPDATE patrols SET deleted_at=?, deleted_by=? WHERE uuid=?"),
                (now_text() if delete else None, user if delete else None, uuid),
            )
            self._audit(
                conn, user, "delete" if delete else "restore", "patrol", uuid,
                {"deleted_at": was} if not delete else None,
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
                self._q(
                    f"SELECT {', '.join(PATROL_COLS)}, {self._geom_col('geom')} FROM patrols "
                    "WHERE uuid=?"
                ),
                (uuid,),
            ).fetchone()
            if row is None:
                return None
            wps = conn.execute(
                self._q(
                    f"SELECT {', '.join(WAYPOINT_COLS)}, {self._geom_col('geom')} "
                    "FROM waypoints WHERE patrol_uuid=? ORDER BY seq"
                ),
                (uuid,),
            ).fetchall()
            photos = conn.execute(
                self._q(
                    "SELECT pp.waypoint_uuid, pp.sha256, pp.name, p.mime, p.width, p.height, "
                    "p.lon, p.lat, p.taken_at FROM patrol_photos pp JOIN photos p "
                    "USING (sha256) WHERE pp.patrol_uuid=? ORDER BY pp.seq"
                ),
                (uuid,),
            ).fetchall()
        to_time = self._to_time
        rec = dict(zip(PATROL_COLS, row))
        (geom,) = self._decode_geoms([row[-1]])
        track = geom if geom is not None and geom.geom_type == "MultiLineString" else None
        refs: dict[str | None, list] = {}
        for wp_uuid, sha, name, mime, width, height, lon, lat, taken in photos:
            refs.setdefault(wp_uuid, []).append(
                PhotoRef(sha, name or "", mime, width, height, lon, lat, to_time(taken))
            )
        points = self._decode_geoms([w[-1] for w in wps])
        waypoints = []
        for w, point in zip(wps, points):
            wr = dict(zip(WAYPOINT_COLS, w))
            obs = None
            if wr["category"] is not None:
                obs = Observation(wr["category"], wr["severity"], wr["description"] or "")
            waypoints.append(
                Waypoint(
                    uuid=wr["uuid"], lon=point.x, lat=point.y,
                    observed_at=to_time(wr["observed_at"]), name=wr["name"] or "",
                    observation=obs, photos=refs.get(wr["uuid"], []),
                )
            )
        return Patrol(
            uuid=rec["uuid"],
            started_at=to_time(rec["started_at"]),
            ended_at=to_time(rec["ended_at"]),
            team=self._load_team(rec["team"]),
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
            created_at=to_time(rec["created_at"]),
            updated_at=to_time(rec["updated_at"]),
            content_hash=rec["content_hash"],
            deleted_at=to_time(rec["deleted_at"]),
            deleted_by=rec["deleted_by"],
        )

    def patrols_version(self) -> int:
        # every patrol write appends its audit row in the same transaction
        row = self._read_one("SELECT max(id) FROM audit WHERE object_kind='patrol'")
        return int(row[0] or 0)

    def _frame(self, rows, names, times):
        """A DataFrame of result rows (the geometry, last, left out); times as text."""
        import pandas as pd

        idx = [names.index(c) for c in times]
        out = []
        for r in rows:
            values = list(r[:-1])
            for i in idx:
                values[i] = self._time_text(values[i])
            out.append(values)
        frame = pd.DataFrame(out, columns=names)
        for col in times:
            frame[col] = pd.to_datetime(frame[col], utc=True, format="ISO8601")
        return frame

    def list_patrols(
        self, target_id=None, since=None, until=None, include_deleted=False, bbox=None,
        limit=None,
    ):
        import geopandas as gpd
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
        alert_sql, alert_args = self._in("w.category", ALERT_CATEGORIES)
        sql = (
            f"SELECT {', '.join(PATROL_COLS)}, "
            "(SELECT count(*) FROM waypoints w WHERE w.patrol_uuid = patrols.uuid), "
            "(SELECT count(*) FROM waypoints w WHERE w.patrol_uuid = patrols.uuid "
            f" AND {alert_sql}), "
            "(SELECT count(*) FROM patrol_photos pp WHERE pp.patrol_uuid = patrols.uuid), "
            f"{self._geom_col('geom')} FROM patrols"
        )
        args = alert_args + args
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY started_at DESC, uuid{self._COLLATE}"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        rows = self._read_all(sql, args)
        names = PATROL_COLS + ["waypoint_count", "alert_count", "photo_count"]
        frame = self._frame(rows, names, _PATROL_TIMES)
        frame["team"] = [self._load_team(t) for t in frame["team"]]
        frame["target_inferred"] = frame["target_inferred"].astype(bool)
        frame["target_distance_m"] = frame["target_distance_m"].astype("float64")
        if self._INT_COUNTS:
            for col in ("waypoint_count", "alert_count", "photo_count"):
                frame[col] = frame[col].astype("int64")
        geoms = self._decode_geoms([r[-1] for r in rows])
        gdf = gpd.GeoDataFrame(frame, geometry=geoms, crs=f"EPSG:{SRS_ID}")
        if bbox is not None and len(gdf):
            gdf = gdf[gdf.intersects(shapely.box(*bbox))].reset_index(drop=True)
        return gdf

    def list_waypoints(
        self, patrol_uuid=None, categories=None, since=None, include_deleted=False
    ):
        import geopandas as gpd

        from fossilgis.patrols.model import format_time

        where, args = [], []
        if not include_deleted:
            where.append("p.deleted_at IS NULL")
        if patrol_uuid is not None:
            where.append("w.patrol_uuid = ?")
            args.append(patrol_uuid)
        if categories is not None:
            clause, values = self._in("w.category", categories)
            where.append(clause)
            args += values
        if since is not None:
            where.append("w.observed_at >= ?")
            args.append(format_time(since))
        cols = ", ".join(f"w.{c}" for c in WAYPOINT_COLS)
        sql = (
            f"SELECT {cols}, p.target_kind, p.target_id, p.created_at, p.created_by, "
            "(SELECT count(*) FROM patrol_photos pp WHERE pp.waypoint_uuid = w.uuid), "
            f"{self._geom_col('w.geom')} FROM waypoints w "
            "JOIN patrols p ON p.uuid = w.patrol_uuid"
        )
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY w.observed_at, w.patrol_uuid{self._COLLATE}, w.seq"
        rows = self._read_all(sql, args)
        names = WAYPOINT_COLS + [
            "target_kind", "target_id", "received_at", "created_by", "photo_count"
        ]
        frame = self._frame(rows, names, ("observed_at", "received_at"))
        if self._INT_COUNTS:
            frame["photo_count"] = frame["photo_count"].astype("int64")
        geoms = self._decode_geoms([r[-1] for r in rows])
        return gpd.GeoDataFrame(frame, geometry=geoms, crs=f"EPSG:{SRS_ID}")

    # -- users and tokens ---------------------------------------------------------------
    def add_user(self, username, role, password_hash, *, by=None):
        with self._user_errors(username, role):
            with self._tx() as conn:
                conn.execute(
                    self._q(
                        "INSERT INTO users (username, role, password_hash, disabled, "
                        "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)"
                    ),
                    (username, role, password_hash, self._bool(False), now_text(), by),
                )
                self._audit(conn, by, "create", "user", username, {"role": role})
        return self.get_user(username)

    @staticmethod
    def _user_taken(username) -> ConflictError:
        return ConflictError(f"user {username!r} exists already / 用户已存在")

    @staticmethod
    def _bad_role(role) -> StoreError:
        return StoreError(f"role {role!r} is not admin, patroller or viewer")

    def _user(self, row):
        from fossilgis.auth import User

        return User(row[0], row[1], bool(row[2]), self._to_time(row[3]), row[4])

    def get_user(self, username):
        row = self._read_one(f"SELECT {_USER_COLS} FROM users WHERE username=?", (username,))
        return None if row is None else self._user(row)

    def list_users(self):
        rows = self._read_all(f"SELECT {_USER_COLS} FROM users ORDER BY username{self._COLLATE}")
        return [self._user(r) for r in rows]

    def set_user_disabled(self, username, disabled=True, *, by=None) -> None:
        with self._tx() as conn:
            cur = conn.execute(
                self._q("UPDATE users SET disabled=? WHERE username=?"),
                (self._bool(disabled), username),
            )
            if cur.rowcount == 0:
                raise RecordNotFoundError(
                    f"no user {username!r}; see `fossilgis users list` / 用户不存在"
                )
            self._audit(conn, by, "disable" if disabled else "enable", "user", username)
            if disabled:
                self._end_sessions(conn, username, by)

    def set_password_hash(self, username, password_hash, *, by=None) -> None:
        with self._tx() as conn:
            cur = conn.execute(
                self._q("UPDATE users SET password_hash=? WHERE username=?"),
                (password_hash, username),
            )
            if cur.rowcount == 0:
                raise RecordNotFoundError(
                    f"no user {username!r}; see `fossilgis users list` / 用户不存在"
                )
            self._audit(conn, by, "password", "user", username)
            self._end_sessions(conn, username, by)

    # -- sign-in sessions (migration 3) -------------------------------------------------
    def start_session(self, username, sid_sha256, expires_at) -> None:
        from fossilgis.patrols.model import format_time

        now = now_text()
        with self._tx() as conn:
            # housekeeping: sessions past their end are of no use (the audit log keeps
            # the sign-ins); one indexed delete per sign-in keeps the table small
            conn.execute(self._q("DELETE FROM sessions WHERE expires_at < ?"), (now,))
            conn.execute(
                self._q(
                    "INSERT INTO sessions (sid_sha256, username, created_at, expires_at) "
                    "VALUES (?, ?, ?, ?)"
                ),
                (sid_sha256, username, now, format_time(expires_at)),
            )

    def session_user(self, sid_sha256):
        row = self._read_one(
            f"SELECT {', '.join('u.' + c for c in _USER_COLS.split(', '))} "
            "FROM sessions s JOIN users u ON u.username = s.username "
            "WHERE s.sid_sha256=? AND s.ended_at IS NULL AND s.expires_at > ?",
            (sid_sha256, now_text()),
        )
        if row is None:
            return None
        user = self._user(row)
        return None if user.disabled else user

    def end_session(self, sid_sha256) -> bool:
        with self._tx() as conn:
            cur = conn.execute(
                self._q("UPDATE sessions SET ended_at=? WHERE sid_sha256=? AND ended_at IS NULL"),
                (now_text(), sid_sha256),
            )
            return cur.rowcount > 0

    def _end_sessions(self, conn, username, by) -> int:
        cur = conn.execute(
            self._q("UPDATE sessions SET ended_at=? WHERE username=? AND ended_at IS NULL "
                    "AND expires_at > ?"),
            (now_text(), username, now_text()),
        )
        count = cur.rowcount
        if count:
            self._audit(conn, by, "end_sessions", "user", username, {"count": count})
        return count

    def end_sessions(self, username, *, by=None) -> int:
        with self._tx() as conn:
            return self._end_sessions(conn, username, by)

    def add_token(self, username, token_sha256, label="", *, by=None) -> None:
        with self._tx() as conn:
            row = conn.execute(
                self._q("SELECT 1 FROM users WHERE username=?"), (username,)
            ).fetchone()
            if row is None:
                raise RecordNotFoundError(
                    f"no user {username!r}; add it with `fossilgis users add`"
                )
            conn.execute(
                self._q("INSERT INTO api_tokens VALUES (?, ?, ?, ?, NULL)"),
                (token_sha256, username, label, now_text()),
            )
            # the audit row names the token by the first 8 hex digits of its hash only
            self._audit(
                conn, by, "create", "token", username,
                {"label": label, "token_sha256_prefix": token_sha256[:8]},
            )

    def token_owner(self, token_sha256):
        row = self._read_one(
            "SELECT username FROM api_tokens WHERE token_sha256=? AND revoked_at IS NULL",
            (token_sha256,),
        )
        return None if row is None else row[0]

    def revoke_tokens(self, username, *, by=None) -> int:
        with self._tx() as conn:
            cur = conn.execute(
                self._q(
                    "UPDATE api_tokens SET revoked_at=? WHERE username=? AND revoked_at IS NULL"
                ),
                (now_text(), username),
            )
            count = cur.rowcount
            if count:
                self._audit(conn, by, "revoke", "token", username, {"count": count})
        return count
