"""Read a user's file into CGCS2000 GeoDataFrames: dispatch by kind, then one common pipeline."""

from __future__ import annotations

import contextlib
import csv
import logging
import os
import struct
import tempfile
import zipfile
import zlib
from pathlib import Path

import pyogrio.errors
from pyproj.exceptions import CRSError as PyprojCRSError
from pyproj.exceptions import ProjError
from shapely.errors import GEOSException

from fossilgis.errors import FossilGISError, InputFileError, InputNotFoundError, InputTooLargeError
from fossilgis.io._crs import parse_user_crs
from fossilgis.io._dispatch import KINDS_TEXT, SUPPORTED_SUFFIXES, _read_raw, _unsupported
from fossilgis.io._encoding import check_user_codec
from fossilgis.io._footprints import FOOTPRINT_TYPES, check_footprints  # noqa: F401 (re-exported)
from fossilgis.io._pipeline import ReadResult, _finish, _repair  # noqa: F401 (re-exported)
from fossilgis.io.limits import ReadLimits, current_limits, use_limits

log = logging.getLogger(__name__)

#: what a library failure is wrapped into, so no raw GDAL/GEOS/decode error reaches a caller
_LIBRARY_ERRORS = (
    pyogrio.errors.DataSourceError,
    pyogrio.errors.DataLayerError,
    pyogrio.errors.FieldError,
    pyogrio.errors.FeatureError,
    pyogrio.errors.GeometryError,
    pyogrio.errors.CRSError,
    GEOSException,
    PyprojCRSError,
    ProjError,
    UnicodeError,
    OSError,
    zipfile.BadZipFile,
    csv.Error,
    struct.error,
    zlib.error,
    EOFError,
)

#: reached only when a library fails in a way the readers do not foresee on a hostile file;
#: reported as a bad file (with the library's words), never as a crash
_UNFORESEEN_ERRORS = (
    ValueError,
    TypeError,
    IndexError,
    KeyError,
    AttributeError,
    ArithmeticError,
    RecursionError,
    AssertionError,
    RuntimeError,
)


# --- file names ------------------------------------------------------------------------------


def display_name(name: str) -> str:
    """A file name printable anywhere: undecodable bytes (a GBK name on a UTF-8 system arrive
    as surrogate escapes) are decoded as UTF-8, then GB18030, else replaced."""
    raw = os.fsencode(name)
    for codec in ("utf-8", "gb18030"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace")


@contextlib.contextmanager
def _gdal_safe(path: Path):
    """``path`` itself, or a symbolic link with an ASCII name when the name is not UTF-8.

    GDAL takes file names as UTF-8; a GBK name from a Chinese zip tool or USB stick would
    make it fail. A shapefile's sidecars (same stem) are linked too.
    """
    try:
        os.fsencode(path).decode("utf-8")
        yield path
        return
    except UnicodeDecodeError:
        pass
    with tempfile.TemporaryDirectory(prefix="fossilgis-name-") as tmp:
        stem = path.stem
        for sib in path.parent.iterdir():
            if sib.name == path.name or (sib.stem == stem and sib.is_file()):
                os.symlink(sib.resolve(), Path(tmp) / ("input" + sib.suffix))
        yield Path(tmp) / ("input" + path.suffix)


# --- public entry points ---------------------------------------------------------------------


def read_vector(
    path,
    *,
    crs=None,
    layer: str | None = None,
    encoding: str | None = None,
    limits: ReadLimits | None = None,
) -> list[ReadResult]:
    """Read every layer of a user's file into CGCS2000 (EPSG:4490) GeoDataFrames.

    Parameters
    ----------
    path : str or Path
        The file: .shp, .zip, .gpkg, .geojson/.json, .kml/.kmz, .gpx, .dxf, 界址点 .txt,
        .csv or .xlsx (see ``SUPPORTED_SUFFIXES``).
    crs : str or int, optional
        The CRS of the coordinates when the file declares none or declares a wrong one:
        "EPSG:4523", "4523" or anything ``pyproj.CRS.from_user_input`` accepts.
    layer : str, optional
        Read only this layer (shapefile stem in a zip, GeoPackage/KML layer, XLSX sheet,
        DXF layer). A wrong name raises ``InputNotFoundError`` listing the available ones.
    encoding : str, optional
        Attribute encoding (shapefile DBF, TXT, CSV, GeoJSON, DXF), overriding detection.
    limits : ReadLimits, optional
        Resource limits checked before the expensive work (see ``fossilgis.io.limits``);
        default: the limits of the enclosing ``use_limits`` block, else ``DEFAULT_LIMITS``.

    Returns
    -------
    list of ReadResult
        One per non-empty layer; empty layers are skipped with a note.

    Raises
    ------
    fossilgis.errors.FossilGISError
        Subclasses name the file, what was found, what was expected and the fix: missing
        file or layer, unsupported kind, undecodable text, missing/ambiguous/legacy CRS,
        unsupported geometry, unsafe archive, a file over a limit (``InputTooLargeError``), or
        a file without features.
    """
    with use_limits(limits):
        return _read_vector(Path(path), crs=crs, layer=layer, encoding=encoding)


def _read_vector(p: Path, *, crs, layer, encoding) -> list[ReadResult]:
    path = p
    source = display_name(p.name)
    if not p.exists():
        raise InputNotFoundError(f"{source}: no such file (文件不存在): {display_name(str(path))}")
    if p.is_dir():
        raise InputFileError(
            f"{source} is a folder; give a file ({KINDS_TEXT}), e.g. the .shp or a .zip of it."
        )
    if p.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise _unsupported(source, p.suffix.lower())
    log.debug(
        "%s: read as %s, layer %s, crs %s, encoding %s", source, p.suffix, layer, crs, encoding
    )
    user_crs = parse_user_crs(crs) if crs is not None else None
    if encoding is not None:
        check_user_codec(encoding)
    try:
        with _gdal_safe(p) as readable:
            raws = _read_raw(readable, source, layer, encoding)
        if readable != p:
            for raw in raws:
                if raw.layer == "input":
                    raw.layer = display_name(p.stem)
        results, empty = [], []
        for raw in raws:
            res = _finish(raw, user_crs)
            if res is None:
                empty.append(raw.layer or raw.source)
            else:
                results.append(res)
    except FossilGISError:
        raise
    except MemoryError as exc:
        raise InputTooLargeError(
            f"{source}: reading it ran out of memory (内存不足); the file is larger than this "
            f"machine can read at once. Split it, or lower --limit features/vertices so that "
            f"such files are refused early."
        ) from exc
    except RecursionError as exc:
        raise InputFileError(
            f"{source} is nested too deeply to be read (嵌套过深); export it again as a plain "
            f"file (limit json_depth={current_limits().json_depth})."
        ) from exc
    except (*_LIBRARY_ERRORS, *_UNFORESEEN_ERRORS) as exc:
        if not isinstance(exc, _LIBRARY_ERRORS):
            log.debug("unforeseen reader failure on %s", source, exc_info=True)
        detail = display_name(str(exc))[:300]
        raise InputFileError(
            f"{source} could not be read ({type(exc).__name__}: {detail}) (文件无法读取). Check "
            f"that the file is complete and really is a {p.suffix.lower()} file; export it again "
            f"if needed."
        ) from exc
    if not results:
        which = f" (layer {layer!r})" if layer else ""
        raise InputFileError(
            f"{source}{which} contains no features (没有要素); nothing to read. Check that the "
            f"export included the features."
        )
    if empty:
        note = (
            f"空图层已跳过：{', '.join(map(str, empty))} / empty layers skipped: "
            f"{', '.join(map(str, empty))}"
        )
        for r in results:
            r.notes.append(note)
    return results


def read_footprints(path, **options) -> list[ReadResult]:
    """Read a construction project's footprints: ``read_vector`` plus footprint checks.

    Refuses empty input, geometry types that cannot be footprints (collections) and
    features that lie outside Guizhou after transformation; the message gives the bbox found
    in degrees and in the file's own units.

    Parameters
    ----------
    path, **options
        The file and the keyword arguments ``crs``, ``layer``, ``encoding`` and ``limits``,
        as for :func:`read_vector`.

    Returns
    -------
    list of ReadResult
        One per layer, every geometry a (multi) point, line or polygon inside Guizhou.
    """
    results = read_vector(path, **options)
    check_footprints(results)
    return results
