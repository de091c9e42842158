"""Helpers of the case tests: footprints at a known distance from a site, screened."""

from __future__ import annotations

import geopandas as gpd
import shapely
from pyproj import Geod

GEOD = Geod(ellps="GRS80")


def east_of(geom, metres: float, size_m: float = 20.0):
    """A ``size_m`` square whose west edge lies ``metres`` due east of ``geom``'s easternmost
    vertex (lon/lat; the distance to ``geom`` is ``metres`` to within a metre here)."""
    coords = shapely.get_coordinates(geom)
    lon, lat = coords[coords[:, 0].argmax()]
    x0, y0, _ = GEOD.fwd(lon, lat, 90, metres)
    x1, _, _ = GEOD.fwd(x0, y0, 90, size_m)
    _, y1, _ = GEOD.fwd(x0, y0, 0, size_m)
    return shapely.box(x0, y0, x1, y1)


def moved_east(geom, metres: float):
    """``geom`` shifted ``metres`` east (at its centroid's latitude)."""
    c = geom.centroid
    x1, _, _ = GEOD.fwd(c.x, c.y, 90, metres)
    return shapely.affinity.translate(geom, xoff=x1 - c.x)


def screen_geoms(store, geoms, *, project_type: str = "building", source: str = "red_line"):
    """Screen lon/lat geometries as one project read from a file named ``source``."""
    from fossilgis.footprints import ScreenOptions
    from fossilgis.io._pipeline import ReadResult
    from fossilgis.screening import screen_results

    gdf = gpd.GeoDataFrame(
        {"name": [f"p{i}" for i in range(len(geoms))]}, geometry=list(geoms), crs="EPSG:4490"
    )
    res = ReadResult(
        gdf=gdf, source=f"{source}.geojson", crs_in="EPSG:4490", crs_basis="prj", encoding="utf-8"
    )
    return screen_results([res], store, options=ScreenOptions(project_type=project_type))


def site(store, site_id: str):
    sites = store.read_layer("sites")
    return sites[sites["id"] == site_id].geometry.iloc[0]


def details(name: str = "测试项目", **kw):
    from fossilgis.cases.model import CaseDetails

    kw.setdefault("applicant_unit", "测试建设单位")
    return CaseDetails(name, **kw)
