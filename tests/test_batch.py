"""Streaming a large layer in chunks gives the same result as screening it in memory."""

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from fossilgis.batch import screen_file_in_chunks
from fossilgis.io.chunks import feature_count, iter_footprint_chunks
from fossilgis.screening import screen_paths
from fossilgis.store import open_store


def _footprints(path, n=2500):
    rng = np.random.default_rng(3)
    sites = gpd.read_file("layers/sites.geojson")
    # half near sites, half anywhere in the province; two projects by a field
    m = n  # twice the candidates, to keep n that do not overlap (like a parcel map)
    c = shapely.centroid(sites.geometry.values[rng.integers(0, len(sites), m)])
    x = np.concatenate([shapely.get_x(c) + rng.normal(0, 0.008, m), rng.uniform(104, 109, m)])
    y = np.concatenate([shapely.get_y(c) + rng.normal(0, 0.008, m), rng.uniform(25, 28.8, m)])
    geoms = shapely.buffer(shapely.points(x, y), 0.0008, quad_segs=2)
    a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    clash = np.zeros(len(geoms), bool)
    clash[np.maximum(a, b)[a != b]] = True
    near, anywhere = np.flatnonzero(~clash[:m])[: n // 2], np.flatnonzero(~clash[m:])
    geoms = geoms[np.concatenate([near, m + anywhere[: n - n // 2]])]
    assert len(geoms) == n
    gdf = gpd.GeoDataFrame(
        {"项目": np.where(np.arange(n) % 2, "甲", "乙"), "n": np.arange(n)},
        geometry=geoms,
        crs=4490,
    )
    pyogrio.write_dataframe(gdf, path)
    return path


def test_chunks_cover_every_feature_once(tmp_path):
    path = _footprints(tmp_path / "fp.gpkg")
    assert feature_count(path) == 2500
    chunks = list(iter_footprint_chunks(path, chunk_size=1000))
    assert [len(c.gdf) for c in chunks] == [1000, 1000, 500]
    index = np.concatenate([c.gdf.index.to_numpy() for c in chunks])
    assert (index == np.arange(2500)).all()
    assert (np.concatenate([c.gdf["n"].to_numpy() for c in chunks]) == np.arange(2500)).all()


def test_chunked_screen_equals_in_memory(tmp_path):
    store = open_store(tmp_path / "data")
    path = _footprints(tmp_path / "fp.gpkg")
    for id_field in (None, "项目"):
        whole = screen_paths([path], store, id_field=id_field).to_dict()
        chunked = screen_file_in_chunks(path, store, id_field=id_field, chunk_size=1000).to_dict()
        whole.pop("created_at")
        chunked.pop("created_at")
        assert sum(len(p["impacts"]) for p in whole["projects"]) > 100
        assert chunked == whole


def test_a_streamed_shapefile_with_a_short_dbf_is_refused(tmp_path):
    """Windows read only their own features: the record counts are checked once, up front."""
    import struct

    import pytest

    from fossilgis.errors import InputFileError

    store = open_store(tmp_path / "data")
    shp = tmp_path / "parcels.shp"
    gdf = gpd.GeoDataFrame(
        {"n": np.arange(30)},
        geometry=shapely.points(np.linspace(106.0, 106.3, 30), np.full(30, 26.5)),
        crs=4490,
    )
    pyogrio.write_dataframe(gdf, shp)
    dbf = shp.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    data[4:8] = struct.pack("<I", 20)  # the .dbf now claims 20 records for 30 shapes
    dbf.write_bytes(bytes(data))
    with pytest.raises(InputFileError, match=r"parcels\.shp.*20"):
        screen_file_in_chunks(shp, store, chunk_size=10)


def test_one_project_per_feature_reports_progress_to_the_end(tmp_path, monkeypatch):
    """--id-field with a project per parcel: the same projects as screening them one by
    one, and progress counts the assembly too (it never sits at 100 % while building)."""
    import fossilgis.screening as screening

    monkeypatch.setattr(screening, "PROGRESS_PROJECTS", 100)
    path = _footprints(tmp_path / "parcels.gpkg", n=600)
    store = open_store(tmp_path / "data")
    calls = []
    s = screen_paths([path], store, id_field="n", progress=lambda d, t: calls.append((d, t)))
    assert len(s.projects) == 600 and [p["project_id"] for p in s.projects][:3] == ["0", "1", "2"]
    assert calls[-1] == (1200, 1200) and len({t for _, t in calls}) == 1
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[:3] == [600, 700, 800]  # steps within the assembly
    whole = screen_paths([path], store)
    by_id = {p["project_id"]: p for p in s.projects}
    for imp in whole.projects[0]["impacts"]:
        (same,) = [
            i for i in by_id[str(imp["footprint"]["n"])]["impacts"]
            if i["target_id"] == imp["target_id"]
        ]  # fmt: skip
        assert same["distance_m"] == imp["distance_m"] and same["grade"] == imp["grade"]
    assert sum(p["footprint_area_m2"] for p in s.projects) == pytest.approx(
        whole.projects[0]["footprint_area_m2"], rel=1e-6
    )


def _overlapping(path, n=1200, crs=4490):
    """``n`` squares in shuffled file order, most overlapping others in other chunks."""
    rng = np.random.default_rng(5)
    x = rng.uniform(106.0, 106.2, n)
    y = rng.uniform(26.4, 26.6, n)
    geoms = shapely.box(x, y, x + rng.uniform(0.002, 0.01, n), y + rng.uniform(0.002, 0.01, n))
    gdf = gpd.GeoDataFrame(
        {"项目": np.where(np.arange(n) % 3, "甲", "乙")}, geometry=geoms, crs=4490
    ).to_crs(crs)
    pyogrio.write_dataframe(gdf, path)
    return path


@pytest.mark.parametrize("crs", [4490, 4524])
def test_ground_shared_across_chunks_counts_once(tmp_path, crs):
    """Footprints of two chunks that overlap: the streamed area is the union's, as in memory
    (a sum of the chunks' areas counted the shared ground twice), in lon/lat and in GK."""
    store = open_store(tmp_path / "data")
    path = _overlapping(tmp_path / "fp.gpkg", crs=crs)
    for id_field in (None, "项目"):
        whole = {
            p["project_id"]: p for p in screen_paths([path], store, id_field=id_field).projects
        }
        calls = []
        chunked = screen_file_in_chunks(
            path, store, id_field=id_field, chunk_size=250, progress=lambda *a, c=calls: c.append(a)
        ).projects
        # the bar counts the chunks, then the tiles, and never goes back
        done = [d for d, _ in calls]
        assert done == sorted(done) and calls[-1][0] == calls[-1][1] == 2 * 1200
        assert len(chunked) == len(whole)
        for p in chunked:
            w = whole[p["project_id"]]
            # GK tiles are densified when transformed: slivers of 1e-9 of the area
            assert p["footprint_area_m2"] == pytest.approx(w["footprint_area_m2"], rel=1e-8)
            assert p["notes"] == w["notes"]  # the same count of overlapping footprints
            assert "overlap" in p["notes"][-1]


def test_tiles_partition_the_extent():
    from fossilgis.tiled_areas import quadtree_tiles

    rng = np.random.default_rng(2)
    x, y = rng.uniform(0, 10, 5000), rng.uniform(0, 10, 5000)
    bounds = np.stack([x, y, x + 0.1, y + 0.1])
    tiles = quadtree_tiles(bounds, 400)
    boxes = shapely.box(*np.array(tiles).T)
    assert len(tiles) > 12
    assert shapely.area(boxes).sum() == pytest.approx(shapely.union_all(boxes).area, rel=1e-12)
    assert shapely.union_all(boxes).covers(
        shapely.box(x.min(), y.min(), x.max() + 0.1, y.max() + 0.1)
    )
    cx, cy = x + 0.05, y + 0.05
    held = [((cx >= a) & (cx < c) & (cy >= b) & (cy < d)).sum() for a, b, c, d in tiles]
    assert max(held) <= 400 and sum(held) == 5000


def test_chunks_drawn_area_by_area_are_measured_without_tiles(tmp_path, monkeypatch):
    """A file whose chunks lie apart (drawn area by area): each chunk's measure adds up, with
    no second read; the areas and the overlap note equal the in-memory ones."""
    import fossilgis.batch as batch
    from fossilgis.tiled_areas import chunks_share_ground, file_envelopes

    rng = np.random.default_rng(6)
    parts = []
    for k in range(3):  # three clusters 0.5° apart, 250 overlapping squares each
        x = rng.uniform(106.0, 106.1, 250) + 0.5 * k
        y = rng.uniform(26.4, 26.5, 250)
        parts.append(shapely.box(x, y, x + 0.008, y + 0.008))
    path = tmp_path / "areas.gpkg"
    gdf = gpd.GeoDataFrame({"项目": ["甲"] * 750}, geometry=np.concatenate(parts), crs=4490)
    pyogrio.write_dataframe(gdf, path)
    assert not chunks_share_ground(path, file_envelopes(path), chunk_size=250)
    mixed = _overlapping(tmp_path / "mixed.gpkg")
    assert chunks_share_ground(mixed, file_envelopes(mixed), chunk_size=250)
    monkeypatch.setattr(batch, "tiled_project_areas", None)  # must not be needed
    store = open_store(tmp_path / "data")
    whole = screen_paths([path], store).projects[0]
    chunked = screen_file_in_chunks(path, store, chunk_size=250).projects[0]
    assert chunked["footprint_area_m2"] == pytest.approx(whole["footprint_area_m2"], rel=1e-12)
    assert chunked["notes"] == whole["notes"] and "overlap" in whole["notes"][-1]


def test_a_seam_of_parcels_sharing_edges_is_not_shared_ground(tmp_path):
    """Chunks of a parcel grid meet along seams of edge-sharing parcels: not shared ground
    (no tiles needed); one parcel drawn over another across a seam is."""
    from fossilgis.tiled_areas import chunks_share_ground, file_envelopes

    xs, ys = 106.0 + np.arange(31) * 0.001, 26.5 + np.arange(21) * 0.001
    i, j = (k.ravel() for k in np.meshgrid(np.arange(30), np.arange(20)))
    grid = shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1])  # neighbours share vertices
    path = tmp_path / "grid.gpkg"
    pyogrio.write_dataframe(gpd.GeoDataFrame(geometry=grid, crs=4490), path)
    assert not chunks_share_ground(path, file_envelopes(path), chunk_size=250)
    over = np.append(grid, shapely.box(106.0005, 26.5005, 106.0015, 26.5015))
    path = tmp_path / "over.gpkg"
    pyogrio.write_dataframe(gpd.GeoDataFrame(geometry=over, crs=4490), path)
    assert chunks_share_ground(path, file_envelopes(path), chunk_size=250)


@pytest.mark.parametrize("shuffled", [True, False])
def test_cross_chunk_envelope_pairs_equal_a_tree_join(shuffled):
    """The grid hash finds exactly the pairs of meeting envelopes of two chunks that an
    STRtree join finds, with large envelopes (spanning many cells) among them."""
    from fossilgis.tiled_areas import cross_chunk_pairs

    rng = np.random.default_rng(4)
    n = 6000
    x, y = rng.uniform(0, 10, n), rng.uniform(0, 10, n)
    w, h = rng.uniform(0.01, 0.1, n), rng.uniform(0.01, 0.1, n)
    w[::97] = rng.uniform(0.5, 3, len(w[::97]))
    bounds = np.stack([x, y, x + w, y + h])
    chunk = (rng.permutation(n) if shuffled else np.arange(n)) // 1000
    a, b = cross_chunk_pairs(bounds, chunk, cap=10**9)
    boxes = shapely.box(*bounds)
    p, q = shapely.STRtree(boxes).query(boxes)
    keep = (p < q) & (chunk[p] != chunk[q])
    assert len(a) > 100
    assert np.array_equal(np.unique(p[keep] * n + q[keep]), a * n + b)
    assert cross_chunk_pairs(bounds, chunk, cap=10) is None


def test_features_without_geometry_keep_the_windows_in_step(tmp_path):
    """Rows without geometry (no envelope) still count for the windows: the streamed area
    equals the in-memory one."""
    path = _overlapping(tmp_path / "fp.gpkg", n=600)
    gdf = pyogrio.read_dataframe(path)
    gdf.loc[::7, "geometry"] = None
    pyogrio.write_dataframe(gdf, path)
    store = open_store(tmp_path / "data")
    whole = screen_paths([path], store).projects[0]
    chunked = screen_file_in_chunks(path, store, chunk_size=100).projects[0]
    assert chunked["footprint_area_m2"] == pytest.approx(whole["footprint_area_m2"], rel=1e-12)
    assert chunked["notes"][-1] == whole["notes"][-1] and "overlap" in whole["notes"][-1]
