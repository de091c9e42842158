"""Reading users' files (footprints and registry layers) into CGCS2000 GeoDataFrames."""

from fossilgis.io._archive import MAX_COMPRESSION_RATIO, MAX_UNCOMPRESSED_BYTES
from fossilgis.io.limits import DEFAULT_LIMITS, WEB_LIMITS, ReadLimits, use_limits
from fossilgis.io.read import (
    SUPPORTED_SUFFIXES,
    ReadResult,
    read_footprints,
    read_vector,
)

__all__ = [
    "DEFAULT_LIMITS",
    "MAX_COMPRESSION_RATIO",
    "MAX_UNCOMPRESSED_BYTES",
    "SUPPORTED_SUFFIXES",
    "WEB_LIMITS",
    "ReadLimits",
    "ReadResult",
    "read_footprints",
    "read_vector",
    "use_limits",
]
