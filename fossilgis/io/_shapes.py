"""Build polygons from numbered rings of boundary points (界址点 TXT and coordinate tables)."""

from __future__ import annotations

from collections.abc import Sequence

import shapely
from shapely.geometry import LineString, MultiPoint, MultiPolygon, Polygon

from fossilgis.errors import InputFileError


def _close(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    pts = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
    if len(pts) > 1 and pts[0] == pts[-1]:
        pts = pts[:-1]
    return pts


def rings_to_geometry(
    rings: Sequence[tuple[object, list[tuple[float, float]]]],
    *,
    source: str,
    what: str,
    kind: str = "面",
    notes: list[str] | None = None,
):
    """A Polygon/MultiPolygon from rings in file order: the first is the outer ring.

    Later rings inside an outer ring become its holes (圈号 ≥ 2); rings outside every earlier
    outer ring start another part, so multi-part parcels survive. ``kind`` 线/点 gives lines or
    points instead, for the 记录图形属性 of a 界址点 parcel.
    """
    if kind in ("点", "point"):
        return MultiPoint([p for _rid, pts in rings for p in pts])
    if kind in ("线", "line"):
        lines = [LineString(pts) for _rid, pts in rings if len(pts) >= 2]
        return lines[0] if len(lines) == 1 else shapely.MultiLineString(lines)
    parts: list[tuple[list, list[list]]] = []
    for rid, pts in rings:
        ring = _close(pts)
        if len(set(ring)) < 3:
            raise InputFileError(
                f"{source}: {what}, ring {rid} has {len(set(ring))} distinct points; a polygon "
                f"ring needs at least 3 (界址点不足)."
            )
        if parts:
            probe = Polygon(ring)
            host = next(
                (p for p in parts if Polygon(p[0]).is_valid and Polygon(p[0]).contains(probe)),
                None,
            )
            if host is not None:
                host[1].append(ring)
                continue
            if notes is not None:
                notes.append(
                    f"{what} 圈 {rid} 在外圈之外，作为另一部分 / {what}: ring {rid} lies outside "
                    f"the outer ring and was kept as another part"
                )
        parts.append((ring, []))
    polys = [Polygon(shell, holes) for shell, holes in parts]
    return polys[0] if len(polys) == 1 else MultiPolygon(polys)
