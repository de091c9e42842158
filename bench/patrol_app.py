"""The offline patrol app's weight and speed: bytes the service worker caches, and the time
to first paint of the form opened without a network (from the cache) against the same form
opened with one (the baseline, same run, same browser).

    .venv/bin/python bench/patrol_app.py [--runs 10]

A patroller signs in once in headless Chromium on a phone-sized screen; the worker installs;
the form is then reloaded ``--runs`` times online and ``--runs`` times offline
(``context.set_offline``), reading ``performance.getEntriesByType('paint')`` each time.
Writes bench/out/patrol_app.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

CACHE_JS = """async () => {
  let bytes = 0, entries = 0;
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const req of await cache.keys()) {
      entries += 1;
      bytes += (await (await cache.match(req)).arrayBuffer()).byteLength;
    }
  }
  return {bytes, entries};
}"""
PAINT_JS = """() => Object.fromEntries(
  performance.getEntriesByType('paint').map(e => [e.name, e.startTime]))"""


def _paints(page, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        page.reload()
        page.wait_for_selector("body[data-outbox-ready=true]", timeout=15000)
        out.append(page.evaluate(PAINT_JS)["first-contentful-paint"])
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--out", default=str(HERE / "out" / "patrol_app.json"))
    args = parser.parse_args(argv)

    from browser_fixtures import CHROMIUM, LAUNCH_ARGS
    from live_server import serve_on_loopback
    from playwright.sync_api import sync_playwright
    from webmap_fixtures import PASSWORD, add_users

    from fossilgis.store import open_store
    from webmap import create_app

    with tempfile.TemporaryDirectory(prefix="fossilgis-bench-app-") as tmp:
        data = Path(tmp) / "data"
        store = open_store(data)
        add_users(store)
        store.close()
        app = create_app({"DATA_DIR": str(data)})
        with serve_on_loopback(app, threads=4) as url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            context = browser.new_context(
                viewport={"width": 390, "height": 844},
                is_mobile=True,
                has_touch=True,
                service_workers="allow",
                locale="en-GB",
            )
            page = context.new_page()
            page.goto(f"{url}/login?lang=en&next=/patrols/new")
            page.fill("#username", "patroller1")
            page.fill("#password", PASSWORD)
            page.click("#login-submit")
            page.wait_for_selector("body[data-sw=controlled]", timeout=20000)
            cached = page.evaluate(CACHE_JS)
            online = _paints(page, args.runs)
            context.set_offline(True)
            offline = _paints(page, args.runs)
            browser.close()

    result = {
        "cached_bytes": cached["bytes"],
        "cached_entries": cached["entries"],
        "runs": args.runs,
        "fcp_offline_ms_median": statistics.median(offline),
        "fcp_offline_ms_max": max(offline),
        "fcp_online_ms_median": statistics.median(online),
    }
    print(f"service worker cache: {cached['bytes']:,} bytes in {cached['entries']} entries")
    print(
        f"first contentful paint of /patrols/new, {args.runs} reloads each: offline median "
        f"{result['fcp_offline_ms_median']:.0f} ms (max {result['fcp_offline_ms_max']:.0f}); "
        f"online median {result['fcp_online_ms_median']:.0f} ms (baseline); ratio "
        f"{result['fcp_offline_ms_median'] / result['fcp_online_ms_median']:.2f}"
    )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
