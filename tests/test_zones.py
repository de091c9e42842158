"""Control and attention zones (fossilgis.zones), checked against geodesic distances."""

from __future__ import annotations

import geopandas as gpd
import pyproj
import pytest
import shapely

from fossilgis.rules import load_rules
from fossilgis.zones import target_zones


def test_zone_widths_match_the_rules_geodesically():
    rules = load_rules()
    lon, lat = 106.7, 26.6
    sites = gpd.GeoDataFrame(
        {"id": ["S"], "protection_level": ["national_key"]},
        geometry=[shapely.Point(lon, lat).buffer(0.002)],
        crs="EPSG:4490",
    )
    zones = target_zones(sites, None, rules)
    assert list(zones["zone"]) == ["control", "attention"]
    control = zones.geometry.iloc[0]
    attention = zones.geometry.iloc[1]
    geod = pyproj.Geod(ellps="GRS80")
    # the outer edge of the control ring, due east of the site's east edge
    east = sites.geometry.iloc[0].bounds[2]
    outer_x = max(x for x, y in control.exterior.coords if abs(y - lat) < 0.0005)
    _, _, d = geod.inv(east, lat, outer_x, lat)
    assert d == pytest.approx(rules.control_distance_for("site", "national_key"), rel=0.01)
    outer_x = max(x for x, y in attention.exterior.coords if abs(y - lat) < 0.0005)
    _, _, d = geod.inv(east, lat, outer_x, lat)
    assert d == pytest.approx(rules.attention_distance_m, rel=0.01)
    # the ring starts at the core edge (within the 2 m display simplification)
    assert not control.intersects(sites.geometry.iloc[0].buffer(-5e-5))


def test_sections_get_zones_around_their_core():
    rules = load_rules()
    sections = gpd.GeoDataFrame(
        {"id": ["L"], "protection_level": ["general"]},
        geometry=[shapely.LineString([(106.7, 26.6), (106.71, 26.6)])],
        crs="EPSG:4490",
    )
    zones = target_zones(None, sections, rules)
    assert set(zones["target_kind"]) == {"section"}
    assert not zones.geometry.iloc[0].contains(shapely.Point(106.705, 26.6))  # the core


def test_no_targets_gives_an_empty_frame():
    assert len(target_zones(None, None, load_rules())) == 0
