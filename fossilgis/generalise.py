"""Public geometry for sensitive fossil sites: exact boundaries replaced by coarse grid cells."""

from __future__ import annotations

import math

import numpy as np
import shapely

#: grid cell size in degrees (0.01° ≈ 1.1 km north–south, ≈ 1.0 km east–west in Guizhou)
DEFAULT_CELL_DEG = 0.01

#: decimals that still carry information in generalised coordinates
GENERALISED_DECIMALS = 5


def coarse_cells(geom, cell_deg: float = DEFAULT_CELL_DEG):
    """The union of the grid cells (``cell_deg`` squares aligned on 0°) that ``geom`` touches.

    Always contains ``geom``, so whatever overlaps the true site also overlaps its public
    shape; it reveals the site's position and extent only to the cell size.
    """
    if geom is None or geom.is_empty:
        return geom
    minx, miny, maxx, maxy = geom.bounds
    # the small epsilon keeps a vertex lying on a cell edge from adding a row of cells
    eps = cell_deg * 1e-6
    i0, i1 = math.floor((minx + eps) / cell_deg), math.floor((maxx - eps) / cell_deg)
    j0, j1 = math.floor((miny + eps) / cell_deg), math.floor((maxy - eps) / cell_deg)
    ii, jj = np.meshgrid(np.arange(i0, max(i0, i1) + 1), np.arange(j0, max(j0, j1) + 1))
    ii, jj = ii.ravel(), jj.ravel()
    cells = shapely.box(ii * cell_deg, jj * cell_deg, (ii + 1) * cell_deg, (jj + 1) * cell_deg)
    hit = cells[shapely.intersects(cells, geom)]
    if len(hit) == 0:  # a point or sliver exactly on an edge
        hit = cells[:1]
    merged = shapely.union_all(hit)
    return shapely.simplify(shapely.set_precision(merged, 10 ** -GENERALISED_DECIMALS), 0)


def generalise_sites(gdf, *, cell_deg: float = DEFAULT_CELL_DEG):
    """A copy of a site layer (EPSG:4490) whose geometry is generalised for the public.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Sites in geographic coordinates (EPSG:4490).
    cell_deg : float
        Grid cell size in degrees; each site becomes the union of the cells it touches.

    Returns
    -------
    geopandas.GeoDataFrame
        Same rows and attributes, geometry replaced, ``extra`` emptied (it may hold the
        source's exact coordinates), and a boolean column ``generalised`` set to True.
    """
    if not cell_deg > 0:
        raise ValueError(f"cell_deg must be a positive number of degrees, got {cell_deg!r}")
    out = gdf.copy()
    out[out.geometry.name] = [coarse_cells(g, cell_deg) for g in gdf.geometry.values]
    if "extra" in out:
        out["extra"] = [{} for _ in range(len(out))]
    out["generalised"] = True
    return out
