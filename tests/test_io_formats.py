"""Every other kind: GeoPackage, GeoJSON, KML/KMZ, DXF, 界址点 TXT, CSV/XLSX, refused kinds."""

from __future__ import annotations

import json
import math
import zipfile

import ezdxf
import geopandas as gpd
import openpyxl
import pyogrio
import pytest
from io_helpers import GUANLING, KAILI, gk, square
from shapely.geometry import Point, Polygon

from fossilgis.errors import (
    CRSError,
    EncodingError,
    InputFileError,
    InputNotFoundError,
    UnsupportedFormatError,
)
from fossilgis.io import SUPPORTED_SUFFIXES, read_footprints, read_vector

# --- GeoPackage, GeoJSON, KML -------------------------------------------------------------------


def _sites_4490():
    return gpd.GeoDataFrame(
        {"名称": ["关岭", "凯里"]},
        geometry=[Point(*GUANLING), Point(*KAILI)],
        crs=4490,
    )


def test_geopackage_layers(tmp_path):
    path = tmp_path / "plan.gpkg"
    pyogrio.write_dataframe(_sites_4490(), path, layer="sites")
    roads = gpd.GeoDataFrame({"n": [1]}, geometry=[square(4524, *KAILI)], crs=4524)
    pyogrio.write_dataframe(roads, path, layer="red_line", append=False)
    results = read_footprints(path)
    assert [r.layer for r in results] == ["sites", "red_line"]
    assert [r.crs_in for r in results] == ["EPSG:4490", "EPSG:4524"]
    assert all(r.crs_basis == "prj" for r in results)
    assert results[0].gdf["名称"].tolist() == ["关岭", "凯里"]
    (only,) = read_footprints(path, layer="red_line")
    assert only.layer == "red_line"
    with pytest.raises(InputNotFoundError, match=r"no layer 'roads'.*'sites', 'red_line'"):
        read_footprints(path, layer="roads")


def test_geojson_lonlat(tmp_path):
    path = tmp_path / "sites.geojson"
    pyogrio.write_dataframe(_sites_4490().to_crs(4326), path)
    (r,) = read_footprints(path)
    assert r.crs_in == "EPSG:4326" and r.crs_basis == "prj"
    assert r.gdf["名称"].tolist() == ["关岭", "凯里"]
    assert r.gdf.geometry.iloc[0].x == pytest.approx(105.4, abs=1e-6)


def test_geojson_in_gk_metres_without_crs_member(tmp_path):
    x, y = gk(4523, *GUANLING)
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"名称": "红线"},
                "geometry": {"type": "Point", "coordinates": [x, y]},
            }
        ],
    }
    path = tmp_path / "proj.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="gbk")
    with pytest.raises(CRSError, match=r"zone prefix 35.*--crs EPSG:4523"):
        read_vector(path)
    (r,) = read_footprints(path, crs="EPSG:4523")
    assert r.gdf["名称"].tolist() == ["红线"]
    assert (r.encoding, r.encoding_basis) == ("gb18030", "gb18030")


def test_bad_json(tmp_path):
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [')
    with pytest.raises(InputFileError, match=r"broken\.geojson is not valid JSON"):
        read_vector(path)


def test_kml_and_kmz(tmp_path):
    kml = tmp_path / "sites.kml"
    pyogrio.write_dataframe(_sites_4490().to_crs(4326), kml, driver="KML")
    (r,) = read_footprints(kml)
    assert len(r.gdf) == 2 and r.crs_in == "EPSG:4326"
    kmz = tmp_path / "sites.kmz"
    with zipfile.ZipFile(kmz, "w") as zf:
        zf.write(kml, "doc.kml")
    (z,) = read_footprints(kmz)
    assert z.source == "sites.kmz" and len(z.gdf) == 2


# --- DXF -----------------------------------------------------------------------------------


def _dxf(tmp_path, version="R2010", encoding=None):
    doc = ezdxf.new(version)
    if encoding:
        doc.encoding = encoding
    doc.layers.add("红线")
    return doc, doc.modelspace(), tmp_path / "red.dxf"


def test_dxf_closed_polyline_with_bulge_area(tmp_path):
    doc, msp, path = _dxf(tmp_path)
    x0, y0 = (round(v) for v in gk(4523, *GUANLING))
    # 300 x 200 m rectangle whose east edge is a semicircle bulging outwards (bulge 1).
    msp.add_lwpolyline(
        [(x0, y0, 0), (x0 + 300, y0, 1.0), (x0 + 300, y0 + 200, 0), (x0, y0 + 200, 0)],
        format="xyb",
        close=True,
        dxfattribs={"layer": "红线"},
    )
    # An open polyline (e.g. an access road) and a circle (a borehole pad).
    msp.add_lwpolyline([(x0 - 500, y0), (x0 - 100, y0 + 50)], dxfattribs={"layer": "道路"})
    msp.add_circle((x0 - 300, y0 - 300), 20, dxfattribs={"layer": "红线"})
    doc.saveas(path)
    with pytest.raises(CRSError, match=r"DXF drawings carry none.*--crs EPSG:4523"):
        read_footprints(path)
    (r,) = read_footprints(path, crs="EPSG:4523")
    assert r.encoding == "utf-8" and r.layer is None
    metric = r.gdf.to_crs(4523)
    kinds = sorted(zip(r.gdf["dxf_layer"], r.gdf["dxf_type"], r.gdf.geom_type))
    assert kinds == [
        ("红线", "CIRCLE", "Polygon"),
        ("红线", "LWPOLYLINE", "Polygon"),
        ("道路", "LWPOLYLINE", "LineString"),
    ]
    red = metric[(r.gdf["dxf_layer"] == "红线") & (r.gdf["dxf_type"] == "LWPOLYLINE")]
    expected = 300 * 200 + math.pi * 100**2 / 2
    assert red.area.iloc[0] == pytest.approx(expected, rel=5e-4)
    circle = metric[r.gdf["dxf_type"] == "CIRCLE"]
    assert circle.area.iloc[0] == pytest.approx(math.pi * 20**2, rel=5e-4)
    assert any("closed polyline" in n for n in r.notes)
    (only,) = read_footprints(path, crs="EPSG:4523", layer="红线")
    assert set(only.gdf["dxf_layer"]) == {"红线"}
    with pytest.raises(InputNotFoundError, match=r"no DXF layer '0'.*'红线', '道路'"):
        read_footprints(path, crs="EPSG:4523", layer="0")


def test_dxf_negative_bulge_and_repeated_vertex(tmp_path):
    doc, msp, path = _dxf(tmp_path)
    x0, y0 = (round(v) for v in gk(4523, *GUANLING))
    # Clockwise arc into the square (bulge -1 = semicircle cut out), first vertex repeated.
    pts = [
        (x0, y0, 0),
        (x0 + 200, y0, -1.0),
        (x0 + 200, y0 + 200, 0),
        (x0, y0 + 200, 0),
        (x0, y0, 0),
    ]
    msp.add_lwpolyline(pts, format="xyb", close=True)
    doc.saveas(path)
    (r,) = read_footprints(path, crs=4523)
    area = r.gdf.to_crs(4523).area.iloc[0]
    assert area == pytest.approx(200 * 200 - math.pi * 100**2 / 2, rel=5e-4)


def test_dxf_lines_joined_into_polygon_r2004_gbk(tmp_path):
    doc, msp, path = _dxf(tmp_path, "R2004", "gbk")
    x0, y0 = gk(4524, *KAILI)
    corners = [(x0, y0), (x0 + 100, y0), (x0 + 100, y0 + 100), (x0, y0 + 100)]
    for a, b in zip(corners, corners[1:] + corners[:1]):
        msp.add_line(a, b, dxfattribs={"layer": "红线"})
    msp.add_text("采石场", dxfattribs={"layer": "红线"})
    doc.saveas(path)
    assert b"ANSI_936" in path.read_bytes()
    (r,) = read_footprints(path, crs="EPSG:4524")
    assert (r.encoding, r.encoding_basis) == ("gbk", "dwgcodepage")
    assert r.gdf["dxf_layer"].tolist() == ["红线"]
    assert r.gdf.geom_type.tolist() == ["Polygon"]
    assert r.gdf.to_crs(4524).area.iloc[0] == pytest.approx(10_000, rel=1e-6)
    assert any("joined" in n for n in r.notes) and any("TEXT" in n for n in r.notes)


def test_broken_dxf(tmp_path):
    path = tmp_path / "broken.dxf"
    path.write_text("0\nSECTION\n2\nNONSENSE\n")
    with pytest.raises(InputFileError, match=r"broken\.dxf"):
        read_vector(path)


def test_dwg_and_unknown_kinds_are_refused(tmp_path):
    dwg = tmp_path / "plan.dwg"
    dwg.write_bytes(b"AC1032")
    with pytest.raises(UnsupportedFormatError, match=r"plan\.dwg.*另存为 DXF"):
        read_vector(dwg)
    other = tmp_path / "plan.pdf"
    other.write_bytes(b"%PDF")
    with pytest.raises(UnsupportedFormatError, match=r"unsupported file type '\.pdf'.*GeoPackage"):
        read_vector(other)
    dbf = tmp_path / "plan.dbf"
    dbf.write_bytes(b"")
    with pytest.raises(UnsupportedFormatError, match=r"one part of a shapefile"):
        read_vector(dbf)
    assert ".dwg" not in SUPPORTED_SUFFIXES and ".dxf" in SUPPORTED_SUFFIXES


# --- 界址点 TXT ---------------------------------------------------------------------------------


def _txt(parcels, *, header=None, prefix=True):
    lines = header or [
        "[属性描述]",
        "格式版本号=1.01版本",
        "坐标系=2000国家大地坐标系",
        "几度分带=3",
        "投影类型=高斯克吕格",
        "计量单位=米",
        "带号=36",
        "[地块坐标]",
    ]
    lines = list(lines)
    for head, rings in parcels:
        lines.append(head)
        for ring_no, ring in rings:
            closed = ring + ring[:1]
            for k, (e, n) in enumerate(closed, 1):
                y = e if prefix else e - 36_000_000
                lines.append(f"J{k},{ring_no},{n:.3f},{y:.3f}")
    return "\r\n".join(lines) + "\r\n"


def _rect(e, n, w, h):
    return [(e, n), (e + w, n), (e + w, n + h), (e, n + h)]


def test_boundary_txt_two_parcels_and_hole(tmp_path):
    e, n = gk(4524, *KAILI)
    parcels = [
        ("5,6.0000,D1,采石场一号,面,,采矿用地,0602,@", [(1, _rect(e, n, 300, 200))]),
        (
            "10,3.6400,D2,弃渣场,面,,采矿用地,0602,@",
            [(1, _rect(e, n + 500, 200, 200)), (2, _rect(e + 50, n + 550, 60, 60))],
        ),
    ]
    path = tmp_path / "jzd.txt"
    path.write_bytes(_txt(parcels).encode("gbk"))
    (r,) = read_footprints(path)
    assert (r.crs_in, r.crs_basis) == ("EPSG:4524", "prj")
    assert r.encoding == "gb18030"
    assert r.gdf["地块编号"].tolist() == ["D1", "D2"]
    assert r.gdf["地块名称"].tolist() == ["采石场一号", "弃渣场"]
    assert r.gdf["地块面积"].tolist() == [6.0, 3.64]
    areas = r.gdf.to_crs(4524).area.tolist()
    assert areas[0] == pytest.approx(60_000, rel=1e-6)
    assert areas[1] == pytest.approx(200 * 200 - 60 * 60, rel=1e-6)
    assert len(r.gdf.geometry.iloc[1].interiors) == 1


def test_boundary_txt_without_prefix_uses_header_zone(tmp_path):
    e, n = gk(4524, *KAILI)
    path = tmp_path / "jzd.txt"
    path.write_text(_txt([("5,6,D1,a,面,,,,@", [(1, _rect(e, n, 300, 200))])], prefix=False))
    (r,) = read_footprints(path)
    assert r.crs_in == "EPSG:4545"
    assert r.gdf.to_crs(4524).area.iloc[0] == pytest.approx(60_000, rel=1e-6)


def test_boundary_txt_xian80_is_refused(tmp_path):
    e, n = gk(4524, *KAILI)
    header = ["[属性描述]", "坐标系=1980西安坐标系", "几度分带=3", "带号=36", "[地块坐标]"]
    path = tmp_path / "old.txt"
    path.write_text(_txt([("5,6,D1,a,面,,,,@", [(1, _rect(e, n, 300, 200))])], header=header))
    with pytest.raises(CRSError, match=r"old\.txt: declares Xian 1980.*Bursa-Wolf"):
        read_vector(path)


def test_boundary_txt_zone_mismatch_and_bad_rows(tmp_path):
    e, n = gk(4524, *KAILI)
    header = ["[属性描述]", "坐标系=2000国家大地坐标系", "带号=35", "[地块坐标]"]
    path = tmp_path / "bad.txt"
    path.write_text(_txt([("5,6,D1,a,面,,,,@", [(1, _rect(e, n, 300, 200))])], header=header))
    with pytest.raises(CRSError, match=r"带号=35 but the Y values carry the zone prefix 36"):
        read_vector(path)
    path.write_text(
        "[属性描述]\n坐标系=2000国家大地坐标系\n[地块坐标]\n4,1,D1,a,面,,,,@\nJ1,1,abc,1\n"
    )
    with pytest.raises(InputFileError, match=r"line 5: X 'abc' is not a number"):
        read_vector(path)
    path.write_text("just some notes\n")
    with pytest.raises(InputFileError, match=r"no \[地块坐标\] section"):
        read_vector(path)


def test_txt_that_is_neither_utf8_nor_gb18030(tmp_path):
    path = tmp_path / "bin.txt"
    path.write_bytes(b"[\xff\xfe\xff\xfe]\n")
    with pytest.raises(EncodingError, match="neither valid UTF-8 nor GB18030"):
        read_vector(path)


# --- CSV / XLSX ------------------------------------------------------------------------------


def test_csv_parcels_with_northing_in_x_column(tmp_path):
    e, n = gk(4523, *GUANLING)
    rows = ["点号,地块编号,地块名称,X坐标(m),Y坐标(m)"]
    for k, (pe, pn) in enumerate(_rect(e, n, 100, 50), 1):
        rows.append(f"J{k},A,料场,{pn:.3f},{pe:.3f}")  # surveying order: X = north
    for k, (pe, pn) in enumerate(_rect(e + 1000, n, 40, 40), 1):
        rows.append(f"K{k},B,便道,{pn:.3f},{pe:.3f}")
    path = tmp_path / "pts.csv"
    path.write_bytes("\n".join(rows).encode("gbk"))
    with pytest.raises(CRSError, match=r"tables carry none.*EPSG:4523"):
        read_vector(path)
    (r,) = read_footprints(path, crs="EPSG:4523")
    assert r.gdf["地块编号"].tolist() == ["A", "B"]
    assert r.gdf["地块名称"].tolist() == ["料场", "便道"]
    assert r.gdf.to_crs(4523).area.round(3).tolist() == [5000.0, 1600.0]
    assert r.encoding == "gb18030"


def test_csv_lonlat_points(tmp_path):
    path = tmp_path / "holes.csv"
    path.write_text("id;经度;纬度\n1;105.40;25.90\n2;105°24′36″;25°54′\n", encoding="utf-8")
    (r,) = read_footprints(path)
    assert (r.crs_in, r.crs_basis) == ("EPSG:4490", "detected")
    assert r.gdf.geom_type.tolist() == ["Point", "Point"]
    assert r.gdf.geometry.iloc[1].x == pytest.approx(105.41)
    assert r.gdf.geometry.iloc[1].y == pytest.approx(25.9)
    assert any("points" in n for n in r.notes)


def test_csv_errors(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("name,value\na,1\n")
    with pytest.raises(InputFileError, match=r"no coordinate columns found.*name, value"):
        read_vector(path)
    path.write_text("x,y\n1,2\n,3\n")
    with pytest.raises(InputFileError, match=r"row 3 has an empty x"):
        read_vector(path)
    path.write_text("x,y\n12.5,3.25\n")
    with pytest.raises(CRSError, match="cannot tell easting from northing"):
        read_vector(path)


def test_xlsx_sheets_with_title_row(tmp_path):
    e, n = gk(4524, *KAILI)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "红线"
    ws.append(["凯里采石场界址点坐标表"])  # title row above the header, as offices do
    ws.append(["点号", "地块编号", "圈号", "X", "Y"])
    for k, (pe, pn) in enumerate(_rect(e, n, 300, 200), 1):
        ws.append([f"J{k}", "Q1", 1, pn, pe])
    for k, (pe, pn) in enumerate(_rect(e + 100, n + 50, 50, 50), 5):
        ws.append([f"J{k}", "Q1", 2, pn, pe])
    notes = wb.create_sheet("说明")
    notes.append(["本表坐标为 2000 国家大地坐标系"])
    path = tmp_path / "zb.xlsx"
    wb.save(path)
    (r,) = read_footprints(path, crs="EPSG:4524")
    assert r.layer == "红线"
    assert r.gdf.to_crs(4524).area.iloc[0] == pytest.approx(60_000 - 2_500, rel=1e-6)
    with pytest.raises(InputNotFoundError, match=r"no sheet 'x'.*'红线', '说明'"):
        read_vector(path, crs="EPSG:4524", layer="x")


def test_polygon_ring_with_too_few_points(tmp_path):
    e, n = gk(4524, *KAILI)
    path = tmp_path / "t.csv"
    path.write_text(f"地块编号,x,y\nA,{e},{n}\nA,{e + 10},{n}\n")
    with pytest.raises(InputFileError, match=r"parcel A, ring 1 has 2 distinct points"):
        read_vector(path, crs=4524)


def test_geometry_collection_is_not_a_footprint(tmp_path):
    from shapely.geometry import GeometryCollection

    gc = GeometryCollection([Point(*GUANLING), Polygon([(105, 26), (105.1, 26), (105, 26.1)])])
    gdf = gpd.GeoDataFrame({"id": [1]}, geometry=[gc], crs=4490)
    path = tmp_path / "gc.gpkg"
    pyogrio.write_dataframe(gdf, path)
    assert read_vector(path)[0].gdf.geom_type.tolist() == ["GeometryCollection"]
    with pytest.raises(InputFileError, match=r"GeometryCollection.*points, lines or polygons"):
        read_footprints(path)
