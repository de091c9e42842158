"""Zones and grades of the rule table, as the engine assigns them."""

import geopandas as gpd
import pyproj
import pytest
import shapely

from fossilgis.impact import ScreenOptions, assess_impact, prepare_targets, worst_grade
from fossilgis.rules import load_rules

GEOD = pyproj.Geod(ellps="GRS80")
SITE = (105.4, 25.9)
SECTION = (107.0, 27.0)


def _disc(lon, lat, r, n=64):
    import numpy as np

    az = np.linspace(0, 360, n, endpoint=False)
    x, y, _ = GEOD.fwd([lon] * n, [lat] * n, az, [r] * n)
    return shapely.Polygon(zip(x, y))


def _frame(geoms, level, prefix):
    n = len(geoms)
    return gpd.GeoDataFrame(
        {
            "id": [f"{prefix}{i}" for i in range(n)],
            "name_zh": ["甲"] * n,
            "name_en": ["A"] * n,
            "protection_level": [level] * n,
            "boundary_status": ["approximate"] * n,
        },
        geometry=geoms,
        crs=4490,
    )


def _point_at(origin, az, dist):
    x, y, _ = GEOD.fwd(*origin, az, dist)
    return shapely.Point(x, y)


@pytest.fixture(scope="module")
def rules():
    return load_rules()


@pytest.mark.parametrize(
    "level,offset,zone,grade",
    [
        ("national_key", 0, "core", "avoid"),
        ("provincial_key", 0, "core", "avoid"),
        ("general", 0, "core", "assess"),
        ("national_key", 400, "control", "assess"),
        ("general", 150, "control", "assess"),
        ("general", 600, "attention", "attention"),
        ("national_key", 900, "attention", "attention"),
    ],
)
def test_site_zones_and_grades(rules, level, offset, zone, grade):
    sites = _frame([_disc(*SITE, 500)], level, "S")
    targets = prepare_targets(sites, None, rules)
    fp = gpd.GeoDataFrame(
        geometry=[_point_at(SITE, 45, 500 + offset - (10 if offset == 0 else 0))], crs=4490
    )
    res = assess_impact(fp, targets, rules, ScreenOptions("building", point_radius_m=5))
    assert list(res["zone"]) == [zone]
    assert list(res["grade"]) == [grade]
    assert res["reason_zh"].iloc[0] and res["reason_en"].iloc[0]
    assert len(res["follow_up"].iloc[0]) >= 1


def test_nothing_beyond_attention_distance(rules):
    sites = _frame([_disc(*SITE, 500)], "national_key", "S")
    targets = prepare_targets(sites, None, rules)
    fp = gpd.GeoDataFrame(
        geometry=[_point_at(SITE, 10, 500 + rules.attention_distance_m + 20)], crs=4490
    )
    res = assess_impact(fp, targets, rules, ScreenOptions())
    assert res.empty
    assert worst_grade(res["grade"]) == "none"


def test_section_core_is_the_buffered_trace(rules):
    a = _point_at(SECTION, 0, 200)
    b = _point_at(SECTION, 180, 200)
    sections = _frame([shapely.LineString([a, b])], "general", "X")
    targets = prepare_targets(None, sections, rules)
    near = _point_at(SECTION, 90, rules.section_core_halfwidth_m - 10)
    ctrl = _point_at(SECTION, 90, rules.section_core_halfwidth_m + 60)
    fps = gpd.GeoDataFrame(geometry=[near, ctrl], crs=4490)
    res = assess_impact(fps, targets, rules, ScreenOptions("linear"))
    assert list(res.sort_values("footprint_index")["zone"]) == ["core", "control"]
    assert res.sort_values("footprint_index")["grade"].iloc[0] == "avoid"


def test_mining_in_control_zone_of_key_site_is_avoid(rules):
    sites = _frame([_disc(*SITE, 500)], "national_key", "S")
    targets = prepare_targets(sites, None, rules)
    fp = gpd.GeoDataFrame(geometry=[_disc(*_point_at(SITE, 90, 800).coords[0], 100)], crs=4490)
    res = assess_impact(fp, targets, rules, ScreenOptions("mining"))
    assert list(res["zone"]) == ["control"] and list(res["grade"]) == ["avoid"]


def test_no_ground_disturbance_in_attention_zone_is_none(rules):
    sites = _frame([_disc(*SITE, 500)], "general", "S")
    targets = prepare_targets(sites, None, rules)
    fp = gpd.GeoDataFrame(geometry=[_point_at(SITE, 0, 1200)], crs=4490)
    res = assess_impact(fp, targets, rules, ScreenOptions("linear", ground_disturbance=False))
    assert list(res["zone"]) == ["attention"] and list(res["grade"]) == ["none"]


def test_every_pair_once_with_innermost_zone(rules):
    sites = _frame(
        [_disc(*SITE, 500), _disc(*_point_at(SITE, 90, 1300).coords[0], 500)], "general", "S"
    )
    targets = prepare_targets(sites, None, rules)
    fp = gpd.GeoDataFrame(geometry=[_disc(*_point_at(SITE, 90, 700).coords[0], 250)], crs=4490)
    res = assess_impact(fp, targets, rules, ScreenOptions())
    assert sorted(res["target_id"]) == ["S0", "S1"]
    assert set(res["zone"]) == {"core"}
