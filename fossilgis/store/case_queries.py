"""Reading the case register: one case, lists with filters and search, footprints, files.

Mixed into :class:`fossilgis.store.cases.Cases`; every query is the same shared SQL on
both stores. Search by site or section id uses the ``targets`` column (" GZ-F03 GZ-S01 "),
search by map extent the bounding-box columns of the case's current footprints.
"""

from __future__ import annotations

import hashlib

from fossilgis.errors import RecordNotFoundError
from fossilgis.store import case_rows as rows
from fossilgis.store.db import filters

#: list columns (everything but the JSON snapshot-sized ones)
LIST_COLS = rows.columns("cases", without=("options", "status_token_sha256"))
SCREEN_COLS = rows.columns("case_screens", without=("result", "overlap_wkb"))
#: orderings of ``list``: "attention" puts unseen applicant submissions, then flagged
#: cases first, newest first within each
ORDERS = ("attention", "newest", "oldest", "updated", "number")


class CaseQueries:
    """Read methods of the case repository (``self.db`` is the store's Database)."""

    def _not_found(self, number) -> str:
        return (
            f"no case {number!r} in the store; list cases with `fossilgis case list` "
            "(search: --q TEXT, --target GZ-F03)"
        )

    def get(self, number: str) -> dict:
        """One case (every column but the applicant's token hash); RecordNotFoundError."""
        cols = rows.columns("cases", without=("status_token_sha256",))
        row = self.db.one(f"SELECT {', '.join(cols)} FROM cases WHERE number = ?", (number,))
        if row is None:
            raise RecordNotFoundError(self._not_found(number))
        case = rows.decode(self.db, "cases", cols, row)
        case["targets"] = (case["targets"] or "").split()
        return case

    def number_for_token(self, token: str) -> str | None:
        """The case an applicant's secret link opens, or None."""
        if not token or len(token) > 100:
            return None
        digest = hashlib.sha256(token.encode()).hexdigest()
        row = self.db.one("SELECT number FROM cases WHERE status_token_sha256 = ?", (digest,))
        return row[0] if row else None

    def _where(
        self,
        *,
        status=None,
        county=None,
        grade=None,
        since=None,
        until=None,
        q=None,
        target=None,
        bbox=None,
        changed=None,
        source=None,
    ):
        d = self.db.dialect
        where, args = filters(
            ("county = ?", county or None),
            ("grade = ?", grade or None),
            ("created_at >= ?", since or None),
            ("created_at < ?", until or None),
            ("source = ?", source or None),
        )
        if status:
            statuses = [status] if isinstance(status, str) else list(status)
            clause, values = d.in_("status", statuses)
            where.append(clause)
            args += values
        if target:
            where.append("targets LIKE ?")
            args.append(f"% {target.strip()} %")
        if q:
            like = f"%{q.strip().lower()}%"
            cols = ("number", "project_name", "applicant_unit", "county", "targets")
            where.append("(" + " OR ".join(f"lower({c}) LIKE ?" for c in cols) + ")")
            args += [like] * len(cols)
        if bbox is not None:
            minx, miny, maxx, maxy = (float(v) for v in bbox)
            where.append("max_lon >= ? AND min_lon <= ? AND max_lat >= ? AND min_lat <= ?")
            args += [minx, maxx, miny, maxy]
        if changed:
            where.append("flag IS NOT NULL")
        return where, args

    def list(self, *, limit: int | None = 50, offset: int = 0, order="attention", **filt):
        """Cases matching the filters, and how many match in all.

        Filters: ``status`` (one or several), ``county``, ``grade``, ``since`` / ``until``
        (ISO dates, on the opening time), ``q`` (text in number, project, applicant,
        county, target ids), ``target`` (a site or section id the case affects), ``bbox``
        (lon/lat box meeting the case's footprints), ``changed`` (flagged by a registry
        revision), ``source`` (office | applicant).

        Returns
        -------
        (list of dict, int)
        """
        where, args = self._where(**filt)
        sql_where = (" WHERE " + " AND ".join(where)) if where else ""
        total = int(self.db.one(f"SELECT count(*) FROM cases{sql_where}", args)[0])
        orders = {
            "attention": "CASE WHEN source = 'applicant' AND seen_at IS NULL THEN 0 "
            "WHEN flag IS NOT NULL THEN 1 ELSE 2 END, created_at DESC, number DESC",
            "newest": "created_at DESC, number DESC",
            "oldest": "created_at, number",
            "updated": "updated_at DESC, number DESC",
            "number": "number",
        }
        if order not in orders:
            raise ValueError(f"order {order!r}: expected one of {ORDERS}")
        sql = f"SELECT {', '.join(LIST_COLS)} FROM cases{sql_where} ORDER BY {orders[order]}"
        page_args = list(args)
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            page_args += [int(limit), int(offset)]
        out = []
        for row in self.db.all(sql, page_args):
            case = rows.decode(self.db, "cases", LIST_COLS, row)
            case["targets"] = (case["targets"] or "").split()
            out.append(case)
        return out, total

    def counts(self) -> dict[str, int]:
        """Cases per status."""
        return {
            s: int(n) for s, n in self.db.all("SELECT status, count(*) FROM cases GROUP BY status")
        }

    def counties(self) -> list[str]:
        return [
            r[0]
            for r in self.db.all(
                "SELECT DISTINCT county FROM cases WHERE county IS NOT NULL ORDER BY county"
            )
        ]

    def screens(self, number: str) -> list[dict]:
        """Every screen of a case, oldest first, without the full result."""
        return [
            rows.decode(self.db, "case_screens", SCREEN_COLS, r)
            for r in self.db.all(
                f"SELECT {', '.join(SCREEN_COLS)} FROM case_screens WHERE case_number = ? "
                "ORDER BY seq",
                (number,),
            )
        ]

    def screen(self, number: str, seq: int | None = None) -> dict:
        """One screen whole (default: the current one); RecordNotFoundError."""
        if seq is None:
            case = self.get(number)
            seq = case["screen_seq"]
            if seq is None:
                raise RecordNotFoundError(
                    f"case {number} has not been screened yet; screen it with "
                    f"`fossilgis impact-check FILE --case {number}`"
                )
        cols = rows.columns("case_screens")
        row = self.db.one(
            f"SELECT {', '.join(cols)} FROM case_screens WHERE case_number = ? AND seq = ?",
            (number, int(seq)),
        )
        if row is None:
            raise RecordNotFoundError(f"case {number} has no screen {seq}")
        return rows.decode(self.db, "case_screens", cols, row)

    def footprints(self, number: str, footprints_seq: int):
        """The footprints kept with screen ``footprints_seq`` (a GeoDataFrame, EPSG:4490)."""
        import geopandas as gpd

        d = self.db.dialect
        got = self.db.all(
            f"SELECT project_id, footprint_index, area_m2, {d.geom_col('geom')} "
            "FROM case_footprints WHERE case_number = ? AND screen_seq = ? ORDER BY fid",
            (number, int(footprints_seq)),
        )
        return gpd.GeoDataFrame(
            {
                "project_id": [r[0] for r in got],
                "footprint_index": [int(r[1]) for r in got],
                "area_m2": [r[2] for r in got],
            },
            geometry=d.decode_geoms([r[3] for r in got]),
            crs="EPSG:4490",
        )

    def screening(self, number: str, seq: int | None = None):
        """A kept screen as a :class:`~fossilgis.screening.Screening` (reports, GIS files)."""
        from fossilgis.cases.snapshot import screening_of

        scr = self.screen(number, seq)
        fps = self.footprints(number, scr["footprints_seq"])
        return screening_of(scr["result"], scr["overlap_wkb"] or {}, fps)

    def files(self, number: str) -> list[dict]:
        cols = rows.columns("case_files")
        return [
            rows.decode(self.db, "case_files", cols, r)
            for r in self.db.all(
                f"SELECT {', '.join(cols)} FROM case_files WHERE case_number = ? ORDER BY seq",
                (number,),
            )
        ]

    def file(self, number: str, seq: int) -> dict:
        for rec in self.files(number):
            if rec["seq"] == int(seq):
                return rec
        raise RecordNotFoundError(f"case {number} has no file {seq}")

    def follow_ups(self, number: str) -> list[dict]:
        cols = rows.columns("case_followups")
        return [
            rows.decode(self.db, "case_followups", cols, r)
            for r in self.db.all(
                f"SELECT {', '.join(cols)} FROM case_followups WHERE case_number = ? ORDER BY seq",
                (number,),
            )
        ]

    def history(self, number: str) -> list[dict]:
        """The case's audit rows, oldest first."""
        return list(reversed(self.audit.rows(None, object_kind="case", object_id=number)))

    def live(self) -> list[dict]:
        """Cases a registry revision re-screens: number, options, footprints_seq and the
        current screen's summary and grade."""
        from fossilgis.cases.model import LIVE_STATUSES

        where, args = self.db.dialect.in_("c.status", LIVE_STATUSES)
        got = self.db.all(
            "SELECT c.number, c.options, c.footprints_seq, s.summary, s.grade "
            "FROM cases c JOIN case_screens s ON s.case_number = c.number "
            f"AND s.seq = c.screen_seq WHERE {where} ORDER BY c.number",
            args,
        )
        d = self.db.dialect
        return [
            {
                "number": r[0],
                "options": d.from_json(r[1]) if r[1] else {},
                "footprints_seq": int(r[2]),
                "summary": d.from_json(r[3]) if r[3] else {},
                "grade": r[4],
            }
            for r in got
        ]

    def live_footprints(self):
        """The current footprints of every live case (case_number, project_id,
        footprint_index, geometry), in one query."""
        import geopandas as gpd

        from fossilgis.cases.model import LIVE_STATUSES

        d = self.db.dialect
        where, args = d.in_("c.status", LIVE_STATUSES)
        got = self.db.all(
            f"SELECT f.case_number, f.project_id, f.footprint_index, {d.geom_col('f.geom')} "
            "FROM case_footprints f JOIN cases c ON c.number = f.case_number "
            f"AND f.screen_seq = c.footprints_seq WHERE {where} ORDER BY f.fid",
            args,
        )
        return gpd.GeoDataFrame(
            {
                "case_number": [r[0] for r in got],
                "project_id": [r[1] for r in got],
                "footprint_index": [int(r[2]) for r in got],
            },
            geometry=d.decode_geoms([r[3] for r in got]),
            crs="EPSG:4490",
        )

    def map_footprints(self, *, bbox=None, limit: int = 5000, **filt):
        """Current footprints of the cases matching ``filt`` (for the staff map): number,
        project name, status, grade, geometry."""
        import geopandas as gpd

        d = self.db.dialect
        where, args = self._where(bbox=bbox, **filt)
        sql_where = (" AND " + " AND ".join(where)) if where else ""
        got = self.db.all(
            f"SELECT c.number, c.project_name, c.status, c.grade, {d.geom_col('f.geom')} "
            "FROM cases c JOIN case_footprints f ON f.case_number = c.number "
            f"AND f.screen_seq = c.footprints_seq WHERE 1=1{sql_where} ORDER BY f.fid LIMIT ?",
            [*args, int(limit)],
        )
        return gpd.GeoDataFrame(
            {
                "number": [r[0] for r in got],
                "project_name": [r[1] for r in got],
                "status": [r[2] for r in got],
                "grade": [r[3] for r in got],
            },
            geometry=d.decode_geoms([r[4] for r in got]),
            crs="EPSG:4490",
        )
