"""Exact project areas of a file screened in chunks: the ground is cut into tiles.

A file too large for memory is screened in windows of features (:mod:`fossilgis.batch`).
Two footprints in different windows may share ground, which a sum of the windows' areas
would count twice (7 % too much on 200 000 scattered footprints of which half overlap).
:func:`chunks_share_ground` tells from the envelopes (and an exact test of the few
candidates) whether any do; a file drawn area by area usually has none, and its windows'
areas add up. Otherwise :func:`tiled_project_areas` cuts the file's extent into tiles
holding about ``chunk_size`` footprints each (a quadtree on the envelopes' centres), each
tile's footprints are read with a spatial filter, clipped to the tile and dissolved per
project, and the tiles' areas are summed. The tiles partition the ground, so the sum is
the area of the union whatever the order of the file, and memory stays bounded by a tile.

Tiles are rectangles in the file's own coordinates; in another CRS than CGCS2000 lon/lat
their outline is densified before it is transformed (a point every 1/1024 of the extent),
so that neighbouring tiles still share their edges to well under a millimetre (the sum
agrees with the in-memory union to about 1e-9 of the area in a GK zone; exactly in lon/lat).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

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
    #: hashes of the whole overlapping footprints (their pieces differ between tiles)
    overlapping: set = field(default_factory=set)


def file_envelopes(path, layer=None) -> tuple[np.ndarray, np.ndarray]:
    """(feature ids, envelopes of shape (4, n) in the file's coordinates), read once for
    :func:`chunks_share_ground` and :func:`tiled_project_areas`."""
    import pyogrio

    fids, bounds = pyogrio.read_bounds(path, layer=layer)
    return np.asarray(fids), np.asarray(bounds, dtype=float)


def chunks_share_ground(path, envelopes, *, layer=None, chunk_size: int) -> bool:
    """Whether a footprint's interior meets that of a footprint in another chunk, the file
    being read in windows of ``chunk_size`` features in feature-id order (as
    :func:`fossilgis.io.chunks.iter_footprint_chunks` reads it).

    When none does, the chunks' own areas add up exactly and the tiles are not needed: the
    usual case for a file drawn area by area, such as a cadastral map, whose chunks meet
    only along a seam of parcels that share edges. The envelopes say which footprints of
    two chunks may meet; those (at most ``chunk_size`` footprints) are read and tested, in the
    file's own coordinates. More candidates, or lines and points (buffered only when
    screened), answer True: the tiles then measure exactly whatever the case.
    """
    import pyogrio

    fids, bounds = envelopes
    n = len(fids)
    if n <= chunk_size:
        return False
    chunk = np.empty(n, dtype=np.int64)
    chunk[np.argsort(fids, kind="stable")] = np.arange(n) // chunk_size
    # features without geometry (no envelope) count for the windows, not for the pairs
    drawn = np.flatnonzero(np.isfinite(bounds).all(axis=0))
    pairs = cross_chunk_pairs(bounds[:, drawn], chunk[drawn], cap=16 * chunk_size)
    if pairs is None:  # a carpet of overlaps, not a seam
        return True
    a, b = drawn[pairs[0]], drawn[pairs[1]]
    if not len(a):
        return False
    wanted = np.unique(np.concatenate([a, b]))
    if len(wanted) > chunk_size:
        return True
    # the candidates as drawn (the file's coordinates); their row in ``wanted`` by position
    geoms = pyogrio.read_dataframe(path, layer=layer, fids=fids[wanted], columns=[])
    geoms = np.asarray(geoms.geometry.values)
    if len(geoms) != len(wanted) or not np.isin(shapely.get_type_id(geoms), (3, 6)).all():
        return True
    invalid = ~shapely.is_valid(geoms)
    geoms[invalid] = shapely.make_valid(geoms[invalid])
    pos = np.searchsorted(wanted, [a, b])
    meet = shapely.intersects(geoms[pos[0]], geoms[pos[1]])
    meet[meet] = ~shapely.touches(geoms[pos[0]][meet], geoms[pos[1]][meet])
    return bool(meet.any())


def cross_chunk_pairs(bounds: np.ndarray, chunk: np.ndarray, cap: int):
    """Pairs ``(a, b)`` (a < b) of envelopes that meet and lie in different chunks, or None
    when there are more than ``cap`` of them. ``bounds``: shape (4, n).

    A grid hash in numpy, no geometry built: each envelope is entered in the grid cells it
    covers (cells twice the median envelope's size, so most cover one to four), and only
    cells holding envelopes of two chunks are looked into. Envelopes covering more cells
    go through an STRtree of their own, a window at a time.
    """
    n = bounds.shape[1]
    if not n:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    x0, y0, x1, y1 = bounds
    size = 2 * max(float(np.median(x1 - x0)), float(np.median(y1 - y0)), 1e-9)
    ix0 = np.floor((x0 - x0.min()) / size).astype(np.int64)
    ix1 = np.floor((x1 - x0.min()) / size).astype(np.int64)
    iy0 = np.floor((y0 - y0.min()) / size).astype(np.int64)
    iy1 = np.floor((y1 - y0.min()) / size).astype(np.int64)
    rows = int(iy1.max()) + 2
    small = (ix1 - ix0 <= 1) & (iy1 - iy0 <= 1)
    ids, keys = [], []
    for dx in (0, 1):
        for dy in (0, 1):
            sel = small & (ix0 + dx <= ix1) & (iy0 + dy <= iy1)
            ids.append(np.flatnonzero(sel))
            keys.append((ix0[sel] + dx) * rows + iy0[sel] + dy)
    ids, keys = np.concatenate(ids), np.concatenate(keys)
    order = np.argsort(keys, kind="stable")
    ids, keys = ids[order], keys[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    c = chunk[ids]
    mixed = np.minimum.reduceat(c, starts) != np.maximum.reduceat(c, starts)
    # every pair within each mixed cell, vectorised: entry at place p of a cell of L entries
    # pairs with the entries after it (L - 1 - p of them)
    length = np.diff(np.r_[starts, len(keys)])
    cell_of = np.repeat(np.arange(len(starts)), length)
    in_mixed = mixed[cell_of]
    place = np.arange(len(keys)) - starts[cell_of]
    count = np.where(in_mixed, length[cell_of] - 1 - place, 0)
    total = int(count.sum())
    if total > 4 * cap:
        return None
    first = np.repeat(np.arange(len(keys)), count)
    after = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
    found_a, found_b = [ids[first]], [ids[first + 1 + after]]
    big = np.flatnonzero(~small)
    if len(big):
        tree = shapely.STRtree(shapely.box(*bounds[:, big]))
        for lo in range(0, n, 100_000):
            q, t = tree.query(shapely.box(*bounds[:, lo : lo + 100_000]))
            q, t = q + lo, big[t]
            found_a.append(np.minimum(q, t))
            found_b.append(np.maximum(q, t))
            total += len(q)
            if total > 4 * cap:
                return None
    if not found_a:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    a, b = np.concatenate(found_a), np.concatenate(found_b)
    a, b = np.minimum(a, b), np.maximum(a, b)
    meet = (
        (a != b)
        & (chunk[a] != chunk[b])
        & (x0[a] <= x1[b])
        & (x0[b] <= x1[a])
        & (y0[a] <= y1[b])
        & (y0[b] <= y1[a])
    )
    key = np.unique(a[meet] * n + b[meet])
    if len(key) > cap:
        return None
    return key // n, key % n


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
    envelopes,
    *,
    read_tile: Callable,
    split_projects: Callable,
    options: ScreenOptions,
    chunk_size: int,
    layer=None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, ProjectArea]:
    """Each project's exact ground area over the whole file, tile by tile.

    ``envelopes``: :func:`file_envelopes` of the file. ``read_tile(bbox)`` reads the
    footprints whose envelope meets ``bbox`` (file coordinates) through the reading
    pipeline and returns its ReadResults;
    ``split_projects(results)`` gives each result's project ids and rows as the screen
    does (:func:`fossilgis.screening._split_projects`). Overlapping footprints are told
    apart by their geometry, so one that spans tiles counts once.
    """
    _, bounds = envelopes
    bounds = bounds[:, np.isfinite(bounds).all(axis=0)]  # features without geometry
    tiles = quadtree_tiles(bounds, chunk_size)
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
