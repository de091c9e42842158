"""Read GDAL-supported kinds (Shapefile, GeoPackage, GeoJSON, KML, GPX) with pyogrio."""

from __future__ import annotations

import contextvars
import io
import json
import logging
import sqlite3
import warnings
from pathlib import Path

import geopandas as gpd
import pyogrio
import pyogrio.raw
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError as PyprojCRSError
from shapely.errors import GEOSException

from fossilgis.errors import CRSError, InputFileError, InputNotFoundError, UnsupportedGeometryError
from fossilgis.io._crs import identify_declared
from fossilgis.io._encoding import decode_dbf_frame, decode_text_bytes
from fossilgis.io._raw import RawLayer

log = logging.getLogger(__name__)

#: ISO WKB base type codes -> names, for messages about types GEOS cannot parse
WKB_TYPE_NAMES = {
    1: "Point",
    2: "LineString",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
    8: "CircularString",
    9: "CompoundCurve",
    10: "CurvePolygon",
    11: "MultiCurve",
    12: "MultiSurface",
    13: "Curve",
    14: "Surface",
    15: "PolyhedralSurface",
    16: "TIN",
    17: "Triangle",
}
CURVED_TYPES = {
    "CIRCULARSTRING",
    "COMPOUNDCURVE",
    "CURVEPOLYGON",
    "MULTICURVE",
    "MULTISURFACE",
    "CURVE",
    "SURFACE",
}

NOTE_M = "已去除 M 值 / M (measure) values dropped"


def select_layer(available: list[str], layer: str | None, source: str) -> list[str]:
    """The layers to read; a ``layer=`` that does not exist lists the available ones."""
    if layer is None:
        return list(available)
    if layer in available:
        return [layer]
    raise InputNotFoundError(
        f"{source} has no layer {layer!r} (图层不存在); available layers: "
        + ", ".join(repr(n) for n in available)
        + "."
    )


def _wkb_type_name(wkb: bytes) -> str:
    if not wkb or len(wkb) < 5:
        return "unknown"
    order = "little" if wkb[0] == 1 else "big"
    code = int.from_bytes(wkb[1:5], order) & 0x0FFFFFFF  # strip EWKB Z/M/SRID flags
    return WKB_TYPE_NAMES.get(code % 1000, f"WKB type {code}")


def _diagnose_geometry(path, layer, source: str, exc: Exception) -> None:
    """Name the first feature whose geometry GEOS cannot parse (TIN, PolyhedralSurface, ...)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _meta, fids, geoms, _fields = pyogrio.raw.read(
            path, layer=layer, columns=[], read_geometry=True, return_fids=True
        )
    for i, wkb in enumerate(geoms):
        if wkb is None:
            continue
        try:
            shapely.from_wkb(wkb)
        except GEOSException:
            name = _wkb_type_name(wkb)
            raise UnsupportedGeometryError(
                f"{source}: unsupported geometry type {name} (不支持的几何类型) in feature {i} "
                f"(FID {fids[i]}); footprints must be points, lines or polygons. Export the "
                f"{name} as polygons (e.g. its outline) and read the file again."
            ) from exc
    raise UnsupportedGeometryError(
        f"{source}: a geometry cannot be parsed ({exc}); export the layer again as simple "
        f"points, lines or polygons."
    ) from exc


def _has_arrow() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


_HAS_ARROW = _has_arrow()


#: extra pyogrio.read_dataframe arguments that select a window of features (``where`` on
#: a fid range, or ``skip_features``/``max_features``) for the reads in this context; set
#: by :func:`fossilgis.io.chunks.iter_footprint_chunks` to stream a large layer
FEATURE_WINDOW: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "fossilgis_feature_window", default=None
)


def read_ogr(path, source: str, *, layer=None, encoding=None, notes: list[str]):
    """pyogrio.read_dataframe with warnings turned into notes and GEOS failures diagnosed."""
    extra = FEATURE_WINDOW.get() or {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            # Arrow halves the read time of large layers; the shapefile path passes an
            # encoding and keeps the classic reader so that raw DBF bytes come through
            arrow = _HAS_ARROW and encoding is None
            try:
                gdf = pyogrio.read_dataframe(path, layer=layer, encoding=encoding,
                                             use_arrow=arrow, **extra)
            except NotImplementedError:  # curves: only the classic reader linearises them
                gdf = pyogrio.read_dataframe(path, layer=layer, encoding=encoding, **extra)
        except GEOSException as exc:
            _diagnose_geometry(path, layer, source, exc)
            raise
    for w in caught:
        msg = str(w.message)
        if "Measured (M)" in msg:
            if NOTE_M not in notes:
                notes.append(NOTE_M)
        else:
            log.info("%s: %s", source, msg)
    return gdf


def _declared_crs(gdf: gpd.GeoDataFrame, source: str, prj: Path | None = None) -> CRS | None:
    if gdf.crs is not None:
        return identify_declared(gdf.crs)
    if prj is not None and prj.exists():
        # GDAL could not use the .prj; try pyproj on the text before calling it missing.
        text = prj.read_bytes().decode("utf-8", errors="replace").strip()
        try:
            return identify_declared(CRS.from_user_input(text))
        except PyprojCRSError as exc:
            raise CRSError(
                f"{source}: its .prj cannot be parsed as a CRS (.prj 无法解析): {text[:120]!r}. "
                f"Delete the .prj and re-run with --crs EPSG:xxxx, or export it again."
            ) from exc
    return None


def _sibling(shp: Path, suffix: str) -> Path | None:
    for cand in (shp.with_suffix(suffix), shp.with_suffix(suffix.upper())):
        if cand.exists():
            return cand
    low = shp.stem.lower() + suffix
    for cand in shp.parent.iterdir():
        if cand.name.lower() == low:
            return cand
    return None


def read_shapefile(path: Path, source: str, layer, encoding) -> list[RawLayer]:
    """A shapefile, its attributes decoded from raw bytes (see decode_dbf_frame)."""
    select_layer([path.stem], layer, source)
    if _sibling(path, ".shx") is None:
        raise InputFileError(
            f"{source} has no .shx index beside it (缺少 .shx 文件); upload the .shp together "
            f"with its .shx, .dbf, .prj and .cpg (or a .zip of them)."
        )
    notes: list[str] = []
    dbf = _sibling(path, ".dbf")
    if dbf is None:
        notes.append("无 .dbf，没有属性 / no .dbf: the features have no attributes")
    # latin-1 makes GDAL pass every DBF byte through unchanged; decode_dbf_frame decodes.
    gdf = read_ogr(path, source, encoding="ISO-8859-1", notes=notes)
    gdf, enc, basis, enc_notes = decode_dbf_frame(
        gdf, source=source, cpg=_sibling(path, ".cpg"), dbf=dbf, user_encoding=encoding
    )
    prj = _sibling(path, ".prj")
    crs = _declared_crs(gdf, source, prj)
    return [
        RawLayer(
            gdf=gdf,
            source=source,
            layer=path.stem,
            crs=crs,
            crs_missing="no .prj file",
            encoding=enc,
            encoding_basis=basis,
            notes=notes + enc_notes,
        )
    ]


def _gpkg_curve_types(path: Path) -> dict[str, str]:
    """Layers declared with curved geometry types in gpkg_geometry_columns."""
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = con.execute(
                "SELECT table_name, geometry_type_name FROM gpkg_geometry_columns"
            ).fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return {}
    return {t: g.upper() for t, g in rows if g and g.upper() in CURVED_TYPES}


def _spatial_layers(path, source: str) -> list[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layers = pyogrio.list_layers(path)
    return [str(name) for name, gtype in layers if gtype is not None]


def _utf8_note(encoding, kind: str) -> list[str]:
    if encoding:
        return [
            f"{kind} 文本固定为 UTF-8，已忽略 --encoding / {kind} text is always UTF-8; "
            f"--encoding ignored"
        ]
    return []


def read_multilayer(path: Path, source: str, layer, encoding, *, kind: str) -> list[RawLayer]:
    """GeoPackage, KML or GPX: one RawLayer per spatial layer (or the one selected)."""
    names = _spatial_layers(path, source)
    if not names:
        raise InputFileError(f"{source} contains no spatial layer (没有空间图层).")
    curved = _gpkg_curve_types(path) if kind == "GeoPackage" else {}
    out = []
    for name in select_layer(names, layer, source):
        notes = _utf8_note(encoding, kind)
        gdf = read_ogr(path, source, layer=name, notes=notes)
        if name in curved:
            notes.append(f"曲线已线性化 ({curved[name]}) / curves linearised ({curved[name]})")
        crs = _declared_crs(gdf, source)
        out.append(
            RawLayer(
                gdf=gdf,
                source=source,
                layer=name,
                crs=crs,
                crs_missing=f"the {kind} layer declares none",
                encoding="utf-8",
                encoding_basis=None,
                notes=notes,
            )
        )
    return out


def read_geojson(path: Path, source: str, layer, encoding) -> list[RawLayer]:
    """GeoJSON: text decoded strictly first; RFC 7946 WGS 84 only when values are degrees.

    GDAL labels every GeoJSON EPSG:4326; a file exported in Gauss-Krüger metres without a
    ``crs`` member is treated as undeclared, so the pipeline proposes the right ``--crs``.
    """
    select_layer([path.stem], layer, source)
    text, enc, basis = decode_text_bytes(path.read_bytes(), source=source, user_encoding=encoding)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(
            f"{source} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}) "
            f"(GeoJSON 格式错误)."
        ) from exc
    notes: list[str] = []
    gdf = read_ogr(io.BytesIO(text.encode("utf-8")), source, notes=notes)
    has_crs_member = isinstance(doc, dict) and "crs" in doc
    crs = _declared_crs(gdf, source)
    if not has_crs_member and len(gdf) and crs is not None and crs.is_geographic:
        b = gdf.geometry.total_bounds
        if not (-180 <= b[0] and b[2] <= 180 and -90 <= b[1] and b[3] <= 90):
            crs = None
    return [
        RawLayer(
            gdf=gdf,
            source=source,
            layer=None,
            crs=crs,
            crs_missing="GeoJSON without a crs member, and its values are not degrees",
            encoding=enc,
            encoding_basis=None if basis == "utf-8" else basis,
            notes=notes,
        )
    ]
