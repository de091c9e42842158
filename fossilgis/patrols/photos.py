"""Patrol photos: real type by magic bytes, EXIF GPS position, content address, thumbnails."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import PurePath

from fossilgis.errors import PhotoError, PhotoTooLargeError

#: photos larger than this are refused (bytes); the web config may pass its own limit
DEFAULT_MAX_PHOTO_BYTES = 25 * 1024 * 1024

#: longest side of a thumbnail (pixels)
THUMBNAIL_SIZE = 320

#: images with more pixels than this are refused (decompression bombs)
MAX_PIXELS = 120_000_000

MIME_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png"}
_NAME_EXTENSIONS = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}


@dataclass(frozen=True)
class PhotoInfo:
    """What the store keeps about a photo besides its bytes."""

    sha256: str
    mime: str
    bytes: int
    width: int
    height: int
    lon: float | None
    lat: float | None
    taken_at: dt.datetime | None


def sniff_mime(data: bytes) -> str | None:
    """``image/jpeg`` or ``image/png`` from the first bytes, else None."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    return None


def photo_relpath(sha256: str, mime: str, *, thumbnail: bool = False) -> str:
    """Where a photo lives below the data directory: ``photos/ab/cdef….jpg``.

    Thumbnails (always JPEG) live in ``photos/thumbs/ab/cdef….jpg``.
    """
    ext = ".jpg" if thumbnail else MIME_EXTENSIONS[mime]
    base = "photos/thumbs" if thumbnail else "photos"
    return f"{base}/{sha256[:2]}/{sha256[2:]}{ext}"


def _rational(value) -> float:
    try:
        return float(value)
    except (TypeError, ZeroDivisionError, ValueError):
        num, den = value
        return float(num) / float(den)


def _dms(values) -> float:
    d, m, s = (_rational(v) for v in values)
    return d + m / 60.0 + s / 3600.0


def _exif_position(exif) -> tuple[float | None, float | None]:
    gps = exif.get_ifd(0x8825)  # GPSInfo IFD
    if not gps or 2 not in gps or 4 not in gps:
        return None, None
    try:
        lat = _dms(gps[2]) * (-1 if str(gps.get(1, "N")).upper().startswith("S") else 1)
        lon = _dms(gps[4]) * (-1 if str(gps.get(3, "E")).upper().startswith("W") else 1)
    except (TypeError, ValueError, ZeroDivisionError):
        return None, None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90) or (lon == 0 and lat == 0):
        return None, None
    return lon, lat


def _exif_time(exif) -> dt.datetime | None:
    from fossilgis.patrols.model import CHINA_TZ

    text = exif.get_ifd(0x8769).get(36867) or exif.get(306)  # DateTimeOriginal, DateTime
    if not text:
        return None
    try:
        moment = dt.datetime.strptime(str(text).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    return moment.replace(tzinfo=CHINA_TZ).astimezone(dt.timezone.utc)  # EXIF has no offset


def _open(data: bytes, name: str):
    from PIL import Image

    too_many = PhotoError(f"{name}: the image has too many pixels (limit {MAX_PIXELS:,})")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))  # reads the header only
            if image.width * image.height > MAX_PIXELS:
                raise too_many
            image.load()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise too_many from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise PhotoError(f"{name}: the image is damaged or truncated ({exc})") from None
    return image


def check_photo(data: bytes, name: str = "photo", max_bytes: int = DEFAULT_MAX_PHOTO_BYTES) -> str:
    """The photo's MIME type after checking size, real type and file-name extension.

    Parameters
    ----------
    data : bytes
        The file's content.
    name : str
        Its file name, used for the extension check and in messages.
    max_bytes : int
        Size limit.

    Raises
    ------
    PhotoError
        Not a JPEG or PNG, or an extension that says otherwise; ``PhotoTooLargeError``
        (a ``PhotoError``) when over ``max_bytes``.
    """
    if len(data) > max_bytes:
        raise PhotoTooLargeError(
            f"{name}: {len(data) / 1e6:.1f} MB is over the {max_bytes / 1e6:.1f} MB limit; "
            "resize it or raise the limit in the config / 照片超过大小限制"
        )
    mime = sniff_mime(data)
    if mime is None:
        raise PhotoError(
            f"{name}: not a JPEG or PNG image (first bytes {data[:8].hex(' ')}); "
            "only JPEG and PNG photos are accepted / 仅接受 JPEG 或 PNG 照片"
        )
    ext = PurePath(name).suffix.lower()
    if ext and ext in _NAME_EXTENSIONS and _NAME_EXTENSIONS[ext] != mime:
        raise PhotoError(
            f"{name}: the name says {_NAME_EXTENSIONS[ext]} but the content is {mime}; "
            "rename the file or send the right one / 文件扩展名与内容不符"
        )
    if ext and ext not in _NAME_EXTENSIONS:
        raise PhotoError(
            f"{name}: extension {ext!r} is not .jpg, .jpeg or .png although the content is "
            f"{mime} / 文件扩展名与内容不符"
        )
    return mime


def read_photo(
    data: bytes, name: str = "photo", max_bytes: int = DEFAULT_MAX_PHOTO_BYTES
) -> PhotoInfo:
    """Check a photo and read its SHA-256, size, EXIF GPS position and time.

    Returns
    -------
    PhotoInfo
        ``lon``/``lat`` in degrees (WGS 84 as the GPS reports it) or None without EXIF GPS;
        ``taken_at`` from EXIF DateTimeOriginal read as China Standard Time.

    Raises
    ------
    PhotoError
        See :func:`check_photo`; also for damaged images.
    """
    mime = check_photo(data, name, max_bytes)
    image = _open(data, name)
    exif = image.getexif()
    lon, lat = _exif_position(exif)
    return PhotoInfo(
        sha256=hashlib.sha256(data).hexdigest(),
        mime=mime,
        bytes=len(data),
        width=image.width,
        height=image.height,
        lon=lon,
        lat=lat,
        taken_at=_exif_time(exif),
    )


def make_thumbnail(data: bytes, size: int = THUMBNAIL_SIZE) -> bytes:
    """A JPEG thumbnail whose longest side is ``size`` pixels, turned upright per EXIF."""
    from PIL import ImageOps

    image = ImageOps.exif_transpose(_open(data, "photo"))
    image.thumbnail((size, size))
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=82)
    return out.getvalue()
