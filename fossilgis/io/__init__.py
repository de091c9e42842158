"""Reading users' files (footprints and registry layers) into CGCS2000 GeoDataFrames."""

from fossilgis.io._archive import MAX_COMPRESSION_RATIO, MAX_UNCOMPRESSED_BYTES
from fossilgis.io.read import (
    SUPPORTED_SUFFIXES,
    ReadResult,
    read_footprints,
    read_vector,
)

__all__ = [
    "MAX_COMPRESSION_RATIO",
    "MAX_UNCOMPRESSED_BYTES",
    "SUPPORTED_SUFFIXES",
    "ReadResult",
    "read_footprints",
    "read_vector",
]
