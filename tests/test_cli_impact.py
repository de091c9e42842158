"""`fossilgis impact-check` end to end on real files: kinds, formats, exit codes."""

import json
import re
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner
from io_helpers import corpus_file

from fossilgis.cli.main import cli
from fossilgis.store import open_store

EXAMPLES = Path(__file__).resolve().parent.parent / "layers" / "examples"
HIGHWAY = [str(EXAMPLES / "highway_g320.zip"), "--crs", "EPSG:4523"]


@pytest.fixture(scope="module")
def data(template_copy):
    """A GeoPackage data directory for the module: ``impact-check`` is given ``--data`` only."""
    return template_copy("impact")


def run(data, *args):
    return CliRunner().invoke(
        cli, ["--data", str(data), "impact-check", *args], catch_exceptions=False
    )


def test_highway_needs_crs_and_says_which(data):
    r = run(data, str(EXAMPLES / "highway_g320.zip"))
    assert r.exit_code == 2
    assert "EPSG:4523" in r.output and "--crs" in r.output and "Traceback" not in r.output


def test_highway_text_is_bilingual(data):
    r = run(data, *HIGHWAY, "--project-type", "linear", "--line-width", "26")
    assert r.exit_code == 0, r.output
    assert "须避让" in r.output and "Must avoid" in r.output
    assert "GZ-F03" in r.output and "关岭生物群" in r.output
    assert re.search(r"overlap .*m² = .* ha = .* 亩", r.output)
    assert "line width 26 m" in r.output


def test_json_form(data):
    r = run(data, *HIGHWAY, "--project-type", "linear", "--line-width", "26", "--format", "json")
    doc = json.loads(r.stdout)
    assert doc["rules"]["version"] and doc["layers"]["sites"]["count"] == 36
    assert doc["layers"]["sites"]["boundary_status"] == "approximate"
    (p,) = doc["projects"]
    assert p["crs_in"] == "EPSG:4523" and p["crs_basis"] == "user"
    assert p["encoding"] in ("gb18030", "gbk") and p["grade"] == "avoid"
    (imp,) = p["impacts"]
    assert imp["footprint"]["名称"].startswith("关岭")
    assert imp["zone"] == "core" and imp["distance_m"] == 0
    assert imp["overlap_area_ha"] == pytest.approx(imp["overlap_area_m2"] / 1e4, abs=1e-4)
    assert imp["overlap_area_mu"] == pytest.approx(imp["overlap_area_m2"] * 15 / 1e4, abs=0.01)
    assert imp["follow_up"] and imp["legal_basis"]
    assert doc["options"]["line_width_m"] == 26


def test_dxf_quarry_and_fail_on(data):
    r = run(
        data,
        str(EXAMPLES / "quarry_kaili.dxf"),
        "--crs",
        "EPSG:4524",
        "--project-type",
        "mining",
        "--format",
        "json",
        "--fail-on",
        "assess",
    )
    assert r.exit_code == 3
    doc = json.loads(r.stdout)
    assert doc["projects"][0]["grade"] == "assess"
    assert (
        run(
            data, str(EXAMPLES / "quarry_kaili.dxf"), "--crs", "EPSG:4524", "--fail-on", "avoid"
        ).exit_code
        == 0
    )


def test_boundary_txt_projects_by_field(data):
    r = run(
        data, str(EXAMPLES / "parcels_qingyan.txt"), "--id-field", "地块编号", "--format", "json"
    )
    doc = json.loads(r.stdout)
    grades = {p["project_id"]: p["grade"] for p in doc["projects"]}
    assert grades == {"QY-01": "avoid", "QY-02": "attention"}
    assert all(p["crs_basis"] == "prj" for p in doc["projects"])


def test_several_files_are_a_batch(data, tmp_path):
    far = tmp_path / "far.geojson"
    gpd.GeoDataFrame(geometry=[shapely.box(104.0, 27.0, 104.01, 27.01)], crs=4326).to_file(far)
    r = run(data, str(EXAMPLES / "parcels_qingyan.txt"), str(far), "--format", "json")
    doc = json.loads(r.stdout)
    assert [p["project_id"] for p in doc["projects"]] == ["parcels_qingyan", "far"]
    assert [p["grade"] for p in doc["projects"]] == ["avoid", "none"]


def test_csv_opens_in_excel(data, tmp_path):
    out = tmp_path / "r.csv"
    r = run(data, *HIGHWAY, "--format", "csv", "-o", str(out))
    assert r.exit_code == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    assert "关岭生物群" in raw.decode("utf-8-sig")


@pytest.mark.parametrize("fmt", ["geojson", "gpkg"])
def test_gis_outputs_hold_overlaps(data, tmp_path, fmt):
    out = tmp_path / f"r.{fmt}"
    r = run(data, *HIGHWAY, "--line-width", "26", "--format", fmt, "-o", str(out))
    assert r.exit_code == 0, r.output
    if fmt == "geojson":  # one collection: the footprint first, then the overlaps
        both = pyogrio.read_dataframe(out)
        assert list(both["role"]) == ["footprint", "impact"]
        imp = both[both["role"] == "impact"].reset_index(drop=True)
    else:
        imp = pyogrio.read_dataframe(out, layer="impacts")
    assert list(imp["target_id"]) == ["GZ-F03"]
    site = open_store(data).get_feature("sites", "GZ-F03").geometry
    assert shapely.covers(site.buffer(1e-7), imp.geometry.iloc[0])
    assert imp.crs.to_epsg() in (4326, 4490)
    if fmt == "gpkg":
        assert len(pyogrio.read_dataframe(out, layer="footprints")) == 1


def test_gis_output_needs_output_path(data):
    r = run(data, *HIGHWAY, "--format", "gpkg")
    assert r.exit_code == 2 and "--output" in r.output


def test_html_report_is_self_contained(data, tmp_path):
    out = tmp_path / "r.html"
    r = run(data, *HIGHWAY, "--line-width", "26", "--format", "html", "-o", str(out))
    assert r.exit_code == 0
    html = out.read_text(encoding="utf-8")
    assert "<svg" in html and "须避让" in html and "EPSG:4523" in html and "2026.1" in html
    urls = set(re.findall(r"https?://[^\s\"'<>]+", html)) - {"http://www.w3.org/2000/svg"}
    assert urls == set()
    assert "<script" not in html


def test_far_footprint_is_none(data, tmp_path):
    path = tmp_path / "far.geojson"
    gpd.GeoDataFrame(geometry=[shapely.box(104.0, 27.0, 104.01, 27.01)], crs=4326).to_file(path)
    doc = json.loads(run(data, str(path), "--format", "json").stdout)
    assert doc["projects"][0]["grade"] == "none" and doc["projects"][0]["impacts"] == []


def test_outside_guizhou_is_a_clear_error(data):
    r = run(data, str(corpus_file("coutwildrnp.zip")))
    assert r.exit_code == 2
    assert "outside Guizhou" in r.output and "coutwildrnp" in r.output


def test_bad_width_is_a_usage_error(data):
    r = run(data, *HIGHWAY, "--line-width", "-3")
    assert r.exit_code == 2 and "positive" in r.output
