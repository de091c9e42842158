"""Patrol tracks and their waypoints for the maps, read in SQL: the tracks meeting a box or
the last patrols of one site or section, newest first, simplified for the map's scale.

A box is answered by the spatial index (GeoPackage R-tree, PostGIS GiST) and tested
exactly (:func:`fossilgis.store.patrol_queries.boxes_clause`); the filters, the order and
the limit run in SQL on the bare table, then the page's rows (counts, geometry) are read in
chunks, so memory holds one chunk, never every patrol, and a new patrol is in the very next
answer. The work grows with the patrols in the box and period, not with the table: the
tracks-only test, which reads each candidate's geometry, runs after the cheaper terms.
Tracks are simplified (Douglas-Peucker) with a tolerance given in metres: ``ST_Simplify``
on PostGIS, shapely on the GeoPackage, chunk by chunk. Rows come back as plain values:
times as aware datetimes (UTC), geometries as shapely objects.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Iterator
from typing import NamedTuple

from fossilgis.store import patrol_queries as queries
from fossilgis.store.db import Database

#: rows read and simplified at a time (a long GPS track is ~0.5 MB of coordinates)
CHUNK = 100
#: metres per degree of latitude (of longitude at the equator): turns a tolerance in metres
#: into degrees; east-west it is then finer by cos(latitude), never coarser
METRES_PER_DEGREE = 111_320.0
#: SQL function on GeoPackage connections: 1 when a geometry blob holds a (multi)line
IS_LINE = "fossilgis_is_line"


class Track(NamedTuple):
    """One patrol as the maps draw it; ``geometry`` is its simplified track (a
    MultiLineString) or None when the patrol has only waypoints."""

    uuid: str
    started_at: dt.datetime
    ended_at: dt.datetime
    target_kind: str | None
    target_id: str | None
    team: list
    waypoint_count: int
    alert_count: int
    geometry: object


class TrackWaypoint(NamedTuple):
    """One waypoint of a drawn patrol."""

    patrol_uuid: str
    seq: int
    name: str | None
    observed_at: dt.datetime
    category: str | None
    severity: str | None
    description: str | None
    accuracy_m: float | None
    lon: float
    lat: float


def _is_line(blob) -> int:
    """1 when the GeoPackage blob's WKB type is a LineString or MultiLineString (any
    dimensions), read from its header without decoding the coordinates."""
    from fossilgis.store._gpkgblob import wkb_offset

    if blob is None or len(blob) < 9:
        return 0
    at = wkb_offset(blob)
    if len(blob) < at + 5:
        return 0
    (code,) = struct.unpack_from("<I" if blob[at] == 1 else ">I", blob, at + 1)
    return int((code & 0x0FFFFFFF) % 1000 in (2, 5))


def _line_test(d) -> str:
    """SQL: the patrol's geometry is a (multi)line. PostGIS' ``GeometryType`` reads only the
    geometry's header from TOAST storage; the GeoPackage's function only the blob's header
    (though SQLite hands it the whole blob)."""
    if d.name == "postgis":
        return "GeometryType(geom) IN ('LINESTRING', 'MULTILINESTRING')"
    return f"{IS_LINE}(geom) = 1"


class Tracks:
    """The tracks of one query, read in chunks as they are iterated; after iterating,
    ``more`` tells whether more than ``limit`` patrols matched (the newest were kept)."""

    def __init__(self, chunks: Iterator[list[Track]], limit: int):
        self._chunks, self.limit, self.more = chunks, limit, False

    def __iter__(self) -> Iterator[list[Track]]:
        given = 0
        for chunk in self._chunks:
            if given + len(chunk) > self.limit:  # the one row read past the limit
                chunk, self.more = chunk[: self.limit - given], True
            given += len(chunk)
            if chunk:
                yield chunk


def page_sql(d, *, bbox, target, since, limit: int, tracks_only: bool) -> tuple[str, list]:
    """``SELECT fid FROM patrols …``: the fids of the page of :meth:`PatrolTracks.tracks`
    (one more than ``limit``), filtered, ordered and limited on the bare table, and its
    parameters."""
    args: list = []
    where = ["deleted_at IS NULL", "geom IS NOT NULL"]
    if target is not None:
        where.append("target_kind = ? AND target_id = ?")
        args += [str(target[0]), str(target[1])]
    if since is not None:
        where += queries.span_clause(d, since, None, args)
    boxes = queries.as_boxes(bbox)
    if boxes:
        where.append(queries.boxes_clause(d, boxes, args))
    if tracks_only:  # last: it reads the geometry of each row the cheaper terms leave
        where.append(_line_test(d))
    args.append(int(limit) + 1)  # one more: whether there are more
    where_sql = " AND ".join(where)
    return f"SELECT fid FROM patrols WHERE {where_sql}{queries.order_by(d)} LIMIT ?", args


class PatrolTracks:
    """Patrol tracks and waypoints of one store's database, for the web maps."""

    def __init__(self, db: Database):
        self.db = db

    def tracks(
        self,
        *,
        bbox=None,
        target: tuple[str, str] | None = None,
        since: dt.datetime | None = None,
        limit: int = 200,
        tolerance_m: float = 0.0,
        tracks_only: bool = True,
    ) -> Tracks:
        """The newest patrols (not deleted, with a geometry) that match, at most ``limit``.

        Parameters
        ----------
        bbox : (minx, miny, maxx, maxy), optional
            Patrols whose geometry meets the box (degrees, EPSG:4490).
        target : (kind, id), optional
            Patrols of one target (``("site", "GZ-F01")``, ``("section", …)``).
        since : aware datetime, optional
            Patrols that ended at or after it.
        limit : int
            At most this many, newest start first (then uuid).
        tolerance_m : float
            Douglas-Peucker tolerance in metres (0: the tracks as stored).
        tracks_only : bool
            Only patrols whose geometry is a track (a line); else patrols with waypoints
            only come too, with ``geometry`` None.

        Returns
        -------
        Tracks
            Chunks of :class:`Track`, read as iterated (``more`` set afterwards).
        """
        d = self.db.dialect
        tolerance = max(float(tolerance_m), 0.0) / METRES_PER_DEGREE
        inner, args = page_sql(
            d, bbox=bbox, target=target, since=since, limit=limit, tracks_only=tracks_only
        )
        counts, select_args = queries.counts_sql(d)
        cols = "uuid, started_at, ended_at, target_kind, target_id, team, "
        cols += f"{counts['waypoint_count']}, {counts['alert_count']}, "
        if d.name == "postgis":
            simplified = "geom"
            if tolerance > 0:
                simplified = "ST_Simplify(geom, ?, true)"
                select_args.append(tolerance)
            cols += f"CASE WHEN {_line_test(d)} THEN ST_AsBinary({simplified}) END"
        else:
            cols += "geom"
        sql = f"SELECT {cols} FROM patrols WHERE fid IN ({inner}){queries.order_by(d)}"
        return Tracks(self._track_chunks(sql, [*select_args, *args], tolerance), int(limit))

    def _track_chunks(self, sql: str, args: list, tolerance: float) -> Iterator[list[Track]]:
        import numpy as np
        import shapely

        d = self.db.dialect
        for rows in self._chunks(sql, args):
            geoms = np.asarray(d.decode_geoms([r[8] for r in rows]), dtype=object)
            if d.name != "postgis":  # PostGIS simplified them and left out the points
                lines = shapely.get_dimensions(geoms) == 1
                geoms = np.where(lines, geoms, None)
                if tolerance > 0:
                    geoms = shapely.simplify(geoms, tolerance, preserve_topology=False)
            yield [
                Track(
                    r[0],
                    d.to_time(r[1]),
                    d.to_time(r[2]),
                    r[3],
                    r[4],
                    d.load_team(r[5]),
                    int(r[6]),
                    int(r[7]),
                    _multi(g),
                )
                for r, g in zip(rows, geoms.tolist())
            ]

    def _chunks(self, sql: str, args: list) -> Iterator[list]:
        """The rows of one query (shared SQL) in lists of at most :data:`CHUNK` rows."""
        d, size = self.db.dialect, CHUNK
        with self.db.read() as conn:
            if d.name == "postgis":
                with conn.transaction(), conn.cursor(name="fossilgis_tracks") as cur:
                    cur.execute(d.q(sql), args)
                    while rows := cur.fetchmany(size):
                        yield rows
                return
            conn.create_function(IS_LINE, 1, _is_line, deterministic=True)
            cur = conn.execute(sql, args)
            while rows := cur.fetchmany(size):
                yield rows

    def waypoints(self, patrol_uuids, limit: int) -> tuple[list[TrackWaypoint], bool]:
        """The waypoints of the given patrols, newest patrol first, then in their order.

        Returns
        -------
        (list of TrackWaypoint, bool)
            At most ``limit`` waypoints, and whether there were more.
        """
        uuids = list(dict.fromkeys(patrol_uuids))
        if not uuids:
            return [], False
        d = self.db.dialect
        clause, args = d.in_("w.patrol_uuid", uuids)
        if d.name == "postgis":
            xy = "ST_X(w.geom), ST_Y(w.geom)"
        else:  # a point's envelope is the point: no decoding
            xy = "ST_MinX(w.geom), ST_MinY(w.geom)"
        sql = (
            "SELECT w.patrol_uuid, w.seq, w.name, w.observed_at, w.category, w.severity, "
            f"w.description, w.accuracy_m, {xy} FROM waypoints w "
            f"JOIN patrols p ON p.uuid = w.patrol_uuid WHERE {clause} AND w.geom IS NOT NULL"
            f"{queries.order_by(d, 'p.')}, w.seq LIMIT ?"
        )
        rows = self.db.all(sql, [*args, int(limit) + 1])
        out = [
            TrackWaypoint(
                r[0],
                int(r[1]),
                r[2],
                d.to_time(r[3]),
                r[4],
                r[5],
                r[6],
                None if r[7] is None else float(r[7]),
                float(r[8]),
                float(r[9]),
            )
            for r in rows[:limit]
        ]
        return out, len(rows) > limit


def _multi(geom):
    """A line as a MultiLineString (the stored form); None and multi-lines unchanged."""
    import shapely

    if isinstance(geom, shapely.LineString):
        return shapely.MultiLineString([geom])
    return geom
