"""Degenerate parameters and geometries never give a silently wrong screen.

A width that collapses a buffer, a footprint that spans a hemisphere, the same footprint
twice or two footprints sharing ground: each is refused with a clear message or counted
right (areas checked against pyproj.Geod).
"""

import json

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from click.testing import CliRunner

from fossilgis.cli.main import cli
from fossilgis.errors import FossilGISError, InputFileError
from fossilgis.impact import (
    LINE_WIDTH_RANGE_M,
    POINT_RADIUS_RANGE_M,
    ScreenOptions,
    check_footprint_reach,
    project_area_m2,
)
from fossilgis.store import open_store

GEOD = pyproj.Geod(ellps="GRS80")


@pytest.fixture(scope="module")
def data(template_copy):
    """A GeoPackage data directory for the module: ``impact-check`` is given ``--data`` only."""
    return template_copy("impact-degenerate")


def run(data, *args):
    return CliRunner().invoke(cli, ["--data", str(data), "impact-check", *args])


def _geojson(path, geoms, props=None):
    gdf = gpd.GeoDataFrame(
        props or {"name": [f"f{i}" for i in range(len(geoms))]}, geometry=list(geoms), crs=4490
    )
    gdf.to_file(path, driver="GeoJSON")
    return str(path)


def _geod_area(geom) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0])


def _sites(data):
    return open_store(data).read_layer("sites")


@pytest.mark.parametrize("option", ["--line-width", "--point-radius"])
@pytest.mark.parametrize("value", ["1e-12", "1e-300", "0.01", "1e9", "1e308", "inf", "nan"])
def test_degenerate_widths_are_refused(data, tmp_path, option, value):
    site = _sites(data).geometry.iloc[0]
    c = site.centroid
    path = _geojson(
        tmp_path / "road.geojson", [shapely.LineString([(c.x - 0.05, c.y), (c.x + 0.05, c.y)])]
    )
    r = run(data, path, option, value)
    assert r.exit_code == 2, r.output
    assert "out of range" in r.output and option in r.output and "Traceback" not in r.output


@pytest.mark.parametrize("width", [LINE_WIDTH_RANGE_M[0], 26.0, LINE_WIDTH_RANGE_M[1]])
def test_road_through_a_site_is_found_at_every_accepted_width(data, tmp_path, width):
    sites = _sites(data)
    site = sites.geometry.iloc[0]
    c = site.representative_point()
    road = shapely.LineString([(c.x - 0.05, c.y), (c.x + 0.05, c.y)])
    path = _geojson(tmp_path / "road.geojson", [road])
    r = run(data, path, "--line-width", str(width), "--format", "json")
    assert r.exit_code == 0, r.output
    (p,) = json.loads(r.stdout)["projects"]
    assert sites["id"].iloc[0] in {i["target_id"] for i in p["impacts"] if i["zone"] == "core"}
    assert p["footprint_area_m2"] > 0


def test_width_bounds_are_one_rule():
    lo, hi = POINT_RADIUS_RANGE_M
    assert ScreenOptions(point_radius_m=lo).point_radius_m == lo
    with pytest.raises(FossilGISError, match="--point-radius .* out of range"):
        ScreenOptions(point_radius_m=hi * 1.01)


def test_hemisphere_box_is_refused_not_half_screened(data, tmp_path):
    path = _geojson(tmp_path / "hemi.geojson", [shapely.box(0, 0, 180, 89)])
    r = run(data, path)
    assert r.exit_code == 2
    assert "hemi.geojson" in r.output and "far beyond Guizhou" in r.output
    assert "(0.0000, 0.0000, 180.0000, 89.0000)" in r.output


def test_a_project_crossing_the_border_is_still_screened():
    # a road from Guizhou 0.5° into Yunnan is a real project
    road = shapely.LineString([(104.5, 25.5), (103.0, 25.5)])
    check_footprint_reach(np.array([road]), "road.geojson")
    with pytest.raises(InputFileError, match="rows 1 reach far beyond"):
        check_footprint_reach(np.array([road, shapely.box(100, 20, 101, 21)]), "x.geojson")


def test_the_same_footprint_twice_counts_its_ground_once(data, tmp_path):
    parcel = shapely.box(106.70, 26.50, 106.71, 26.51)
    one = run(data, _geojson(tmp_path / "one.geojson", [parcel]), "--format", "json")
    two = run(data, _geojson(tmp_path / "two.geojson", [parcel, parcel]), "--format", "json")
    a1 = json.loads(one.stdout)["projects"][0]["footprint_area_m2"]
    a2 = json.loads(two.stdout)["projects"][0]["footprint_area_m2"]
    assert a1 == pytest.approx(_geod_area(parcel), rel=1e-6)
    assert a2 == pytest.approx(a1, abs=0.1)


def test_overlapping_footprints_give_the_area_of_their_union():
    a = shapely.box(106.70, 26.50, 106.72, 26.52)
    b = shapely.box(106.71, 26.51, 106.73, 26.53)
    far = shapely.box(106.80, 26.50, 106.81, 26.51)
    touching = shapely.box(106.72, 26.50, 106.73, 26.51)  # shares only an edge with a
    geoms = np.array([a, b, far, touching], dtype=object)
    area, overlapping = project_area_m2(geoms, ScreenOptions())
    expected = _geod_area(shapely.union_all([a, b])) + _geod_area(far) + _geod_area(touching)
    # straight edges in lon/lat vs geodesics: well under 1e-6 relative at this size
    assert area == pytest.approx(expected, rel=1e-6)
    assert overlapping == 2


def test_a_line_drawn_twice_with_a_width_counts_once():
    line = shapely.LineString([(106.70, 26.50), (106.75, 26.52)])
    opts = ScreenOptions(line_width_m=20)
    single, _ = project_area_m2(np.array([line], dtype=object), opts)
    double, overlapping = project_area_m2(np.array([line, line], dtype=object), opts)
    assert overlapping == 2
    assert double == pytest.approx(single, rel=1e-3)
    # a 20 m corridor along the line: length × width within the GK scale error
    length = GEOD.geometry_length(line)
    assert single == pytest.approx(length * 20, rel=2e-3)


def test_one_shape_in_two_projects_is_screened_for_both(data, tmp_path):
    site = _sites(data)
    c = site.geometry.iloc[0].representative_point()
    parcel = shapely.box(c.x - 0.001, c.y - 0.001, c.x + 0.001, c.y + 0.001)
    path = _geojson(tmp_path / "two.geojson", [parcel, parcel], {"pid": ["A", "B"]})
    r = run(data, path, "--id-field", "pid", "--format", "json")
    assert r.exit_code == 0, r.output
    projects = json.loads(r.stdout)["projects"]
    assert [p["project_id"] for p in projects] == ["A", "B"]
    assert all(p["grade"] == projects[0]["grade"] != "none" for p in projects)


def test_an_exact_repeat_is_dropped_with_a_note(data, tmp_path):
    parcel = shapely.box(106.70, 26.50, 106.71, 26.51)
    path = _geojson(tmp_path / "rep.geojson", [parcel, parcel], {"pid": ["A", "A"]})
    (p,) = json.loads(run(data, path, "--format", "json").stdout)["projects"]
    assert p["footprint_count"] == 1
    assert any("duplicate features dropped: rows 1" in n for n in p["notes"])


def test_a_polygon_with_no_area_is_screened_as_its_line(data, tmp_path):
    site = _sites(data).geometry.iloc[0]
    c = site.representative_point()
    flat = shapely.Polygon([(c.x - 0.02, c.y), (c.x, c.y), (c.x + 0.02, c.y), (c.x - 0.02, c.y)])
    r = run(data, _geojson(tmp_path / "flat.geojson", [flat]), "--format", "json")
    assert r.exit_code == 0, r.output
    (p,) = json.loads(r.stdout)["projects"]
    assert p["geometry_types"] == ["LineString"] and p["footprint_area_m2"] == 0
    assert any("no area" in n for n in p["notes"])
    assert any(i["zone"] == "core" for i in p["impacts"])


def test_groups_of_overlaps_are_merged_group_by_group():
    # a chain of three, a pair, and a loner: the union of each group, summed
    chain = [shapely.box(106.70 + 0.01 * i, 26.50, 106.715 + 0.01 * i, 26.51) for i in range(3)]
    pair = [shapely.box(107.0, 27.0, 107.02, 27.02), shapely.box(107.01, 27.01, 107.03, 27.03)]
    loner = [shapely.box(108.0, 27.0, 108.01, 27.01)]
    geoms = np.array(chain + pair + loner, dtype=object)
    area, overlapping = project_area_m2(geoms, ScreenOptions())
    assert overlapping == 5
    assert area == pytest.approx(_geod_area(shapely.union_all(geoms)), rel=1e-6)


def test_a_thin_overlap_between_parcels_is_still_found():
    """The quick shrink test misses only bands thinner than SHRINK × the parcel's radius
    (1 mm for 1 km parcels); a 1 cm band between 1 km parcels is counted once."""
    band = 1e-7  # degrees of longitude: about 1 cm at 26.5° N
    a = shapely.box(106.70, 26.50, 106.71, 26.51)
    b = shapely.box(106.71 - band, 26.50, 106.72, 26.51)
    area, overlapping = project_area_m2(np.array([a, b], dtype=object), ScreenOptions())
    assert overlapping == 2
    assert area == pytest.approx(_geod_area(shapely.union_all([a, b])), abs=0.01)


def test_a_parcel_map_that_shares_edges_sums_its_parcels():
    xs, ys = np.meshgrid(np.arange(30) * 0.001 + 106.7, np.arange(30) * 0.001 + 26.5)
    grid = shapely.box(xs.ravel(), ys.ravel(), xs.ravel() + 0.001, ys.ravel() + 0.001)
    area, overlapping = project_area_m2(grid, ScreenOptions())
    assert overlapping == 0
    assert area == pytest.approx(sum(_geod_area(g) for g in grid), rel=1e-9)
