"""Tests of the committed demonstration layers (layers/sites.geojson, layers/sections.geojson)."""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import re
from pathlib import Path

import pytest
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import shape

from fossilgis.geo import CRS_GEOGRAPHIC, GUIZHOU_BOUNDS, gk_zone_for_lon, metric_crs_for_zone
from fossilgis.rules import PROTECTION_LEVELS

LAYERS = Path(__file__).resolve().parent.parent / "layers"
GEOD = Geod(ellps="GRS80")  # the CGCS2000 ellipsoid differs from GRS80 by 0.1 mm in b

SITE_FIELDS = [
    "id", "name_zh", "name_en", "county_zh", "county_en", "age", "formation", "fossils",
    "protection_level", "status", "accuracy_class", "accuracy_m", "boundary_status",
    "source", "lon", "lat",
]  # fmt: skip
SECTION_FIELDS = ["boundary" if f == "fossils" else f for f in SITE_FIELDS]

#: the protection-level decisions documented in layers/README.md
NON_GENERAL = {
    "GZ-F03": "national_key",
    "GZ-F14": "provincial_key",
    "GZ-F05": "provincial_key",
    "GZ-F34": "national_key",
    "GZ-F35": "national_key",
}


def load(name: str) -> dict:
    return json.loads((LAYERS / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def generator():
    spec = importlib.util.spec_from_file_location(
        "make_demo_layers", LAYERS / "make_demo_layers.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sites():
    return load("sites.geojson")["features"]


@pytest.fixture(scope="module")
def sections():
    return load("sections.geojson")["features"]


@pytest.fixture(scope="module")
def csv_rows():
    with open(LAYERS / "sources" / "registry_second_pass.csv", encoding="utf-8", newline="") as fh:
        return {row["id_hint"]: row for row in csv.DictReader(fh)}


def test_feature_collections():
    for name in ("sites.geojson", "sections.geojson"):
        data = load(name)
        assert data["type"] == "FeatureCollection"
        assert "crs" not in data  # RFC 7946: CRS84 implied (≡ CGCS2000 here)


def test_counts(sites, sections):
    assert len(sites) == 36
    assert len(sections) == 19
    reserves = [
        f["properties"]["id"]
        for f in sections
        if f["properties"]["status"] == "Reserve section (beyond the 16 core sections)"
    ]
    assert reserves == ["GZ-S17", "GZ-S18", "GZ-S19"]


def test_exact_schema(sites, sections):
    for feats, fields in ((sites, SITE_FIELDS), (sections, SECTION_FIELDS)):
        for f in feats:
            props = f["properties"]
            assert list(props) == fields, props["id"]
            for key in fields:
                if key == "accuracy_m":
                    assert isinstance(props[key], int) and props[key] > 0
                elif key in ("lon", "lat"):
                    assert isinstance(props[key], float)
                elif key == "status":  # optional: null when the registry states nothing
                    assert props[key] is None or (
                        isinstance(props[key], str) and props[key].strip()
                    ), props["id"]
                else:
                    assert isinstance(props[key], str) and props[key].strip(), (props["id"], key)
            assert props["boundary_status"] == "approximate"
            assert props["accuracy_class"] in "ABCDE"
            assert props["source"].startswith(("http://", "https://"))


def test_ids_unique_and_stable(sites, sections):
    site_ids = [f["properties"]["id"] for f in sites]
    section_ids = [f["properties"]["id"] for f in sections]
    assert site_ids == [f"GZ-F{i:02d}" for i in range(1, 37)]
    assert section_ids == [f"GZ-S{i:02d}" for i in range(1, 20)]
    assert len(set(site_ids + section_ids)) == 55


def test_values_come_from_the_csv(sites, sections, csv_rows, generator):
    """Text values are the CSV's, except the documented cleaning (FIELD_EDITS, status)."""
    edits = generator.FIELD_EDITS
    for (fid, column), (source, _clean, why) in edits.items():
        assert csv_rows[fid][column] == source, (fid, column)
        assert why
    for f in sites + sections:
        p = f["properties"]
        row = csv_rows[p["id"]]
        for field, column in (
            ("name_zh", "name_zh"),
            ("name_en", "name_en"),
            ("county_zh", "county_zh"),
            ("county_en", "county_en"),
            ("age", "age"),
            ("formation", "formation"),
            ("fossils" if "fossils" in p else "boundary", "fossils_or_boundary"),
        ):
            expected = edits.get((p["id"], column), (None, row[column]))[1]
            assert p[field] == expected, (p["id"], field)
        assert p["status"] == generator.clean_status(row["status"])
        assert p["accuracy_class"] == row["accuracy"]
        assert p["source"] == row["source_url"]
        assert (p["lon"], p["lat"]) == (float(row["lon"]), float(row["lat"]))


def test_protection_levels(sites, sections):
    for f in sites + sections:
        p = f["properties"]
        assert p["protection_level"] in PROTECTION_LEVELS
        assert p["protection_level"] == NON_GENERAL.get(p["id"], "general")


def test_geometries_valid(sites, sections):
    for feats, kind in ((sites, "Polygon"), (sections, "LineString")):
        for f in feats:
            geom = shape(f["geometry"])
            assert geom.geom_type == kind
            assert geom.is_valid and not geom.is_empty, f["properties"]["id"]
            if kind == "Polygon":
                assert len(geom.interiors) == 0
                assert geom.exterior.is_ccw  # RFC 7946 §3.1.6 right-hand rule
                assert len(geom.exterior.coords) == 65
            else:
                assert len(geom.coords) == 2


def test_coordinates_rounded(sites, sections):
    for f in sites + sections:
        for x, y in shapely.get_coordinates(shape(f["geometry"])):
            assert re.fullmatch(r"-?\d+(\.\d{1,6})?", repr(float(x)))
            assert re.fullmatch(r"-?\d+(\.\d{1,6})?", repr(float(y)))


def test_inside_guizhou(sites, sections):
    x0, y0, x1, y1 = GUIZHOU_BOUNDS
    for f in sites + sections:
        p = f["properties"]
        assert x0 <= p["lon"] <= x1 and y0 <= p["lat"] <= y1, p["id"]
        minx, miny, maxx, maxy = shape(f["geometry"]).bounds
        assert x0 <= minx and maxx <= x1 and y0 <= miny and maxy <= y1, p["id"]


def _gk_xy(lon: float, lat: float, lons, lats):
    crs = metric_crs_for_zone(gk_zone_for_lon(lon).zone)
    return Transformer.from_crs(CRS_GEOGRAPHIC, crs, always_xy=True).transform(lons, lats)


def test_sites_centred_and_sized(sites):
    for f in sites:
        p = f["properties"]
        geom = shape(f["geometry"])
        area, _ = GEOD.geometry_area_perimeter(geom)
        expected = 0.94e6 if p["id"] == "GZ-F03" else math.pi * 500.0**2
        assert area == pytest.approx(expected, rel=2e-3), p["id"]
        xs, ys = _gk_xy(p["lon"], p["lat"], *zip(*geom.exterior.coords[:-1], strict=True))
        cx, cy = _gk_xy(p["lon"], p["lat"], p["lon"], p["lat"])
        assert sum(xs) / len(xs) == pytest.approx(cx, abs=0.5)
        assert sum(ys) / len(ys) == pytest.approx(cy, abs=0.5)


def test_sections_centred_and_sized(sections):
    for f in sections:
        p = f["properties"]
        (lon0, lat0), (lon1, lat1) = f["geometry"]["coordinates"]
        az, _, length = GEOD.inv(lon0, lat0, lon1, lat1)
        assert length == pytest.approx(400.0, rel=1e-3), p["id"]
        assert abs(az) < 1.5  # grid north differs from true north by the meridian convergence
        assert GEOD.inv((lon0 + lon1) / 2, (lat0 + lat1) / 2, p["lon"], p["lat"])[2] < 0.5


def test_accuracy_m(sites, sections):
    by_id = {f["properties"]["id"]: f["properties"]["accuracy_m"] for f in sites + sections}
    class_m = {"A": 100, "B": 2000, "C": 10_000, "D": 25_000, "E": 30_000}
    overridden = {"GZ-S10", "GZ-S11", "GZ-S13", "GZ-S14", "GZ-F03", "GZ-F05", "GZ-F08"}
    overridden |= {"GZ-F10", "GZ-F16", "GZ-F19", "GZ-F20", "GZ-F21", "GZ-F31"}
    for f in sites + sections:
        p = f["properties"]
        if p["id"] not in overridden:
            assert p["accuracy_m"] == class_m[p["accuracy_class"]], p["id"]
    assert by_id["GZ-S01"] == 100 and by_id["GZ-F08"] == 50_000 and by_id["GZ-F21"] == 15_000


def test_generator_reproduces_committed_files(generator):
    for name, text in generator.render().items():
        assert text.encode("utf-8") == (LAYERS / name).read_bytes(), (
            f"{name} differs from the generator output: run "
            ".venv/bin/python layers/make_demo_layers.py and commit the result"
        )


def test_generator_check_mode(generator, tmp_path, capsys):
    assert generator.main(["--out", str(tmp_path)]) == 0
    assert generator.main(["--out", str(tmp_path), "--check"]) == 0
    for name in ("sites.geojson", "sections.geojson"):
        assert (tmp_path / name).read_bytes() == (LAYERS / name).read_bytes()
    (tmp_path / "sites.geojson").write_text("{}", encoding="utf-8")
    assert generator.main(["--out", str(tmp_path), "--check"]) == 1
    assert "sites.geojson" in capsys.readouterr().out


def test_one_feature_per_line():
    for name, count in (("sites.geojson", 36), ("sections.geojson", 19)):
        lines = (LAYERS / name).read_text(encoding="utf-8").splitlines()
        assert len(lines) == count + 2
        assert all(line.startswith('{"type":"Feature",') for line in lines[1:-1])


def test_readme_documents_decisions(generator, csv_rows):
    readme = (LAYERS / "README.md").read_text(encoding="utf-8")
    for fid in NON_GENERAL:
        assert fid in readme
    for group in generator.overlap_groups(list(csv_rows.values())):
        assert ", ".join(group) in readme, group
    assert "fossilgis layers import" in readme
    assert ".venv/bin/python layers/make_demo_layers.py" in readme


def test_read_with_geopandas():
    import geopandas as gpd

    for name, count in (("sites.geojson", 36), ("sections.geojson", 19)):
        frame = gpd.read_file(LAYERS / name)
        assert len(frame) == count
        assert frame.crs.equals("OGC:CRS84") or frame.crs.to_epsg() == 4326
        assert frame["id"].is_unique


#: working notes that must never reach a shipped text attribute (the layers are for users).
#: Case matters for NEW / RESERVE: "New find" and "Reserve section" are user wording.
WORKING_NOTES = [
    (r"earlier row", "row number of the earlier registry pass"),
    (r"\bNEW\b", "registry 'new in this pass' flag"),
    (r"RESERVE", "registry reserve flag (status says 'Reserve section ...')"),
    (r"PBDB\s*\d", "PBDB record number (the record is the source URL)"),
    (
        r"landmark-based|coordinate stated|showcaves gives|prefecture-seat point",
        "how a point was placed: accuracy_class / accuracy_m say that",
    ),
    (r"\d+\.\d{3,}", "a number with 3+ decimals: a coordinate"),
    (r"\d+\.\d+\s*[/,]\s*\d+\.\d+", "a lat/lon pair"),
    (r"\d+\s*[°º度]|\d+\s*[′']\s*\d+\s*[″\"]|北纬|东经", "a DMS coordinate"),
    (r"~?\d+(\.\d+)?\s*km\s+[NSEW]{1,3}\s+of\b", "an offset from a seat: accuracy_m"),
    (r"\bseat\b", "a remark on a county/prefecture seat point"),
    (r"TODO|FIXME|XXX|TBD|\bcheck\b", "a to-do"),
    (r"\?|？", "an uncertain ('?') note"),
    (r"not captured|not located|excerpt|per brief|\(conflict\)", "a compiler's note"),
    (r"未核实|待核|待查|任务书", "a compiler's note (Chinese)"),
]


def _text_values(feature):
    props = feature["properties"]
    for key, value in props.items():
        if key in ("id", "source") or not isinstance(value, str):
            continue
        yield key, value


def test_no_working_notes_in_text_attributes(sites, sections):
    """Every text attribute of the shipped layers is a clean user value, not a note."""
    found = []
    for f in sites + sections:
        for key, value in _text_values(f):
            for pattern, what in WORKING_NOTES:
                if re.search(pattern, value):
                    found.append(f"{f['properties']['id']} {key}={value!r}: {what}")
        # the source is a URL and nothing else (a DOI or query string may hold '.1017' or '?')
        source = f["properties"]["source"]
        assert re.fullmatch(r"https?://\S+", source), (f["properties"]["id"], source)
    assert not found, "working notes in shipped attributes:\n" + "\n".join(found)


@pytest.mark.parametrize("text", [
    "Formation type section; earlier row 3", "Auxiliary section; NEW",
    "RESERVE (beyond 16)", "NEW; PBDB 107132 (landmark-based)",
    "National key cultural relic unit 2001; showcaves gives 26.8633/105.9728",
    "outcrop at 26°07'24\"N", "site ~17 km NW of Tongzi seat", "Silurian (stage?)",
    "TODO: age", "罗甸县（仅据任务书）", "lat 26.0807",
])  # fmt: skip
def test_working_note_patterns_catch_the_old_notes(text):
    assert any(re.search(pattern, text) for pattern, _ in WORKING_NOTES), text


def test_generator_refuses_a_working_note(generator):
    row = {column: "x" for column in generator.TEXT_COLUMNS}
    row.update(id_hint="GZ-X99", status="Formation type section; earlier row 3")
    assert generator.clean_row(row)["status"] == "Formation type section"
    row["fossils_or_boundary"] = "Trilobites; see 26.0807/108.4138"
    with pytest.raises(ValueError, match="working note"):
        generator.clean_row(row)


def test_status_cleaning(generator):
    clean = generator.clean_status
    assert clean("Ratified GSSP (IUGS 2018); earlier row 1") == "Ratified GSSP (IUGS 2018)"
    assert clean("earlier row 31 (split)") is None
    assert clean("NEW; PBDB 107132 (landmark-based)") is None
    assert clean("RESERVE (beyond 16); NEW") == "Reserve section (beyond the 16 core sections)"
    assert (
        clean("GSSP candidate (base Serpukhovian; also Moscovian/Kasimovian); earlier row 20")
        == "GSSP candidate (base Serpukhovian; also Moscovian/Kasimovian)"
    )
    assert (
        clean(
            "National key cultural relic unit 2001; NEW; showcaves gives 26.8633/105.9728 "
            "(~0.5 km apart)"
        )
        == "National key cultural relic unit 2001"
    )
    assert clean("Formation naming sections; earlier row 19 + Yongningzhen (NEW)") == (
        "Formation naming sections"
    )
