"""Offline basemaps: tile archives imported into the data directory and read tile by tile.

An office without internet shows its own basemap under the sites: an MBTiles or PMTiles
archive (raster PNG/JPEG/WebP/AVIF or vector PBF tiles), or a folder of XYZ tiles, that
``fossilgis basemap import`` checks and copies into ``<data_dir>/basemaps/``:

* ``<name>.mbtiles`` or ``<name>.pmtiles``: the archive (an XYZ folder becomes MBTiles),
  written to a temporary file and renamed into place, so a reader never sees half of it;
* ``basemaps.json``: the registry, one entry per basemap (``name``, ``title``, ``kind``
  raster | vector, ``format``, ``bounds``, ``minzoom``, ``maxzoom``, ``attribution``,
  ``sha256``, ``bytes``, ``imported_at``, ...), also replaced atomically.

Archives whose bounds miss Guizhou are refused (:class:`OutsideProvinceError`): such a
basemap shows nothing where the sites are, and the usual cause is a wrong projection
(GCJ-02 tiles, a local grid) that would misplace every site. An existing name is kept
unless ``replace=True``. Imports and removals take a lock on the folder, so two commands
never lose each other's registry entries.

Usage::

    from fossilgis.basemaps import import_basemap, read_tile
    import_basemap(store, "office.mbtiles", title="贵州省底图 2024")
    read_tile(store.data_dir, "office", 8, 206, 110)   # (b"\\x89PNG…", "image/png", None)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import re
import shutil
import sqlite3
import zlib
from pathlib import Path

from fossilgis._tile_archives import (
    SQLITE_MAGIC,
    copy_mbtiles,
    inspect_archive,
    not_sqlite,
    read_archive_tile,
)
from fossilgis._tile_checks import plain_text, problem, tile_headers
from fossilgis.errors import (
    ConflictError,
    FossilGISError,
    InputFileError,
    InputNotFoundError,
    RecordNotFoundError,
    StoreError,
    UnsupportedFormatError,
)

#: a basemap's name: its URL segment and file name
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
REGISTRY = "basemaps.json"
REGISTRY_VERSION = 1


class BasemapUnreadableError(StoreError):
    """A registered basemap's file is missing or cannot be read (the server's data)."""

    code = "basemap_unreadable"


def basemaps_dir(data_dir) -> Path:
    """``<data_dir>/basemaps``, where the archives and their registry live."""
    return Path(getattr(data_dir, "data_dir", data_dir)) / "basemaps"


def check_name(name: str) -> str:
    """``name`` when it is a valid basemap name, else InputFileError saying what is allowed."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise InputFileError(
            f"--name {name!r}: 底图名称只能用小写字母、数字、- 和 _（1–40 个字符）/ a basemap "
            "name is 1–40 lower-case letters, digits, '-' or '_', starting with a letter or "
            "digit (it becomes a URL and a file name), e.g. --name office-2024"
        )
    return name


def _name_from(path: Path) -> str:
    stem = path.name.split(".")[0] if path.is_file() else path.name
    name = re.sub(r"[^a-z0-9_-]+", "-", stem.lower()).strip("-_")[:40].strip("-_")
    if not NAME_PATTERN.fullmatch(name):
        raise InputFileError(
            f"{path.name}: 无法从文件名得到底图名称，请用 --name 指定 / no basemap name can be "
            "made from the file name; give one with --name, e.g. --name office-2024"
        )
    return name


# -- the registry --------------------------------------------------------------------------
def _read_registry(folder: Path) -> list[dict]:
    path = folder / REGISTRY
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = data["basemaps"]
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ValueError("'basemaps' is not a list of objects")
    except FileNotFoundError:
        return []
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StoreError(
            f"{path}: 底图登记文件无法读取 / the basemap registry cannot be read ({exc}). "
            "Restore it from a backup, or delete it and import the basemaps again"
        ) from None
    return entries


def _write_registry(folder: Path, entries: list[dict]) -> None:
    from fossilgis.io.atomic import write_text_atomic

    body = {"version": REGISTRY_VERSION, "basemaps": entries}
    write_text_atomic(folder / REGISTRY, json.dumps(body, ensure_ascii=False, indent=2) + "\n")


@contextlib.contextmanager
def _locked(folder: Path):
    """Hold the folder's lock (imports and removals, one at a time)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a+b") as fh:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no lock, one operator at a time
            yield
            return
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def registry_version(data_dir) -> tuple[int, int, int] | None:
    """(inode, mtime_ns, size) of the registry, None without one: a key for caches of the
    list (each write renames a new file into place, so the inode changes every time)."""
    try:
        stat = (basemaps_dir(data_dir) / REGISTRY).stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


@functools.lru_cache(maxsize=8)
def _cached_entries(folder: str, version) -> dict[str, dict]:
    return {e["name"]: e for e in _read_registry(Path(folder))}


def list_basemaps(data_dir) -> list[dict]:
    """The imported basemaps, in the order they were first imported (copies of the entries)."""
    return [dict(e) for e in _read_registry(basemaps_dir(data_dir))]


def basemap_info(data_dir, name: str) -> dict:
    """The registry entry of basemap ``name`` (RecordNotFoundError when there is none).

    Read through a cache that follows the registry file, so each tile costs one ``stat``.
    """
    folder = basemaps_dir(data_dir)
    entry = _cached_entries(str(folder), registry_version(data_dir)).get(name)
    if entry is None:
        raise RecordNotFoundError(
            f"basemap {name!r}: 没有这个底图 / no such basemap; `fossilgis basemap list` "
            "shows the imported ones"
        )
    return entry


# -- import --------------------------------------------------------------------------------
def _container(path: Path) -> str:
    """``mbtiles``, ``pmtiles`` or ``xyz`` (a folder), by content first, then by name."""
    if path.is_dir():
        return "xyz"
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head == SQLITE_MAGIC:
        return "mbtiles"
    if head.startswith(b"PMTiles"):
        return "pmtiles"
    suffix = path.suffix.lower()
    if suffix == ".mbtiles":
        raise not_sqlite(path.name)
    if suffix == ".pmtiles":
        return "pmtiles"  # the header's check says what is wrong with it
    raise problem(
        path.name,
        None,
        "不是 MBTiles 或 PMTiles 文件，也不是瓦片目录",
        "not an MBTiles or PMTiles archive, nor a folder of {z}/{x}/{y} tiles",
        UnsupportedFormatError,
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy_in(src: Path, container: str, tmp: Path, where: str) -> tuple[str, list[str]]:
    """Copy (or, for a folder, convert) ``src`` to ``tmp``; return its container, warnings."""
    if container == "xyz":
        from fossilgis._xyz_tiles import xyz_to_mbtiles

        return "mbtiles", xyz_to_mbtiles(src, tmp, where)
    if container == "mbtiles":
        copy_mbtiles(src, tmp, where)
    else:
        shutil.copyfile(src, tmp)
    return container, []


def import_basemap(
    store_or_data_dir,
    path,
    *,
    name: str | None = None,
    title: str | None = None,
    attribution: str | None = None,
    replace: bool = False,
) -> dict:
    """Check a tile archive and copy it into the data directory as basemap ``name``.

    Parameters
    ----------
    store_or_data_dir : Store or path
        A store (its ``data_dir``) or the data directory itself.
    path : path
        An ``.mbtiles`` or ``.pmtiles`` file, or a folder of ``{z}/{x}/{y}.<ext>`` tiles.
    name : str, optional
        The basemap's name in URLs (``[a-z0-9][a-z0-9_-]{0,39}``); default: from the file.
    title : str, optional
        What the map's layer list shows; default: the archive's own name, else ``name``.
    attribution : str, optional
        The credit line the map shows; default: the archive's, as plain text.
    replace : bool
        Replace a basemap of the same name (else ConflictError).

    Returns
    -------
    dict
        The registry entry, with ``warnings`` (what was read from the tiles instead of the
        metadata, entries ignored) added.

    Raises
    ------
    InputNotFoundError, InputFileError, UnsupportedFormatError, OutsideProvinceError
        The file is missing or refused; the message names the file and the field.
    ConflictError
        ``name`` exists and ``replace`` is false.
    """
    src = Path(path)
    if not src.exists():
        raise InputNotFoundError(f"{src}: 文件不存在 / no such file or folder")
    name = check_name(name) if name is not None else _name_from(src)
    container = _container(src)
    folder = basemaps_dir(store_or_data_dir)
    where = src.name or str(src)
    with _locked(folder):
        entries = _read_registry(folder)
        old = next((e for e in entries if e["name"] == name), None)
        if old is not None and not replace:
            raise ConflictError(
                f"basemap {name!r}: 已有同名底图（{old.get('imported_at')} 导入）/ a basemap "
                f"of this name exists (imported {old.get('imported_at')} from "
                f"{old.get('source')}); re-run with --replace to replace it, or choose "
                "another --name"
            )
        from fossilgis.io.atomic import atomic_output

        stored = "mbtiles" if container == "xyz" else container
        target = folder / f"{name}.{stored}"
        try:
            with atomic_output(target) as tmp:
                stored, warnings = _copy_in(src, container, tmp, where)
                info = inspect_archive(tmp, stored, where)
                entry = {
                    "name": name,
                    "title": _title(title, info["name"], name),
                    "kind": info["kind"],
                    "format": info["format"],
                    "bounds": info["bounds"],
                    "minzoom": info["minzoom"],
                    "maxzoom": info["maxzoom"],
                    "attribution": plain_text(attribution) if attribution else info["attribution"],
                    "description": info["description"],
                    "container": stored,
                    "file": target.name,
                    "source": where,
                    "sha256": _sha256(tmp),
                    "bytes": tmp.stat().st_size,
                    "imported_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                }
        except (OSError, sqlite3.Error, zlib.error) as exc:
            if isinstance(exc, FossilGISError):
                raise
            raise problem(where, None, f"无法读取（{exc}）", f"cannot be read: {exc}") from None
        if old is not None:  # keeps its place in the list
            entries[entries.index(old)] = entry
        else:
            entries.append(entry)
        _write_registry(folder, entries)
        if old is not None and _file_of(old) != target.name:
            (folder / _file_of(old)).unlink(missing_ok=True)
    warnings = [*info["warnings"], *warnings]
    if not entry["attribution"]:
        warnings.append("no attribution: the map credits nobody; give --attribution")
    return {**entry, "warnings": warnings}


def _title(given, from_archive: str, name: str) -> str:
    title = plain_text(given, 100) if given is not None else from_archive or name
    if not title:
        raise InputFileError("--title: 标题不能为空 / the title is empty")
    return title


def remove_basemap(data_dir, name: str) -> dict:
    """Remove basemap ``name`` (its registry entry, then its file); return its entry."""
    folder = basemaps_dir(data_dir)
    with _locked(folder):
        entries = _read_registry(folder)
        entry = next((e for e in entries if e["name"] == name), None)
        if entry is None:
            basemap_info(data_dir, name)  # raises the not-found message
        _write_registry(folder, [e for e in entries if e["name"] != name])
        (folder / _file_of(entry)).unlink(missing_ok=True)
    return entry


def _file_of(entry: dict) -> str:
    """The archive's file name, checked: ``<name>.mbtiles`` or ``<name>.pmtiles`` only (an
    edited registry must not name a file elsewhere)."""
    name = check_name(entry.get("name"))
    if entry.get("file") not in (f"{name}.mbtiles", f"{name}.pmtiles"):
        raise BasemapUnreadableError(f"basemap {name!r}: bad file {entry.get('file')!r}")
    return entry["file"]


# -- tiles ---------------------------------------------------------------------------------
def read_tile(data_dir, name: str, z: int, x: int, y: int):
    """Tile z/x/y (XYZ, y down) of basemap ``name``.

    Returns
    -------
    tuple or None
        ``(bytes, content_type, content_encoding)`` (encoding ``"gzip"`` for gzipped vector
        tiles, else None); None when the archive has no such tile or z/x/y is outside its
        zooms or the tile grid.

    Raises
    ------
    RecordNotFoundError
        No basemap ``name``.
    BasemapUnreadableError
        Its file is missing or cannot be read.
    """
    entry = basemap_info(data_dir, name)
    if not (entry["minzoom"] <= z <= entry["maxzoom"] and 0 <= x < 1 << z and 0 <= y < 1 << z):
        return None
    path = basemaps_dir(data_dir) / _file_of(entry)
    try:
        data = read_archive_tile(path, entry["container"], z, x, y)
    except (OSError, ValueError, sqlite3.Error, zlib.error) as exc:
        raise BasemapUnreadableError(
            f"basemap {name!r}: {entry['file']} 无法读取 / cannot be read ({exc}); import it "
            "again with --replace"
        ) from None
    if not data:
        return None
    content_type, encoding = tile_headers(entry["format"], data)
    return data, content_type, encoding


__all__ = [
    "BasemapUnreadableError",
    "basemap_info",
    "basemaps_dir",
    "check_name",
    "import_basemap",
    "list_basemaps",
    "read_tile",
    "registry_version",
    "remove_basemap",
]
