"""The audit log: append-only rows naming who did what to which object.

Writes of the other repositories append their row with :meth:`AuditLog.record` inside
their own transaction, so a crash leaves either the change with its row or neither.
"""

from __future__ import annotations

import json

from fossilgis.store._common import now_text
from fossilgis.store.db import Database, filters


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


class AuditLog:
    """The ``audit`` table of one store."""

    def __init__(self, db: Database):
        self.db = db

    def record(self, conn, user, action, object_kind, object_id, detail=None) -> None:
        """Append one row on ``conn``, inside the caller's transaction."""
        from fossilgis.auth import escape_control

        # names and ids may come from a request (a failed sign-in records the name typed):
        # control characters are escaped so that no value can forge a line of the log
        conn.execute(
            self.db.q(
                "INSERT INTO audit (at, username, action, object_kind, object_id, detail) "
                f"VALUES (?, ?, ?, ?, ?, {self.db.dialect.json_param})"
            ),
            (
                now_text(),
                escape_control(user),
                escape_control(action),
                escape_control(object_kind),
                escape_control(object_id),
                None
                if detail is None
                else json.dumps(_escaped(detail), ensure_ascii=False, default=str),
            ),
        )

    def append(self, user, action: str, object_kind: str, object_id=None, detail=None) -> None:
        """Append one audit row in its own transaction (writes of the store append theirs
        inside their own transaction)."""
        with self.db.tx() as conn:
            self.record(conn, user, action, object_kind, object_id, detail)

    def rows(
        self, limit: int | None = 100, *, object_kind=None, object_id=None, username=None
    ) -> list[dict]:
        """Audit rows, newest first: id, at, username, action, object_kind, object_id,
        detail (dict or None)."""
        where, args = filters(
            ("object_kind = ?", object_kind),
            ("object_id = ?", object_id),
            ("username = ?", username),
        )
        sql = "SELECT id, at, username, action, object_kind, object_id, detail FROM audit"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        dialect = self.db.dialect
        keys = ("id", "at", "username", "action", "object_kind", "object_id", "detail")
        out = []
        for row in self.db.all(sql, args):
            rec = dict(zip(keys, row))
            rec["at"] = dialect.time_text(rec["at"])
            rec["detail"] = dialect.from_json(rec["detail"]) if rec["detail"] else None
            out.append(rec)
        return out

    def latest_id(self, object_kind: str) -> int:
        """The id of the newest row about ``object_kind`` objects (0: none)."""
        row = self.db.one("SELECT max(id) FROM audit WHERE object_kind=?", (object_kind,))
        return int(row[0] or 0)
