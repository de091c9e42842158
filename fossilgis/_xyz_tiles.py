"""Folders of XYZ tiles (``{z}/{x}/{y}.png|jpg|webp|pbf``) read into an MBTiles file.

A basemap is kept as one file, so a folder is imported by writing its tiles into a new
MBTiles archive (rows flipped to TMS), with metadata read from the tiles themselves (zooms,
bounds, format) and from a ``metadata.json`` beside them when there is one (``name``,
``attribution``, ``description``: the file tippecanoe and gdal2tiles-like tools write).
The archive is then checked like any imported MBTiles.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from pathlib import Path

from fossilgis._tile_checks import (
    MAX_ZOOM,
    RASTER_FORMATS,
    normal_format,
    plain_text,
    problem,
    sniff,
    tiles_bounds,
)

_NUMBER = re.compile(r"\d{1,8}")
_TILE = re.compile(r"(\d{1,8})\.(png|jpg|jpeg|webp|avif|pbf|mvt)", re.IGNORECASE)
#: tiles written to SQLite per ``executemany``
_BATCH = 500


def scan_xyz(folder: Path, where: str) -> tuple[list, str, list[str]]:
    """The tiles of ``folder``: ``([(z, x, y, path), ...], format, warnings)``.

    Raises InputFileError when the folder holds no tile, or tiles of several formats.
    """
    tiles, formats, skipped = [], {}, 0
    for zdir in sorted(folder.iterdir()):
        if not (zdir.is_dir() and _NUMBER.fullmatch(zdir.name)) or int(zdir.name) > MAX_ZOOM:
            skipped += zdir.name != "metadata.json"
            continue
        z = int(zdir.name)
        for xdir in sorted(zdir.iterdir()):
            if not (xdir.is_dir() and _NUMBER.fullmatch(xdir.name)) or int(xdir.name) >> z:
                skipped += 1
                continue
            for tile in sorted(xdir.iterdir()):
                m = _TILE.fullmatch(tile.name)
                if not (m and tile.is_file()) or int(m.group(1)) >> z:
                    skipped += 1
                    continue
                fmt = normal_format(m.group(2), where, f"{z}/{xdir.name}/{tile.name}")
                formats.setdefault(fmt, f"{z}/{xdir.name}/{tile.name}")
                tiles.append((z, int(xdir.name), int(m.group(1)), tile))
    if not tiles:
        raise problem(
            where,
            None,
            "没有 {z}/{x}/{y}.png|jpg|webp|pbf 形式的瓦片",
            "no tiles named {z}/{x}/{y}.png|jpg|webp|pbf in this folder",
        )
    if len(formats) > 1:
        found = ", ".join(f"{fmt} ({example})" for fmt, example in formats.items())
        raise problem(
            where,
            None,
            f"瓦片格式不一致：{found}",
            f"tiles of several formats: {found}; a basemap holds one format",
        )
    warnings = (
        [f"{skipped} entries that are not {{z}}/{{x}}/{{y}} tiles ignored"] if skipped else []
    )
    return tiles, next(iter(formats)), warnings


def _folder_metadata(folder: Path, where: str) -> dict:
    path = folder / "metadata.json"
    if not path.is_file():
        return {}
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise problem(
            where, "metadata.json", f"无法读取（{exc}）", f"cannot be read as JSON: {exc}"
        ) from None
    if not isinstance(meta, dict):
        raise problem(where, "metadata.json", "不是 JSON 对象", "is not a JSON object")
    return {k: plain_text(meta.get(k)) for k in ("name", "attribution", "description")}


def xyz_to_mbtiles(folder: Path, dest: Path, where: str) -> list[str]:
    """Write the tiles of ``folder`` into a new MBTiles file ``dest``; return warnings.

    Raster tiles whose bytes are not an image of their extension (an error page saved by a
    downloader, a truncated file) are refused, naming the file; empty files are skipped.
    """
    tiles, fmt, warnings = scan_xyz(folder, where)
    meta = _folder_metadata(folder, where)
    zmax = max(t[0] for t in tiles)
    top = [t for t in tiles if t[0] == zmax]
    bounds = tiles_bounds(
        zmax,
        min(t[1] for t in top),
        max(t[1] for t in top),
        min(t[2] for t in top),
        max(t[2] for t in top),
    )
    empty = []

    def rows():
        for z, x, y, path in tiles:
            data = path.read_bytes()
            if not data:
                empty.append(path)
                continue
            if fmt in RASTER_FORMATS and sniff(data) not in RASTER_FORMATS:
                name = os.path.relpath(path, folder)
                raise problem(
                    where,
                    name,
                    f"不是 {fmt} 图像",
                    f"is not a {fmt} image (a saved error page or a truncated file?)",
                )
            yield z, x, y, data

    metadata = {
        "format": fmt,
        "bounds": ",".join(f"{v:.7f}" for v in bounds),
        "minzoom": str(min(t[0] for t in tiles)),
        "maxzoom": str(zmax),
        **{k: v for k, v in meta.items() if v},
    }
    write_mbtiles(dest, metadata, rows())
    if empty:
        warnings.append(f"{len(empty)} empty tile files skipped")
    return warnings


def write_mbtiles(dest, metadata: dict, tiles) -> int:
    """Write a new MBTiles file ``dest``: ``metadata`` ({name: text}) and ``tiles``, an
    iterable of ``(z, x, y, bytes)`` in the XYZ scheme (rows are flipped to TMS here).
    Returns the number of tiles written."""
    con = sqlite3.connect(dest)
    count = 0
    try:
        con.executescript(
            "CREATE TABLE metadata (name TEXT, value TEXT);"
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER,"
            " tile_data BLOB);"
            "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);"
        )
        con.executemany("INSERT INTO metadata VALUES (?, ?)", list(metadata.items()))
        batch = []
        for z, x, y, data in tiles:
            batch.append((z, x, (1 << z) - 1 - y, data))
            if len(batch) >= _BATCH:
                con.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", batch)
                count += len(batch)
                batch.clear()
        con.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", batch)
        con.commit()
        return count + len(batch)
    finally:
        con.close()
