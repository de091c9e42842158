"""Which site or section a patrol was about: nearest target to its track, with the distance."""

from __future__ import annotations

import functools
from typing import NamedTuple

from fossilgis.geo import CRS_GEOGRAPHIC, gk_zone_for_lon, metric_crs_for_zone

#: a patrol farther than this from every target is not attributed to any (metres)
INFER_MAX_DISTANCE_M = 5_000.0


class InferredTarget(NamedTuple):
    """The nearest target: ``kind`` ("site" | "section"), ``id`` and edge distance in metres."""

    kind: str
    id: str
    distance_m: float


@functools.lru_cache(maxsize=32)
def _transformer(source: str, target: str):
    from pyproj import Transformer

    return Transformer.from_crs(source, target, always_xy=True)


def _to_metric(geoms, source, metric: str):
    """``geoms`` (an array) in ``metric``: the numbers geopandas' ``to_crs`` gives, without
    building a GeoSeries for a patrol or two (uploads call this every time)."""
    import numpy as np
    import shapely

    name = getattr(source, "srs", None) or str(source)  # a pyproj CRS hashes its WKT: slow
    transformer = _transformer(name, metric)

    def move(xy):
        return np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))

    return shapely.transform(np.asarray(geoms, dtype=object), move)


def distances_m(geometry, geoms, crs=CRS_GEOGRAPHIC):
    """Shortest distance in metres from ``geometry`` (lon/lat, EPSG:4490) to each of
    ``geoms`` (an array in ``crs``, geographic), in the Gauss-Krüger zone of the
    geometry's centroid; NaN for a missing one."""
    import shapely

    metric = metric_crs_for_zone(gk_zone_for_lon(geometry.centroid.x).zone)
    (here,) = _to_metric([geometry], CRS_GEOGRAPHIC, metric)
    return shapely.distance(_to_metric(geoms, crs, metric), here)


def target_distances(geometry, targets):
    """Shortest distance in metres from ``geometry`` to every target (a Series by row).

    Parameters
    ----------
    geometry : shapely geometry
        In lon/lat (CGCS2000, EPSG:4490).
    targets : geopandas.GeoDataFrame
        Sites and sections; any geographic CRS (assumed EPSG:4490 when unset).

    Notes
    -----
    Computed in the CGCS2000 3° Gauss-Krüger zone of the geometry's centroid (scale error
    below 0.03 %), never in degrees.
    """
    import pandas as pd

    crs = targets.crs if targets.crs is not None else CRS_GEOGRAPHIC
    return pd.Series(
        distances_m(geometry, targets.geometry.values, crs), index=targets.index, dtype=float
    )


def infer_target(
    geometry, targets, max_distance_m: float = INFER_MAX_DISTANCE_M
) -> InferredTarget | None:
    """The target nearest to a patrol's geometry, or None when none is within reach.

    Parameters
    ----------
    geometry : shapely geometry or None
        The patrol's track or waypoints, lon/lat.
    targets : geopandas.GeoDataFrame
        Columns ``kind`` ("site" | "section") and ``id``; see :func:`targets_frame`.
    max_distance_m : float
        Farther targets are not proposed.

    Returns
    -------
    InferredTarget or None
    """
    if geometry is None or geometry.is_empty or targets is None or len(targets) == 0:
        return None
    dist = target_distances(geometry, targets)
    best = dist.idxmin()
    if dist[best] > max_distance_m:
        return None
    row = targets.loc[best]
    return InferredTarget(str(row["kind"]), str(row["id"]), float(dist[best]))


def targets_frame(sites, sections):
    """One GeoDataFrame of sites and sections with a ``kind`` column ("site" | "section").

    Parameters
    ----------
    sites, sections : geopandas.GeoDataFrame
        The reference layers as the store returns them.
    """
    import geopandas as gpd
    import pandas as pd

    keep = ["id", "name_zh", "name_en", "geometry"]
    parts = []
    for kind, gdf in (("site", sites), ("section", sections)):
        part = gdf[[c for c in keep if c in gdf.columns]].copy()
        part.insert(0, "kind", kind)
        parts.append(part)
    return gpd.GeoDataFrame(
        pd.concat(parts, ignore_index=True), geometry="geometry", crs=sites.crs or CRS_GEOGRAPHIC
    )
