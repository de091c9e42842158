"""`fossilgis layers` commands end to end: build, validate, import, export, restore."""

import json

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from click.testing import CliRunner

from fossilgis.cli.main import cli
from fossilgis.store import open_store

REGISTRY_FIELDS = {
    "编号": "id",
    "名称": "name_zh",
    "英文名": "name_en",
    "保护级别": "protection_level",
}


@pytest.fixture
def data(tmp_path):
    open_store(tmp_path / "data")
    return tmp_path / "data"


def run(data, *args, input=None):
    result = CliRunner().invoke(
        cli, ["--data", str(data), *args], input=input, catch_exceptions=False
    )
    return result


def _registry(kind: str, n: int, crs: str = "EPSG:4490"):
    """A registry like the office's: Chinese field names, GBK text, n features."""
    rng = np.random.default_rng(n)
    lon = rng.uniform(104.0, 109.0, n)
    lat = rng.uniform(25.0, 28.8, n)
    if kind == "sites":
        geoms = [shapely.Point(x, y).buffer(0.004, 16) for x, y in zip(lon, lat)]
    else:
        geoms = [shapely.LineString([(x, y - 0.002), (x, y + 0.002)]) for x, y in zip(lon, lat)]
    prefix = "HS" if kind == "sites" else "PM"
    gdf = gpd.GeoDataFrame(
        {
            "编号": [f"52-{prefix}-{i:03d}" for i in range(n)],
            "名称": [
                f"贵州测试{'化石产地' if kind == 'sites' else '层型剖面'}{i}号" for i in range(n)
            ],
            "英文名": [f"Test {kind} {i}" for i in range(n)],
            "保护级别": rng.choice(["national_key", "provincial_key", "general"], n),
        },
        geometry=geoms,
        crs=4490,
    )
    return gdf.to_crs(crs)


def _write_gbk_shapefile(gdf, path, *, keep_prj=True):
    pyogrio.write_dataframe(gdf, path, encoding="GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    with open(path.with_suffix(".dbf"), "r+b") as fh:  # no language-driver byte either
        fh.seek(29)
        fh.write(b"\x00")
    if not keep_prj:
        path.with_suffix(".prj").unlink()
    return path


def _mapping():
    return [x for src, dst in REGISTRY_FIELDS.items() for x in ("--map", f"{dst}={src}")]


def test_validate_shipped_layers(data):
    result = run(data, "layers", "validate")
    assert result.exit_code == 0, result.output
    assert "sites: OK (36 features)" in result.output
    assert "sections: OK (19 features)" in result.output
    assert run(data, "layers", "validate", "--source").exit_code == 0


def test_import_round_trips_67_sites_and_16_sections_gbk(data, tmp_path):
    sites = _registry("sites", 67)
    sections = _registry("sections", 16)
    shp = _write_gbk_shapefile(sites, tmp_path / "registry_sites.shp")
    gpkg = tmp_path / "registry_sections.gpkg"
    pyogrio.write_dataframe(sections, gpkg)
    r1 = run(data, "layers", "import", str(shp), "--kind", "sites", *_mapping())
    assert r1.exit_code == 0, r1.output
    assert "67 sites" in r1.output
    r2 = run(data, "layers", "import", str(gpkg), "--kind", "sections", *_mapping())
    assert r2.exit_code == 0, r2.output
    store = open_store(data)
    got = store.read_layer("sites").sort_values("id", ignore_index=True)
    assert len(got) == 67 and len(store.read_layer("sections")) == 16
    # GBK names decode right, not as mojibake
    assert got["name_zh"].tolist() == sites.sort_values("编号")["名称"].tolist()
    assert got["boundary_status"].unique().tolist() == ["surveyed"]
    assert not store.layer_info("sites")["demonstration"]
    assert shapely.equals_exact(
        got.geometry.values, sites.sort_values("编号").geometry.values, 1e-7
    ).all()
    assert run(data, "layers", "validate").exit_code == 0
    # the demonstration version is archived and can be restored
    hist = run(data, "layers", "history", "--kind", "sites")
    assert "version 1: 36 features" in hist.output
    assert run(data, "layers", "restore", "--kind", "sites", "--version", "1").exit_code == 0
    assert store.layer_info("sites")["count"] == 36


def test_import_without_prj_proposes_crs(data, tmp_path):
    sites = _registry("sites", 67, crs="EPSG:4523")
    shp = _write_gbk_shapefile(sites, tmp_path / "noprj.shp", keep_prj=False)
    result = run(data, "layers", "import", str(shp), "--kind", "sites", *_mapping())
    assert result.exit_code == 2
    assert "noprj.shp" in result.output and "EPSG:4523" in result.output
    assert "Traceback" not in result.output
    assert open_store(data).layer_info("sites")["count"] == 36  # nothing lost
    ok = run(
        data, "layers", "import", str(shp), "--kind", "sites", "--crs", "EPSG:4523", *_mapping()
    )
    assert ok.exit_code == 0, ok.output
    got = open_store(data).read_layer("sites")
    assert len(got) == 67
    # the reprojected geometry is where the registry put it (to a centimetre)
    want = sites.to_crs(4490).sort_values("编号").geometry.values
    have = got.sort_values("id").geometry.values
    assert shapely.hausdorff_distance(want, have).max() < 1e-7


def test_import_invalid_registry_changes_nothing(data, tmp_path):
    sites = _registry("sites", 5)
    sites.loc[2, "编号"] = sites.loc[1, "编号"]  # duplicate id
    sites.loc[3, "保护级别"] = "very_important"
    path = tmp_path / "bad.geojson"
    sites.to_file(path, driver="GeoJSON")
    result = run(data, "layers", "import", str(path), "--kind", "sites", *_mapping())
    assert result.exit_code == 2
    assert "is used again" in result.output and "very_important" in result.output
    assert "nothing was changed" in result.output
    assert open_store(data).layer_info("sites")["version"] == 1


def test_import_bad_mapping_names_fields(data, tmp_path):
    path = tmp_path / "r.geojson"
    _registry("sites", 3).to_file(path, driver="GeoJSON")
    result = run(data, "layers", "import", str(path), "--kind", "sites", "--map", "id=CODE")
    assert result.exit_code == 2
    assert "CODE" in result.output and "编号" in result.output


@pytest.mark.parametrize(
    "fmt,suffix",
    [("gpkg", ".gpkg"), ("shp", ".shp"), ("geojson", ".geojson"), ("kml", ".kml"), ("csv", ".csv")],
)
def test_export_formats_read_back(data, tmp_path, fmt, suffix):
    out = tmp_path / "out"
    out.mkdir()
    result = run(data, "layers", "export", "--format", fmt, "--kind", "sites", "-o", str(out))
    assert result.exit_code == 0, result.output
    path = out / f"sites{suffix}"
    if fmt == "csv":
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # Excel opens UTF-8 only with a BOM
        assert "关岭生物群" in raw.decode("utf-8-sig")
        return
    back = pyogrio.read_dataframe(path)
    assert len(back) == 36
    name = "Name" if fmt == "kml" else "name_zh"
    assert "关岭生物群（新铺、卧龙岗）" in back[name].tolist()


def test_export_geojson_is_valid_json(data, tmp_path):
    out = tmp_path / "s.geojson"
    assert (
        run(
            data, "layers", "export", "--format", "geojson", "--kind", "sections", "-o", str(out)
        ).exit_code
        == 0
    )
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert len(doc["features"]) == 19


def test_layer_changes_are_audited(data, tmp_path):
    path = tmp_path / "r.geojson"
    _registry("sites", 4).to_file(path, driver="GeoJSON")
    assert run(data, "layers", "import", str(path), "--kind", "sites", *_mapping()).exit_code == 0
    assert run(data, "layers", "restore", "--kind", "sites", "--version", "1").exit_code == 0
    rows = open_store(data).audit_rows(object_kind="sites")
    assert [r["action"] for r in rows][:2] == ["layer.replace", "layer.replace"]
    assert rows[1]["object_id"] == "2" and rows[1]["detail"]["source"] == "r.geojson"
    assert rows[1]["username"].startswith("cli:")
    assert rows[0]["detail"]["note"] == "restored version 1"


def test_chinese_protection_labels_are_recoded(data, tmp_path):
    sites = _registry("sites", 4)
    sites["保护级别"] = ["国家级重点", "省级重点", "一般", "national_key"]
    path = tmp_path / "levels.geojson"
    sites.to_file(path, driver="GeoJSON")
    assert run(data, "layers", "import", str(path), "--kind", "sites", *_mapping()).exit_code == 0
    got = open_store(data).read_layer("sites").sort_values("id")
    assert got["protection_level"].tolist() == [
        "national_key",
        "provincial_key",
        "general",
        "national_key",
    ]
    sites["保护级别"] = ["重要", "省级重点", "一般", "general"]
    sites.to_file(path, driver="GeoJSON")
    bad = run(data, "layers", "import", str(path), "--kind", "sites", *_mapping())
    assert bad.exit_code == 2 and "'重要'" in bad.output
