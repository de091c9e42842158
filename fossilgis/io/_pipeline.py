"""The finishing pipeline every layer goes through: clean, resolve the CRS, repair, transform."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError as PyprojCRSError
from pyproj.exceptions import ProjError
from shapely.geometry import MultiPolygon, box

from fossilgis.errors import CRSError, InputFileError, OutsideProvinceError
from fossilgis.geo import CRS_GEOGRAPHIC, GUIZHOU_BOUNDS, format_bounds
from fossilgis.io._crs import (
    crs_label,
    detect_crs,
    fmt_bounds,
    gk_epsg,
    prefix_zone,
    refuse_legacy,
    swapped_message,
    value_kind,
)
from fossilgis.io._raw import RawLayer
from fossilgis.io.limits import check
from fossilgis.parallel import map_arrays

# the pipeline's log lines are the reader's: people filter on "fossilgis.io.read"
log = logging.getLogger("fossilgis.io.read")

_POLYGONAL = {"Polygon", "MultiPolygon"}


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
    source_crs : the pyproj CRS of the file's own coordinates (what ``crs_in`` names).
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
    source_crs: CRS | None = None


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
    for i in np.flatnonzero(~map_arrays(shapely.is_valid, geoms)):
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
    # only features whose boxes coincide can repeat one another: compare those alone
    same_box = pd.DataFrame(shapely.bounds(geoms)).duplicated(keep=False).to_numpy()
    if not same_box.any():
        return None
    wkb = pd.Series([None] * len(geoms), dtype=object)
    wkb[same_box] = shapely.to_wkb(shapely.normalize(geoms[same_box]))
    wkb[~same_box] = np.flatnonzero(~same_box)  # unique stand-ins for the rest
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
    log.info(
        "%s: CRS %s (basis %s), encoding %s (basis %s), %d features",
        raw.source,
        crs_label(crs),
        basis,
        raw.encoding,
        raw.encoding_basis,
        len(geoms),
    )

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
        source_crs=crs,
    )
    if not np.isfinite(bounds_deg).all():
        raise CRSError(
            f"{raw.source}: with {result.crs_in} the coordinates {fmt_bounds(bounds_in)} fall "
            f"outside the CRS's valid range (坐标超出坐标系范围). {_outside_hint(result)}"
        )
    if basis == "user" and not result_gdf.intersects(box(*GUIZHOU_BOUNDS)).any():
        raise OutsideProvinceError(_outside_message(result, bounds_deg, "with this --crs it lies"))
    return result
