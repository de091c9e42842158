"""A minimal PMTiles v3 reader and writer (header, directories, tiles), standard library only.

The format is the one of the PMTiles v3 specification (github.com/protomaps/PMTiles,
``spec/v3/spec.md``): a 127-byte little-endian header, a root directory, JSON metadata,
optional leaf directories and the tile data. Tiles are addressed by a Hilbert tile id;
directories are varint-encoded columns (tile ids as deltas, run lengths, lengths, offsets)
compressed as the header's internal compression says. Only what fossilgis needs is here:
reading one tile of a local file, and writing a small archive (the sample basemap, tests)
with one root directory. Gzip and no compression are read; brotli and zstd are refused
with a message (the standard library has neither).

Errors are ``ValueError`` with a short English reason; :mod:`fossilgis._tile_archives`
turns them into the bilingual messages users see.
"""

from __future__ import annotations

import gzip
import json
import struct
from dataclasses import dataclass

MAGIC = b"PMTiles"
HEADER_BYTES = 127
#: the root directory must lie within the first 16 KiB (header included)
ROOT_LIMIT = 16_384
#: tile type code -> fossilgis format name
TILE_TYPES = {1: "pbf", 2: "png", 3: "jpg", 4: "webp", 5: "avif"}
COMPRESSIONS = {0: "unknown", 1: "none", 2: "gzip", 3: "brotli", 4: "zstd"}
#: how deep leaf directories may nest before the file is called corrupt
MAX_DEPTH = 4

_HEADER = struct.Struct("<7sB11QBBBBBBiiiiBii")


@dataclass(frozen=True)
class Header:
    root_offset: int
    root_length: int
    metadata_offset: int
    metadata_length: int
    leaf_offset: int
    leaf_length: int
    data_offset: int
    data_length: int
    addressed_tiles: int
    tile_entries: int
    tile_contents: int
    clustered: bool
    internal_compression: int
    tile_compression: int
    tile_type: int
    min_zoom: int
    max_zoom: int
    #: (west, south, east, north) in degrees
    bounds: tuple[float, float, float, float]
    center_zoom: int
    center: tuple[float, float]


def parse_header(data: bytes) -> Header:
    """The header of a PMTiles v3 file from its first 127 bytes (ValueError when not one)."""
    if len(data) < HEADER_BYTES or not data.startswith(MAGIC):
        if data[:2] == b"PM":
            raise ValueError("PMTiles version 1 or 2; only version 3 is read")
        raise ValueError("no PMTiles header (the file does not start with 'PMTiles')")
    f = _HEADER.unpack(data[:HEADER_BYTES])
    if f[1] != 3:
        raise ValueError(f"PMTiles spec version {f[1]}; only version 3 is read")
    return Header(
        *f[2:13],
        clustered=bool(f[13]),
        internal_compression=f[14],
        tile_compression=f[15],
        tile_type=f[16],
        min_zoom=f[17],
        max_zoom=f[18],
        bounds=(f[19] / 1e7, f[20] / 1e7, f[21] / 1e7, f[22] / 1e7),
        center_zoom=f[23],
        center=(f[24] / 1e7, f[25] / 1e7),
    )


def zxy_to_tile_id(z: int, x: int, y: int) -> int:
    """The Hilbert tile id of tile z/x/y (XYZ scheme, y down)."""
    n = 1 << z
    if not (0 <= x < n and 0 <= y < n):
        raise ValueError(f"tile {z}/{x}/{y} is outside zoom {z}")
    acc = (n * n - 1) // 3  # tiles of all lower zooms: (4^z - 1) / 3
    s = n >> 1
    while s > 0:
        rx = 1 if x & s else 0
        ry = 1 if y & s else 0
        acc += s * s * ((3 * rx) ^ ry)
        if ry == 0:  # rotate the quadrant
            if rx == 1:
                x, y = n - 1 - x, n - 1 - y
            x, y = y, x
        s >>= 1
    return acc


def _decompress(data: bytes, compression: int) -> bytes:
    if compression in (0, 1):  # unknown is read as none, as the reference readers do
        return data
    if compression == 2:
        return gzip.decompress(data)
    raise ValueError(f"{COMPRESSIONS.get(compression, compression)} compression is not read")


def _varints(data: bytes):
    value = shift = 0
    for byte in data:
        value |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
            if shift > 63:
                raise ValueError("a varint is longer than 64 bits")
        else:
            yield value
            value = shift = 0
    if shift:
        raise ValueError("the directory ends inside a varint")


def parse_directory(data: bytes, compression: int) -> list[tuple[int, int, int, int]]:
    """Directory entries ``(tile_id, offset, length, run_length)`` sorted by tile id."""
    numbers = _varints(_decompress(data, compression))
    try:
        count = next(numbers)
        if not 0 < count <= 10_000_000:
            raise ValueError(f"a directory of {count} entries")
        ids, runs, lengths, offsets = ([next(numbers) for _ in range(count)] for _ in range(4))
    except StopIteration:
        raise ValueError("a directory ends before its entries") from None
    entries, tile_id = [], 0
    for i in range(count):
        tile_id += ids[i]
        offset = offsets[i] - 1
        if offsets[i] == 0:
            if i == 0:
                raise ValueError("the first directory entry has no offset")
            _, prev_offset, prev_length, _ = entries[-1]
            offset = prev_offset + prev_length
        if lengths[i] == 0:
            raise ValueError("a directory entry of length 0")
        entries.append((tile_id, offset, lengths[i], runs[i]))
    return entries


def find_entry(entries, tile_id: int):
    """The entry holding ``tile_id`` (a tile run or a leaf directory), else None."""
    lo, hi = 0, len(entries) - 1
    while lo <= hi:
        mid = (lo + hi) >> 1
        found = entries[mid][0]
        if found < tile_id:
            lo = mid + 1
        elif found > tile_id:
            hi = mid - 1
        else:
            return entries[mid]
    if hi >= 0:  # the entry before: a leaf (run 0) or a run reaching tile_id
        entry = entries[hi]
        if entry[3] == 0 or tile_id - entry[0] < entry[3]:
            return entry
    return None


def read_metadata(fh, header: Header) -> dict:
    """The JSON metadata of an open archive ({} when empty)."""
    if not header.metadata_length:
        return {}
    fh.seek(header.metadata_offset)
    raw = _decompress(fh.read(header.metadata_length), header.internal_compression)
    value = json.loads(raw.decode("utf-8"))
    if not isinstance(value, dict):
        raise ValueError("the JSON metadata is not an object")
    return value


def read_tile(fh, header: Header, root: list, z: int, x: int, y: int, leaf_cache=None):
    """The stored bytes of tile z/x/y (still compressed as the header says), else None.

    ``root`` is the parsed root directory; ``leaf_cache`` (a dict, optional) keeps parsed
    leaf directories by offset between calls.
    """
    return read_tile_id(fh, header, root, zxy_to_tile_id(z, x, y), leaf_cache)


def read_tile_id(fh, header: Header, root: list, tile_id: int, leaf_cache=None):
    """The stored bytes of the tile of Hilbert id ``tile_id``, else None."""
    entries = root
    for _ in range(MAX_DEPTH):
        entry = find_entry(entries, tile_id)
        if entry is None:
            return None
        _, offset, length, run = entry
        if run > 0:
            fh.seek(header.data_offset + offset)
            data = fh.read(length)
            if len(data) != length:
                raise ValueError("a tile lies beyond the end of the file")
            return data
        key = (header.leaf_offset + offset, length)
        entries = None if leaf_cache is None else leaf_cache.get(key)
        if entries is None:
            fh.seek(key[0])
            entries = parse_directory(fh.read(length), header.internal_compression)
            if leaf_cache is not None:
                leaf_cache[key] = entries
    raise ValueError(f"leaf directories nest deeper than {MAX_DEPTH}")


# -- writing: one root directory, tiles in tile-id order (enough for small archives) --------
def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _directory(entries) -> bytes:
    out = [_varint(len(entries))]
    last = 0
    for tile_id, *_ in entries:
        out.append(_varint(tile_id - last))
        last = tile_id
    out += [_varint(e[3]) for e in entries]
    out += [_varint(e[2]) for e in entries]
    for i, (_, offset, _length, _run) in enumerate(entries):
        contiguous = i > 0 and offset == entries[i - 1][1] + entries[i - 1][2]
        out.append(_varint(0 if contiguous else offset + 1))
    return gzip.compress(b"".join(out), mtime=0)


def write_pmtiles(fh, tiles: dict, *, tile_type: str, metadata: dict, bounds, gzip_tiles=False):
    """Write a PMTiles v3 archive of ``tiles`` ({(z, x, y): bytes}) to the binary ``fh``.

    ``tile_type`` is a format of :data:`TILE_TYPES` (``png``, ``pbf``, ...), ``bounds``
    (west, south, east, north) in degrees; ``gzip_tiles`` says the tile bytes are gzipped
    (as vector tiles usually are). Identical tiles are stored once. Raises ValueError when
    the root directory would not fit in the first 16 KiB (too many tiles for this writer).
    """
    if not tiles:
        raise ValueError("no tiles to write")
    type_code = {v: k for k, v in TILE_TYPES.items()}[tile_type]
    blobs, entries, data = {}, [], bytearray()
    for tile_id, tile in sorted((zxy_to_tile_id(*k), v) for k, v in tiles.items()):
        if tile not in blobs:
            blobs[tile] = len(data)
            data += tile
        offset = blobs[tile]
        last = entries[-1] if entries else None
        if last and last[0] + last[3] == tile_id and last[1] == offset:
            entries[-1] = (last[0], last[1], last[2], last[3] + 1)  # a run of equal tiles
        else:
            entries.append((tile_id, offset, len(tile), 1))
    root = _directory(entries)
    if HEADER_BYTES + len(root) > ROOT_LIMIT:
        raise ValueError("too many tiles for one root directory")
    meta = gzip.compress(json.dumps(metadata, ensure_ascii=False).encode("utf-8"), mtime=0)
    zooms = [k[0] for k in tiles]
    meta_at = HEADER_BYTES + len(root)
    data_at = meta_at + len(meta)
    west, south, east, north = bounds
    fh.write(
        _HEADER.pack(
            MAGIC,
            3,
            HEADER_BYTES,
            len(root),
            meta_at,
            len(meta),
            data_at,
            0,
            data_at,
            len(data),
            len(tiles),
            len(entries),
            len(blobs),
            1,
            2,
            2 if gzip_tiles else 1,
            type_code,
            min(zooms),
            max(zooms),
            round(west * 1e7),
            round(south * 1e7),
            round(east * 1e7),
            round(north * 1e7),
            min(zooms),
            round((west + east) / 2 * 1e7),
            round((south + north) / 2 * 1e7),
        )
    )
    fh.write(root)
    fh.write(meta)
    fh.write(data)
