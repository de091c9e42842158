"""Read a 界址点 coordinate TXT in the 报部/报省 (国土 TXT) format: parcels, rings, header CRS."""

from __future__ import annotations

import math
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
from pyproj import CRS

from fossilgis.errors import CRSError, InputFileError
from fossilgis.io._crs import gk_epsg, prefix_zone, value_kind
from fossilgis.io._raw import RawLayer, read_single_text, single_layer
from fossilgis.io._shapes import rings_to_geometry

#: the attribute fields of a parcel header line, in order, before the final "@"
PARCEL_FIELDS = (
    "界址点数",
    "地块面积",
    "地块编号",
    "地块名称",
    "记录图形属性",
    "图幅号",
    "地块用途",
    "地类编号",
)

MARKER = "[地块坐标]"
_SPLIT = re.compile(r"[,，]")


def looks_like_boundary_txt(path: Path) -> bool:
    """True when a .txt carries the [地块坐标] section (in UTF-8 or GBK)."""
    head = path.read_bytes()[: 1 << 20]
    return MARKER.encode("utf-8") in head or MARKER.encode("gbk") in head


def assign_axes(
    a: np.ndarray, b: np.ndarray, *, source: str, names: tuple[str, str]
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(easting-or-lon, northing-or-lat) from two coordinate columns, decided by magnitude.

    Column names are unreliable in Chinese tables (X is north in surveying, east in CAD, and
    some templates label them the other way round); a 7-digit ~2.7–3.2 M value is a northing,
    an 8-digit value starting 35/36/37 an easting with zone prefix.
    """
    ka = value_kind(float(np.nanmin(a)), float(np.nanmax(a)))
    kb = value_kind(float(np.nanmin(b)), float(np.nanmax(b)))
    notes: list[str] = []
    east_kinds = {"east", "east35", "east36", "east37"}
    if (ka == "north" and kb in east_kinds) or (ka == "lat" and kb == "lon"):
        return b, a, notes
    if (kb == "north" and ka in east_kinds) or (kb == "lat" and ka == "lon"):
        if names[0].upper().startswith("X") and ka in east_kinds:
            notes.append(
                f"{names[0]} 列为东坐标（按数值判断）/ column {names[0]} holds the easting "
                f"(decided by magnitude, CAD order)"
            )
        return a, b, notes
    raise CRSError(
        f"{source}: cannot tell easting from northing (无法判断东/北坐标): column {names[0]} "
        f"spans {np.nanmin(a):.3f}–{np.nanmax(a):.3f} and {names[1]} "
        f"{np.nanmin(b):.3f}–{np.nanmax(b):.3f}. Expected a northing of 2 600 000–3 300 000 m "
        f"with an easting of 100 000–900 000 m (or 35/36/37 xxx xxx with the zone prefix), or "
        f"Guizhou longitude/latitude. Check the units (metres, not km or mm)."
    )


def _header_crs(header: dict[str, str], easting: np.ndarray, source: str) -> CRS | None:
    """The CRS declared by [属性描述] (坐标系, 几度分带, 带号, 计量单位), or None."""
    cs = header.get("坐标系", "").replace(" ", "")
    if not cs:
        return None
    if "2000" in cs or "CGCS" in cs.upper():
        datum, geog = "CGCS2000", 4490
    elif "西安" in cs or "80" in cs:
        datum, geog = "Xian 1980", 4610
    elif "北京" in cs or "54" in cs:
        datum, geog = "Beijing 1954", 4214
    elif "WGS" in cs.upper() or "84" in cs:
        datum, geog = "WGS 84", 4326
    else:
        raise CRSError(
            f"{source}: 坐标系={cs} is not a datum fossilgis knows (坐标系无法识别); expected "
            f"2000国家大地坐标系. Re-run with --crs EPSG:xxxx."
        )
    unit = header.get("计量单位", "米").strip()
    if unit.startswith("度") or unit.lower().startswith("deg"):
        return CRS.from_epsg(geog)
    if not (unit.startswith("米") or unit.lower() in ("m", "metre", "meter")):
        raise InputFileError(
            f"{source}: 计量单位={unit}; only 米 (metres) or 度 (degrees) are supported."
        )
    if datum == "WGS 84":
        raise CRSError(
            f"{source}: 坐标系={cs} in metres names no projection fossilgis can resolve; re-run "
            f"with --crs EPSG:xxxx."
        )
    width = int(re.sub(r"\D", "", header.get("几度分带", "3")) or 3)
    zone_txt = re.sub(r"\D", "", header.get("带号", ""))
    zone = int(zone_txt) if zone_txt else None
    prefixed = prefix_zone(float(np.nanmin(easting)), float(np.nanmax(easting)))
    if prefixed is None and float(np.nanmin(easting)) >= 1_000_000:
        prefixed = int(float(np.nanmin(easting)) // 1_000_000)
    if prefixed is not None:
        if zone is not None and zone != prefixed:
            raise CRSError(
                f"{source}: the header says 带号={zone} but the Y values carry the zone prefix "
                f"{prefixed} (带号不一致); correct the header or the coordinates."
            )
        code = gk_epsg(prefixed, datum=datum, width=width)
    elif zone is not None:
        cm = zone * 3 if width == 3 else zone * 6 - 3
        code = gk_epsg(cm=cm, datum=datum, width=width)
    else:
        return None
    if code is None:
        raise CRSError(
            f"{source}: no EPSG code for {datum} {width}° Gauss-Krüger zone "
            f"{prefixed or zone} (带号); re-run with --crs EPSG:xxxx."
        )
    return CRS.from_epsg(code)


def _number(text: str, source: str, lineno: int, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InputFileError(
            f"{source}, line {lineno}: {what} {text!r} is not a number (坐标不是数字)."
        ) from None


def _parcel_name(p: dict) -> str:
    return f"parcel {p['attrs'].get('地块编号', '?') or '?'} (line {p['line']})"


def _check_declared_count(p: dict, source: str) -> None:
    """Refuse a parcel with fewer point rows than its 界址点数 (a file cut inside it)."""
    declared = str(p["attrs"].get("界址点数", "")).strip()
    if not declared.isdigit():
        return
    found = len(p["points"])
    if found < int(declared):
        raise InputFileError(
            f"{source}: {_parcel_name(p)} declares 界址点数={declared} points but only {found} "
            f"follow (界址点数不足：文件可能被截断). The file was probably cut short: copy or "
            f"export it again."
        )


#: declared 地块面积 is in hectares (公顷) in the 报部 format; some tools write m² or 亩
_AREA_UNITS = {"公顷 (ha)": 10_000.0, "平方米 (m²)": 1.0, "亩 (mu)": 10_000.0 / 15}


def _check_declared_area(p: dict, area_m2: float, source: str, what: str) -> None:
    """Refuse a parcel whose outline's area is grossly unlike its declared 地块面积 in every
    unit it could be written in (a cut or garbled parcel)."""
    try:
        declared = float(str(p["attrs"].get("地块面积", "")).strip())
    except ValueError:
        return
    if not (declared > 0 and math.isfinite(declared)):
        return
    for factor in _AREA_UNITS.values():
        ratio = declared * factor / area_m2 if area_m2 > 0 else math.inf
        if 0.5 <= ratio <= 2.0:
            return
    raise InputFileError(
        f"{source}: {what} declares 地块面积={declared:g} (hectares) but its points enclose "
        f"{area_m2 / 10_000:.4f} ha = {area_m2:.1f} m² (面积与界址点不符). Points are missing "
        f"or wrong: check the parcel against the original and export the file again."
    )


def read_boundary_txt(path: Path, source: str, layer, encoding) -> list[RawLayer]:
    """Parcels of a 界址点 TXT; X is read as northing and Y as easting unless magnitudes say not."""
    text, enc, basis = read_single_text(path, source, layer, encoding)
    header: dict[str, str] = {}
    parcels: list[dict] = []
    section = None
    seen_coords = False
    for lineno, line in enumerate(text.splitlines(), 1):
        s = line.strip().lstrip("\ufeff")
        if not s:
            continue
        if s.startswith("[") and s.endswith("]"):
            section = s[1:-1].strip()
            seen_coords = seen_coords or section == "地块坐标"
            continue
        if section == "属性描述":
            key, _, val = s.partition("=")
            header[key.strip()] = val.strip()
        elif section == "地块坐标":
            parts = [p.strip() for p in _SPLIT.split(s)]
            if parts[-1] == "@":
                attrs = parts[:-1]
                names = list(PARCEL_FIELDS) + [
                    f"属性{i + 1}" for i in range(len(PARCEL_FIELDS), len(attrs))
                ]
                parcels.append({"attrs": dict(zip(names, attrs)), "points": [], "line": lineno})
            elif len(parts) >= 4:
                if not parcels:
                    raise InputFileError(
                        f"{source}, line {lineno}: a point row comes before any parcel header "
                        f"line (界址点数,地块面积,地块编号,地块名称,...,@)."
                    )
                ring = parts[1] or "1"
                x = _number(parts[2], source, lineno, "X")
                y = _number(parts[3], source, lineno, "Y")
                parcels[-1]["points"].append((parts[0], ring, x, y))
            else:
                raise InputFileError(
                    f"{source}, line {lineno}: {s!r} is neither a parcel header ending in ',@' "
                    f"nor a point row '点号,圈号,X,Y' (格式错误)."
                )
    if not seen_coords:
        raise InputFileError(
            f"{source} is not a 界址点 TXT in the 报部 format: no [地块坐标] section. Expected "
            f"[属性描述] with 坐标系/带号 and [地块坐标] with parcel header lines and "
            f"'点号,圈号,X,Y' rows."
        )
    notes: list[str] = []
    parcels = [p for p in parcels if p["points"]]
    if not parcels:
        gdf = gpd.GeoDataFrame({n: [] for n in PARCEL_FIELDS}, geometry=[])
        return [RawLayer(gdf=gdf, source=source, encoding=enc, encoding_basis=basis)]
    xs = np.array([pt[2] for p in parcels for pt in p["points"]])
    ys = np.array([pt[3] for p in parcels for pt in p["points"]])
    east, north, axis_notes = assign_axes(xs, ys, source=source, names=("X", "Y"))
    notes += axis_notes
    swap = east is xs
    metric = value_kind(float(east.min()), float(east.max())) not in (None, "lon", "lat")
    records, geoms = [], []
    for p in parcels:
        _check_declared_count(p, source)
        rings: dict[str, list[tuple[float, float]]] = {}
        for _pid, ring, x, y in p["points"]:
            rings.setdefault(ring, []).append((x, y) if swap else (y, x))
        ordered = sorted(rings.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 1 << 30)
        what = f"parcel {p['attrs'].get('地块编号', '?')} (line {p['line']})"
        kind = p["attrs"].get("记录图形属性", "面") or "面"
        geom = rings_to_geometry(ordered, source=source, what=what, kind=kind, notes=notes)
        if metric and geom.geom_type in ("Polygon", "MultiPolygon"):
            _check_declared_area(p, geom.area, source, what)
        geoms.append(geom)
        rec = dict(p["attrs"])
        for key in ("界址点数",):
            if rec.get(key, "").isdigit():
                rec[key] = int(rec[key])
        try:
            rec["地块面积"] = float(rec["地块面积"]) if rec.get("地块面积") else None
        except ValueError:
            pass
        records.append(rec)
    gdf = gpd.GeoDataFrame(records, geometry=geoms)
    crs = _header_crs(header, east, source)
    return single_layer(
        gdf,
        source,
        notes,
        crs=crs,
        crs_missing="its [属性描述] header names no 坐标系/带号",
        encoding=(enc, basis),
    )
