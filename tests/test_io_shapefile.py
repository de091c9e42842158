"""Shapefiles: attribute encodings, CRS declaration and detection, geometry repair, empties."""

from __future__ import annotations

import geopandas as gpd
import pytest
from io_helpers import GUANLING, NAMES, gk, square, write_shp
from pyproj import CRS
from shapely.geometry import LineString, Point, Polygon

from fossilgis.errors import (
    CRSError,
    EncodingError,
    InputFileError,
    InputNotFoundError,
    OutsideProvinceError,
)
from fossilgis.io import ReadResult, read_footprints, read_vector

ESRI_GK35 = (
    'PROJCS["CGCS2000_3_Degree_GK_Zone_35",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",'
    'DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],'
    'PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],'
    'PARAMETER["False_Easting",35500000.0],PARAMETER["False_Northing",0.0],'
    'PARAMETER["Central_Meridian",105.0],PARAMETER["Scale_Factor",1.0],'
    'PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]'
)


# --- encodings -------------------------------------------------------------------------------


def test_gbk_without_cpg_decodes_as_gb18030(io_gbk_shp):
    (r,) = read_footprints(io_gbk_shp, crs="EPSG:4523")
    assert isinstance(r, ReadResult)
    assert list(r.gdf.columns) == ["名称", "路线编号", "路基宽度", "geometry"]
    assert r.gdf["名称"].tolist() == NAMES
    assert (r.encoding, r.encoding_basis) == ("gb18030", "gb18030")
    assert any("GB18030" in n for n in r.notes)


def test_cpg_is_used(tmp_path, io_road_gk35):
    shp = write_shp(tmp_path, "road", io_road_gk35, encoding="gbk")
    assert shp.with_suffix(".cpg").read_text().strip().upper() == "GBK"
    (r,) = read_vector(shp)
    assert r.gdf["名称"].tolist() == NAMES
    assert (r.encoding, r.encoding_basis) == ("gbk", "cpg")


def test_utf8_cpg(tmp_path, io_road_gk35):
    shp = write_shp(tmp_path, "road", io_road_gk35)  # GDAL default: UTF-8 with .cpg
    (r,) = read_vector(shp)
    assert r.gdf["名称"].tolist() == NAMES
    assert (r.encoding, r.encoding_basis) == ("utf-8", "cpg")
    # 路线编号 is 12 bytes in UTF-8: GDAL cut it inside a character; the rest is kept.
    assert list(r.gdf.columns) == ["名称", "路线编", "路基宽", "geometry"]
    assert any("10-byte" in n for n in r.notes)


def test_ldid_byte_without_cpg(tmp_path, io_road_gk35):
    shp = write_shp(tmp_path, "road", io_road_gk35, encoding="gbk", cpg=False, ldid=0x4D)
    (r,) = read_vector(shp)
    assert r.gdf["名称"].tolist() == NAMES
    assert (r.encoding, r.encoding_basis) == ("gbk", "ldid")


def test_wrong_cpg_is_refused_not_mojibake(tmp_path, io_road_gk35):
    shp = write_shp(tmp_path, "road", io_road_gk35, encoding="gbk")
    shp.with_suffix(".cpg").write_text("UTF-8")
    with pytest.raises(EncodingError, match=r"road\.shp.*not valid utf-8.*--encoding gb18030"):
        read_vector(shp)
    (r,) = read_vector(shp, encoding="gbk")
    assert r.gdf["名称"].tolist() == NAMES
    assert r.encoding_basis == "user"


def test_user_encoding_that_fails(io_gbk_shp):
    with pytest.raises(EncodingError, match="not valid utf-8"):
        read_vector(io_gbk_shp, crs="EPSG:4523", encoding="utf-8")
    with pytest.raises(EncodingError, match="not a text encoding"):
        read_vector(io_gbk_shp, crs="EPSG:4523", encoding="klingon")


# --- CRS -------------------------------------------------------------------------------------


def test_no_prj_proposes_zone_from_prefix(io_gbk_shp):
    with pytest.raises(CRSError, match=r"road\.shp .*no \.prj.*zone prefix 35.*--crs EPSG:4523"):
        read_footprints(io_gbk_shp)
    (r,) = read_footprints(io_gbk_shp, crs="EPSG:4523")
    assert (r.crs_in, r.crs_basis) == ("EPSG:4523", "user")
    assert r.gdf.crs == CRS.from_epsg(4490)
    minx, miny, maxx, maxy = r.gdf.total_bounds
    assert 105.37 < minx < maxx < 105.47 and 25.87 < miny < maxy < 25.98


@pytest.mark.parametrize("crs", ["4523", 4523, "EPSG:4523"])
def test_crs_forms(io_gbk_shp, crs):
    (r,) = read_vector(io_gbk_shp, crs=crs)
    assert r.crs_in == "EPSG:4523"


def test_bad_user_crs(io_gbk_shp):
    with pytest.raises(CRSError, match="not a coordinate reference system"):
        read_vector(io_gbk_shp, crs="EPSG:999999")


def test_wrong_zone_is_outside_guizhou(io_gbk_shp):
    with pytest.raises(OutsideProvinceError, match=r"outside Guizhou.*try --crs EPSG:4523"):
        read_vector(io_gbk_shp, crs="EPSG:4524")


def test_gk_without_prefix_lists_central_meridians(tmp_path, io_road_gk35):
    gdf = io_road_gk35.to_crs(4544)
    shp = write_shp(tmp_path, "noprefix", gdf, prj=False)
    with pytest.raises(
        CRSError,
        match=r"central meridian.*EPSG:4544 \(CM 105°E.*EPSG:4545 \(CM 108°E.*EPSG:4546",
    ):
        read_vector(shp)
    (r,) = read_footprints(shp, crs="EPSG:4544")
    assert r.gdf.total_bounds[0] == pytest.approx(105.38, abs=1e-6)


def test_swapped_xy_in_projected_file(tmp_path, io_road_gk35):
    swapped = io_road_gk35.geometry.map(lambda g: LineString([(y, x) for x, y in g.coords]))
    gdf = gpd.GeoDataFrame({"id": [1, 2]}, geometry=swapped, crs=io_road_gk35.crs)
    shp = write_shp(tmp_path, "swapped", gdf, prj=False)
    with pytest.raises(CRSError, match=r"X/Y look swapped"):
        read_vector(shp)


def test_lonlat_inside_guizhou_is_detected(tmp_path):
    gdf = gpd.GeoDataFrame({"id": [1]}, geometry=[Point(*GUANLING)], crs=4490)
    shp = write_shp(tmp_path, "pt", gdf, prj=False)
    (r,) = read_footprints(shp)
    assert (r.crs_in, r.crs_basis) == ("EPSG:4490", "detected")
    assert any("EPSG:4490" in n for n in r.notes)


def test_lonlat_swapped(tmp_path):
    gdf = gpd.GeoDataFrame({"id": [1]}, geometry=[Point(25.9, 105.4)], crs=4490)
    shp = write_shp(tmp_path, "pt", gdf, prj=False)
    with pytest.raises(CRSError, match="latitude/longitude look swapped"):
        read_vector(shp)
    # Declared geographic CRS, same trap.
    shp2 = write_shp(tmp_path, "pt2", gdf)
    with pytest.raises(CRSError, match="latitude/longitude look swapped"):
        read_vector(shp2)


def test_unrecognised_coordinates(tmp_path):
    gdf = gpd.GeoDataFrame({"id": [1]}, geometry=[Point(1234.5, 678.9)], crs=4523)
    shp = write_shp(tmp_path, "local", gdf, prj=False)
    with pytest.raises(CRSError, match=r"match no CRS used in Guizhou.*local \(独立/施工\)"):
        read_vector(shp)


def test_esri_gauss_kruger_prj_is_epsg_4523(io_gbk_shp):
    io_gbk_shp.with_suffix(".prj").write_text(ESRI_GK35)
    (r,) = read_footprints(io_gbk_shp)
    assert (r.crs_in, r.crs_basis) == ("EPSG:4523", "prj")


def test_esri_gk_prj_with_odd_names_matched_by_parameters(io_gbk_shp):
    odd = (
        ESRI_GK35.replace("CGCS2000_3_Degree_GK_Zone_35", "My_Survey_Grid")
        .replace("D_China_2000", "D_Unknown")
        .replace("GCS_China_Geodetic_Coordinate_System_2000", "GCS_Unknown")
    )
    io_gbk_shp.with_suffix(".prj").write_text(odd)
    (r,) = read_footprints(io_gbk_shp)
    assert r.crs_in == "EPSG:4523"


def test_xian_1980_prj_is_refused(tmp_path, io_road_gk35):
    # Same numbers, declared as Xian 1980 3° zone 35 (EPSG:2359): no usable transformation.
    gdf = io_road_gk35.set_crs(2359, allow_override=True)
    shp = write_shp(tmp_path, "xian", gdf)
    with pytest.raises(CRSError, match=r"Xian 1980.*7-parameter Bursa-Wolf.*4-parameter"):
        read_vector(shp)


def test_beijing_1954_as_user_crs_is_refused(io_gbk_shp):
    with pytest.raises(CRSError, match=r"Beijing 1954.*七参数"):
        read_vector(io_gbk_shp, crs="EPSG:2411")


def test_unparseable_prj(io_gbk_shp):
    io_gbk_shp.with_suffix(".prj").write_text("this is not WKT")
    with pytest.raises(CRSError, match=r"\.prj cannot be parsed"):
        read_vector(io_gbk_shp)


# --- geometry --------------------------------------------------------------------------------


def test_bow_tie_is_repaired_and_noted(tmp_path):
    x, y = gk(4523, *GUANLING)
    bow = Polygon([(x, y), (x + 100, y + 100), (x + 100, y), (x, y + 100), (x, y)])
    good = square(4523, 105.45, 25.95)
    gdf = gpd.GeoDataFrame({"id": [1, 2]}, geometry=[good, bow], crs=4523)
    shp = write_shp(tmp_path, "bow", gdf)
    (r,) = read_footprints(shp)
    assert r.repaired == [1]
    assert any("repaired" in n for n in r.notes)
    assert r.gdf.geometry.is_valid.all()
    assert r.gdf.geom_type.iloc[1] == "MultiPolygon"
    area = r.gdf.to_crs(4523).area.iloc[1]
    assert area == pytest.approx(5000.0, rel=1e-3)  # two triangles of 2500 m²


def test_null_geometry_rows_dropped_with_note(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"id": [1, 2, 3]},
        geometry=[square(4523, *GUANLING), None, square(4523, 105.45, 25.95)],
        crs=4523,
    )
    shp = write_shp(tmp_path, "holes", gdf)
    (r,) = read_footprints(shp)
    assert r.gdf["id"].tolist() == [1, 3]
    assert list(r.gdf.index) == [0, 1]
    assert any("rows without geometry: 1" in n for n in r.notes)


def test_empty_file_is_refused(tmp_path):
    gdf = gpd.GeoDataFrame({"id": []}, geometry=[], crs=4523)
    shp = write_shp(tmp_path, "empty", gdf)
    with pytest.raises(InputFileError, match=r"empty\.shp contains no features"):
        read_footprints(shp)


def test_missing_shx(io_gbk_shp):
    io_gbk_shp.with_suffix(".shx").unlink()
    with pytest.raises(InputFileError, match=r"no \.shx"):
        read_vector(io_gbk_shp)


def test_missing_file_and_bad_layer(tmp_path, io_gbk_shp):
    with pytest.raises(InputNotFoundError, match="no such file"):
        read_vector(tmp_path / "nope.shp")
    with pytest.raises(InputNotFoundError, match=r"no layer 'x'.*'road'"):
        read_vector(io_gbk_shp, crs=4523, layer="x")


def test_feature_partly_outside_is_refused(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"id": [1, 2]}, geometry=[Point(105.4, 25.9), Point(116.4, 39.9)], crs=4490
    )
    shp = write_shp(tmp_path, "mixed", gdf)
    with pytest.raises(OutsideProvinceError, match=r"rows 1 lie outside Guizhou"):
        read_footprints(shp)
    # read_vector (registry import) does not apply the footprint check.
    assert len(read_vector(shp)[0].gdf) == 2


def test_degrees_prj_on_metre_values_is_refused(tmp_path, io_road_gk35):
    gdf = io_road_gk35.set_crs(4326, allow_override=True)  # a wrong .prj, common after copying
    shp = write_shp(tmp_path, "wrongprj", gdf)
    with pytest.raises(CRSError, match=r"says EPSG:4326 \(degrees\).*--crs EPSG:4523"):
        read_vector(shp)
    (r,) = read_footprints(shp, crs="EPSG:4523")
    assert r.crs_basis == "user"
    assert any("read as EPSG:4523" in n for n in r.notes)
