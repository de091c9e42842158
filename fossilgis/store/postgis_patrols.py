"""Patrols, photos, users, API tokens and the audit log in the PostGIS store (a mixin).

The semantics are the GeoPackage store's (:mod:`fossilgis.store.gpkg_patrols`): every
write is one transaction that also appends its audit row; a patrol's uniqueness is the
``UNIQUE`` constraint on ``patrols.uuid`` (``INSERT … ON CONFLICT DO NOTHING``, then the
stored content hash decides between "already stored" and ConflictError); photo files are
written before the transaction that references them. Values come back as the same Python
types as from the GeoPackage store.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

from fossilgis.errors import ConflictError, RecordNotFoundError, StoreError
from fossilgis.store.gpkg_patrols import _PATROL_COLS, _WAYPOINT_COLS, _fsync_write

#: test hook: called inside the patrol write transaction after each waypoint row
_after_waypoint_row: Callable[[], None] | None = None

SRS_ID = 4490

#: migration 2: the tables of :mod:`fossilgis.store.gpkg_patrols` with PostgreSQL types
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


def _now() -> str:
    from fossilgis.patrols.model import format_time

    return format_time(dt.datetime.now(dt.timezone.utc).replace(microsecond=0))


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """A timestamptz as the GeoPackage store returns times: aware, in datetime.timezone.utc."""
    return None if value is None else value.astimezone(dt.timezone.utc)


def _text(value: dt.datetime | None) -> str | None:
    from fossilgis.patrols.model import format_time

    return None if value is None else format_time(value)


def _texts(row, times: list[int]) -> list:
    out = list(row)
    for i in times:
        out[i] = _text(out[i])
    return out


def _wkb(geom) -> bytes | None:
    import shapely

    return None if geom is None else shapely.to_wkb(geom, output_dimension=2)


def _geoms(blobs) -> list:
    import shapely

    return list(shapely.from_wkb([None if b is None else bytes(b) for b in blobs]))


class PostGISPatrolMixin:
    """Patrol, photo, user, token and audit methods of :class:`PostGISStore`."""

    # -- audit --------------------------------------------------------------------------
    @staticmethod
    def _audit(conn, user, action, object_kind, object_id, detail=None) -> None:
        conn.execute(
            "INSERT INTO audit (at, username, action, object_kind, object_id, detail) "
            "VALUES (%s, %s, %s, %s, %s, %s::jsonb)",
            (
                _now(), user, action, object_kind, object_id,
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
                where.append(f"{col} = %s")
                args.append(value)
        sql = "SELECT id, at, username, action, object_kind, object_id, detail FROM audit"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT %s"
            args.append(int(limit))
        with self._read() as conn:
            rows = conn.execute(sql, args).fetchall()
        keys = ("id", "at", "username", "action", "object_kind", "object_id", "detail")
        out = []
        for row in rows:
            rec = dict(zip(keys, row))
            rec["at"] = _text(rec["at"])
            rec["detail"] = rec["detail"] or None
            out.append(rec)
        return out

    # -- photos -------------------------------------------------------------------------
    def photo_path(self, sha256: str, *, thumbnail: bool = False):
        with self._read() as conn:
            row = conn.execute("SELECT mime FROM photos WHERE sha256=%s", (sha256,)).fetchone()
        if row is None:
            raise RecordNotFoundError(f"no photo with SHA-256 {sha256} in the store")
        from fossilgis.patrols.photos import photo_relpath

        return self.data_dir / photo_relpath(sha256, row[0], thumbnail=thumbnail)

    def photo_info(self, sha256: str):
        from fossilgis.patrols.photos import PhotoInfo

        with self._read() as conn:
            row = conn.execute(
                "SELECT sha256, mime, bytes, width, height, lon, lat, taken_at FROM photos "
                "WHERE sha256=%s",
                (sha256,),
            ).fetchone()
        if row is None:
            return None
        return PhotoInfo(*row[:7], taken_at=_utc(row[7]))

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
                "INSERT INTO photos VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (sha256) DO NOTHING",
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
            "target_inferred": bool(patrol.target_inferred),
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
            "geom": _wkb(geom),
        }

    @staticmethod
    def _row_sql(row: dict) -> list[str]:
        """Placeholders for a patrol row: jsonb for team, WKB for geom."""
        casts = {"team": "%s::jsonb", "geom": f"ST_GeomFromWKB(%s, {SRS_ID})"}
        return [casts.get(c, "%s") for c in row]

    def _check_photos_stored(self, conn, patrol) -> None:
        for ref in patrol.all_photos():
            if not ref.sha256:
                raise StoreError(
                    f"patrol {patrol.uuid}: photo {ref.name!r} has not been stored; "
                    "call put_photo first (submit_patrol does)"
                )
            row = conn.execute("SELECT 1 FROM photos WHERE sha256=%s", (ref.sha256,)).fetchone()
            if row is None:
                raise StoreError(f"patrol {patrol.uuid}: photo {ref.sha256} is not in the store")

    def _insert_children(self, conn, patrol) -> None:
        import psycopg
        import shapely

        from fossilgis.patrols.model import format_time

        hook = _after_waypoint_row
        cols = _WAYPOINT_COLS + ["geom"]
        sql = (
            f"INSERT INTO waypoints ({', '.join(cols)}) VALUES "
            f"({', '.join(['%s'] * len(_WAYPOINT_COLS))}, ST_GeomFromWKB(%s, {SRS_ID}))"
        )
        rows = []
        for seq, w in enumerate(patrol.waypoints):
            obs = w.observation
            rows.append((
                w.uuid, patrol.uuid, seq, format_time(w.observed_at), w.name,
                obs.category if obs else None, obs.severity if obs else None,
                obs.description if obs else None, _wkb(shapely.Point(w.lon, w.lat)),
            ))
        try:
            with conn.transaction():  # a savepoint: a clash is reported, then rolled back
                if hook is None:
                    if rows:
                        with conn.cursor() as cur:
                            cur.executemany(sql, rows)
                else:
                    for row in rows:
                        conn.execute(sql, row)
                        hook()
        except psycopg.errors.UniqueViolation:
            uuids = [r[0] for r in rows]
            clash = conn.execute(
                "SELECT uuid, patrol_uuid FROM waypoints WHERE uuid = ANY(%s) "
                "AND patrol_uuid <> %s",
                (uuids, patrol.uuid),
            ).fetchall()
            wp_uuid, other = clash[0] if clash else ("?", "?")
            seq = uuids.index(wp_uuid) if wp_uuid in uuids else "?"
            raise ConflictError(
                f"waypoints[{seq}].uuid: {wp_uuid} already belongs to patrol "
                f"{other}; every waypoint needs its own UUID / 航点 UUID 重复"
            ) from None
        photo_rows = [(patrol.uuid, seq, None, ref.sha256, ref.name)
                      for seq, ref in enumerate(patrol.photos)]
        for w in patrol.waypoints:
            for ref in w.photos:
                photo_rows.append((patrol.uuid, len(photo_rows), w.uuid, ref.sha256, ref.name))
        if photo_rows:
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO patrol_photos VALUES (%s, %s, %s, %s, %s)", photo_rows
                )

    def _conflict(self, uuid) -> ConflictError:
        return ConflictError(
            f"patrol {uuid} is already stored with different content; a record is never "
            "overwritten by a re-send. Send it with a new UUID if it is a new patrol, or edit "
            "the stored one / 该 UUID 的巡护记录已存在且内容不同"
        )

    def save_patrol(self, patrol, user):
        from fossilgis.patrols.model import content_hash

        digest = content_hash(patrol)
        with self._tx() as conn:
            stored = conn.execute(
                "SELECT content_hash FROM patrols WHERE uuid=%s", (patrol.uuid,)
            ).fetchone()
            if stored is not None:  # a re-send: the stored hash decides, nothing is written
                stored = stored[0]
                if stored != digest:
                    raise self._conflict(patrol.uuid)
                return self.get_patrol(patrol.uuid), False
            self._check_photos_stored(conn, patrol)
            row = self._patrol_row(patrol, user, _now(), digest)
            # the UNIQUE constraint decides: a concurrent insert of the same uuid waits
            # for the other transaction and then inserts nothing
            inserted = conn.execute(
                f"INSERT INTO patrols ({', '.join(row)}) VALUES "
                f"({', '.join(self._row_sql(row))}) ON CONFLICT (uuid) DO NOTHING "
                "RETURNING fid",
                list(row.values()),
            ).fetchone()
            if inserted is not None:
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
                stored = None
            else:
                stored = conn.execute(
                    "SELECT content_hash FROM patrols WHERE uuid=%s", (patrol.uuid,)
                ).fetchone()[0]
        if stored is None:
            return self.get_patrol(patrol.uuid), True
        if stored != digest:
            raise self._conflict(patrol.uuid)
        return self.get_patrol(patrol.uuid), False

    def update_patrol(self, patrol, user, *, base_hash):
        from fossilgis.patrols.model import content_hash, format_time

        digest = content_hash(patrol)
        with self._tx() as conn:
            old = conn.execute(
                "SELECT content_hash, created_by, created_at, deleted_at FROM patrols "
                "WHERE uuid=%s FOR UPDATE",
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
            row = self._patrol_row(patrol, user, _now(), digest, created_at=format_time(old[2]))
            del row["uuid"]
            sets = ", ".join(f"{c}={p}" for c, p in zip(row, self._row_sql(row)))
            conn.execute(
                f"UPDATE patrols SET {sets} WHERE uuid=%s", list(row.values()) + [patrol.uuid]
            )
            conn.execute("DELETE FROM waypoints WHERE patrol_uuid=%s", (patrol.uuid,))
            conn.execute("DELETE FROM patrol_photos WHERE patrol_uuid=%s", (patrol.uuid,))
            self._insert_children(conn, patrol)
            self._audit(
                conn, user, "edit", "patrol", patrol.uuid,
                {"content_hash": digest, "previous_hash": old[0]},
            )
        return self.get_patrol(patrol.uuid)

    def _set_deleted(self, uuid, user, delete: bool) -> None:
        with self._tx() as conn:
            row = conn.execute(
                "SELECT deleted_at FROM patrols WHERE uuid=%s FOR UPDATE", (uuid,)
            ).fetchone()
            if row is None:
                raise RecordNotFoundError(
                    f"no patrol {uuid}; list them with `fossilgis patrol list --deleted`"
                )
            was = _text(row[0])
            if delete and was is not None:
                raise ConflictError(f"patrol {uuid} is already deleted (at {was})")
            if not delete and was is None:
                raise ConflictError(f"patrol {uuid} is not deleted; nothing to restore")
            conn.execute(
                "UPDATE patrols SET deleted_at=%s, deleted_by=%s WHERE uuid=%s",
                (_now() if delete else None, user if delete else None, uuid),
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
                f"SELECT {', '.join(_PATROL_COLS)}, ST_AsBinary(geom) FROM patrols "
                "WHERE uuid=%s",
                (uuid,),
            ).fetchone()
            if row is None:
                return None
            wps = conn.execute(
                f"SELECT {', '.join(_WAYPOINT_COLS)}, ST_AsBinary(geom) FROM waypoints "
                "WHERE patrol_uuid=%s ORDER BY seq",
                (uuid,),
            ).fetchall()
            photos = conn.execute(
                "SELECT pp.waypoint_uuid, pp.sha256, pp.name, p.mime, p.width, p.height, "
                "p.lon, p.lat, p.taken_at FROM patrol_photos pp JOIN photos p USING (sha256) "
                "WHERE pp.patrol_uuid=%s ORDER BY pp.seq",
                (uuid,),
            ).fetchall()
        rec = dict(zip(_PATROL_COLS, row))
        (geom,) = _geoms([row[-1]])
        track = geom if geom is not None and geom.geom_type == "MultiLineString" else None
        refs: dict[str | None, list] = {}
        for wp_uuid, sha, name, mime, width, height, lon, lat, taken in photos:
            refs.setdefault(wp_uuid, []).append(
                PhotoRef(sha, name or "", mime, width, height, lon, lat, _utc(taken))
            )
        points = _geoms([w[-1] for w in wps])
        waypoints = []
        for w, point in zip(wps, points):
            wr = dict(zip(_WAYPOINT_COLS, w))
            obs = None
            if wr["category"] is not None:
                obs = Observation(wr["category"], wr["severity"], wr["description"] or "")
            waypoints.append(
                Waypoint(
                    uuid=wr["uuid"], lon=point.x, lat=point.y,
                    observed_at=_utc(wr["observed_at"]), name=wr["name"] or "",
                    observation=obs, photos=refs.get(wr["uuid"], []),
                )
            )
        return Patrol(
            uuid=rec["uuid"],
            started_at=_utc(rec["started_at"]),
            ended_at=_utc(rec["ended_at"]),
            team=list(rec["team"] or []),
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
            created_at=_utc(rec["created_at"]),
            updated_at=_utc(rec["updated_at"]),
            content_hash=rec["content_hash"],
            deleted_at=_utc(rec["deleted_at"]),
            deleted_by=rec["deleted_by"],
        )

    def patrols_version(self) -> int:
        with self._read() as conn:
            row = conn.execute("SELECT max(id) FROM audit WHERE object_kind='patrol'").fetchone()
        return int(row[0] or 0)

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
            where.append("target_id = %s")
            args.append(target_id)
        if since is not None:
            where.append("ended_at >= %s")
            args.append(format_time(since))
        if until is not None:
            where.append("started_at <= %s")
            args.append(format_time(until))
        if bbox is not None:
            minx, miny, maxx, maxy = (float(v) for v in bbox)
            where.append(f"geom && ST_MakeEnvelope(%s, %s, %s, %s, {SRS_ID})")
            args += [minx, miny, maxx, maxy]
        sql = (
            f"SELECT {', '.join(_PATROL_COLS)}, "
            "(SELECT count(*) FROM waypoints w WHERE w.patrol_uuid = patrols.uuid), "
            "(SELECT count(*) FROM waypoints w WHERE w.patrol_uuid = patrols.uuid "
            " AND w.category = ANY(%s)), "
            "(SELECT count(*) FROM patrol_photos pp WHERE pp.patrol_uuid = patrols.uuid), "
            "ST_AsBinary(geom) FROM patrols"
        )
        args = [list(ALERT_CATEGORIES)] + args
        if where:
            sql += " WHERE " + " AND ".join(where)
        # COLLATE "C": the byte order SQLite uses, whatever the database's locale
        sql += ' ORDER BY started_at DESC, uuid COLLATE "C"'
        if limit is not None:
            sql += " LIMIT %s"
            args.append(int(limit))
        with self._read() as conn:
            rows = conn.execute(sql, args).fetchall()
        names = _PATROL_COLS + ["waypoint_count", "alert_count", "photo_count"]
        # times through the GeoPackage store's text form: the same dtype and resolution
        times = [names.index(c) for c in
                 ("started_at", "ended_at", "created_at", "updated_at", "deleted_at")]
        frame = pd.DataFrame([_texts(r[:-1], times) for r in rows], columns=names)
        frame["team"] = [list(t or []) for t in frame["team"]]
        frame["target_inferred"] = frame["target_inferred"].astype(bool)
        frame["target_distance_m"] = frame["target_distance_m"].astype("float64")
        for col in ("started_at", "ended_at", "created_at", "updated_at", "deleted_at"):
            frame[col] = pd.to_datetime(frame[col], utc=True, format="ISO8601")
        for col in ("waypoint_count", "alert_count", "photo_count"):
            frame[col] = frame[col].astype("int64")
        gdf = gpd.GeoDataFrame(frame, geometry=_geoms([r[-1] for r in rows]),
                               crs=f"EPSG:{SRS_ID}")
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
            where.append("w.patrol_uuid = %s")
            args.append(patrol_uuid)
        if categories is not None:
            where.append("w.category = ANY(%s)")
            args.append(list(categories))
        if since is not None:
            where.append("w.observed_at >= %s")
            args.append(format_time(since))
        cols = ", ".join(f"w.{c}" for c in _WAYPOINT_COLS)
        sql = (
            f"SELECT {cols}, p.target_kind, p.target_id, p.created_at, p.created_by, "
            "(SELECT count(*) FROM patrol_photos pp WHERE pp.waypoint_uuid = w.uuid), "
            "ST_AsBinary(w.geom) FROM waypoints w JOIN patrols p ON p.uuid = w.patrol_uuid"
        )
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += ' ORDER BY w.observed_at, w.patrol_uuid COLLATE "C", w.seq'
        with self._read() as conn:
            rows = conn.execute(sql, args).fetchall()
        names = _WAYPOINT_COLS + [
            "target_kind", "target_id", "received_at", "created_by", "photo_count"
        ]
        times = [names.index("observed_at"), names.index("received_at")]
        frame = pd.DataFrame([_texts(r[:-1], times) for r in rows], columns=names)
        for col in ("observed_at", "received_at"):
            frame[col] = pd.to_datetime(frame[col], utc=True, format="ISO8601")
        frame["photo_count"] = frame["photo_count"].astype("int64")
        return gpd.GeoDataFrame(frame, geometry=_geoms([r[-1] for r in rows]),
                                crs=f"EPSG:{SRS_ID}")

    # -- users and tokens ---------------------------------------------------------------
    def add_user(self, username, role, password_hash, *, by=None):
        import psycopg

        try:
            with self._tx() as conn:
                conn.execute(
                    "INSERT INTO users (username, role, password_hash, disabled, created_at, "
                    "created_by) VALUES (%s, %s, %s, false, %s, %s)",
                    (username, role, password_hash, _now(), by),
                )
                self._audit(conn, by, "create", "user", username, {"role": role})
        except psycopg.errors.UniqueViolation:
            raise ConflictError(f"user {username!r} exists already / 用户已存在") from None
        except psycopg.errors.CheckViolation:
            raise StoreError(f"role {role!r} is not admin, patroller or viewer") from None
        return self.get_user(username)

    @staticmethod
    def _user(row):
        from fossilgis.auth import User

        return User(row[0], row[1], bool(row[2]), _utc(row[3]), row[4])

    def get_user(self, username):
        with self._read() as conn:
            row = conn.execute(
                "SELECT username, role, disabled, created_at, password_hash FROM users "
                "WHERE username=%s",
                (username,),
            ).fetchone()
        return None if row is None else self._user(row)

    def list_users(self):
        with self._read() as conn:
            rows = conn.execute(
                "SELECT username, role, disabled, created_at, password_hash FROM users "
                'ORDER BY username COLLATE "C"'
            ).fetchall()
        return [self._user(r) for r in rows]

    def set_user_disabled(self, username, disabled=True, *, by=None) -> None:
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE users SET disabled=%s WHERE username=%s", (bool(disabled), username)
            )
            if cur.rowcount == 0:
                raise RecordNotFoundError(
                    f"no user {username!r}; see `fossilgis users list` / 用户不存在"
                )
            self._audit(conn, by, "disable" if disabled else "enable", "user", username)

    def add_token(self, username, token_sha256, label="", *, by=None) -> None:
        with self._tx() as conn:
            row = conn.execute("SELECT 1 FROM users WHERE username=%s", (username,)).fetchone()
            if row is None:
                raise RecordNotFoundError(
                    f"no user {username!r}; add it with `fossilgis users add`"
                )
            conn.execute(
                "INSERT INTO api_tokens VALUES (%s, %s, %s, %s, NULL)",
                (token_sha256, username, label, _now()),
            )
            self._audit(
                conn, by, "create", "token", username,
                {"label": label, "token_sha256_prefix": token_sha256[:8]},
            )

    def token_owner(self, token_sha256):
        with self._read() as conn:
            row = conn.execute(
                "SELECT username FROM api_tokens WHERE token_sha256=%s AND revoked_at IS NULL",
                (token_sha256,),
            ).fetchone()
        return None if row is None else row[0]

    def revoke_tokens(self, username, *, by=None) -> int:
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE api_tokens SET revoked_at=%s WHERE username=%s AND revoked_at IS NULL",
                (_now(), username),
            )
            count = cur.rowcount
            if count:
                self._audit(conn, by, "revoke", "token", username, {"count": count})
        return count
