"""Writing screening results as GIS files (GeoJSON, GeoPackage), atomically."""

from __future__ import annotations

import json
from pathlib import Path

from fossilgis.errors import FossilGISError


def _impact_frame(screening):
    import geopandas as gpd
    import shapely

    imp = screening.impacts.copy()
    for col in ("follow_up", "legal_basis"):
        imp[col] = imp[col].map(lambda v: json.dumps(list(v), ensure_ascii=False))
    geoms = imp.geometry.values
    empty = shapely.is_empty(geoms) | shapely.is_missing(geoms)
    imp = gpd.GeoDataFrame(
        imp.drop(columns="geometry"),
        geometry=[None if e else g for g, e in zip(geoms, empty)],
        crs="EPSG:4490",
    )
    grade_of = {p["project_id"]: p["grade"] for p in screening.projects}
    imp.insert(1, "project_grade", imp["project_id"].map(grade_of))
    imp["footprint_index"] = imp["footprint_index"].astype(str)
    imp["rules_version"] = screening.rules.version
    return imp


def write_screening(screening, path, fmt: str, *, protected=None) -> Path:
    """Write the overlaps (and, for GeoPackage, the footprints) of a screening.

    GeoJSON holds one feature per footprint × target pair, its geometry the overlap with
    the target's core (null when they do not overlap). GeoPackage holds the same as layer
    ``impacts`` plus layer ``footprints``. The file is written whole or not at all
    (:func:`fossilgis.io.atomic.atomic_output`); ``protected`` (usually
    ``store.protected_paths()``) are paths it must not be.
    """
    from fossilgis.io.atomic import atomic_output, write_frame

    path = Path(path)
    if fmt not in ("geojson", "gpkg"):
        raise FossilGISError(f"cannot write format {fmt!r} as a GIS file")
    imp = _impact_frame(screening)
    with atomic_output(path, protected) as tmp:
        if fmt == "geojson":
            write_frame(
                imp, tmp, driver="GeoJSON", layer="impacts", layer_options={"RFC7946": "YES"}
            )
        else:
            write_frame(imp, tmp, driver="GPKG", layer="impacts", geometry_type="Unknown")
            fps = screening.footprints.copy()
            fps["footprint_index"] = fps["footprint_index"].astype(str)
            grade_of = {p["project_id"]: p["grade"] for p in screening.projects}
            fps["project_grade"] = fps["project_id"].map(grade_of)
            write_frame(
                fps, tmp, driver="GPKG", layer="footprints", geometry_type="Unknown", append=False
            )
    return path
