"""Changing a case after it is opened: decisions, follow-ups, status moves, re-screens.

Mixed into :class:`fossilgis.store.cases.Cases`. Each change is one transaction with its
audit row; a case row is locked (``_locked``) before it is read and changed.
"""

from __future__ import annotations

from fossilgis.cases import model
from fossilgis.errors import RecordNotFoundError
from fossilgis.store import case_rows as rows
from fossilgis.store._common import now_text


class CaseChanges:
    """Write methods of the case repository beyond opening, screening and attaching."""

    def decide(self, number: str, decision: model.Decision, *, user: str | None) -> None:
        """Record the office's decision, with its follow-ups, and move the status."""
        now = now_text()
        with self.db.tx() as conn:
            cur = self._locked(conn, number)
            if cur["status"] != decision.status:
                model.check_move(number, cur["status"], decision.status)
            values = {
                "status": decision.status,
                "decision_text": decision.text,
                "decided_at": now,
                "decided_by": user,
                "officer": user,
                "updated_at": now,
            }
            rows.update(self.db, conn, "cases", values, "number = ?", [number])
            added = self._add_follow_ups(conn, number, decision.follow_ups, user)
            self.audit.record(
                conn,
                user,
                "decide",
                "case",
                number,
                {
                    "was": cur["status"],
                    "status": decision.status,
                    "text": decision.text,
                    "follow_ups": added,
                },
            )

    def _add_follow_ups(self, conn, number, items, user) -> list[dict]:
        row = conn.execute(
            self.db.q("SELECT max(seq) FROM case_followups WHERE case_number = ?"), (number,)
        ).fetchone()
        seq, added = int(row[0] or 0), []
        for item in items:
            seq += 1
            rec = {
                "case_number": number,
                "seq": seq,
                "text": item.text,
                "due_date": item.due_date,
                "released": item.released,
                "created_at": now_text(),
                "created_by": user,
            }
            rows.insert(self.db, conn, "case_followups", rec)
            added.append(
                {
                    "seq": seq,
                    "text": item.text,
                    "due_date": item.due_date,
                    "released": item.released,
                }
            )
        return added

    def add_follow_ups(self, number: str, items, *, user: str | None) -> list[dict]:
        with self.db.tx() as conn:
            self._locked(conn, number)
            added = self._add_follow_ups(conn, number, items, user)
            rows.update(self.db, conn, "cases", {"updated_at": now_text()}, "number = ?", [number])
            self.audit.record(conn, user, "follow-up", "case", number, {"added": added})
        return added

    def complete_follow_up(self, number: str, seq: int, *, user: str | None) -> None:
        with self.db.tx() as conn:
            self._locked(conn, number)
            n = rows.update(
                self.db,
                conn,
                "case_followups",
                {"done_at": now_text(), "done_by": user},
                "case_number = ? AND seq = ? AND done_at IS NULL",
                [number, int(seq)],
            )
            if not n:
                raise RecordNotFoundError(
                    f"case {number} has no open follow-up item {seq}; see fossilgis case show "
                    f"{number}"
                )
            self.audit.record(conn, user, "follow-up-done", "case", number, {"seq": int(seq)})

    def set_status(self, number: str, status: str, *, user: str | None, note=None) -> None:
        """Close or withdraw a case (or another allowed move without a decision text)."""
        with self.db.tx() as conn:
            cur = self._locked(conn, number)
            model.check_move(number, cur["status"], status)
            values = {"status": status, "updated_at": now_text()}
            if status in ("closed", "withdrawn"):
                values["status_before"] = cur["status"]
            rows.update(self.db, conn, "cases", values, "number = ?", [number])
            self.audit.record(
                conn, user, status, "case", number, {"was": cur["status"], "note": note}
            )

    def restore(self, number: str, *, user: str | None, note=None) -> str:
        """Take a closed or withdrawn case back to the status it had (admin)."""
        with self.db.tx() as conn:
            cur = self._locked(conn, number)
            if cur["status"] not in ("closed", "withdrawn"):
                raise model.CaseError(
                    f"case {number} is {cur['status']}, not closed or withdrawn: nothing to restore"
                )
            back = cur["status_before"] or "received"
            values = {"status": back, "status_before": None, "updated_at": now_text()}
            rows.update(self.db, conn, "cases", values, "number = ?", [number])
            self.audit.record(
                conn, user, "restore", "case", number, {"was": cur["status"], "status": back}
            )
        return back

    def acknowledge_flag(self, number: str, *, user: str | None) -> None:
        """The officer has seen what a registry revision changed: clear the flag."""
        with self.db.tx() as conn:
            cur = self._locked(conn, number)
            if not cur["flag"]:
                return
            rows.update(self.db, conn, "cases", {"flag": None}, "number = ?", [number])
            self.audit.record(conn, user, "acknowledge", "case", number, {"flag": cur["flag"]})

    def mark_seen(self, number: str, *, user: str | None) -> None:
        """An applicant's submission has been opened by the office (no longer "new")."""
        with self.db.tx() as conn:
            n = rows.update(
                self.db,
                conn,
                "cases",
                {"seen_at": now_text()},
                "number = ? AND seen_at IS NULL",
                [number],
            )
            if n:
                self.audit.record(conn, user, "seen", "case", number)

    # -- registry revisions ---------------------------------------------------------------
    def record_rescreens(self, outcomes: list[dict], *, revision: str, layers: dict, user) -> None:
        """Keep the re-screens of a registry revision: a new screen (beside the old ones)
        and a flag for each changed case; ``registry_checked`` for every one.

        ``outcomes``: dicts with ``number``, ``footprints_seq``, ``snapshot`` and
        ``changes`` (empty: unchanged).
        """
        label = layers_label(layers)
        now = now_text()
        with self.db.tx() as conn:
            unchanged = [o["number"] for o in outcomes if not o["changes"]]
            for start in range(0, len(unchanged), 500):
                where, args = self.db.dialect.in_("number", unchanged[start : start + 500])
                rows.update(self.db, conn, "cases", {"registry_checked": label}, where, args)
            for o in outcomes:
                if not o["changes"]:
                    continue
                number, snap = o["number"], o["snapshot"]
                row = conn.execute(
                    self.db.q("SELECT max(seq) FROM case_screens WHERE case_number = ?"),
                    (number,),
                ).fetchone()
                seq = int(row[0] or 0) + 1
                self._insert_screen(
                    conn,
                    number,
                    seq,
                    snap,
                    user=user,
                    reason=f"registry revision {revision}",
                    footprints_seq=o["footprints_seq"],
                    changes=o["changes"],
                )
                flag = {
                    "revision": revision,
                    "changes": o["changes"],
                    "screen": seq,
                    "was_grade": o.get("was_grade"),
                    "grade": snap["grade"],
                }
                values = {
                    "grade": snap["grade"],
                    "targets": " " + " ".join(snap["targets"]) + " " if snap["targets"] else None,
                    "screen_seq": seq,
                    "flag": flag,
                    "flagged_at": now,
                    "registry_checked": label,
                    "updated_at": now,
                }
                rows.update(self.db, conn, "cases", values, "number = ?", [number])
                self.audit.record(conn, user, "rescreen", "case", number, flag)
            self.audit.record(
                conn,
                user,
                "rescreen",
                "case",
                None,
                {
                    "revision": revision,
                    "cases": len(outcomes),
                    "changed": len(outcomes) - len(unchanged),
                },
            )


def layers_label(layers: dict) -> str:
    """ "sections v1 · sites v5": the layer versions a screen used."""
    return " · ".join(f"{k} v{v.get('version')}" for k, v in sorted(layers.items()))
