"""Generalised public geometry of sensitive sites (fossilgis.generalise)."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from fossilgis.generalise import coarse_cells, generalise_sites


def _sites(*geoms):
    return gpd.GeoDataFrame(
        {"id": [f"S{i}" for i in range(len(geoms))], "extra": [{"lon": 1.0}] * len(geoms)},
        geometry=list(geoms),
        crs="EPSG:4490",
    )


def test_small_site_becomes_its_grid_cell():
    site = shapely.Point(106.7123, 26.5678).buffer(0.001)
    cell = coarse_cells(site)
    assert cell.equals(shapely.box(106.71, 26.56, 106.72, 26.57))


def test_cells_contain_the_site_and_lie_on_the_grid():
    site = shapely.Polygon([(106.701, 26.501), (106.745, 26.503), (106.73, 26.538)])
    out = coarse_cells(site)
    assert out.contains(site)
    xs, ys = shapely.get_coordinates(out).T
    assert all(abs(v * 100 - round(v * 100)) < 1e-9 for v in [*xs, *ys])
    assert out.area < shapely.box(*site.bounds).buffer(0.01).area


def test_vertex_on_a_cell_edge_adds_no_row():
    assert coarse_cells(shapely.box(106.71, 26.56, 106.72, 26.57)).area == pytest.approx(1e-4)


def test_generalise_sites_keeps_rows_drops_extra():
    gdf = _sites(
        shapely.Point(106.7123, 26.5678).buffer(0.002), shapely.Point(107.3, 27.1).buffer(0.02)
    )
    out = generalise_sites(gdf)
    assert list(out["id"]) == ["S0", "S1"]
    assert out["generalised"].all()
    assert all(e == {} for e in out["extra"])
    assert gdf["extra"].iloc[0] == {"lon": 1.0}  # input untouched
    assert all(o.contains(g) for o, g in zip(out.geometry, gdf.geometry))


def test_bad_cell_size():
    with pytest.raises(ValueError, match="cell_deg must be a positive"):
        generalise_sites(_sites(shapely.Point(1, 1).buffer(1)), cell_deg=0)
