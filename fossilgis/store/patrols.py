"""Patrols and their waypoints and photo links: saving, editing, soft delete, queries.

Every write is one transaction that also appends its audit row (on the GeoPackage, new
patrols sent at the same moment share one, each in its own savepoint: see
:mod:`.group_commit`). A patrol's uniqueness is the ``UNIQUE`` constraint on
``patrols.uuid``: a re-send with the same content hash is "already stored" (answered from
a read), a different hash a ConflictError; a record is never overwritten.
"""

from __future__ import annotations

from collections.abc import Callable

from fossilgis.errors import ConflictError, RecordNotFoundError, StoreError
from fossilgis.store import patrol_queries as queries
from fossilgis.store import patrol_records as records
from fossilgis.store._common import now_text
from fossilgis.store.audit import AuditLog
from fossilgis.store.columns import PATROL_COLS, WAYPOINT_COLS
from fossilgis.store.db import Database, filters
from fossilgis.store.group_commit import GroupCommit
from fossilgis.store.patrol_maps import PatrolMaps
from fossilgis.store.patrol_revisions import PatrolRevisions

#: test hook: called inside the patrol write transaction after each waypoint row
#: (the kill test makes it sleep so that the process can be killed mid-transaction)
_after_waypoint_row: Callable[[], None] | None = None


class Patrols:
    """The ``patrols``, ``waypoints`` and ``patrol_photos`` tables of one store."""

    #: admin corrections and every version of a record (made per use: no reference cycle)
    revisions = property(lambda self: PatrolRevisions(self.db, self.audit, self))

    def __init__(self, db: Database, audit: AuditLog):
        self.db = db
        self.audit = audit
        #: the web map's patrol layers and the coverage, in SQL
        self.maps = PatrolMaps(db)
        # where writers take turns, new patrols of concurrent uploads share a COMMIT
        self._group = GroupCommit(db) if db.dialect.serial_writers else None

    # -- writing ------------------------------------------------------------------------
    def _check_photos_stored(self, conn, patrol) -> None:
        for ref in patrol.all_photos():
            if not ref.sha256:
                raise StoreError(
                    f"patrol {patrol.uuid}: photo {ref.name!r} has not been stored; "
                    "call put_photo first (submit_patrol does)"
                )
            row = conn.execute(
                self.db.q("SELECT 1 FROM photos WHERE sha256=?"), (ref.sha256,)
            ).fetchone()
            if row is None:
                raise StoreError(f"patrol {patrol.uuid}: photo {ref.sha256} is not in the store")

    def _insert_children(self, conn, patrol, rows=None) -> None:
        """The waypoints (refused whole if one's UUID is another patrol's) and photo links
        (``rows``: the waypoint rows, when already built)."""
        d, hook = self.db.dialect, _after_waypoint_row
        cols = WAYPOINT_COLS + ["geom"]
        marks = ["?"] * len(WAYPOINT_COLS) + [d.geom_param]
        sql = self.db.q(
            f"INSERT INTO waypoints ({', '.join(cols)}) VALUES ({', '.join(marks)})"
            + d.conflict_clause("uuid")
        )
        rows = records.waypoint_rows(d, patrol) if rows is None else rows
        # a UUID already stored inserts nothing (no error, which would end a PostgreSQL
        # transaction): fewer rows than sent is a clash, reported, then rolled back
        if hook is None:
            inserted = d.executemany(conn, sql, rows) if rows else 0
        else:
            inserted = 0
            for row in rows:
                inserted += conn.execute(sql, row).rowcount
                hook()
        if inserted < len(rows):
            uuids = [r[0] for r in rows]
            where, args = d.in_("uuid", uuids)
            clash = dict(
                conn.execute(
                    self.db.q(
                        f"SELECT uuid, patrol_uuid FROM waypoints WHERE {where} "
                        "AND patrol_uuid <> ?"
                    ),
                    (*args, patrol.uuid),
                ).fetchall()
            )
            # the first refused row: another patrol's UUID, or one used twice in this one
            seq = next((i for i, u in enumerate(uuids) if u in clash or u in uuids[:i]), "?")
            wp_uuid = "?" if seq == "?" else uuids[seq]
            other = clash.get(wp_uuid, "?" if seq == "?" else patrol.uuid)
            raise ConflictError(
                f"waypoints[{seq}].uuid: {wp_uuid} already belongs to patrol "
                f"{other}; every waypoint needs its own UUID / 航点 UUID 重复"
            )
        links = records.photo_link_rows(patrol)
        if links:
            d.executemany(
                conn, self.db.q("INSERT INTO patrol_photos VALUES (?, ?, ?, ?, ?)"), links
            )
        if patrol.geometry is not None:
            d.grow_extent(conn, "patrols", patrol.geometry.bounds)
        if patrol.waypoints:
            xs = [w.lon for w in patrol.waypoints]
            ys = [w.lat for w in patrol.waypoints]
            d.grow_extent(conn, "waypoints", (min(xs), min(ys), max(xs), max(ys)))

    def _stored_hash(self, conn, uuid):
        row = conn.execute(
            self.db.q("SELECT content_hash FROM patrols WHERE uuid=?"), (uuid,)
        ).fetchone()
        return None if row is None else row[0]

    def save(self, patrol, user: str):
        """Store a new patrol with its waypoints and photo links in one transaction.

        Parameters
        ----------
        patrol : fossilgis.patrols.model.Patrol
            Validated; every photo already stored with ``put_photo``.
        user : str
            Who sends it (written as ``created_by`` and in the audit row).

        Returns
        -------
        (Patrol, bool)
            The stored record and True when it was created now; False when the same UUID
            with the same content hash was stored before (an idempotent re-send).

        Raises
        ------
        ConflictError
            The UUID is stored with a different content hash, or a waypoint UUID belongs
            to another patrol. Uniqueness is a database constraint, not a check-then-insert.
        """
        from fossilgis.patrols.model import content_hash

        d = self.db.dialect
        digest = content_hash(patrol)
        with self.db.read() as conn:  # a re-send needs no write transaction
            stored = self._stored_hash(conn, patrol.uuid)
        if stored is None:
            # the rows are built before the transaction: writers wait for it in turn
            row = records.patrol_row(d, patrol, user, now_text(), digest)
            insert = self.db.q(
                f"INSERT INTO patrols ({', '.join(row)}) "
                f"VALUES ({', '.join(records.row_marks(d, row))})" + d.conflict_clause("uuid")
            )
            waypoints = records.waypoint_rows(d, patrol)
            detail = {
                "content_hash": digest,
                "target_kind": patrol.target_kind,
                "target_id": patrol.target_id,
                "waypoints": len(patrol.waypoints),
                "photos": [p.sha256 for p in patrol.all_photos()],
            }

            def write(conn):
                """None once inserted, else the hash stored meanwhile (the UNIQUE
                constraint decides: a concurrent insert of the same uuid waits for the
                other transaction and inserts nothing, or raises)."""
                self._check_photos_stored(conn, patrol)
                if not conn.execute(insert, list(row.values())).rowcount:
                    return self._stored_hash(conn, patrol.uuid)
                self._insert_children(conn, patrol, waypoints)
                self.audit.record(conn, user, "create", "patrol", patrol.uuid, detail)
                return None

            try:
                if self._group is not None:
                    stored = self._group.run(write)
                else:
                    with self.db.tx() as conn:
                        stored = write(conn)
            except d.integrity_errors:
                # another writer inserted the same uuid between our check and our insert
                with self.db.read() as conn:
                    stored = self._stored_hash(conn, patrol.uuid)
                if stored is None:
                    raise
            else:
                if stored is None:
                    return self.get(patrol.uuid), True
        if stored != digest:
            raise ConflictError(
                f"patrol {patrol.uuid} is already stored with different content; a record is "
                "never overwritten by a re-send. Send it with a new UUID if it is a new "
                "patrol, or edit the stored one / 该 UUID 的巡护记录已存在且内容不同"
            )
        return self.get(patrol.uuid), False

    def update(self, patrol, user: str, *, base_hash: str):
        """Replace a patrol's content (an edit); ``base_hash`` is the hash the editor started
        from, and a different stored hash raises ConflictError (someone else edited it)."""
        from fossilgis.patrols.model import content_hash

        d = self.db.dialect
        digest = content_hash(patrol)
        with self.db.tx() as conn:
            old = conn.execute(
                self.db.q(
                    "SELECT content_hash, created_by, created_at, deleted_at FROM patrols "
                    "WHERE uuid=?" + d.for_update
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
                return self.get(patrol.uuid)
            self._check_photos_stored(conn, patrol)
            patrol = patrol.replace(created_by=old[1])
            row = records.patrol_row(
                d, patrol, user, now_text(), digest, created_at=d.time_text(old[2])
            )
            del row["uuid"]
            sets = ", ".join(f"{c}={p}" for c, p in zip(row, records.row_marks(d, row)))
            conn.execute(
                self.db.q(f"UPDATE patrols SET {sets} WHERE uuid=?"),
                list(row.values()) + [patrol.uuid],
            )
            for table in ("waypoints", "patrol_photos"):
                conn.execute(self.db.q(f"DELETE FROM {table} WHERE patrol_uuid=?"), (patrol.uuid,))
            self._insert_children(conn, patrol)
            self.audit.record(
                conn,
                user,
                "edit",
                "patrol",
                patrol.uuid,
                {"content_hash": digest, "previous_hash": old[0]},
            )
        return self.get(patrol.uuid)

    def _set_deleted(self, uuid, user, delete: bool) -> None:
        for_update = self.db.dialect.for_update
        with self.db.tx() as conn:
            row = conn.execute(
                self.db.q("SELECT deleted_at FROM patrols WHERE uuid=?" + for_update),
                (uuid,),
            ).fetchone()
            if row is None:
                raise RecordNotFoundError(
                    f"no patrol {uuid}; list them with `fossilgis patrol list --deleted`"
                )
            was = self.db.dialect.time_text(row[0])
            if delete and was is not None:
                raise ConflictError(f"patrol {uuid} is already deleted (at {was})")
            if not delete and was is None:
                raise ConflictError(f"patrol {uuid} is not deleted; nothing to restore")
            conn.execute(
                self.db.q("UPDATE patrols SET deleted_at=?, deleted_by=? WHERE uuid=?"),
                (now_text() if delete else None, user if delete else None, uuid),
            )
            self.audit.record(
                conn,
                user,
                "delete" if delete else "restore",
                "patrol",
                uuid,
                {"deleted_at": was} if not delete else None,
            )

    def delete(self, uuid: str, user: str) -> None:
        """Soft-delete (hide) a patrol; RecordNotFoundError / ConflictError if already deleted."""
        self._set_deleted(uuid, user, True)

    def restore(self, uuid: str, user: str) -> None:
        """Undo a soft delete; RecordNotFoundError / ConflictError if it is not deleted."""
        self._set_deleted(uuid, user, False)

    # -- reading ------------------------------------------------------------------------
    def get(self, uuid: str):
        """The full Patrol (waypoints, photos, server fields), deleted or not; None if unknown."""
        d = self.db.dialect
        with self.db.read() as conn:
            row = conn.execute(
                self.db.q(
                    f"SELECT {', '.join(PATROL_COLS)}, {d.geom_col('geom')} FROM patrols "
                    "WHERE uuid=?"
                ),
                (uuid,),
            ).fetchone()
            if row is None:
                return None
            wps = conn.execute(
                self.db.q(
                    f"SELECT {', '.join(WAYPOINT_COLS)}, {d.geom_col('geom')} "
                    "FROM waypoints WHERE patrol_uuid=? ORDER BY seq"
                ),
                (uuid,),
            ).fetchall()
            photos = conn.execute(
                self.db.q(
                    "SELECT pp.waypoint_uuid, pp.sha256, pp.name, p.mime, p.width, p.height, "
                    "p.lon, p.lat, p.taken_at FROM patrol_photos pp JOIN photos p "
                    "USING (sha256) WHERE pp.patrol_uuid=? ORDER BY pp.seq"
                ),
                (uuid,),
            ).fetchall()
        return records.patrol_from_rows(d, row, wps, photos)

    def version(self) -> int:
        """A number that grows whenever a patrol is created, edited, deleted or restored
        (for caches and ETags)."""
        # every patrol write appends its audit row in the same transaction
        return self.audit.latest_id("patrol")

    def list(
        self,
        target_id: str | None = None,
        since=None,
        until=None,
        include_deleted: bool = False,
        bbox=None,
        limit: int | None = None,
    ):
        """Patrols as a GeoDataFrame (EPSG:4490), one row each, newest first.

        ``since``/``until`` (aware datetimes) keep patrols overlapping that span; ``bbox`` is
        (minx, miny, maxx, maxy) in degrees. Columns: the ``patrols`` table's plus
        ``waypoint_count``, ``alert_count``, ``photo_count``; ``team`` is a list.
        """
        return queries.list_frame(
            self.db,
            target_id=target_id,
            since=since,
            until=until,
            include_deleted=include_deleted,
            bbox=bbox,
            limit=limit,
        )

    def page(self, **query):
        """One page of patrol summaries in SQL and the number of all matching patrols:
        (GeoDataFrame as from :meth:`list`, int); parameters: :func:`.patrol_queries.page_rows`."""
        return queries.page(self.db, **query)

    def page_records(self, **query):
        """:meth:`page` as plain values: :func:`.patrol_queries.page_records`."""
        return queries.page_records(self.db, **query)

    def extent(self, include_deleted: bool = False) -> dict:
        """The patrols' bounding box and time span: :func:`.patrol_queries.extent`."""
        return queries.extent(self.db, include_deleted=include_deleted)

    def waypoints(
        self,
        patrol_uuid: str | None = None,
        categories=None,
        since=None,
        include_deleted: bool = False,
    ):
        """Waypoints as a GeoDataFrame with their patrol's target, ``received_at`` (the
        patrol's ``created_at``), ``created_by`` and ``photo_count``; oldest first."""
        from fossilgis.patrols.model import format_time

        d = self.db.dialect
        where, args = filters(("w.patrol_uuid = ?", patrol_uuid))
        if not include_deleted:
            where.insert(0, "p.deleted_at IS NULL")
        if categories is not None:
            clause, values = d.in_("w.category", categories)
            where.append(clause)
            args += values
        if since is not None:
            where.append("w.observed_at >= ?")
            args.append(format_time(since))
        cols = ", ".join(f"w.{c}" for c in WAYPOINT_COLS)
        sql = (
            f"SELECT {cols}, p.target_kind, p.target_id, p.created_at, p.created_by, "
            "(SELECT count(*) FROM patrol_photos pp WHERE pp.waypoint_uuid = w.uuid), "
            f"{d.geom_col('w.geom')} FROM waypoints w "
            "JOIN patrols p ON p.uuid = w.patrol_uuid"
        )
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY w.observed_at, w.patrol_uuid{d.collate}, w.seq"
        names = WAYPOINT_COLS + [
            "target_kind",
            "target_id",
            "received_at",
            "created_by",
            "photo_count",
        ]
        return records.frame(
            d, self.db.all(sql, args), names, ("observed_at", "received_at"), ["photo_count"]
        )
