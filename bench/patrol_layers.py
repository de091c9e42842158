"""The web map's patrol layers on N patrols: latency, the first answer after an upload, memory.

Usage: python bench/patrol_layers.py [N] [--stores gpkg,postgis] [--rounds R] [--code DIR]
       (default 100000, gpkg, 3; DIR: the checkout whose web app is served, default this one,
       to measure an older version on the same store)

The store is bench/ogcapi.py's (N one-waypoint patrols, built once for the GeoPackage, in a
fresh schema for PostGIS). The web map app runs under waitress in a child process. For each
of /api/patrols.geojson, /api/alerts.geojson and /api/coverage.json (staff token): the
median of 5 answers in a steady state and the body size; then, R times, one patrol is
uploaded through POST /api/patrols and each endpoint is asked once: that first answer's
time and whether it holds the new patrol. Last, the server's resident memory (VmRSS) and
its peak (VmHWM). The baseline is GET /healthz on the same server.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _pg import bench_pg_url  # noqa: E402
from ogcapi import _SERVE, build_store, memory_mb, upload  # noqa: E402

ENDPOINTS = ["/api/patrols.geojson", "/api/alerts.geojson", "/api/coverage.json"]


def serve(code: Path, data: Path, url: str | None) -> tuple[subprocess.Popen, str]:
    """The web app of checkout ``code`` over the store, on waitress (8 threads)."""
    env = dict(os.environ, PYTHONPATH=str(code))
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVE, str(data), "8", url or ""],
        stdout=subprocess.PIPE,
        text=True,
        cwd=code,
        env=env,
    )
    return proc, f"http://127.0.0.1:{int(proc.stdout.readline())}"


def timed(session, url: str, headers: dict) -> tuple[float, bytes]:
    t = time.perf_counter()
    r = session.get(url, headers=headers, timeout=600)
    r.raise_for_status()
    return time.perf_counter() - t, r.content


def run_store(args, pg_url: str | None) -> dict:
    import requests

    data, url, tokens = build_store(args.n, pg_url)
    staff = {"Authorization": f"Bearer {tokens['staff']}"}
    proc, root = serve(Path(args.code).resolve(), data, url)
    out: dict = {"store": "postgis" if url else "gpkg", "endpoints": {}}
    try:
        with requests.Session() as session:
            base = [timed(session, f"{root}/healthz", {})[0] for _ in range(20)]
            out["healthz_ms"] = 1000 * statistics.median(base)
            for path in ENDPOINTS:
                timed(session, root + path, staff)  # warm
                runs = [timed(session, root + path, staff) for _ in range(5)]
                out["endpoints"][path] = {
                    "steady_ms": 1000 * statistics.median(t for t, _ in runs),
                    "bytes": len(runs[0][1]),
                    "after_upload": [],
                }
            for k in range(args.rounds):
                time.sleep(2.5)  # past any version-check interval: a steady state
                fid, _, _ = upload(session, root, tokens["patroller"], 100 + k)
                for path in ENDPOINTS:
                    took, body = timed(session, root + path, staff)
                    seen = fid.encode() in body if path != "/api/coverage.json" else None
                    out["endpoints"][path]["after_upload"].append((1000 * took, seen))
            out["memory_mb"] = memory_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    if url is not None:
        from fossilgis.store import open_store

        store = open_store(data, store=url)
        with store._read() as conn:
            conn.execute(f"DROP SCHEMA {store.schema} CASCADE")
        store.close()
    return out


def report(result: dict, n: int) -> None:
    print(
        f"\n{result['store']}, {n} patrols: /healthz {result['healthz_ms']:.1f} ms; "
        f"server memory {result['memory_mb']['VmRSS']:.0f} MB "
        f"(peak {result['memory_mb']['VmHWM']:.0f} MB)"
    )
    for path, figures in result["endpoints"].items():
        firsts = figures["after_upload"]
        seen = [s for _, s in firsts if s is not None]
        print(
            f"  {path:<22} steady {figures['steady_ms']:8.1f} ms  "
            f"{figures['bytes'] / 1e6:6.2f} MB  first after upload "
            + ", ".join(f"{ms:.1f}" for ms, _ in firsts)
            + " ms"
            + (f"  (new patrol in it: {sum(seen)}/{len(seen)})" if seen else "")
            + f"  = {figures['steady_ms'] / result['healthz_ms']:.0f}× /healthz"
        )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=100_000)
    ap.add_argument("--stores", default="gpkg")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--code", default=str(HERE.parent), help="checkout whose web app is served")
    args = ap.parse_args(argv)
    for name in args.stores.split(","):
        if name == "postgis":
            with bench_pg_url() as url:
                report(run_store(args, url), args.n)
        else:
            report(run_store(args, None), args.n)


if __name__ == "__main__":
    main()
