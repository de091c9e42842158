"""Checks shared by the tile archive readers: formats, tile bytes, zooms, bounds, messages.

Every refusal is one bilingual error, ``"<file>: <field>: <中文> / <English>"``
(:func:`problem`), naming the file and the field at fault.
"""

from __future__ import annotations

import html
import math
import re

from fossilgis.errors import InputFileError, OutsideProvinceError, UnsupportedFormatError
from fossilgis.geo import GUIZHOU_BOUNDS

RASTER_FORMATS = ("png", "jpg", "webp", "avif")
VECTOR_FORMATS = ("pbf",)
#: what archives write in their format fields -> the format fossilgis uses
FORMAT_ALIASES = {"jpeg": "jpg", "mvt": "pbf", "image/png": "png", "image/jpeg": "jpg"}
CONTENT_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "webp": "image/webp",
    "avif": "image/avif",
    "pbf": "application/vnd.mapbox-vector-tile",
}
#: the deepest zoom accepted (about 2 cm a pixel at the equator)
MAX_ZOOM = 24
#: Web Mercator's latitude limit
MAX_LAT = 85.0511287798


def problem(where, field: str | None, zh: str, en: str, cls=InputFileError) -> Exception:
    """An error ``"<where>: <field>: <中文> / <English>"`` of class ``cls``."""
    head = f"{where}: {field}: " if field else f"{where}: "
    return cls(f"{head}{zh} / {en}")


def sniff(data: bytes) -> str | None:
    """The format the bytes of a tile start with (gzip is taken for a vector tile)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:12] in (b"ftypavif", b"ftypavis"):
        return "avif"
    if data.startswith(b"\x1f\x8b"):
        return "pbf"
    return None


def normal_format(value, where, field: str) -> str:
    fmt = str(value).strip().lower()
    fmt = FORMAT_ALIASES.get(fmt, fmt)
    if fmt not in RASTER_FORMATS + VECTOR_FORMATS:
        raise problem(
            where,
            field,
            f"不支持的瓦片格式 {value!r}",
            f"unknown tile format {value!r}; expected png, jpg, webp, avif or pbf",
            UnsupportedFormatError,
        )
    return fmt


def tile_headers(fmt: str, data: bytes) -> tuple[str, str | None]:
    """(Content-Type, Content-Encoding) of a tile of an archive of format ``fmt``.

    Raster tiles are typed by their own bytes (an archive may mix PNG and JPEG); vector
    tiles are ``gzip``-encoded when their bytes are gzip, as they usually are.
    """
    found = sniff(data)
    if fmt in VECTOR_FORMATS:
        return CONTENT_TYPES["pbf"], "gzip" if found == "pbf" else None
    if found in RASTER_FORMATS:
        return CONTENT_TYPES[found], None
    return CONTENT_TYPES[fmt], None


def plain_text(value, limit: int = 300) -> str:
    """``value`` without HTML tags or entities, on one line, at most ``limit`` characters."""
    text = html.unescape(re.sub(r"<[^>]*>", "", str(value or "")))
    return " ".join(text.split())[:limit]


# -- tiles and degrees ---------------------------------------------------------------------
def tile_lon(x: float, z: int) -> float:
    return x / (1 << z) * 360.0 - 180.0


def tile_lat(y: float, z: int) -> float:
    return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / (1 << z)))))


def tiles_bounds(z: int, x0: int, x1: int, y0: int, y1: int) -> tuple[float, ...]:
    """(west, south, east, north) of the XYZ tiles x0..x1, y0..y1 of zoom z."""
    return (tile_lon(x0, z), tile_lat(y1 + 1, z), tile_lon(x1 + 1, z), tile_lat(y0, z))


def check_zooms(minzoom, maxzoom, where, field: str) -> tuple[int, int]:
    try:
        lo, hi = int(minzoom), int(maxzoom)
        if float(minzoom) != lo or float(maxzoom) != hi:
            raise ValueError
    except (TypeError, ValueError):
        raise problem(
            where,
            field,
            f"缩放级别不是整数（{minzoom!r}–{maxzoom!r}）",
            f"zoom levels {minzoom!r}–{maxzoom!r} are not whole numbers",
        ) from None
    if not 0 <= lo <= hi <= MAX_ZOOM:
        raise problem(
            where,
            field,
            f"缩放级别 {lo}–{hi} 无效",
            f"zoom levels {lo}–{hi} are invalid; expected 0 ≤ minzoom ≤ maxzoom ≤ {MAX_ZOOM}",
        )
    return lo, hi


def check_bounds(bounds, where, field: str) -> list[float]:
    """``[west, south, east, north]`` checked and clipped to Web Mercator; must meet Guizhou."""
    try:
        if isinstance(bounds, str):
            bounds = bounds.split(",")
        west, south, east, north = (float(v) for v in bounds)
        if not all(math.isfinite(v) for v in (west, south, east, north)):
            raise ValueError
    except (TypeError, ValueError):
        raise problem(
            where,
            field,
            f"范围 {bounds!r} 不是 4 个数",
            f"bounds {bounds!r} are not 4 numbers west,south,east,north",
        ) from None
    south, north = max(south, -MAX_LAT), min(north, MAX_LAT)
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise problem(
            where,
            field,
            f"范围 {west:g},{south:g},{east:g},{north:g} 无效",
            f"bounds {west:g},{south:g},{east:g},{north:g} are invalid; expected degrees "
            "west,south,east,north with west < east and south < north",
        )
    gw, gs, ge, gn = GUIZHOU_BOUNDS
    if west > ge or east < gw or south > gn or north < gs:
        raise problem(
            where,
            field,
            f"范围 {west:g},{south:g},{east:g},{north:g} 不覆盖贵州",
            f"bounds {west:g},{south:g},{east:g},{north:g} do not meet Guizhou "
            f"({gw:g},{gs:g},{ge:g},{gn:g}); this basemap would show nothing there. Check "
            "that the archive is in Web Mercator (EPSG:3857) tiles, not GCJ-02 or Baidu tiles",
            OutsideProvinceError,
        )
    return [round(v, 7) for v in (west, south, east, north)]
