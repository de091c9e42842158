"""Patrol summaries queried in SQL: one page and its count by box, time span and equal values.

The OGC API asks the store for what it shows instead of holding every patrol:
:func:`page_rows` reads a page and its count in one statement, one state of the store (boxes
by the spatial index, then tested exactly; the span compared as instants; equality filters; a
stable order: newest start first, then uuid in byte order). :func:`extent` is the table's
bounding box and time span from SQL aggregates. What the backends spell differently is
here, not in the dialects: the exact box test (``ST_Intersects``; a Python function on the
R-tree candidates not wholly inside the box), times (``timestamptz``; GeoPackage text, whose
``…SSZ`` / ``…SS.mmmZ`` forms are compared in one fixed-width form) and the joined team.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

from fossilgis.store import patrol_records as records
from fossilgis.store.columns import PATROL_COLS, PATROL_TIMES
from fossilgis.store.db import Database, Dialect, filters

COUNTS = ["waypoint_count", "alert_count", "photo_count"]
#: the columns of a patrol summary row (the geometry follows)
SUMMARY_COLS = PATROL_COLS + COUNTS
#: what ``equal=`` may name, and how each is compared: "text", "bool", "number", "team"
#: (the members joined with ", ") or "count" (one of :data:`COUNTS`)
EQUAL_KINDS = {
    **{c: "text" for c in ("uuid", "target_kind", "target_id", "purpose", "notes")},
    **{c: "text" for c in ("created_by", "content_hash", "deleted_by")},
    "target_inferred": "bool",
    "target_distance_m": "number",
    "team": "team",
    **{c: "count" for c in COUNTS},
}


def counts_sql(d: Dialect, table: str = "patrols") -> tuple[dict[str, str], list]:
    """{count column: SQL} and the parameters of the alert count (placed first)."""
    from fossilgis.patrols.model import ALERT_CATEGORIES

    alert_sql, alert_args = d.in_("w.category", ALERT_CATEGORIES)
    of = f"patrol_uuid = {table}.uuid"
    return {
        "waypoint_count": f"(SELECT count(*) FROM waypoints w WHERE w.{of})",
        "alert_count": f"(SELECT count(*) FROM waypoints w WHERE w.{of} AND {alert_sql})",
        "photo_count": f"(SELECT count(*) FROM patrol_photos pp WHERE pp.{of})",
    }, alert_args


def summary_select(d: Dialect) -> tuple[str, list]:
    """``SELECT <summary columns>, <geometry> FROM patrols`` and its parameters."""
    counts, args = counts_sql(d)
    cols = ", ".join([*PATROL_COLS, *(f"{counts[c]} AS {c}" for c in COUNTS)])
    return f"SELECT {cols}, {d.geom_col('geom')} AS geom_out FROM patrols", args


def order_by(d: Dialect, of: str = "") -> str:
    """The order of patrol lists and pages: newest start first, then uuid (byte order);
    ``of``: the columns' table or alias with its dot."""
    return f" ORDER BY {of}started_at DESC, {of}uuid{d.collate}"


def summary_frame(d: Dialect, rows):
    """A GeoDataFrame (EPSG:4490) of summary rows: ``team`` a list, counts int64."""
    gdf = records.frame(d, rows, SUMMARY_COLS, PATROL_TIMES, COUNTS)
    gdf["team"] = [d.load_team(t) for t in gdf["team"]]
    gdf["target_inferred"] = gdf["target_inferred"].astype(bool)
    gdf["target_distance_m"] = gdf["target_distance_m"].astype("float64")
    return gdf


# -- boxes ----------------------------------------------------------------------------------
def as_boxes(bbox) -> list[tuple[float, float, float, float]]:
    """One box ``(minx, miny, maxx, maxy)`` or a sequence of boxes → a list of boxes."""
    if bbox is None:
        return []
    if len(bbox) == 4 and all(isinstance(v, (int, float)) for v in bbox):
        bbox = [bbox]
    return [tuple(float(v) for v in box) for box in bbox]


def boxes_clause(d: Dialect, boxes, args: list) -> str:
    """A WHERE clause: the patrol's geometry meets one of ``boxes`` (exactly, not its box)."""
    if d.name == "postgis":
        from fossilgis.store._common import SRS_ID

        parts = []
        for box in boxes:
            parts.append(f"ST_Intersects(geom, ST_MakeEnvelope(?, ?, ?, ?, {SRS_ID}))")
            args += list(box)
        return "(" + " OR ".join(parts) + ")"
    from fossilgis.store.gpkg import INTERSECTS_BOX

    # R-tree candidates; those it holds wholly inside the box need no exact test (the R-tree
    # rounds outwards), the others have their geometry (looked up by rowid) tested
    parts = []
    for minx, miny, maxx, maxy in boxes:
        parts.append(
            "SELECT r.id FROM rtree_patrols_geom r "
            "WHERE r.maxx >= ? AND r.minx <= ? AND r.maxy >= ? AND r.miny <= ? "
            "AND ((r.minx >= ? AND r.maxx <= ? AND r.miny >= ? AND r.maxy <= ?) "
            f"OR {INTERSECTS_BOX}((SELECT g.geom FROM patrols g WHERE g.fid = r.id), "
            "?, ?, ?, ?))"
        )
        args += [minx, maxx, miny, maxy, minx, maxx, miny, maxy, minx, miny, maxx, maxy]
    return f"patrols.fid IN ({' UNION ALL '.join(parts)})"


# -- times ----------------------------------------------------------------------------------
def canonical_time(col: str) -> str:
    """GeoPackage time text in one fixed-width form (``…SS.mmmZ``), so text order is time order."""
    return f"(CASE WHEN length({col}) = 20 THEN substr({col}, 1, 19) || '.000Z' ELSE {col} END)"


def ms_text(moment: dt.datetime, *, up: bool) -> str | None:
    """``moment`` to whole milliseconds (rounded up or down) as ``…SS.mmmZ``; None: beyond
    the largest datetime."""
    moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    extra = moment.microsecond % 1000
    try:
        if extra:
            moment += dt.timedelta(microseconds=1000 - extra if up else -extra)
    except OverflowError:
        return None
    return moment.isoformat(timespec="milliseconds") + "Z"


def span_clause(d: Dialect, start, end, args: list) -> list[str]:
    """WHERE clauses: the span [started_at, ended_at] meets [start, end] (None: open)."""
    if d.name == "postgis":
        where = []
        if start is not None:
            where.append("ended_at >= ?")
            args.append(start)
        if end is not None:
            where.append("started_at <= ?")
            args.append(end)
        return where
    # stored times have at most milliseconds: compare with the bounds rounded inwards; the
    # plain text bound keeps the index usable, the fixed-width form decides
    where = []
    if start is not None:
        low = ms_text(start, up=True)
        if low is None:
            return ["1 = 0"]
        where.append(f"ended_at >= ? AND {canonical_time('ended_at')} >= ?")
        args += [low[:19], low]
    if end is not None:
        high = ms_text(end, up=False)
        where.append(f"started_at <= ? AND {canonical_time('started_at')} <= ?")
        args += [high[:19] + "Z", high]
    return where


# -- equality -------------------------------------------------------------------------------
def equal_clause(d: Dialect, name: str, value, args: list) -> str:
    """A WHERE clause: column ``name`` (see :data:`EQUAL_KINDS`) equals ``value``."""
    kind = EQUAL_KINDS.get(name)
    if kind is None:
        raise ValueError(f"patrols cannot be filtered on {name!r}; use one of {list(EQUAL_KINDS)}")
    if kind == "text":
        args.append(str(value))
        return f"{name} = ?"
    if kind == "bool":
        args += [d.bool(False), d.bool(value)]
        return f"coalesce({name}, ?) = ?"
    if kind == "team":
        args.append(str(value))
        if d.name == "postgis":
            joined = (
                "(SELECT string_agg(m, ', ' ORDER BY i) "
                "FROM jsonb_array_elements_text(team) WITH ORDINALITY AS t(m, i))"
            )
        else:
            joined = (
                "(SELECT group_concat(value, ', ') "
                "FROM (SELECT value FROM json_each(patrols.team) ORDER BY key))"
            )
        return f"coalesce({joined}, '') = ?"
    number = float(value)
    if math.isnan(number):  # equal to nothing, as in Python
        return "1 = 0"
    if kind == "count":
        counts, alert_args = counts_sql(d)
        if name == "alert_count":  # its categories' placeholders come before the value's
            args += alert_args
        args.append(number)
        return f"{counts[name]} = ?"
    args.append(number)
    return f"{name} = ?"


def _where(d: Dialect, *, bbox, start, end, equal, include_deleted) -> tuple[str, list]:
    args: list = []
    where = [] if include_deleted else ["deleted_at IS NULL"]
    boxes = as_boxes(bbox)
    if boxes:
        where.append(boxes_clause(d, boxes, args))
    where += span_clause(d, start, end, args)
    for name, value in (equal or {}).items():
        where.append(equal_clause(d, name, value, args))
    return (" WHERE " + " AND ".join(where)) if where else "", args


def page_rows(
    db: Database,
    *,
    bbox=None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    equal: Mapping[str, object] | None = None,
    limit: int | None = None,
    offset: int = 0,
    include_deleted: bool = False,
    count: bool = True,
) -> tuple[list, int | None]:
    """One page of patrol summary rows and the number of all matching patrols.

    Parameters
    ----------
    db : Database
        The store's database.
    bbox : (minx, miny, maxx, maxy) or sequence of them, optional
        Patrols whose geometry meets one of the boxes (degrees, EPSG:4490); patrols without
        geometry never match.
    start, end : aware datetime, optional
        Patrols whose span [started_at, ended_at] meets [start, end]; None is an open end.
    equal : Mapping[str, object], optional
        Column → value that must be equal (the columns of :data:`EQUAL_KINDS`; ``team`` is
        compared as its members joined with ", ", booleans and numbers as such).
    limit, offset : int
        Page size (None: all) and matching patrols skipped, in the order of :func:`order_by`.
    include_deleted : bool
        Soft-deleted patrols too.
    count : bool
        Also count every matching patrol (else the total is None).

    Returns
    -------
    (list, int or None)
        The rows (:data:`SUMMARY_COLS` as stored, then the geometry as the dialect selects
        it), and the number of matching patrols.
    """
    d = db.dialect
    where, args = _where(
        d, bbox=bbox, start=start, end=end, equal=equal, include_deleted=include_deleted
    )
    select, select_args = summary_select(d)
    inner = f"SELECT fid FROM patrols{where}{order_by(d)}"
    inner_args = list(args)
    if limit is not None or offset:
        inner += " LIMIT ? OFFSET ?"
        inner_args += [-1 if limit is None and d.name != "postgis" else limit, int(offset)]
    # the page's fids first (filters and order on the bare table), then its summary rows;
    # with the count in the same statement, both see one state of the store
    page_sql, page_args = f"{select} WHERE fid IN ({inner})", [*select_args, *inner_args]
    if count:
        page_sql = (
            f"SELECT page.*, total.n FROM (SELECT count(*) AS n FROM patrols{where}) total "
            f"LEFT JOIN ({page_sql}) page ON 1 = 1"
        )
        page_args = [*args, *page_args]
    sql = page_sql + order_by(d, "page." if count else "")
    with db.read() as conn:
        rows = conn.execute(d.q(sql), page_args).fetchall()
    if not count:
        return rows, None
    total = int(rows[0][-1])
    return [row[:-1] for row in rows if row[0] is not None], total


def list_frame(db: Database, *, target_id, since, until, include_deleted: bool, bbox, limit):
    """The frame of ``Patrols.list``: every summary column, newest first; ``bbox`` keeps
    the patrols whose geometry meets it (candidates by the spatial index)."""
    import shapely

    from fossilgis.patrols.model import format_time

    d = db.dialect
    where, args = filters(
        ("target_id = ?", target_id),
        ("ended_at >= ?", None if since is None else format_time(since)),
        ("started_at <= ?", None if until is None else format_time(until)),
    )
    if not include_deleted:
        where.insert(0, "deleted_at IS NULL")
    if bbox is not None:
        where.append(d.bbox_clause("patrols", bbox, args))
    sql, select_args = summary_select(d)
    args = select_args + args
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += order_by(d)
    if limit is not None:
        sql += " LIMIT ?"
        args.append(int(limit))
    gdf = summary_frame(d, db.all(sql, args))
    if bbox is not None and len(gdf):
        gdf = gdf[gdf.intersects(shapely.box(*bbox))].reset_index(drop=True)
    return gdf


def page(db: Database, **query):
    """:func:`page_rows` as (GeoDataFrame of :func:`summary_frame`, number matching)."""
    rows, total = page_rows(db, **query)
    return summary_frame(db.dialect, rows), total


def page_records(db: Database, **query) -> tuple[list[dict], list, int | None]:
    """:func:`page_rows` as plain values, with no frame to build (for a server's answers).

    Returns
    -------
    (list of dict, list, int or None)
        One dict per patrol (the columns of :data:`SUMMARY_COLS`: times as aware datetimes
        or None, ``team`` a list, ``target_inferred`` a bool, counts ints), the patrols'
        shapely geometries (or None), and the number of matching patrols.
    """
    d = db.dialect
    rows, total = page_rows(db, **query)
    records = []
    for row in rows:
        rec = dict(zip(SUMMARY_COLS, row))
        for col in PATROL_TIMES:
            rec[col] = d.to_time(rec[col])
        rec["team"] = d.load_team(rec["team"])
        rec["target_inferred"] = bool(rec["target_inferred"])
        records.append(rec)
    return records, d.decode_geoms([row[-1] for row in rows]), total


def _gpkg_bounds(conn, live: str) -> list[float] | None:
    """The exact bounds of the GeoPackage's patrols: each side's R-tree edge (rounded
    outwards to float32), then the exact edge among the few rows near it."""
    join = "FROM rtree_patrols_geom r JOIN patrols ON patrols.fid = r.id" + live.replace(
        "deleted_at", "patrols.deleted_at"
    )
    edges = conn.execute(f"SELECT min(r.minx), min(r.miny), max(r.maxx), max(r.maxy) {join}")
    edges = edges.fetchone()
    if edges[0] is None:
        return None
    out = []
    near = " AND " if live else " WHERE "
    for i, (agg, fn, side) in enumerate(
        [("min", "ST_MinX", "r.minx <= ?"), ("min", "ST_MinY", "r.miny <= ?")]
        + [("max", "ST_MaxX", "r.maxx >= ?"), ("max", "ST_MaxY", "r.maxy >= ?")]
    ):
        slack = 1e-3 if agg == "min" else -1e-3  # ≫ a float32 step at |x| ≤ 180
        sql = f"SELECT {agg}({fn}(patrols.geom)) {join}{near}{side}"
        out.append(float(conn.execute(sql, (edges[i] + slack,)).fetchone()[0]))
    return out


def extent(db: Database, *, include_deleted: bool = False) -> dict:
    """``{"bbox": [minx, miny, maxx, maxy] | None, "interval": [first start, last end] | None}``
    of the patrols (degrees; aware datetimes), from SQL aggregates."""
    d = db.dialect
    live = "" if include_deleted else " WHERE deleted_at IS NULL"
    with db.read() as conn:
        if d.name == "postgis":
            box = conn.execute(
                "SELECT min(ST_XMin(geom)), min(ST_YMin(geom)), max(ST_XMax(geom)), "
                f"max(ST_YMax(geom)) FROM patrols{live}"
            ).fetchone()
            box = None if box[0] is None else [float(v) for v in box]
            times = conn.execute(f"SELECT min(started_at), max(ended_at) FROM patrols{live}")
        else:
            box = _gpkg_bounds(conn, live)
            times = conn.execute(
                f"SELECT min({canonical_time('started_at')}), max({canonical_time('ended_at')}) "
                f"FROM patrols{live}"
            )
        times = times.fetchone()
    return {
        "bbox": box,
        "interval": None if times[0] is None else [d.to_time(t) for t in times],
    }
