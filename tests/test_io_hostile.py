"""Hostile users' files: damaged shapefiles, bombs, absurd numbers, odd zips, cut TXT files.

Each defect found by an adversarial review has a test on a real file (written by GDAL,
ezdxf or openpyxl, or made byte by byte). A property-based part (hypothesis) then generates
hostile variants for every reader kind and checks that ``read_footprints`` either returns
or raises a ``FossilGISError``, never anything else. The "bomb" files also run through the
real command in a subprocess under a 2 GB address-space limit and a 60 s timeout.
"""

from __future__ import annotations

import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

import ezdxf
import geopandas as gpd
import openpyxl
import pyogrio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from io_helpers import GUANLING, gk, shp_members, square, write_shp, zip_files
from pyproj import CRS

from fossilgis.errors import (
    CRSError,
    EncodingError,
    FossilGISError,
    InputFileError,
    InputTooLargeError,
)
from fossilgis.io import WEB_LIMITS, ReadLimits, read_footprints, use_limits
from fossilgis.io.limits import DEFAULT_LIMITS, parse_limit_options
from fossilgis.io.read import _LIBRARY_ERRORS, _UNFORESEEN_ERRORS

#: hostile cases generated in this run, per reader kind (reported by the last test)
GENERATED: Counter[str] = Counter()

X0, Y0 = gk(4523, *GUANLING)  # a point near Guanling in EPSG:4523 (zone prefix 35)


# --- builders -----------------------------------------------------------------------------------


def _squares(n: int = 3) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"名称": [f"地块{i}" for i in range(n)], "n": list(range(n))},
        geometry=[square(4523, GUANLING[0] + 0.01 * i, GUANLING[1]) for i in range(n)],
        crs="EPSG:4523",
    )


def _shapefile(folder: Path, name: str = "road", n: int = 3) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_shp(folder, name, _squares(n))


def _txt(parcels: list[tuple[int, float, str, list[tuple[float, float]]]]) -> str:
    head = (
        "[属性描述]\n坐标系=2000国家大地坐标系\n几度分带=3\n投影类型=高斯克吕格\n计量单位=米\n"
        "带号=35\n精度=0.001\n[地块坐标]\n"
    )
    body = []
    for count, area, pid, pts in parcels:
        body.append(f"{count},{area},{pid},测试地块,面,,工业用地,0601,@")
        for k, (x, y) in enumerate(pts):
            body.append(f"J{k + 1},1,{y:.3f},{x:.3f}")  # X is the northing
    return head + "\n".join(body) + "\n"


def _ring(half: float = 250.0, dx: float = 0.0) -> list[tuple[float, float]]:
    x, y = X0 + dx, Y0
    pts = [(x - half, y - half), (x + half, y - half), (x + half, y + half), (x - half, y + half)]
    return pts + [pts[0]]


def _xlsx(path: Path, rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "坐标"
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def _rewrite_member(path: Path, member: str, edit) -> None:
    """Rewrite one member of a zip-based file (xlsx) through ``edit(bytes) -> bytes``."""
    with zipfile.ZipFile(path) as zf:
        items = [(i, zf.read(i.filename)) for i in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in items:
            if info.filename == member:
                data = edit(data)
            zf.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)


def _table_rows() -> list[list]:
    return [["点号", "X", "Y"], ["J1", X0, Y0], ["J2", X0 + 100, Y0 + 100]]


def xlsx_dimension_bomb(path: Path) -> Path:
    """1.5 KB whose sheet declares A1:XFD1048576 (openpyxl would pad every row to it)."""
    _xlsx(path, _table_rows())
    _rewrite_member(
        path,
        "xl/worksheets/sheet1.xml",
        lambda d: d.replace(b'<dimension ref="A1:C3"/>', b'<dimension ref="A1:XFD1048576"/>'),
    )
    return path


def xlsx_comment_bomb(path: Path, mb: int = 300) -> Path:
    """A small workbook with a comments part that inflates to ``mb`` MB."""
    _xlsx(path, _table_rows())
    blob = b'<comments><commentList><comment ref="A1"><text><t>' + b"A" * (mb << 20)
    blob += b"</t></text></comment></commentList></comments>"
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/comments1.xml", blob, compresslevel=9)
    return path


def dxf_block_bomb(path: Path, fanout: int = 10, levels: int = 7) -> Path:
    """Nested block INSERTs: fanout**levels polylines from a few kilobytes."""
    doc = ezdxf.new("R2010")
    blk = doc.blocks.new("B0")
    blk.add_lwpolyline([(0, 0), (10, 0), (10, 10), (0, 10)], close=True)
    for level in range(1, levels + 1):
        blk = doc.blocks.new(f"B{level}")
        for k in range(fanout):
            blk.add_blockref(f"B{level - 1}", (k * 20.0 * level, 0))
    doc.modelspace().add_blockref(f"B{levels}", (X0, Y0))
    doc.saveas(path)
    return path


def geojson_deep(path: Path, depth: int = 200_000) -> Path:
    path.write_text('{"type": "FeatureCollection", "features": ' + "[" * depth + "]" * depth + "}")
    return path


def _dxf_polyline(path: Path, pts, *, bulges=None, close=True, twice=False) -> Path:
    doc = ezdxf.new("R2010")
    msp = doc.modelspace()
    bulges = bulges or [0.0] * len(pts)
    for _ in range(2 if twice else 1):
        msp.add_lwpolyline([(x, y, b) for (x, y), b in zip(pts, bulges)], format="xyb", close=close)
    doc.saveas(path)
    return path


# --- 1. shapefile parts that disagree, truncated, garbage ---------------------------------------


def test_dbf_with_fewer_records_is_refused_with_three_counts(tmp_path):
    shp = _shapefile(tmp_path)
    dbf = shp.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    data[4] = 2  # header record count 3 -> 2
    dbf.write_bytes(bytes(data))
    with pytest.raises(InputFileError, match=r"\.shp 3, \.shx 3, \.dbf 2.*export"):
        read_footprints(shp)


def test_shx_with_fewer_records_is_refused(tmp_path):
    shp = _shapefile(tmp_path)
    shx = shp.with_suffix(".shx")
    shx.write_bytes(shx.read_bytes()[:-8])
    with pytest.raises(InputFileError, match=r"\.shp 3, \.shx 2, \.dbf 3"):
        read_footprints(shp)


def test_truncated_shp_says_truncated(tmp_path):
    shp = _shapefile(tmp_path)
    shp.write_bytes(shp.read_bytes()[:-30])
    with pytest.raises(InputFileError, match=r"road\.shp is truncated.*copy the shapefile again"):
        read_footprints(shp)


def test_truncated_shp_and_shx_alike_says_truncated(tmp_path):
    # cut inside the last record, header length fixed up: only walking the records tells
    shp = _shapefile(tmp_path)
    data = bytearray(shp.read_bytes()[:-30])
    data[24:28] = (len(data) // 2).to_bytes(4, "big")
    shp.write_bytes(bytes(data))
    with pytest.raises(InputFileError, match=r"truncated.*record 3"):
        read_footprints(shp)


def test_garbage_dbf_is_an_error(tmp_path):
    shp = _shapefile(tmp_path)
    shp.with_suffix(".dbf").write_bytes(b"this is not a dBASE table" * 4)
    with pytest.raises(InputFileError, match=r"\.dbf attribute table is damaged.*remove the \.dbf"):
        read_footprints(shp)


# --- 2. 界址点 TXT cut inside a parcel ------------------------------------------------------------


def test_txt_cut_inside_a_parcel(tmp_path):
    path = tmp_path / "parcels.txt"
    text = _txt([(5, 25.0, "QY-01", _ring())])
    path.write_text("\n".join(text.splitlines()[:-2]) + "\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"parcel QY-01 .*界址点数=5 points but only 3"):
        read_footprints(path)


def test_txt_area_disagrees_with_declared(tmp_path):
    path = tmp_path / "parcels.txt"
    path.write_text(_txt([(5, 99.0, "QY-02", _ring())]), encoding="utf-8")
    with pytest.raises(InputFileError, match=r"QY-02.*地块面积=99.*25\.0000 ha"):
        read_footprints(path)


def test_txt_declared_area_in_square_metres_or_mu_is_accepted(tmp_path):
    path = tmp_path / "parcels.txt"
    path.write_text(
        _txt([(5, 250000.0, "A", _ring()), (5, 375.0, "B", _ring(dx=2000))]), encoding="utf-8"
    )
    (r,) = read_footprints(path)
    assert len(r.gdf) == 2


# --- 3. zip members with the same name ----------------------------------------------------------


def test_zip_same_names_in_two_folders_are_two_layers(tmp_path):
    a = _shapefile(tmp_path / "a", n=2)
    b = _shapefile(tmp_path / "b", n=3)
    path = zip_files(tmp_path / "plans.zip", {**shp_members(a, "a/"), **shp_members(b, "b/")})
    results = read_footprints(path)
    assert sorted((r.layer, len(r.gdf)) for r in results) == [("a/road", 2), ("b/road", 3)]


def test_zip_with_a_repeated_member_name_reads_each_copy_once(tmp_path):
    a = _shapefile(tmp_path / "a", n=2)
    b = _shapefile(tmp_path / "b", n=3)
    path = tmp_path / "dup.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for members in (shp_members(a), shp_members(b)):
            for name, data in members.items():
                with (
                    pytest.warns(UserWarning, match="Duplicate name")
                    if name in (zf.namelist())
                    else _nothing()
                ):
                    zf.writestr(name, data)
    results = read_footprints(path)
    assert sorted((r.layer, len(r.gdf)) for r in results) == [("road", 2), ("road (2)", 3)]
    (second,) = [r for r in results if r.layer == "road (2)"]
    assert any("more than once" in n for n in second.notes)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# --- 4. unknown EPSG code or unparseable .prj ---------------------------------------------------


@pytest.mark.parametrize(
    ("prj", "expected"),
    [
        ("unknown", r"names EPSG:999999, which is not in the EPSG registry"),
        ("garbage", r"\.prj cannot be parsed"),
    ],
)
def test_bad_prj_is_a_crs_error_that_proposes_crs(tmp_path, prj, expected):
    shp = _shapefile(tmp_path)
    wkt = CRS.from_epsg(4523).to_wkt("WKT1_GDAL")
    text = (
        wkt.replace('AUTHORITY["EPSG","4523"]', 'AUTHORITY["EPSG","999999"]')
        if prj == "unknown"
        else 'PROJCS["broken", NONSENSE'
    )
    shp.with_suffix(".prj").write_text(text)
    with pytest.raises(CRSError, match=expected + r".*--crs EPSG:4523"):
        read_footprints(shp)
    (r,) = read_footprints(shp, crs="EPSG:4523")
    assert r.crs_basis == "user" and any(".prj" in n for n in r.notes)


# --- 5. limits ------------------------------------------------------------------------------------


def test_xlsx_dimension_bomb_is_refused_quickly(tmp_path):
    path = xlsx_dimension_bomb(tmp_path / "bomb.xlsx")
    assert path.stat().st_size < 8000
    with pytest.raises(InputTooLargeError, match=r"xlsx_cells=.*--limit xlsx_cells=") as info:
        read_footprints(path, crs="EPSG:4523")
    assert info.value.limit == "xlsx_cells" and info.value.code == "too_large"


def test_xlsx_comment_bomb_is_refused_before_opening(tmp_path):
    path = xlsx_comment_bomb(tmp_path / "comment.xlsx", mb=210)
    assert path.stat().st_size < 1 << 20
    with pytest.raises(InputTooLargeError, match=r"decompressed_bytes"):
        read_footprints(path, crs="EPSG:4523")


def test_xlsx_comment_under_the_limit_is_skipped(tmp_path):
    path = xlsx_comment_bomb(tmp_path / "comment.xlsx", mb=5)
    (r,) = read_footprints(path, crs="EPSG:4523")
    assert len(r.gdf) == 2


def test_xlsx_long_text_cell(tmp_path):
    path = _xlsx(tmp_path / "t.xlsx", [*_table_rows(), ["J3", X0, Y0 + 5, "x" * 100]])
    with (
        use_limits(ReadLimits(text_bytes=50)),
        pytest.raises(InputTooLargeError, match=r"text_bytes=50"),
    ):
        read_footprints(path, crs="EPSG:4523")


def test_dxf_nested_block_bomb_is_counted_before_exploding(tmp_path):
    path = dxf_block_bomb(tmp_path / "bomb.dxf")
    assert path.stat().st_size < 60_000
    with pytest.raises(InputTooLargeError, match=r"at least .*limit dxf_entities=1,000,000"):
        read_footprints(path, crs="EPSG:4523")


def test_dxf_minsert_rows_columns_count(tmp_path):
    doc = ezdxf.new("R2010")
    blk = doc.blocks.new("P")
    blk.add_lwpolyline([(0, 0), (1, 0), (1, 1)], close=True)
    ins = doc.modelspace().add_blockref("P", (X0, Y0))
    ins.dxf.row_count, ins.dxf.column_count = 2000, 2000
    ins.dxf.row_spacing, ins.dxf.column_spacing = 2.0, 2.0
    doc.saveas(tmp_path / "m.dxf")
    with pytest.raises(InputTooLargeError, match=r"over the limit dxf_entities"):
        read_footprints(tmp_path / "m.dxf", crs="EPSG:4523")


def test_dxf_block_depth_and_self_reference(tmp_path):
    path = dxf_block_bomb(tmp_path / "deep.dxf", fanout=1, levels=20)
    with pytest.raises(InputTooLargeError, match=r"block_depth=16"):
        read_footprints(path, crs="EPSG:4523")
    (r,) = read_footprints(path, crs="EPSG:4523", limits=ReadLimits(block_depth=30))
    assert len(r.gdf) == 1
    doc = ezdxf.new("R2010")
    doc.blocks.new("SELF").add_blockref("SELF", (0, 0))
    doc.modelspace().add_blockref("SELF", (X0, Y0))
    doc.saveas(tmp_path / "self.dxf")
    with pytest.raises(InputFileError, match=r"block 'SELF' inserts itself"):
        read_footprints(tmp_path / "self.dxf", crs="EPSG:4523")


def test_dxf_arc_densification_is_bounded_by_vertices(tmp_path):
    pts = [(X0 + 1000 * k, Y0 + (k % 2) * 1000) for k in range(50)]
    path = _dxf_polyline(tmp_path / "arcs.dxf", pts, bulges=[1.0] * 50, close=False)
    with pytest.raises(InputTooLargeError, match=r"vertices=1,000"):
        read_footprints(path, crs="EPSG:4523", limits=ReadLimits(vertices=1000))


def test_geojson_nesting_limit(tmp_path):
    path = geojson_deep(tmp_path / "deep.geojson")
    with pytest.raises(InputTooLargeError, match=r"json_depth=64"):
        read_footprints(path)


def test_feature_limit_on_gdal_kinds(tmp_path):
    path = tmp_path / "many.gpkg"
    pyogrio.write_dataframe(_squares(5).to_crs(4490), path)
    with pytest.raises(InputTooLargeError, match=r"features=4"):
        read_footprints(path, limits=ReadLimits(features=4))
    shp = _shapefile(tmp_path / "s", n=5)
    with pytest.raises(InputTooLargeError, match=r"\.shx indexes more features.*features=4"):
        read_footprints(shp, limits=ReadLimits(features=4))


def test_web_limits_are_lower_and_limit_options_parse():
    for name in DEFAULT_LIMITS.__dataclass_fields__:
        assert getattr(WEB_LIMITS, name) <= getattr(DEFAULT_LIMITS, name)
    limits = parse_limit_options(["features=2_000_000", "max-vertices=5e7"])
    assert limits.features == 2_000_000 and limits.vertices == 50_000_000
    for bad in ("features", "nonsense=3", "features=-1", "features=1.5", "features=x"):
        with pytest.raises(ValueError, match=r"expected NAME=VALUE|positive whole number"):
            parse_limit_options([bad])


# --- 6. internal errors that became clear errors ------------------------------------------------


def test_csv_field_over_the_limit(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text(f"X,Y,名称\n{X0},{Y0},{'a' * 200_000}\n", encoding="utf-8")
    with pytest.raises(InputTooLargeError, match=r"line 2.*csv_field_bytes=131,072"):
        read_footprints(path, crs="EPSG:4523", limits=ReadLimits(csv_field_bytes=131_072))
    (r,) = read_footprints(path, crs="EPSG:4523")  # 1 MiB by default
    assert len(r.gdf) == 1


@pytest.mark.parametrize("name", ["no-such-codec", "rot13", "base64"])
def test_unknown_encoding_lists_real_ones(tmp_path, name):
    shp = _shapefile(tmp_path)
    with pytest.raises(EncodingError, match=r"utf-8, gbk, gb18030"):
        read_footprints(shp, encoding=name)
    path = _dxf_polyline(tmp_path / "a.dxf", _ring()[:-1])
    with pytest.raises(EncodingError, match=r"utf-8, gbk, gb18030"):
        read_footprints(path, crs="EPSG:4523", encoding=name)


@pytest.mark.parametrize(
    ("bulge", "expected"),
    [
        (float("nan"), r"handle .*bulge nan is not a number"),
        (float("inf"), r"handle .*bulge inf is not a number"),
        (1e300, r"handle .*bulge 1e\+300 describes no real arc"),
    ],
)
def test_dxf_absurd_bulges_name_the_entity(tmp_path, bulge, expected):
    path = _dxf_polyline(tmp_path / "b.dxf", _ring()[:-1], bulges=[bulge, 0, 0, 0])
    with pytest.raises(InputFileError, match=expected):
        read_footprints(path, crs="EPSG:4523")


def test_dxf_tiny_bulge_is_straight(tmp_path):
    path = _dxf_polyline(tmp_path / "b.dxf", _ring()[:-1], bulges=[1e-300, 0, 0, 0])
    (r,) = read_footprints(path, crs="EPSG:4523")
    assert len(r.gdf) == 1


def test_geojson_nan_and_unclosed_rings_are_named(tmp_path):
    lon, lat = GUANLING
    ring = [[lon, lat], [lon + 0.01, lat], [lon + 0.01, lat + 0.01], [lon, lat + 0.01]]
    point = {"type": "Point", "coordinates": [lon, lat]}
    polygon = {"type": "Polygon", "coordinates": [ring]}
    fc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {}, "geometry": point},
            {"type": "Feature", "properties": {}, "geometry": polygon},
        ],
    }
    path = tmp_path / "p.geojson"
    path.write_text(json.dumps(fc))
    with pytest.raises(InputFileError, match=r"feature 1: a ring of the Polygon is not closed"):
        read_footprints(path)
    fc["features"][1]["geometry"]["coordinates"] = [[*ring, ring[0]]]
    fc["features"][1]["geometry"]["coordinates"][0][1] = [float("nan"), lat]
    path.write_text(json.dumps(fc))
    with pytest.raises(InputFileError, match=r"feature 1: the Polygon has a NaN"):
        read_footprints(path)


def test_nan_coordinates_in_a_shapefile_name_the_row(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"n": [0, 1]},
        geometry=gpd.GeoSeries.from_wkt([f"POINT ({X0} {Y0})", f"POINT ({X0} {Y0 + 5})"]),
        crs="EPSG:4523",
    )
    shp = write_shp(tmp_path, "pts", gdf)
    data = bytearray(shp.read_bytes())
    import struct

    # the second record's X (record header 8 + shape type 4 bytes after its offset)
    shx = shp.with_suffix(".shx").read_bytes()
    off = 2 * struct.unpack(">i", shx[108:112])[0]
    data[off + 12 : off + 20] = struct.pack("<d", float("nan"))
    shp.write_bytes(bytes(data))
    with pytest.raises(InputFileError, match=r"rows 1 have NaN or infinite coordinates"):
        read_footprints(shp)


def test_gbk_file_name_is_read_and_printed_safely(tmp_path):
    raw = "道路".encode("gbk")
    shp = _shapefile(tmp_path / "src")
    folder = tmp_path / "gbk"
    folder.mkdir()
    for f in shp.parent.iterdir():
        shutil.copy(f, os.fsdecode(os.fsencode(folder) + b"/" + raw + f.suffix.encode()))
    path = Path(os.fsdecode(os.fsencode(folder) + b"/" + raw + b".shp"))
    (r,) = read_footprints(path)
    assert r.source == "道路.shp" and r.layer == "道路"
    missing = Path(os.fsdecode(os.fsencode(folder) + b"/" + raw + b"2.shp"))
    with pytest.raises(FossilGISError) as info:
        read_footprints(missing)
    str(info.value).encode("utf-8")  # printable: no lone surrogates


# --- 7. duplicated features ---------------------------------------------------------------------


def test_same_geojson_feature_twice_is_dropped_with_a_note(tmp_path):
    feat = json.loads(_squares(1).to_crs(4326).to_json())["features"][0]
    path = tmp_path / "twice.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feat, feat]}))
    (r,) = read_footprints(path)
    assert len(r.gdf) == 1
    assert any("duplicate features dropped: rows 1" in n and "重复要素" in n for n in r.notes)


def test_same_dxf_polyline_twice_is_dropped(tmp_path):
    path = _dxf_polyline(tmp_path / "twice.dxf", _ring()[:-1], twice=True)
    (r,) = read_footprints(path, crs="EPSG:4523")
    assert len(r.gdf) == 1 and any("duplicate" in n for n in r.notes)


# --- property-based: hostile variants of every reader kind --------------------------------------

#: FOSSILGIS_HOSTILE_EXAMPLES=500 for a deeper run; FOSSILGIS_HOSTILE_STRICT=1 also fails on
#: a library error the readers did not foresee (reported through the generic wrapper)
HYPO = settings(
    max_examples=int(os.environ.get("FOSSILGIS_HOSTILE_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)


def _read_must_not_crash(path: Path, kind: str, **kw) -> None:
    GENERATED[kind] += 1
    try:
        read_footprints(path, **kw)
    except FossilGISError as exc:
        cause = exc.__cause__
        if isinstance(cause, _UNFORESEEN_ERRORS) and not isinstance(
            cause, (FossilGISError, *_LIBRARY_ERRORS)
        ):
            GENERATED["unforeseen"] += 1
            if os.environ.get("FOSSILGIS_HOSTILE_STRICT"):
                raise
        message = str(exc)
        message.encode("utf-8")  # printable
        assert "Internal error" not in message
        assert str(path.name) in message or path.stem in message or "--" in message


@pytest.fixture(scope="module")
def base_shapefile(tmp_path_factory) -> dict[str, bytes]:
    shp = _shapefile(tmp_path_factory.mktemp("base"), n=4)
    return {p.suffix: p.read_bytes() for p in shp.parent.glob("road.*")}


@HYPO
@given(
    part=st.sampled_from([".shp", ".shx", ".dbf", ".prj", ".cpg"]),
    action=st.sampled_from(["truncate", "flip", "overwrite", "drop"]),
    pos=st.floats(0, 1),
    junk=st.binary(min_size=1, max_size=16),
)
def test_property_shapefile_corruption(base_shapefile, part, action, pos, junk):
    with tempfile.TemporaryDirectory() as tmp:
        files = dict(base_shapefile)
        data = bytearray(files[part])
        at = int(pos * max(len(data) - 1, 0))
        if action == "truncate":
            data = data[:at]
        elif action == "flip":
            data[at : at + len(junk)] = bytes(a ^ b for a, b in zip(data[at:], junk))
        elif action == "overwrite":
            data[at : at + len(junk)] = junk
        files[part] = bytes(data)
        if action == "drop" and part != ".shp":
            del files[part]
        for suffix, content in files.items():
            Path(tmp, "road" + suffix).write_bytes(content)
        _read_must_not_crash(Path(tmp, "road.shp"), "shapefile")


_ODD_NAMES = st.lists(
    st.sampled_from(["a", "b", "..", ".", "", "道路", "__MACOSX", ".hidden", "c:", "x" * 120]),
    min_size=1,
    max_size=3,
).map(lambda parts: "/".join(parts))


@HYPO
@given(
    entries=st.lists(
        st.tuples(
            _ODD_NAMES,
            st.sampled_from(["road.shp", "road.shx", "road.dbf", "road.prj", "x.geojson", "r.txt"]),
            st.booleans(),
            st.sampled_from(["/", "\\"]),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_property_zip_odd_names(base_shapefile, entries):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "plans.zip")
        with zipfile.ZipFile(path, "w") as zf:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # duplicate names are the point
                for folder, leaf, real, sep in entries:
                    suffix = "." + leaf.rsplit(".", 1)[1]
                    data = base_shapefile.get(suffix, b"{}") if real else b"junk" * 7
                    zf.writestr((folder + sep if folder else "") + leaf, data)
        _read_must_not_crash(path, "zip")


_NUMBER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e300, -1e300, 1e-300, 105.4, 25.9, 0.0]),
    st.integers(-(10**30), 10**30),
)
_JUNK = st.one_of(st.none(), st.booleans(), st.text(max_size=5), _NUMBER)
_COORDS = st.recursive(
    st.one_of(_JUNK, st.lists(_NUMBER, min_size=0, max_size=4)),
    lambda inner: st.lists(inner, max_size=5),
    max_leaves=40,
)
_GEOMETRY = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            ["Point", "LineString", "Polygon", "MultiPolygon", "GeometryCollection", "Circle", 7]
        ),
        "coordinates": _COORDS,
    }
)


@HYPO
@given(
    geoms=st.lists(st.one_of(_GEOMETRY, _JUNK), min_size=1, max_size=4),
    wrap=st.integers(0, 80),
    props=st.dictionaries(st.text(max_size=3), _JUNK, max_size=3),
)
def test_property_geojson(geoms, wrap, props):
    feats = [{"type": "Feature", "properties": props, "geometry": g} for g in geoms]
    doc = {"type": "FeatureCollection", "features": feats}
    text = json.dumps(doc, allow_nan=True)
    if wrap:
        text = text.replace('"properties": ', '"properties": ' + '{"a": ' * wrap, 1)
        text = text.replace(', "geometry"', "}" * wrap + ', "geometry"', 1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "fc.geojson")
        path.write_text(text, encoding="utf-8")
        _read_must_not_crash(path, "geojson")


_CELL = st.one_of(
    st.none(),
    _NUMBER,
    st.text(max_size=8),
    st.sampled_from(["105°24′30.5″", "2,912,345.12", "X", "Y", "地块编号", "圈号", "=A1"]),
    st.just("x" * 3000),
)


@HYPO
@given(
    rows=st.lists(st.lists(_CELL, min_size=0, max_size=5), min_size=0, max_size=8),
    header=st.sampled_from([["X", "Y"], ["地块编号", "X", "Y"], ["lon", "lat"], ["a"]]),
    kind=st.sampled_from(["csv", "xlsx"]),
)
def test_property_tables(rows, header, kind):
    with (
        tempfile.TemporaryDirectory() as tmp,
        use_limits(ReadLimits(csv_field_bytes=2000, text_bytes=2000)),
    ):
        if kind == "csv":
            path = Path(tmp, "t.csv")
            lines = [",".join(header)] + [
                ",".join("" if c is None else str(c) for c in r) for r in rows
            ]
            path.write_text("\n".join(lines), encoding="utf-8")
        else:
            path = Path(tmp, "t.xlsx")
            clean = [
                [c if not (isinstance(c, float) and not math.isfinite(c)) else str(c) for c in r]
                for r in rows
            ]
            clean = [
                [c if not isinstance(c, int) or abs(c) < 2**53 else str(c) for c in r]
                for r in clean
            ]
            try:
                _xlsx(path, [header, *clean])
            except (ValueError, openpyxl.utils.exceptions.IllegalCharacterError):
                return  # openpyxl cannot write this cell; nothing to read
        _read_must_not_crash(path, kind, crs="EPSG:4523")


_BULGE = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e300, -1e300, 1e-300, 1.0, -0.5, 0.0, 1e4, 1e5]),
)


@HYPO
@given(
    bulges=st.lists(_BULGE, min_size=3, max_size=6),
    scale=st.sampled_from([1.0, 1e-9, 1e6, 1e12]),
    fanout=st.integers(1, 12),
    levels=st.integers(0, 8),
    minsert=st.integers(1, 400),
)
def test_property_dxf(bulges, scale, fanout, levels, minsert):
    with tempfile.TemporaryDirectory() as tmp:
        doc = ezdxf.new("R2010")
        pts = [(X0 + scale * math.cos(k), Y0 + scale * math.sin(k)) for k in range(len(bulges))]
        blk = doc.blocks.new("B0")
        blk.add_lwpolyline(
            [(x - X0, y - Y0, b) for (x, y), b in zip(pts, bulges)], format="xyb", close=True
        )
        for level in range(1, levels + 1):
            blk = doc.blocks.new(f"B{level}")
            for k in range(fanout):
                blk.add_blockref(f"B{level - 1}", (k * 3.0, level * 3.0))
        ins = doc.modelspace().add_blockref(f"B{levels}", (X0, Y0))
        if minsert > 1:
            ins.dxf.row_count, ins.dxf.column_count = minsert, minsert
            ins.dxf.row_spacing = ins.dxf.column_spacing = 5.0
        doc.modelspace().add_lwpolyline(
            [(x, y, b) for (x, y), b in zip(pts, bulges)], format="xyb", close=True
        )
        path = Path(tmp, "d.dxf")
        doc.saveas(path)
        with use_limits(ReadLimits(dxf_entities=50_000, vertices=500_000)):
            _read_must_not_crash(path, "dxf", crs="EPSG:4523")


@HYPO
@given(
    cut=st.floats(0, 1),
    counts=st.lists(st.integers(0, 12), min_size=1, max_size=3),
    areas=st.lists(
        st.sampled_from([25.0, 0.0, -1.0, 1e300, float("nan"), 250000.0]), min_size=3, max_size=3
    ),
    by_line=st.booleans(),
)
def test_property_boundary_txt(cut, counts, areas, by_line):
    parcels = [(c, areas[i % 3], f"P{i}", _ring(dx=1500 * i)) for i, c in enumerate(counts)]
    data = _txt(parcels).encode("gbk")
    if by_line:
        lines = data.split(b"\n")
        data = b"\n".join(lines[: int(cut * len(lines))])
    else:
        data = data[: int(cut * len(data))]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "parcels.txt")
        path.write_bytes(data)
        _read_must_not_crash(path, "txt")


# --- the real command on the bombs, under 2 GB and 60 s ------------------------------------------


def _limit_memory():  # runs in the child before exec
    two_gb = 2 * 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (two_gb, two_gb))


@pytest.fixture(scope="module")
def cli_store(template_copy):
    """A GeoPackage data directory for the module: the CLI is given ``--data`` only."""
    return template_copy("hostile")


@pytest.mark.parametrize(
    ("make", "name", "limit"),
    [
        (xlsx_dimension_bomb, "dimension.xlsx", "xlsx_cells"),
        (xlsx_comment_bomb, "comment.xlsx", "decompressed_bytes"),
        (dxf_block_bomb, "blocks.dxf", "dxf_entities"),
        (geojson_deep, "deep.geojson", "json_depth"),
    ],
)
def test_cli_bombs_exit_2_within_budget(tmp_path, cli_store, make, name, limit):
    path = make(tmp_path / name)
    assert path.stat().st_size <= 1 << 20
    cmd = [
        sys.executable,
        "-c",
        "from fossilgis.cli.main import cli; cli()",
        "--data",
        str(cli_store),
        "impact-check",
        str(path),
        "--crs",
        "EPSG:4523",
    ]
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_limit_memory,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert f"--limit {limit}=" in proc.stderr or limit in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and "Internal error" not in proc.stderr


def test_cli_limit_option(tmp_path, cli_store):
    from click.testing import CliRunner

    from fossilgis.cli.main import cli

    path = dxf_block_bomb(tmp_path / "blocks.dxf", fanout=10, levels=3)
    base = ["--data", str(cli_store), "impact-check", str(path), "--crs", "EPSG:4523"]
    r = CliRunner().invoke(cli, [*base, "--limit", "dxf_entities=500"])
    assert r.exit_code == 2 and "dxf_entities=500" in r.output
    r = CliRunner().invoke(cli, [*base, "--limit", "dxf_entitiez=5"])
    assert r.exit_code == 2 and "dxf_entities" in r.output
    r = CliRunner().invoke(cli, [*base, "--limit", "dxf_entities=5000", "--format", "json"])
    assert r.exit_code == 0, r.output


def test_zz_report_generated_cases():
    total = sum(v for k, v in GENERATED.items() if k != "unforeseen")
    print(f"\nhostile cases generated: {total} {dict(GENERATED)}")
    assert total == 0 or total >= 5 * 25
