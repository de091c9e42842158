"""Exact project areas of a file screened in chunks: the ground is cut into tiles.

A file too large for memory is screened in windows of features (:mod:`fossilgis.batch`).
Two footprints in different windows may share ground, which a sum of the windows' areas
would count twice (7 % too much on 200 000 scattered footprints of which half overlap).
Here the file's extent is cut into tiles holding about ``chunk_size`` footprints each (a
quadtree on the envelopes' centres, from the envelopes alone), each tile's footprints are
read with a spatial filter, clipped to the tile and dissolved per project, and the tiles'
areas are summed. The tiles partition the ground, so the sum is the area of the union
whatever the order of the file, and memory stays bounded by a tile's footprints.

Tiles are rectangles in the file's own coordinates; in another CRS than CGCS2000 lon/lat
their outline is densified before it is transformed (a point every 1/1024 of the extent),
so that neighbouring tiles still share their edges to well under a millimetre (the sum
agrees with the in-memory union to about 1e-9 of the area in a GK zone; exactly in lon/lat).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely

from fossilgis.footprints import (
    ScreenOptions,
    ellipsoidal_area_m2,
    screened_outlines_deg,
    union_area_m2,
)

#: a tile is split no further than this (a pile of identical envelopes cannot be split)
MAX_DEPTH = 16
#: the densified tile outline has a point every extent / DENSIFY_PARTS
DENSIFY_PARTS = 1024
#: the pieces are already buffered outlines: measured as they are
_AS_DRAWN = ScreenOptions()


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Clipped pieces without the lines and points a clip leaves where an outline only
    touches the tile's edge (a collection's polygons kept, as one geometry)."""
    out = geoms.copy()
    for i in np.flatnonzero(shapely.get_type_id(geoms) == 7):
        parts = shapely.get_parts(geoms[i])
        polys = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
        out[i] = shapely.union_all(polys) if len(polys) else shapely.Polygon()
    return out


@dataclass
class ProjectArea:
    """A project's ground area summed over the tiles, and its overlapping footprints."""

    area_m2: float = 0.0
    overlapping: set = None

    def __post_init__(self):
        self.overlapping = set() if self.overlapping is None else self.overlapping


def chunks_share_ground(path, *, layer=None, chunk_size: int) -> bool:
    """Whether a footprint's envelope meets that of a footprint in another chunk, the file
    being read in windows of ``chunk_size`` features in feature-id order (as
    :func:`fossilgis.io.chunks.iter_footprint_chunks` reads it). When none does, the
    chunks' own areas add up exactly and the tiles are not needed: the usual case for a
    file drawn area by area, such as a cadastral map. Envelopes only (about 100 bytes a
    footprint); the queries run a window at a time and stop at the first such pair."""
    import pyogrio

    fids, bounds = pyogrio.read_bounds(path, layer=layer)
    n = len(fids)
    if n <= chunk_size:
        return False
    chunk = np.empty(n, dtype=np.int64)
    chunk[np.argsort(fids, kind="stable")] = np.arange(n) // chunk_size
    boxes = shapely.box(*np.asarray(bounds, dtype=float))
    tree = shapely.STRtree(boxes)
    for lo in range(0, n, chunk_size):
        a, b = tree.query(boxes[lo : lo + chunk_size])
        if (chunk[a + lo] != chunk[b]).any():
            return True
    return False


def quadtree_tiles(bounds: np.ndarray, chunk_size: int) -> list[tuple[float, ...]]:
    """Rectangles that partition the envelopes' extent, each holding at most ``chunk_size``
    envelope centres (``bounds``: shape (4, n) as pyogrio.read_bounds gives it)."""
    if not bounds.shape[1]:
        return []
    x0, y0 = float(bounds[0].min()), float(bounds[1].min())
    x1, y1 = float(bounds[2].max()), float(bounds[3].max())
    pad = max(x1 - x0, y1 - y0, 1e-9) * 1e-9  # footprints on the extent's edge stay inside
    cx, cy = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
    stack = [((x0 - pad, y0 - pad, x1 + pad, y1 + pad), np.arange(bounds.shape[1]), 0)]
    leaves = []
    while stack:
        rect, idx, depth = stack.pop()
        if len(idx) <= chunk_size or depth >= MAX_DEPTH:
            leaves.append(rect)
            continue
        ax, ay, bx, by = rect
        mx, my = (ax + bx) / 2, (ay + by) / 2
        left, low = cx[idx] < mx, cy[idx] < my
        for sel, sub in (
            (left & low, (ax, ay, mx, my)),
            (~left & low, (mx, ay, bx, my)),
            (left & ~low, (ax, my, mx, by)),
            (~left & ~low, (mx, my, bx, by)),
        ):
            stack.append((sub, idx[sel], depth + 1))
    return leaves


def tile_outline_deg(rect, source_crs, extent: float) -> shapely.Geometry:
    """The tile ``rect`` (file coordinates) as a polygon in CGCS2000 lon/lat."""
    poly = shapely.box(*rect)
    if source_crs is None or source_crs.to_epsg() == 4490:
        return poly
    from pyproj import Transformer

    to_deg = Transformer.from_crs(source_crs, "EPSG:4490", always_xy=True)
    dense = shapely.segmentize(poly, extent / DENSIFY_PARTS)

    def move(xy):
        x, y = to_deg.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(dense, move)


def tiled_project_areas(
    path,
    *,
    read_tile: Callable,
    split_projects: Callable,
    options: ScreenOptions,
    chunk_size: int,
    layer=None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, ProjectArea]:
    """Each project's exact ground area over the whole file, tile by tile.

    ``read_tile(bbox)`` reads the footprints whose envelope meets ``bbox`` (file
    coordinates) through the reading pipeline and returns its ReadResults;
    ``split_projects(results)`` gives each result's project ids and rows as the screen
    does (:func:`fossilgis.screening._split_projects`). Overlapping footprints are told
    apart by their geometry, so one that spans tiles counts once.
    """
    import pyogrio

    _, bounds = pyogrio.read_bounds(path, layer=layer)
    tiles = quadtree_tiles(np.asarray(bounds, dtype=float), chunk_size)
    extent = float(max(np.ptp(bounds[0]), np.ptp(bounds[1]), 1e-9)) if len(tiles) else 0.0
    areas: dict[str, ProjectArea] = {}
    for n, rect in enumerate(tiles):
        for files in split_projects(read_tile(rect)):
            res = files.res
            if not len(res.gdf):
                continue
            tile = tile_outline_deg(rect, res.source_crs, extent)
            geoms = np.asarray(res.gdf.geometry.values)[files.rows]
            outlines = screened_outlines_deg(geoms, options)
            shapely.prepare(tile)
            inside = shapely.contains_properly(tile, outlines)
            pieces = outlines.copy()
            pieces[~inside] = _polygonal(shapely.intersection(outlines[~inside], tile))
            piece_areas = ellipsoidal_area_m2(pieces)
            start = 0
            for pid, length in zip(files.ids, files.lengths.tolist()):
                sel = slice(start, start + length)
                start += length
                entry = areas.setdefault(pid, ProjectArea())
                if length == 1:
                    entry.area_m2 += float(piece_areas[sel].sum())
                    continue
                area, involved = union_area_m2(pieces[sel], _AS_DRAWN, piece_areas[sel])
                entry.area_m2 += area
                if len(involved):
                    # the whole footprint's hash names it: its pieces differ between tiles
                    entry.overlapping.update(map(hash, shapely.to_wkb(geoms[sel][involved])))
        if progress:
            progress(n + 1, len(tiles))
    return areas
