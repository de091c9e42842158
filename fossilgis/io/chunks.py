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


def iter_footprint_chunks(path, *, chunk_size: int, crs=None, layer=None,
                          encoding=None) -> Iterator[ReadResult]:
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
    for start in range(0, total, chunk_size):
        token = FEATURE_WINDOW.set((start, chunk_size))
        try:
            results = read_footprints(path, crs=crs, layer=layer, encoding=encoding)
        finally:
            FEATURE_WINDOW.reset(token)
        for res in results:
            res.gdf.index = res.gdf.index + start
            res.repaired = [int(i) + start for i in res.repaired]
            yield res
