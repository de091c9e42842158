"""Offline basemaps: import (MBTiles, PMTiles, XYZ folders), refusals, CLI, tile routes.

Every archive is made here, in a few tiles: MBTiles with sqlite3, PMTiles v3 written byte
by byte from the specification (independently of fossilgis' own writer), XYZ folders with
Pillow. The sample script's archive is rendered at two zooms only.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
import json
import math
import sqlite3
import struct
from pathlib import Path

import pytest

from fossilgis import basemaps
from fossilgis.errors import (
    ConflictError,
    InputFileError,
    OutsideProvinceError,
    RecordNotFoundError,
    UnsupportedFormatError,
)

ROOT = Path(__file__).resolve().parent.parent
#: three XYZ tiles over Guizhou (Guiyang, 106.7 E 26.6 N, is in 7/101/54 and 8/203/108)
TILES = {(7, 101, 54): "red", (7, 102, 54): "blue", (8, 203, 108): "green"}
GZ_BOUNDS = "105.0,25.0,108.5,28.5"


def png(colour: str, fmt: str = "PNG") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (256, 256), colour).save(out, fmt)
    return out.getvalue()


def make_mbtiles(path: Path, tiles: dict, metadata: dict | None = None, *, table=True) -> Path:
    """An MBTiles file of ``tiles`` ({(z, x, y_xyz): bytes}), rows stored as TMS."""
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE tiles (zoom_level, tile_column, tile_row, tile_data)")
    if table:
        con.execute("CREATE TABLE metadata (name, value)")
        con.executemany("INSERT INTO metadata VALUES (?, ?)", list((metadata or {}).items()))
    con.executemany(
        "INSERT INTO tiles VALUES (?, ?, ?, ?)",
        [(z, x, (1 << z) - 1 - y, data) for (z, x, y), data in tiles.items()],
    )
    con.commit()
    con.close()
    return path


def raster_mbtiles(path: Path, **extra) -> tuple[Path, dict]:
    tiles = {k: png(c) for k, c in TILES.items()}
    meta = {
        "name": "办公室底图",
        "format": "png",
        "bounds": GZ_BOUNDS,
        "minzoom": "7",
        "maxzoom": "8",
        "attribution": '<a href="https://example.org">© 贵州省自然资源厅</a> &amp; OSM',
        **extra,
    }
    return make_mbtiles(path, tiles, meta), tiles


# -- PMTiles v3, written from the specification -------------------------------------------
def _varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    return bytes(out + bytes([n]))


def _hilbert_id(z: int, x: int, y: int) -> int:
    n = 1 << z
    d, s = 0, n // 2
    while s:
        rx, ry = int(bool(x & s)), int(bool(y & s))
        d += s * s * ((3 * rx) ^ ry)
        if ry == 0:
            if rx == 1:
                x, y = n - 1 - x, n - 1 - y
            x, y = y, x
        s //= 2
    return (4**z - 1) // 3 + d


def _directory(entries) -> bytes:
    """Entries (tile_id, offset, length, run_length), uncompressed, every offset explicit."""
    out = [_varint(len(entries))]
    last = 0
    for e in entries:
        out.append(_varint(e[0] - last))
        last = e[0]
    out += [_varint(e[3]) for e in entries] + [_varint(e[2]) for e in entries]
    out += [_varint(e[1] + 1) for e in entries]
    return b"".join(out)


def make_pmtiles(path: Path, tiles: dict, *, tile_type=2, leaf=False, version=3, comp=1):
    """A PMTiles v3 file (internal compression none); ``leaf`` puts the entries in a leaf
    directory that the root points at."""
    data, entries = b"", []
    for tile_id, blob in sorted((_hilbert_id(*k), v) for k, v in tiles.items()):
        entries.append((tile_id, len(data), len(blob), 1))
        data += blob
    leaves = _directory(entries) if leaf else b""
    root = _directory([(entries[0][0], 0, len(leaves), 0)]) if leaf else _directory(entries)
    meta = json.dumps({"name": "PM 底图", "attribution": "© test"}).encode()
    root_at = 127
    meta_at = root_at + len(root)
    leaf_at = meta_at + len(meta)
    data_at = leaf_at + len(leaves)
    zooms = [k[0] for k in tiles]
    header = struct.pack(
        "<7sB11QBBBBBBiiiiBii",
        b"PMTiles",
        version,
        root_at,
        len(root),
        meta_at,
        len(meta),
        leaf_at,
        len(leaves),
        data_at,
        len(data),
        len(tiles),
        len(tiles),
        len(tiles),
        1,
        1,
        comp,
        tile_type,
        min(zooms),
        max(zooms),
        1050000000,
        250000000,
        1085000000,
        285000000,
        7,
        1067000000,
        266000000,
    )
    path.write_bytes(header + root + meta + leaves + data)
    return path


def xyz_folder(root: Path, tiles: dict, ext: str = "png") -> Path:
    for (z, x, y), data in tiles.items():
        (root / str(z) / str(x)).mkdir(parents=True, exist_ok=True)
        (root / str(z) / str(x) / f"{y}.{ext}").write_bytes(data)
    return root


def stored(data_dir: Path) -> list[str]:
    folder = data_dir / "basemaps"
    return (
        sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
        if (folder.exists())
        else []
    )


# -- core: import and read -----------------------------------------------------------------
def test_mbtiles_raster_is_registered_and_served_with_the_tms_flip(tmp_path):
    src, tiles = raster_mbtiles(tmp_path / "Office Map.mbtiles")
    entry = basemaps.import_basemap(tmp_path / "data", src)
    assert entry["name"] == "office-map" and entry["title"] == "办公室底图"
    assert (entry["kind"], entry["format"], entry["minzoom"], entry["maxzoom"]) == (
        "raster",
        "png",
        7,
        8,
    )
    assert entry["bounds"] == [105.0, 25.0, 108.5, 28.5]
    assert entry["attribution"] == "© 贵州省自然资源厅 & OSM"  # tags and entities gone
    assert entry["warnings"] == []
    path = tmp_path / "data" / "basemaps" / "office-map.mbtiles"
    assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert entry["bytes"] == path.stat().st_size
    registry = json.loads((path.parent / "basemaps.json").read_text(encoding="utf-8"))
    assert [e["name"] for e in registry["basemaps"]] == ["office-map"]
    assert set(registry["basemaps"][0]) >= {
        "name",
        "title",
        "kind",
        "format",
        "bounds",
        "minzoom",
        "maxzoom",
        "attribution",
        "sha256",
        "bytes",
        "imported_at",
    }
    for (z, x, y), data in tiles.items():
        assert basemaps.read_tile(tmp_path / "data", "office-map", z, x, y) == (
            data,
            "image/png",
            None,
        )
    assert basemaps.read_tile(tmp_path / "data", "office-map", 7, 101, 55) is None  # absent
    assert basemaps.read_tile(tmp_path / "data", "office-map", 9, 0, 0) is None  # zoom
    assert basemaps.list_basemaps(tmp_path / "data")[0]["name"] == "office-map"


def test_mbtiles_without_metadata_is_read_from_its_tiles(tmp_path):
    tiles = {(7, 101, 54): png("red", "JPEG"), (8, 203, 108): png("blue", "JPEG")}
    src = make_mbtiles(tmp_path / "bare.mbtiles", tiles, table=False)
    entry = basemaps.import_basemap(tmp_path / "data", src, title="Bare", attribution="© me")
    assert (entry["format"], entry["minzoom"], entry["maxzoom"]) == ("jpg", 7, 8)

    def lat(y):  # of the north edge of XYZ row y at zoom 8
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / 256))))

    # the bounds of tile 8/203/108, the deepest zoom's tiles
    expected = [203 / 256 * 360 - 180, lat(109), 204 / 256 * 360 - 180, lat(108)]
    assert entry["bounds"] == pytest.approx(expected, abs=1e-6)
    assert any("no metadata.format" in w for w in entry["warnings"])
    assert entry["title"] == "Bare" and entry["attribution"] == "© me"
    assert basemaps.read_tile(tmp_path / "data", "bare", 8, 203, 108)[1] == "image/jpeg"


def test_an_mbtiles_in_wal_mode_is_copied_with_its_wal(tmp_path):
    src = tmp_path / "wal.mbtiles"
    con = sqlite3.connect(src)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA wal_autocheckpoint=0")  # everything stays in wal.mbtiles-wal
    raster = {(7, 101, 54): png("red")}
    con.execute("CREATE TABLE metadata (name, value)")
    con.execute("CREATE TABLE tiles (zoom_level, tile_column, tile_row, tile_data)")
    con.executemany(
        "INSERT INTO metadata VALUES (?, ?)", [("format", "png"), ("bounds", GZ_BOUNDS)]
    )
    con.execute("INSERT INTO tiles VALUES (7, 101, 73, ?)", (raster[(7, 101, 54)],))
    con.commit()
    try:
        assert (tmp_path / "wal.mbtiles-wal").stat().st_size > 0
        basemaps.import_basemap(tmp_path / "data", src)
    finally:
        con.close()
    assert basemaps.read_tile(tmp_path / "data", "wal", 7, 101, 54)[0] == raster[(7, 101, 54)]
    assert not (tmp_path / "data" / "basemaps" / "wal.mbtiles-wal").exists()


def test_vector_mbtiles_tiles_are_served_gzip_encoded(tmp_path):
    pbf = gzip.compress(b"\x1a\x00fake vector tile")
    src = make_mbtiles(
        tmp_path / "vec.mbtiles",
        {(7, 101, 54): pbf},
        {"format": "pbf", "bounds": GZ_BOUNDS, "minzoom": "7", "maxzoom": "7"},
    )
    entry = basemaps.import_basemap(tmp_path / "data", src)
    assert (entry["kind"], entry["format"]) == ("vector", "pbf")
    assert any("attribution" in w for w in entry["warnings"])
    assert basemaps.read_tile(tmp_path / "data", "vec", 7, 101, 54) == (
        pbf,
        "application/vnd.mapbox-vector-tile",
        "gzip",
    )


@pytest.mark.parametrize("leaf", [False, True], ids=["root", "leaf-directory"])
def test_pmtiles_is_read_through_its_directories(tmp_path, leaf):
    tiles = {k: png(c) for k, c in TILES.items()}
    src = make_pmtiles(tmp_path / "pm.pmtiles", tiles, leaf=leaf)
    entry = basemaps.import_basemap(tmp_path / "data", src)
    assert entry["file"] == "pm.pmtiles" and entry["title"] == "PM 底图"
    assert (entry["format"], entry["minzoom"], entry["maxzoom"]) == ("png", 7, 8)
    assert entry["bounds"] == [105.0, 25.0, 108.5, 28.5]
    for (z, x, y), data in tiles.items():
        assert basemaps.read_tile(tmp_path / "data", "pm", z, x, y) == (data, "image/png", None)
    assert basemaps.read_tile(tmp_path / "data", "pm", 8, 203, 109) is None


def test_xyz_folder_becomes_an_mbtiles_archive(tmp_path):
    tiles = {k: png(c) for k, c in TILES.items()}
    folder = xyz_folder(tmp_path / "tiles", tiles)
    (folder / "metadata.json").write_text(json.dumps({"name": "XYZ 底图", "attribution": "©"}))
    (folder / "README.txt").write_text("not a tile")
    (folder / "7" / "101" / "60.png").write_bytes(b"")  # an empty download
    entry = basemaps.import_basemap(tmp_path / "data", folder, name="xyz")
    assert entry["file"] == "xyz.mbtiles" and entry["title"] == "XYZ 底图"
    assert (entry["minzoom"], entry["maxzoom"]) == (7, 8)
    assert any("1 entries" in w for w in entry["warnings"])
    assert any("1 empty" in w for w in entry["warnings"])
    for (z, x, y), data in tiles.items():
        assert basemaps.read_tile(tmp_path / "data", "xyz", z, x, y)[0] == data


# -- refusals ------------------------------------------------------------------------------
def _corrupt_sqlite(path: Path) -> Path:
    raster_mbtiles(path)
    data = bytearray(path.read_bytes())
    data[100:] = b"\xff" * (len(data) - 100)
    path.write_bytes(bytes(data))
    return path


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _other_sqlite(path: Path) -> Path:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (a)")
    con.close()
    return path


def _pm_v2(path: Path) -> Path:
    path.write_bytes(b"PM\x02\x00" + b"\x00" * 200)
    return path


REFUSALS = {
    "not-sqlite": (
        lambda p: _write(p / "junk.mbtiles", b"hello world" * 10),
        InputFileError,
        r"junk\.mbtiles: 不是 SQLite.* / not an SQLite database",
    ),
    "corrupt-sqlite": (
        lambda p: _corrupt_sqlite(p / "broken.mbtiles"),
        InputFileError,
        r"broken\.mbtiles: .*corrupt",
    ),
    "no-tiles": (
        lambda p: make_mbtiles(p / "empty.mbtiles", {}, {"format": "png"}),
        InputFileError,
        r"empty\.mbtiles: tiles: 没有瓦片 / the archive holds no tiles",
    ),
    "no-tiles-table": (
        lambda p: (
            sqlite3.connect(p / "other.mbtiles").execute("CREATE TABLE t (a)")
            and p / "other.mbtiles"
        ),
        InputFileError,
        r"other\.mbtiles: tiles: .*no readable 'tiles' table",
    ),
    "unknown-format": (
        lambda p: raster_mbtiles(p / "tiff.mbtiles", format="tiff")[0],
        UnsupportedFormatError,
        r"tiff\.mbtiles: metadata\.format: 不支持的瓦片格式 'tiff' / unknown tile format",
    ),
    "outside-guizhou": (
        lambda p: raster_mbtiles(p / "beijing.mbtiles", bounds="115.4,39.4,117.5,41.1")[0],
        OutsideProvinceError,
        r"beijing\.mbtiles: metadata\.bounds: .*不覆盖贵州 / .*do not meet Guizhou",
    ),
    "bad-zooms": (
        lambda p: raster_mbtiles(p / "zooms.mbtiles", minzoom="9", maxzoom="3")[0],
        InputFileError,
        r"zooms\.mbtiles: metadata\.minzoom/maxzoom: 缩放级别 9–3 无效 / zoom levels 9–3 are",
    ),
    "fractional-zoom": (
        lambda p: raster_mbtiles(p / "half.mbtiles", maxzoom="8.5")[0],
        InputFileError,
        r"half\.mbtiles: metadata\.minzoom/maxzoom: .*not whole numbers",
    ),
    "bad-bounds": (
        lambda p: raster_mbtiles(p / "box.mbtiles", bounds="east,west")[0],
        InputFileError,
        r"box\.mbtiles: metadata\.bounds: .*not 4 numbers",
    ),
    "format-lies": (
        lambda p: raster_mbtiles(p / "lies.mbtiles", format="pbf")[0],
        InputFileError,
        r"lies\.mbtiles: metadata\.format: .*says pbf but tile 7/.* is png",
    ),
    "pmtiles-v2": (
        lambda p: _pm_v2(p / "old.pmtiles"),
        InputFileError,
        r"old\.pmtiles: .*only version 3 is read",
    ),
    "pmtiles-brotli": (
        lambda p: make_pmtiles(p / "br.pmtiles", {(7, 101, 54): png("red")}, comp=3),
        UnsupportedFormatError,
        r"br\.pmtiles: header\.tile_compression: 不支持 brotli 压缩 / brotli compression",
    ),
    "pmtiles-truncated": (
        lambda p: (
            (p / "cut.pmtiles").write_bytes(
                make_pmtiles(p / "cut.pmtiles", {(7, 101, 54): png("red")}).read_bytes()[:300]
            )
            and p / "cut.pmtiles"
        ),
        InputFileError,
        r"cut\.pmtiles: .*corrupt.*truncated",
    ),
    "pmtiles-unknown-type": (
        lambda p: make_pmtiles(p / "odd.pmtiles", {(7, 101, 54): png("red")}, tile_type=0),
        UnsupportedFormatError,
        r"odd\.pmtiles: header\.tile_type: 未知的瓦片类型 0",
    ),
    "xyz-mixed": (
        lambda p: xyz_folder(
            xyz_folder(p / "mixed", {(7, 101, 54): png("red")}), {(7, 102, 54): png("red")}, "jpg"
        ),
        InputFileError,
        r"mixed: 瓦片格式不一致.* / tiles of several formats: png \(7/101/54\.png\), jpg",
    ),
    "xyz-error-page": (
        lambda p: xyz_folder(p / "saved", {(7, 101, 54): b"<html>404 Not Found</html>"}),
        InputFileError,
        r"saved: 7/101/54\.png: 不是 png 图像 / is not a png image",
    ),
    "xyz-empty": (
        lambda p: (p / "nothing").mkdir() or p / "nothing",
        InputFileError,
        r"nothing: .*no tiles named",
    ),
    "not-an-archive": (
        lambda p: _write(p / "notes.txt", b"hello"),
        UnsupportedFormatError,
        r"notes\.txt: .*not an MBTiles or PMTiles archive",
    ),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_refusals_name_the_file_and_field_and_store_nothing(tmp_path, case):
    make, error, message = REFUSALS[case]
    src = make(tmp_path)
    data = tmp_path / "data"
    with pytest.raises(error, match=message):
        basemaps.import_basemap(data, src, name="refused")
    assert stored(data) == []  # no archive, no registry, no temporary file left
    assert (
        not list((data / "basemaps").glob(".fossilgis-*")) if (data / "basemaps").exists() else True
    )


@pytest.mark.parametrize("name", ["../evil", "a/b", "Upper", "", "-dash", "x" * 41, "a.b", "名"])
def test_bad_names_are_refused_before_any_path_is_made(tmp_path, name):
    src, _ = raster_mbtiles(tmp_path / "ok.mbtiles")
    with pytest.raises(InputFileError, match=r"--name .*a basemap name is 1–40 lower-case"):
        basemaps.import_basemap(tmp_path / "data", src, name=name)
    assert not (tmp_path / "evil.mbtiles").exists() and stored(tmp_path / "data") == []


def test_a_name_must_come_from_somewhere(tmp_path):
    src, _ = raster_mbtiles(tmp_path / "贵州.mbtiles")
    with pytest.raises(InputFileError, match=r"贵州\.mbtiles: .*give one with --name"):
        basemaps.import_basemap(tmp_path / "data", src)


def test_replace_is_explicit_and_keeps_the_order(tmp_path):
    data = tmp_path / "data"
    src, _ = raster_mbtiles(tmp_path / "a.mbtiles")
    basemaps.import_basemap(data, src)
    basemaps.import_basemap(data, src, name="b")
    with pytest.raises(ConflictError, match=r"basemap 'a': 已有同名底图.*--replace"):
        basemaps.import_basemap(data, src)
    pm = make_pmtiles(tmp_path / "pm.pmtiles", {(7, 101, 54): png("white")})
    entry = basemaps.import_basemap(data, pm, name="a", replace=True)
    assert entry["container"] == "pmtiles"
    assert [e["name"] for e in basemaps.list_basemaps(data)] == ["a", "b"]
    assert stored(data) == ["a.pmtiles", "b.mbtiles", "basemaps.json"]  # old file gone
    assert basemaps.read_tile(data, "a", 7, 101, 54)[0] == png("white")


def test_remove_and_unknown_names(tmp_path):
    data = tmp_path / "data"
    src, _ = raster_mbtiles(tmp_path / "a.mbtiles")
    basemaps.import_basemap(data, src)
    assert basemaps.remove_basemap(data, "a")["name"] == "a"
    assert stored(data) == ["basemaps.json"] and basemaps.list_basemaps(data) == []
    with pytest.raises(RecordNotFoundError, match=r"basemap 'a': 没有这个底图 / no such basemap"):
        basemaps.remove_basemap(data, "a")
    with pytest.raises(RecordNotFoundError):
        basemaps.read_tile(data, "a", 7, 101, 54)


def test_an_edited_registry_cannot_point_elsewhere(tmp_path):
    data = tmp_path / "data"
    src, _ = raster_mbtiles(tmp_path / "a.mbtiles")
    basemaps.import_basemap(data, src)
    registry = data / "basemaps" / "basemaps.json"
    body = json.loads(registry.read_text())
    body["basemaps"][0]["file"] = "../../a.mbtiles"
    registry.write_text(json.dumps(body))
    with pytest.raises(basemaps.BasemapUnreadableError, match="bad file"):
        basemaps.read_tile(data, "a", 7, 101, 54)


# -- the sample script ---------------------------------------------------------------------
def test_sample_script_renders_the_context_layers_into_both_archive_kinds(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "make_sample_basemap", ROOT / "scripts" / "make_sample_basemap.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    tiles, bounds, _ = script.render_tiles(6, 7)
    assert len(tiles) >= 4 and all(t.startswith(b"\x89PNG") for t in tiles.values())
    meta = script.metadata(bounds, 6, 7)
    data = tmp_path / "data"
    for suffix in ("mbtiles", "pmtiles"):
        script.write_archive(tmp_path / f"sample.{suffix}", tiles, meta)
        entry = basemaps.import_basemap(data, tmp_path / f"sample.{suffix}", name=suffix)
        assert (entry["minzoom"], entry["maxzoom"], entry["warnings"]) == (6, 7, [])
        assert "Natural Earth" in entry["attribution"]
        for (z, x, y), png_bytes in tiles.items():
            assert basemaps.read_tile(data, suffix, z, x, y)[0] == png_bytes


# -- the command line ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def shared_data(template_copy) -> Path:
    """A data directory with a store (copied from the layers/ template) for this module."""
    return template_copy("basemaps")


@pytest.fixture
def cli_run(monkeypatch, template_copy):
    """``cli_run(*args)``: ``fossilgis --data <fresh data dir> basemap …`` in-process."""
    from click.testing import CliRunner

    from fossilgis.cli import main

    # main.py lists the command (COMMANDS/SHORT_HELP); set here too, so this test does not
    # depend on that edit
    monkeypatch.setitem(main.COMMANDS, "basemap", "fossilgis.cli.basemap:basemap")
    monkeypatch.setitem(main.SHORT_HELP, "basemap", "Offline basemaps. 离线底图。")
    data = template_copy("basemap-cli")

    def run(*args):
        return CliRunner().invoke(main.cli, ["--data", str(data), "basemap", *args])

    run.data = data
    return run


def test_cli_import_list_remove(cli_run, tmp_path):
    src, _ = raster_mbtiles(tmp_path / "office.mbtiles")
    r = cli_run("import", str(src), "--title", "Office 2024", "--attribution", "© GZ")
    assert r.exit_code == 0, r.output
    assert r.output.startswith("office: raster png, zoom 7–8, bounds 105.0000,25.0000,")
    assert "→ basemaps/office.mbtiles — 已导入 (Office 2024)" in r.output
    vec = make_mbtiles(
        tmp_path / "vec.mbtiles",
        {(7, 101, 54): gzip.compress(b"\x1a\x00")},
        {"format": "pbf", "bounds": GZ_BOUNDS, "minzoom": "7", "maxzoom": "7"},
    )
    r = cli_run("import", str(vec))
    assert r.exit_code == 0, r.output
    assert "warning: no attribution" in r.output and "draws raster basemaps only" in r.output
    r = cli_run("list")
    assert r.exit_code == 0
    lines = r.output.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["office", "vec"]
    assert lines[0].split("\t")[1:3] == ["raster png", "z7–8"]
    assert lines[0].endswith("\tOffice 2024")
    r = cli_run("remove", "office")
    assert r.exit_code == 0 and "Removed basemap office (Office 2024)" in r.output
    assert cli_run("list").output.startswith("vec\t")
    assert sorted(p.name for p in (cli_run.data / "basemaps").glob("*.mbtiles")) == ["vec.mbtiles"]


def test_cli_errors_exit_2_with_the_message(cli_run, tmp_path):
    src, _ = raster_mbtiles(tmp_path / "office.mbtiles")
    assert cli_run("list").output.startswith("No basemap imported.")
    assert cli_run("import", str(src)).exit_code == 0
    r = cli_run("import", str(src))
    assert r.exit_code == 2
    assert "Error: basemap 'office': 已有同名底图" in r.output and "--replace" in r.output
    assert cli_run("import", str(src), "--replace").exit_code == 0
    r = cli_run("import", str(_write(tmp_path / "bad.mbtiles", b"x" * 200)))
    assert r.exit_code == 2 and "bad.mbtiles: 不是 SQLite/MBTiles 文件" in r.output
    r = cli_run("import", str(src), "--name", "../up")
    assert r.exit_code == 2 and "--name '../up'" in r.output
    r = cli_run("remove", "nothing")
    assert r.exit_code == 2 and "basemap 'nothing': 没有这个底图 / no such basemap" in r.output
    assert "Traceback" not in r.output


# -- the web map ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def web(shared_data, tmp_path_factory):
    """(app, visitor client, {name: {xyz: bytes}}) with a raster MBTiles, a PMTiles and a
    vector MBTiles imported into the app's data directory."""
    from webmap import create_app

    work = tmp_path_factory.mktemp("basemap-sources")
    src, tiles = raster_mbtiles(work / "office.mbtiles", attribution="<b>© 贵州</b>")
    basemaps.import_basemap(shared_data, src, title="<i>办公室</i> Office & <co")
    pm_tiles = {(7, 101, 54): png("white", "JPEG")}
    basemaps.import_basemap(shared_data, make_pmtiles(work / "pm.pmtiles", pm_tiles, tile_type=3))
    pbf = gzip.compress(b"\x1a\x00vector")
    vec = make_mbtiles(
        work / "vec.mbtiles",
        {(7, 101, 54): pbf},
        {"format": "pbf", "bounds": GZ_BOUNDS, "minzoom": "7", "maxzoom": "7"},
    )
    basemaps.import_basemap(shared_data, vec)
    app = create_app({"DATA_DIR": str(shared_data), "TESTING": True})
    return app, app.test_client(), {"office": tiles, "pm": pm_tiles, "vec": {(7, 101, 54): pbf}}


def test_tiles_are_served_to_visitors_with_type_and_cache_headers(web):
    _, client, tiles = web
    for (z, x, y), data in tiles["office"].items():
        r = client.get(f"/basemaps/office/{z}/{x}/{y}.png")
        assert r.status_code == 200 and r.data == data
        assert r.headers["Content-Type"] == "image/png"
        assert r.headers["Cache-Control"] == "public, max-age=86400"
        assert "Content-Encoding" not in r.headers
        again = client.get(
            f"/basemaps/office/{z}/{x}/{y}.png", headers={"If-None-Match": r.headers["ETag"]}
        )
        assert again.status_code == 304
    r = client.get("/basemaps/pm/7/101/54.jpg")
    assert (r.status_code, r.headers["Content-Type"]) == (200, "image/jpeg")
    assert r.data == tiles["pm"][(7, 101, 54)]
    assert client.get("/basemaps/pm/7/101/54.jpeg").status_code == 200
    r = client.get("/basemaps/vec/7/101/54.pbf")
    assert r.status_code == 200 and r.data == tiles["vec"][(7, 101, 54)]  # sent as stored
    assert r.headers["Content-Type"] == "application/vnd.mapbox-vector-tile"
    assert r.headers["Content-Encoding"] == "gzip"


def test_missing_tiles_are_204_and_bad_requests_404_never_500(web):
    _, client, _ = web
    r = client.get("/basemaps/office/8/0/0.png")  # inside the zooms, not in the archive
    assert r.status_code == 204 and r.data == b"" and "ETag" in r.headers
    for url in (
        "/basemaps/nothing/7/101/54.png",  # unknown basemap
        "/basemaps/office/9/203/108.png",  # zoom above the archive's
        "/basemaps/office/6/50/27.png",  # zoom below
        "/basemaps/office/7/128/54.png",  # x outside the grid
        "/basemaps/office/7/101/54.jpg",  # not the archive's format
    ):
        r = client.get(url)
        assert r.status_code == 404, url
        assert r.get_json()["code"] == "not_found"
    assert client.get("/basemaps/..%2F..%2Fsecret_key/7/101/54.png").status_code == 404


def test_an_unreadable_archive_is_404_and_logged(web, shared_data, caplog):
    app, client, _ = web
    from webmap import create_app

    copy = shared_data.parent.parent / "unreadable-data"
    if not copy.exists():
        import shutil

        shutil.copytree(shared_data, copy)
    (copy / "basemaps" / "office.mbtiles").write_bytes(b"gone")
    other = create_app({"DATA_DIR": str(copy), "TESTING": True}).test_client()
    r = other.get("/basemaps/office/7/101/54.png")
    assert r.status_code == 404 and "cannot be read" in r.get_json()["description"]
    assert "office.mbtiles" in caplog.text


def test_the_list_gives_leaflet_templates_escaped(web):
    _, client, tiles = web
    r = client.get("/api/basemaps.json")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "public, max-age=60"
    listed = {b["name"]: b for b in r.get_json()["basemaps"]}
    assert list(listed) == ["office", "pm", "vec"]
    office = listed["office"]
    assert office["title"] == "办公室 Office & <co"  # plain text (tags dropped at import)
    assert office["label"] == "办公室 Office &amp; &lt;co"  # for Leaflet's innerHTML
    assert office["attribution"] == "© 贵州"
    assert office["url"].startswith("/basemaps/office/{z}/{x}/{y}.png?v=")
    assert (office["minZoom"], office["maxZoom"], office["drawn"]) == (7, 8, True)
    assert office["bounds"] == [[25.0, 105.0], [28.5, 108.5]]
    assert office["options"]["maxNativeZoom"] == 8 and office["options"]["maxZoom"] == 18
    assert listed["vec"]["drawn"] is False and listed["vec"]["url"].endswith(
        ".pbf?" + listed["vec"]["url"].split("?")[1]
    )
    (z, x, y), data = next(iter(tiles["office"].items()))
    url = office["url"].replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))
    assert client.get(url).data == data


def test_basemap_layers_helper_lists_raster_basemaps_only(web, shared_data):
    from flask import url_for

    from webmap.basemap_layers import basemap_layers

    app, _, _ = web
    with app.test_request_context("/"):
        layers = basemap_layers(shared_data, url_for)
    assert [b["name"] for b in layers] == ["office", "pm"]
    assert set(layers[0]) >= {"name", "title", "url", "attribution", "minZoom", "maxZoom", "bounds"}


def test_every_map_shell_adds_the_basemaps_as_base_layers(web):
    _, client, _ = web
    html = client.get("/").get_data(as_text=True)
    assert "map.fossilgisBaseLayers = fetch(" in html and '"/api/basemaps.json"' in html
    assert '{"none": "\\u65e0\\u5e95\\u56fe None"' in html  # 无底图 None


@pytest.mark.browser
def test_chromium_draws_an_imported_basemap_from_the_local_server(template_copy, tmp_path):
    """The sample archive (zooms 6–8), imported with the CLI's function, drawn under the
    sites: every tile request is answered 200 by the app itself, nothing leaves loopback."""
    from browser_fixtures import ARTIFACTS, live_app, loopback_page

    spec = importlib.util.spec_from_file_location(
        "make_sample_basemap", ROOT / "scripts" / "make_sample_basemap.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    tiles, bounds, _ = script.render_tiles(6, 8)
    script.write_archive(tmp_path / "sample.mbtiles", tiles, script.metadata(bounds, 6, 8))
    data = template_copy("basemap-browser")
    basemaps.import_basemap(data, tmp_path / "sample.mbtiles", name="sample")
    with live_app(data) as (server, _store), loopback_page(server) as (_context, page):
        answers = []
        page.on(
            "response",
            lambda r: "/basemaps/" in r.url and answers.append((r.url, r.status)),
        )
        page.goto(server + "/")
        page.wait_for_selector("body[data-layers-loaded=true]", timeout=15000)
        page.wait_for_selector("img.leaflet-tile-loaded[src*='/basemaps/sample/']", timeout=15000)
        page.wait_for_load_state("networkidle")
        drawn = page.locator("img.leaflet-tile-loaded[src*='/basemaps/sample/']").count()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "basemap-sample.png"))
        assert drawn >= 4
        assert answers and all(status == 200 for _url, status in answers), answers
        assert page.outside == [] and page.problems == []
