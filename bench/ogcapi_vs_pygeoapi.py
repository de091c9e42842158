"""OGC API bbox item queries, fossilgis against pygeoapi on the same PostGIS table.

Usage: python bench/ogcapi_vs_pygeoapi.py [N] [--clients C] [--seconds S] [--rounds R]
       [--client auto|wrk|python]      (default 100000, 8, 10, 2, auto)

Baseline: pygeoapi (PyPI, its PostgreSQL provider, waitress with C threads) installed in
its own venv, bench/out/pygeoapi-venv (made once, reused; when it cannot be installed the
bench prints "skipped: ..." and exits 0). Data: N generated patrols written by
bench/ogcapi.py's build_store into a fresh schema of $FOSSILGIS_BENCH_PG or of a
throwaway cluster (tests/pg_cluster.py); pygeoapi's generated config
(bench/out/pygeoapi-config.yml) reads the same ``patrols`` rows (id ``uuid``, geometry
``geom``) through a view that labels the CGCS2000 geometry EPSG:4326, with a matching
expression index (see crs84_view for why). Both serve the coordinates as stored, as CRS84.
Both servers run at once on loopback ports, each in its own process; the same client
(wrk when installed, else Python threads) sends, from C connections, the same random 0.1°
boxes inside Guizhou, interleaved R times, S seconds a run:
  fossilgis   GET /ogcapi/collections/patrols/items?bbox=...&limit=10  anonymous
  pygeoapi    GET /collections/patrols/items?bbox=...&limit=10         (the baseline)
  fossilgis-staff  the fossilgis query with a staff bearer token
fossilgis answers an anonymous bbox query on patrols with an empty page, without
querying the store (the public never sees where patrols went); the staff run is the one
that reads and returns the same rows pygeoapi does (checked on a few boxes first).
Figures: req/s and p95 of each run, fossilgis ÷ pygeoapi in req/s and pygeoapi ÷
fossilgis in p95 (both > 1 when fossilgis is faster), the cold first query of each
server, and each server's peak resident memory (VmHWM). Written to
bench/out/ogcapi_vs_pygeoapi.json. On a shared 2-core machine the client, both servers
and PostgreSQL compete for the CPU: the ratios are steadier than the absolute figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
VENV = OUT / "pygeoapi-venv"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
PACKAGES = ["pygeoapi", "psycopg2-binary", "geoalchemy2", "waitress"]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

import ogcapi  # noqa: E402  (bench/ogcapi.py: store, server, client, memory)
import pg_cluster  # noqa: E402  (tests/pg_cluster.py)

_SERVE_PYGEOAPI = """
import logging, sys, warnings
warnings.simplefilter("ignore")  # SQLAlchemy on the view's primary key
logging.getLogger("waitress.queue").setLevel(logging.ERROR)
from waitress.server import create_server
from pygeoapi.flask_app import APP
server = create_server(APP, host="127.0.0.1", port=int(sys.argv[1]), threads=int(sys.argv[2]))
print(server.effective_port, flush=True)
server.run()
"""
WRK_LUA = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%.3f %%.3f %%.3f %%d\\n", summary.requests,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.timeout))
end
"""


def pygeoapi_python() -> tuple[Path | None, str]:
    """(the venv's python, version) or (None, why it could not be installed)."""
    python, marker = VENV / "bin" / "python", VENV / "installed"
    if not marker.exists():
        print(f"installing {' '.join(PACKAGES)} into {VENV} (once) ...", flush=True)
        shutil.rmtree(VENV, ignore_errors=True)
        steps = [
            [sys.executable, "-m", "venv", str(VENV)],
            [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *PACKAGES],
        ]
        for step in steps:
            done = subprocess.run(step, capture_output=True, text=True)
            if done.returncode != 0:
                tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
                return None, f"{' '.join(step[:4])} failed: {' / '.join(tail)}"
        marker.write_text("ok")
    done = subprocess.run(
        [str(python), "-c", "import pygeoapi, pygeoapi.provider.sql; print(pygeoapi.__version__)"],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return None, f"pygeoapi does not import: {done.stderr.strip().splitlines()[-1:]}"
    return python, done.stdout.strip()


def crs84_view(data: Path, url: str) -> None:
    """``patrols_crs84``: the patrols table with its geometry labelled EPSG:4326, indexed.

    pygeoapi's PostgreSQL provider builds its bbox envelope in the storage CRS's EPSG code
    (4326 for the default CRS84). Declaring the table's own EPSG:4490 instead makes it
    turn every bbox with pyproj into latitude-first order (no rows match) at ~0.6 s a
    request, so it reads the same rows through this view; the expression index keeps its
    bbox filter on an index like the table's own.
    """
    from fossilgis.store import open_store

    store = open_store(data, store=url)
    with store._tx() as conn:
        conn.execute(
            "CREATE INDEX IF NOT EXISTS patrols_geom_4326 ON patrols "
            "USING gist (ST_SetSRID(geom, 4326))"
        )
        conn.execute(
            "CREATE OR REPLACE VIEW patrols_crs84 AS SELECT uuid, target_kind, target_id, "
            "target_inferred, target_distance_m, team, started_at, ended_at, purpose, notes, "
            "created_by, created_at, updated_at, ST_SetSRID(geom, 4326) AS geom "
            "FROM patrols WHERE deleted_at IS NULL"
        )
    with store._read() as conn:
        conn.execute("ANALYZE patrols")
    store.close()


def pygeoapi_files(python: Path, store_url: str, port: int) -> dict:
    """Write pygeoapi's config (JSON is YAML) and its OpenAPI document; the server's env."""
    from fossilgis.store.postgis import split_url

    conninfo, schema = split_url(store_url)
    pg = urlsplit(conninfo)
    root = f"http://127.0.0.1:{port}"
    meta = {"title": "fossilgis bench", "description": "patrols", "keywords": ["bench"]}
    provider = {"type": "feature", "name": "PostgreSQL", "table": "patrols_crs84"}
    provider.update(id_field="uuid", geom_field="geom")
    provider["data"] = {
        "host": pg.hostname,
        "port": pg.port or 5432,
        "dbname": pg.path.lstrip("/"),
        "user": pg.username,
        "password": pg.password or "",
        "search_path": [schema, "public"],
    }
    config = {
        "server": {
            "bind": {"host": "127.0.0.1", "port": port},
            "url": root,
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "languages": ["en-US"],
            "pretty_print": False,
            "limits": {"default_items": 10, "max_items": 1000},
            "map": {"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "attribution": ""},
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {
                **meta,
                "keywords_type": "theme",
                "url": root,
                "terms_of_service": "",
            },
            "license": {"name": "CC-BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
            "provider": {"name": "bench", "url": root},
            "contact": {"name": "bench"},
        },
        "resources": {
            "patrols": {
                **meta,
                "type": "collection",
                "links": [],
                "extents": {"spatial": {"bbox": list(ogcapi.GUIZHOU), "crs": CRS84}},
                "providers": [provider],
            }
        },
    }
    cfg, oas = OUT / "pygeoapi-config.yml", OUT / "pygeoapi-openapi.yml"
    cfg.write_text(json.dumps(config, indent=1))
    env = {**os.environ, "PYGEOAPI_CONFIG": str(cfg), "PYGEOAPI_OPENAPI": str(oas)}
    generate = ["openapi", "generate", str(cfg), "--output-file", str(oas)]
    subprocess.run(
        [str(VENV / "bin" / "pygeoapi"), *generate],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return env


def serve_pygeoapi(python: Path, env: dict, port: int, threads: int):
    proc = subprocess.Popen(
        [str(python), "-c", _SERVE_PYGEOAPI, str(port), str(threads)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    if not line.strip():
        raise RuntimeError(f"pygeoapi did not start (exit {proc.wait(timeout=10)})")
    return proc, f"http://127.0.0.1:{int(line)}"


def load_wrk(urls, clients: int, seconds: float, headers: dict) -> dict:
    paths = ", ".join(json.dumps(urlsplit(u).path + "?" + urlsplit(u).query) for u in urls)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_LUA % paths)
    extra = [a for k, v in headers.items() for a in ("-H", f"{k}: {v}")]
    threads = str(min(clients, os.cpu_count() or 1))
    cmd = ["wrk", f"-t{threads}", f"-c{clients}", f"-d{seconds:g}s", "-s", f.name, *extra]
    out = subprocess.run([*cmd, urls[0]], capture_output=True, text=True, check=True).stdout
    os.unlink(f.name)
    n, dur, p50, p95, errors = re.search(r"RESULT (\S+) (\S+) (\S+) (\S+) (\S+)", out).groups()
    return {
        "requests": int(n),
        "rps": int(n) / float(dur),
        "p50_ms": float(p50),
        "p95_ms": float(p95),
        "errors": int(errors),
    }


def first_query(url: str, headers: dict) -> tuple[float, dict]:
    import requests

    t = time.perf_counter()
    r = requests.get(url, headers=headers, timeout=120)
    r.raise_for_status()
    return 1000 * (time.perf_counter() - t), r.json()


def same_rows(fossil_base: str, pygeo_base: str, staff: dict, boxes: int = 5) -> dict:
    """numberMatched and the ids of the first page on a few boxes, from both servers."""
    import requests

    urls = ogcapi.bbox_urls("", 0.3, 1000, boxes)
    matched, same = [], True
    for u in urls:
        a = requests.get(fossil_base + u, headers=staff, timeout=60).json()
        b = requests.get(pygeo_base + u, timeout=60).json()
        ids_a = {f["id"] for f in a["features"]}
        ids_b = {f["id"] for f in b["features"]}
        same &= a["numberMatched"] == b["numberMatched"] and ids_a == ids_b
        matched.append([a["numberMatched"], b["numberMatched"]])
    return {"same": same, "matched": matched}


def run(args, pg_url: str, python: Path, version: str) -> dict:
    data, url, tokens = ogcapi.build_store(args.n, pg_url)
    staff = {"Authorization": f"Bearer {tokens['staff']}"}
    crs84_view(data, url)
    port = pg_cluster._free_port()
    env = pygeoapi_files(python, url, port)
    fossil, fossil_root = ogcapi.serve(data, args.clients, url)
    pygeo = None
    try:
        pygeo, pygeo_root = serve_pygeoapi(python, env, port, args.clients)
        bases = {"fossilgis": f"{fossil_root}/ogcapi", "pygeoapi": pygeo_root}
        results: dict = {"n": args.n, "clients": args.clients, "seconds": args.seconds}
        results["pygeoapi_version"] = version
        cold = {}
        for name, headers in (("pygeoapi", {}), ("fossilgis-staff", staff), ("fossilgis", {})):
            box = ogcapi.bbox_urls(bases[name.split("-")[0]], 0.1, 10, 1)[0]
            cold[name], doc = first_query(box, headers)
            print(f"cold first query {name:<16} {cold[name]:7.1f} ms ({doc['numberMatched']})")
        results["cold_ms"] = cold
        results["rows"] = same_rows(bases["fossilgis"], bases["pygeoapi"], staff)
        print(f"same rows from both (5 boxes of 0.3°): {results['rows']}")
        runner, tool = (
            (load_wrk, "wrk")
            if args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
            else (ogcapi.load, "python threads")
        )
        results["client"] = tool
        print(f"client: {tool}, {args.clients} connections, {args.seconds:g} s a run")
        plan = [("fossilgis", {}), ("pygeoapi", {}), ("fossilgis-staff", staff)]
        urls = {n: ogcapi.bbox_urls(bases[n.split("-")[0]], 0.1, 10) for n, _ in plan}
        for name, headers in plan:  # warm-up, not reported
            runner(urls[name], args.clients, min(2.0, args.seconds), headers)
        results["runs"] = []
        for k in range(args.rounds):
            for name, headers in plan:
                time.sleep(1)  # let the last run's queued requests drain
                r = runner(urls[name], args.clients, args.seconds, headers)
                r.update(server=name, round=k + 1)
                results["runs"].append(r)
                print(
                    f"  round {k + 1} {name:<16} {r['rps']:7.0f} req/s  p95 {r['p95_ms']:6.1f} ms"
                    f"  errors {r['errors']}",
                    flush=True,
                )
        results["memory_mb"] = {
            "fossilgis": ogcapi.memory_mb(fossil.pid),
            "pygeoapi": ogcapi.memory_mb(pygeo.pid),
        }
    finally:
        for proc in (fossil, pygeo):
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=10)
                proc.stdout.close()
    return results


def summarise(results: dict) -> None:
    """Per-server medians and the ratios against pygeoapi, added to ``results``."""
    runs = results["runs"]
    by = {}
    for name in ("fossilgis", "fossilgis-staff", "pygeoapi"):
        mine = [r for r in runs if r["server"] == name]
        by[name] = {
            "rps": statistics.median(r["rps"] for r in mine),
            "p95_ms": statistics.median(r["p95_ms"] for r in mine),
            "rps_range": [min(r["rps"] for r in mine), max(r["rps"] for r in mine)],
            "errors": sum(r["errors"] for r in mine),
        }
    base = by["pygeoapi"]
    for name in ("fossilgis", "fossilgis-staff"):
        # per round: this server's run against the pygeoapi run of the same round
        pairs = [
            (a["rps"] / b["rps"], b["p95_ms"] / a["p95_ms"])
            for a in runs
            if a["server"] == name
            for b in runs
            if b["server"] == "pygeoapi" and b["round"] == a["round"]
        ]
        by[name]["rps_ratio"] = by[name]["rps"] / base["rps"]
        by[name]["rps_ratio_range"] = [min(p[0] for p in pairs), max(p[0] for p in pairs)]
        by[name]["p95_ratio"] = base["p95_ms"] / by[name]["p95_ms"]
    results["summary"] = by
    mem = results["memory_mb"]
    print(
        f"\n{results['n']} patrols, {results['clients']} clients, 0.1° bbox, limit=10, "
        f"{results['client']}; medians of {len(runs) // 3} interleaved runs"
    )
    print(
        f"{'server':<16} {'req/s':>7} {'range':>11} {'p95 ms':>7} {'×req/s':>13} {'p95 ×':>6}"
        f" {'cold ms':>8} {'VmHWM MB':>9} {'err':>4}"
    )
    for name, s in by.items():
        lo, hi = s["rps_range"]
        ratio = (
            f"{s['rps_ratio']:5.1f} ({s['rps_ratio_range'][0]:.1f}–{s['rps_ratio_range'][1]:.1f})"
            if "rps_ratio" in s
            else "baseline"
        )
        p95 = f"{s['p95_ratio']:6.1f}" if "p95_ratio" in s else ""
        hwm = mem[name.split("-")[0]]["VmHWM"]
        print(
            f"{name:<16} {s['rps']:7.0f} {lo:5.0f}–{hi:<5.0f} {s['p95_ms']:7.1f} {ratio:>13} "
            f"{p95:>6} {results['cold_ms'][name]:8.1f} {hwm:9.0f} {s['errors']:4d}"
        )
    print("×req/s = fossilgis ÷ pygeoapi (per-round range); p95 × = pygeoapi p95 ÷ fossilgis p95")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    args = parser.parse_args(argv)
    python, version = pygeoapi_python()
    if python is None:
        print(f"skipped: pygeoapi could not be installed: {version}")
        return 0
    pg_url, cluster = os.environ.get("FOSSILGIS_BENCH_PG"), None
    if not pg_url:
        reason = pg_cluster.unavailable_reason()
        if reason:
            print(f"skipped: no PostGIS server: {reason}")
            return 0
        cluster = pg_cluster.start_cluster("fossilgis_bench")
        pg_url = cluster.url
    print(f"pygeoapi {version} ({VENV}), PostGIS {pg_url.split('@')[-1]}")
    try:
        results = run(args, pg_url, python, version)
    finally:
        if cluster is not None:
            cluster.stop()
    summarise(results)
    OUT.mkdir(exist_ok=True)
    (OUT / "ogcapi_vs_pygeoapi.json").write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
