"""Read GDAL-supported kinds (Shapefile, GeoPackage, GeoJSON, KML, GPX) with pyogrio."""

from __future__ import annotations

import contextlib
import contextvars
import io
import json
import logging
import os
import re
import sqlite3
import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pyogrio.errors
import pyogrio.raw
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError as PyprojCRSError
from shapely.errors import GEOSException

from fossilgis.errors import InputFileError, UnsupportedGeometryError
from fossilgis.io._crs import identify_declared
from fossilgis.io._encoding import decode_dbf_frame
from fossilgis.io._geojson import _check_geojson, json_depth
from fossilgis.io._raw import RawLayer, read_single_text, select_layer, single_layer
from fossilgis.io._shapefile_checks import check_shapefile
from fossilgis.io.limits import check, current_limits

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


def _wkb_type_name(wkb: bytes) -> str:
    if not wkb or len(wkb) < 5:
        return "unknown"
    order = "little" if wkb[0] == 1 else "big"
    code = int.from_bytes(wkb[1:5], order) & 0x0FFFFFFF  # strip EWKB Z/M/SRID flags
    return WKB_TYPE_NAMES.get(code % 1000, f"WKB type {code}")


SIMPLE_TYPES = {"Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon"}


def _simple_problem(wkb: bytes, name: str) -> str:
    """Why GEOS refuses a point/line/polygon WKB: NaN coordinates or a ring not closed."""
    try:
        fixed = shapely.from_wkb(wkb, on_invalid="fix")
    except (GEOSException, ValueError):
        fixed = None
    if fixed is not None:
        coords = shapely.get_coordinates(fixed)
        if not np.isfinite(coords).all():
            return f"the {name} has NaN or infinite coordinates (坐标为 NaN 或无穷大)"
        if name in ("Polygon", "MultiPolygon"):
            return (
                f"a ring of the {name} is not closed (its last point differs from its first) "
                f"or has fewer than 4 points (面的环未闭合)"
            )
    return f"the {name} cannot be parsed: NaN coordinates, or a ring not closed (几何无效)"


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
            if name in SIMPLE_TYPES:
                raise InputFileError(
                    f"{source}: feature {i} (FID {fids[i]}): {_simple_problem(wkb, name)}. "
                    f"Fix or delete that feature and export the file again."
                ) from exc
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
    extra = dict(FEATURE_WINDOW.get() or {})
    if "max_features" not in extra and "where" not in extra:
        # read one more than the limit: enough to know it is exceeded, never the whole file
        extra["max_features"] = current_limits().features + 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            # Arrow halves the read time of large layers; the shapefile path passes an
            # encoding and keeps the classic reader so that raw DBF bytes come through
            arrow = _HAS_ARROW and encoding is None
            try:
                gdf = pyogrio.read_dataframe(
                    path, layer=layer, encoding=encoding, use_arrow=arrow, **extra
                )
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


def _declared_crs(gdf: gpd.GeoDataFrame, source: str) -> CRS | None:
    if gdf.crs is not None:
        return identify_declared(gdf.crs)
    return None


_AUTHORITY = re.compile(r'(?:AUTHORITY|ID)\[\s*"EPSG"\s*,\s*"?(\d+)"?\s*\]', re.IGNORECASE)


def prj_problem(prj: Path) -> tuple[CRS | None, str | None]:
    """(CRS, None) for a usable .prj, or (None, why) for one that names an unknown EPSG code or
    does not parse. GDAL would fail on both, or (older versions) fall back to WGS 84."""
    data = prj.read_bytes()[:65536]
    text = data.decode("utf-8", errors="replace").strip().strip("\x00").strip()
    shown = text[:160] + ("…" if len(text) > 160 else "")
    if not text:
        return None, "its .prj is empty (.prj 为空)"
    codes = _AUTHORITY.findall(text)
    if codes:
        # the CRS's own code closes the WKT (WKT1 AUTHORITY / WKT2 ID come last)
        try:
            CRS.from_epsg(int(codes[-1]))
        except (PyprojCRSError, ValueError, OverflowError):
            return None, (
                f"its .prj names EPSG:{codes[-1]}, which is not in the EPSG registry "
                f"(.prj 坐标系代码无效): {shown!r}"
            )
    try:
        crs = CRS.from_user_input(text)
    except (PyprojCRSError, ValueError, TypeError) as exc:
        return None, (
            f"its .prj cannot be parsed as a CRS (.prj 无法解析): {shown!r} ({str(exc)[:120]})"
        )
    return identify_declared(crs), None


@contextlib.contextmanager
def _without_prj(shp: Path):
    """The shapefile linked into a folder without its .prj, for GDAL to read the geometry."""
    with tempfile.TemporaryDirectory(prefix="fossilgis-prj-") as tmp:
        for sib in shp.parent.iterdir():
            if sib.stem == shp.stem and sib.suffix.lower() != ".prj" and sib.is_file():
                os.symlink(sib.resolve(), Path(tmp) / ("layer" + sib.suffix.lower()))
        yield Path(tmp) / "layer.shp"


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
    if FEATURE_WINDOW.get() is None:
        check_shapefile(path, _sibling(path, ".shx"), dbf, source)
    prj = _sibling(path, ".prj")
    crs, problem = prj_problem(prj) if prj is not None else (None, None)
    # latin-1 makes GDAL pass every DBF byte through unchanged; decode_dbf_frame decodes.
    gdf = None
    if problem is None:
        try:
            gdf = read_ogr(path, source, encoding="ISO-8859-1", notes=notes)
        except (UnicodeError, NameError, pyogrio.errors.CRSError):
            # pyogrio fails on a .prj with non-UTF-8 bytes (an UnboundLocalError inside it);
            # pyproj read it, so read the geometry without it and keep pyproj's CRS
            gdf = None
    if gdf is None:
        with _without_prj(path) as bare:
            gdf = read_ogr(bare, source, encoding="ISO-8859-1", notes=notes)
    gdf, enc, basis, enc_notes = decode_dbf_frame(
        gdf, source=source, cpg=_sibling(path, ".cpg"), dbf=dbf, user_encoding=encoding
    )
    if problem is None and gdf.crs is not None and prj is not None:
        crs = _declared_crs(gdf, source)
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
            crs_problem=problem,
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
    text, enc, basis = read_single_text(path, source, layer, encoding)
    check(source, "json_depth", json_depth(text), what="its arrays/objects are nested deeper")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(
            f"{source} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}) "
            f"(GeoJSON 格式错误)."
        ) from exc
    _check_geojson(doc, source)
    notes: list[str] = []
    gdf = read_ogr(io.BytesIO(text.encode("utf-8")), source, notes=notes)
    has_crs_member = isinstance(doc, dict) and "crs" in doc
    crs = _declared_crs(gdf, source)
    if not has_crs_member and len(gdf) and crs is not None and crs.is_geographic:
        b = gdf.geometry.total_bounds
        if not (-180 <= b[0] and b[2] <= 180 and -90 <= b[1] and b[3] <= 90):
            crs = None
    return single_layer(
        gdf,
        source,
        notes,
        crs=crs,
        crs_missing="GeoJSON without a crs member, and its values are not degrees",
        encoding=(enc, None if basis == "utf-8" else basis),
    )
