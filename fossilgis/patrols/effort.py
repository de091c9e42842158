"""The patrol effort grid (巡护强度网格): patrols and distance walked per square cell.

Cells are squares of ``cell_m`` metres aligned on multiples of ``cell_m`` in one CGCS2000
3° Gauss-Krüger zone (by default the zone of the province's centre, CM 108°E, EPSG:4545,
so that the grids of different quarters line up). A track is simplified (tolerance a
twentieth of a cell: GPS jitter does not change which cells it crosses), projected, and cut
into pieces of at most a quarter cell; each piece counts for the cell of its midpoint. A
cell's ``patrols`` is the number of patrols with a piece (or, for a patrol without a track,
a waypoint) in it; its ``length_m`` is its share of those patrols' geodesic length, shared
in proportion to the pieces' lengths, so that the cells add up to the distance walked.
Patrols are added a chunk at a time, so that memory does not grow with their number.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from fossilgis.geo import CRS_GEOGRAPHIC, GUIZHOU_BOUNDS, gk_zone_for_lon, metric_crs_for_zone

#: default cell size (metres)
DEFAULT_CELL_M = 1000.0
#: the cell sizes a caller may ask for (metres): finer is noise, coarser hides the sites
MIN_CELL_M, MAX_CELL_M = 100.0, 50_000.0
#: the layer name of the grid in a GeoPackage
GRID_LAYER = "patrol_effort"
GRID_COLUMNS = ["col", "row", "patrols", "length_m"]


def default_grid_crs() -> str:
    """The Gauss-Krüger zone (no zone prefix) of the centre of Guizhou: ``EPSG:4545``."""
    return metric_crs_for_zone(gk_zone_for_lon((GUIZHOU_BOUNDS[0] + GUIZHOU_BOUNDS[2]) / 2).zone)


@functools.lru_cache(maxsize=8)
def _transformer(target: str):
    from pyproj import Transformer

    return Transformer.from_crs(CRS_GEOGRAPHIC, target, always_xy=True)


class EffortGrid:
    """Patrols and track length per cell, filled by :meth:`add` and read by :meth:`frame`.

    Parameters
    ----------
    cell_m : float
        Cell side in metres (:data:`MIN_CELL_M`–:data:`MAX_CELL_M`).
    crs : str, optional
        A metric CRS (default :func:`default_grid_crs`).
    """

    def __init__(self, cell_m: float = DEFAULT_CELL_M, crs: str | None = None):
        if not MIN_CELL_M <= float(cell_m) <= MAX_CELL_M:
            raise ValueError(f"cell_m: {cell_m}; expected {MIN_CELL_M:g}–{MAX_CELL_M:g} metres")
        self.cell_m = float(cell_m)
        self.crs = crs or default_grid_crs()
        self._parts: list[pd.DataFrame] = []

    def add(self, geoms, lengths_m=None) -> None:
        """Count the patrols whose geometries (lon/lat, EPSG:4490) are ``geoms``.

        ``lengths_m``: their geodesic lengths (default: measured here with
        :func:`fossilgis.patrols.report.track_lengths_m`). Each call must bring patrols not
        added before (a patrol's cells are counted once within a call).
        """
        import shapely

        from fossilgis.patrols.report import track_lengths_m

        geoms = np.asarray(geoms, dtype=object)
        lengths = track_lengths_m(geoms) if lengths_m is None else np.asarray(lengths_m, float)
        keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        if not keep.any():
            return
        owners = np.flatnonzero(keep)
        transformer = _transformer(self.crs)
        # 1° of latitude is 111 km: the tolerance in degrees, a little under cell_m / 20
        simple = shapely.simplify(geoms[keep], self.cell_m / 20 / 111_320, preserve_topology=False)
        moved = shapely.transform(
            simple, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
        )
        lines = np.isin(shapely.get_type_id(moved), (1, 2, 5))
        pieces = [self._line_pieces(moved[lines], owners[lines], lengths)]
        points = ~lines
        if points.any():
            xy, idx = shapely.get_coordinates(moved[points], return_index=True)
            pieces.append(_cells(xy, owners[points][idx], np.zeros(len(xy)), self.cell_m))
        found = pd.concat(pieces, ignore_index=True)
        if found.empty:
            return
        per_cell = found.groupby(["col", "row"]).agg(length_m=("length_m", "sum"))
        cells = found.drop_duplicates(["owner", "col", "row"])
        per_cell["patrols"] = cells.groupby(["col", "row"]).size()
        self._parts.append(per_cell.reset_index())

    def _line_pieces(self, lines, owners, lengths) -> pd.DataFrame:
        """The pieces of the projected ``lines`` with each patrol's geodesic length shared
        among its pieces in proportion to their planar lengths."""
        import shapely

        if len(lines) == 0:
            return _cells(np.empty((0, 2)), np.empty(0, int), np.empty(0), self.cell_m)
        cut = shapely.segmentize(lines, self.cell_m / 4.0)
        parts, part_owner = shapely.get_parts(cut, return_index=True)
        xy, part_of = shapely.get_coordinates(parts, return_index=True)
        inner = np.flatnonzero(part_of[1:] == part_of[:-1])
        a, b = xy[inner], xy[inner + 1]
        owner = owners[part_owner[part_of[inner]]]
        planar = np.hypot(*(b - a).T)
        total = np.bincount(owner, weights=planar, minlength=len(lengths))
        share = np.divide(lengths, total, out=np.zeros(len(lengths)), where=total > 0)
        length = planar * share[owner]
        # a track folded onto itself by the simplification: its length to its first piece
        first_owner, first = np.unique(owner, return_index=True)
        lost = (total[first_owner] == 0) & (lengths[first_owner] > 0)
        length[first[lost]] = lengths[first_owner[lost]]
        return _cells((a + b) / 2.0, owner, length, self.cell_m)

    def frame(self):
        """The cells with at least one patrol: GeoDataFrame of :data:`GRID_COLUMNS` with
        square polygons in :attr:`crs`, west to east then south to north."""
        import geopandas as gpd
        import shapely

        if self._parts:
            cells = pd.concat(self._parts).groupby(["col", "row"], as_index=False).sum()
        else:
            cells = pd.DataFrame({"col": [], "row": [], "patrols": [], "length_m": []})
        cells = cells.astype({"col": "int64", "row": "int64", "patrols": "int64"})
        cells["length_m"] = cells["length_m"].astype(float)
        cells = cells.sort_values(["row", "col"]).reset_index(drop=True)[GRID_COLUMNS]
        x0, y0 = cells["col"].to_numpy() * self.cell_m, cells["row"].to_numpy() * self.cell_m
        boxes = shapely.box(x0, y0, x0 + self.cell_m, y0 + self.cell_m)
        return gpd.GeoDataFrame(cells, geometry=boxes, crs=self.crs)


def _cells(xy, owners, lengths, cell_m: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "owner": owners,
            "col": np.floor(xy[:, 0] / cell_m).astype("int64"),
            "row": np.floor(xy[:, 1] / cell_m).astype("int64"),
            "length_m": lengths,
        }
    )


def effort_grid(geoms, cell_m: float = DEFAULT_CELL_M, crs: str | None = None, lengths_m=None):
    """:meth:`EffortGrid.frame` of the patrols whose geometries are ``geoms`` (lon/lat)."""
    grid = EffortGrid(cell_m, crs)
    grid.add(geoms, lengths_m)
    return grid.frame()


def write_grid(grid, path, protected=None):
    """Write the grid as the GeoPackage layer :data:`GRID_LAYER` at ``path``, whole or not
    at all (:mod:`fossilgis.io.atomic`); returns the path."""
    from fossilgis.io.atomic import atomic_output, write_frame

    with atomic_output(path, protected) as tmp:
        write_frame(grid, tmp, layer=GRID_LAYER, driver="GPKG", geometry_type="Polygon")
    return path
