"""The office's own context layers (`layers import --kind context-…`) and the context on
the printable report's map (province, rivers, cities, the locator inset)."""

from __future__ import annotations

import geopandas as gpd
import shapely
from case_fixtures import screen_geoms
from click.testing import CliRunner
from io_helpers import write_shp

from fossilgis.cli.main import cli
from fossilgis.context import available_context_layers, read_context
from fossilgis.report import render_html
from fossilgis.store import open_store


def test_office_counties_are_imported_checked_and_drawn(tmp_path):
    data = tmp_path / "data"
    open_store(data).close()
    counties = gpd.GeoDataFrame(
        {"县名": ["测试县", None], "EN": ["Ceshi", None]},
        geometry=[shapely.box(106, 26, 106.5, 26.5), shapely.box(106.5, 26, 107, 26.5)],
        crs="EPSG:4490",
    ).to_crs("EPSG:4523")
    shp = write_shp(tmp_path, "counties", counties, encoding="GBK", cpg=False)
    args = ["--data", str(data), "layers", "import", str(shp), "--kind", "context-counties"]
    mapping = ["--map", "name_zh=县名", "--map", "name_en=EN"]
    bad = CliRunner().invoke(cli, [*args, *mapping])
    assert bad.exit_code != 0 and "feature 1" in bad.output and "name_zh" in bad.output
    assert "counties" not in available_context_layers(data)  # nothing written
    counties.loc[1, ["县名", "EN"]] = ["样例县", "Yangli"]
    shp = write_shp(tmp_path, "counties", counties, encoding="GBK", cpg=False)
    ok = CliRunner().invoke(cli, [*args, *mapping])
    assert ok.exit_code == 0, ok.output
    got = read_context("counties", data)
    assert got["name_zh"].tolist() == ["测试县", "样例县"]  # GBK decoded
    assert got.crs.to_epsg() == 4490 and abs(got.total_bounds[0] - 106) < 1e-7
    assert "counties" in available_context_layers(data)
    assert "counties" not in available_context_layers()  # the shipped set is unchanged


def test_report_map_draws_context_and_the_locator(tmp_path):
    store = open_store(tmp_path / "data")
    # a footprint on the Wu Jiang: the river crosses the frame
    rivers = read_context("rivers")
    wu = rivers[rivers["name_en"].str.contains("Wu", na=False)].geometry.iloc[0]
    p = shapely.get_coordinates(wu)[len(shapely.get_coordinates(wu)) // 2]
    fp = shapely.box(p[0] - 0.0015, p[1] - 0.0015, p[0] + 0.0015, p[1] + 0.0015)
    html = render_html(screen_geoms(store, [fp]), "en", store=store)
    assert 'class="inset"' in html and "inset-prov" in html and "Location" in html
    assert '<polyline class="ctx-river"' in html and "River" in html
