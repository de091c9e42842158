"""The case register: opening cases, adding screens, files, decisions and follow-ups.

Every write is one transaction that also appends its audit row (``object_kind`` "case",
``object_id`` the case number). Nothing is deleted: a case is withdrawn or closed and an
admin may restore it; every screen a case had stays beside the newer ones. Files are kept
once by SHA-256 in ``<data>/case-files/`` and written before the row that names them.
Decisions, follow-ups, status moves and re-screens are in
:mod:`fossilgis.store.case_changes`; reading (lists, search, footprints) in
:mod:`fossilgis.store.case_queries`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from fossilgis.cases import model
from fossilgis.errors import RecordNotFoundError
from fossilgis.store import case_rows as rows
from fossilgis.store._common import fsync_write, now_text
from fossilgis.store.audit import AuditLog
from fossilgis.store.case_changes import CaseChanges, layers_label
from fossilgis.store.case_queries import CaseQueries
from fossilgis.store.columns import CASE_FOOTPRINT_COLS
from fossilgis.store.db import Database

FILES_DIR = "case-files"


def blob_relpath(sha256: str) -> str:
    return f"{FILES_DIR}/{sha256[:2]}/{sha256}"


class Cases(CaseChanges, CaseQueries):
    """The ``cases`` tables and the ``case-files/`` folder of one store."""

    def __init__(self, db: Database, audit: AuditLog, data_dir: Path):
        self.db = db
        self.audit = audit
        self.data_dir = Path(data_dir)

    # -- numbers --------------------------------------------------------------------------
    def number_format(self) -> str:
        """The case-number format in force (``fossilgis case number-format``)."""
        row = self.db.one("SELECT value FROM fossilgis_meta WHERE key='case_number_format'")
        return row[0] if row else model.DEFAULT_NUMBER_FORMAT

    def set_number_format(self, fmt: str, *, user: str | None) -> None:
        fmt = model.check_number_format(fmt)
        old = self.number_format()
        with self.db.tx() as conn:
            conn.execute(
                self.db.q(self.db.dialect.upsert("fossilgis_meta", ["key", "value"], "key")),
                ("case_number_format", fmt),
            )
            self.audit.record(conn, user, "number-format", "case", None, {"was": old, "now": fmt})

    def _next_number(self, conn) -> tuple[str, int, int]:
        fmt = self.number_format()
        year = model.beijing_now().year
        counter = str(year) if "{year" in fmt else "all"
        # one statement on both backends: concurrent writers queue on the counter's row
        conn.execute(
            self.db.q(
                "INSERT INTO case_numbers (counter, last) VALUES (?, 1) ON CONFLICT (counter) "
                "DO UPDATE SET last = case_numbers.last + 1"
            ),
            (counter,),
        )
        seq = int(
            conn.execute(
                self.db.q("SELECT last FROM case_numbers WHERE counter = ?"), (counter,)
            ).fetchone()[0]
        )
        # a number typed by hand into the register must not be handed out again
        while True:
            number = model.format_case_number(fmt, year, seq)
            taken = conn.execute(
                self.db.q("SELECT 1 FROM cases WHERE number = ?"), (number,)
            ).fetchone()
            if not taken:
                break
            seq += 1
            conn.execute(
                self.db.q("UPDATE case_numbers SET last = ? WHERE counter = ?"), (seq, counter)
            )
        return number, year, seq

    # -- files ----------------------------------------------------------------------------
    def blob_path(self, sha256: str) -> Path:
        return self.data_dir / blob_relpath(sha256)

    def put_blob(self, conn, data: bytes, mime: str) -> str:
        """Keep ``data`` once by its SHA-256 (the file, fsynced, before the ``case_blobs``
        row that names it) inside the caller's transaction ``conn``; its SHA-256. Case files
        and alert attachments share this content-addressed store."""
        sha = hashlib.sha256(data).hexdigest()
        path = self.blob_path(sha)
        if not path.exists() or path.stat().st_size != len(data):
            fsync_write(path, data)  # the file before the row that names it
        d = self.db.dialect
        conn.execute(
            self.db.q(d.insert_ignore("case_blobs", 4, "sha256")),
            (sha, mime, len(data), now_text()),
        )
        return sha

    def _add_files(self, conn, number: str, files, role: str, user, note=None) -> list[dict]:
        """Keep ``files`` ((name, bytes, mime) triples) as the case's ``role`` files."""
        row = conn.execute(
            self.db.q("SELECT max(seq) FROM case_files WHERE case_number = ?"), (number,)
        ).fetchone()
        seq = int(row[0] or 0)
        added = []
        for name, data, mime in files:
            seq += 1
            sha = self.put_blob(conn, data, mime)
            rec = {
                "case_number": number,
                "seq": seq,
                "role": role,
                "sha256": sha,
                "name": name,
                "mime": mime,
                "bytes": len(data),
                "added_at": now_text(),
                "added_by": user,
                "note": note,
            }
            rows.insert(self.db, conn, "case_files", rec)
            added.append({"seq": seq, "name": name, "sha256": sha, "bytes": len(data)})
        return added

    # -- screens --------------------------------------------------------------------------
    def _add_footprints(self, conn, number: str, seq: int, footprints) -> tuple | None:
        d = self.db.dialect
        cols = [*CASE_FOOTPRINT_COLS, "geom"]
        marks = ["?"] * len(CASE_FOOTPRINT_COLS) + [d.geom_param]
        sql = self.db.q(
            f"INSERT INTO case_footprints ({', '.join(cols)}) VALUES ({', '.join(marks)})"
        )
        areas = (
            footprints["area_m2"].to_numpy()
            if "area_m2" in footprints.columns
            else [None] * len(footprints)
        )
        values = [
            (
                number,
                seq,
                str(pid),
                int(idx),
                None if area is None else float(area),
                d.encode_geom(geom),
            )
            for pid, idx, area, geom in zip(
                footprints["project_id"],
                footprints["footprint_index"],
                areas,
                footprints.geometry.values,
            )
        ]
        if values:
            d.executemany(conn, sql, values)
        if not len(footprints):
            return None
        bounds = tuple(float(v) for v in footprints.total_bounds)
        d.grow_extent(conn, "case_footprints", bounds)
        return bounds

    def _insert_screen(
        self, conn, number, seq, snap, *, user, reason, footprints_seq, changes=None
    ) -> None:
        result = snap["result"]
        rows.insert(
            self.db,
            conn,
            "case_screens",
            {
                "case_number": number,
                "seq": seq,
                "screened_at": now_text(),
                "screened_by": user,
                "reason": reason,
                "footprints_seq": footprints_seq,
                "grade": snap["grade"],
                "rules_version": str(result["rules"]["version"]),
                "layers": {k: v.get("version") for k, v in result["layers"].items()},
                "summary": snap["summary"],
                "changes": changes,
                "result": result,
                "overlap_wkb": snap["overlaps"],
            },
        )

    def _screen_into(self, conn, number: str, screening, *, user, reason: str) -> dict:
        """Add a screen with its footprints; return the case columns it sets."""
        from fossilgis.cases.snapshot import footprints_of, snapshot_of

        row = conn.execute(
            self.db.q("SELECT max(seq) FROM case_screens WHERE case_number = ?"), (number,)
        ).fetchone()
        seq = int(row[0] or 0) + 1
        snap = snapshot_of(screening)
        bounds = self._add_footprints(conn, number, seq, footprints_of(screening))
        self._insert_screen(conn, number, seq, snap, user=user, reason=reason, footprints_seq=seq)
        minx, miny, maxx, maxy = bounds or (None,) * 4
        return {
            "grade": snap["grade"],
            "targets": " " + " ".join(snap["targets"]) + " " if snap["targets"] else None,
            "min_lon": minx,
            "min_lat": miny,
            "max_lon": maxx,
            "max_lat": maxy,
            "screen_seq": seq,
            "footprints_seq": seq,
            "options": screening.to_dict()["options"],
            "registry_checked": layers_label(snap["result"]["layers"]),
        }

    # -- opening and changing cases ---------------------------------------------------------
    def open(
        self,
        details: model.CaseDetails,
        *,
        user: str | None,
        screening=None,
        files=(),
        status_token: str | None = None,
    ) -> str:
        """Open a case (status ``received``, or ``screened`` with a ``screening``) with its
        submitted ``files`` ((name, bytes, mime)); return its number. ``status_token`` is
        the applicant's secret link (only its SHA-256 is kept)."""
        now = now_text()
        with self.db.tx() as conn:
            number, year, seq = self._next_number(conn)
            case = {
                "number": number,
                "year": year,
                "seq": seq,
                "project_name": details.project_name,
                "applicant_unit": details.applicant_unit,
                "applicant_contact": details.applicant_contact,
                "project_type": details.project_type,
                "county": details.county,
                "source": details.source,
                "status": "received",
                "officer": details.officer,
                "status_token_sha256": _token_hash(status_token),
                "created_at": now,
                "created_by": user,
                "updated_at": now,
            }
            rows.insert(self.db, conn, "cases", case)
            stored = self._add_files(conn, number, files, "submitted", user)
            detail = {
                "project_name": details.project_name,
                "source": details.source,
                "files": stored,
            }
            if screening is not None:
                values = self._screen_into(conn, number, screening, user=user, reason="submitted")
                values.update(status="screened", updated_at=now)
                rows.update(self.db, conn, "cases", values, "number = ?", [number])
                detail.update(grade=values["grade"], screen=values["screen_seq"])
            self.audit.record(conn, user, "open", "case", number, detail)
        return number

    def _locked(self, conn, number: str) -> dict:
        d = self.db.dialect
        cols = ["status", "status_before", "flag"]
        row = conn.execute(
            self.db.q(f"SELECT {', '.join(cols)} FROM cases WHERE number = ?" + d.for_update),
            (number,),
        ).fetchone()
        if row is None:
            raise RecordNotFoundError(self._not_found(number))
        return rows.decode(self.db, "cases", cols, row)

    def add_screen(self, number: str, screening, *, user: str | None, files=()) -> int:
        """Record a new screen of a case (a revised red line); return its screen number.
        A received case becomes screened; a decided one keeps its decision, and the office
        sees the new grade beside it."""
        with self.db.tx() as conn:
            cur = self._locked(conn, number)
            if cur["status"] in ("closed", "withdrawn"):
                raise model.CaseError(
                    f"case {number} is {cur['status']}; restore it before adding a screen "
                    "(fossilgis case restore)"
                )
            stored = self._add_files(conn, number, files, "submitted", user)
            values = self._screen_into(conn, number, screening, user=user, reason="screen")
            values["updated_at"] = now_text()
            if cur["status"] == "received":
                values["status"] = "screened"
            rows.update(self.db, conn, "cases", values, "number = ?", [number])
            self.audit.record(
                conn,
                user,
                "screen",
                "case",
                number,
                {"screen": values["screen_seq"], "grade": values["grade"], "files": stored},
            )
        return values["screen_seq"]

    def attach(
        self, number: str, name: str, data: bytes, mime: str, *, user: str | None, note=None
    ) -> dict:
        """Attach a document (letter, evaluation report) to a case."""
        with self.db.tx() as conn:
            self._locked(conn, number)
            added = self._add_files(conn, number, [(name, data, mime)], "attachment", user, note)
            rows.update(self.db, conn, "cases", {"updated_at": now_text()}, "number = ?", [number])
            self.audit.record(conn, user, "attach", "case", number, {**added[0], "note": note})
        return added[0]


def _token_hash(token: str | None) -> str | None:
    return None if token is None else hashlib.sha256(token.encode()).hexdigest()
