"""`fossilgis layers import --kind formations` and the potential in `impact-check`, end to
end on files written by GDAL (a GBK shapefile, zone-prefixed GK coordinates, no .prj)."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner
from io_helpers import write_shp
from potential_fixtures import ORIGIN, synthetic_map, synthetic_table

from fossilgis.cli.main import cli
from fossilgis.store import open_store

X, Y = ORIGIN
MAPPING = ["--map", "unit=代号", "--map", "name_zh=名称", "--map", "name_en=英文名"]


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.setenv("FOSSILGIS_POTENTIAL", str(synthetic_table(tmp_path)))
    open_store(tmp_path / "data").close()
    return tmp_path / "data"


def run(data, *args):
    return CliRunner().invoke(cli, ["--data", str(data), *args], catch_exceptions=False)


def geology_shp(folder, gdf=None, *, prj=False):
    """The synthetic map as the office's file: Chinese field names, GBK without .cpg,
    CGCS2000 3° GK zone 35 with the zone prefix (EPSG:4523), no .prj."""
    gdf = synthetic_map() if gdf is None else gdf
    office = gpd.GeoDataFrame(
        {"代号": gdf["unit"], "名称": gdf["name_zh"], "英文名": gdf["name_en"]},
        geometry=gdf.geometry.values,
        crs="EPSG:4490",
    ).to_crs("EPSG:4523")
    return write_shp(folder, "地质图", office, encoding="GBK", prj=prj, cpg=False)


def test_import_proposes_the_crs_then_imports_and_names_unknown_units(data, tmp_path):
    shp = geology_shp(tmp_path)
    refused = run(data, "layers", "import", str(shp), "--kind", "formations", *MAPPING)
    assert refused.exit_code == 2, refused.output
    assert "EPSG:4523" in refused.output and "Traceback" not in refused.output
    assert open_store(data).formations.current_version() == 0  # nothing written
    ok = run(
        data, "layers", "import", str(shp), "--kind", "formations", "--crs", "EPSG:4523", *MAPPING
    )
    assert ok.exit_code == 0, ok.output
    assert "4 formations" in ok.output and "encoding gb18030" in ok.output
    assert "Potential classes" in ok.output and "XQ" in ok.output
    got = open_store(data).formations.read().sort_values("unit", ignore_index=True)
    names = [n if isinstance(n, str) else None for n in got["name_zh"]]
    assert names == [None, "合成三级组", "合成五级组", "未入表组"]  # GBK decoded, not mojibake
    want = synthetic_map().sort_values("unit", ignore_index=True)
    # reprojected back to within a millimetre of where the test drew them
    assert shapely.hausdorff_distance(got.geometry.values, want.geometry.values).max() < 1e-8
    again = run(
        data, "layers", "import", str(shp), "--kind", "formations", "--crs", "EPSG:4523", *MAPPING
    )
    assert "version 2" in again.output
    hist = run(data, "layers", "history", "--kind", "formations")
    assert "current version 2" in hist.output and "version 1: 4 features" in hist.output
    restored = run(data, "layers", "restore", "--kind", "formations", "--version", "1")
    assert restored.exit_code == 0 and "restored as version 3" in restored.output


def test_import_lists_every_unusable_unit_and_writes_nothing(data, tmp_path):
    bad = synthetic_map()
    bad.loc[1, ["unit", "name_zh", "name_en"]] = None  # no code, no name
    bad.loc[2, "geometry"] = shapely.LineString([(X, Y), (X + 0.01, Y + 0.01)])
    shp = tmp_path / "bad.gpkg"
    bad.rename(columns={"unit": "代号", "name_zh": "名称", "name_en": "英文名"}).to_file(shp)
    result = run(data, "layers", "import", str(shp), "--kind", "formations", *MAPPING)
    assert result.exit_code != 0
    assert "feature 1" in result.output and "needs one of the fields unit" in result.output
    assert "feature 2" in result.output and "LineString" in result.output
    assert open_store(data).formations.current_version() == 0


def test_impact_check_reports_the_potential_in_text_and_json(data, tmp_path):
    store = open_store(data)
    store.formations.replace(synthetic_map(), source="synthetic", user="test")
    store.close()
    fp = gpd.GeoDataFrame(
        {"name": ["quarry"]},
        geometry=[shapely.box(X + 0.004, Y + 0.004, X + 0.008, Y + 0.008)],
        crs="EPSG:4490",
    )
    path = tmp_path / "quarry.geojson"
    fp.to_file(path)
    text = run(data, "impact-check", str(path), "--project-type", "mining", "--lang", "en")
    assert text.exit_code == 0, text.output
    assert "Fossil potential" in text.output and "class 5" in text.output
    assert "ASSESS" in text.output
    out = run(data, "impact-check", str(path), "--project-type", "mining", "--format", "json")
    doc = json.loads(out.output)
    assert doc["projects"][0]["potential"]["highest_class"] == "5"
    assert doc["projects"][0]["registry_grade"] == "none"


def test_potential_show_and_validate(data, tmp_path):
    shown = run(data, "potential", "show")
    assert shown.exit_code == 0 and "SYN5" in shown.output
    broken = tmp_path / "broken.toml"
    broken.write_text(
        synthetic_table(tmp_path).read_text(encoding="utf-8").replace('class = "1"', 'class = "9"'),
        encoding="utf-8",
    )
    bad = run(data, "potential", "validate", str(broken))
    assert bad.exit_code == 2 and "9" in bad.output
