"""Footprint checks on layers already read: geometry types a footprint may have, inside Guizhou."""

from __future__ import annotations

import numpy as np
import shapely

from fossilgis.errors import OutsideProvinceError, UnsupportedGeometryError
from fossilgis.geo import GUIZHOU_BOUNDS
from fossilgis.io._pipeline import ReadResult, _outside_message, _rows_text

FOOTPRINT_TYPES = {
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
}


def _outside_box(geoms, bounds) -> np.ndarray:
    """True where a geometry's envelope misses the box (a fast, vectorised test)."""
    b = shapely.bounds(np.asarray(geoms))
    x0, y0, x1, y1 = bounds
    return (b[:, 2] < x0) | (b[:, 0] > x1) | (b[:, 3] < y0) | (b[:, 1] > y1)


def check_footprints(results: list[ReadResult]) -> None:
    """Raise unless every geometry is a (multi) point, line or polygon inside Guizhou."""
    for r in results:
        types = r.gdf.geom_type
        bad = ~types.isin(FOOTPRINT_TYPES)
        if bad.any():
            rows = np.flatnonzero(bad.to_numpy())
            raise UnsupportedGeometryError(
                f"{r.source}: rows {_rows_text(rows)} are {types[bad].iloc[0]} (不能作为项目范围); "
                f"a footprint must be points, lines or polygons. Split mixed geometries into "
                f"separate layers and read them again."
            )
        outside = _outside_box(r.gdf.geometry.values, GUIZHOU_BOUNDS)
        if outside.all():
            raise OutsideProvinceError(_outside_message(r, r.gdf.total_bounds, "lies"))
        if outside.any():
            rows = np.flatnonzero(outside)
            raise OutsideProvinceError(
                _outside_message(
                    r,
                    r.gdf.iloc[rows].total_bounds,
                    f"rows {_rows_text(rows)} lie",
                )
            )
