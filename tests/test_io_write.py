"""fossilgis.io.write: GeoJSON and GeoPackage outputs carry the footprints and the overlaps,
and identifiers and integer attributes keep their types."""

from __future__ import annotations

import json

import geopandas as gpd
import pyogrio
import pytest
import shapely
from io_helpers import GUANLING

from fossilgis.errors import FossilGISError
from fossilgis.impact import ScreenOptions
from fossilgis.io.write import FOOTPRINT_COLUMNS, write_screening
from fossilgis.screening import screen_paths
from fossilgis.store import open_store

LON, LAT = GUANLING
#: inside GZ-F03's core, in its attention zone (about 1.3 km from the centre), far away
FOOTPRINTS = [
    shapely.box(LON - 0.001, LAT - 0.001, LON + 0.001, LAT + 0.001),
    shapely.LineString([(LON + 0.013, LAT), (LON + 0.016, LAT + 0.002)]),
    shapely.box(104.0, 27.0, 104.01, 27.01),
]
INTEGER_FIELDS = {"OFTInteger", "OFTInteger64"}


@pytest.fixture(scope="module")
def store(template_copy):
    """A GeoPackage store (what is written is the subject here, not the store's backend)."""
    made = open_store(template_copy("write"))
    yield made
    made.close()


@pytest.fixture(scope="module")
def screening(store, tmp_path_factory):
    """One project of three footprints with text, integer, float and clashing fields."""
    path = tmp_path_factory.mktemp("in") / "plan.gpkg"
    gdf = gpd.GeoDataFrame(
        {
            "名称": ["关岭互通", "连接线", "远处料场"],
            "lanes": [4, 2, 0],
            "width": [26.5, 12.0, 0.0],
            "grade": ["一级", "二级", "三级"],  # named like an impact column
        },
        geometry=FOOTPRINTS,
        crs=4490,
    )
    pyogrio.write_dataframe(gdf, path, layer="plan")
    result = screen_paths(
        [path], store, options=ScreenOptions(project_type="linear", line_width_m=20)
    )
    assert len(result.footprints) == 3 and len(result.impacts) >= 2
    return result


def _same_shapes(a, b) -> bool:
    a, b = shapely.normalize(list(a)), shapely.normalize(list(b))
    return all(shapely.equals_exact(x, y, tolerance=1e-7) for x, y in zip(a, b, strict=True))


def test_geojson_holds_footprints_then_impacts(screening, tmp_path):
    out = write_screening(screening, tmp_path / "r.geojson", "geojson")
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and doc["name"] == "screening"
    roles = [f["properties"]["role"] for f in doc["features"]]
    n_fp, n_imp = len(screening.footprints), len(screening.impacts)
    assert roles == ["footprint"] * n_fp + ["impact"] * n_imp

    fps = [f["properties"] for f in doc["features"][:n_fp]]
    assert list(fps[0])[:6] == ["role", *FOOTPRINT_COLUMNS]
    assert [p["footprint_index"] for p in fps] == [0, 1, 2]
    assert all(type(p["footprint_index"]) is int for p in fps)
    assert [p["project_id"] for p in fps] == ["plan"] * 3
    assert {p["project_grade"] for p in fps} == {screening.projects[0]["grade"]} == {"avoid"}
    assert fps[0]["footprint_area_m2"] == pytest.approx(
        screening.footprints["footprint_area_m2"].iloc[0]
    )
    # the footprint's own attributes where the screening holds them (footprints with impacts)
    assert fps[0]["名称"] == "关岭互通" and fps[0]["lanes"] == 4 and type(fps[0]["lanes"]) is int
    assert fps[0]["width"] == 26.5 and fps[0]["attr_grade"] == "一级"
    assert fps[2]["lanes"] is None and fps[2]["名称"] is None

    imps = [f["properties"] for f in doc["features"][n_fp:]]
    assert all(type(p["footprint_index"]) is int for p in imps)
    assert {p["target_id"] for p in imps} == set(screening.impacts["target_id"])
    assert imps[0]["grade"] in ("attention", "assess", "avoid") and imps[0]["lanes"] is None
    # GDAL writes the JSON-array text of the list fields as GeoJSON arrays
    assert imps[0]["follow_up"] == list(screening.impacts["follow_up"].iloc[0])

    info = pyogrio.read_info(out)
    types = dict(zip(info["fields"], info["ogr_types"]))
    assert types["footprint_index"] in INTEGER_FIELDS and types["lanes"] in INTEGER_FIELDS
    back = pyogrio.read_dataframe(out)
    assert back["footprint_index"].dtype.kind == "i"
    assert _same_shapes(back.geometry[:n_fp], screening.footprints.geometry)


def test_geopackage_has_footprints_and_impacts_layers(screening, tmp_path):
    out = write_screening(screening, tmp_path / "r.gpkg", "gpkg")
    assert sorted(pyogrio.list_layers(out)[:, 0]) == ["footprints", "impacts"]

    fps = pyogrio.read_dataframe(out, layer="footprints")
    assert list(fps.columns[:5]) == FOOTPRINT_COLUMNS
    assert fps["footprint_index"].dtype == "int64"
    assert fps["footprint_index"].tolist() == [0, 1, 2]
    assert fps["名称"].tolist()[:1] == ["关岭互通"]
    info = pyogrio.read_info(out, layer="footprints")
    types = dict(zip(info["fields"], info["ogr_types"]))
    assert types["footprint_index"] == "OFTInteger64" and types["lanes"] in INTEGER_FIELDS
    assert types["width"] == "OFTReal" and "attr_grade" in types
    assert _same_shapes(fps.geometry, screening.footprints.geometry)

    imp = pyogrio.read_dataframe(out, layer="impacts")
    assert imp["footprint_index"].dtype == "int64"
    assert len(imp) == len(screening.impacts)
    assert set(imp["target_id"]) == set(screening.impacts["target_id"])
    assert "role" not in imp.columns


def test_geojson_of_a_clear_project_has_its_footprint(store, tmp_path):
    path = tmp_path / "far.geojson"
    gpd.GeoDataFrame({"n": [7]}, geometry=[FOOTPRINTS[2]], crs=4490).to_file(path)
    screening = screen_paths([path], store)
    out = write_screening(screening, tmp_path / "r.geojson", "geojson")
    (feature,) = json.loads(out.read_text(encoding="utf-8"))["features"]
    props = feature["properties"]
    assert props["role"] == "footprint" and props["project_grade"] == "none"
    assert props["footprint_index"] == 0 and props["target_id"] is None


def test_unknown_format_is_refused(screening, tmp_path):
    with pytest.raises(FossilGISError, match="cannot write format 'kml'"):
        write_screening(screening, tmp_path / "r.kml", "kml")
