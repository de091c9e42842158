"""OGC API bbox item queries on 100k patrol points: requests/s and p95 against /conformance.

Usage: python bench/ogcapi.py [N] [--clients C] [--seconds S]   (default 100000, 8, 10)

A store with N synthetic one-waypoint patrols (points spread over Guizhou, one patrol every
~5 minutes of 2024) is built once in bench/out/ogcapi-N/ with the store's own row
encoding, in one transaction (save_patrol's per-record transaction and audit row would
take ~10 ms each). The web map app (webmap.create_app, which registers /ogcapi) is served
by waitress in a child process. C client threads then send, for S seconds each:
  conformance  GET /ogcapi/conformance                              (the baseline)
  bbox-public  GET .../patrols/items?bbox=<0.1° box>  anonymous     (generalised, no names)
  bbox-staff   the same with a staff bearer token                    (precise)
  bbox-large   GET .../patrols/items?bbox=<1° box>&limit=100 anonymous
Figures: requests/s, p50 and p95 latency, and requests/s as a ratio of the baseline's.
The first query's time (loading and indexing N patrols) is printed as cold start.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
GUIZHOU = (103.6, 24.6, 109.6, 29.2)

_SERVE = """
import logging, sys
logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth" under load
from waitress.server import create_server
from webmap import create_app
app = create_app({"DATA_DIR": sys.argv[1]})
server = create_server(app, host="127.0.0.1", port=0, threads=int(sys.argv[2]))
print(server.effective_port, flush=True)
server.run()
"""


def build_store(n: int) -> tuple[Path, str]:
    """The data directory with ``n`` one-point patrols, and a staff token (made once)."""
    import numpy as np

    from fossilgis.auth import create_user, issue_token
    from fossilgis.patrols.model import Patrol, Waypoint, content_hash
    from fossilgis.store import open_store
    from fossilgis.store import patrol_records as records
    from fossilgis.store._common import now_text

    data = OUT / f"ogcapi-{n}"
    token_file = data / "bench-token"
    if token_file.exists():
        return data, token_file.read_text().strip()
    store = open_store(data)
    rng = np.random.default_rng(20240501)
    xs = rng.uniform(GUIZHOU[0], GUIZHOU[2], n)
    ys = rng.uniform(GUIZHOU[1], GUIZHOU[3], n)
    minutes = np.sort(rng.integers(0, 366 * 24 * 60, n))
    year = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    t0 = time.perf_counter()
    now = now_text()
    d = store.db.dialect
    with store._tx() as conn:
        for i in range(n):
            start = year + dt.timedelta(minutes=int(minutes[i]))
            patrol = Patrol(
                uuid=str(uuid.UUID(int=i + 1, version=4)),
                started_at=start,
                ended_at=start + dt.timedelta(hours=2),
                team=[f"team-{i % 12}"],
                purpose="routine",
                target_kind="site",
                target_id=f"GZ-F{1 + i % 36:02d}",
                waypoints=[
                    Waypoint(
                        uuid=str(uuid.UUID(int=n + i + 1, version=4)),
                        lon=float(xs[i]),
                        lat=float(ys[i]),
                        observed_at=start,
                    )
                ],
            )
            row = records.patrol_row(d, patrol, "bench", now, content_hash(patrol))
            conn.execute(
                store.db.q(
                    f"INSERT INTO patrols ({', '.join(row)}) "
                    f"VALUES ({', '.join(records.row_marks(d, row))})"
                ),
                list(row.values()),
            )
            store.patrols._insert_children(conn, patrol)
    print(f"built {n} patrols in {time.perf_counter() - t0:.1f} s in {data}", flush=True)
    create_user(store, "bench-staff", "bench-password", "viewer")
    token = issue_token(store, "bench-staff", "bench")
    token_file.write_text(token)
    return data, token


def serve(data: Path, threads: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVE, str(data), str(threads)], stdout=subprocess.PIPE, text=True
    )
    port = int(proc.stdout.readline())
    return proc, f"http://127.0.0.1:{port}/ogcapi"


def bbox_urls(base: str, size: float, limit: int | None, count: int = 500) -> list[str]:
    import numpy as np

    rng = np.random.default_rng(7)
    x = rng.uniform(GUIZHOU[0], GUIZHOU[2] - size, count)
    y = rng.uniform(GUIZHOU[1], GUIZHOU[3] - size, count)
    extra = f"&limit={limit}" if limit else ""
    return [
        f"{base}/collections/patrols/items?bbox={a:.4f},{b:.4f},{a + size:.4f},"
        f"{b + size:.4f}{extra}"
        for a, b in zip(x, y)
    ]


def load(urls: list[str], clients: int, seconds: float, headers: dict) -> dict:
    """Send the URLs round-robin from ``clients`` threads for ``seconds``; latency figures."""
    import requests

    latencies: list[float] = []
    errors = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker(offset: int) -> None:
        own: list[float] = []
        with requests.Session() as session:
            i = offset
            while time.perf_counter() < stop:
                t = time.perf_counter()
                r = session.get(urls[i % len(urls)], headers=headers)
                own.append(time.perf_counter() - t)
                if r.status_code != 200:
                    errors.append(r.status_code)
                i += clients
        with lock:
            latencies.extend(own)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - t0
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))],
        "errors": len(errors),
    }


def main(argv: list[str] | None = None) -> None:
    import requests

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args(argv)

    data, token = build_store(args.n)
    proc, base = serve(data, threads=args.clients)
    try:
        staff = {"Authorization": f"Bearer {token}"}
        for who, headers in (("public", {}), ("staff", staff)):
            t = time.perf_counter()
            first = requests.get(f"{base}/collections/patrols/items?limit=1", headers=headers)
            matched = first.json()["numberMatched"]
            print(f"cold start ({who}): {time.perf_counter() - t:.2f} s for {matched} patrols")
        runs = {
            "conformance": ([f"{base}/conformance"], {}),
            "bbox-public": (bbox_urls(base, 0.1, None), {}),
            "bbox-staff": (bbox_urls(base, 0.1, None), staff),
            "bbox-large": (bbox_urls(base, 1.0, 100), {}),
        }
        results = {}
        for name, (urls, headers) in runs.items():
            results[name] = load(urls, args.clients, args.seconds, headers)
        baseline = results["conformance"]["rps"]
        print(f"\n{args.n} patrols, {args.clients} clients, {args.seconds:g} s each")
        print(f"{'run':<12} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'ratio':>6} {'errors':>6}")
        for name, r in results.items():
            print(
                f"{name:<12} {r['rps']:8.0f} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f} "
                f"{r['rps'] / baseline:6.2f} {r['errors']:6d}"
            )
        OUT.mkdir(exist_ok=True)
        (OUT / f"ogcapi-{args.n}.json").write_text(json.dumps(results, indent=1))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


if __name__ == "__main__":
    main()
