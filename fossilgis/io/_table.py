"""Read CSV/XLSX coordinate tables: points, or polygons per parcel (and ring) id column."""

from __future__ import annotations

import csv
import io
import math
import re
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
from shapely.geometry import Point

from fossilgis.errors import InputFileError, InputNotFoundError
from fossilgis.io._boundary_txt import assign_axes
from fossilgis.io._encoding import decode_text_bytes
from fossilgis.io._raw import RawLayer
from fossilgis.io._shapes import rings_to_geometry

#: normalised header names of coordinate columns, as (first, second) pairs in preference order
COORD_PAIRS = (
    ("x", "y"),
    ("东", "北"),
    ("e", "n"),
    ("easting", "northing"),
    ("lon", "lat"),
    ("lng", "lat"),
    ("long", "lat"),
    ("longitude", "latitude"),
    ("经度", "纬度"),
)
PARCEL_NAMES = {
    "地块编号",
    "地块号",
    "地块",
    "宗地号",
    "宗地编号",
    "parcel",
    "parcelid",
    "parcel_id",
    "polygon",
    "polygonid",
    "part",
    "partid",
}
RING_NAMES = {"圈号", "环号", "ring", "ringid", "ring_id"}
POINT_NAMES = {"点号", "界址点号", "点名", "point", "pointid", "point_id", "pt", "序号"}

_DMS = re.compile(
    r"^\s*(?P<d>-?\d+(?:\.\d+)?)\s*[°度]\s*(?:(?P<m>\d+(?:\.\d+)?)\s*['′分])?\s*"
    r"(?:(?P<s>\d+(?:\.\d+)?)\s*(?:\"|″|''|秒))?\s*(?P<h>[NSEW北南东西])?\s*$",
    re.IGNORECASE,
)


def _norm(name) -> str:
    s = str(name or "").strip().lower()
    s = re.sub(r"[（(][^)）]*[)）]", "", s)  # drop units such as (m) or （米）
    return s.replace(" ", "").replace("坐标", "")


def parse_coordinate(value) -> float:
    """A number, a numeric string, or degrees-minutes-seconds (105°24′30.5″ / 105度24分30.5秒)."""
    if value is None:
        return math.nan
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    if not text:
        return math.nan
    try:
        return float(text.replace(",", ""))  # thousands separators: 2,912,345.12
    except ValueError:
        pass
    m = _DMS.match(text)
    if not m:
        raise ValueError(text)
    deg = abs(float(m["d"])) + float(m["m"] or 0) / 60 + float(m["s"] or 0) / 3600
    neg = m["d"].startswith("-") or (m["h"] or "").upper() in ("S", "W", "南", "西")
    return -deg if neg else deg


def _find_header(rows: list[list]) -> int | None:
    for i, row in enumerate(rows[:20]):
        names = {_norm(c) for c in row}
        if any(a in names and b in names for a, b in COORD_PAIRS):
            return i
    return None


def _rows_to_layer(rows: list[list], source: str, layer: str | None) -> RawLayer | None:
    h = _find_header(rows)
    if h is None:
        return None
    header = [str(c).strip() if c is not None else "" for c in rows[h]]
    norm = [_norm(c) for c in header]
    for a, b in COORD_PAIRS:
        if a in norm and b in norm:
            ia, ib = norm.index(a), norm.index(b)
            break
    parcel = next((i for i, n in enumerate(norm) if n in PARCEL_NAMES), None)
    ring = next((i for i, n in enumerate(norm) if n in RING_NAMES), None)
    body = [
        list(r) + [None] * (len(header) - len(r))
        for r in rows[h + 1 :]
        if any(c not in (None, "") for c in r)
    ]
    va, vb = [], []
    for k, r in enumerate(body):
        row_no = h + k + 2  # 1-based, as a spreadsheet shows it
        try:
            a, b = parse_coordinate(r[ia]), parse_coordinate(r[ib])
        except ValueError as exc:
            raise InputFileError(
                f"{source}: row {row_no}: {exc.args[0]!r} is not a coordinate (坐标格式错误); "
                f"expected a number or 105°24′30.5″."
            ) from None
        if math.isnan(a) or math.isnan(b):
            empty_col = header[ia] if math.isnan(a) else header[ib]
            raise InputFileError(f"{source}: row {row_no} has an empty {empty_col} (坐标缺失).")
        va.append(a)
        vb.append(b)
    notes: list[str] = []
    if not body:
        gdf = gpd.GeoDataFrame({c: [] for c in header if c}, geometry=[])
        return RawLayer(gdf=gdf, source=source, layer=layer, crs_missing="tables carry none")
    east, north, axis_notes = assign_axes(
        np.array(va), np.array(vb), source=source, names=(header[ia], header[ib])
    )
    notes += axis_notes
    pts = list(zip(east.tolist(), north.tolist()))
    others = [i for i in range(len(header)) if i not in (ia, ib) and header[i]]
    if parcel is None:
        records = [{header[i]: r[i] for i in others} for r in body]
        geoms = [Point(p) for p in pts]
        notes.append(
            "无地块编号列，按点读取 / no parcel id column: rows read as points (add a 地块编号 "
            "column to build polygons)"
        )
    else:
        groups: dict[object, list[int]] = {}
        for k, r in enumerate(body):
            groups.setdefault(r[parcel], []).append(k)
        records, geoms = [], []
        for pid, idx in groups.items():
            rings: dict[object, list] = {}
            for k in idx:
                rid = body[k][ring] if ring is not None else 1
                rings.setdefault(rid, []).append(pts[k])
            what = f"parcel {pid}"
            geoms.append(
                rings_to_geometry(list(rings.items()), source=source, what=what, notes=notes)
            )
            rec = {header[parcel]: pid, "点数": len(idx)}
            # Keep the columns whose value is the same for the whole parcel (e.g. 地块名称).
            for i in others:
                if i in (parcel, ring) or norm[i] in POINT_NAMES:
                    continue
                vals = {body[k][i] for k in idx}
                if len(vals) == 1:
                    rec[header[i]] = vals.pop()
            records.append(rec)
        notes.append(
            f"按 {header[parcel]} 列组成 {len(groups)} 个面 / {len(groups)} polygon(s) built from "
            f"column {header[parcel]}"
        )
    gdf = gpd.GeoDataFrame(records, geometry=geoms)
    return RawLayer(
        gdf=gdf, source=source, layer=layer, crs=None, crs_missing="tables carry none", notes=notes
    )


def _no_columns(source: str, found: list) -> InputFileError:
    return InputFileError(
        f"{source}: no coordinate columns found (未找到坐标列); header seen: "
        f"{', '.join(str(c) for c in found if c not in (None, '')) or '(empty)'}. Expected a "
        f"pair such as X/Y (X坐标/Y坐标), 东/北, lon/lat or 经度/纬度, optionally 点号, 地块编号 "
        f"and 圈号."
    )


def read_csv(path: Path, source: str, layer, encoding) -> list[RawLayer]:
    """A CSV coordinate table (comma, tab, semicolon or Chinese comma separated)."""
    from fossilgis.io._ogr import select_layer

    select_layer([path.stem], layer, source)
    text, enc, basis = decode_text_bytes(path.read_bytes(), source=source, user_encoding=encoding)
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    delim = max([",", "\t", ";", "，", "|"], key=first.count)
    rows = list(csv.reader(io.StringIO(text), delimiter=delim))
    raw = _rows_to_layer(rows, source, None)
    if raw is None:
        raise _no_columns(source, rows[0] if rows else [])
    raw.encoding, raw.encoding_basis = enc, basis
    return [raw]


def read_xlsx(path: Path, source: str, layer, encoding) -> list[RawLayer]:
    """An XLSX workbook: every sheet with coordinate columns is a layer named after the sheet."""
    import openpyxl

    with warnings.catch_warnings():
        # openpyxl warns about styles and data validation it ignores; irrelevant here.
        warnings.simplefilter("ignore")
        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for damaged files
            raise InputFileError(
                f"{source} cannot be read as an Excel .xlsx workbook ({exc}) (Excel 文件无法读取)."
            ) from exc
        try:
            sheets = {
                ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets
            }
        finally:
            wb.close()
    out = []
    if layer is not None and layer not in sheets:
        raise InputNotFoundError(
            f"{source} has no sheet {layer!r} (工作表不存在); available sheets: "
            + ", ".join(repr(n) for n in sheets)
            + "."
        )
    for name, rows in sheets.items():
        if layer is not None and name != layer:
            continue
        raw = _rows_to_layer(rows, source, name)
        if raw is None:
            if layer is not None:
                raise _no_columns(f"{source}!{name}", rows[0] if rows else [])
            continue
        if encoding:
            raw.notes.append(
                "XLSX 文本固定为 Unicode，已忽略 --encoding / "
                "XLSX text is Unicode; --encoding ignored"
            )
        raw.encoding = "utf-8"
        out.append(raw)
    if not out:
        first = next(iter(sheets.values()), [])
        raise _no_columns(source, first[0] if first else [])
    return out
