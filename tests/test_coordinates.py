"""Typed coordinates: every form people paste, ambiguity, refusals, and round trips via pyproj."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import CRS, Geod, Transformer

from fossilgis.coordinates import CoordinateMatch, describe_problem, parse_coordinates
from fossilgis.geo import GK_ZONES, gk_zone_for_lon

GEOD = Geod(ellps="GRS80")  # CGCS2000's ellipsoid to well below a millimetre


def _one(text: str) -> CoordinateMatch:
    readings = parse_coordinates(text)
    assert len(readings) == 1, (text, readings)
    assert describe_problem(text) is None
    return readings[0]


def _metres_apart(lon1, lat1, lon2, lat2) -> float:
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


@pytest.mark.parametrize(
    "text",
    ["106.7, 26.6", "106.7 26.6", "26.6, 106.7", "26.6 106.7", "106.7，26.6", "２６.６，１０６.７",
     "106.7;26.6", "(106.7, 26.6)", "106.7° 26.6°", "  106.7,\t26.6  "],
)  # fmt: skip
def test_decimal_pair_in_either_order(text):
    m = _one(text)
    assert (m.lon, m.lat) == (106.7, 26.6)
    assert (m.form, m.crs, m.inside_guizhou) == ("decimal", "EPSG:4490", True)
    assert m.label_zh == "经度 106.7000°、纬度 26.6000°"
    assert m.label_en == "lon 106.7000°, lat 26.6000°"


DMS_26_35_12 = 26 + 35 / 60 + 12 / 3600
DMS_106_42_30 = 106 + 42 / 60 + 30 / 3600


@pytest.mark.parametrize(
    ("text", "lat", "lon"),
    [
        ("26°35'N 106°42'E", 26 + 35 / 60, 106.7),
        ("26°35′12″N, 106°42′30″E", DMS_26_35_12, DMS_106_42_30),
        ("N26°35'12\" E106°42'30\"", DMS_26_35_12, DMS_106_42_30),
        ("26°35'12''N 106°42'30''E", DMS_26_35_12, DMS_106_42_30),
        ("26º35’12”N 106º42’30”E", DMS_26_35_12, DMS_106_42_30),
        ("26度35分12秒 106度42分30秒", DMS_26_35_12, DMS_106_42_30),
        ("106度42分30秒，26度35分12秒", DMS_26_35_12, DMS_106_42_30),
        ("北纬26°35′ 东经106°42′", 26 + 35 / 60, 106.7),
        ("东经106°42′30″ 北纬26°35′12″", DMS_26_35_12, DMS_106_42_30),
        ("北纬 26度35分12秒、东经 106度42分30秒", DMS_26_35_12, DMS_106_42_30),
        ("26°35.5'N 106°42.5'E", 26 + 35.5 / 60, 106 + 42.5 / 60),
        ("26°35.5N 106°42.5E", 26 + 35.5 / 60, 106 + 42.5 / 60),
        ("26° 35′ 12″ N  106° 42′ 30″ E", DMS_26_35_12, DMS_106_42_30),
    ],
)
def test_degrees_minutes_seconds(text, lat, lon):
    m = _one(text)
    assert m.form == "dms" and m.crs == "EPSG:4490" and m.inside_guizhou
    assert m.lat == pytest.approx(lat, abs=1e-12) and m.lon == pytest.approx(lon, abs=1e-12)


def test_dms_label_says_how_it_was_read():
    m = _one("26°35′12″N, 106°42′30″E")
    assert m.label_zh == "东经 106°42′30″、北纬 26°35′12″（经度 106.7083°、纬度 26.5867°）"
    assert m.label_en == "106°42′30″E, 26°35′12″N (lon 106.7083°, lat 26.5867°)"


@pytest.mark.parametrize(
    "text",
    ["E106.7 N26.6", "106.7E 26.6N", "N 26.6 E 106.7", "N26.6, E106.7", "26.6N 106.7E",
     "106.7E N26.6", "N26.6 106.7E", "26.6 N, 106.7 E", "n26.6 e106.7", "26.6°N 106.7°E",
     "北纬26.6 东经106.7", "lat 26.6 lon 106.7", "纬度：26.6，经度：106.7"],
)  # fmt: skip
def test_hemisphere_letters_and_axis_names(text):
    m = _one(text)
    assert (m.lon, m.lat, m.form) == (106.7, 26.6, "hemisphere")


def test_southern_and_western_hemispheres_are_negative_and_outside_guizhou():
    m = _one("S26.6 W106.7")
    assert (m.lon, m.lat, m.inside_guizhou) == (-106.7, -26.6, False)


def test_one_labelled_value_settles_the_other():
    m = _one("26.6N 80")
    assert (m.lon, m.lat) == (80, 26.6)


def test_both_orders_plausible_returns_both():
    readings = parse_coordinates("30, 40")
    assert [(r.lon, r.lat) for r in readings] == [(30, 40), (40, 30)]
    assert not any(r.inside_guizhou for r in readings)
    assert readings[0].label_en != readings[1].label_en
    assert describe_problem("30, 40") is None


def test_order_outside_guizhou_follows_range():
    # 120 can only be a longitude
    assert [(r.lon, r.lat) for r in parse_coordinates("31.2, 121.5")] == [(121.5, 31.2)]


# --- Gauss-Krüger ----------------------------------------------------------------------------


def _pyproj_inverse(code: int, easting: float, northing: float):
    return Transformer.from_crs(f"EPSG:{code}", "EPSG:4490", always_xy=True).transform(
        easting, northing
    )


@pytest.mark.parametrize(
    "text",
    ["X=2943211 Y=35612345", "Y=35612345, X=2943211", "2943211, 35612345", "35612345 2943211",
     "x：2943211，y：35612345", "X = 2943211.000  Y = 35612345.000", "N 2943211 E 35612345"],
)  # fmt: skip
def test_gauss_kruger_with_zone_prefix(text):
    m = _one(text)
    assert (m.form, m.crs, m.inside_guizhou) == ("gauss_kruger", "EPSG:4523", True)
    lon, lat = _pyproj_inverse(4523, 35612345, 2943211)
    assert _metres_apart(m.lon, m.lat, lon, lat) < 0.01
    assert m.label_zh.startswith("高斯-克吕格 35 带 X=2943211 Y=35612345（EPSG:4523）")
    assert m.label_en.startswith("Gauss-Krüger zone 35 X=2943211 Y=35612345 (EPSG:4523)")


@pytest.mark.parametrize("zone", sorted(GK_ZONES))
def test_zone_prefix_picks_the_zone_crs(zone):
    text = f"X=2800000 Y={zone}500000"
    (m,) = parse_coordinates(text)
    assert m.crs == f"EPSG:{GK_ZONES[zone][0]}"
    assert CRS.from_user_input(m.crs).name.endswith(f"Gauss-Kruger zone {zone}")
    assert m.lon == pytest.approx(zone * 3, abs=1e-9)


def test_gauss_kruger_without_prefix_is_ambiguous_one_reading_per_zone_in_guizhou():
    readings = parse_coordinates("X=2943211 Y=612345")
    # zone 35 (CM 105°) → 106.13°E and zone 36 (CM 108°) → 109.13°E are in Guizhou;
    # zone 37 (CM 111°) → 112.13°E is not
    assert [r.crs for r in readings] == ["EPSG:4544", "EPSG:4545"]
    for r, cm in zip(readings, (105, 108)):
        assert CRS.from_user_input(r.crs).name.endswith(f"CM {cm}E")
        lon, lat = _pyproj_inverse(int(r.crs[5:]), 612345, 2943211)
        assert _metres_apart(r.lon, r.lat, lon, lat) < 0.01
        assert r.inside_guizhou and r.form == "gauss_kruger"
        assert f"中央经线 {cm}°E" in r.label_zh and f"central meridian {cm}°E" in r.label_en
    assert describe_problem("X=2943211 Y=612345") is None


def test_gauss_kruger_without_prefix_near_zone_37():
    readings = parse_coordinates("X=2900000 Y=160000")
    assert [r.crs for r in readings] == ["EPSG:4545", "EPSG:4546"]


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("26°75'N 106°42'E", "分不能 ≥ 60（75′） / minutes must be below 60 (75′)"),
        ("26°35'60\"N 106°42'E", "秒不能 ≥ 60（60″） / seconds must be below 60 (60″)"),
        ("26.5°35'N 106°42'E", "有分时度须为整数 / degrees must be whole when minutes are given"),
        ("26°35.5'12\"N 106°E", "有秒时分须为整数 / minutes must be whole when seconds are given"),
        ("N95 E106.7", "纬度不能超过 90°（95） / latitude cannot exceed 90° (95)"),
        ("N26.6 E190", "经度不能超过 180°（190） / longitude cannot exceed 180° (190)"),
        ("95, 200", "95 和 200 不能组成经纬度"),
        ("N26.6 N27.1", "两个值都是纬度 / both values are latitudes"),
        ("E106.7 E107", "两个值都是经度 / both values are longitudes"),
        ("-26.6N 106.7E", "-26.6 既有负号又有半球标注"),
        ("106.7", "需要两个数值"),
        ("106.7 26.6 300", "found 3"),
        ("N E 26.6", "a label (N, E, X …) has no number"),
        ("2943211, 106.7", "mix metres and degrees"),
        ("X=2943211 Y=12345678", "东坐标 Y=12345678 不是贵州的高斯-克吕格东坐标"),
        ("X=5943211 Y=35612345", "中没有贵州范围内的北坐标 X（2600000–3300000）"),
        ("X=2943211 Y=950000", "easting Y=950000 is no Guizhou Gauss-Krüger easting"),
        ("X=2943211 Y=-35612345", "no ° ′ ″ or minus"),
        ("X=2620000 Y=500000", "lies outside Guizhou in every zone 35–37"),
        ("26°35''' 106°", "degrees, minutes, seconds not understood"),
    ],
)
def test_bad_values_are_refused_with_a_reason(text, problem):
    assert parse_coordinates(text) == []
    assert problem in describe_problem(text)


@pytest.mark.parametrize("text", ["关岭", "Guanling", "GZ-F01", "", "   ", "凯里 2", "east"])
def test_text_that_is_no_coordinate(text):
    assert parse_coordinates(text) == []
    assert describe_problem(text) is None


# --- round trips ---------------------------------------------------------------------------


def _random_points(n=40, seed=12):
    rng = random.Random(seed)
    return [(rng.uniform(103.7, 109.5), rng.uniform(24.7, 29.1)) for _ in range(n)]


def _dms(value: float, unicode_marks: bool) -> str:
    d = int(value)
    rest = (value - d) * 60
    m = int(rest)
    s = (rest - m) * 60
    return f"{d}°{m}′{s:.4f}″" if unicode_marks else f"{d}°{m}'{s:.4f}\""


def _forms(lon: float, lat: float) -> dict[str, str]:
    dlat, mlat = int(lat), (lat - int(lat)) * 60
    dlon, mlon = int(lon), (lon - int(lon)) * 60
    return {
        "decimal": f"{lon:.7f}, {lat:.7f}",
        "decimal swapped": f"{lat:.7f} {lon:.7f}",
        "dms ascii": f"{_dms(lat, False)}N {_dms(lon, False)}E",
        "dms unicode prefix": f"N{_dms(lat, True)}, E{_dms(lon, True)}",
        "dms chinese": _dms(lat, True).replace("°", "度").replace("′", "分").replace("″", "秒")
        + " "
        + _dms(lon, True).replace("°", "度").replace("′", "分").replace("″", "秒"),
        "dms chinese hemisphere": f"北纬{_dms(lat, True)} 东经{_dms(lon, True)}",
        "decimal minutes": f"{dlat}°{mlat:.6f}'N {dlon}°{mlon:.6f}'E",
        "hemisphere": f"E{lon:.7f} N{lat:.7f}",
        "hemisphere suffix": f"{lat:.7f}N {lon:.7f}E",
    }


@pytest.mark.parametrize("lon_lat", _random_points(), ids=lambda p: f"{p[0]:.3f},{p[1]:.3f}")
def test_round_trip_degree_forms(lon_lat):
    lon, lat = lon_lat
    for name, text in _forms(lon, lat).items():
        m = _one(text)
        assert abs(m.lon - lon) < 1e-6 and abs(m.lat - lat) < 1e-6, (name, text, m)
        assert m.inside_guizhou and m.crs == "EPSG:4490", (name, text)


@pytest.mark.parametrize("lon_lat", _random_points(), ids=lambda p: f"{p[0]:.3f},{p[1]:.3f}")
def test_round_trip_gauss_kruger_within_a_centimetre(lon_lat):
    lon, lat = lon_lat
    zone = gk_zone_for_lon(lon)
    for code, prefixed in ((zone.epsg_prefixed, True), (zone.epsg_cm, False)):
        fwd = Transformer.from_crs("EPSG:4490", f"EPSG:{code}", always_xy=True)
        easting, northing = fwd.transform(lon, lat)
        for text in (f"X={northing:.3f} Y={easting:.3f}", f"{easting:.3f}, {northing:.3f}"):
            readings = parse_coordinates(text)
            (m,) = [r for r in readings if r.crs == f"EPSG:{code}"]
            assert len(readings) == 1 or not prefixed
            assert m.form == "gauss_kruger" and m.inside_guizhou
            assert _metres_apart(m.lon, m.lat, lon, lat) < 0.01, text
            back_e, back_n = fwd.transform(m.lon, m.lat)
            assert abs(back_e - easting) < 0.01 and abs(back_n - northing) < 0.01


# --- anything typed ------------------------------------------------------------------------

_TYPED = st.text(
    st.sampled_from(list("0123456789.,;:= -+°'\"′″NSEWnsewXYxy度分秒北南东西纬经 　，关岭")),
    max_size=30,
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(_TYPED)
def test_any_text_gives_readings_or_a_reason_never_an_exception(text):
    readings = parse_coordinates(text)
    problem = describe_problem(text)
    assert not (readings and problem)
    for r in readings:
        assert -180 <= r.lon <= 180 and -90 <= r.lat <= 90
        assert r.form in ("decimal", "dms", "hemisphere", "gauss_kruger")
