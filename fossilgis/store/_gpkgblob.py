"""GeoPackage geometry blobs (GPKG spec §2.1.3) and the SQL functions GDAL's triggers call.

The store writes rows with the standard library's sqlite3 so that each write is one real
transaction. GeoPackages created by GDAL carry R-tree triggers that call ``ST_IsEmpty``,
``ST_MinX`` and friends; :func:`register_functions` provides them on a plain connection.
"""

from __future__ import annotations

import struct

import shapely

_ENVELOPE_SIZES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def encode(geom, srs_id: int = 4490) -> bytes | None:
    """GeoPackage blob (little-endian, xy envelope) for a shapely geometry, None for None."""
    if geom is None:
        return None
    if geom.is_empty:
        header = b"GP" + bytes([0, 0b00010001]) + struct.pack("<i", srs_id)
        return header + shapely.to_wkb(geom, byte_order=1)
    minx, miny, maxx, maxy = geom.bounds
    header = b"GP" + bytes([0, 0b00000011]) + struct.pack("<i", srs_id)
    return (
        header
        + struct.pack("<4d", minx, maxx, miny, maxy)
        + shapely.to_wkb(geom, byte_order=1, output_dimension=2)
    )


def encode_many(geoms, srs_id: int = 4490) -> list:
    """:func:`encode` of each geometry, the WKB and bounds computed in vectorised calls."""
    import numpy as np

    geoms = np.asarray(geoms, dtype=object)
    out: list = [None] * len(geoms)
    present = np.flatnonzero(~shapely.is_missing(geoms))
    if not len(present):
        return out
    sub = geoms[present]
    empty = shapely.is_empty(sub)
    wkbs = shapely.to_wkb(sub, byte_order=1, output_dimension=2)
    bounds = shapely.bounds(sub)
    full = b"GP" + bytes([0, 0b00000011]) + struct.pack("<i", srs_id)
    for k, i in enumerate(present.tolist()):
        if empty[k]:
            out[i] = encode(sub[k], srs_id)
        else:
            minx, miny, maxx, maxy = bounds[k]
            out[i] = full + struct.pack("<4d", minx, maxx, miny, maxy) + wkbs[k]
    return out


def wkb_offset(blob: bytes) -> int:
    flags = blob[3]
    return 8 + _ENVELOPE_SIZES[(flags >> 1) & 0b111]


def decode_many(blobs) -> list:
    """Shapely geometries for a sequence of GeoPackage blobs (None stays None)."""
    wkbs = [None if b is None else bytes(b)[wkb_offset(b) :] for b in blobs]
    return list(shapely.from_wkb(wkbs))


def _envelope(blob):
    if blob is None:
        return None
    flags = blob[3]
    code = (flags >> 1) & 0b111
    order = "<" if flags & 1 else ">"
    if code:
        minx, maxx, miny, maxy = struct.unpack(order + "4d", blob[8:40])
        return minx, miny, maxx, maxy
    geom = shapely.from_wkb(bytes(blob)[wkb_offset(blob) :])
    return None if geom.is_empty else geom.bounds


def _is_empty(blob):
    if blob is None:
        return 1
    return 1 if blob[3] & 0b00010000 else 0


def register_functions(conn) -> None:
    """Provide the spatial SQL functions that GDAL's R-tree triggers expect."""
    conn.create_function("ST_IsEmpty", 1, _is_empty, deterministic=True)
    for name, i in (("ST_MinX", 0), ("ST_MinY", 1), ("ST_MaxX", 2), ("ST_MaxY", 3)):
        conn.create_function(
            name,
            1,
            lambda b, i=i: None if (e := _envelope(b)) is None else e[i],
            deterministic=True,
        )
    # GDAL >= 3.x may also reference GPKG_IsAssignable in triggers of some tables
    conn.create_function("GPKG_IsAssignable", 2, lambda a, b: 1, deterministic=True)
