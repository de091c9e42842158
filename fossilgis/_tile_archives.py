"""Reading tile archives: MBTiles and PMTiles files, checked for what a basemap needs.

:func:`inspect_archive` opens an archive and returns what the registry keeps (kind,
format, bounds, zooms, name, attribution) or raises one bilingual error naming the file and
the field at fault: not an archive, corrupt, no tiles, unknown format, bad zooms or bounds,
bounds that miss Guizhou. :func:`read_archive_tile` reads one tile of a stored archive
(``fossilgis._tile_checks.tile_headers`` gives its Content-Type and Content-Encoding).
Folders of XYZ tiles are read by :mod:`fossilgis._xyz_tiles`, which makes MBTiles of them.

MBTiles rows are TMS (row 0 at the south); everything here speaks XYZ (row 0 at the north,
as Leaflet asks) and flips the row when it reads the ``tiles`` table.
"""

from __future__ import annotations

import functools
import sqlite3
import zlib
from pathlib import Path

from fossilgis import _pmtiles
from fossilgis._tile_checks import (
    RASTER_FORMATS,
    VECTOR_FORMATS,
    check_bounds,
    check_zooms,
    normal_format,
    plain_text,
    problem,
    sniff,
    tiles_bounds,
)
from fossilgis.errors import InputFileError, UnsupportedFormatError

SQLITE_MAGIC = b"SQLite format 3\x00"


# -- MBTiles -------------------------------------------------------------------------------
def connect_ro(path, *, immutable: bool = True) -> sqlite3.Connection:
    """A read-only connection to ``path``. ``immutable``: the file never changes (the
    stored copies: no locks, no journal); a user's file may be in WAL mode with content
    still in its ``-wal`` file, which only a non-immutable connection reads."""
    uri = Path(path).resolve().as_uri() + ("?mode=ro&immutable=1" if immutable else "?mode=ro")
    return sqlite3.connect(uri, uri=True, check_same_thread=False)


def _metadata(con, where) -> dict:
    try:
        rows = con.execute("SELECT name, value FROM metadata").fetchall()
    except sqlite3.OperationalError:
        return {}  # tolerated: everything is read from the tiles then
    return {str(k).strip().lower(): v for k, v in rows if k is not None and v is not None}


def _mbtiles_facts(con, where, meta: dict, warnings: list) -> dict:
    try:
        first = con.execute(
            "SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles "
            "WHERE tile_data IS NOT NULL AND length(tile_data) > 0 LIMIT 1"
        ).fetchone()
    except sqlite3.OperationalError as exc:
        raise problem(
            where,
            "tiles",
            f"没有可读的 tiles 表（{exc}）",
            "no readable 'tiles' table or view with zoom_level, tile_column, tile_row, "
            f"tile_data ({exc}); this is not an MBTiles file",
        ) from None
    if first is None:
        raise problem(where, "tiles", "没有瓦片", "the archive holds no tiles")
    found = sniff(bytes(first[3]))
    if "format" in meta:
        fmt = normal_format(meta["format"], where, "metadata.format")
        if found and found != fmt and (fmt in VECTOR_FORMATS) != (found in VECTOR_FORMATS):
            raise problem(
                where,
                "metadata.format",
                f"声明为 {fmt}，但瓦片 {first[0]}/{first[1]}/{first[2]} 是 {found}",
                f"says {fmt} but tile {first[0]}/{first[1]}/{first[2]} (TMS) is {found}",
            )
        if found and found != fmt:
            warnings.append(f"metadata.format says {fmt}, a tile is {found}: served as found")
    elif found:
        fmt = found
        warnings.append(f"no metadata.format: {fmt} read from the tiles")
    else:
        raise problem(
            where,
            "metadata.format",
            "缺少格式，且无法从瓦片识别",
            "missing, and the tiles are no PNG, JPEG, WebP, AVIF or gzipped vector tiles; "
            "set metadata 'format'",
            UnsupportedFormatError,
        )
    lo, hi = con.execute("SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles").fetchone()
    tiles_zooms = check_zooms(lo, hi, where, "tiles.zoom_level")
    if "minzoom" in meta and "maxzoom" in meta:
        zooms = check_zooms(meta["minzoom"], meta["maxzoom"], where, "metadata.minzoom/maxzoom")
        if zooms[1] < tiles_zooms[0] or zooms[0] > tiles_zooms[1]:
            raise problem(
                where,
                "metadata.minzoom/maxzoom",
                f"{zooms[0]}–{zooms[1]} 与瓦片的级别 {lo}–{hi} 不重叠",
                f"{zooms[0]}–{zooms[1]} do not overlap the tiles' zoom levels {lo}–{hi}",
            )
    else:
        zooms = tiles_zooms
        warnings.append(f"no metadata minzoom/maxzoom: {lo}–{hi} read from the tiles")
    if "bounds" in meta:
        bounds = check_bounds(meta["bounds"], where, "metadata.bounds")
    else:
        z = tiles_zooms[1]
        x0, x1, r0, r1 = con.execute(
            "SELECT MIN(tile_column), MAX(tile_column), MIN(tile_row), MAX(tile_row) "
            "FROM tiles WHERE zoom_level = ?",
            (z,),
        ).fetchone()
        n = 1 << z
        rows = (max(n - 1 - r1, 0), min(n - 1 - r0, n - 1))  # TMS rows -> XYZ
        box = tiles_bounds(z, max(x0, 0), min(x1, n - 1), *rows)
        bounds = check_bounds(box, where, f"tiles (bounds read from zoom {z})")
        warnings.append(f"no metadata.bounds: read from the tiles at zoom {z}")
    return {"format": fmt, "minzoom": zooms[0], "maxzoom": zooms[1], "bounds": bounds}


def not_sqlite(where) -> InputFileError:
    return problem(
        where,
        None,
        "不是 SQLite/MBTiles 文件（或已损坏）",
        "not an SQLite database: the file is corrupt or not an MBTiles archive",
    )


def inspect_mbtiles(path, where, *, check_integrity: bool = True) -> dict:
    """What an MBTiles file holds (see :func:`inspect_archive`)."""
    with open(path, "rb") as fh:
        if fh.read(16) != SQLITE_MAGIC:
            raise not_sqlite(where)
    warnings: list[str] = []
    try:
        con = connect_ro(path)
        try:
            if check_integrity:
                verdict = con.execute("PRAGMA quick_check(1)").fetchone()[0]
                if verdict != "ok":
                    raise problem(where, None, f"文件已损坏（{verdict}）", f"corrupt: {verdict}")
            meta = _metadata(con, where)
            facts = _mbtiles_facts(con, where, meta, warnings)
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise problem(where, None, f"文件已损坏（{exc}）", f"corrupt SQLite file: {exc}") from None
    return {
        **facts,
        "name": plain_text(meta.get("name"), 100),
        "attribution": plain_text(meta.get("attribution")),
        "description": plain_text(meta.get("description")),
        "warnings": warnings,
    }


def copy_mbtiles(src, dest, where) -> None:
    """Copy the SQLite file ``src`` to ``dest`` page by page (a consistent copy, WAL
    content included), in rollback-journal mode so it can be read without writing."""
    try:
        source = connect_ro(src, immutable=False)
        target = sqlite3.connect(dest)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
            source.close()
    except sqlite3.DatabaseError as exc:
        raise problem(where, None, f"文件已损坏（{exc}）", f"corrupt SQLite file: {exc}") from None


# -- PMTiles -------------------------------------------------------------------------------
def inspect_pmtiles(path, where) -> dict:
    """What a PMTiles v3 file holds (see :func:`inspect_archive`)."""
    size = Path(path).stat().st_size
    try:
        with open(path, "rb") as fh:
            header = _pmtiles.parse_header(fh.read(_pmtiles.HEADER_BYTES))
            for label, offset, length in (
                ("root directory", header.root_offset, header.root_length),
                ("metadata", header.metadata_offset, header.metadata_length),
                ("leaf directories", header.leaf_offset, header.leaf_length),
                ("tile data", header.data_offset, header.data_length),
            ):
                if offset + length > size:
                    raise ValueError(f"the {label} ends after the end of the file (truncated?)")
            for field in ("internal_compression", "tile_compression"):
                code = getattr(header, field)
                if code not in (0, 1, 2):
                    name = _pmtiles.COMPRESSIONS.get(code, str(code))
                    raise problem(
                        where,
                        f"header.{field}",
                        f"不支持 {name} 压缩",
                        f"{name} compression is not read; convert the archive with gzip "
                        "compression (e.g. `pmtiles convert`) or as MBTiles",
                        UnsupportedFormatError,
                    )
            fh.seek(header.root_offset)
            root = _pmtiles.parse_directory(
                fh.read(header.root_length), header.internal_compression
            )
            meta = _pmtiles.read_metadata(fh, header)
            sample = _pmtiles.read_tile_id(fh, header, root, root[0][0])
    except (ValueError, OSError, EOFError, zlib.error) as exc:
        if isinstance(exc, InputFileError):
            raise
        zh = f"文件已损坏或不是 PMTiles v3（{exc}）"
        raise problem(where, None, zh, f"corrupt or not PMTiles v3: {exc}") from None
    fmt = _pmtiles.TILE_TYPES.get(header.tile_type)
    if fmt is None:
        raise problem(
            where,
            "header.tile_type",
            f"未知的瓦片类型 {header.tile_type}",
            f"unknown tile type {header.tile_type}; expected MVT, PNG, JPEG, WebP or AVIF",
            UnsupportedFormatError,
        )
    if not sample:
        raise problem(where, "root directory", "没有瓦片", "the archive holds no tiles")
    found = sniff(sample)
    if (fmt in RASTER_FORMATS) != (found in RASTER_FORMATS):  # raw vector tiles sniff None
        raise problem(
            where,
            "header.tile_type",
            f"声明为 {fmt}，但瓦片是 {found or '未知格式'}",
            f"says {fmt} but a tile is {found or 'of an unknown format'}",
        )
    zooms = check_zooms(header.min_zoom, header.max_zoom, where, "header.min_zoom/max_zoom")
    return {
        "format": fmt,
        "minzoom": zooms[0],
        "maxzoom": zooms[1],
        "bounds": check_bounds(header.bounds, where, "header bounds"),
        "name": plain_text(meta.get("name"), 100),
        "attribution": plain_text(meta.get("attribution")),
        "description": plain_text(meta.get("description")),
        "warnings": [],
    }


@functools.lru_cache(maxsize=32)
def _pmtiles_index(path: str, version: tuple):
    """Header, root directory and a leaf cache of a stored archive, per file version
    (inode, mtime, size: a replaced archive is a new file)."""
    with open(path, "rb") as fh:
        header = _pmtiles.parse_header(fh.read(_pmtiles.HEADER_BYTES))
        fh.seek(header.root_offset)
        root = _pmtiles.parse_directory(fh.read(header.root_length), header.internal_compression)
    return header, root, {}


def read_archive_tile(path: Path, container: str, z: int, x: int, y: int) -> bytes | None:
    """The bytes of XYZ tile z/x/y of the stored archive at ``path``, else None.

    Raises OSError, ValueError or sqlite3.Error when the stored file cannot be read.
    """
    if container == "pmtiles":
        stat = path.stat()
        version = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        header, root, leaves = _pmtiles_index(str(path), version)
        if len(leaves) > 1024:  # bounded: the busiest leaves come back at once
            leaves.clear()
        with open(path, "rb") as fh:
            return _pmtiles.read_tile(fh, header, root, z, x, y, leaves)
    con = connect_ro(path)
    try:
        row = con.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
            (z, x, (1 << z) - 1 - y),
        ).fetchone()
    finally:
        con.close()
    return bytes(row[0]) if row and row[0] else None


def inspect_archive(path, container: str, where) -> dict:
    """Check the archive at ``path`` and say what it holds.

    Returns
    -------
    dict
        ``kind`` (raster | vector), ``format`` (png, jpg, webp, avif, pbf), ``bounds``
        ([west, south, east, north] degrees), ``minzoom``, ``maxzoom``, ``name``,
        ``attribution``, ``description`` (plain text, maybe empty) and ``warnings``.

    Raises
    ------
    InputFileError
        Named for ``where``: corrupt, no tiles, bad zooms or bounds; its subclasses
        UnsupportedFormatError (unknown format or compression) and OutsideProvinceError.
    """
    info = inspect_pmtiles(path, where) if container == "pmtiles" else inspect_mbtiles(path, where)
    info["kind"] = "vector" if info["format"] in VECTOR_FORMATS else "raster"
    return info
