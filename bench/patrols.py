"""Patrol uploads over HTTP: uploads/s with N concurrent clients on loopback, zero lost or
duplicated records, as a ratio against a trivial endpoint (/healthz) on the same server.

    .venv/bin/python bench/patrols.py --clients 8 --patrols 200 [--photos] [--threads 8]
                                      [--store gpkg|postgis]

The app runs on waitress in a subprocess over a fresh store (``--store postgis``: a new
schema in $FOSSILGIS_BENCH_PG, else in a throwaway cluster of tests/pg_cluster.py). Each
client keeps one HTTP/1.1 connection and sends patrols (exchange-format GeoJSON, 3
waypoints; with ``--photos`` a multipart body with a distinct ~20 kB JPEG each) with a
patroller's bearer token. After the timed run every patrol is sent again (must answer 200),
then the store is checked: one record per UUID, one ``create`` audit row each, nothing else.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVER = """
import logging, sys, waitress
logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "queue depth" notes
from webmap import create_app
app = create_app({"DATA_DIR": sys.argv[1], "STORE": sys.argv[4] or None})
waitress.serve(app, host="127.0.0.1", port=int(sys.argv[2]), threads=int(sys.argv[3]),
               connection_limit=200, channel_timeout=60, _quiet=True)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def patrol_body(i: int, photo: bool) -> tuple[str, bytes, str, bytes | None]:
    """(uuid, body, content type, the photo) of patrol number ``i`` near site GZ-F03."""
    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1, minutes=i)
    pid = str(uuid.uuid4())
    x, y = 105.40 + (i % 50) * 1e-4, 25.90
    feats = [
        {
            "type": "Feature",
            "id": pid,
            "geometry": {
                "type": "LineString",
                "coordinates": [[x - 0.004, y - 0.004], [x, y], [x + 0.003, y + 0.002]],
            },
            "properties": {
                "feature_type": "patrol",
                "uuid": pid,
                "site_id": "GZ-F03",
                "team": ["张三", "李四"],
                "purpose": "bench",
                "started_at": start.isoformat(),
                "ended_at": (start + dt.timedelta(hours=2)).isoformat(),
                "photos": ["p.jpg"] if photo else [],
            },
        }
    ]
    for k in range(3):
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [x + k * 1e-4, y]},
                "properties": {
                    "feature_type": "waypoint",
                    "uuid": str(uuid.uuid4()),
                    "observed_at": (start + dt.timedelta(minutes=10 + k)).isoformat(),
                    "category": "intact" if k else "human_damage",
                    "severity": "low",
                    "description": f"bench {i}/{k}",
                },
            }
        )
    body = json.dumps({"type": "FeatureCollection", "features": feats}).encode()
    if not photo:
        return pid, body, "application/geo+json", None
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (160, 120), ((i * 7) % 256, (i * 13) % 256, (i * 29) % 256)).save(
        buf, "JPEG", quality=95
    )
    jpeg = buf.getvalue()
    b = "benchboundary"
    multipart = (
        (
            f'--{b}\r\nContent-Disposition: form-data; name="patrol"; filename="p.geojson"\r\n'
            "Content-Type: application/geo+json\r\n\r\n"
        ).encode()
        + body
        + (
            f'\r\n--{b}\r\nContent-Disposition: form-data; name="photo"; filename="p.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + jpeg
        + f"\r\n--{b}--\r\n".encode()
    )
    return pid, multipart, f"multipart/form-data; boundary={b}", jpeg


class Client:
    """One keep-alive connection, as a field device or script would hold."""

    def __init__(self, port: int, token: str | None = None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def request(self, method: str, path: str, body=None, ctype=None) -> tuple[int, float]:
        headers = dict(self.headers)
        if ctype:
            headers["Content-Type"] = ctype
        t0 = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        resp.read()
        return resp.status, time.perf_counter() - t0


def run(port: int, clients: int, jobs: list, token: str | None, method: str, path: str):
    """Send ``jobs`` (body, content type) over ``clients`` connections; (codes, lat, secs)."""
    conns = [Client(port, token) for _ in range(clients)]
    chunks = [jobs[i::clients] for i in range(clients)]

    def work(k):
        out = []
        for body, ctype in chunks[k]:
            out.append(conns[k].request(method, path, body, ctype))
        return out

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = [r for chunk in pool.map(work, range(clients)) for r in chunk]
    secs = time.perf_counter() - t0
    return [c for c, _ in results], [lat for _, lat in results], secs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--patrols", type=int, default=200)
    ap.add_argument("--threads", type=int, default=8, help="waitress worker threads")
    ap.add_argument("--photos", action="store_true", help="multipart with a JPEG each")
    ap.add_argument("--store", choices=["gpkg", "postgis"], default="gpkg")
    ap.add_argument("--out", default=str(ROOT / "bench" / "out" / "patrols.json"))
    args = ap.parse_args(argv)

    if args.store == "postgis":
        sys.path.insert(0, str(ROOT / "bench"))
        from _pg import bench_pg_url

        with bench_pg_url() as url:
            schema = f"schema=bench_patrols_{os.getpid()}"
            out = _bench(args, f"{url}{'&' if '?' in url else '?'}{schema}")
    else:
        out = _bench(args, None)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=1))
    return 0 if out["ok"] else 1


def _bench(args, url: str | None) -> dict:
    """Run the uploads against a new store (PostGIS when ``url``); the figures."""
    from fossilgis.auth import create_user, issue_token
    from fossilgis.store import open_store

    with tempfile.TemporaryDirectory(prefix="fossilgis-bench-patrols-") as tmp:
        store = open_store(tmp, store=url)
        create_user(store, "bench", "bench password", "patroller")
        token = issue_token(store, "bench", "bench")
        port = free_port()
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        server = subprocess.Popen(
            [sys.executable, "-c", SERVER, tmp, str(port), str(args.threads), url or ""],
            env=env,
            cwd=ROOT,
        )
        try:
            for _ in range(300):
                try:
                    Client(port).request("GET", "/healthz")
                    break
                except OSError:
                    time.sleep(0.1)
            made = [patrol_body(i, args.photos) for i in range(args.patrols)]
            jobs = [(body, ctype) for _, body, ctype, _ in made]
            # warm-up: caches of layers and targets, not counted
            run(port, 1, [(b"", None)] * 5, None, "GET", "/healthz")
            warm = patrol_body(10_000, args.photos)
            run(port, 1, [(warm[1], warm[2])], token, "POST", "/api/patrols")

            codes, lat, secs = run(port, args.clients, jobs, token, "POST", "/api/patrols")
            replay_codes, _, replay_secs = run(
                port, args.clients, jobs, token, "POST", "/api/patrols"
            )
            n_trivial = max(args.patrols * 5, 1000)
            tcodes, tlat, tsecs = run(
                port, args.clients, [(None, None)] * n_trivial, None, "GET", "/healthz"
            )
        finally:
            server.terminate()
            server.wait(timeout=10)

        stored = store.list_patrols(include_deleted=True)
        uuids = list(stored["uuid"])
        sent = {pid for pid, *_ in made} | {warm[0]}
        creates = [
            a for a in store.audit_rows(None, object_kind="patrol") if a["action"] == "create"
        ]
        lost = len(sent - set(uuids))
        duplicated = len(uuids) - len(set(uuids)) + len(set(uuids) - sent)
        photos = None
        if args.photos:
            photos = len(list((Path(tmp) / "photos").glob("??/*.jpg")))
        if url is not None:
            with store._read() as conn:
                conn.execute(f"DROP SCHEMA {store.schema} CASCADE")
        store.close()

    rate = len(jobs) / secs
    trivial = n_trivial / tsecs
    out = {
        "store": args.store,
        "clients": args.clients,
        "patrols": args.patrols,
        "threads": args.threads,
        "photos": args.photos,
        "uploads_per_s": round(rate, 1),
        "upload_p50_ms": round(statistics.median(lat) * 1000, 1),
        "upload_p95_ms": round(statistics.quantiles(lat, n=20)[18] * 1000, 1),
        "created_201": codes.count(201),
        "other_codes": sorted(set(codes) - {201}),
        "replay_per_s": round(len(jobs) / replay_secs, 1),
        "replay_200": replay_codes.count(200),
        "trivial_per_s": round(trivial, 1),
        "trivial_p50_ms": round(statistics.median(tlat) * 1000, 2),
        "ratio_upload_vs_trivial": round(rate / trivial, 4),
        "stored": len(uuids),
        "audit_creates": len(creates),
        "lost": lost,
        "duplicated": duplicated,
        "photo_files": photos,
        "ok": (
            lost == 0
            and duplicated == 0
            and codes.count(201) == len(jobs)
            and replay_codes.count(200) == len(jobs)
            and len(creates) == len(sent)
        ),
    }
    return out


if __name__ == "__main__":
    sys.exit(main())
