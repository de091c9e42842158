"""Read CSV/XLSX coordinate tables: points, or polygons per parcel (and ring) id column."""

from __future__ import annotations

import contextlib
import csv
import io
import math
import re
import threading
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
from shapely.geometry import Point

from fossilgis.errors import InputFileError, InputNotFoundError
from fossilgis.io._archive import check_member_sizes
from fossilgis.io._boundary_txt import assign_axes
from fossilgis.io._raw import RawLayer, read_single_text
from fossilgis.io._shapes import rings_to_geometry
from fossilgis.io.limits import check, current_limits, too_large

_CSV_LOCK = threading.Lock()


@contextlib.contextmanager
def _csv_field_limit(limit: int):
    """csv.field_size_limit is process-wide: set it for this read only, under a lock."""
    with _CSV_LOCK:
        before = csv.field_size_limit(limit)
        try:
            yield
        finally:
            csv.field_size_limit(before)


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
    text, enc, basis = read_single_text(path, source, layer, encoding)
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    delim = max([",", "\t", ";", "，", "|"], key=first.count)
    limits = current_limits()
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    rows = []
    with _csv_field_limit(limits.csv_field_bytes):
        try:
            for row in reader:
                rows.append(row)
                check(source, "features", len(rows), what="the table holds more rows")
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise too_large(
                    source,
                    "csv_field_bytes",
                    f"more than {limits.csv_field_bytes:,}",
                    what=f"line {reader.line_num} holds a longer field",
                ) from None
            raise InputFileError(
                f"{source}, line {reader.line_num}: not a readable CSV row ({exc}) "
                f"(CSV 格式错误). Save the table again as CSV (UTF-8)."
            ) from None
    raw = _rows_to_layer(rows, source, None)
    if raw is None:
        raise _no_columns(source, rows[0] if rows else [])
    raw.encoding, raw.encoding_basis = enc, basis
    return [raw]


def _sheet_rows(ws, source: str) -> list[list]:
    """The rows of a read-only sheet, bounded by the xlsx_cells and text_bytes limits.

    The declared dimension (``<dimension ref="A1:XFD1048576"/>``) is checked first and then
    dropped: openpyxl pads every row to it, so a 1.5 KB file could ask for 17 billion cells.
    """
    limits = current_limits()
    where = f"{source}!{ws.title}"
    declared_rows = getattr(ws, "max_row", None) or 0
    declared_cols = getattr(ws, "max_column", None) or 0
    if declared_rows * declared_cols > limits.xlsx_cells:
        raise too_large(
            where,
            "xlsx_cells",
            declared_rows * declared_cols,
            what=f"the sheet declares {declared_rows:,} rows × {declared_cols:,} columns "
            f"in its dimension, that many cells",
        )
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()
    rows, cells = [], 0
    for r in ws.iter_rows(values_only=True):
        cells += max(len(r), 1)
        if cells > limits.xlsx_cells:
            raise too_large(where, "xlsx_cells", cells, what="the sheet holds more cells")
        for v in r:
            if isinstance(v, str) and len(v) > limits.text_bytes:
                raise too_large(
                    where, "text_bytes", len(v), what=f"row {len(rows) + 1} has a longer text cell"
                )
        rows.append(list(r))
        check(where, "features", len(rows), what="the sheet holds more rows")
    return rows


def read_xlsx(path: Path, source: str, layer, encoding) -> list[RawLayer]:
    """An XLSX workbook: every sheet with coordinate columns is a layer named after the sheet."""
    import openpyxl

    try:
        with zipfile.ZipFile(path) as zf:
            # sizes first: openpyxl inflates the shared strings and sheets it opens
            # (XML compresses well: only the total is bounded, not the ratio)
            check_member_sizes(zf, source, ratio_check=False)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputFileError(
            f"{source} cannot be read as an Excel .xlsx workbook ({exc}) (Excel 文件无法读取). "
            f"Save it again as .xlsx."
        ) from exc
    with warnings.catch_warnings():
        # openpyxl warns about styles and data validation it ignores; irrelevant here.
        warnings.simplefilter("ignore")
        try:
            # read-only: sheets are streamed and comments, drawings and images never loaded
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for damaged files
            raise InputFileError(
                f"{source} cannot be read as an Excel .xlsx workbook ({exc}) (Excel 文件无法读取)."
            ) from exc
        try:
            sheets = {ws.title: _sheet_rows(ws, source) for ws in wb.worksheets}
        except (InputFileError, InputNotFoundError):
            raise
        except Exception as exc:  # damaged sheet XML, bad cell references, ...
            raise InputFileError(
                f"{source}: a sheet cannot be read ({type(exc).__name__}: {exc}) "
                f"(Excel 工作表无法读取). Save the workbook again as .xlsx."
            ) from exc
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
