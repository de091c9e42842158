"""No command writes over the store; outputs are whole or absent; imports are all or nothing.

Runs every command that writes a file against a real GeoPackage store that holds a patrol
with a photo, a user and a secret key: onto the store's own paths (refused, exit 2, the
store intact), onto a full disk (an ENOSPC-raising ``os.write``/``os.fsync``, and a real
full tmpfs where ``mount`` works: no file left, no "wrote", exit 2), into a missing
folder, and registry imports with unusable features (every one listed, nothing changed).
"""

from __future__ import annotations

import errno
import hashlib
import math
import os
import shutil
import stat
import subprocess
import warnings
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner
from patrol_fixtures import jpeg_with_gps, make_patrol

from fossilgis.cli.main import cli
from fossilgis.errors import ProtectedPathError
from fossilgis.io.atomic import check_output
from fossilgis.layers import validate_file, validate_layer
from fossilgis.store import open_store

EXAMPLE = Path(__file__).resolve().parent.parent / "layers" / "examples" / "highway_g320.zip"
IMPACT = [str(EXAMPLE), "--crs", "EPSG:4523", "--project-type", "linear", "--line-width", "26"]


# -- fixtures ---------------------------------------------------------------------------
def _add_patrol_and_user(store) -> None:
    from fossilgis.auth import create_user
    from fossilgis.patrols.model import PhotoRef
    from fossilgis.patrols.submit import submit_patrol

    patrol = make_patrol(1)
    files = {"pit.jpg": jpeg_with_gps(105.40, 25.90)}
    patrol.photos = [PhotoRef(name="pit.jpg")]
    submit_patrol(store, patrol, user="test", files=files)
    create_user(store, "ana", "correct horse battery", "admin")


@pytest.fixture(scope="module")
def template(template_copy):
    """A GeoPackage store with a patrol (and its photo), a user and the web app's secret key:
    GeoPackage because these tests guard the store's own files on disk (the .gpkg, photos/)."""
    from fossilgis.auth import ensure_secret_key

    data = template_copy("hardening", _add_patrol_and_user)
    ensure_secret_key(data)
    assert any((data / "photos").rglob("*.jpg"))
    return data


@pytest.fixture
def data(template, tmp_path):
    target = tmp_path / "data"
    shutil.copytree(template, target)
    return target


def run(data, *args):
    return CliRunner().invoke(cli, ["--data", str(data), *args], catch_exceptions=False)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_store_intact(data: Path, gpkg_sha: str, key_sha: str) -> None:
    assert _digest(data / "fossilgis.gpkg") == gpkg_sha
    assert _digest(data / "secret_key") == key_sha
    store = open_store(data, create=False)
    assert len(store.list_patrols()) == 1
    assert [u.username for u in store.list_users()] == ["ana"]
    assert store.layer_info("sites")["count"] == 36
    assert any((data / "photos").rglob("*.jpg"))
    assert run(data, "patrol", "list").exit_code == 0


# -- 1. no command writes over the store ------------------------------------------------
#: commands that write one file, as a function of the output path
FILE_COMMANDS = {
    "layers-gpkg": lambda o: ["layers", "export", "--format", "gpkg", "--kind", "sites", "-o", o],
    "layers-geojson": lambda o: [
        "layers",
        "export",
        "--format",
        "geojson",
        "--kind",
        "sites",
        "-o",
        o,
    ],
    "layers-shp": lambda o: ["layers", "export", "--format", "shp", "--kind", "sites", "-o", o],
    "impact-json": lambda o: ["impact-check", *IMPACT, "--format", "json", "-o", o],
    "impact-gpkg": lambda o: ["impact-check", *IMPACT, "--format", "gpkg", "-o", o],
    "patrol-csv": lambda o: ["patrol", "export", "--format", "csv", "-o", o],
}

#: protected targets, as a function of the data directory
TARGETS = {
    "gpkg": lambda d: d / "fossilgis.gpkg",
    "wal": lambda d: d / "fossilgis.gpkg-wal",
    "shm": lambda d: d / "fossilgis.gpkg-shm",
    "journal": lambda d: d / "fossilgis.gpkg-journal",
    "secret-key": lambda d: d / "secret_key",
    "in-photos": lambda d: d / "photos" / "export.geojson",
    "dotdot": lambda d: d / "photos" / ".." / "fossilgis.gpkg",
    "upper-case": lambda d: d / "FOSSILGIS.GPKG",
}


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("command", FILE_COMMANDS)
def test_file_outputs_onto_the_store_are_refused(data, command, target):
    gpkg_sha, key_sha = _digest(data / "fossilgis.gpkg"), _digest(data / "secret_key")
    path = TARGETS[target](data)
    result = run(data, *FILE_COMMANDS[command](str(path)))
    assert result.exit_code == 2, result.output
    assert "refusing to write there" in result.output
    assert "wrote" not in result.output.lower()
    assert_store_intact(data, gpkg_sha, key_sha)


def test_symlink_to_the_store_is_refused(data, tmp_path):
    gpkg_sha, key_sha = _digest(data / "fossilgis.gpkg"), _digest(data / "secret_key")
    link = tmp_path / "innocent.gpkg"
    link.symlink_to(data / "fossilgis.gpkg")
    result = run(data, "layers", "export", "--kind", "sites", "-o", str(link))
    assert result.exit_code == 2
    assert "the store's GeoPackage" in result.output and str(link) in result.output
    assert_store_intact(data, gpkg_sha, key_sha)


@pytest.mark.parametrize("where", ["data-dir", "photos", "inside-photos"])
def test_backup_into_the_store_is_refused(data, where):
    gpkg_sha, key_sha = _digest(data / "fossilgis.gpkg"), _digest(data / "secret_key")
    dest = {
        "data-dir": data,
        "photos": data / "photos",
        "inside-photos": data / "photos" / "backup",
    }[where]
    result = run(data, "store", "backup", str(dest))
    assert result.exit_code == 2, result.output
    assert "refusing to write there" in result.output
    assert not (data / "photos" / "backup").exists()
    assert_store_intact(data, gpkg_sha, key_sha)


@pytest.mark.parametrize("target", ["photos", "data-dir"])
def test_layer_folder_exports_into_the_photo_folder_are_refused(data, target):
    gpkg_sha, key_sha = _digest(data / "fossilgis.gpkg"), _digest(data / "secret_key")
    out = data / "photos" if target == "photos" else data
    result = run(data, "layers", "export", "--format", "gpkg", "-o", f"{out}/")
    if target == "photos":
        assert result.exit_code == 2 and "photo folder" in result.output
    else:  # the data directory itself is fine: sites.gpkg is not the store's file
        assert result.exit_code == 0, result.output
        assert (data / "sites.gpkg").exists()
    assert_store_intact(data, gpkg_sha, key_sha)


def test_check_output_names_the_path_and_why(data):
    store = open_store(data)
    with pytest.raises(ProtectedPathError, match=r"fossilgis\.gpkg-wal.*SQLite write-ahead log"):
        check_output(data / "fossilgis.gpkg-wal", store.protected_paths())
    paths = store.protected_paths()
    assert set(paths) == {
        data / "fossilgis.gpkg",
        data / "fossilgis.gpkg-wal",
        data / "fossilgis.gpkg-shm",
        data / "fossilgis.gpkg-journal",
        data / "photos",
        data / "secret_key",
        data / "case-files",
        data / "basemaps",
        data / "context",
    }


# -- 2. full disk: nothing left, never "wrote" ------------------------------------------
#: every kind of output, as a function of an output folder: (args, file the command makes)
KINDS = {
    **{
        f"layers-{f}": (
            lambda o, f=f: (
                ["layers", "export", "--format", f, "--kind", "sites", "-o", str(o / f"sites.{f}")],
                f"sites.{f}",
            )
        )
        for f in ("gpkg", "shp", "geojson", "kml", "csv")
    },
    **{
        f"impact-{f}": (
            lambda o, f=f: (
                ["impact-check", *IMPACT, "--format", f, "-o", str(o / f"result.{f}")],
                f"result.{f}",
            )
        )
        for f in ("text", "json", "csv", "html", "geojson", "gpkg")
    },
    **{
        f"patrol-{f}": (
            lambda o, f=f: (
                ["patrol", "export", "--format", f, "-o", str(o / f"patrols.{f}")],
                f"patrols.{f}",
            )
        )
        for f in ("geojson", "csv", "gpx", "kml")
    },
    "store-backup": lambda o: (["store", "backup", str(o / "backup")], None),
}


def _fd_path(fd: int) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return ""


@pytest.fixture
def full_disk(monkeypatch, tmp_path):
    """Make the folder ``tmp_path/out`` behave like a disk that fills up after 100 bytes:
    ``os.write`` writes the first 100 bytes of each file there, then raises ENOSPC, and
    ``os.fsync`` of any file there raises ENOSPC (how delayed allocation reports it;
    GDAL writes through its own I/O, so this is where its files fail)."""
    out = tmp_path / "out"
    out.mkdir()
    prefix = str(out.resolve()) + os.sep
    real_write, real_fsync = os.write, os.fsync
    written: dict[str, int] = {}

    def ours(fd):
        return _fd_path(fd).startswith(prefix) and stat.S_ISREG(os.fstat(fd).st_mode)

    def write(fd, data):
        if not ours(fd):
            return real_write(fd, data)
        name = _fd_path(fd)
        room = 100 - written.get(name, 0)
        if room <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        n = real_write(fd, bytes(data[:room]))
        written[name] = written.get(name, 0) + n
        return n

    def fsync(fd):
        if ours(fd):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)

    monkeypatch.setattr(os, "write", write)
    monkeypatch.setattr(os, "fsync", fsync)
    return out


def _assert_failed_cleanly(result, out: Path, kept: dict[str, bytes]) -> None:
    assert result.exit_code == 2, result.output
    assert "disk full (磁盘已满)" in result.output
    assert "wrote" not in result.output.lower() and "backed up" not in result.output
    assert "Traceback" not in result.output
    left = {p.name: p.read_bytes() for p in out.iterdir()}
    assert left == kept, f"left behind: {sorted(left)}"


@pytest.mark.parametrize("kind", KINDS)
def test_every_export_to_a_full_disk_leaves_nothing(data, full_disk, kind):
    gpkg_sha, key_sha = _digest(data / "fossilgis.gpkg"), _digest(data / "secret_key")
    args, name = KINDS[kind](full_disk)
    kept = {}
    if name:  # an older file of the same name survives untouched
        (full_disk / name).write_bytes(b"old")
        kept[name] = b"old"
    result = run(data, *args)
    _assert_failed_cleanly(result, full_disk, kept)
    assert str(full_disk / (name or "backup")) in result.output
    assert_store_intact(data, gpkg_sha, key_sha)


@pytest.mark.parametrize("kind", ["layers-geojson", "impact-json", "patrol-gpx", "store-backup"])
def test_exports_work_when_the_disk_has_room(data, tmp_path, kind):
    out = tmp_path / "out"
    out.mkdir()
    args, name = KINDS[kind](out)
    result = run(data, *args)
    assert result.exit_code == 0, result.output
    made = sorted(p.name for p in out.iterdir())
    assert made == [name or "backup"]  # no temporary files next to it
    if kind == "store-backup":
        assert sorted(p.name for p in (out / "backup").iterdir()) == [
            "fossilgis.gpkg",
            "photos",
            "secret_key",
        ]
        copy = open_store(out / "backup", create=False)
        assert len(copy.list_patrols()) == 1


def _can_mount_tmpfs(where: Path) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    where.mkdir(exist_ok=True)
    probe = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(where)], capture_output=True
    )
    if probe.returncode != 0:
        return False
    subprocess.run(["umount", str(where)], check=True)
    return True


@pytest.fixture
def real_full_disk(tmp_path):
    """A 64 KiB tmpfs filled to the last byte (root only; skipped where mount is refused)."""
    out = tmp_path / "tmpfs"
    if not _can_mount_tmpfs(out):
        pytest.skip(
            "cannot mount a tmpfs here (needs root and mount rights); the "
            "monkeypatched full disk covers the same paths"
        )
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(out)], check=True)
    try:
        with open(out / "filler", "wb", buffering=0) as fh:
            with pytest.raises(OSError) as info:
                while True:
                    fh.write(b"\0" * 512)
        assert info.value.errno == errno.ENOSPC
        yield out
    finally:
        subprocess.run(["umount", str(out)], check=True)


@pytest.mark.parametrize("kind", KINDS)
def test_every_export_to_a_real_full_tmpfs_leaves_nothing(data, real_full_disk, kind):
    args, name = KINDS[kind](real_full_disk)
    filler = (real_full_disk / "filler").read_bytes()
    result = run(data, *args)
    _assert_failed_cleanly(result, real_full_disk, {"filler": filler})


# -- 3. missing folders -----------------------------------------------------------------
@pytest.mark.parametrize("command", ["layers-geojson", "impact-json", "patrol-csv"])
def test_output_into_a_missing_folder_names_it(data, tmp_path, command):
    missing = tmp_path / "no" / "such"
    result = run(data, *FILE_COMMANDS[command](str(missing / "out.x")))
    assert result.exit_code == 2
    assert f"the folder {missing} does not exist" in result.output
    assert f"mkdir -p {missing}" in result.output
    assert not (tmp_path / "no").exists()


def test_folder_outputs_are_created(data, tmp_path):
    out = tmp_path / "exports" / "2025"
    result = run(data, "layers", "export", "--format", "kml", "-o", f"{out}/")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["sections.kml", "sites.kml"]


def test_one_geopackage_holds_both_layers(data, tmp_path):
    out = tmp_path / "all.gpkg"
    result = run(data, "layers", "export", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "sites, sections: wrote" in result.output
    layers = dict(pyogrio.list_layers(out))
    assert set(layers) == {"sites", "sections"}
    assert len(pyogrio.read_dataframe(out, layer="sites")) == 36
    assert len(pyogrio.read_dataframe(out, layer="sections")) == 19


# -- 4. registry imports: all or nothing ------------------------------------------------
def _square(x, y, d=0.004):
    return shapely.box(x - d, y - d, x + d, y + d)


with warnings.catch_warnings():  # a NaN coordinate on purpose: shapely warns when building it
    warnings.simplefilter("ignore", RuntimeWarning)
    NAN_POLYGON = shapely.Polygon([(106.0, 26.0), (math.nan, 26.0), (106.01, 26.01), (106.0, 26.0)])


def _registry(geoms, ids=None):
    n = len(geoms)
    return gpd.GeoDataFrame(
        {
            "编号": ids or [f"52-HS-{i:03d}" for i in range(n)],
            "名称": [f"测试产地{i}" for i in range(n)],
            "英文名": [f"Test site {i}" for i in range(n)],
            "保护级别": ["general"] * n,
        },
        geometry=list(geoms),
        crs=4490,
    )


MAPPING = [
    "--map",
    "id=编号",
    "--map",
    "name_zh=名称",
    "--map",
    "name_en=英文名",
    "--map",
    "protection_level=保护级别",
]


def _good(n):
    return [_square(105.0 + 0.05 * i, 26.0) for i in range(n)]


BAD_REGISTRIES = {
    "null-geometry": (
        lambda: _registry(_good(2) + [None] + _good(1)),
        ["feature 2 (id 52-HS-002): has no geometry"],
    ),
    "empty-geometry": (
        lambda: _registry(_good(1) + [shapely.Polygon()] + _good(2)),
        ["feature 1 (id 52-HS-001): has no geometry"],
    ),
    "nan-coordinate": (
        lambda: _registry(_good(3) + [NAN_POLYGON]),
        ["feature 3 (id 52-HS-003): has NaN or infinite coordinates"],
    ),
    "duplicate-id": (
        lambda: _registry(_good(4), ["A", "B", "A", "B"]),
        ["feature 2 (id A): id 'A' is used again", "feature 3 (id B): id 'B' is used again"],
    ),
    "not-polygonal": (
        lambda: _registry(_good(2) + [shapely.Point(105.5, 26.5)]),
        ["feature 2 (id 52-HS-002): geometry is Point"],
    ),
    "same-geometry-twice": (
        lambda: _registry(_good(2) + _good(1)),
        [
            "feature 2 (id 52-HS-002): repeats the geometry of registry.gpkg "
            "feature 0 (id 52-HS-000)"
        ],
    ),
    "outside-guizhou": (
        lambda: _registry(_good(2) + [_square(116.4, 39.9)]),
        ["feature 2 (id 52-HS-002): lies outside Guizhou"],
    ),
    "all-at-once": (
        lambda: _registry(
            [None, NAN_POLYGON, _square(105, 26), _square(105.1, 26), shapely.Point(105.5, 26.5)],
            ["X1", "X2", "X3", "X3", ""],
        ),
        [
            "feature 0 (id X1): has no geometry",
            "feature 1 (id X2): has NaN",
            "feature 3 (id X3): id 'X3' is used again",
            "feature 4: required field 'id' is empty",
            "feature 4: geometry is Point",
        ],
    ),
}


@pytest.mark.parametrize("case", BAD_REGISTRIES)
def test_import_with_unusable_features_lists_each_and_changes_nothing(data, tmp_path, case):
    make, expected = BAD_REGISTRIES[case]
    path = tmp_path / "registry.gpkg"
    pyogrio.write_dataframe(make(), path, layer="sites")
    before = open_store(data).layer_info("sites")
    result = run(data, "layers", "import", str(path), "--kind", "sites", *MAPPING)
    assert result.exit_code == 2, result.output
    assert "nothing was changed" in result.output
    for text in expected:
        assert f"registry.gpkg {text}" in result.output
    after = open_store(data).layer_info("sites")
    assert (after["version"], after["count"]) == (before["version"], before["count"])
    assert len(open_store(data).layer_history("sites")) == 0


def test_import_of_a_clean_registry_still_works(data, tmp_path):
    path = tmp_path / "registry.gpkg"
    pyogrio.write_dataframe(_registry(_good(5)), path, layer="sites")
    result = run(data, "layers", "import", str(path), "--kind", "sites", *MAPPING)
    assert result.exit_code == 0, result.output
    assert open_store(data).layer_info("sites")["count"] == 5
    assert run(data, "layers", "validate").exit_code == 0


@pytest.mark.parametrize("case", ["null-geometry", "nan-coordinate", "duplicate-id"])
def test_validate_catches_the_same(case):
    make, expected = BAD_REGISTRIES[case]
    gdf = make().rename(
        columns={
            "编号": "id",
            "名称": "name_zh",
            "英文名": "name_en",
            "保护级别": "protection_level",
        }
    )
    gdf["boundary_status"] = "surveyed"
    problems = validate_layer(gdf, "sites")
    for text in expected:
        assert any(text in p for p in problems), problems


def test_validate_file_streams_and_names_each_bad_feature(tmp_path):
    make, _ = BAD_REGISTRIES["all-at-once"]
    gdf = make().rename(
        columns={
            "编号": "id",
            "名称": "name_zh",
            "英文名": "name_en",
            "保护级别": "protection_level",
        }
    )
    gdf["boundary_status"] = "surveyed"
    path = tmp_path / "sites.gpkg"
    pyogrio.write_dataframe(gdf, path)
    problems = validate_file(path, "sites")
    for text in (
        "feature 0 (id X1): has no geometry",
        "feature 1 (id X2): has NaN",
        "feature 3 (id X3): id 'X3' is used again",
        "feature 4: geometry is Point",
    ):
        assert any(text in p for p in problems), problems


def test_postgis_protects_the_photo_folder_and_key(tmp_path):
    """PostGIS keeps its tables in the database; its data directory still holds these."""
    from types import SimpleNamespace

    from fossilgis.store.base import Store

    paths = Store.protected_paths(SimpleNamespace(data_dir=tmp_path))
    assert set(paths) == {
        tmp_path / name for name in ("photos", "secret_key", "case-files", "basemaps", "context")
    }


def test_backup_copies_the_basemaps_and_context_layers_and_protects_them(data, tmp_path):
    (data / "basemaps").mkdir()
    (data / "basemaps" / "basemaps.json").write_text('{"version": 1, "basemaps": []}')
    (data / "context").mkdir()
    (data / "context" / "counties.geojson").write_text('{"type": "FeatureCollection"}')
    result = run(data, "store", "backup", str(tmp_path / "bk"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "bk" / "basemaps" / "basemaps.json").read_text().startswith('{"version"')
    assert (tmp_path / "bk" / "context" / "counties.geojson").exists()
    out = data / "basemaps" / "sites.geojson"
    result = run(data, "layers", "export", "--kind", "sites", "-o", str(out))
    assert result.exit_code == 2 and "basemaps" in result.output and not out.exists()
