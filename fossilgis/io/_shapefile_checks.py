"""Shapefile integrity checks: .shp/.shx/.dbf record counts and truncation, before GDAL reads."""

from __future__ import annotations

import struct
from pathlib import Path

from fossilgis.errors import InputFileError
from fossilgis.io.limits import check, current_limits


def _shp_truncated(source: str, detail: str) -> InputFileError:
    return InputFileError(
        f"{source} is truncated or damaged (.shp 文件不完整): {detail}. The copy or download "
        f"was probably cut short: copy the shapefile again (all of .shp, .shx, .dbf, .prj, "
        f".cpg), or export it again from the GIS."
    )


def _shp_record_count(shp: Path, source: str, size: int, expected_end: int | None) -> int:
    """Records in the .shp, by walking the 8-byte record headers; refuses a cut record."""
    limit = current_limits().features
    count, pos = 0, 100
    with open(shp, "rb") as fh:
        while pos < size:
            if expected_end is not None and pos == expected_end:
                break
            fh.seek(pos)
            head = fh.read(8)
            if len(head) < 8:
                raise _shp_truncated(
                    source,
                    f"record {count + 1} starts at byte {pos} but only {size - pos} bytes remain",
                )
            _num, words = struct.unpack(">ii", head)
            end = pos + 8 + 2 * words
            if words < 0 or end > size:
                raise _shp_truncated(
                    source,
                    f"record {count + 1} (at byte {pos}) should end at byte {end} but the file "
                    f"has {size} bytes",
                )
            count += 1
            pos = end
            if count > limit:
                break
    return count


def check_shapefile(shp: Path, shx: Path, dbf: Path | None, source: str) -> None:
    """Refuse a shapefile whose .shp is cut or whose .shp, .shx and .dbf disagree on the
    number of records (GDAL would silently read only the records all three have).

    Raises InputFileError naming the three counts.
    """
    size = shp.stat().st_size
    with open(shp, "rb") as fh:
        head = fh.read(100)
    if len(head) < 100:
        raise _shp_truncated(source, f"the file has {size} bytes, less than its 100-byte header")
    code, declared_words = struct.unpack(">i", head[:4])[0], struct.unpack(">i", head[24:28])[0]
    if code != 9994:
        raise InputFileError(
            f"{source} is not a shapefile .shp (no shapefile header, file code {code} instead "
            f"of 9994) (不是 Shapefile). Export the layer again as ESRI Shapefile."
        )
    declared = 2 * declared_words
    if declared > size:
        raise _shp_truncated(
            source, f"its header says {declared} bytes but the file has {size} bytes"
        )
    shx_size = shx.stat().st_size
    if shx_size < 100 or (shx_size - 100) % 8:
        raise InputFileError(
            f"{source}: its .shx index is damaged ({shx_size} bytes, not a 100-byte header plus "
            f"8 bytes per record) (.shx 文件损坏). Copy or export the shapefile again."
        )
    shx_count = (shx_size - 100) // 8
    check(source, "features", shx_count, what="its .shx indexes more features")
    expected_end = None
    if shx_count:
        with open(shx, "rb") as fh:
            fh.seek(100 + 8 * (shx_count - 1))
            off_words, len_words = struct.unpack(">ii", fh.read(8))
        expected_end = 2 * off_words + 8 + 2 * len_words
        if expected_end > size:
            raise _shp_truncated(
                source,
                f"its .shx says record {shx_count} ends at byte {expected_end} but the .shp has "
                f"{size} bytes",
            )
    end = min(size, max(declared, 100))
    if expected_end == end or (shx_count == 0 and end == 100):
        shp_count = shx_count  # the index covers the .shp exactly: no need to walk it
    else:
        shp_count = _shp_record_count(shp, source, end, None)
    dbf_count = None
    if dbf is not None:
        dbf_count = _dbf_record_count(dbf, source)
    counts = {".shp": shp_count, ".shx": shx_count}
    if dbf_count is not None:
        counts[".dbf"] = dbf_count
    if len(set(counts.values())) > 1:
        listed = ", ".join(f"{k} {v}" for k, v in counts.items())
        raise InputFileError(
            f"{source}: its parts disagree on the number of features ({listed}) "
            f"(.shp/.shx/.dbf 记录数不一致); one of them is cut or belongs to another "
            f"version. Reading would silently drop features. Copy all parts together again, "
            f"or export the layer again as a shapefile."
        )


def _dbf_record_count(dbf: Path, source: str) -> int:
    """The record count of a .dbf header, refusing a header that is not a dBASE table."""
    size = dbf.stat().st_size
    with open(dbf, "rb") as fh:
        head = fh.read(65536)
    bad = None
    count = 0
    if len(head) < 32:
        bad = f"{size} bytes, less than a 32-byte header"
    else:
        count, header_len, record_len = struct.unpack("<IHH", head[4:12])
        # field descriptors: 32 bytes each from byte 32 up to the 0x0D terminator; their
        # lengths (byte 16) plus the deletion flag make up one record
        widths, pos = 0, 32
        while pos + 32 <= min(header_len, len(head)) and head[pos] != 0x0D:
            widths += head[pos + 16]
            pos += 32
        terminated = pos < len(head) and head[pos] == 0x0D and pos < header_len
        if header_len < 33 or header_len > size or not terminated or widths + 1 != record_len:
            bad = (
                f"no valid dBASE header: header length {header_len}, record length "
                f"{record_len}, fields {widths + 1} bytes wide, file {size} bytes"
            )
        elif header_len + count * record_len > size:
            have = (size - header_len) // record_len
            bad = f"its header declares {count} records but the file holds only {have}"
    if bad:
        raise InputFileError(
            f"{source}: its .dbf attribute table is damaged or not a dBASE file ({bad}) "
            f"(.dbf 文件损坏). Copy or export the shapefile again; to read the shapes without "
            f"attributes, remove the .dbf."
        )
    return count
