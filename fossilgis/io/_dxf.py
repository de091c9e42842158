"""Read a DXF red-line drawing with ezdxf: closed polylines become polygons, arcs densified."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import ezdxf
import geopandas as gpd
import shapely
from ezdxf import recover
from ezdxf.math import Vec3
from shapely.geometry import LineString, Polygon

from fossilgis.errors import InputFileError, InputNotFoundError
from fossilgis.io._encoding import normalise_codec
from fossilgis.io._raw import RawLayer

#: arcs are densified every ARC_STEP_DEG degrees at most ...
ARC_STEP_DEG = 2.0
#: ... and so that the chord is never more than this far from the arc (drawing units, m)
MAX_CHORD_ERROR = 0.5
#: ellipses and splines are flattened to this distance (drawing units)
FLATTEN_DISTANCE = 0.05
#: blocks nested deeper than this are not exploded (guards against recursive blocks)
MAX_BLOCK_DEPTH = 8


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
    dx, dy = p2[0] - p1[0], p2[1] - p1[1]
    chord = math.hypot(dx, dy)
    if bulge == 0 or chord == 0:
        return []
    sweep = 4.0 * math.atan(bulge)  # signed, positive = counter-clockwise
    # Centre lies on the chord's perpendicular bisector, left of p1→p2 for 0 < sweep < π.
    d = (chord / 2.0) / math.tan(sweep / 2.0)
    mx, my = (p1[0] + p2[0]) / 2.0, (p1[1] + p2[1]) / 2.0
    cx, cy = mx - dy / chord * d, my + dx / chord * d
    r = math.hypot(p1[0] - cx, p1[1] - cy)
    start = math.atan2(p1[1] - cy, p1[0] - cx)
    return _arc_points(cx, cy, r, start, sweep)[1:-1]


def _polyline_geometry(verts: list[tuple[float, float, float]], closed: bool, ocs):
    """LineString or Polygon from (x, y, bulge) vertices in OCS, with arcs densified."""
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
            out.extend(_bulge_points(p, (q[0], q[1]), verts[i][2]))
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


def _path_geometry(entity):
    from ezdxf import path as ezpath

    p = ezpath.make_path(entity)
    pts = [(v.x, v.y) for v in p.flattening(distance=FLATTEN_DISTANCE)]
    if len(pts) > 3 and math.isclose(pts[0][0], pts[-1][0]) and math.isclose(pts[0][1], pts[-1][1]):
        return Polygon(pts[:-1]), True
    if len(pts) >= 2:
        return LineString(pts), False
    return None, False


def entity_geometry(e):
    """(geometry, closed_polyline?) for one DXF entity in WCS, or (None, False)."""
    t = e.dxftype()
    if t == "LWPOLYLINE":
        verts = [(x, y, b) for x, y, b in e.get_points("xyb")]
        return _polyline_geometry(verts, bool(e.closed), _ocs_or_none(e))
    if t == "POLYLINE":
        if e.is_2d_polyline:
            verts = [
                (v.dxf.location.x, v.dxf.location.y, v.dxf.get("bulge", 0.0)) for v in e.vertices
            ]
            return _polyline_geometry(verts, bool(e.is_closed), _ocs_or_none(e))
        if e.is_3d_polyline:
            verts = [(v.dxf.location.x, v.dxf.location.y, 0.0) for v in e.vertices]
            return _polyline_geometry(verts, bool(e.is_closed), None)
        return None, False
    if t == "LINE":
        s, f = e.dxf.start, e.dxf.end
        if (s.x, s.y) == (f.x, f.y):
            return None, False
        return LineString([(s.x, s.y), (f.x, f.y)]), False
    if t in ("ARC", "CIRCLE"):
        c, r = e.dxf.center, e.dxf.radius
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
        return _path_geometry(e)
    return None, False


def _explode(entities, depth=0, layer_of_insert=None, handle_of_insert=None):
    """Model-space entities with block references exploded into WCS entities."""
    for e in entities:
        if e.dxftype() == "INSERT" and depth < MAX_BLOCK_DEPTH:
            try:
                subs = list(e.virtual_entities())
            except Exception:  # noqa: BLE001 - broken block definitions are skipped, as CAD does
                continue
            yield from _explode(
                subs,
                depth + 1,
                layer_of_insert or e.dxf.layer,
                handle_of_insert or e.dxf.handle,
            )
            continue
        layer = e.dxf.get("layer", "0")
        # Entities on layer 0 inside a block take the layer of the block reference.
        if layer_of_insert and layer == "0":
            layer = layer_of_insert
        yield e, layer, (handle_of_insert or e.dxf.get("handle"))


def _polygonize_lines(rows: list[dict], notes: list[str]) -> list[dict]:
    """Join LINE/ARC segments drawn as a closed outline into polygons, per DXF layer."""
    out = [r for r in rows if r["dxf_type"] not in ("LINE", "ARC")]
    loose = [r for r in rows if r["dxf_type"] in ("LINE", "ARC")]
    by_layer: dict[str, list[dict]] = {}
    for r in loose:
        by_layer.setdefault(r["dxf_layer"], []).append(r)
    for layer, pieces in by_layer.items():
        geoms = [r["geometry"] for r in pieces]
        polys = list(shapely.get_parts(shapely.polygonize(geoms))) if len(geoms) >= 3 else []
        if not polys:
            out.extend(pieces)
            continue
        edges = shapely.union_all([p.boundary for p in polys])
        used = [r for r in pieces if shapely.covers(edges, r["geometry"])]
        unused = [r for r in pieces if not shapely.covers(edges, r["geometry"])]
        for p in polys:
            out.append(
                {
                    "dxf_layer": layer,
                    "dxf_type": "LINE/ARC",
                    "dxf_handle": ",".join(
                        str(r["dxf_handle"])
                        for r in used
                        if shapely.covers(p.boundary, r["geometry"])
                    ),
                    "geometry": p,
                }
            )
        out.extend(unused)
        notes.append(
            f"图层 {layer}：{len(used)} 条 LINE/ARC 线段合成为 {len(polys)} 个面 / layer {layer}: "
            f"{len(used)} LINE/ARC segments joined into {len(polys)} polygon(s)"
        )
    return out


def read_dxf(path: Path, source: str, layer, encoding) -> list[RawLayer]:
    """A DXF drawing as one layer; ``layer=`` selects a DXF layer (e.g. 红线)."""
    try:
        if encoding:
            doc = ezdxf.readfile(path, encoding=encoding)
        else:
            doc, _auditor = recover.readfile(path)
    except ezdxf.DXFStructureError as exc:
        raise InputFileError(
            f"{source} is not a readable DXF drawing ({exc}) (DXF 文件损坏). Open it in CAD "
            f"and save it again as DXF."
        ) from exc
    except (OSError, UnicodeError, ezdxf.DXFError) as exc:
        raise InputFileError(f"{source} cannot be read as DXF ({exc}) (DXF 文件无法读取).") from exc

    notes: list[str] = []
    rows: list[dict] = []
    ignored: Counter[str] = Counter()
    closed_count = 0
    entities = list(_explode(doc.modelspace()))
    with_geometry = []
    for e, lay, handle in entities:
        geom, was_closed = entity_geometry(e)
        if geom is None:
            ignored[e.dxftype()] += 1
            continue
        with_geometry.append((e, lay, handle, geom, was_closed))
    layers = sorted({lay for _e, lay, _h, _g, _c in with_geometry})
    if layer is not None:
        if layer not in layers:
            raise InputNotFoundError(
                f"{source} has no DXF layer {layer!r} with lines or polylines (图层不存在); "
                f"available layers: " + ", ".join(repr(n) for n in layers) + "."
            )
        with_geometry = [t for t in with_geometry if t[1] == layer]
    for e, lay, handle, geom, was_closed in with_geometry:
        closed_count += bool(was_closed)
        rows.append(
            {"dxf_layer": lay, "dxf_type": e.dxftype(), "dxf_handle": handle, "geometry": geom}
        )
    if closed_count:
        notes.append(
            f"{closed_count} 条闭合多段线转为面 / {closed_count} closed polyline(s) turned into "
            f"polygons"
        )
    if any(r["dxf_type"] in ("LWPOLYLINE", "POLYLINE") for r in rows):
        notes.append(
            f"圆弧按 ≤{ARC_STEP_DEG:g}° 或弦高 ≤{MAX_CHORD_ERROR:g} 加密 / arc bulges densified "
            f"(every {ARC_STEP_DEG:g}° or ≤ {MAX_CHORD_ERROR:g} m chord error)"
        )
    rows = _polygonize_lines(rows, notes)
    if ignored:
        listed = ", ".join(f"{n} {t}" for t, n in sorted(ignored.items()))
        notes.append(f"已忽略非线面要素：{listed} / ignored entities without outline: {listed}")

    gdf = gpd.GeoDataFrame(
        {k: [r[k] for r in rows] for k in ("dxf_layer", "dxf_type", "dxf_handle")},
        geometry=[r["geometry"] for r in rows],
    )
    if encoding:
        enc, basis = normalise_codec(encoding), "user"
    elif doc.dxfversion <= "AC1018":
        # R2004 and earlier store text in the $DWGCODEPAGE code page (ANSI_936 = GBK).
        enc, basis = normalise_codec(doc.encoding), "dwgcodepage"
    else:
        enc, basis = "utf-8", None
    return [
        RawLayer(
            gdf=gdf,
            source=source,
            layer=layer,
            crs=None,
            crs_missing="DXF drawings carry none",
            encoding=enc,
            encoding_basis=basis,
            notes=notes,
        )
    ]
