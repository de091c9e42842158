"""The engine's distances and areas agree with pyproj.Geod across the province."""

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from fossilgis.impact import ScreenOptions, assess_impact, ellipsoidal_area_m2, prepare_targets
from fossilgis.rules import load_rules

GEOD = pyproj.Geod(ellps="GRS80")

# target centres across Guizhou, including both sides of the zone edges at 106.5° and 109.5°
CENTRES = [
    (103.7, 25.0),
    (104.9, 26.2),
    (106.49, 26.6),
    (106.51, 27.4),
    (107.9, 28.9),
    (109.49, 27.8),
    (109.52, 26.3),
    (105.6, 24.7),
]


def _disc(lon, lat, radius_m, n=48):
    az = np.linspace(0, 360, n, endpoint=False)
    lons, lats, _ = GEOD.fwd(np.full(n, lon), np.full(n, lat), az, np.full(n, radius_m))
    return shapely.Polygon(zip(lons, lats))


def _layer(kind, geoms, level="general"):
    n = len(geoms)
    data = {
        "id": [f"T{kind[:2]}{i}" for i in range(n)],
        "name_zh": ["测试"] * n,
        "name_en": ["test"] * n,
        "protection_level": [level] * n,
        "boundary_status": ["approximate"] * n,
    }
    return gpd.GeoDataFrame(data, geometry=geoms, crs=4490)


def _densify_geodesic(geom, step_m=1.0):
    """Boundary vertices of ``geom`` every ``step_m`` metres along geodesics."""
    coords = np.asarray(shapely.get_coordinates(geom.boundary if geom.area else geom))
    out = []
    for (x0, y0), (x1, y1) in zip(coords[:-1], coords[1:]):
        _, _, d = GEOD.inv(x0, y0, x1, y1)
        n = max(int(d / step_m), 1)
        pts = GEOD.npts(x0, y0, x1, y1, n - 1) if n > 1 else []
        out.append((x0, y0))
        out.extend(pts)
    out.append(tuple(coords[-1]))
    return np.array(out)


def _geodesic_distance(point, geom):
    verts = _densify_geodesic(geom)
    _, _, d = GEOD.inv(
        np.full(len(verts), point.x), np.full(len(verts), point.y), verts[:, 0], verts[:, 1]
    )
    return d.min()


@pytest.fixture(scope="module")
def rules():
    return load_rules()


def test_distances_match_geod_across_province(rules):
    sites = _layer("sites", [_disc(lon, lat, 400) for lon, lat in CENTRES])
    targets = prepare_targets(sites, None, rules)
    rng = np.random.default_rng(7)
    points, truth = [], []
    for lon, lat in CENTRES:
        for _ in range(6):
            az, dist = rng.uniform(0, 360), rng.uniform(420, 1350)
            x, y, _ = GEOD.fwd(lon, lat, az, dist)
            points.append(shapely.Point(x, y))
    fps = gpd.GeoDataFrame(geometry=points, crs=4490)
    res = assess_impact(fps, targets, rules, ScreenOptions())
    assert len(res) > 20
    for row in res.itertuples():
        p = points[row.footprint_index]
        target = sites.geometry[int(row.target_id[3:])]
        truth = _geodesic_distance(p, target)
        assert abs(row.distance_m - truth) <= max(0.5, 0.001 * truth), (row, truth)


def test_pairs_within_attention_distance_all_found(rules):
    sites = _layer("sites", [_disc(lon, lat, 400) for lon, lat in CENTRES])
    targets = prepare_targets(sites, None, rules)
    # one point just inside and one just outside the attention distance of each site
    inside, outside = [], []
    for lon, lat in CENTRES:
        x, y, _ = GEOD.fwd(lon, lat, 90, 400 + rules.attention_distance_m - 5)
        inside.append(shapely.Point(x, y))
        x, y, _ = GEOD.fwd(lon, lat, 270, 400 + rules.attention_distance_m + 5)
        outside.append(shapely.Point(x, y))
    fps = gpd.GeoDataFrame(geometry=inside + outside, crs=4490)
    res = assess_impact(fps, targets, rules, ScreenOptions())
    assert sorted(res["footprint_index"]) == list(range(len(CENTRES)))
    assert set(res["zone"]) == {"attention"}


def test_overlap_areas_match_geod(rules):
    sites = _layer("sites", [_disc(lon, lat, 500) for lon, lat in CENTRES], "national_key")
    targets = prepare_targets(sites, None, rules)
    # a 600 m disc whose centre is 500 m east of each site's centre: a lens-shaped overlap
    fps_geoms = []
    for lon, lat in CENTRES:
        x, y, _ = GEOD.fwd(lon, lat, 90, 500)
        fps_geoms.append(_disc(x, y, 600, 96))
    fps = gpd.GeoDataFrame(geometry=fps_geoms, crs=4490)
    res = assess_impact(fps, targets, rules, ScreenOptions())
    core = res[res["zone"] == "core"]
    assert len(core) == len(CENTRES)
    assert set(core["grade"]) == {"avoid"}
    for row in core.itertuples():
        truth = abs(GEOD.geometry_area_perimeter(shapely.segmentize(row.geometry, 0.0005))[0])
        assert row.overlap_area_m2 == pytest.approx(truth, rel=1e-3)
        assert row.overlap_area_ha == pytest.approx(row.overlap_area_m2 / 10_000)
        assert row.overlap_area_mu == pytest.approx(row.overlap_area_m2 * 15 / 10_000)
    # footprint areas from the local ellipsoidal scale
    for g in fps_geoms:
        truth = abs(GEOD.geometry_area_perimeter(g)[0])
        assert ellipsoidal_area_m2(np.array([g]))[0] == pytest.approx(truth, rel=1e-5)


def test_line_width_buffers_in_metres(rules):
    lon, lat = CENTRES[3]
    sites = _layer("sites", [_disc(lon, lat, 500)], "provincial_key")
    targets = prepare_targets(sites, None, rules)
    # a road straight through the centre: the overlap is ~ width × chord (1000 m)
    x0, y0, _ = GEOD.fwd(lon, lat, 270, 3000)
    x1, y1, _ = GEOD.fwd(lon, lat, 90, 3000)
    road = gpd.GeoDataFrame(geometry=[shapely.LineString([(x0, y0), (x1, y1)])], crs=4490)
    res = assess_impact(road, targets, rules, ScreenOptions("linear", line_width_m=20))
    assert res["overlap_area_m2"].iloc[0] == pytest.approx(20 * 1000, rel=0.01)
    bare = assess_impact(road, targets, rules, ScreenOptions("linear"))
    assert bare["zone"].iloc[0] == "core" and np.isnan(bare["overlap_area_m2"].iloc[0])


def test_bearing_points_from_footprint_to_target(rules):
    lon, lat = CENTRES[1]
    sites = _layer("sites", [_disc(lon, lat, 300)])
    targets = prepare_targets(sites, None, rules)
    x, y, _ = GEOD.fwd(lon, lat, 180, 800)  # footprint due south of the site
    res = assess_impact(
        gpd.GeoDataFrame(geometry=[shapely.Point(x, y)], crs=4490), targets, rules, ScreenOptions()
    )
    assert res["bearing_deg"].iloc[0] == pytest.approx(0, abs=0.5) or res["bearing_deg"].iloc[
        0
    ] == pytest.approx(360, abs=0.5)


def test_ellipsoidal_area_of_holes_and_multipolygons():
    outer = _disc(106.0, 26.0, 1000, 96)
    holed = outer.difference(_disc(106.0, 26.0, 400, 96))
    multi = shapely.MultiPolygon([holed, _disc(108.8, 28.5, 700, 96)])
    geoms = np.array(
        [holed, multi, shapely.LineString([(106, 26), (106.1, 26.1)]), shapely.Polygon(), outer]
    )
    got = ellipsoidal_area_m2(geoms)
    for g, a in zip(geoms, got):
        truth = abs(GEOD.geometry_area_perimeter(g)[0]) if g.area else 0.0
        assert a == pytest.approx(truth, rel=1e-6, abs=1e-6)
