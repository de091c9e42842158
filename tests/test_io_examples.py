"""The sample files in layers/examples read as the tour describes."""

from __future__ import annotations

import pytest
from io_helpers import EXAMPLES
from shapely.geometry import Point

from fossilgis.errors import CRSError
from fossilgis.io import read_footprints


def test_highway_needs_crs_then_reads(tmp_path):
    for name in ("highway/highway_g320.shp", "highway_g320.zip"):
        with pytest.raises(CRSError, match=r"zone prefix 35.*--crs EPSG:4523"):
            read_footprints(EXAMPLES / name)
        (r,) = read_footprints(EXAMPLES / name, crs="EPSG:4523")
        assert r.gdf["名称"].tolist() == ["关岭至兴义高速公路K12段"]
        assert r.gdf["路线编号"].tolist() == ["G320"]
        line = r.gdf.geometry.iloc[0]
        assert line.distance(Point(105.4, 25.9)) < 0.005  # crosses the Guanling site disc
        assert 7_000 < r.gdf.to_crs(4523).length.iloc[0] < 9_000


def test_quarry_dxf():
    with pytest.raises(CRSError, match=r"zone prefix 36.*--crs EPSG:4524"):
        read_footprints(EXAMPLES / "quarry_kaili.dxf")
    (r,) = read_footprints(EXAMPLES / "quarry_kaili.dxf", crs="EPSG:4524")
    assert r.gdf["dxf_layer"].tolist() == ["红线"]
    assert r.gdf.geom_type.tolist() == ["Polygon"]
    assert (r.encoding, r.encoding_basis) == ("gbk", "dwgcodepage")
    metric = r.gdf.to_crs(4524)
    assert 60_000 < metric.area.iloc[0] < 70_000
    site = Point(108.414, 26.081)
    dist = r.gdf.to_crs(4524).distance(
        __import__("geopandas").GeoSeries([site], crs=4490).to_crs(4524).iloc[0]
    )
    assert 550 < dist.iloc[0] < 650


def test_parcels_txt():
    (r,) = read_footprints(EXAMPLES / "parcels_qingyan.txt")
    assert (r.crs_in, r.crs_basis) == ("EPSG:4524", "prj")
    assert r.gdf["地块编号"].tolist() == ["QY-01", "QY-02"]
    assert len(r.gdf.geometry.iloc[1].interiors) == 1
    declared_ha = r.gdf["地块面积"].tolist()
    computed_ha = (r.gdf.to_crs(4524).area / 10_000).round(4).tolist()
    assert computed_ha == declared_ha
