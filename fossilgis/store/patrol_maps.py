"""The web map's patrol layers and coverage read in SQL: patrol points, alert points, last
patrol per target.

The map's patrol and alert layers are read in chunks from one statement (one state of the
store; a server-side cursor on PostGIS), so memory does not grow with the patrols and a new
patrol is in the very next answer. A box is answered by the spatial index (GeoPackage
R-tree, PostGIS GiST) and tested exactly; counts and the coverage's last patrols are SQL
aggregates. Rows come back as plain values: times as aware datetimes (UTC), positions as
floats.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from fossilgis.store import patrol_queries as queries
from fossilgis.store.db import Database

#: rows per chunk: a few hundred kB of Python objects at most
CHUNK = 2000


def chunks(db: Database, sql: str, args, size: int = CHUNK) -> Iterator[list]:
    """The rows of one query (shared SQL) in lists of at most ``size`` rows."""
    d = db.dialect
    with db.read() as conn:
        if d.name == "postgis":
            # a named cursor: the server keeps the rows, the client fetches a chunk at a time
            with conn.transaction(), conn.cursor(name="fossilgis_chunks") as cur:
                cur.execute(d.q(sql), args)
                while rows := cur.fetchmany(size):
                    yield rows
        else:
            cur = conn.execute(sql, args)
            while rows := cur.fetchmany(size):
                yield rows


def _points(d, rows, first: int) -> list[tuple]:
    """``rows`` with the geometry at ``first`` (PostGIS: x, y at ``first``, ``first + 1``)
    replaced by x, y of a point on it (GEOS' point on surface; GeoPackage: decoded here)."""
    if d.name == "postgis":
        return rows
    import numpy as np
    import shapely

    geoms = np.asarray(d.decode_geoms([r[first] for r in rows]), dtype=object)
    points = shapely.point_on_surface(geoms)
    xs, ys = shapely.get_x(points).tolist(), shapely.get_y(points).tolist()
    return [(*r[:first], x, y, *r[first + 1 :]) for r, x, y in zip(rows, xs, ys)]


class PatrolMaps:
    """The patrol layers of the web map and the coverage, for one store's database."""

    def __init__(self, db: Database):
        self.db = db

    def points(self, *, places: bool, bbox=None) -> Iterator[list[tuple]]:
        """Chunks of the patrols with a geometry, not deleted, newest start first (the
        order of ``list_patrols``).

        Parameters
        ----------
        places : bool
            Also a point on each patrol's geometry (GEOS' point on surface, as
            ``shapely.point_on_surface``); without, x and y are None.
        bbox : (minx, miny, maxx, maxy), optional
            Only patrols whose geometry meets the box (degrees, EPSG:4490).

        Yields
        ------
        list of tuple
            ``(uuid, started_at, target_id, alert_count, waypoint_count, x, y)``.
        """
        d = self.db.dialect
        counts, args = queries.counts_sql(d)
        cols = ["uuid", "started_at", "target_id", counts["alert_count"], counts["waypoint_count"]]
        if not places:
            cols += ["NULL", "NULL"]
        elif d.name == "postgis":
            cols += ["ST_X(ST_PointOnSurface(geom))", "ST_Y(ST_PointOnSurface(geom))"]
        else:
            cols.append("geom")
        where = ["deleted_at IS NULL", "geom IS NOT NULL"]
        boxes = queries.as_boxes(bbox)
        if boxes:
            where.append(queries.boxes_clause(d, boxes, args))
        sql = f"SELECT {', '.join(cols)} FROM patrols WHERE {' AND '.join(where)}"
        for rows in chunks(self.db, sql + queries.order_by(d), args):
            if places:
                rows = _points(d, rows, 5)
            yield [(r[0], d.to_time(r[1]), *r[2:]) for r in rows]

    def alerts(self, *, places: bool, bbox=None) -> Iterator[list[tuple]]:
        """Chunks of the observations in :data:`~fossilgis.patrols.model.ALERT_CATEGORIES`
        of patrols not deleted, newest observation first (then patrol uuid, waypoint order).

        Parameters
        ----------
        places : bool
            Also the waypoint's position; without, x and y are None.
        bbox : (minx, miny, maxx, maxy), optional
            Only waypoints in the box (degrees, EPSG:4490).

        Yields
        ------
        list of tuple
            ``(waypoint_uuid, patrol_uuid, category, severity, description, target_id,
            observed_at, x, y)``.
        """
        from fossilgis.patrols.model import ALERT_CATEGORIES

        d = self.db.dialect
        cols = (
            "w.uuid, w.patrol_uuid, w.category, w.severity, w.description, p.target_id, "
            "w.observed_at"
        )
        if not places:
            cols += ", NULL, NULL"
        elif d.name == "postgis":
            cols += ", ST_X(w.geom), ST_Y(w.geom)"
        else:
            cols += ", w.geom"
        clause, args = d.in_("w.category", ALERT_CATEGORIES)
        where = ["p.deleted_at IS NULL", clause]
        if bbox is not None:
            where.append(_point_in_box(d, bbox, args))
        if d.name == "postgis":
            order = f"w.observed_at DESC, w.patrol_uuid{d.collate}, w.seq"
        else:  # the time text in one fixed-width form: text order is time order
            order = f"{queries.canonical_time('w.observed_at')} DESC, w.patrol_uuid, w.seq"
        sql = (
            f"SELECT {cols} FROM waypoints w JOIN patrols p ON p.uuid = w.patrol_uuid "
            f"WHERE {' AND '.join(where)} ORDER BY {order}"
        )
        for rows in chunks(self.db, sql, args):
            if places:
                rows = _points(d, rows, 7)
            yield [(*r[:6], d.to_time(r[6]), *r[7:]) for r in rows]

    def last_by_target(self, now: dt.datetime, since: dt.datetime):
        """Each target's last patrol ending by ``now`` and how many ended since ``since``.

        Returns
        -------
        pandas.DataFrame
            ``target_kind``, ``target_id``, ``last_patrol`` (aware), ``patrols_in_window``:
            one row per target of a patrol not deleted that ended by ``now``.
        """
        import pandas as pd

        d = self.db.dialect
        if d.name == "postgis":
            ended, until, start = "ended_at", now, since
        else:  # stored times have milliseconds: the bounds rounded inwards, as text
            ended = queries.canonical_time("ended_at")
            until, start = queries.ms_text(now, up=False), queries.ms_text(since, up=True)
        sql = (
            f"SELECT target_kind, target_id, max({ended}), "
            f"sum(CASE WHEN {ended} >= ? THEN 1 ELSE 0 END) FROM patrols "
            f"WHERE deleted_at IS NULL AND target_id IS NOT NULL AND {ended} <= ? "
            "GROUP BY target_kind, target_id"
        )
        rows = self.db.all(sql, [start, until])
        return pd.DataFrame(
            [(kind, tid, d.to_time(last), int(n)) for kind, tid, last, n in rows],
            columns=["target_kind", "target_id", "last_patrol", "patrols_in_window"],
        )


def _point_in_box(d, bbox, args: list) -> str:
    """A WHERE clause: waypoint ``w`` lies in ``bbox`` (its edges included)."""
    minx, miny, maxx, maxy = (float(v) for v in bbox)
    if d.name == "postgis":
        from fossilgis.store._common import SRS_ID

        args += [minx, miny, maxx, maxy]
        return f"ST_Intersects(w.geom, ST_MakeEnvelope(?, ?, ?, ?, {SRS_ID}))"
    # the R-tree's boxes are rounded outwards: the candidates' own coordinates decide
    args += [minx, maxx, miny, maxy, minx, maxx, miny, maxy]
    return (
        "w.fid IN (SELECT id FROM rtree_waypoints_geom "
        "WHERE maxx >= ? AND minx <= ? AND maxy >= ? AND miny <= ?) "
        "AND ST_MinX(w.geom) BETWEEN ? AND ? AND ST_MinY(w.geom) BETWEEN ? AND ?"
    )
