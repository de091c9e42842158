"""A PostgreSQL URL for the benches: $FOSSILGIS_BENCH_PG, else a throwaway cluster."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def bench_pg_url() -> Iterator[str]:
    """$FOSSILGIS_BENCH_PG, or the URL of a cluster of tests/pg_cluster.py stopped after."""
    given = os.environ.get("FOSSILGIS_BENCH_PG")
    if given:
        yield given
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    import pg_cluster

    cluster = pg_cluster.start_cluster("fossilgis_bench")
    try:
        yield cluster.url
    finally:
        cluster.stop()
