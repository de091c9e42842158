"""The case register at office scale: saving a case, `/cases` with N cases, re-screening all.

Builds a GeoPackage store with N cases (default 10 000) whose red lines lie 50 m – 3 km from
random sites, then measures, each as a ratio against a baseline taken in the same run:

- saving one screened case (``store.cases.open``) ÷ screening its footprint;
- ``/cases`` p95 (first page, a text search, a target filter) ÷ ``/healthz`` p95, in-process;
- re-screening every case after a registry revision moves one site (``rescreen_cases``) ÷
  one plain batch screen of the same footprints (goal: under 60 s for 10 000 cases).

Run: ``python bench/cases.py [N]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import shapely  # noqa: E402
from pyproj import Geod  # noqa: E402

GEOD = Geod(ellps="GRS80")


def red_lines(sites, n: int, seed: int = 7) -> gpd.GeoDataFrame:
    """``n`` 100 m squares, each 50 m – 3 km from a random site's centre point's edge."""
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(sites), n)
    cent = shapely.centroid(np.asarray(sites.geometry.values))[pick]
    lon, lat = shapely.get_x(cent), shapely.get_y(cent)
    reach = np.array([g.length for g in sites.geometry.values])[pick] / 6.28 * 111_000
    dist = reach + rng.uniform(50, 3000, n)
    x, y, _ = GEOD.fwd(lon, lat, rng.uniform(0, 360, n), dist)
    x1, _, _ = GEOD.fwd(x, y, np.full(n, 90.0), np.full(n, 100.0))
    _, y1, _ = GEOD.fwd(x, y, np.zeros(n), np.full(n, 100.0))
    return gpd.GeoDataFrame(
        {"case": [f"c{i:05d}" for i in range(n)]},
        geometry=shapely.box(x, y, x1, y1),
        crs="EPSG:4490",
    )


def screen(store, gdf, id_field="case"):
    from fossilgis.footprints import ScreenOptions
    from fossilgis.io._pipeline import ReadResult
    from fossilgis.screening import screen_results

    res = ReadResult(gdf=gdf.reset_index(drop=True), source="red_lines.gpkg", crs_in="EPSG:4490")
    return screen_results(
        [res], store, options=ScreenOptions(project_type="building"), id_field=id_field
    )


def fill(store, screening) -> None:
    """Open one case per project of ``screening`` in one transaction (the bench's bulk path:
    the same rows ``store.cases.open`` writes)."""
    from fossilgis.cases.rescreen import _case_snapshot
    from fossilgis.cases.snapshot import footprints_of
    from fossilgis.serving import json_safe
    from fossilgis.store import case_rows as rows
    from fossilgis.store._common import now_text

    base = json_safe(screening.to_dict())
    base.pop("projects")
    fps = footprints_of(screening)
    by_pid = dict(tuple(fps.groupby("project_id", sort=False)))
    cases = store.cases
    now = now_text()
    with store.db.tx() as conn:
        for p in screening.projects:
            number, year, seq = cases._next_number(conn)
            snap = _case_snapshot(base, [p], {})
            rows.insert(store.db, conn, "cases", {
                "number": number, "year": year, "seq": seq, "project_name": p["project_id"],
                "applicant_unit": "建设单位 " + p["project_id"][-2:], "project_type": "building",
                "source": "office", "status": "screened", "created_at": now, "updated_at": now,
                "options": base["options"], "grade": snap["grade"],
                "targets": " " + " ".join(snap["targets"]) + " " if snap["targets"] else None,
                "screen_seq": 1, "footprints_seq": 1,
            })  # fmt: skip
            bounds = cases._add_footprints(conn, number, 1, by_pid[p["project_id"]])
            rows.update(
                store.db, conn, "cases",
                dict(zip(("min_lon", "min_lat", "max_lon", "max_lat"), bounds)),
                "number = ?", [number],
            )  # fmt: skip
            cases._insert_screen(conn, number, 1, snap, user="bench", reason="submitted",
                                 footprints_seq=1)  # fmt: skip


def p95(func, n: int) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return statistics.quantiles(times, n=20)[-1] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=10_000)
    args = parser.parse_args()
    from fossilgis.cases.model import CaseDetails
    from fossilgis.cases.rescreen import rescreen_cases
    from fossilgis.store import open_store

    with tempfile.TemporaryDirectory(prefix="fossilgis-bench-cases-") as tmp:
        store = open_store(Path(tmp) / "data")
        sites = store.read_layer("sites")
        gdf = red_lines(sites, args.n)
        t0 = time.perf_counter()
        batch = screen(store, gdf)
        t_screen = time.perf_counter() - t0
        t0 = time.perf_counter()
        fill(store, batch)
        grades = dict(store.db.all("SELECT grade, count(*) FROM cases GROUP BY grade"))
        print(
            f"{args.n} cases: batch screen {t_screen:.1f} s, bulk fill "
            f"{time.perf_counter() - t0:.1f} s; grades {grades}"
        )

        one = gdf.iloc[:1]
        t_one = min(p95(lambda: screen(store, one), 5), p95(lambda: screen(store, one), 5))
        single = screen(store, one)
        saves = []
        for i in range(40):
            t0 = time.perf_counter()
            store.cases.open(
                CaseDetails(f"bench {i}", "单位"),
                user="bench",
                screening=single,
                files=[("red_line.geojson", b"{}" * 500, "application/geo+json")],
            )
            saves.append((time.perf_counter() - t0) * 1000)
        save = statistics.median(saves)
        print(
            f"case save: median {save:.1f} ms, p95 "
            f"{statistics.quantiles(saves, n=20)[-1]:.1f} ms = {save / t_one:.2f} × screening "
            f"its footprint ({t_one:.1f} ms)"
        )

        from webmap import create_app

        app = create_app({"DATA_DIR": tmp + "/data", "TESTING_STAFF": True})
        client = app.test_client()
        assert client.get("/cases").status_code == 200
        base = p95(lambda: client.get("/healthz"), 200)
        for label, url in (("/cases", "/cases"), ("/cases?q=", "/cases?q=单位 17"),
                           ("/cases?target=", "/cases?target=GZ-F03")):  # fmt: skip
            ms = p95(lambda url=url: client.get(url), 100)
            print(f"{label:<16} p95 {ms:6.1f} ms = {ms / base:5.1f} × /healthz ({base:.2f} ms)")

        revised = sites.copy()
        i = revised.index[revised["id"] == "GZ-F03"][0]
        revised.loc[i, "geometry"] = shapely.affinity.translate(
            revised.loc[i, "geometry"], xoff=0.003
        )
        store.replace_layer("sites", revised, source="bench", demonstration=False, user="bench")
        t0 = time.perf_counter()
        report = rescreen_cases(store, user="bench")
        t_re = time.perf_counter() - t0
        print(
            f"re-screen {report.cases} cases ({report.footprints} footprints): {t_re:.1f} s "
            f"= {t_re / t_screen:.2f} × one batch screen; {len(report.changed)} changed "
            f"(goal for 10 000: < 60 s)"
        )
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
