"""Identify a declared CRS, detect one from coordinate magnitudes, refuse what cannot be used."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence

from pyproj import CRS
from pyproj.database import query_crs_info
from pyproj.enums import PJType
from pyproj.exceptions import CRSError as PyprojCRSError

from fossilgis.errors import CRSError
from fossilgis.geo import CRS_GEOGRAPHIC, GK_ZONES, GUIZHOU_BOUNDS

# Magnitudes of Gauss-Krüger coordinates over Guizhou (24.5°–29.3° N, zones 35–37), with margin.
NORTHING_RANGE = (2_600_000.0, 3_300_000.0)
EASTING_RANGE = (100_000.0, 900_000.0)

LEGACY_DATUMS = {
    4610: "Xian 1980 (1980西安坐标系)",
    4214: "Beijing 1954 (1954北京坐标系)",
}

_GK_NAME = re.compile(
    r"(?P<datum>CGCS2000|Xian 1980|Beijing 1954) / (?P<three>3-degree )?Gauss-Kruger "
    r"(?:zone (?P<zone>\d+)|CM (?P<cm>\d+)E)"
)


@functools.cache
def _gk_codes() -> dict[tuple[str, int, str, int], int]:
    """EPSG codes of the Chinese Gauss-Krüger CRSs, keyed by (datum, width, 'zone'|'cm', n).

    Read from the PROJ database by name, so no table of codes is copied into the project.
    """
    out: dict[tuple[str, int, str, int], int] = {}
    for info in query_crs_info(auth_name="EPSG", pj_types=PJType.PROJECTED_CRS):
        m = _GK_NAME.fullmatch(info.name)
        if not m:
            continue
        width = 3 if m["three"] else 6
        key = ("zone", int(m["zone"])) if m["zone"] else ("cm", int(m["cm"]))
        out[(m["datum"], width, *key)] = int(info.code)
    return out


def gk_epsg(
    zone: int | None = None, *, cm: int | None = None, datum: str = "CGCS2000", width: int = 3
) -> int | None:
    """EPSG code of a Gauss-Krüger CRS: with zone prefix (``zone=``) or without (``cm=``)."""
    if zone is not None:
        return _gk_codes().get((datum, width, "zone", int(zone)))
    if cm is not None:
        return _gk_codes().get((datum, width, "cm", int(cm)))
    return None


def crs_label(crs: CRS) -> str:
    """'EPSG:4523' when the CRS has a code, else its name."""
    code = crs.to_epsg(min_confidence=70)
    return f"EPSG:{code}" if code else (crs.name or crs.to_string())


def _tmerc_params(crs: CRS) -> tuple[float, ...] | None:
    """(lon_0, lat_0, k, x_0, y_0, a, rf) of a Transverse Mercator CRS, else None."""
    if not crs.is_projected or crs.coordinate_operation is None:
        return None
    op = crs.coordinate_operation
    method = (op.method_name or "").lower()
    if "transverse mercator" not in method and "gauss" not in method:
        return None
    by_code = {}
    for p in op.params:
        if p.code:
            by_code[p.code] = p.value
    try:
        ell = crs.ellipsoid
        return (
            by_code["8802"],
            by_code.get("8801", 0.0),
            by_code.get("8805", 1.0),
            by_code["8806"],
            by_code.get("8807", 0.0),
            ell.semi_major_metre,
            ell.inverse_flattening,
        )
    except (KeyError, AttributeError):
        return None


@functools.cache
def _gk_params_table() -> list[tuple[int, tuple[float, ...]]]:
    out = []
    for (_datum, width, _kind, _n), code in _gk_codes().items():
        if width != 3:
            continue
        params = _tmerc_params(CRS.from_epsg(code))
        if params:
            out.append((code, params))
    return out


def _match_gk_by_parameters(crs: CRS) -> int | None:
    """Fallback when PROJ cannot identify an ESRI Gauss_Kruger WKT (OSGeo/PROJ#1829)."""
    params = _tmerc_params(crs)
    if params is None:
        return None
    tol = (1e-7, 1e-7, 1e-9, 1e-3, 1e-3, 1e-3, 1e-6)
    for code, ref in _gk_params_table():
        if all(abs(a - b) <= t for a, b, t in zip(params, ref, tol)):
            return code
    return None


def identify_declared(crs_like) -> CRS:
    """A pyproj CRS for what a file declares, replaced by its EPSG twin when one matches."""
    crs = crs_like if isinstance(crs_like, CRS) else CRS.from_user_input(crs_like)
    code = crs.to_epsg(min_confidence=70)
    if code is None:
        code = _match_gk_by_parameters(crs)
    if code is not None:
        try:
            return CRS.from_epsg(code)
        except PyprojCRSError:
            return crs
    return crs


def parse_user_crs(value) -> CRS:
    """Parse ``crs=`` from the user: 'EPSG:4523', '4523', 4523 or anything pyproj accepts."""
    text = str(value).strip()
    if text.isdigit():
        text = f"EPSG:{text}"
    try:
        return identify_declared(CRS.from_user_input(text))
    except PyprojCRSError as exc:
        raise CRSError(
            f"--crs {value!r} is not a coordinate reference system pyproj knows "
            f"(坐标系无法识别); give an EPSG code such as EPSG:4523 "
            f"(CGCS2000 3° Gauss-Krüger zone 35)."
        ) from exc


def legacy_datum(crs: CRS) -> str | None:
    """'Xian 1980 (...)' or 'Beijing 1954 (...)' when the CRS is on one of those datums."""
    geod = crs.geodetic_crs
    code = geod.to_epsg(min_confidence=70) if geod is not None else None
    if code in LEGACY_DATUMS:
        return LEGACY_DATUMS[code]
    names = " ".join(
        n.lower()
        for n in (
            crs.name,
            getattr(crs.datum, "name", ""),
            getattr(crs.ellipsoid, "name", ""),
        )
        if n
    )
    if "xian" in names or "iag 1975" in names or "iag_1975" in names:
        return LEGACY_DATUMS[4610]
    if "beijing" in names:
        return LEGACY_DATUMS[4214]
    return None


def refuse_legacy(crs: CRS, source: str, how: str) -> None:
    """Raise when ``crs`` is Xian 1980 / Beijing 1954: no usable transformation to CGCS2000."""
    datum = legacy_datum(crs)
    if datum is None:
        return
    raise CRSError(
        f"{source}: {how} {crs.name} ({crs_label(crs)}), on the {datum} datum. "
        f"PROJ has no transformation from it to CGCS2000 for Guizhou and would silently apply "
        f"a null 'ballpark' shift (errors up to about 100 m). Converting needs the office's "
        f"7-parameter Bursa-Wolf transformation (ΔX, ΔY, ΔZ, rX, rY, rZ, scale) or a planar "
        f"4-parameter transformation (ΔX, ΔY, rotation, scale) for the area "
        f"(缺少七参数/四参数转换参数). Convert the file to CGCS2000 (2000国家大地坐标系) with "
        f"those parameters first, then read it again."
    )


# --- detection from magnitudes -------------------------------------------------------------


def value_kind(lo: float, hi: float) -> str | None:
    """What a range of one coordinate looks like in Guizhou.

    Returns 'lon', 'lat', 'north', 'east' (GK without prefix), 'east35'/'east36'/'east37'
    (GK easting with zone prefix) or None.
    """
    gx0, gy0, gx1, gy1 = GUIZHOU_BOUNDS
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return None
    if gx0 <= lo and hi <= gx1:
        return "lon"
    if gy0 <= lo and hi <= gy1:
        return "lat"
    if NORTHING_RANGE[0] <= lo and hi <= NORTHING_RANGE[1]:
        return "north"
    if EASTING_RANGE[0] <= lo and hi <= EASTING_RANGE[1]:
        return "east"
    zone_lo, zone_hi = int(lo // 1_000_000), int(hi // 1_000_000)
    if zone_lo == zone_hi and zone_lo in GK_ZONES:
        rest_lo, rest_hi = lo - zone_lo * 1_000_000, hi - zone_hi * 1_000_000
        if EASTING_RANGE[0] <= rest_lo and rest_hi <= EASTING_RANGE[1]:
            return f"east{zone_lo}"
    return None


def fmt_bounds(bounds: Sequence[float]) -> str:
    """A bbox with as many decimals as its magnitude needs (degrees vs metres)."""
    big = (
        max(abs(v) for v in bounds if math.isfinite(v))
        if any(math.isfinite(v) for v in bounds)
        else 0
    )
    digits = 4 if big < 1000 else 1
    return "(" + ", ".join(f"{v:.{digits}f}" for v in bounds) + ")"


def _cm_options() -> str:
    opts = []
    for zone in sorted(GK_ZONES):
        cm = zone * 3
        code = gk_epsg(cm=cm)
        opts.append(f"EPSG:{code} (CM {cm}°E, {cm - 1.5:g}°–{cm + 1.5:g}°E)")
    return ", ".join(opts[:-1]) + " or " + opts[-1]


def _prefixed_label(zone: int) -> tuple[int, str]:
    code = gk_epsg(zone)
    return code, f"CGCS2000 3° Gauss-Krüger zone {zone} (EPSG:{code})"


def swapped_message(source: str, kx: str | None, ky: str | None, bounds) -> str | None:
    """A message when the axes look exchanged (lat/lon or northing/easting), else None."""
    if kx == "lat" and ky == "lon":
        return (
            f"{source}: latitude/longitude look swapped (经纬度颠倒): the first coordinate "
            f"{bounds[0]:.4f}–{bounds[2]:.4f} is a latitude and the second "
            f"{bounds[1]:.4f}–{bounds[3]:.4f} a longitude. Store longitude as X and latitude "
            f"as Y, then read the file again."
        )
    if kx == "north" and ky is not None and ky.startswith("east"):
        return (
            f"{source}: X/Y look swapped (X/Y 坐标颠倒): the first coordinate "
            f"{bounds[0]:.0f}–{bounds[2]:.0f} is a northing and the second "
            f"{bounds[1]:.0f}–{bounds[3]:.0f} an easting. Surveying tables call the northing X; "
            f"GIS and CAD files need X = easting, Y = northing. Swap the columns and read the "
            f"file again."
        )
    return None


def detect_crs(bounds, source: str, missing: str, head: str | None = None) -> tuple[CRS, str]:
    """Infer the CRS of an undeclared file from its bbox, or raise a CRSError that proposes one.

    Only longitude/latitude inside Guizhou is accepted (as EPSG:4490); projected values are
    never guessed silently: the error names the CRS they look like and the ``--crs`` to give.

    Returns
    -------
    (CRS, note)
    """
    minx, miny, maxx, maxy = bounds
    kx, ky = value_kind(minx, maxx), value_kind(miny, maxy)
    head = head or f"{source} has no coordinate reference system ({missing})"
    if kx == "lon" and ky == "lat":
        return CRS.from_user_input(CRS_GEOGRAPHIC), (
            "坐标为贵州范围内的经纬度，按 CGCS2000 地理坐标 (EPSG:4490) 读取 / "
            "coordinates are longitude/latitude inside Guizhou: read as CGCS2000 "
            "geographic (EPSG:4490)"
        )
    swapped = swapped_message(source, kx, ky, bounds)
    if swapped:
        raise CRSError(f"{head}, and {swapped.split(': ', 1)[1]}")
    if kx and kx.startswith("east") and kx != "east" and ky == "north":
        zone = int(kx[4:])
        code, label = _prefixed_label(zone)
        raise CRSError(
            f"{head}; its X values carry the zone prefix {zone} (带号 {zone}) → {label}? "
            f"Re-run with --crs EPSG:{code}. (bbox found: {fmt_bounds(bounds)})",
            proposed_crs=f"EPSG:{code}" if code else None,
        )
    if kx == "east" and ky == "north":
        raise CRSError(
            f"{head}; its coordinates look like CGCS2000 3° Gauss-Krüger without the zone "
            f"prefix (easting {minx:.0f}–{maxx:.0f}, northing {miny:.0f}–{maxy:.0f}), so the "
            f"central meridian must be given (需指定中央经线): re-run with --crs "
            f"{_cm_options()}."
        )
    if -180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90:
        raise CRSError(
            f"{head}; its coordinates look like longitude/latitude {fmt_bounds(bounds)} but lie "
            f"outside Guizhou {fmt_bounds(GUIZHOU_BOUNDS)} (不在贵州省范围内). If they are "
            f"CGCS2000 degrees re-run with --crs EPSG:4490; otherwise check the file.",
            proposed_crs="EPSG:4490",
        )
    raise CRSError(
        f"{head}, and its coordinates {fmt_bounds(bounds)} match no CRS used in Guizhou "
        f"(坐标系无法识别). Expected longitude/latitude inside {fmt_bounds(GUIZHOU_BOUNDS)}, "
        f"or CGCS2000 3° Gauss-Krüger metres: northing {NORTHING_RANGE[0]:.0f}–"
        f"{NORTHING_RANGE[1]:.0f} with an easting that carries the zone prefix "
        f"(35/36/37 xxx xxx) or not ({EASTING_RANGE[0]:.0f}–{EASTING_RANGE[1]:.0f}). "
        f"Drawings in millimetres or in a local (独立/施工) grid must be converted first. "
        f"Re-run with --crs EPSG:xxxx if you know the CRS."
    )


def prefix_zone(values_lo: float, values_hi: float) -> int | None:
    """Zone number carried as prefix by an easting range (35 for 35 512 345.6), else None."""
    kind = value_kind(values_lo, values_hi)
    if kind and kind.startswith("east") and kind != "east":
        return int(kind[4:])
    return None
