"""Reading a very large footprint layer in windows of features, for bounded memory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from fossilgis.io._ogr import FEATURE_WINDOW
from fossilgis.io.read import ReadResult, read_footprints

#: kinds whose layers GDAL can read in windows without loading the whole file
STREAMABLE_SUFFIXES = (".gpkg", ".shp", ".fgb")


def feature_count(path, layer: str | None = None) -> int | None:
    """Number of features of a streamable single-layer file, else None."""
    import pyogrio

    p = Path(path)
    if p.suffix.lower() not in STREAMABLE_SUFFIXES:
        return None
    try:
        layers = pyogrio.list_layers(p)
        if layer is None and len(layers) != 1:
            return None
        return int(pyogrio.read_info(p, layer=layer)["features"])
    except Exception:  # the full reader will report what is wrong with the file
        return None


def _gpkg_key_range(path: Path, table: str):
    """(primary-key column, min, max, row count) of a GeoPackage table, read with SQLite."""
    import sqlite3

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        cols = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
        pk = next((c[1] for c in cols if c[5] == 1 and c[2].upper() == "INTEGER"), None)
        if pk is None:
            return None, 0, -1, 0
        lo, hi, count = conn.execute(
            f'SELECT min("{pk}"), max("{pk}"), count(*) FROM "{table}"'
        ).fetchone()
        return pk, int(lo), int(hi), int(count)
    except sqlite3.Error:
        return None, 0, -1, 0
    finally:
        conn.close()


def _windows(path: Path, layer, total: int, chunk_size: int):
    """(first feature number, pyogrio arguments) for each window of ``chunk_size``.

    A GeoPackage is windowed by ranges of its integer primary key, which SQLite seeks to
    directly; skipping features would read through every earlier one again for each
    window. Other kinds skip by feature number (a shapefile seeks through its .shx).
    """
    import numpy as np
    import pyogrio

    if path.suffix.lower() == ".gpkg":
        name = layer or pyogrio.list_layers(path)[0][0]
        pk, lo, hi, count = _gpkg_key_range(path, name)
        if pk is not None and count == total and hi - lo + 1 == count:
            # contiguous keys (the usual case): windows by arithmetic, no list to read
            for start in range(0, total, chunk_size):
                a, b = lo + start, lo + min(start + chunk_size, total) - 1
                yield start, {"where": f'"{pk}" >= {a} AND "{pk}" <= {b}'}
            return
        fids = pyogrio.read_dataframe(
            path, layer=layer, read_geometry=False, columns=[], fid_as_index=True
        ).index.to_numpy()
        fids = np.sort(fids)
        for start in range(0, total, chunk_size):
            a, b = fids[start], fids[min(start + chunk_size, total) - 1]
            yield start, {"where": f"fid >= {int(a)} AND fid <= {int(b)}"}
    else:
        for start in range(0, total, chunk_size):
            yield start, {"skip_features": start, "max_features": chunk_size}


def iter_footprint_chunks(
    path, *, chunk_size: int, crs=None, layer=None, encoding=None
) -> Iterator[ReadResult]:
    """Yield the footprints of ``path`` ``chunk_size`` features at a time.

    Each chunk goes through the full reading pipeline of :func:`read_footprints`
    (encoding, CRS, repair, checks) and keeps the feature numbers of the whole file as
    its index, so results can be merged. Files that cannot be read in windows are read
    whole, as one chunk.
    """
    total = feature_count(path, layer)
    if total is None or total <= chunk_size:
        yield from read_footprints(path, crs=crs, layer=layer, encoding=encoding)
        return
    _check_whole_shapefile(Path(path), total)
    for start, window in _windows(Path(path), layer, total, chunk_size):
        token = FEATURE_WINDOW.set(window)
        try:
            results = read_footprints(path, crs=crs, layer=layer, encoding=encoding)
        finally:
            FEATURE_WINDOW.reset(token)
        for res in results:
            res.gdf.index = res.gdf.index + start
            res.repaired = [int(i) + start for i in res.repaired]
            yield res


def _check_whole_shapefile(path: Path, total: int) -> None:
    """Check a shapefile's .shp/.shx/.dbf record counts once, before it is read in windows.

    A window reads only its own features, so the check that a whole read makes (a .dbf or
    .shx with fewer records than the .shp screens only part of the project) runs here; the
    ``features`` limit is the streaming one, checked per window.
    """
    from dataclasses import replace

    from fossilgis.io._ogr import _sibling
    from fossilgis.io._shapefile_checks import check_shapefile
    from fossilgis.io.limits import current_limits, use_limits

    shx = _sibling(path, ".shx") if path.suffix.lower() == ".shp" else None
    if shx is None:
        return  # not a shapefile, or the window reader reports the missing .shx
    limits = current_limits()
    with use_limits(replace(limits, features=max(limits.features, total))):
        check_shapefile(path, shx, _sibling(path, ".dbf"), path.name)


def read_footprints_in_bbox(path, bbox, *, crs=None, layer=None, encoding=None) -> list:
    """The footprints of ``path`` whose envelope meets ``bbox`` (the file's own coordinates),
    through the full reading pipeline; an empty list when none does."""
    import pyogrio

    bbox = tuple(float(v) for v in bbox)
    fids = pyogrio.raw.read(
        path, layer=layer, bbox=bbox, columns=[], read_geometry=False, return_fids=True
    )[1]
    if not len(fids):
        return []
    token = FEATURE_WINDOW.set({"bbox": bbox})
    try:
        return read_footprints(path, crs=crs, layer=layer, encoding=encoding)
    finally:
        FEATURE_WINDOW.reset(token)
