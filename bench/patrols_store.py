"""Store-level patrol upload throughput: N processes writing M patrols each, then counts.

Usage: python bench/patrols_store.py [--processes N ...] [--patrols M] [--waypoints W]
       (default: N = 1 4 20, M = 50, W = 10)

Each run starts from one fresh store (built from layers/ once and copied). N spawned
processes wait at a barrier, then each saves M different patrols (W waypoints each) with
``store.save_patrol`` (one BEGIN IMMEDIATE transaction per patrol, audit row included) and
re-sends its first patrol once (which must answer "already stored"). Afterwards the rows are
counted: lost = expected - stored, duplicated = rows sharing a uuid. The figure to watch is
uploads/s with N writers against N = 1 (SQLite serialises writers: it should stay near 1,
never collapse), and lost = duplicated = 0 always.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def _writer(data_dir: str, count: int, waypoints: int, barrier) -> tuple[list[str], float, int]:
    import datetime as dt

    from patrol_fixtures import NOW, make_patrol

    from fossilgis.store import open_store

    store = open_store(data_dir)
    patrols = [make_patrol(waypoints, start=NOW - dt.timedelta(days=1)) for _ in range(count)]
    barrier.wait()
    start = time.perf_counter()
    for p in patrols:
        store.save_patrol(p, "bench")
    _, created = store.save_patrol(patrols[0], "bench")  # idempotent re-send
    return [p.uuid for p in patrols], time.perf_counter() - start, int(created)


def run(template: Path, processes: int, patrols: int, waypoints: int) -> dict:
    from fossilgis.store import open_store

    work = Path(tempfile.mkdtemp(prefix="fossilgis-bench-"))
    data = work / "data"
    shutil.copytree(template, data)
    with open_store(data)._read() as conn:  # the template's own rows (its layer loads)
        audit_before = conn.execute("SELECT count(*) FROM audit").fetchone()[0]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(processes + 1)
        with ctx.Pool(processes) as pool:
            jobs = pool.starmap_async(
                _writer, [(str(data), patrols, waypoints, barrier)] * processes
            )
            barrier.wait()  # every writer has imported and built its patrols
            start = time.perf_counter()
            results = jobs.get()
            wall = time.perf_counter() - start
    sent = [u for uuids, _, _ in results for u in uuids]
    store = open_store(data)
    with store._read() as conn:
        stored = conn.execute("SELECT count(*) FROM patrols").fetchone()[0]
        distinct = conn.execute("SELECT count(DISTINCT uuid) FROM patrols").fetchone()[0]
        wps = conn.execute("SELECT count(*) FROM waypoints").fetchone()[0]
        audit = conn.execute("SELECT count(*) FROM audit").fetchone()[0]
    shutil.rmtree(work)
    expected = processes * patrols
    return {
        "processes": processes,
        "sent": len(sent),
        "stored": stored,
        "lost": expected - distinct,
        "duplicated": stored - distinct,
        "resend_created": sum(r[2] for r in results),
        "waypoints_ok": wps == expected * waypoints,
        "audit_ok": audit - audit_before == expected,
        "wall_s": wall,
        "uploads_per_s": expected / wall,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 4, 20])
    parser.add_argument("--patrols", type=int, default=50)
    parser.add_argument("--waypoints", type=int, default=10)
    args = parser.parse_args(argv)

    from fossilgis.store import open_store

    template = Path(tempfile.mkdtemp(prefix="fossilgis-bench-template-"))
    open_store(template)
    rows = [run(template, n, args.patrols, args.waypoints) for n in args.processes]
    shutil.rmtree(template)
    base = rows[0]["uploads_per_s"]
    print(f"{args.patrols} patrols x {args.waypoints} waypoints per process")
    print("processes  uploads/s  vs first  wall s   stored  lost  dup  resend-created  rows ok")
    failed = False
    for r in rows:
        ok = r["waypoints_ok"] and r["audit_ok"]
        print(
            f"{r['processes']:>9}  {r['uploads_per_s']:>9.1f}  {r['uploads_per_s'] / base:>8.2f}"
            f"  {r['wall_s']:>6.2f}  {r['stored']:>7}  {r['lost']:>4}  {r['duplicated']:>3}"
            f"  {r['resend_created']:>14}  {'yes' if ok else 'NO'}"
        )
        failed |= bool(r["lost"] or r["duplicated"] or r["resend_created"] or not ok)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
