"""fossilgis.parallel: GEOS array work cut into slices for threads gives the one-call answer."""

from __future__ import annotations

import numpy as np
import shapely

from fossilgis.parallel import map_arrays, workers


def test_sliced_predicates_and_constructions_equal_one_call(monkeypatch):
    monkeypatch.setenv("FOSSILGIS_THREADS", "3")
    rng = np.random.default_rng(7)
    a = shapely.buffer(shapely.points(rng.uniform(0, 100, (5_001, 2))), 3)
    b = shapely.buffer(shapely.points(rng.uniform(0, 100, (5_001, 2))), 3)
    assert workers() == 3
    got = map_arrays(shapely.intersects, a, b, min_size=100)
    assert got.dtype == bool and np.array_equal(got, shapely.intersects(a, b))
    unions = map_arrays(lambda x, y: shapely.union(x, y), a, b, min_size=100)
    assert np.allclose(shapely.area(unions), shapely.area(shapely.union(a, b)))


def test_short_arrays_and_one_thread_run_in_the_calling_thread(monkeypatch):
    monkeypatch.setenv("FOSSILGIS_THREADS", "1")
    calls = []
    out = map_arrays(lambda x: calls.append(len(x)) or x * 2, np.arange(50_000), min_size=10)
    assert calls == [50_000] and out[-1] == 99_998
    monkeypatch.setenv("FOSSILGIS_THREADS", "4")
    calls.clear()
    map_arrays(lambda x: calls.append(len(x)) or x, np.arange(10), min_size=100)
    assert calls == [10]


def test_tree_queries_in_slices_give_the_same_pairs_in_order(monkeypatch):
    from fossilgis.parallel import query_tree

    monkeypatch.setenv("FOSSILGIS_THREADS", "3")
    rng = np.random.default_rng(8)
    x, y = rng.uniform(0, 100, 3_001), rng.uniform(0, 100, 3_001)
    boxes = shapely.box(x, y, x + 2, y + 2)
    tree = shapely.STRtree(boxes)
    got = query_tree(tree, boxes, min_size=100)
    assert got.shape[1] > 3_001 and np.array_equal(got, tree.query(boxes))
