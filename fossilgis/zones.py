"""Control and attention zones of sites and sections as polygons, buffered in metric GK zones."""

from __future__ import annotations

import numpy as np
import shapely

from fossilgis.geo import CRS_GEOGRAPHIC, gk_zone_numbers, metric_crs_for_zone
from fossilgis.schema import TARGET_KIND

ZONE_COLUMNS = ["target_kind", "target_id", "protection_level", "zone", "outer_m"]


def target_zones(sites, sections, rules, *, quad_segs: int = 8, simplify_m: float = 2.0):
    """The construction-control and attention rings around every site and section.

    Parameters
    ----------
    sites, sections : geopandas.GeoDataFrame or None
        Layers in EPSG:4490 with ``id`` and ``protection_level``.
    rules : fossilgis.rules.Rules
        ``control_distance_for(kind, level)``, ``attention_distance_m``,
        ``section_core_halfwidth_m``.
    quad_segs : int
        Segments per quarter circle of the buffers (display accuracy, not screening).
    simplify_m : float
        Tolerance in metres of the simplification of the rings (0: none).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per target and zone (``control``: core edge to the control width;
        ``attention``: control edge to the attention distance) with :data:`ZONE_COLUMNS`,
        geometry in EPSG:4490. Buffers are computed in the CGCS2000 3° Gauss-Krüger zone
        of each target's centroid, never in degrees.
    """
    import geopandas as gpd
    import pandas as pd

    frames = []
    for kind, gdf in (("sites", sites), ("sections", sections)):
        if gdf is None or len(gdf) == 0:
            continue
        frames.append(
            pd.DataFrame(
                {
                    "target_kind": TARGET_KIND[kind],
                    "target_id": gdf["id"].astype(str).to_numpy(),
                    "protection_level": gdf["protection_level"].to_numpy(),
                    "geometry": np.asarray(gdf.to_crs(CRS_GEOGRAPHIC).geometry.values),
                }
            )
        )
    if not frames:
        return gpd.GeoDataFrame({c: [] for c in ZONE_COLUMNS}, geometry=[], crs=CRS_GEOGRAPHIC)
    frame = pd.concat(frames, ignore_index=True)
    geoms = frame.pop("geometry").to_numpy()
    control = np.array(
        [
            rules.control_distance_for(k, lvl)
            for k, lvl in zip(frame["target_kind"], frame["protection_level"])
        ],
        dtype=float,
    )
    attention = float(rules.attention_distance_m)
    half = float(rules.section_core_halfwidth_m)
    is_section = (frame["target_kind"] == "section").to_numpy()

    control_ring = np.empty(len(frame), dtype=object)
    attention_ring = np.empty(len(frame), dtype=object)
    zones = gk_zone_numbers(shapely.get_x(shapely.centroid(geoms)))
    for zone in np.unique(zones):
        sel = zones == zone
        crs = metric_crs_for_zone(int(zone))
        metric = np.asarray(gpd.GeoSeries(geoms[sel], crs=CRS_GEOGRAPHIC).to_crs(crs).values)
        core = metric.copy()
        sec = is_section[sel]
        core[sec] = shapely.buffer(metric[sec], half, quad_segs=quad_segs)
        c_out = shapely.buffer(core, control[sel], quad_segs=quad_segs)
        a_out = shapely.buffer(core, np.maximum(attention, control[sel]), quad_segs=quad_segs)
        c_ring = shapely.difference(c_out, core)
        a_ring = shapely.difference(a_out, c_out)
        if simplify_m:
            c_ring = shapely.simplify(c_ring, simplify_m)
            a_ring = shapely.simplify(a_ring, simplify_m)
        back = gpd.GeoSeries(np.concatenate([c_ring, a_ring]), crs=crs).to_crs(CRS_GEOGRAPHIC)
        back = np.asarray(back.values)
        n = int(sel.sum())
        control_ring[sel] = back[:n]
        attention_ring[sel] = back[n:]

    out = pd.concat(
        [
            frame.assign(zone="control", outer_m=control, geometry=control_ring),
            frame.assign(
                zone="attention", outer_m=np.maximum(attention, control), geometry=attention_ring
            ),
        ],
        ignore_index=True,
    )
    return gpd.GeoDataFrame(out[ZONE_COLUMNS], geometry=list(out["geometry"]), crs=CRS_GEOGRAPHIC)
