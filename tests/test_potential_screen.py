"""Fossil potential screening: the geological map in the store, the pieces, the per-project
result, the combined grade and every output format (synthetic units only)."""

from __future__ import annotations

import csv
import io
import json

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from potential_fixtures import ORIGIN, synthetic_map, synthetic_table
from pyproj import Geod

from fossilgis.footprints import ScreenOptions
from fossilgis.io._pipeline import ReadResult
from fossilgis.potential.classes import classify_map
from fossilgis.potential.table import load_potential_table
from fossilgis.report import render_csv, render_html, render_text
from fossilgis.screening import screen_results

GEOD = Geod(ellps="GRS80")
X, Y = ORIGIN


@pytest.fixture
def table(tmp_path, monkeypatch):
    path = synthetic_table(tmp_path)
    monkeypatch.setenv("FOSSILGIS_POTENTIAL", str(path))
    return load_potential_table(path)


@pytest.fixture
def mapped(store, table):
    store.formations.replace(synthetic_map(), source="synthetic.gpkg", user="test")
    return store


def screen(store, geoms, project_type="building", ground=True, **kw):
    gdf = gpd.GeoDataFrame(
        {"name": [f"p{i}" for i in range(len(geoms))]}, geometry=list(geoms), crs="EPSG:4490"
    )
    res = ReadResult(
        gdf=gdf, source="red_line.geojson", crs_in="EPSG:4490", crs_basis="prj", encoding="utf-8"
    )
    options = ScreenOptions(project_type=project_type, ground_disturbance=ground, **kw)
    return screen_results([res], store, options=options)


def test_store_keeps_every_version_and_restores(store):
    assert store.formations.current_version() == 0
    assert store.formations.info()["count"] == 0
    v1 = store.formations.replace(synthetic_map(), source="a.shp", user="t", crs_in="EPSG:4523")
    smaller = synthetic_map().iloc[:2]
    v2 = store.formations.replace(smaller, source="b.shp", user="t")
    assert (v1, v2) == (1, 2)
    assert len(store.formations.read()) == 2 and len(store.formations.read(1)) == 4
    got = store.formations.read(1).sort_values("unit", ignore_index=True)
    want = synthetic_map().sort_values("unit", ignore_index=True)
    assert got["unit"].tolist() == want["unit"].tolist()
    assert shapely.equals_exact(got.geometry.values, want.geometry.values, 1e-9).all()
    # the spatial index answers a box query: only the western units
    west = store.formations.read(bbox=(X - 0.001, Y + 0.001, X + 0.005, Y + 0.002))
    assert sorted(west["unit"]) == ["SYN5"]
    v3 = store.formations.restore(1, user="t")
    assert v3 == 3 and len(store.formations.read()) == 4
    hist = store.formations.history()
    assert [h["version"] for h in hist] == [3, 2, 1]
    assert hist[0]["note"] == "restored version 1" and hist[-1]["crs_in"] == "EPSG:4523"
    with pytest.raises(Exception, match="no version 9"):
        store.formations.restore(9)


def test_class_5_ground_requires_survey_and_monitoring(mapped, table):
    # a project straddling the class-5 and class-1 units, 13 km from any registered site
    d = 0.02
    fp = shapely.box(X + d - 0.004, Y + 0.005, X + d + 0.004, Y + 0.009)
    s = screen(mapped, [fp], project_type="linear")
    p = s.projects[0]
    assert p["impacts"] == [] and p["registry_grade"] == "none"
    pot = p["potential"]
    assert pot["highest_class"] == "5"
    assert p["grade"] == pot["grade"] == "assess"
    ids = [a["id"] for a in pot["actions"]]
    assert {"survey", "monitoring", "chance_find_briefing"} <= set(ids)
    assert any("Art. 18" in b for b in pot["legal_basis"])
    assert [c["class"] for c in pot["classes"]] == ["5", "1"]
    # areas: the pieces are the two halves, measured on the ellipsoid
    west = shapely.box(X + d - 0.004, Y + 0.005, X + d, Y + 0.009)
    want = abs(GEOD.geometry_area_perimeter(shapely.orient_polygons(west))[0])
    assert pot["classes"][0]["area_m2"] == pytest.approx(want, rel=1e-6)
    total = sum(c["area_m2"] for c in pot["classes"])
    assert total == pytest.approx(p["footprint_area_m2"], rel=1e-6)
    assert sum(c["share"] for c in pot["classes"]) == pytest.approx(1.0, abs=1e-3)
    assert pot["unmapped_area_m2"] == pytest.approx(0, abs=1)


def test_class_1_ground_requires_nothing(mapped, table):
    d = 0.02
    fp = shapely.box(X + d + 0.004, Y + 0.005, X + d + 0.008, Y + 0.009)
    p = screen(mapped, [fp], project_type="linear").projects[0]
    assert p["potential"]["highest_class"] == "1"
    assert p["grade"] == "none" and p["potential"]["actions"] == []


def test_unknown_unit_is_class_u_and_outside_the_map_is_noted(mapped, table):
    # half on the unit the table does not know, half north of the map
    fp = shapely.box(X + 0.005, Y + 0.035, X + 0.010, Y + 0.045)
    p = screen(mapped, [fp]).projects[0]
    pot = p["potential"]
    assert pot["highest_class"] == "U" and pot["units"][0]["in_table"] is False
    assert pot["grade"] == "attention" and "desk_review" in [a["id"] for a in pot["actions"]]
    assert pot["unmapped_area_m2"] > 0.3 * p["footprint_area_m2"]
    assert any("outside the imported geological map" in n for n in p["notes"])


def test_no_ground_disturbance_needs_no_potential_action(mapped, table):
    fp = shapely.box(X + 0.005, Y + 0.005, X + 0.010, Y + 0.010)
    p = screen(mapped, [fp], project_type="building", ground=False).projects[0]
    assert p["potential"]["highest_class"] == "5"
    assert p["potential"]["grade"] == "none" and p["potential"]["actions"] == []
    # mining always disturbs the ground
    p = screen(mapped, [fp], project_type="mining", ground=False).projects[0]
    assert p["potential"]["grade"] == "assess"


def test_overlapping_footprints_count_shared_ground_once(mapped, table):
    a = shapely.box(X + 0.004, Y + 0.004, X + 0.010, Y + 0.010)
    b = shapely.box(X + 0.007, Y + 0.004, X + 0.013, Y + 0.010)  # half of it over a
    p = screen(mapped, [a, b]).projects[0]
    (cls,) = p["potential"]["classes"]
    union = shapely.union(a, b)
    want = abs(GEOD.geometry_area_perimeter(shapely.orient_polygons(union))[0])
    assert cls["area_m2"] == pytest.approx(want, rel=1e-6)
    assert cls["share"] == pytest.approx(1.0, abs=1e-4)


def test_a_line_with_a_width_is_buffered_like_the_site_screen(mapped, table):
    line = shapely.LineString([(X + 0.002, Y + 0.01), (X + 0.058, Y + 0.01)])
    p = screen(mapped, [line], project_type="linear", line_width_m=20).projects[0]
    classes = [c["class"] for c in p["potential"]["classes"]]
    assert classes == ["5", "3", "1"]
    total = sum(c["area_m2"] for c in p["potential"]["classes"])
    assert total == pytest.approx(p["footprint_area_m2"], rel=1e-3)


def test_without_a_geological_map_nothing_changes(store, table):
    fp = shapely.box(X + 0.005, Y + 0.005, X + 0.010, Y + 0.010)
    s = screen(store, [fp])
    assert s.projects[0]["potential"] is None and s.to_dict()["potential"]["units"] == 0
    assert "化石潜力" not in render_text(s)


def test_every_output_format_carries_the_potential(mapped, table, tmp_path):
    from fossilgis.io.write import write_screening

    d = 0.02
    fp = shapely.box(X + d - 0.004, Y + 0.005, X + d + 0.004, Y + 0.009)
    s = screen(mapped, [fp], project_type="linear")
    text = render_text(s, "en")
    assert "Fossil potential" in text and "class 5" in text and "SYN5" in text
    assert "paleontological field survey" in text
    assert "化石潜力" in render_text(s, "zh")
    doc = json.loads(json.dumps(s.to_dict()))
    assert doc["projects"][0]["potential"]["highest_class"] == "5"
    assert doc["potential"]["formations_version"] == 1
    rows = list(csv.DictReader(io.StringIO(render_csv(s).lstrip("\ufeff"))))
    formation = [r for r in rows if r["target_kind"] == "formation"]
    assert {r["target_id"] for r in formation} == {"SYN5", "SYN1"}
    assert {r["potential_class"] for r in formation} == {"5", "1"}
    html = render_html(s, "en")
    assert "Fossil potential" in html and "paleontological monitors" in html
    geojson = write_screening(s, tmp_path / "out.geojson", "geojson")
    feats = json.loads(geojson.read_text())["features"]
    pieces = [f for f in feats if f["properties"]["role"] == "potential"]
    assert sorted(f["properties"]["unit"] for f in pieces) == ["SYN1", "SYN5"]
    gpkg = write_screening(s, tmp_path / "out.gpkg", "gpkg")
    layer = pyogrio.read_dataframe(gpkg, layer="potential")
    assert sorted(layer["potential_class"]) == ["1", "5"]
    areas = np.asarray(layer["area_m2"], dtype=float)
    assert areas.sum() == pytest.approx(s.projects[0]["footprint_area_m2"], rel=1e-6)


def test_classify_map_names_the_units_not_in_the_table(table):
    classed = classify_map(synthetic_map(), table)
    assert classed.frame["potential_class"].tolist() == ["5", "1", "3", "U"]
    assert classed.unmatched_count == 1 and classed.unmatched_units() == ["XQ"]


def test_a_rules_file_without_potential_rules_still_screens_sites(mapped, table, tmp_path):
    from fossilgis.errors import RulesError
    from fossilgis.layers import LAYERS_DIR
    from fossilgis.rules import load_rules

    text = (LAYERS_DIR / "rules.toml").read_text(encoding="utf-8")
    old = tmp_path / "rules_2026.toml"
    old.write_text(text[: text.index("\n[[potential_rule]]")], encoding="utf-8")
    rules = load_rules(old)  # an office's file from before fossil potential screening
    assert rules.potential_rules == ()
    with pytest.raises(RulesError, match=r"no \[\[potential_rule\]\] table.*layers/rules.toml"):
        rules.potential_outcome("5", "linear", True)


def test_potential_rules_are_validated_like_the_rule_table(tmp_path):
    from fossilgis.errors import RulesError
    from fossilgis.layers import LAYERS_DIR
    from fossilgis.rules import load_rules

    text = (LAYERS_DIR / "rules.toml").read_text(encoding="utf-8")
    gap = tmp_path / "gap.toml"
    gap.write_text(text.replace('potential_class = ["1", "2"]', 'potential_class = ["1"]'))
    with pytest.raises(RulesError, match=r"potential_rule.*match no rule.*potential_class=2"):
        load_rules(gap)
    typo = tmp_path / "typo.toml"
    typo.write_text(text.replace('potential_class = ["1", "2"]', 'potential_class = ["1", "6"]'))
    with pytest.raises(RulesError, match=r"'6' is not a valid potential_class"):
        load_rules(typo)


def test_a_chunked_screen_gives_the_same_potential_as_in_memory(mapped, table, tmp_path):
    from fossilgis.batch import screen_file_in_chunks
    from fossilgis.screening import screen_paths

    # a grid of separate squares (a chunked screen sums overlaps found in different
    # chunks: fossilgis.batch), some on the units, some north of the map
    x, y = np.meshgrid(X + 0.001 + 0.0045 * np.arange(13), Y + 0.001 + 0.007 * np.arange(5))
    x, y = x.ravel(), y.ravel()
    n = len(x)
    fps = gpd.GeoDataFrame(
        {"project": [f"P{i % 4}" for i in range(n)]},  # every project in every chunk
        geometry=[shapely.box(a, b, a + 0.002, b + 0.002) for a, b in zip(x, y)],
        crs="EPSG:4490",
    )
    path = tmp_path / "fps.gpkg"
    fps.to_file(path)
    whole = screen_paths([path], mapped, id_field="project").to_dict()
    chunked = screen_file_in_chunks(path, mapped, id_field="project", chunk_size=7).to_dict()
    for d in (whole, chunked):
        d.pop("created_at")
    assert {p["potential"]["highest_class"] for p in whole["projects"]} == {"5"}
    assert chunked == whole
