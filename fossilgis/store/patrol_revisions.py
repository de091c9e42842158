"""Admin corrections of stored patrols and their versions (table ``patrol_revisions``).

A correction is one transaction: the record's editable content before it goes into
``patrol_revisions`` (numbered 1, 2, … per patrol), the ``patrols`` row gets the new
target, purpose, notes, team and ``revision``, the changed waypoints their new
observation, and the audit log its row. ``content_hash`` is left as it was uploaded: the
client's re-send of the original is still "stored before" (200) and changes nothing, and a
different content under that UUID is still a conflict (409). Reached as
``store.patrols.revisions``; the same SQL on both backends.
"""

from __future__ import annotations

import json

from fossilgis.errors import ConflictError, RecordNotFoundError
from fossilgis.store._common import now_text
from fossilgis.store.audit import AuditLog
from fossilgis.store.db import Database

_COLS = ("patrol_uuid", "revision", "edited_at", "edited_by", "reason", "previous")


class PatrolRevisions:
    """The corrections of the patrols of one store (``patrols``: their repository)."""

    def __init__(self, db: Database, audit: AuditLog, patrols):
        self.db = db
        self.audit = audit
        self.patrols = patrols

    def correct(self, uuid: str, correction, user: str, *, targets=None, expected_revision=None):
        """Apply an admin's correction to a stored patrol and keep the version before it.

        Parameters
        ----------
        uuid : str
        correction : fossilgis.patrols.corrections.Correction
        user : str
            The admin (checked by the caller), written as ``edited_by`` and in the audit.
        targets : GeoDataFrame, optional
            Sites and sections; a new target must be one of them.
        expected_revision : int, optional
            The revision the editor saw (a form's hidden field): another correction made
            since raises ConflictError rather than being overwritten unseen.

        Returns
        -------
        fossilgis.patrols.corrections.Applied
            With the stored record (its ``revision`` one more) and the changes.

        Raises
        ------
        RecordNotFoundError, ConflictError, PatrolValidationError
        """
        from fossilgis.patrols.corrections import apply_correction

        patrol = self.patrols.get(uuid)
        if patrol is None:
            raise RecordNotFoundError(
                f"no patrol {uuid} to correct; see `fossilgis patrol list` / 无此巡护记录"
            )
        self._check_state(uuid, patrol.revision, patrol.deleted_at, expected_revision)
        applied = apply_correction(patrol, correction, targets)
        new = applied.patrol
        d, q = self.db.dialect, self.db.q
        revision = patrol.revision + 1
        now = now_text()
        changed = {c["waypoint_uuid"] for c in applied.changes if c["waypoint_uuid"]}
        with self.db.tx() as conn:
            row = conn.execute(
                q("SELECT revision, deleted_at FROM patrols WHERE uuid=?" + d.for_update),
                (patrol.uuid,),
            ).fetchone()
            if row is None:
                raise RecordNotFoundError(f"no patrol {uuid} to correct / 无此巡护记录")
            # another correction (or a deletion) since the record was read: refuse, never
            # write over a version nobody saw
            self._check_state(uuid, row[0] or 0, row[1], patrol.revision)
            conn.execute(
                q(
                    f"INSERT INTO patrol_revisions ({', '.join(_COLS)}) "
                    f"VALUES (?, ?, ?, ?, ?, {d.json_param})"
                ),
                (
                    patrol.uuid,
                    revision,
                    now,
                    user,
                    correction.reason.strip(),
                    json.dumps(applied.previous, ensure_ascii=False),
                ),
            )
            conn.execute(
                q(
                    "UPDATE patrols SET target_kind=?, target_id=?, target_inferred=?, "
                    f"target_distance_m=?, team={d.json_param}, purpose=?, notes=?, "
                    "updated_at=?, revision=? WHERE uuid=?"
                ),
                (
                    new.target_kind,
                    new.target_id,
                    d.bool(new.target_inferred),
                    new.target_distance_m,
                    json.dumps(list(new.team), ensure_ascii=False),
                    new.purpose,
                    new.notes,
                    now,
                    revision,
                    patrol.uuid,
                ),
            )
            rows = [
                (
                    w.observation.category if w.observation else None,
                    w.observation.severity if w.observation else None,
                    w.observation.description if w.observation else None,
                    w.uuid,
                    patrol.uuid,
                )
                for w in new.waypoints
                if w.uuid in changed
            ]
            if rows:
                d.executemany(
                    conn,
                    q(
                        "UPDATE waypoints SET category=?, severity=?, description=? "
                        "WHERE uuid=? AND patrol_uuid=?"
                    ),
                    rows,
                )
            self.audit.record(
                conn,
                user,
                "correct",
                "patrol",
                patrol.uuid,
                {
                    "revision": revision,
                    "reason": correction.reason.strip(),
                    "changes": applied.changes,
                },
            )
        applied.patrol = self.patrols.get(patrol.uuid)
        return applied

    @staticmethod
    def _check_state(uuid, revision, deleted_at, expected) -> None:
        if deleted_at is not None:
            raise ConflictError(
                f"patrol {uuid} is deleted; restore it first (fossilgis patrol restore {uuid}) "
                "/ 记录已删除，请先恢复"
            )
        if expected is not None and int(expected) != int(revision):
            raise ConflictError(
                f"patrol {uuid} was corrected by someone else meanwhile (now revision "
                f"{revision}, you edited revision {expected}); reload it and correct again "
                "/ 记录已被他人更正，请刷新后重新更正"
            )

    def rows(self, uuid: str) -> list[dict]:
        """The ``patrol_revisions`` rows of a patrol, oldest first (times as aware UTC
        datetimes, ``previous`` as a dict)."""
        d = self.db.dialect
        found = self.db.all(
            f"SELECT {', '.join(_COLS)} FROM patrol_revisions WHERE patrol_uuid=? "
            "ORDER BY revision",
            (uuid,),
        )
        out = []
        for values in found:
            rec = dict(zip(_COLS, values))
            rec["edited_at"] = d.to_time(rec["edited_at"])
            rec["previous"] = d.from_json(rec["previous"])
            out.append(rec)
        return out

    def history(self, uuid: str) -> list[dict]:
        """Every version of a patrol, oldest first (:func:`fossilgis.patrols.corrections.
        versions`); RecordNotFoundError for an unknown patrol."""
        from fossilgis.patrols.corrections import versions

        patrol = self.patrols.get(uuid)
        if patrol is None:
            raise RecordNotFoundError(
                f"no patrol {uuid}; see `fossilgis patrol list --deleted` / 无此巡护记录"
            )
        return versions(patrol, self.rows(patrol.uuid))
