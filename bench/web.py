"""Web map weight and speed: page weight of `/`, requests/s and p95 latency against /healthz."""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PATHS = [
    "/healthz",
    "/",
    "/api/layers/sites.geojson",
    "/api/layers/sections.geojson",
    "/api/layers/zones.geojson",
]
WRK_LUA = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %.3f %.3f\\n", summary.requests,
    summary.duration / 1e6, latency:percentile(95) / 1000))
end
"""


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as resp:
        return resp.read()


def page_weight(base: str) -> tuple[int, int, int]:
    """(HTML bytes, bytes of the local JS/CSS/images it links, GeoJSON fetched at load)."""
    html = _get(base + "/").decode()
    assets = set(re.findall(r'(?:src|href)="(/static/[^"]+)"', html))
    asset_bytes = 0
    for path in assets:
        body = _get(base + path)
        asset_bytes += len(body)
        if path.endswith(".css"):  # images referenced by the CSS, relative to it
            folder = path.split("?")[0].rsplit("/", 1)[0]
            for ref in set(re.findall(rb"url\(['\"]?([^'\")#]+)", body)):
                asset_bytes += len(_get(f"{base}{folder}/{ref.decode()}"))
    layers = sum(len(_get(base + p)) for p in PATHS[2:4])
    return len(html.encode()), asset_bytes, layers


def context_weight(base: str) -> tuple[int, int]:
    """(bytes of /api/context.json, bytes of the context layers it lists): fetched by every map."""
    import json

    index = _get(base + "/api/context.json")
    return len(index), sum(len(_get(base + x["url"])) for x in json.loads(index)["layers"])


def load_wrk(url: str, seconds: int, connections: int) -> tuple[float, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_LUA)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", f.name, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    _, n, dur, p95 = re.search(r"RESULT (\d+) ([\d.]+) ([\d.]+)", out).group(0).split()
    return int(n) / float(dur), float(p95)


def load_python(url: str, seconds: int, connections: int) -> tuple[float, float]:
    stop = time.perf_counter() + seconds
    lat: list[float] = []

    def worker():
        mine = []
        while time.perf_counter() < stop:
            t = time.perf_counter()
            _get(url)
            mine.append((time.perf_counter() - t) * 1000)
        return mine

    t0 = time.perf_counter()
    with ThreadPoolExecutor(connections) as pool:
        for part in pool.map(lambda _: worker(), range(connections)):
            lat.extend(part)
    return len(lat) / (time.perf_counter() - t0), statistics.quantiles(lat, n=20)[18]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--threads", type=int, default=8, help="waitress threads")
    args = ap.parse_args(argv)

    import logging

    import waitress

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # queue depth under load

    from webmap import create_app

    data = tempfile.mkdtemp(prefix="fossilgis-bench-web-")
    app = create_app({"DATA_DIR": data})
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=args.threads)
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{server.effective_port}"
    for path in PATHS:  # warm the layer caches
        _get(base + path)

    html, assets, layers = page_weight(base)
    print(
        f"page weight of /: HTML {html / 1024:.1f} KiB + local assets {assets / 1024:.1f} KiB"
        f" = {(html + assets) / 1024:.1f} KiB; GeoJSON fetched at load "
        f"(sites + sections, public) {layers / 1024:.1f} KiB"
    )
    index, context = context_weight(base)
    print(f"context layers fetched at load: list {index} B + GeoJSON {context / 1024:.1f} KiB")
    runner, tool = (load_wrk, "wrk") if shutil.which("wrk") else (load_python, "python threads")
    print(
        f"load: {tool}, {args.connections} connections, {args.seconds} s per endpoint, "
        f"waitress {args.threads} threads, loopback"
    )
    base_rps, base_p95 = runner(base + PATHS[0], args.seconds, args.connections)
    print(f"{PATHS[0]:<30} {base_rps:8.0f} req/s  p95 {base_p95:7.2f} ms  (baseline)")
    rows = {PATHS[0]: {"rps": base_rps, "p95_ms": base_p95}}
    for path in PATHS[1:]:
        rps, p95 = runner(base + path, args.seconds, args.connections)
        rows[path] = {"rps": rps, "p95_ms": p95}
        print(
            f"{path:<30} {rps:8.0f} req/s  p95 {p95:7.2f} ms  = {base_rps / rps:5.2f}× "
            f"slower, p95 {p95 / base_p95:5.2f}× baseline"
        )
    weight = {"html": html, "assets": assets, "layers": layers}
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    (out / "web.json").write_text(json.dumps({"page_weight": weight, "paths": rows}, indent=1))
    time.sleep(1)  # let the last responses of the load generator drain
    server.close()
    shutil.rmtree(data, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
