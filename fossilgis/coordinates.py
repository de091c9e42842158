"""Read coordinates typed or pasted into a search box: every plausible reading, in CGCS2000.

Forms understood: decimal degrees in either order (``106.7, 26.6`` / ``26.6, 106.7``),
degrees-minutes-seconds with ASCII, Unicode or Chinese marks (``26°35′12″N``, ``26度35分12秒``,
``北纬26°35′``), hemisphere letters (``E106.7 N26.6``) and CGCS2000 3° Gauss-Krüger metres
(``X=2943211 Y=35612345``, with or without the zone prefix; X is the northing, as surveyors
write it). Where a text can be read more than one way, every reading is returned so that the
caller can ask which one is meant; :func:`describe_problem` says, in Chinese and English, why
a text that looks like a coordinate is not one.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from pyproj import Transformer

from fossilgis.geo import CRS_GEOGRAPHIC, GK_ZONES, inside_guizhou
from fossilgis.io._crs import EASTING_RANGE, NORTHING_RANGE, gk_epsg, value_kind

#: "In and around Guizhou" for deciding the order of an unlabelled decimal pair: a reading
#: inside this box wins over one outside it (the province is 103.6–109.6 E, 24.6–29.2 N).
_NEAR_GUIZHOU = (100.0, 21.0, 113.0, 32.0)

#: Numbers above this are metres (Gauss-Krüger), never degrees.
_METRES_ABOVE = 360.0


@dataclass(frozen=True)
class CoordinateMatch:
    """One reading of a typed coordinate.

    ``lon``/``lat`` are CGCS2000 degrees (EPSG:4490); ``form`` is ``"decimal"``, ``"dms"``,
    ``"hemisphere"`` or ``"gauss_kruger"``; ``crs`` is the CRS the text was read in;
    ``label_zh``/``label_en`` say how it was read, for a "did you mean" list.
    """

    lon: float
    lat: float
    form: str
    crs: str
    label_zh: str
    label_en: str
    inside_guizhou: bool


class _Problem(Exception):
    """Why a coordinate-like text cannot be read; ``str()`` is the bilingual message."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} / {en}")


# --- tokens ---------------------------------------------------------------------------------

# Marks folded to ASCII before NFKC (which would turn º into "o" and ″ into two primes).
_MARKS = str.maketrans(
    {
        "º": "°", "˚": "°",
        "′": "'", "’": "'", "‘": "'", "´": "'", "`": "'",
        "″": '"', "“": '"', "”": '"',
        "−": "-",
    }
)  # fmt: skip

_NUMBER = r"\d+(?:\.\d+)?"
# Degrees, then optional minutes and seconds; a part without its mark is accepted only when
# it follows the previous mark directly (26°35.5N, 26°35'12N), so "26° 106°" stays two numbers.
_NUM_RE = re.compile(
    rf"""(?P<sign>[+-])?(?P<d>{_NUMBER})
    (?:\s*°
      (?:\s*(?P<m>{_NUMBER})\s*'
        (?:\s*(?P<s>{_NUMBER})\s*"|(?P<s2>{_NUMBER})(?![\d.°'"]))?
      |(?P<m2>{_NUMBER})(?![\d.°'"])
      )?
    )?""",
    re.X,
)

#: label → (axis, sign): hemispheres carry a sign, plain axis names do not
_LABELS = {
    "北纬": ("lat", 1), "南纬": ("lat", -1), "东经": ("lon", 1), "西经": ("lon", -1),
    "纬度": ("lat", 0), "经度": ("lon", 0),
    "latitude": ("lat", 0), "longitude": ("lon", 0),
    "long": ("lon", 0), "lat": ("lat", 0), "lon": ("lon", 0), "lng": ("lon", 0),
    "北": ("lat", 1), "南": ("lat", -1), "东": ("lon", 1), "西": ("lon", -1),
    "n": ("lat", 1), "s": ("lat", -1), "e": ("lon", 1), "w": ("lon", -1),
    "x": ("x", 0), "y": ("y", 0),
}  # fmt: skip
_LABEL_RE = re.compile("|".join(sorted(map(re.escape, _LABELS), key=len, reverse=True)))
_SEPARATORS = set(",;、/:=|()[]{}")


@dataclass
class _Num:
    value: float  # unsigned degrees (or metres), minutes and seconds folded in
    sign: int  # -1 for a typed minus, else 1
    minutes: bool
    text: str  # as typed, normalised
    dms: str  # 26°35′12″ (unsigned)
    label: tuple[str, int] | None = None


# 度分秒 are marks only after a number: 纬度 and 经度 are words
_CJK_MARKS = re.compile(r"(?<=\d)\s*([度分秒])")


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text.translate(_MARKS)).replace("''", '"')
    text = _CJK_MARKS.sub(lambda m: {"度": "°", "分": "'", "秒": '"'}[m[1]], text)
    return text.strip().lower()


def _dms_value(m: re.Match) -> tuple[float, bool]:
    d, mins, secs = m["d"], m["m"] or m["m2"], m["s"] or m["s2"]
    if mins is None:
        return float(d), False
    if "." in d:
        raise _Problem("有分时度须为整数", "degrees must be whole when minutes are given")
    if float(mins) >= 60:
        raise _Problem(f"分不能 ≥ 60（{mins}′）", f"minutes must be below 60 ({mins}′)")
    if secs is not None:
        if "." in mins:
            raise _Problem("有秒时分须为整数", "minutes must be whole when seconds are given")
        if float(secs) >= 60:
            raise _Problem(f"秒不能 ≥ 60（{secs}″）", f"seconds must be below 60 ({secs}″)")
    return float(d) + float(mins) / 60 + float(secs or 0) / 3600, True


def _tokens(text: str) -> list[_Num | tuple[str, int]] | None:
    """Numbers and labels of a normalised text, or None when it holds anything else."""
    out: list[_Num | tuple[str, int]] = []
    pos = 0
    while pos < len(text):
        ch = text[pos]
        if ch.isspace() or ch in _SEPARATORS:
            pos += 1
            continue
        m = _NUM_RE.match(text, pos)
        if m and m.end() > pos:
            value, minutes = _dms_value(m)
            sign = -1 if m["sign"] == "-" else 1
            parts = (m["d"], m["m"] or m["m2"], m["s"] or m["s2"])
            dms = "".join(f"{v}{mark}" for v, mark in zip(parts, "°′″") if v is not None)
            out.append(_Num(value, sign, minutes, m.group().strip(), dms))
            pos = m.end()
            continue
        m = _LABEL_RE.match(text, pos)
        if m is None and ch in "°'\"":
            raise _Problem(
                "无法识别的度分秒写法（° ′ ″ 的位置不对）",
                "degrees, minutes, seconds not understood (a ° ′ ″ mark out of place)",
            )
        if m is None:
            return None
        out.append(_LABELS[m.group()])
        pos = m.end()
    return out if any(isinstance(t, _Num) for t in out) else None


def _attach_labels(tokens: list) -> list[_Num]:
    """Give each number its label: a label before the first number attaches forwards
    (N26.6 E106.7), else backwards (26.6N 106.7E); mixed styles are followed as they come."""
    forwards = not isinstance(tokens[0], _Num)
    nums: list[_Num] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if isinstance(tok, _Num):
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            after = tokens[i + 2] if i + 2 < len(tokens) else None
            if nxt is not None and not isinstance(nxt, _Num):
                if not forwards or not isinstance(after, _Num):
                    tok.label = nxt
                    i += 1
            nums.append(tok)
        else:
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if not isinstance(nxt, _Num) or nxt.label is not None:
                raise _Problem("标注（如 N、E、X）后缺少数值", "a label (N, E, X …) has no number")
            nxt.label = tok
            nums.append(nxt)
            i += 1
        i += 1
    return nums


# --- readings -------------------------------------------------------------------------------


def _fmt_m(v: float) -> str:
    return f"{v:.3f}".rstrip("0").rstrip(".")


def _deg_labels(lon: float, lat: float, lon_num: _Num, lat_num: _Num, form: str):
    zh = f"经度 {lon:.4f}°、纬度 {lat:.4f}°"
    en = f"lon {lon:.4f}°, lat {lat:.4f}°"
    if form != "dms":
        return zh, en
    ew, ns = (
        ("东经", "E") if lon >= 0 else ("西经", "W"),
        ("北纬", "N") if lat >= 0 else ("南纬", "S"),
    )
    return (
        f"{ew[0]} {lon_num.dms}、{ns[0]} {lat_num.dms}（{zh}）",
        f"{lon_num.dms}{ew[1]}, {lat_num.dms}{ns[1]} ({en})",
    )


def _match(lon: float, lat: float, form: str, crs: str, zh: str, en: str) -> CoordinateMatch:
    return CoordinateMatch(lon, lat, form, crs, zh, en, inside_guizhou((lon, lat, lon, lat)))


def _in_box(lon: float, lat: float, box: tuple[float, float, float, float]) -> bool:
    return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


def _signed(num: _Num) -> float:
    hemisphere = num.label[1] if num.label else 0
    if hemisphere and num.sign < 0:
        raise _Problem(
            f"{num.text} 既有负号又有半球标注", f"{num.text} has both a minus sign and a hemisphere"
        )
    return num.value * (hemisphere or num.sign)


def _degrees(nums: list[_Num]) -> list[CoordinateMatch]:
    # X/Y labels mean northing/easting to a surveyor and lon/lat in GIS: magnitude decides
    axes = [n.label[0] if n.label and n.label[0] in ("lat", "lon") else None for n in nums]
    if axes[0] is not None and axes[0] == axes[1]:
        word = {"lat": ("纬度", "latitudes"), "lon": ("经度", "longitudes")}[axes[0]]
        raise _Problem(f"两个值都是{word[0]}", f"both values are {word[1]}")
    a, b = (_signed(n) for n in nums)
    if axes[0] == "lon" or axes[1] == "lat":
        orders = [(a, b, 0)]
    elif axes[0] == "lat" or axes[1] == "lon":
        orders = [(b, a, 1)]
    else:
        orders = [(a, b, 0), (b, a, 1)]  # the last item: index of the longitude's number
    valid = [(lon, lat, i) for lon, lat, i in orders if abs(lon) <= 180 and abs(lat) <= 90]
    if not valid:
        lon, lat, _ = orders[0]
        if len(orders) > 1:
            raise _Problem(
                f"{nums[0].text} 和 {nums[1].text} 不能组成经纬度（纬度 ≤ 90°，经度 ≤ 180°）",
                f"{nums[0].text} and {nums[1].text} cannot be a longitude/latitude pair "
                f"(latitude at most 90°, longitude at most 180°)",
            )
        if abs(lat) > 90:
            raise _Problem(f"纬度不能超过 90°（{lat:g}）", f"latitude cannot exceed 90° ({lat:g})")
        raise _Problem(f"经度不能超过 180°（{lon:g}）", f"longitude cannot exceed 180° ({lon:g})")
    near = [p for p in valid if _in_box(p[0], p[1], _NEAR_GUIZHOU)]
    if any(n.minutes for n in nums):
        form = "dms"
    elif any(n.label and n.label[0] in ("lat", "lon") for n in nums):
        form = "hemisphere"
    else:
        form = "decimal"
    return [
        _match(lon, lat, form, CRS_GEOGRAPHIC, *_deg_labels(lon, lat, nums[i], nums[1 - i], form))
        for lon, lat, i in (near or valid)
    ]


@functools.cache
def _to_geographic(code: int) -> Transformer:
    return Transformer.from_crs(f"EPSG:{code}", CRS_GEOGRAPHIC, always_xy=True)


def _gk_reading(northing: float, easting: float, code: int, zone: int, prefixed: bool):
    lon, lat = _to_geographic(code).transform(easting, northing)
    xy = f"X={_fmt_m(northing)} Y={_fmt_m(easting)}"
    if prefixed:
        zh = f"高斯-克吕格 {zone} 带 {xy}（EPSG:{code}）"
        en = f"Gauss-Krüger zone {zone} {xy} (EPSG:{code})"
    else:
        cm = zone * 3
        zh = f"高斯-克吕格 {zone} 带（无带号，中央经线 {cm}°E）{xy}（EPSG:{code}）"
        en = (
            f"Gauss-Krüger zone {zone} (no zone prefix, central meridian {cm}°E) {xy} (EPSG:{code})"
        )
    zh += f" → 经度 {lon:.4f}°、纬度 {lat:.4f}°"
    en += f" → lon {lon:.4f}°, lat {lat:.4f}°"
    return _match(lon, lat, "gauss_kruger", f"EPSG:{code}", zh, en)


def _gauss_kruger(nums: list[_Num]) -> list[CoordinateMatch]:
    # Which value is the northing is decided by magnitude; X/Y labels (X = northing for
    # surveyors, X = easting in GIS) cannot contradict it without the text being wrong.
    if any(n.minutes or n.sign < 0 for n in nums):
        raise _Problem(
            "高斯-克吕格坐标不能带度分秒或负号", "Gauss-Krüger metres have no ° ′ ″ or minus"
        )
    kinds = [value_kind(n.value, n.value) for n in nums]
    if kinds[0] == "north" and kinds[1] != "north":
        northing, easting, east_kind = nums[0].value, nums[1].value, kinds[1]
    elif kinds[1] == "north" and kinds[0] != "north":
        northing, easting, east_kind = nums[1].value, nums[0].value, kinds[0]
    else:
        raise _Problem(
            f"{nums[0].text}、{nums[1].text} 中没有贵州范围内的北坐标 X"
            f"（{NORTHING_RANGE[0]:.0f}–{NORTHING_RANGE[1]:.0f}）",
            f"neither {nums[0].text} nor {nums[1].text} alone is a Guizhou northing X "
            f"({NORTHING_RANGE[0]:.0f}–{NORTHING_RANGE[1]:.0f})",
        )
    if east_kind is None or not east_kind.startswith("east"):
        lo, hi = EASTING_RANGE
        zones = "/".join(map(str, sorted(GK_ZONES)))
        raise _Problem(
            f"东坐标 Y={_fmt_m(easting)} 不是贵州的高斯-克吕格东坐标：应为带号 {zones} 加 6 位数，"
            f"或无带号的 {lo:.0f}–{hi:.0f}",
            f"easting Y={_fmt_m(easting)} is no Guizhou Gauss-Krüger easting: expected the zone "
            f"prefix {zones} and 6 digits, or {lo:.0f}–{hi:.0f} without prefix",
        )
    if east_kind != "east":
        zone = int(east_kind[4:])
        return [_gk_reading(northing, easting, gk_epsg(zone), zone, True)]
    readings = [
        _gk_reading(northing, easting, gk_epsg(cm=z * 3), z, False) for z in sorted(GK_ZONES)
    ]
    inside = [r for r in readings if r.inside_guizhou]
    if not inside:
        raise _Problem(
            f"无带号坐标 X={_fmt_m(northing)} Y={_fmt_m(easting)} 在任何一带都不在贵州境内",
            f"X={_fmt_m(northing)} Y={_fmt_m(easting)} without zone prefix lies outside Guizhou "
            f"in every zone {min(GK_ZONES)}–{max(GK_ZONES)}",
        )
    return inside


def _read(text: str) -> tuple[bool, list[CoordinateMatch]]:
    """(looks like a coordinate, readings); raises _Problem with the reason it is not one."""
    if not isinstance(text, str) or len(text) > 200:
        return False, []
    tokens = _tokens(_normalise(text))
    if tokens is None:
        return False, []
    nums = _attach_labels(tokens)
    if len(nums) != 2:
        raise _Problem(
            f"需要两个数值（经度和纬度，或 X 和 Y），找到 {len(nums)} 个",
            f"a coordinate needs two numbers (longitude and latitude, or X and Y); "
            f"found {len(nums)}",
        )
    big = [n.value > _METRES_ABOVE for n in nums]
    if all(big):
        return True, _gauss_kruger(nums)
    if any(big):
        raise _Problem(
            f"{nums[0].text} 和 {nums[1].text} 一个像米、一个像度，不能组成坐标",
            f"{nums[0].text} and {nums[1].text} mix metres and degrees",
        )
    return True, _degrees(nums)


def parse_coordinates(text: str) -> list[CoordinateMatch]:
    """Every plausible reading of ``text`` as a coordinate, converted to CGCS2000.

    Parameters
    ----------
    text : str
        What the user typed or pasted.

    Returns
    -------
    list of CoordinateMatch
        Empty when the text is not a coordinate (see :func:`describe_problem` for why);
        several when it can be read more than one way (an unlabelled pair whose order is
        not settled by magnitude, a Gauss-Krüger easting without zone prefix that falls in
        Guizhou in more than one zone), in which case the caller asks which one is meant.
        Readings inside Guizhou come before those outside.
    """
    try:
        readings = _read(text)[1]
    except _Problem:
        return []
    return sorted(readings, key=lambda r: not r.inside_guizhou)


def describe_problem(text: str) -> str | None:
    """Why ``text``, which looks like a coordinate, is not one; None otherwise.

    None is returned both when the text reads as a coordinate and when it does not look like
    one at all (a place name). The message is Chinese, then English: ``"分不能 ≥ 60（75′） /
    minutes must be below 60 (75′)"``.
    """
    try:
        looks, readings = _read(text)
    except _Problem as exc:
        return str(exc)
    if looks and not readings:
        return "无法读作坐标 / cannot be read as a coordinate"
    return None
