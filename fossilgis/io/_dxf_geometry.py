"""Geometry of one DXF entity: polylines with bulges, arcs, circles, ellipses, splines."""

from __future__ import annotations

import math

from ezdxf.math import Vec3
from shapely.geometry import LineString, Polygon

from fossilgis.io.limits import VertexBudget

#: arcs are densified every ARC_STEP_DEG degrees at most ...
ARC_STEP_DEG = 2.0
#: ... and so that the chord is never more than this far from the arc (drawing units, m)
MAX_CHORD_ERROR = 0.5
#: ellipses and splines are flattened to this distance (drawing units)
FLATTEN_DISTANCE = 0.05
#: a bulge is tan(sweep / 4); beyond this the arc's radius exceeds 2 500 × its chord, which
#: no drawing means (1e300 would put the centre at infinity)
MAX_BULGE = 1e4
#: below this a bulge is a straight segment (the arc's sagitta is < 1e-9 × the chord)
MIN_BULGE = 1e-9
#: flattening of ellipses and splines stops at this fraction of their extent at most, so a
#: curve drawn in huge units cannot ask for billions of points
FLATTEN_RELATIVE = 1e-5


class _BadEntity(ValueError):
    """An entity's numbers cannot make geometry (NaN, infinite, absurd bulge); caught per
    entity and reported with its handle."""


def _arc_steps(sweep: float, radius: float) -> int:
    n = math.ceil(abs(sweep) / math.radians(ARC_STEP_DEG))
    if radius > MAX_CHORD_ERROR:
        step = 2.0 * math.acos(1.0 - MAX_CHORD_ERROR / radius)
        n = max(n, math.ceil(abs(sweep) / step))
    return max(1, min(n, 10_000))


def _arc_points(cx, cy, r, start: float, sweep: float) -> list[tuple[float, float]]:
    """Points on an arc from angle ``start`` (rad) through signed ``sweep``, both ends included."""
    n = _arc_steps(sweep, r)
    return [
        (cx + r * math.cos(start + sweep * k / n), cy + r * math.sin(start + sweep * k / n))
        for k in range(n + 1)
    ]


def _bulge_points(p1, p2, bulge: float) -> list[tuple[float, float]]:
    """Interior points of the arc segment p1→p2 with a DXF bulge (tan of a quarter sweep)."""
    if not math.isfinite(bulge):
        raise _BadEntity(f"bulge {bulge} is not a number (凸度无效)")
    if abs(bulge) > MAX_BULGE:
        raise _BadEntity(
            f"bulge {bulge:g} describes no real arc (|bulge| > {MAX_BULGE:g}: the centre lies "
            f"{abs(bulge) / 2:g}× the chord away) (凸度异常); redraw the arc"
        )
    dx, dy = p2[0] - p1[0], p2[1] - p1[1]
    chord = math.hypot(dx, dy)
    if abs(bulge) < MIN_BULGE or chord == 0:
        return []
    sweep = 4.0 * math.atan(bulge)  # signed, positive = counter-clockwise
    # Centre lies on the chord's perpendicular bisector, left of p1→p2 for 0 < sweep < π.
    d = (chord / 2.0) / math.tan(sweep / 2.0)
    mx, my = (p1[0] + p2[0]) / 2.0, (p1[1] + p2[1]) / 2.0
    cx, cy = mx - dy / chord * d, my + dx / chord * d
    r = math.hypot(p1[0] - cx, p1[1] - cy)
    start = math.atan2(p1[1] - cy, p1[0] - cx)
    return _arc_points(cx, cy, r, start, sweep)[1:-1]


def _finite(values, what: str) -> None:
    for v in values:
        if not math.isfinite(v):
            raise _BadEntity(f"{what} is {v} (坐标为 NaN 或无穷大)")


def _polyline_geometry(verts: list[tuple[float, float, float]], closed: bool, ocs, budget=None):
    """LineString or Polygon from (x, y, bulge) vertices in OCS, with arcs densified."""
    for i, v in enumerate(verts):
        _finite(v[:2], f"vertex {i}")
    pts2 = [(v[0], v[1]) for v in verts]
    # AutoCAD may both set the closed flag and repeat the first vertex (OSGeo/gdal#10153).
    if len(pts2) > 2 and pts2[0] == pts2[-1]:
        closed = True
        verts = verts[:-1]
    out: list[tuple[float, float]] = []
    n = len(verts)
    last = n if closed else n - 1
    for i in range(n):
        p = (verts[i][0], verts[i][1])
        out.append(p)
        if i < last:
            q = verts[(i + 1) % n]
            arc = _bulge_points(p, (q[0], q[1]), verts[i][2])
            if budget is not None:
                budget.take(len(arc) + 1)
            out.extend(arc)
    if ocs is not None:
        out = [(v.x, v.y) for v in ocs.points_to_wcs(Vec3(x, y, 0) for x, y in out)]
    if closed and len(set(out)) >= 3:
        return Polygon(out), True
    if len(out) >= 2:
        return LineString(out), False
    return None, False


def _ocs_or_none(entity):
    extrusion = Vec3(entity.dxf.get("extrusion", (0, 0, 1)))
    if extrusion.isclose(Vec3(0, 0, 1)):
        return None
    return entity.ocs()


def _path_geometry(entity, budget=None):
    from ezdxf import path as ezpath

    p = ezpath.make_path(entity)
    ctrl = [(v.x, v.y) for v in p.control_vertices()]
    for c in ctrl:
        _finite(c, "a control point")
    if not ctrl:
        return None, False
    xs, ys = [c[0] for c in ctrl], [c[1] for c in ctrl]
    extent = max(max(xs) - min(xs), max(ys) - min(ys))
    distance = max(FLATTEN_DISTANCE, extent * FLATTEN_RELATIVE)
    pts = []
    for v in p.flattening(distance=distance):
        pts.append((v.x, v.y))
        if budget is not None and len(pts) % 1000 == 0:
            budget.take(1000)
    if budget is not None:
        budget.take(len(pts) % 1000)
    if len(pts) > 3 and math.isclose(pts[0][0], pts[-1][0]) and math.isclose(pts[0][1], pts[-1][1]):
        return Polygon(pts[:-1]), True
    if len(pts) >= 2:
        return LineString(pts), False
    return None, False


def entity_geometry(e, budget: VertexBudget | None = None):
    """(geometry, closed_polyline?) for one DXF entity in WCS, or (None, False).

    ``budget`` counts the coordinates made (arcs densified); NaN/infinite numbers and absurd
    bulges raise ``_BadEntity``.
    """
    t = e.dxftype()
    if t == "LWPOLYLINE":
        verts = [(x, y, b) for x, y, b in e.get_points("xyb")]
        return _polyline_geometry(verts, bool(e.closed), _ocs_or_none(e), budget)
    if t == "POLYLINE":
        if e.is_2d_polyline:
            verts = [
                (v.dxf.location.x, v.dxf.location.y, v.dxf.get("bulge", 0.0)) for v in e.vertices
            ]
            return _polyline_geometry(verts, bool(e.is_closed), _ocs_or_none(e), budget)
        if e.is_3d_polyline:
            verts = [(v.dxf.location.x, v.dxf.location.y, 0.0) for v in e.vertices]
            return _polyline_geometry(verts, bool(e.is_closed), None, budget)
        return None, False
    if t == "LINE":
        s, f = e.dxf.start, e.dxf.end
        _finite((s.x, s.y, f.x, f.y), "an end point")
        if budget is not None:
            budget.take(2)
        if (s.x, s.y) == (f.x, f.y):
            return None, False
        return LineString([(s.x, s.y), (f.x, f.y)]), False
    if t in ("ARC", "CIRCLE"):
        c, r = e.dxf.center, e.dxf.radius
        _finite((c.x, c.y, r), "the centre or radius")
        if r <= 0:
            return None, False
        if t == "ARC":
            _finite((e.dxf.start_angle, e.dxf.end_angle), "an angle")
        if budget is not None:
            budget.take(_arc_steps(2 * math.pi, r) + 1)
        if t == "CIRCLE":
            pts = _arc_points(c.x, c.y, r, 0.0, 2 * math.pi)[:-1]
        else:
            a0, a1 = math.radians(e.dxf.start_angle), math.radians(e.dxf.end_angle)
            sweep = (a1 - a0) % (2 * math.pi) or 2 * math.pi
            pts = _arc_points(c.x, c.y, r, a0, sweep)
        ocs = _ocs_or_none(e)
        if ocs is not None:
            pts = [(v.x, v.y) for v in ocs.points_to_wcs(Vec3(x, y, 0) for x, y in pts)]
        return (Polygon(pts), False) if t == "CIRCLE" else (LineString(pts), False)
    if t in ("ELLIPSE", "SPLINE"):
        return _path_geometry(e, budget)
    return None, False
