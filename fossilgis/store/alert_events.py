"""The steps of each alert's life (``alert_events``): recording one, checked and audited, and
reading them back, the same on both stores.

A step is one row keyed by (waypoint_uuid, seq) and never changed afterwards; which step may
follow which, and what each must carry, is decided by
:func:`fossilgis.patrols.alert_lifecycle.new_event`. Recording takes the alert's waypoint
row for update (PostGIS; the GeoPackage has one writer at a time), so two people stepping
the same alert at once are taken in turn. An attachment (the authority's letter: PDF, JPEG
or PNG) is kept once by SHA-256 with the case register's files (``case_blobs``,
``<data>/case-files/``), written before the row that names it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid as uuidlib

from fossilgis.errors import ConflictError, RecordNotFoundError
from fossilgis.patrols.alert_lifecycle import EVENT_COLUMNS, AlertEvent, AlertStepError
from fossilgis.store.audit import AuditLog
from fossilgis.store.db import Database

_TIMES = ("at", "recorded_at")


def _uuid(value, name: str) -> str:
    try:
        return str(uuidlib.UUID(str(value).strip()))
    except (ValueError, AttributeError, TypeError):
        raise RecordNotFoundError(
            f"{name}: {str(value)[:60]!r} is not a UUID; an alert is named by its waypoint's "
            "UUID (see `fossilgis patrol alerts --format csv`, column waypoint_uuid) "
            "/ 告警以航点 UUID 标识"
        ) from None


def _check_within(at: dt.datetime, span, visit: str) -> None:
    from fossilgis.patrols.alert_lifecycle import bj_time

    start, end = span
    if not start <= at <= end:
        raise AlertStepError(
            f"at: {bj_time(at)} is outside the visit patrol {visit} "
            f"({bj_time(start)} – {bj_time(end)}); give the time on site within it "
            "/ 到场时间须在该次巡护时段内"
        )


class AlertEvents:
    """The ``alert_events`` table of one store.

    Parameters
    ----------
    db : Database
    audit : AuditLog
        Each step appends its row (``object_kind`` "alert", ``object_id`` the waypoint UUID,
        ``action`` the step) in the step's transaction.
    cases : fossilgis.store.cases.Cases
        Keeps the attachments with the case files.
    """

    def __init__(self, db: Database, audit: AuditLog, cases):
        self.db, self.audit, self.cases = db, audit, cases

    # -- writing --------------------------------------------------------------------------
    def record(
        self,
        waypoint_uuid: str,
        step: str,
        *,
        user: str,
        at: dt.datetime | None = None,
        note: str | None = None,
        visit_patrol_uuid: str | None = None,
        outcome: str | None = None,
        opinion: str | None = None,
        attachment: tuple[str, bytes] | None = None,
        now: dt.datetime | None = None,
    ) -> AlertEvent:
        """Record ``step`` of the alert ``waypoint_uuid`` and return it.

        ``at`` is when it happened (default ``now``; a visit's default is the start of its
        patrol, ``visit_patrol_uuid``, which must be stored, not deleted, not the patrol
        that reported the alert, and span ``at``). ``attachment`` is (file name, bytes).

        Raises
        ------
        RecordNotFoundError
            No such alert, or no such visit patrol.
        ConflictError
            The step may not follow the alert's steps, or its reporting patrol is deleted.
        AlertStepError, CaseError
            A value is wrong (the message names it); the attachment is not a PDF, JPEG or
            PNG or is too large.
        """
        from fossilgis.cases.files import attachment_type
        from fossilgis.patrols.alert_lifecycle import check_order, new_event

        waypoint_uuid = _uuid(waypoint_uuid, "waypoint_uuid")
        now = now or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        mime = None
        if attachment is not None:
            mime = attachment_type(attachment[1], attachment[0])
        with self.db.tx() as conn:
            patrol_uuid, report_time = self._alert(conn, waypoint_uuid)
            events = self._events(conn, waypoint_uuid)
            check_order(events, step, waypoint_uuid)  # before naming what else is wrong
            span = None
            if step == "visited" and visit_patrol_uuid:
                visit_patrol_uuid = _uuid(visit_patrol_uuid, "visit_patrol_uuid")
                span = self._visit_span(conn, visit_patrol_uuid, patrol_uuid)
                at = span[0] if at is None else at
            event = new_event(
                events,
                step,
                waypoint_uuid=waypoint_uuid,
                report_time=report_time,
                now=now,
                user=user,
                at=at,
                note=note,
                visit_patrol_uuid=visit_patrol_uuid,
                outcome=outcome,
                opinion=opinion,
                attachment_sha256="-" if attachment else None,  # checked first, kept below
                attachment_name=attachment[0] if attachment else None,
            )
            if span is not None:
                _check_within(event.at, span, visit_patrol_uuid)
            if attachment is not None:
                sha = self.cases.put_blob(conn, attachment[1], mime)
                event = dataclasses.replace(event, attachment_sha256=sha)
            self._insert(conn, event)
            detail = {k: v for k, v in event.as_row().items() if v is not None}
            detail.pop("waypoint_uuid")
            if attachment is not None:
                detail["attachment_bytes"] = len(attachment[1])
            self.audit.record(conn, user, step, "alert", waypoint_uuid, detail)
        return event

    def _alert(self, conn, waypoint_uuid: str) -> tuple[str, dt.datetime]:
        """(patrol uuid, report time) of the alert, its row locked until the step is in."""
        from fossilgis.patrols.model import ALERT_CATEGORIES

        d = self.db.dialect
        row = conn.execute(
            self.db.q(
                "SELECT w.patrol_uuid, w.category, w.observed_at, p.deleted_at FROM waypoints w "
                "JOIN patrols p ON p.uuid = w.patrol_uuid WHERE w.uuid = ?" + d.for_update
            ),
            (waypoint_uuid,),
        ).fetchone()
        if row is None:
            raise RecordNotFoundError(
                f"no alert {waypoint_uuid}: no waypoint has this UUID (list the alerts with "
                "`fossilgis patrol alerts`) / 无此告警"
            )
        patrol_uuid, category, observed_at, deleted_at = row
        if category not in ALERT_CATEGORIES:
            raise RecordNotFoundError(
                f"no alert {waypoint_uuid}: this waypoint records {category or 'no category'!r}"
                f", and only {', '.join(ALERT_CATEGORIES)} are alerts / 该航点不是告警"
            )
        if deleted_at is not None:
            raise ConflictError(
                f"alert {waypoint_uuid}: its patrol {patrol_uuid} is deleted; restore it "
                f"first (fossilgis patrol restore {patrol_uuid}) / 上报该告警的巡护记录已删除"
            )
        return patrol_uuid, d.to_time(observed_at)

    def _visit_span(self, conn, visit: str, own: str) -> tuple[dt.datetime, dt.datetime]:
        """(start, end) of the visit's patrol ``visit``, checked: stored, not deleted, not
        the patrol ``own`` that reported the alert."""
        d = self.db.dialect
        if visit == own:
            raise AlertStepError(
                f"visit_patrol_uuid: {visit} is the patrol that reported the alert; a visit "
                "is its own patrol record (the visit's team, track and photos) "
                "/ 到场核查须另有巡护记录"
            )
        row = conn.execute(
            self.db.q("SELECT started_at, ended_at, deleted_at FROM patrols WHERE uuid = ?"),
            (visit,),
        ).fetchone()
        if row is None:
            raise RecordNotFoundError(
                f"visit_patrol_uuid: no patrol {visit}; record the visit as a patrol first "
                "(the patrol form, or fossilgis patrol import) / 无此巡护记录"
            )
        start, end, deleted = (d.to_time(v) for v in row)
        if deleted is not None:
            raise AlertStepError(
                f"visit_patrol_uuid: patrol {visit} is deleted; restore it or name another "
                "/ 该巡护记录已删除"
            )
        return start, end

    def _insert(self, conn, event: AlertEvent) -> None:
        from fossilgis.patrols.model import format_time

        row = event.as_row()
        for col in _TIMES:
            row[col] = format_time(row[col])
        sql = self.db.q(
            f"INSERT INTO alert_events ({', '.join(EVENT_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(EVENT_COLUMNS))})"
        )
        try:
            conn.execute(sql, [row[c] for c in EVENT_COLUMNS])
        except self.db.dialect.integrity_errors:
            raise ConflictError(
                f"alert {event.waypoint_uuid}: someone recorded a step at the same moment; "
                "reload and try again / 他人同时提交了步骤，请刷新后重试"
            ) from None

    # -- reading --------------------------------------------------------------------------
    def _select(self, where: str = "", args=()) -> str:
        sql = f"SELECT {', '.join(EVENT_COLUMNS)} FROM alert_events"
        return self.db.q(
            sql + (f" WHERE {where}" if where else "") + " ORDER BY waypoint_uuid, seq"
        )

    def _event(self, row) -> AlertEvent:
        d = self.db.dialect
        rec = dict(zip(EVENT_COLUMNS, row))
        for col in _TIMES:
            rec[col] = d.to_time(rec[col])
        rec["seq"] = int(rec["seq"])
        return AlertEvent(**rec)

    def _events(self, conn, waypoint_uuid: str) -> list[AlertEvent]:
        rows = conn.execute(self._select("waypoint_uuid = ?"), (waypoint_uuid,)).fetchall()
        return [self._event(r) for r in rows]

    def events(self, waypoint_uuid: str) -> list[AlertEvent]:
        """The steps of one alert, in order (none: an empty list)."""
        with self.db.read() as conn:
            return self._events(conn, _uuid(waypoint_uuid, "waypoint_uuid"))

    def frame(self):
        """Every step of every alert as a pandas DataFrame (:data:`EVENT_COLUMNS`; ``at`` and
        ``recorded_at`` UTC), by alert and ``seq``: what
        :func:`fossilgis.patrols.alerts.alerts` takes as ``events``."""
        import pandas as pd

        with self.db.read() as conn:
            events = [self._event(r) for r in conn.execute(self._select()).fetchall()]
        frame = pd.DataFrame([e.as_row() for e in events], columns=EVENT_COLUMNS)
        for col in _TIMES:
            frame[col] = pd.to_datetime(frame[col], utc=True)
        frame["seq"] = frame["seq"].astype("int64")
        return frame

    def attachment(self, waypoint_uuid: str, seq: int) -> dict:
        """The attachment of step ``seq``: ``name``, ``sha256``, ``mime``, ``bytes``,
        ``path`` (the file); RecordNotFoundError when that step has none."""
        waypoint_uuid = _uuid(waypoint_uuid, "waypoint_uuid")
        row = self.db.one(
            "SELECT e.attachment_name, e.attachment_sha256, b.mime, b.bytes FROM alert_events e "
            "JOIN case_blobs b ON b.sha256 = e.attachment_sha256 "
            "WHERE e.waypoint_uuid = ? AND e.seq = ?",
            (waypoint_uuid, int(seq)),
        )
        if row is None:
            raise RecordNotFoundError(
                f"alert {waypoint_uuid}: step {seq} has no attachment / 该步骤无附件"
            )
        name, sha, mime, size = row
        path = self.cases.blob_path(sha)
        return {"name": name, "sha256": sha, "mime": mime, "bytes": int(size), "path": path}
