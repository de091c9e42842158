"""One table of the speed goals (issue "speed at scale") from the figures the benches wrote.

    .venv/bin/python bench/summary.py        (make bench runs it last)

Each bench writes its figures to bench/out/*.json as it runs; this reads the newest of each
and prints every goal with the figure measured, its baseline in the same run, and whether
the goal holds. A bench that has not run shows "not measured" (run it, e.g. bench/ogcapi.py
100000 for the API rows). Nothing here measures anything itself.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def _load(name: str):
    path = OUT / name
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None


def _first(rows, **match):
    for row in rows or []:
        if all(row.get(k) == v for k, v in match.items()):
            return row
    return None


def _api_rows(n: int) -> list[tuple]:
    rows = []
    for store, name in (
        ("GeoPackage", f"ogcapi-{n}.json"),
        ("PostGIS", f"ogcapi-{n}-postgis.json"),
    ):
        d = _load(name)
        if d is None:
            rows.append((f"first API query after an upload, {n:,} patrols, {store}", None, ""))
            continue
        steady = d["bbox-staff"]["p95_ms"]
        first = (
            max(r["first_ms"] for r in d.get("after_upload", [])) if d.get("after_upload") else None
        )
        rows.append(
            (
                f"first API query after an upload, {n:,} patrols, {store}",
                None if first is None else first / steady,
                f"{first:.0f} ms ÷ steady p95 {steady:.0f} ms" if first else "",
                2.0,
                "≤",
            )
        )
        rows.append(
            (
                f"memory per web process, {n:,} patrols, {store}",
                d["memory_mb"]["VmHWM"],
                "MB peak",
                250.0,
                "≤",
            )
        )
        if "conformance-staff" in d:
            rows.append(
                (
                    f"staff ÷ anonymous, the same answer (token check), {n:,}, {store}",
                    d["conformance-staff"]["rps"] / d["conformance"]["rps"],
                    f"{d['conformance-staff']['rps']:.0f} ÷ {d['conformance']['rps']:.0f} req/s "
                    "on /ogcapi/conformance",
                    0.8,
                    "≥",
                )
            )
        rows.append(
            (
                f"staff ÷ anonymous bbox throughput, {n:,}, {store}",
                d["bbox-staff"]["rps"] / d["bbox-public"]["rps"],
                f"{d['bbox-staff']['rps']:.0f} ÷ {d['bbox-public']['rps']:.0f} req/s "
                "(context, not the goal: a visitor's bbox matches nothing, staff's returns rows)",
                None,
                "",
            )
        )
    return rows


def goal_rows() -> list[tuple]:
    """(what, figure, how it was measured, goal, "≤" | "≥") for every goal."""
    rows = _api_rows(100_000) + _api_rows(1_000_000)
    versus = _load("ogcapi_vs_pygeoapi.json")
    if versus:
        s = versus["summary"]["fossilgis"]
        rows.append(
            (
                f"0.1° bbox, anonymous ÷ pygeoapi, {versus['n']:,} patrols",
                s["rps_ratio"],
                f"{s['rps']:.0f} req/s",
                10.0,
                "≥",
            )
        )
    impact = _load("impact.json")
    for n, kind in [(n, k) for n in (200_000, 1_000_000) for k in ("parcels", "scattered")]:
        row = _first(impact, n=n, kind=kind)
        rows.append(
            (
                f"impact-check ÷ bare read, {n:,} footprints ({kind})",
                row and row["ratio"],
                row and f"{row['screen_s']:.1f} s ÷ {row['read_s']:.1f} s",
                1.3,
                "≤",
            )
        )
        if row and row.get("by_id_ratio"):
            rows.append(
                (
                    f"--id-field, {n:,} projects ÷ the same file as one project",
                    row["by_id_s"] / row["screen_s"],
                    f"{row['by_id_s']:.1f} s ÷ {row['screen_s']:.1f} s",
                    1.5,
                    "≤",
                )
            )
    pg = _load("impact_postgis.json")
    row = max(pg or [], key=lambda r: r["n"], default=None)
    rows.append(
        (
            f"PostGIS path ÷ GeoPackage path, {row['n']:,} footprints" if row else "PostGIS ÷ GPKG",
            row and row["postgis_over_gpkg"],
            row
            and "pairs forced into the database: "
            + f"{row.get('postgis_pairs_in_db_over_gpkg', float('nan')):.2f}",
            1.2,
            "≤",
        )
    )
    web = _load("web.json")
    home = web and web["paths"].get("/")
    rows.append(("/ p95 at 16 clients", home and home["p95_ms"], "ms", 50.0, "≤"))
    for name, store in (("patrols.json", "GeoPackage"), ("patrols-postgis.json", "PostGIS")):
        up = _load(name)
        lost = up and f"lost {up['lost']}, duplicated {up['duplicated']}"
        rows.append(
            (f"patrol uploads/s, 8 clients, {store}", up and up["uploads_per_s"], lost, 150.0, "≥")
        )
    return rows


def main() -> int:
    print(f"{'goal':<62} {'figure':>9}  {'goal':>7}  holds  measured")
    for what, value, how, *goal in goal_rows():
        if value is None:
            print(f"{what:<62} {'—':>9}  {'':>7}  —      not measured")
            continue
        limit, sign = goal
        if limit is None:  # a figure for context, without a goal of its own
            print(f"{what:<62} {value:9.2f}  {'':>7}  —      {how or ''}")
            continue
        holds = value <= limit if sign == "≤" else value >= limit
        verdict = "yes" if holds else "NO"
        print(f"{what:<62} {value:9.2f}  {sign}{limit:6g}  {verdict:<5}  {how or ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
