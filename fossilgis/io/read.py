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
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath

import ezdxf
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio.errors
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError as PyprojCRSError
from pyproj.exceptions import ProjError
from shapely.errors import GEOSException
from shapely.geometry import MultiPolygon, box

from fossilgis.errors import (
    CRSError,
    FossilGISError,
    InputFileError,
    InputNotFoundError,
    InputTooLargeError,
    OutsideProvinceError,
    UnsupportedFormatError,
    UnsupportedGeometryError,
)
from fossilgis.geo import CRS_GEOGRAPHIC, GUIZHOU_BOUNDS, format_bounds
from fossilgis.io._archive import extracted
from fossilgis.io._boundary_txt import looks_like_boundary_txt, read_boundary_txt
from fossilgis.io._crs import (
    crs_label,
    detect_crs,
    fmt_bounds,
    gk_epsg,
    parse_user_crs,
    prefix_zone,
    refuse_legacy,
    swapped_message,
    value_kind,
)
from fossilgis.io._dxf import read_dxf
from fossilgis.io._encoding import check_user_codec
from fossilgis.io._ogr import _spatial_layers, read_geojson, read_multilayer, read_shapefile
from fossilgis.io._raw import RawLayer
from fossilgis.io._table import read_csv, read_xlsx
from fossilgis.io.limits import ReadLimits, check, current_limits, use_limits

log = logging.getLogger(__name__)

#: file name endings read_vector / read_footprints accept
SUPPORTED_SUFFIXES = (
    ".shp",
    ".zip",
    ".gpkg",
    ".geojson",
    ".json",
    ".kml",
    ".kmz",
    ".gpx",
    ".dxf",
    ".txt",
    ".csv",
    ".xlsx",
)

KINDS_TEXT = (
    "Shapefile (.shp, or a .zip holding one or several), GeoPackage (.gpkg), GeoJSON "
    "(.geojson, .json), KML/KMZ, GPX, DXF red-line drawing (.dxf), 界址点 TXT in the 报部 "
    "format (.txt), coordinate table (.csv, .xlsx)"
)

_REFUSED = {
    ".dwg": "DWG drawings cannot be read: open it in CAD and save as DXF (另存为 DXF), then "
    "give the .dxf",
    ".xls": "old Excel .xls workbooks cannot be read: save it as .xlsx (另存为 .xlsx)",
    ".rar": "RAR archives cannot be read: re-pack the files as .zip",
    ".7z": "7z archives cannot be read: re-pack the files as .zip",
}
for _sidecar in (".dbf", ".shx", ".prj", ".cpg", ".sbn", ".sbx", ".qix"):
    _REFUSED[_sidecar] = (
        "is one part of a shapefile: give the .shp (with its .shx, .dbf, .prj and .cpg beside "
        "it) or a .zip of them"
    )

_READERS = {
    ".shp": read_shapefile,
    ".gpkg": partial(read_multilayer, kind="GeoPackage"),
    ".geojson": read_geojson,
    ".json": read_geojson,
    ".kml": partial(read_multilayer, kind="KML"),
    ".gpx": partial(read_multilayer, kind="GPX"),
    ".dxf": read_dxf,
    ".txt": read_boundary_txt,
    ".csv": read_csv,
    ".xlsx": read_xlsx,
}
_ZIP_MEMBER_SUFFIXES = {".shp", ".gpkg", ".geojson", ".json", ".kml", ".dxf", ".txt"}
_MULTI_LAYER = {".gpkg", ".kml"}
_POLYGONAL = {"Polygon", "MultiPolygon"}
FOOTPRINT_TYPES = {
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
}

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
    ezdxf.DXFError,
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


@dataclass
class ReadResult:
    """One layer of a user's file, in CGCS2000 geographic coordinates.

    Attributes
    ----------
    gdf : GeoDataFrame in EPSG:4490, geometry column ``geometry``, RangeIndex 0..n-1.
    source : the file name as given ("road.shp", "plans.zip!road.shp").
    layer : layer name (shapefile stem, GeoPackage/KML layer, XLSX sheet, DXF layer) or None.
    crs_in : the CRS the coordinates were in ("EPSG:4523").
    crs_basis : "prj" (declared by the file), "detected" (Guizhou lon/lat) or "user".
    encoding : text encoding of the attributes ("gbk", "utf-8") or None.
    encoding_basis : "cpg", "ldid", "utf-8", "gb18030", "user", "dwgcodepage" or None when the
        format fixes it (GeoPackage, KML, XLSX, DXF R2007+).
    notes : short bilingual notes "中文 / English" on what was changed or assumed.
    repaired : row indices whose geometry was repaired with make_valid.
    bounds_in : bbox in the file's own coordinates (for messages), or None.
    """

    gdf: gpd.GeoDataFrame
    source: str
    layer: str | None = None
    crs_in: str | None = None
    crs_basis: str | None = None
    encoding: str | None = None
    encoding_basis: str | None = None
    notes: list[str] = field(default_factory=list)
    repaired: list[int] = field(default_factory=list)
    bounds_in: tuple[float, float, float, float] | None = None


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


# --- dispatch --------------------------------------------------------------------------------


def _unsupported(source: str, suffix: str) -> UnsupportedFormatError:
    if suffix in _REFUSED:
        why = _REFUSED[suffix]
        sep = " " if why.startswith("is ") else ": "
        return UnsupportedFormatError(f"{source}{sep}{why}.")
    return UnsupportedFormatError(
        f"{source}: unsupported file type {suffix or '(no extension)'!r} (不支持的文件类型). "
        f"Supported: {KINDS_TEXT}."
    )


def _zip_layer_names(cands: list[tuple[str, Path]]) -> dict[str, str]:
    """Layer name per member: the shapefile stem, or its path when two stems collide."""
    stems = Counter(PurePosixPath(n).stem for n, _p in cands)
    return {
        n: PurePosixPath(n).stem if stems[PurePosixPath(n).stem] == 1 else n.rsplit(".", 1)[0]
        for n, _p in cands
    }


def _read_zip(path: Path, source: str, layer, encoding) -> list[RawLayer]:
    with extracted(path, source) as members:
        cands = []
        for name, p in members:
            parts = name.split("/")
            if parts[0] == "__MACOSX" or any(x.startswith(".") for x in parts):
                continue
            suffix = p.suffix.lower()
            if suffix not in _ZIP_MEMBER_SUFFIXES:
                continue
            if suffix == ".txt" and not looks_like_boundary_txt(p):
                continue  # a read-me, not a 界址点 file
            cands.append((name, p))
        if not cands:
            shown = ", ".join(n for n, _p in members[:10]) or "nothing"
            raise InputFileError(
                f"{source} holds no shapefile or other readable layer (压缩包中没有可读图层); "
                f"found: {shown}. Expected .shp (with .shx/.dbf/.prj) or {KINDS_TEXT}."
            )
        names = _zip_layer_names(cands)
        plan: list[tuple[str, Path, str | None]] = []
        if layer is None:
            plan = [(n, p, None) for n, p in cands]
        else:
            plan = [
                (n, p, None)
                for n, p in cands
                if p.suffix.lower() not in _MULTI_LAYER and layer in (names[n], n)
            ][:1]
            available = [names[n] for n, p in cands if p.suffix.lower() not in _MULTI_LAYER]
            if not plan:
                for n, p in cands:
                    if p.suffix.lower() in _MULTI_LAYER:
                        inner = _spatial_layers(p, f"{source}!{n}")
                        available += inner
                        if layer in inner and not plan:
                            plan = [(n, p, layer)]
            if not plan:
                raise InputNotFoundError(
                    f"{source} has no layer {layer!r} (图层不存在); available layers: "
                    + ", ".join(repr(a) for a in available)
                    + "."
                )
        out: list[RawLayer] = []
        renamed = getattr(members, "renamed", {})
        for n, p, inner_layer in plan:
            suffix = p.suffix.lower()
            raws = _READERS[suffix](p, f"{source}!{n}", inner_layer, encoding)
            for r in raws:
                if suffix not in _MULTI_LAYER:
                    r.layer = names[n]
                if n in renamed:
                    r.notes.append(
                        f"压缩包内有同名文件 {renamed[n]}，此副本按 {n} 读取 / the zip holds "
                        f"{renamed[n]} more than once; this copy is read as {n}"
                    )
            out.extend(raws)
        return out


def _read_kmz(path: Path, source: str, layer, encoding) -> list[RawLayer]:
    with extracted(path, source) as members:
        kmls = [(n, p) for n, p in members if p.suffix.lower() == ".kml"]
        if not kmls:
            raise InputFileError(f"{source} holds no .kml document (KMZ 中没有 KML).")
        kmls.sort(key=lambda t: (t[0].lower() != "doc.kml", "/" in t[0], t[0]))
        return read_multilayer(kmls[0][1], source, layer, encoding, kind="KML")


def _read_raw(path: Path, source: str, layer, encoding) -> list[RawLayer]:
    suffix = path.suffix.lower()
    if suffix == ".zip":
        return _read_zip(path, source, layer, encoding)
    if suffix == ".kmz":
        return _read_kmz(path, source, layer, encoding)
    if suffix not in _READERS:
        raise _unsupported(source, suffix)
    return _READERS[suffix](path, source, layer, encoding)


# --- the common pipeline ---------------------------------------------------------------------


def _rows_text(rows) -> str:
    rows = [int(r) for r in rows]
    shown = ", ".join(str(r) for r in rows[:10])
    return shown + (f" … ({len(rows)} rows)" if len(rows) > 10 else "")


def _polygonal_part(geom):
    polys = [
        p
        for part in shapely.get_parts(geom)
        for p in (shapely.get_parts(part) if part.geom_type == "MultiPolygon" else [part])
        if p.geom_type == "Polygon" and not p.is_empty
    ]
    if not polys:
        return None
    return polys[0] if len(polys) == 1 else MultiPolygon(polys)


def _linear_part(geom):
    """The line parts of a geometry (a collapsed polygon's outline), or None."""
    lines = [
        p
        for p in shapely.get_parts(geom)
        if p.geom_type in ("LineString", "MultiLineString") and not p.is_empty
    ]
    if not lines:
        return None
    merged = shapely.line_merge(shapely.union_all(lines))
    return None if merged.is_empty else merged


def _repair(geoms: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """make_valid invalid geometries; polygon inputs keep only their polygonal part."""
    out = geoms.copy()
    repaired = []
    for i in np.flatnonzero(~shapely.is_valid(geoms)):
        g = geoms[i]
        if g.geom_type in _POLYGONAL:
            fixed = _polygonal_part(shapely.make_valid(g, method="structure", keep_collapsed=False))
        else:
            fixed = shapely.make_valid(g)
        out[i] = fixed
        repaired.append(int(i))
    return out, repaired


def _resolve_crs(raw: RawLayer, user_crs: CRS | None, bounds, notes: list[str]):
    kx, ky = value_kind(bounds[0], bounds[2]), value_kind(bounds[1], bounds[3])
    if user_crs is not None:
        refuse_legacy(user_crs, raw.source, "--crs gives")
        if raw.crs_problem is not None:
            notes.append(
                f"文件声明的坐标系无法使用，按 --crs {crs_label(user_crs)} 读取 / "
                f"{raw.crs_problem}; read as {crs_label(user_crs)} as --crs says"
            )
        elif raw.crs is not None and not raw.crs.equals(user_crs):
            notes.append(
                f"文件声明 {crs_label(raw.crs)}，按 --crs {crs_label(user_crs)} 读取 / the file "
                f"declares {crs_label(raw.crs)}; read as {crs_label(user_crs)} as --crs says"
            )
        crs, basis = user_crs, "user"
    elif raw.crs_problem is not None:
        head = f"{raw.source}: {raw.crs_problem}"
        detect_crs(bounds, raw.source, "", head=head)
        raise CRSError(
            f"{head}; its coordinates {fmt_bounds(bounds)} are longitude/latitude inside "
            f"Guizhou: if they are CGCS2000, re-run with --crs EPSG:4490."
        )
    elif raw.crs is not None:
        refuse_legacy(raw.crs, raw.source, "declares")
        crs, basis = raw.crs, "prj"
    else:
        crs, note = detect_crs(bounds, raw.source, raw.crs_missing)
        notes.append(note)
        return crs, "detected"
    swapped = swapped_message(raw.source, kx, ky, bounds)
    if swapped:
        raise CRSError(swapped)
    lonlat = -180 <= bounds[0] and bounds[2] <= 180 and -90 <= bounds[1] and bounds[3] <= 90
    if crs.is_geographic and not lonlat:
        how = "--crs" if basis == "user" else "the file"
        # Metres under a degrees CRS: a wrong .prj/--crs; propose what the values look like.
        detect_crs(
            bounds,
            raw.source,
            "",
            head=f"{raw.source}: {how} says {crs_label(crs)} (degrees) but the coordinates "
            f"{fmt_bounds(bounds)} are not degrees (坐标系与坐标值不符)",
        )
    return crs, basis


def _outside_hint(result: ReadResult) -> str:
    if result.crs_basis == "user":
        zone = prefix_zone(result.bounds_in[0], result.bounds_in[2]) if result.bounds_in else None
        extra = (
            f" Its X values carry the zone prefix {zone}: try --crs EPSG:{gk_epsg(zone)}."
            if zone
            else ""
        )
        return f"The --crs {result.crs_in} is probably wrong (wrong zone or datum?).{extra}"
    return (
        f"Check that this is the right file and that its CRS ({result.crs_in}, "
        f"{'declared by the file' if result.crs_basis == 'prj' else result.crs_basis}) is right."
    )


def _outside_message(result: ReadResult, bounds_deg, what: str) -> str:
    name = result.source + (f" layer {result.layer!r}" if result.layer else "")
    own = (
        f"; in the file's own units ({result.crs_in}): {fmt_bounds(result.bounds_in)}"
        if result.bounds_in is not None and max(map(abs, result.bounds_in)) > 360
        else ""
    )
    return (
        f"{name}: {what} outside Guizhou (不在贵州省范围内): bbox found "
        f"{format_bounds(bounds_deg)} degrees{own}; Guizhou is {format_bounds(GUIZHOU_BOUNDS)}. "
        f"{_outside_hint(result)}"
    )


def _refuse_non_finite(geoms: np.ndarray, rows: np.ndarray, where: str) -> None:
    """Raise naming the rows whose coordinates are NaN or infinite."""
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    bad = ~np.isfinite(coords).all(axis=1)
    if bad.any():
        hit = np.unique(index[bad])
        raise InputFileError(
            f"{where}: rows {_rows_text(rows[hit])} have NaN or infinite coordinates "
            f"(坐标为 NaN 或无穷大), e.g. ({', '.join(str(float(v)) for v in coords[bad][0])}). "
            f"Fix or delete those "
            f"features and export the file again."
        )


#: fields that number each entity of a file rather than describe it (a repeat has its own)
_IDENTITY_FIELDS = {"dxf_handle", "fid", "FID", "OBJECTID"}


def _duplicates_kept(
    geoms: np.ndarray, attrs: pd.DataFrame, rows: np.ndarray, notes: list[str]
) -> np.ndarray | None:
    """A keep-mask dropping exact repeats of an earlier feature, with a note naming them.

    A repeat has the same geometry *and* the same attributes (a feature exported twice would
    list its impacts twice); two features with one shape but different attributes (two
    projects on the same parcel, split by ``--id-field``) are both kept. None when there are
    no repeats.
    """
    if len(geoms) < 2:
        return None
    wkb = pd.Series(shapely.to_wkb(shapely.normalize(geoms)))
    if not wkb.duplicated(keep=False).any():
        return None
    key = pd.DataFrame({"__wkb": wkb})
    for col in attrs.columns:
        if col in _IDENTITY_FIELDS:
            continue  # which entity a drawing numbered it, not what it says
        key[str(col)] = attrs[col].astype("string").fillna("\x00null").to_numpy()
    dup = key.duplicated(keep="first").to_numpy()
    if not dup.any():
        return None
    shown = _rows_text(rows[dup])
    notes.append(
        f"重复要素已删除（行 {shown}，几何和属性与前面的要素完全相同）/ duplicate features "
        f"dropped: rows {shown} repeat an earlier feature exactly (geometry and attributes)"
    )
    return ~dup


def _finish(raw: RawLayer, user_crs: CRS | None) -> ReadResult | None:
    """Drop empties and Z, resolve the CRS, repair, transform to EPSG:4490. None when empty."""
    notes = list(raw.notes)
    gdf = raw.gdf
    if gdf.geometry.name != "geometry":
        gdf = gdf.rename_geometry("geometry")
    gdf = gdf.set_crs(None, allow_override=True).reset_index(drop=True)
    missing = np.asarray(gdf.geometry.isna() | gdf.geometry.is_empty)
    if missing.any():
        rows = _rows_text(np.flatnonzero(missing))
        notes.append(f"已删除无几何的行 {rows} / dropped rows without geometry: {rows}")
        gdf = gdf.loc[~missing].reset_index(drop=True)
    if gdf.empty:
        return None
    orig_rows = np.flatnonzero(~missing)  # row numbers in the file, for messages
    where = raw.source + (f" layer {raw.layer!r}" if raw.layer else "")
    check(where, "features", len(gdf), what="the layer holds more features")
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    check(
        where,
        "vertices",
        int(shapely.get_num_coordinates(geoms).sum()),
        what="the layer's geometry holds more coordinates",
    )
    if shapely.has_z(geoms).any():
        geoms = shapely.force_2d(geoms)
        notes.append("已去除 Z 值 / Z values dropped")
    _refuse_non_finite(geoms, orig_rows, where)
    bounds_in = tuple(float(v) for v in shapely.total_bounds(geoms))
    keep = _duplicates_kept(geoms, gdf.drop(columns="geometry"), orig_rows, notes)
    if keep is not None:
        geoms = geoms[keep]
        gdf = gdf.loc[keep].reset_index(drop=True)
    crs, basis = _resolve_crs(raw, user_crs, bounds_in, notes)
    log.info("%s: CRS %s (basis %s), encoding %s (basis %s), %d features", raw.source,
             crs_label(crs), basis, raw.encoding, raw.encoding_basis, len(geoms))

    raw_geoms = geoms
    geoms, repaired = _repair(geoms)
    if repaired:
        notes.append(
            f"几何已修复（行 {_rows_text(repaired)}）/ geometry repaired with make_valid "
            f"(rows {_rows_text(repaired)})"
        )
    lost = [i for i in repaired if geoms[i] is None or shapely.is_empty(geoms[i])]
    # a polygon with no area (every vertex on one line) is a line drawn as a polygon: screen
    # its outline as a line rather than drop it (a dropped footprint is a silently lost impact)
    as_lines = []
    for i in lost:
        line = _linear_part(shapely.make_valid(raw_geoms[i]))
        if line is not None:
            geoms[i] = line
            as_lines.append(i)
    if as_lines:
        notes.append(
            f"行 {_rows_text(as_lines)} 为面积为零的面（所有顶点共线），按线筛查 / rows "
            f"{_rows_text(as_lines)} are polygons with no area (all vertices on one line): "
            f"screened as lines, with no overlap area"
        )
        lost = [i for i in lost if i not in set(as_lines)]
    if lost:
        notes.append(
            f"修复后为空已删除（行 {_rows_text(lost)}）/ rows {_rows_text(lost)} collapsed to "
            f"nothing when repaired and were dropped"
        )
        keep = np.ones(len(geoms), bool)
        keep[lost] = False
        new_index = np.cumsum(keep) - 1
        repaired = [int(new_index[i]) for i in repaired if keep[i]]
        geoms = geoms[keep]
        gdf = gdf.loc[keep].reset_index(drop=True)
        if gdf.empty:
            return None

    series = gpd.GeoSeries(geoms, crs=crs)
    target = CRS.from_user_input(CRS_GEOGRAPHIC)
    try:
        out = (
            series.set_crs(target, allow_override=True)
            if crs.equals(target)
            else series.to_crs(target)
        )
    except (ProjError, PyprojCRSError) as exc:
        raise CRSError(
            f"{raw.source}: coordinates cannot be transformed from {crs_label(crs)} to CGCS2000 "
            f"({exc}) (坐标转换失败)."
        ) from exc
    bounds_deg = out.total_bounds
    result_gdf = gpd.GeoDataFrame(gdf.drop(columns="geometry"), geometry=out.values, crs=target)
    result = ReadResult(
        gdf=result_gdf,
        source=raw.source,
        layer=raw.layer,
        crs_in=crs_label(crs),
        crs_basis=basis,
        encoding=raw.encoding,
        encoding_basis=raw.encoding_basis,
        notes=notes,
        repaired=repaired,
        bounds_in=bounds_in,
    )
    if not np.isfinite(bounds_deg).all():
        raise CRSError(
            f"{raw.source}: with {result.crs_in} the coordinates {fmt_bounds(bounds_in)} fall "
            f"outside the CRS's valid range (坐标超出坐标系范围). {_outside_hint(result)}"
        )
    if basis == "user" and not result_gdf.intersects(box(*GUIZHOU_BOUNDS)).any():
        raise OutsideProvinceError(_outside_message(result, bounds_deg, "with this --crs it lies"))
    return result


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
        raise InputNotFoundError(
            f"{source}: no such file (文件不存在): {display_name(str(path))}"
        )
    if p.is_dir():
        raise InputFileError(
            f"{source} is a folder; give a file ({KINDS_TEXT}), e.g. the .shp or a .zip of it."
        )
    if p.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise _unsupported(source, p.suffix.lower())
    log.debug("%s: read as %s, layer %s, crs %s, encoding %s", source, p.suffix, layer, crs,
              encoding)
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


def _outside_box(geoms, bounds) -> np.ndarray:
    """True where a geometry's envelope misses the box (a fast, vectorised test)."""
    b = shapely.bounds(np.asarray(geoms))
    x0, y0, x1, y1 = bounds
    return (b[:, 2] < x0) | (b[:, 0] > x1) | (b[:, 3] < y0) | (b[:, 1] > y1)


def read_footprints(
    path,
    *,
    crs=None,
    layer: str | None = None,
    encoding: str | None = None,
    limits: ReadLimits | None = None,
) -> list[ReadResult]:
    """Read a construction project's footprints: ``read_vector`` plus footprint checks.

    Refuses empty input, geometry types that cannot be footprints (collections) and
    features that lie outside Guizhou after transformation; the message gives the bbox found
    in degrees and in the file's own units.

    Parameters
    ----------
    path, crs, layer, encoding, limits
        As for :func:`read_vector`.

    Returns
    -------
    list of ReadResult
        One per layer, every geometry a (multi) point, line or polygon inside Guizhou.
    """
    results = read_vector(path, crs=crs, layer=layer, encoding=encoding, limits=limits)
    for r in results:
        types = r.gdf.geom_type
        bad = ~types.isin(FOOTPRINT_TYPES)
        if bad.any():
            rows = np.flatnonzero(bad.to_numpy())
            raise UnsupportedGeometryError(
                f"{r.source}: rows {_rows_text(rows)} are {types[bad].iloc[0]} (不能作为项目范围); "
                f"a footprint must be points, lines or polygons. Split mixed geometries into "
                f"separate layers and read them again."
            )
        outside = _outside_box(r.gdf.geometry.values, GUIZHOU_BOUNDS)
        if outside.all():
            raise OutsideProvinceError(_outside_message(r, r.gdf.total_bounds, "lies"))
        if outside.any():
            rows = np.flatnonzero(outside)
            raise OutsideProvinceError(
                _outside_message(
                    r,
                    r.gdf.iloc[rows].total_bounds,
                    f"rows {_rows_text(rows)} lie",
                )
            )
    return results
