"""impact-check through the GeoPackage path and the PostGIS path, side by side, on the same
generated inputs as bench/impact.py, with peak memory.

Usage: python bench/impact_postgis.py [N ...]   (default: 100000 1000000)

The PostGIS server is $FOSSILGIS_BENCH_PG (a postgresql:// URL) or a throwaway cluster
started here (tests/pg_cluster.py; needs Debian's postgresql and postgis packages). In
fresh subprocesses, so that peak memory (ru_maxrss) is per task:
  read     pyogrio.read_dataframe(file)                            (the baseline)
  gpkg     read_footprints + screen_results on the GeoPackage store (pairs in memory)
  postgis  the same on the PostGIS store as impact-check runs it: screen_results chooses
           where to pair (in memory with the registry's few dozen targets)
  in-db    the same, candidate pairs forced into the database: ST_DWithin on the
           footprints sent by COPY (the path chosen with ≥ 10 000 targets)
All screens must find the same number of pairs. Figures are ratios to the plain read.
The PostgreSQL server's own memory is not in the peak figures (it is another process).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from impact import _READ, OUT, make_footprints  # noqa: E402

_SCREEN = """
import resource, sys, time
from fossilgis.io import read_footprints
from fossilgis.screening import screen_results
from fossilgis.store import open_store
from fossilgis.report import render_json
store = open_store(sys.argv[2], store=sys.argv[3] or None)
store.read_layer("sites")
# "db": pairs found by ST_DWithin in the database; "auto": where screen_results chooses
in_db = {"db": True, "auto": None}.get(sys.argv[4], False)
t = time.perf_counter()
res = read_footprints(sys.argv[1])
s = screen_results(res, store, pair_in_store=in_db)
out = render_json(s)
el = time.perf_counter() - t
n_imp = sum(len(p["impacts"]) for p in s.projects)
print(el, n_imp, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _run(code: str, *args) -> list[float]:
    proc = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)], check=True, capture_output=True, text=True
    )
    return [float(v) for v in proc.stdout.split()]


def main(argv) -> int:
    sizes = [int(a) for a in argv] or [100_000, 1_000_000]
    cluster = None
    url = os.environ.get("FOSSILGIS_BENCH_PG")
    if not url:
        import pg_cluster

        cluster = pg_cluster.start_cluster("fossilgis_bench")
        url = cluster.url
    try:
        data = Path(tempfile.mkdtemp(prefix="fossilgis-bench-"))
        store_url = f"{url}{'&' if '?' in url else '?'}schema=bench_{os.getpid()}"
        rows = []
        print(
            f"{'N':>9} {'read s':>7} {'gpkg s':>7} {'pg s':>7} {'gpkg/read':>9} "
            f"{'pg/read':>8} {'pg/gpkg':>8} {'pairs':>7} {'read MB':>8} {'gpkg MB':>8} "
            f"{'pg MB':>7} {'in-db ÷ gpkg':>12}"
        )
        for n in sizes:
            path = make_footprints(n)
            _run(_READ, path)  # warm the OS cache
            t_read, _, rss_read = _run(_READ, path)
            t_gpkg, pairs_gpkg, rss_gpkg = _run(_SCREEN, path, data, "", "memory")
            _run(_SCREEN, make_footprints(1000), data, store_url, "auto")  # make the schema
            t_pg, pairs_pg, rss_pg = _run(_SCREEN, path, data, store_url, "auto")
            t_db, pairs_db, _ = _run(_SCREEN, path, data, store_url, "db")
            assert pairs_pg == pairs_db == pairs_gpkg, (pairs_pg, pairs_db, pairs_gpkg)
            row = {
                "n": n,
                "read_s": t_read,
                "gpkg_s": t_gpkg,
                "postgis_s": t_pg,
                "gpkg_ratio": t_gpkg / t_read,
                "postgis_ratio": t_pg / t_read,
                "postgis_over_gpkg": t_pg / t_gpkg,
                "postgis_pairs_in_db_s": t_db,
                "postgis_pairs_in_db_over_gpkg": t_db / t_gpkg,
                "pairs": int(pairs_gpkg),
                "read_peak_mb": rss_read / 1024,
                "gpkg_peak_mb": rss_gpkg / 1024,
                "postgis_peak_mb": rss_pg / 1024,
            }
            rows.append(row)
            print(
                f"{n:>9} {t_read:7.2f} {t_gpkg:7.2f} {t_pg:7.2f} {row['gpkg_ratio']:9.2f} "
                f"{row['postgis_ratio']:8.2f} {row['postgis_over_gpkg']:8.2f} "
                f"{int(pairs_gpkg):>7} {row['read_peak_mb']:8.0f} {row['gpkg_peak_mb']:8.0f} "
                f"{row['postgis_peak_mb']:7.0f} {row['postgis_pairs_in_db_over_gpkg']:12.2f}"
            )
        (OUT / "impact_postgis.json").write_text(json.dumps(rows, indent=2))
    finally:
        if cluster is not None:
            cluster.stop()
    return 0


if __name__ == "__main__":
    t = time.perf_counter()
    code = main(sys.argv[1:])
    print(f"(total {time.perf_counter() - t:.0f} s)")
    sys.exit(code)
