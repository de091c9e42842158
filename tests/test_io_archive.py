"""Zipped shapefiles: several layers, subfolders, GBK member names, and unsafe archives refused."""

from __future__ import annotations

import zipfile

import geopandas as gpd
import pytest
from io_helpers import KAILI, shp_members, square, write_shp, zip_files

import fossilgis.io._archive as archive
from fossilgis.errors import InputFileError, InputNotFoundError, UnsafeArchiveError
from fossilgis.io import read_footprints, read_vector


@pytest.fixture
def io_two_shapefiles(tmp_path, io_road_gk35):
    a = tmp_path / "a"
    b = tmp_path / "b"
    a.mkdir()
    b.mkdir()
    road = write_shp(a, "road", io_road_gk35, encoding="gbk", cpg=False)
    pit = gpd.GeoDataFrame({"名称": ["取土场"]}, geometry=[square(4524, *KAILI)], crs=4524)
    quarry = write_shp(b, "取土场", pit, encoding="gbk")
    return road, quarry


def test_zip_with_several_shapefiles(tmp_path, io_two_shapefiles):
    road, quarry = io_two_shapefiles
    members = {**shp_members(road), **shp_members(quarry, "附件/"), "说明.txt": b"readme"}
    path = zip_files(tmp_path / "plans.zip", members)
    results = read_footprints(path)
    assert [r.source for r in results] == ["plans.zip!road.shp", "plans.zip!附件/取土场.shp"]
    assert [r.layer for r in results] == ["road", "取土场"]
    assert [r.crs_in for r in results] == ["EPSG:4523", "EPSG:4524"]
    assert results[1].gdf["名称"].tolist() == ["取土场"]
    assert results[0].encoding_basis == "gb18030" and results[1].encoding_basis == "cpg"
    (only,) = read_footprints(path, layer="取土场")
    assert only.layer == "取土场"
    with pytest.raises(InputNotFoundError, match=r"no layer 'x'.*'road', '取土场'"):
        read_footprints(path, layer="x")


def test_zip_member_names_in_gbk_without_utf8_flag(tmp_path, io_two_shapefiles):
    _road, quarry = io_two_shapefiles
    path = tmp_path / "gbk.zip"
    stem = "取土场".encode("gbk")
    placeholder = b"Q" * len(stem)
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in shp_members(quarry).items():
            zf.writestr(name.replace("取土场", placeholder.decode()), data)
    # Chinese Windows zip tools store GBK names without the UTF-8 flag (bit 11); zipfile
    # cannot write that, so patch the names in place (same length, CRCs cover data only).
    path.write_bytes(path.read_bytes().replace(placeholder, stem))
    (r,) = read_vector(path)
    assert r.source == "gbk.zip!取土场.shp"


def test_zip_without_layers(tmp_path):
    path = zip_files(tmp_path / "docs.zip", {"a.pdf": b"%PDF", "readme.txt": b"hello"})
    with pytest.raises(InputFileError, match=r"docs\.zip holds no shapefile.*a\.pdf"):
        read_vector(path)


def test_not_a_zip(tmp_path):
    path = tmp_path / "fake.zip"
    path.write_bytes(b"not a zip at all")
    with pytest.raises(InputFileError, match=r"fake\.zip is not a readable zip"):
        read_vector(path)


@pytest.mark.parametrize(
    "name", ["../evil.shp", "/etc/evil.shp", "a/../../evil.shp", "C:/evil.shp"]
)
def test_zip_path_traversal_refused(tmp_path, name):
    path = zip_files(tmp_path / "evil.zip", {name: b"x"})
    with pytest.raises(UnsafeArchiveError, match=r"evil\.zip: member .*(absolute|'\.\.')"):
        read_vector(path)


def test_zip_bomb_ratio_refused(tmp_path):
    path = zip_files(tmp_path / "bomb.zip", {"big.shp": b"\0" * (8 * 1024 * 1024)})
    with pytest.raises(UnsafeArchiveError, match=r"zip bomb"):
        read_vector(path)


def test_zip_total_size_limit(tmp_path, monkeypatch, io_two_shapefiles):
    road, _quarry = io_two_shapefiles
    path = zip_files(tmp_path / "plans.zip", shp_members(road))
    monkeypatch.setattr(archive, "MAX_UNCOMPRESSED_BYTES", 100)
    with pytest.raises(UnsafeArchiveError, match=r"expands to more than"):
        read_vector(path)


def test_temporary_directory_is_removed(tmp_path, monkeypatch, io_two_shapefiles):
    road, _quarry = io_two_shapefiles
    path = zip_files(tmp_path / "plans.zip", shp_members(road))
    made = []
    real = archive.tempfile.TemporaryDirectory

    def spy(*args, **kwargs):
        t = real(*args, **kwargs)
        made.append(t.name)
        return t

    monkeypatch.setattr(archive.tempfile, "TemporaryDirectory", spy)
    read_vector(path, crs=4523)
    assert made and not any(__import__("os").path.exists(m) for m in made)
