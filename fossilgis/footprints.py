"""How footprints are read as ground: screening options, their checks, buffers and areas.

``ScreenOptions`` (line width, point radius, project type) and its accepted ranges, the
check that a footprint does not reach far beyond Guizhou, the buffering of lines and points
in their GK zone, and exact ellipsoidal areas: per footprint and per project (shared ground
counted once). Pure functions over shapely arrays; :mod:`fossilgis.impact` pairs and grades.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

from fossilgis.errors import FossilGISError, InputFileError
from fossilgis.geo import (
    CRS_GEOGRAPHIC,
    GUIZHOU_BOUNDS,
    format_bounds,
    gk_zone_numbers,
    metric_crs_for_zone,
)
from fossilgis.parallel import map_arrays, query_tree
from fossilgis.rules import PROJECT_TYPES

# CGCS2000 ellipsoid (GRS 80 parameters)
_A = 6378137.0
_F = 1 / 298.257222101
_E2 = _F * (2 - _F)


#: accepted ``line_width_m`` (m): below a decimetre a buffer collapses in floating point;
#: a "line" wider than 2 km is an area and must be drawn as a polygon
LINE_WIDTH_RANGE_M = (0.1, 2000.0)
#: accepted ``point_radius_m`` (m), for the same reasons
POINT_RADIUS_RANGE_M = (0.1, 2000.0)
#: how far (degrees) a footprint may reach beyond Guizhou's box: a project that crosses the
#: border is screened; one that spans far more than the province (a wrong CRS, a world box)
#: is refused, since GK zones 35–37 cannot measure it
FOOTPRINT_REACH_DEG = 1.0


def check_width(option: str, value: float | None) -> float | None:
    """``value`` if it is a usable line width / point radius in metres, else a clear error.

    ``option`` is ``"line-width"`` or ``"point-radius"``; the message names it as the user
    typed it (``--line-width``) and gives the accepted range.
    """
    if value is None:
        return None
    lo, hi = LINE_WIDTH_RANGE_M if option == "line-width" else POINT_RADIUS_RANGE_M
    try:
        ok = lo <= float(value) <= hi
    except (TypeError, ValueError):
        ok = False
    if not ok:
        what = (
            "linear footprints (roads, pipelines)"
            if option == "line-width"
            else ("point footprints (boreholes, pylons)")
        )
        raise FossilGISError(
            f"--{option} {value!r} is out of range (超出范围): give a number of metres from "
            f"{lo:g} to {hi:g} for {what}. Wider or larger works are areas: draw them as "
            f"polygons (面) instead."
        )
    return float(value)


@dataclass(frozen=True)
class ScreenOptions:
    """How footprints are read as ground disturbance.

    ``line_width_m`` buffers lines by half the width on each side (flat ends);
    ``point_radius_m`` buffers points. Without them, lines and points count by their own
    geometry and have no overlap area.
    """

    project_type: str = "other"
    ground_disturbance: bool = True
    line_width_m: float | None = None
    point_radius_m: float | None = None

    def __post_init__(self):
        if self.project_type not in PROJECT_TYPES:
            raise FossilGISError(
                f"project type {self.project_type!r} is unknown; choose one of "
                f"{', '.join(PROJECT_TYPES)}"
            )
        check_width("line-width", self.line_width_m)
        check_width("point-radius", self.point_radius_m)


def _equal_area_xy(coords: np.ndarray) -> np.ndarray:
    """Lon/lat → Lambert cylindrical equal-area on the CGCS2000 ellipsoid (metres)."""
    lam = np.radians(coords[:, 0])
    sin_phi = np.sin(np.radians(coords[:, 1]))
    e = math.sqrt(_E2)
    q = (1 - _E2) * (
        sin_phi / (1 - _E2 * sin_phi**2) - np.log((1 - e * sin_phi) / (1 + e * sin_phi)) / (2 * e)
    )
    return np.column_stack([_A * lam, _A * q / 2])


def ellipsoidal_area_m2(geoms_deg: np.ndarray) -> np.ndarray:
    """Areas in m² of lon/lat geometries on the CGCS2000 ellipsoid (0 for lines, points).

    The outlines go through an equal-area projection and the shoelace formula runs on
    ragged coordinate arrays, so the result is exact for polygons with straight edges in
    lon/lat, at any size, without a Python loop.
    """
    geoms_deg = np.asarray(geoms_deg)
    out = np.zeros(len(geoms_deg))
    polygonal = np.isin(shapely.get_type_id(geoms_deg), (3, 6)) & ~shapely.is_empty(geoms_deg)
    if not polygonal.any():
        return out
    polys = geoms_deg[polygonal]
    if (shapely.get_type_id(polys) == 3).all() and not shapely.get_num_interior_rings(polys).any():
        # fast path, the common case: simple polygons, one ring each
        coords, index = shapely.get_coordinates(polys, return_index=True)
        ring_off = np.searchsorted(index, np.arange(len(polys) + 1))
        gtype, offsets = shapely.GeometryType.POLYGON, (ring_off, np.arange(len(polys) + 1))
    else:
        gtype, coords, offsets = shapely.to_ragged_array(polys)
    ring_off, part_off = offsets[0], offsets[1]
    xy = _equal_area_xy(coords)
    # coordinates relative to their ring's first vertex keep the products small and exact
    ring_len = np.diff(ring_off)
    xy -= np.repeat(xy[ring_off[:-1]], ring_len, axis=0)
    cross = xy[:-1, 0] * xy[1:, 1] - xy[1:, 0] * xy[:-1, 1]
    cross[ring_off[1:-1] - 1] = 0.0  # the pair that straddles two rings
    cross = np.append(cross, 0.0)
    ring_area = np.abs(np.add.reduceat(cross, ring_off[:-1])) / 2
    ring_area[ring_len == 0] = 0.0
    sign = -np.ones(len(ring_area))
    sign[part_off[:-1]] = 1.0  # the first ring of each polygon is its exterior
    part_area = np.add.reduceat(ring_area * sign, part_off[:-1])
    part_area[np.diff(part_off) == 0] = 0.0
    if gtype == shapely.GeometryType.MULTIPOLYGON:
        geom_off = offsets[2]
        area = np.add.reduceat(part_area, geom_off[:-1])
        area[np.diff(geom_off) == 0] = 0.0
    else:
        area = part_area
    out[polygonal] = area
    return out


def buffer_reach_m(options: ScreenOptions) -> float:
    """How far buffering (line width, point radius) moves a footprint's edge outwards."""
    return max((options.line_width_m or 0) / 2, options.point_radius_m or 0)


def footprints_beyond_reach(geoms_deg: np.ndarray) -> np.ndarray:
    """True where a footprint's box reaches more than :data:`FOOTPRINT_REACH_DEG` past Guizhou."""
    b = shapely.bounds(np.asarray(geoms_deg))
    x0, y0, x1, y1 = GUIZHOU_BOUNDS
    m = FOOTPRINT_REACH_DEG
    return (b[:, 0] < x0 - m) | (b[:, 1] < y0 - m) | (b[:, 2] > x1 + m) | (b[:, 3] > y1 + m)


def check_footprint_reach(geoms_deg: np.ndarray, source: str) -> None:
    """Refuse footprints that span far more than the province (see :data:`FOOTPRINT_REACH_DEG`).

    Such a footprint cannot be measured in the GK zones of Guizhou and would match only
    some of the sites it covers; it is almost always a wrong CRS or a placeholder box.
    """
    far = np.flatnonzero(footprints_beyond_reach(geoms_deg))
    if not len(far):
        return
    rows = ", ".join(str(int(r)) for r in far[:10]) + (
        f" … ({len(far)} rows)" if len(far) > 10 else ""
    )
    bounds = shapely.total_bounds(np.asarray(geoms_deg)[far])
    m = FOOTPRINT_REACH_DEG
    x0, y0, x1, y1 = GUIZHOU_BOUNDS
    raise InputFileError(
        f"{source}: footprint rows {rows} reach far beyond Guizhou (范围远超贵州省): bbox "
        f"{format_bounds(bounds)} degrees; a footprint may reach at most {m:g}° past the "
        f"province ({format_bounds((x0 - m, y0 - m, x1 + m, y1 + m))}). Check the CRS of the "
        f"file, or clip the footprint to the part of the project in and near Guizhou."
    )


def buffer_footprints(geoms: np.ndarray, options: ScreenOptions) -> np.ndarray:
    out = geoms.copy()
    type_ids = shapely.get_type_id(geoms)
    lines = np.isin(type_ids, (1, 2, 5))  # LineString, LinearRing, MultiLineString
    points = np.isin(type_ids, (0, 4))  # Point, MultiPoint
    if options.line_width_m and lines.any():
        out[lines] = shapely.buffer(geoms[lines], options.line_width_m / 2, cap_style="flat")
    if options.point_radius_m and points.any():
        out[points] = shapely.buffer(geoms[points], options.point_radius_m, quad_segs=16)
    return out


def footprint_metrics(footprints_deg: np.ndarray, options: ScreenOptions) -> np.ndarray:
    """Area in m² of each footprint as screened (after buffering lines and points)."""
    geoms = np.asarray(footprints_deg)
    type_ids = shapely.get_type_id(geoms)
    areas = ellipsoidal_area_m2(geoms)
    needs_buffer = (np.isin(type_ids, (1, 2, 5)) & bool(options.line_width_m)) | (
        np.isin(type_ids, (0, 4)) & bool(options.point_radius_m)
    )
    if needs_buffer.any():
        import geopandas as gpd

        sub = geoms[needs_buffer]
        zones = gk_zone_numbers(shapely.get_x(shapely.centroid(sub)))
        res = np.zeros(len(sub))
        for zone in np.unique(zones):
            sel = zones == zone
            proj = gpd.GeoSeries(sub[sel], crs=CRS_GEOGRAPHIC).to_crs(metric_crs_for_zone(zone))
            res[sel] = shapely.area(buffer_footprints(np.asarray(proj.values), options))
        areas[needs_buffer] = res
    return areas


def screened_outlines_deg(geoms_deg: np.ndarray, options: ScreenOptions) -> np.ndarray:
    """Footprints as screened (lines and points buffered in their GK zone), in lon/lat."""
    import geopandas as gpd

    geoms = np.asarray(geoms_deg).copy()
    type_ids = shapely.get_type_id(geoms)
    needs = (np.isin(type_ids, (1, 2, 5)) & bool(options.line_width_m)) | (
        np.isin(type_ids, (0, 4)) & bool(options.point_radius_m)
    )
    if needs.any():
        sub = geoms[needs]
        zones = gk_zone_numbers(shapely.get_x(shapely.centroid(sub)))
        out = np.empty(len(sub), dtype=object)
        for zone in np.unique(zones):
            sel = zones == zone
            crs = metric_crs_for_zone(zone)
            proj = gpd.GeoSeries(sub[sel], crs=CRS_GEOGRAPHIC).to_crs(crs)
            buffered = buffer_footprints(np.asarray(proj.values), options)
            out[sel] = np.asarray(gpd.GeoSeries(buffered, crs=crs).to_crs(CRS_GEOGRAPHIC).values)
        geoms[needs] = out
    return geoms


def project_area_m2(
    geoms_deg: np.ndarray, options: ScreenOptions, areas: np.ndarray | None = None
) -> tuple[float, int]:
    """Ground area of one project in m², counting ground that footprints share only once.

    Returns ``(area_m2, overlapping)``: the area of the union of the screened footprints
    (ellipsoidal, like :func:`footprint_metrics`) and how many footprints overlap another
    one. Footprints that only touch are summed as they are; the union is computed just for
    those whose interiors meet, so a parcel map of thousands of neighbours stays fast.
    """
    area, involved = union_area_m2(geoms_deg, options, areas)
    return area, len(involved)


def union_area_m2(
    geoms_deg: np.ndarray, options: ScreenOptions, areas: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """:func:`project_area_m2` with the positions of the overlapping footprints."""
    geoms = np.asarray(geoms_deg)
    if areas is None:
        areas = footprint_metrics(geoms, options)
    total = float(np.sum(areas))
    idx = np.flatnonzero(areas > 0)
    none = np.zeros(0, dtype=int)
    if len(idx) < 2:
        return total, none
    outlines = screened_outlines_deg(geoms[idx], options)
    # envelope pairs, each once (a predicate in the tree query would test both directions)
    a, b = query_tree(shapely.STRtree(outlines), outlines)
    keep = a < b
    a, b = a[keep], b[keep]
    if _mostly_apart(outlines, a, b):
        # neighbours that only share edges (a parcel map): drop them with a cheap test on
        # outlines shrunk by SHRINK towards their centres, where touching outlines no longer
        # meet; then the exact test on the pairs left
        shrunk = _shrunk(outlines)
        near = map_arrays(_meet, shrunk[a], shrunk[b])
        a, b = a[near], b[near]
    if len(a):
        # polygons that intersect share interior unless they only touch (DE-9IM F********);
        # touches is several times cheaper in GEOS than a general relate pattern
        interiors_meet = map_arrays(_interiors_meet, outlines[a], outlines[b])
        a, b = a[interiors_meet], b[interiors_meet]
    if not len(a):
        return total, none
    involved = np.unique(np.concatenate([a, b]))
    return (
        total - float(areas[idx[involved]].sum()) + _union_area_m2(outlines, a, b),
        idx[involved],
    )


#: relative shrink of the outlines in the quick overlap test: a point moves by at most
#: SHRINK × its distance to the envelope's centre (1 mm for a footprint 1 km across), so two
#: footprints overlapping in a band thinner than that are summed as if they only touched
SHRINK = 1e-6


#: pairs looked at to choose the quick test: evenly spread over the envelope pairs
SAMPLE_PAIRS = 500


def _mostly_apart(outlines: np.ndarray, a: np.ndarray, b: np.ndarray) -> bool:
    """Whether most envelope pairs ``a``–``b`` do not overlap (a parcel map), judged on an
    even sample with the exact test: then the shrunk-outline test pays for its building
    (0.5 s per 200 000 outlines); where most pairs overlap it would drop nothing."""
    if len(a) < 4 * SAMPLE_PAIRS:
        return False
    pick = np.linspace(0, len(a) - 1, SAMPLE_PAIRS).astype(int)
    return bool((~_interiors_meet(outlines[a[pick]], outlines[b[pick]])).mean() > 0.5)


def _shrunk(geoms: np.ndarray) -> np.ndarray:
    """``geoms`` scaled by 1 − :data:`SHRINK` about the centre of each one's envelope
    (vectorised; the envelope's centre costs less than the centroid and bounds the same)."""
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    box = shapely.bounds(geoms)
    centres = ((box[:, :2] + box[:, 2:]) / 2)[owner]
    return shapely.set_coordinates(geoms.copy(), centres + (coords - centres) * (1 - SHRINK))


def _meet(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return shapely.distance(a, b) == 0  # cheaper in GEOS than intersects for near misses


def _interiors_meet(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return shapely.intersects(a, b) & ~shapely.touches(a, b)


def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected-component label of each of ``n`` nodes joined by edges ``a``–``b``."""
    labels = np.arange(n)
    while True:
        low = np.minimum(labels[a], labels[b])
        new = labels.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        new = new[new]  # pointer jumping: a chain of k links settles in about log k rounds
        if np.array_equal(new, labels):
            return labels
        labels = new


def _union_area_m2(outlines: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """Ellipsoidal area of the union of the outlines joined by overlapping pairs ``a``–``b``.

    Each group of mutually overlapping footprints is dissolved on its own, all groups in one
    vectorised call (a collection per group, buffered by 0), never the whole project at once.
    """
    labels = _components(len(outlines), a, b)
    nodes = np.unique(np.concatenate([a, b]))
    comp = labels[nodes]
    order = np.argsort(comp, kind="stable")
    nodes, comp = nodes[order], comp[order]
    first = np.r_[True, comp[1:] != comp[:-1]]
    size = np.diff(np.r_[np.flatnonzero(first), len(comp)])
    # groups of two, the most common by far, as one union per pair (no collection to build)
    two = np.repeat(size == 2, size)
    pairs = nodes[two].reshape(-1, 2)
    area = float(ellipsoidal_area_m2(map_arrays(shapely.union, *outlines[pairs].T)).sum())
    if (~two).any():
        group = np.cumsum(first[~two]) - 1
        collections = shapely.geometrycollections(outlines[nodes[~two]], indices=group)
        merged = map_arrays(lambda c: shapely.buffer(c, 0), collections, min_size=2_000)
        area += float(ellipsoidal_area_m2(merged).sum())
    return area
