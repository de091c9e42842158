"""OGC API patrol queries on N patrols: req/s, p95, first query after an upload, server memory.

Usage: python bench/ogcapi.py [N] [--clients C] [--seconds S] [--stores gpkg,postgis]
       (default 100000, 8, 10, gpkg)

A store with N synthetic one-waypoint patrols (points spread over Guizhou, one patrol every
~5 minutes of 2024) is built with the store's own row encoding, in one transaction
(save_patrol's per-record transaction and audit row would take ~10 ms each): the
GeoPackage once in bench/out/ogcapi-N/, the PostGIS store anew in a fresh schema of
$FOSSILGIS_BENCH_PG or of a throwaway cluster (tests/pg_cluster.py). The web map app
(webmap.create_app, which registers /ogcapi) is served by waitress in a child process.
C client threads then send, for S seconds each:
  conformance  GET /ogcapi/conformance                              (the baseline)
  bbox-public  GET .../patrols/items?bbox=<0.1° box>  anonymous     (generalised, no names)
  bbox-staff   the same with a staff bearer token                    (precise)
  conformance-staff  the baseline with a staff bearer token: what authenticating costs on
               the same answer (bbox-staff also returns more: precise, named features)
  bbox-large   GET .../patrols/items?bbox=<1° box>&limit=100 anonymous
  staff+upload bbox-staff while one patrol a second is uploaded (POST /api/patrols)
Figures: requests/s, p50, p95 and max latency, and requests/s as a ratio of the baseline's.
Also printed: the first query's time (cold start); after each of 5 uploads through the
API, the latency of the very first items query (staff, a bbox around the new patrol) and
whether it already returned the patrol, and the slowest query until it did; the server's
resident memory (VmRSS) after the runs and its peak (VmHWM) from /proc.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
GUIZHOU = (103.6, 24.6, 109.6, 29.2)

_SERVE = """
import logging, sys
logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth" under load
from waitress.server import create_server
from webmap import create_app
app = create_app({"DATA_DIR": sys.argv[1], "STORE": sys.argv[3] or None})
server = create_server(app, host="127.0.0.1", port=0, threads=int(sys.argv[2]))
print(server.effective_port, flush=True)
server.run()
"""


def _fill(store, n: int) -> None:
    """``n`` one-point patrols written in one transaction."""
    import numpy as np

    from fossilgis.patrols.model import Patrol, Waypoint, content_hash
    from fossilgis.store import patrol_records as records
    from fossilgis.store._common import now_text

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
    if store.backend == "postgis":  # as autovacuum would soon: planner statistics
        with store._read() as conn:
            conn.execute("ANALYZE patrols; ANALYZE waypoints; ANALYZE patrol_photos")
    print(f"built {n} patrols in {time.perf_counter() - t0:.1f} s ({store.describe()})")


def build_store(n: int, pg_url: str | None) -> tuple[Path, str | None, dict]:
    """(data directory, store URL or None, tokens {"staff", "patroller"}); the GeoPackage
    store is made once and reused, a PostGIS one is made in a new schema each run."""
    from fossilgis.auth import create_user, issue_token
    from fossilgis.store import open_store

    if pg_url is None:
        data, url = OUT / f"ogcapi-{n}", None
    else:
        data = OUT / f"ogcapi-{n}-postgis"
        url = f"{pg_url}{'&' if '?' in pg_url else '?'}schema=bench_ogcapi_{os.getpid()}"
    token_file = data / "bench-tokens.json"
    tokens = json.loads(token_file.read_text()) if url is None and token_file.exists() else {}
    # "bench-token": the marker of a GeoPackage store built by an earlier version of this script
    built = [data / "bench-built", data / "bench-token"]
    fresh = url is not None or not any(p.exists() for p in built)
    store = open_store(data, store=url)
    if fresh:
        _fill(store, n)
        built[0].write_text("built")
    for key, name, role in (
        ("staff", "bench-staff", "viewer"),
        ("patroller", "bench-up", "patroller"),
    ):
        if key not in tokens:
            if store.get_user(name) is None:
                create_user(store, name, "bench-password", role)
            tokens[key] = issue_token(store, name, "bench")
    if url is None:
        token_file.write_text(json.dumps(tokens))
    store.close()
    return data, url, tokens


def serve(data: Path, threads: int, url: str | None) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVE, str(data), str(threads), url or ""],
        stdout=subprocess.PIPE,
        text=True,
    )
    port = int(proc.stdout.readline())
    return proc, f"http://127.0.0.1:{port}"


def memory_mb(pid: int) -> dict:
    """VmRSS (now) and VmHWM (peak) of process ``pid`` in MB, from /proc."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


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


def upload(session, root: str, token: str, k: int) -> tuple[str, str, float]:
    """POST one new patrol (a point in Guizhou, in 2025); (uuid, its bbox query, seconds)."""
    from fossilgis.patrols.geojson import patrols_to_geojson
    from fossilgis.patrols.model import Patrol, Waypoint

    lon, lat = 104.0 + 0.37 * (k % 13), 25.0 + 0.29 * (k % 11)
    start = dt.datetime(2025, 3, 1, tzinfo=dt.timezone.utc) + dt.timedelta(hours=k)
    patrol = Patrol(
        uuid=str(uuid.uuid4()),
        started_at=start,
        ended_at=start + dt.timedelta(hours=1),
        team=["bench"],
        purpose="upload",
        waypoints=[Waypoint(uuid=str(uuid.uuid4()), lon=lon, lat=lat, observed_at=start)],
    )
    t = time.perf_counter()
    r = session.post(
        f"{root}/api/patrols",
        json=patrols_to_geojson([patrol]),
        headers={"Authorization": f"Bearer {token}"},
    )
    r.raise_for_status()
    box = f"{lon - 0.05:.4f},{lat - 0.05:.4f},{lon + 0.05:.4f},{lat + 0.05:.4f}"
    return patrol.uuid, box, time.perf_counter() - t


def freshness(root: str, tokens: dict, rounds: int = 5) -> list[dict]:
    """After each upload: the first items query's latency, whether it saw the new patrol,
    the slowest query until one did and how long that took."""
    import requests

    staff = {"Authorization": f"Bearer {tokens['staff']}"}
    out = []
    with requests.Session() as session:
        for k in range(rounds):
            time.sleep(2.5)  # past any version-check interval: a steady state
            fid, box, up = upload(session, root, tokens["patroller"], k)
            url = f"{root}/ogcapi/collections/patrols/items?bbox={box}&limit=1000"
            latencies, seen = [], False
            t0 = time.perf_counter()
            while not seen and time.perf_counter() - t0 < 10:
                t = time.perf_counter()
                doc = session.get(url, headers=staff).json()
                latencies.append(time.perf_counter() - t)
                seen = fid in [f["id"] for f in doc["features"]]
            out.append(
                {
                    "upload_s": up,
                    "first_ms": 1000 * latencies[0],
                    "first_sees_it": len(latencies) == 1 and seen,
                    "max_ms": 1000 * max(latencies),
                    "visible_after_s": time.perf_counter() - t0 if seen else None,
                }
            )
    return out


def load(urls, clients: int, seconds: float, headers: dict, upload_to=None) -> dict:
    """Send the URLs round-robin from ``clients`` threads for ``seconds``; latency figures.
    ``upload_to`` = (root, token): one patrol a second is uploaded meanwhile."""
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

    def uploader() -> None:
        with requests.Session() as session:
            k = 1000
            while time.perf_counter() < stop - 1:
                upload(session, *upload_to, k)
                k += 1
                time.sleep(1.0)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    if upload_to:
        threads.append(threading.Thread(target=uploader))
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
        "max_ms": 1000 * latencies[-1],
        "errors": len(errors),
    }


def run_store(args, pg_url: str | None) -> dict:
    """Every run against one store (GeoPackage when ``pg_url`` is None); the figures."""
    import requests

    data, url, tokens = build_store(args.n, pg_url)
    proc, root = serve(data, args.clients, url)
    base = f"{root}/ogcapi"
    name = "postgis" if url else "gpkg"
    try:
        staff = {"Authorization": f"Bearer {tokens['staff']}"}
        for who, headers in (("public", {}), ("staff", staff)):
            t = time.perf_counter()
            first = requests.get(f"{base}/collections/patrols/items?limit=1", headers=headers)
            matched = first.json()["numberMatched"]
            print(
                f"[{name}] cold start ({who}): {time.perf_counter() - t:.2f} s, {matched} patrols"
            )
        runs = {
            "conformance": ([f"{base}/conformance"], {}, None),
            "conformance-staff": ([f"{base}/conformance"], staff, None),
            "bbox-public": (bbox_urls(base, 0.1, None), {}, None),
            "bbox-staff": (bbox_urls(base, 0.1, None), staff, None),
            "bbox-large": (bbox_urls(base, 1.0, 100), {}, None),
            "staff+upload": (bbox_urls(base, 0.1, None), staff, (root, tokens["patroller"])),
        }
        results: dict = {"store": name, "n": args.n}
        for run, (urls, headers, up) in runs.items():
            results[run] = load(urls, args.clients, args.seconds, headers, up)
        results["after_upload"] = freshness(root, tokens)
        results["memory_mb"] = memory_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
    report(results, args)
    return results


def report(results: dict, args) -> None:
    baseline = results["conformance"]["rps"]
    print(
        f"\n[{results['store']}] {args.n} patrols, {args.clients} clients, {args.seconds:g} s each"
    )
    print(
        f"{'run':<13} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'ratio':>6} "
        f"{'err':>4}"
    )
    for name, r in results.items():
        if isinstance(r, dict) and "rps" in r:
            print(
                f"{name:<13} {r['rps']:7.0f} {r['p50_ms']:7.1f} {r['p95_ms']:7.1f} "
                f"{r['max_ms']:7.0f} {r['rps'] / baseline:6.2f} {r['errors']:4d}"
            )
    print("first staff items query after an upload (POST /api/patrols):")
    for k, f in enumerate(results["after_upload"]):
        seen = (
            f"after {f['visible_after_s']:.2f} s" if f["visible_after_s"] is not None else "never"
        )
        print(
            f"  #{k + 1}: upload {1000 * f['upload_s']:.0f} ms, first query {f['first_ms']:.1f} ms "
            f"({'has it' if f['first_sees_it'] else 'stale'}), visible {seen}, "
            f"slowest {f['max_ms']:.1f} ms"
        )
    mem = results["memory_mb"]
    print(f"server memory: VmRSS {mem['VmRSS']:.0f} MB, peak VmHWM {mem['VmHWM']:.0f} MB\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--stores", default="gpkg", help="gpkg, postgis or gpkg,postgis")
    args = parser.parse_args(argv)
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    cluster = None
    all_results = []
    try:
        for name in stores:
            pg_url = None
            if name == "postgis":
                pg_url = os.environ.get("FOSSILGIS_BENCH_PG")
                if not pg_url:
                    sys.path.insert(0, str(HERE.parent / "tests"))
                    import pg_cluster

                    cluster = cluster or pg_cluster.start_cluster("fossilgis_bench")
                    pg_url = cluster.url
            all_results.append(run_store(args, pg_url))
    finally:
        if cluster is not None:
            cluster.stop()
    OUT.mkdir(exist_ok=True)
    for results in all_results:
        suffix = "" if results["store"] == "gpkg" else f"-{results['store']}"
        (OUT / f"ogcapi-{args.n}{suffix}.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
