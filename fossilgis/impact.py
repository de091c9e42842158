"""Impact screening: pair project footprints with fossil sites and sections, grade each pair.

Pure functions over GeoDataFrames; no file or store access. The method:

1. Footprints (EPSG:4490) are first matched against the targets' boxes grown by the
   widest screening distance, in degrees; only those candidates are projected.
2. Candidates are projected to the CGCS2000 3° Gauss-Krüger zone of their centroid
   (zones 35–37). Lines and points are buffered there when a width is given.
3. An STRtree of the targets (per zone) yields every footprint × target pair within the
   attention distance (``dwithin``); distances, overlaps, zones and bearings are computed
   on the pair arrays at once — no Python loop over pairs.
4. Grades come from the rules' outcome table (zone × kind × level × project type ×
   ground disturbance), merged in one vectorised join.

Error bound: GK scale error is below 0.03 % in distance and 0.06 % in area within 1.5° of a
central meridian (all of Guizhou); a project's footprint area is the exact ellipsoidal area
of its lon/lat outline (an equal-area projection, see :func:`ellipsoidal_area_m2`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from fossilgis.errors import FossilGISError
from fossilgis.footprints import (  # noqa: F401  (re-exported: the engine's public names)
    FOOTPRINT_REACH_DEG,
    LINE_WIDTH_RANGE_M,
    POINT_RADIUS_RANGE_M,
    ScreenOptions,
    buffer_footprints,
    buffer_reach_m,
    check_footprint_reach,
    check_width,
    ellipsoidal_area_m2,
    footprint_metrics,
    footprints_beyond_reach,
    project_area_m2,
)
from fossilgis.geo import CRS_GEOGRAPHIC, M2_PER_HA, M2_PER_MU, gk_zone_numbers, metric_crs_for_zone
from fossilgis.rules import PROJECT_TYPES, worst_grade  # noqa: F401  (PROJECT_TYPES re-exported)
from fossilgis.schema import TARGET_KIND


@dataclass
class Targets:
    """Sites and sections prepared for screening (built once, reused for every project)."""

    frame: pd.DataFrame  # id, kind, names, level, control_m, core_area_m2 (per target)
    geoms_deg: np.ndarray  # site polygons / section traces, EPSG:4490
    attention_m: float
    max_reach_m: float
    section_core_m: float
    _zoned: dict = field(default_factory=dict)

    def in_zone(self, zone: int):
        """(trace-or-boundary geometries, core polygons, STRtree) projected to a GK zone."""
        if zone not in self._zoned:
            import geopandas as gpd

            crs = metric_crs_for_zone(zone)
            geoms = gpd.GeoSeries(self.geoms_deg, crs=CRS_GEOGRAPHIC).to_crs(crs).values
            geoms = np.asarray(geoms)
            is_section = (self.frame["target_kind"] == "section").to_numpy()
            core = geoms.copy()
            core[is_section] = shapely.buffer(geoms[is_section], self.section_core_m)
            self._zoned[zone] = (geoms, core, shapely.STRtree(geoms))
        return self._zoned[zone]


def prepare_targets(sites, sections, rules) -> Targets:
    """Combine the site and section layers (EPSG:4490) into one screening target set."""
    parts = []
    for kind, gdf in (("sites", sites), ("sections", sections)):
        if gdf is None or len(gdf) == 0:
            continue
        g = gdf.to_crs(CRS_GEOGRAPHIC) if gdf.crs and not gdf.crs.equals(CRS_GEOGRAPHIC) else gdf
        part = pd.DataFrame(
            {
                "target_kind": TARGET_KIND[kind],
                "target_id": g["id"].astype(str).to_numpy(),
                "target_name_zh": g["name_zh"].to_numpy(),
                "target_name_en": g["name_en"].to_numpy(),
                "protection_level": g["protection_level"].to_numpy(),
                "boundary_status": g["boundary_status"].to_numpy()
                if "boundary_status" in g
                else "approximate",
            }
        )
        part["geometry"] = g.geometry.to_numpy()
        parts.append(part)
    if not parts:
        raise FossilGISError(
            "there are no sites or sections to screen against; run `fossilgis layers build`"
        )
    frame = pd.concat(parts, ignore_index=True)
    frame["control_m"] = [
        rules.control_distance_for(k, lvl)
        for k, lvl in zip(frame["target_kind"], frame["protection_level"])
    ]
    geoms = np.asarray(frame.pop("geometry").to_numpy())
    attention = float(rules.attention_distance_m)
    core_m = float(rules.section_core_halfwidth_m)
    is_site = (frame["target_kind"] == "site").to_numpy()
    # the area of each target's core zone, for target_share
    core_area = np.zeros(len(frame))
    core_area[is_site] = ellipsoidal_area_m2(geoms[is_site])
    if (~is_site).any():
        import pyproj

        geod = pyproj.Geod(ellps="GRS80")
        lengths = np.array([geod.geometry_length(g) for g in geoms[~is_site]])
        core_area[~is_site] = lengths * 2 * core_m + math.pi * core_m**2
    frame["core_area_m2"] = core_area
    reach = max(attention, float(frame["control_m"].max()), core_m)
    return Targets(
        frame=frame,
        geoms_deg=geoms,
        attention_m=attention,
        max_reach_m=reach,
        section_core_m=core_m,
    )


def _candidates(footprints_deg: np.ndarray, targets: Targets, extra_m: float = 0.0) -> np.ndarray:
    """Indices of footprints whose box comes within reach of any target's box (degrees).

    ``extra_m`` widens the reach by the buffer that lines and points get later.
    """
    bounds = shapely.bounds(targets.geoms_deg)
    reach = targets.max_reach_m + extra_m
    # 1 m ≤ 1/110 540 ° of latitude and ≤ 1/(111 320·cos 29.5°) ° of longitude in Guizhou
    dlat = reach / 110_540 * 1.05
    dlon = reach / (111_320 * math.cos(math.radians(29.5))) * 1.05
    boxes = shapely.box(
        bounds[:, 0] - dlon, bounds[:, 1] - dlat, bounds[:, 2] + dlon, bounds[:, 3] + dlat
    )
    tree = shapely.STRtree(boxes)
    fp_idx, _ = tree.query(footprints_deg, predicate="intersects")
    return np.unique(fp_idx)


def _bearings(a_xy: np.ndarray, b_xy: np.ndarray, zone_crs: np.ndarray) -> np.ndarray:
    """Geodesic azimuths (0–360°, clockwise from north) from points a to b given in GK."""
    import pyproj

    out = np.zeros(len(a_xy))
    geod = pyproj.Geod(ellps="GRS80")
    for crs in np.unique(zone_crs):
        sel = zone_crs == crs
        tr = pyproj.Transformer.from_crs(crs, CRS_GEOGRAPHIC, always_xy=True)
        lon1, lat1 = tr.transform(a_xy[sel, 0], a_xy[sel, 1])
        lon2, lat2 = tr.transform(b_xy[sel, 0], b_xy[sel, 1])
        az, _, _ = geod.inv(lon1, lat1, lon2, lat2)
        out[sel] = np.mod(az, 360.0)
    return out


IMPACT_COLUMNS = [
    "footprint_index",
    "target_kind",
    "target_id",
    "target_name_zh",
    "target_name_en",
    "protection_level",
    "zone",
    "distance_m",
    "bearing_deg",
    "overlap_area_m2",
    "overlap_area_ha",
    "overlap_area_mu",
    "target_share",
    "grade",
    "reason_zh",
    "reason_en",
    "follow_up",
    "legal_basis",
]


def assess_impact(
    footprints, targets: Targets, rules, options: ScreenOptions | None = None, *, pairs=None
):
    """Every footprint × target pair within the attention distance, graded.

    Parameters
    ----------
    footprints : geopandas.GeoDataFrame
        Project footprints in EPSG:4490 (polygons, lines or points); the index is kept as
        ``footprint_index``.
    targets : Targets
        From :func:`prepare_targets`.
    rules : fossilgis.rules.Rules
        Zone widths and the outcome table.
    options : ScreenOptions
    pairs : callable, optional
        ``pairs(footprint_geoms_deg, distance_m) -> (positions, target_kinds, target_ids)``:
        a superset of the footprint × target pairs within ``distance_m`` found elsewhere
        (the PostGIS store's ``candidate_pairs`` runs ST_DWithin in the database). It
        replaces the in-memory candidate search; distances, overlaps and grades are still
        computed here, so the result is the same as without it.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per pair with :data:`IMPACT_COLUMNS`; geometry is the overlap with the
        target's core (EPSG:4490), empty when they do not overlap.
    """
    import geopandas as gpd

    options = options or ScreenOptions()
    fp_deg = np.asarray(footprints.geometry.values)
    found = None
    if pairs is not None and len(fp_deg):
        found = _found_pairs(pairs, fp_deg, targets, options)
        cand = np.unique(found[0])
    else:
        cand = (
            _candidates(fp_deg, targets, buffer_reach_m(options))
            if len(fp_deg)
            else np.array([], dtype=int)
        )
    chunks = []
    if len(cand):
        zones = gk_zone_numbers(shapely.get_x(shapely.centroid(fp_deg[cand])))
        for zone in np.unique(zones):
            idx = cand[zones == zone]
            given = None
            if found is not None:
                # the pairs of these footprints, as positions into idx and into the targets
                sel = np.isin(found[0], idx)
                given = (np.searchsorted(idx, found[0][sel]), found[1][sel])
            chunks.append(_pairs_in_zone(fp_deg[idx], idx, int(zone), targets, options, given))
    chunks = [c for c in chunks if len(c)]
    if not chunks:
        return gpd.GeoDataFrame({c: [] for c in IMPACT_COLUMNS}, geometry=[], crs=CRS_GEOGRAPHIC)
    pairs = _grade(pd.concat(chunks, ignore_index=True), rules, options)
    index_values = np.asarray(footprints.index)
    pairs["footprint_index"] = index_values[pairs.pop("footprint_pos").to_numpy(dtype=int)]
    geometry = pairs.pop("geometry")
    out = gpd.GeoDataFrame(pairs[IMPACT_COLUMNS], geometry=list(geometry), crs=CRS_GEOGRAPHIC)
    return out.sort_values(
        ["footprint_index", "distance_m", "target_id"], kind="stable", ignore_index=True
    )


def _found_pairs(pairs, fp_deg, targets: Targets, options) -> tuple[np.ndarray, np.ndarray]:
    """(footprint positions, target positions) from an external pair finder, sorted."""
    pos, kinds, ids = pairs(fp_deg, targets.attention_m + buffer_reach_m(options))
    found = pd.DataFrame(
        {
            "fp": np.asarray(pos, dtype=np.int64),
            "target_kind": np.asarray(kinds, dtype=object),
            "target_id": np.asarray(ids, dtype=object),
        }
    )
    frame = targets.frame[["target_kind", "target_id"]].reset_index(names="ti")
    merged = found.merge(frame, on=["target_kind", "target_id"], how="inner")
    merged = merged.drop_duplicates(["fp", "ti"]).sort_values(["fp", "ti"], kind="stable")
    return merged["fp"].to_numpy(dtype=np.int64), merged["ti"].to_numpy(dtype=np.int64)


def _pairs_in_zone(fp_deg, fp_pos, zone, targets: Targets, options, given=None) -> pd.DataFrame:
    import geopandas as gpd

    crs = metric_crs_for_zone(zone)
    fp = np.asarray(gpd.GeoSeries(fp_deg, crs=CRS_GEOGRAPHIC).to_crs(crs).values)
    fp = buffer_footprints(fp, options)
    geoms, core, tree = targets.in_zone(zone)
    if given is None:
        fi, ti = tree.query(fp, predicate="dwithin", distance=targets.attention_m)
    else:
        # pairs found elsewhere are a superset: keep exactly those the tree would give
        fi, ti = given
        if len(fi):
            near = shapely.dwithin(fp[fi], geoms[ti], targets.attention_m)
            fi, ti = fi[near], ti[near]
    if not len(fi):
        return pd.DataFrame()
    frame = targets.frame
    a, t = fp[fi], geoms[ti]
    dist = shapely.distance(a, t)
    is_section = frame["target_kind"].to_numpy()[ti] == "section"
    control = frame["control_m"].to_numpy()[ti]
    in_core = np.where(is_section, dist <= targets.section_core_m, dist == 0)
    zone_name = np.where(in_core, "core", np.where(dist <= control, "control", "attention"))
    keep = (dist <= targets.attention_m) | in_core
    fi, ti, a, t, dist, zone_name, in_core = (
        v[keep] for v in (fi, ti, a, t, dist, zone_name, in_core)
    )
    c = core[ti]
    # overlap of the footprint with the target's core zone
    overlap = np.empty(len(fi), dtype=object)
    overlap[:] = None
    overlap_area = np.full(len(fi), np.nan)
    polygonal = np.isin(shapely.get_type_id(a), (3, 6))
    if in_core.any():
        sel = in_core & polygonal
        if sel.any():
            inter = shapely.intersection(a[sel], c[sel])
            overlap[sel] = inter
            overlap_area[sel] = shapely.area(inter)
        lin = in_core & ~polygonal
        if lin.any():
            overlap[lin] = shapely.intersection(a[lin], c[lin])
    overlap_area[~in_core & polygonal] = 0.0
    # bearing from the footprint to the target: along the shortest line, or centroid to
    # centroid when they touch
    sl = shapely.shortest_line(a, t)
    p0 = shapely.get_coordinates(shapely.get_point(sl, 0))
    p1 = shapely.get_coordinates(shapely.get_point(sl, 1))
    touching = dist == 0
    if touching.any():
        p0[touching] = shapely.get_coordinates(shapely.centroid(a[touching]))
        p1[touching] = shapely.get_coordinates(shapely.centroid(t[touching]))
    bearing = _bearings(p0, p1, np.full(len(fi), metric_crs_for_zone(zone), dtype=object))
    same = np.all(np.isclose(p0, p1), axis=1)
    bearing[same] = np.nan
    share = overlap_area / frame["core_area_m2"].to_numpy()[ti]
    # back to lon/lat for the overlap geometries
    ov = np.array([g if g is not None else shapely.Polygon() for g in overlap], dtype=object)
    ov_deg = np.asarray(gpd.GeoSeries(ov, crs=crs).to_crs(CRS_GEOGRAPHIC).values)
    out = frame.iloc[ti][
        ["target_kind", "target_id", "target_name_zh", "target_name_en", "protection_level"]
    ].reset_index(drop=True)
    out.insert(0, "footprint_pos", fp_pos[fi])
    out["zone"] = zone_name
    out["distance_m"] = dist
    out["bearing_deg"] = bearing
    out["overlap_area_m2"] = overlap_area
    out["overlap_area_ha"] = overlap_area / M2_PER_HA
    out["overlap_area_mu"] = overlap_area / M2_PER_MU
    out["target_share"] = share
    out["geometry"] = ov_deg
    return out


def _grade(pairs: pd.DataFrame, rules, options: ScreenOptions) -> pd.DataFrame:
    table = rules.outcome_table()
    table = table[
        (table["project_type"] == options.project_type)
        & (table["ground_disturbance"] == bool(options.ground_disturbance))
    ]
    table = table.drop(columns=["project_type", "ground_disturbance"])
    return pairs.merge(
        table, on=["zone", "target_kind", "protection_level"], how="left", validate="many_to_one"
    )


__all__ = [
    "ScreenOptions",
    "Targets",
    "prepare_targets",
    "assess_impact",
    "footprint_metrics",
    "project_area_m2",
    "check_footprint_reach",
    "check_width",
    "ellipsoidal_area_m2",
    "worst_grade",
    "IMPACT_COLUMNS",
]
