"""Vectorised GEOS work (element-wise functions, STRtree queries) spread over the cores.

Shapely's array functions release the GIL while GEOS runs, so a large array cut into one
slice per core and handed to threads runs in parallel without copying anything. Small
arrays run as they are: a thread costs more than it saves below a few thousand items.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

#: below this many items an operation runs in the calling thread
MIN_PARALLEL = 20_000


def workers() -> int:
    """Threads to use: ``FOSSILGIS_THREADS`` when set, else the cores this process may use."""
    env = os.environ.get("FOSSILGIS_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _sliced(n: int, min_size: int, run) -> list:
    """``run(lo, hi)`` over one slice of ``range(n)`` per thread, in threads, in order;
    ``[run(0, n)]`` in the calling thread when ``n`` is short or one thread is allowed."""
    threads = min(workers(), max(1, n // max(min_size // 2, 1)))
    if threads < 2 or n < min_size:
        return [run(0, n)]
    edges = np.linspace(0, n, threads + 1).astype(int)
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda span: run(*span), zip(edges[:-1], edges[1:])))


def map_arrays(func, *arrays: np.ndarray, min_size: int = MIN_PARALLEL) -> np.ndarray:
    """``func(*arrays)`` for an element-wise ``func`` (e.g. ``shapely.intersects``), computed
    slice by slice in threads when the arrays are long; the same result as one call."""
    parts = _sliced(len(arrays[0]), min_size, lambda lo, hi: func(*(a[lo:hi] for a in arrays)))
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def query_tree(tree, geoms: np.ndarray, min_size: int = MIN_PARALLEL) -> np.ndarray:
    """``tree.query(geoms)`` (an STRtree's envelope pairs, shape (2, n)), the queries cut
    into one slice per core and run in threads; the same pairs in the same order."""

    def one(lo, hi):
        pairs = tree.query(geoms[lo:hi])
        pairs[0] += lo
        return pairs

    parts = _sliced(len(geoms), min_size, one)
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)
