"""impact-check on N generated footprints against the plain file read, with peak memory.

Usage: python bench/impact.py [--repeat R] [--kinds scattered,parcels] [N ...]
       (default: 1000 10000 100000, R = 3, both kinds)

For each N, two inputs are written once: bench/out/footprints_N.gpkg, footprint polygons
(small irregular quadrilaterals, 50–400 m across, some near sites) scattered over Guizhou
so that about half of them overlap another (the project area dissolves those), and
bench/out/parcels_N.gpkg, a cadastral map's parcels that share edges and never overlap. Then, in
fresh subprocesses so that peak memory is per task:
  read    pyogrio.read_dataframe(file)                       (the baseline)
  screen  fossilgis.batch.screen_files, as the CLI runs it (a single layer of more than
          200 000 features streams in chunks of 100 000), JSON rendered
  by id  the same with --id-field parcel: one project per footprint
The ratio screen/read is the figure to watch (target ≤ 1.3 from 100k up), and by id ÷
screen (splitting a file into one project per parcel should cost little: ≤ 1.5).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"

_READ = """
import resource, sys, time
import pyogrio
t = time.perf_counter()
df = pyogrio.read_dataframe(sys.argv[1])
el = time.perf_counter() - t
print(el, len(df), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

_SCREEN = """
import json, resource, sys, time
from fossilgis.batch import screen_files
from fossilgis.store import open_store
from fossilgis.report import render_json
store = open_store(sys.argv[2])
store.read_layer("sites")
t = time.perf_counter()
s = screen_files([sys.argv[1]], store, id_field=sys.argv[3] or None)
out = render_json(s)
el = time.perf_counter() - t
n_imp = sum(len(p["impacts"]) for p in s.projects)
print(el, n_imp, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def make_footprints(n: int) -> Path:
    import geopandas as gpd
    import numpy as np
    import shapely

    from fossilgis.geo import GUIZHOU_BOUNDS

    OUT.mkdir(exist_ok=True)
    path = OUT / f"footprints_{n}.gpkg"
    if path.exists():
        return path
    rng = np.random.default_rng(n)
    x0, y0, x1, y1 = 103.8, 24.8, 109.3, 29.0
    assert x0 > GUIZHOU_BOUNDS[0] and x1 < GUIZHOU_BOUNDS[2]
    cx = rng.uniform(x0, x1, n)
    cy = rng.uniform(y0, y1, n)
    # about 1 % of footprints placed near a site so that the screen finds real pairs
    sites = gpd.read_file(Path(__file__).resolve().parent.parent / "layers" / "sites.geojson")
    near = rng.random(n) < 0.01
    pick = rng.integers(0, len(sites), near.sum())
    c = shapely.centroid(sites.geometry.values[pick])
    cx[near] = shapely.get_x(c) + rng.normal(0, 0.01, near.sum())
    cy[near] = shapely.get_y(c) + rng.normal(0, 0.01, near.sum())
    size = rng.uniform(0.0005, 0.004, (n, 4))
    xs = np.stack([cx - size[:, 0], cx + size[:, 1], cx + size[:, 1], cx - size[:, 0]], 1)
    ys = np.stack([cy - size[:, 2], cy - size[:, 2], cy + size[:, 3], cy + size[:, 3]], 1)
    rings = np.stack([xs, ys], axis=2)
    polys = shapely.polygons(rings)
    gdf = gpd.GeoDataFrame(
        {"parcel": np.arange(n).astype(str), "use": "quarry"}, geometry=polys, crs=4490
    )
    gdf.to_file(path, driver="GPKG", engine="pyogrio")
    return path


def make_parcels(n: int) -> Path:
    """``n`` parcels as a cadastral map draws them: blocks of 40 × 50 jittered quadrilaterals
    (20–60 m) that share their edges and never overlap, the blocks spread over Guizhou and
    about 1 % of them beside a site."""
    import geopandas as gpd
    import numpy as np
    import shapely

    OUT.mkdir(exist_ok=True)
    path = OUT / f"parcels_{n}.gpkg"
    if path.exists():
        return path
    rng = np.random.default_rng(n + 1)
    cols, rows_ = 40, 50
    blocks = -(-n // (cols * rows_))
    sites = gpd.read_file(Path(__file__).resolve().parent.parent / "layers" / "sites.geojson")
    # blocks in distinct cells of a 0.05° grid (a block is at most 0.024° × 0.03°), those
    # cells nearest a site first so that the screen finds real pairs
    gx0, gy0, cell = 103.9, 24.9, 0.05
    nx, ny = int((109.0 - gx0) / cell), int((28.8 - gy0) / cell)
    c = shapely.centroid(sites.geometry.values)
    at_sites = np.unique(
        ((shapely.get_y(c) - gy0) // cell).astype(int) * nx
        + ((shapely.get_x(c) - gx0) // cell).astype(int)
    )
    at_sites = at_sites[(at_sites >= 0) & (at_sites < nx * ny)][: max(1, blocks // 20)]
    others = np.setdiff1d(rng.permutation(nx * ny), at_sites)[: blocks - len(at_sites)]
    picked = np.concatenate([at_sites, others])
    bx = gx0 + (picked % nx) * cell + 0.005
    by = gy0 + (picked // nx) * cell + 0.005
    step = rng.uniform(0.0002, 0.0006, blocks)  # 20-60 m
    # the corners of each block's grid, jittered inside the cell so that edges stay shared
    gx, gy = np.meshgrid(np.arange(cols + 1), np.arange(rows_ + 1))
    polys = []
    for b in range(blocks):
        jitter = rng.uniform(-0.3, 0.3, (2, rows_ + 1, cols + 1))
        jitter[:, [0, -1], :] = 0
        jitter[:, :, [0, -1]] = 0
        x = bx[b] + (gx + jitter[0]) * step[b]
        y = by[b] + (gy + jitter[1]) * step[b]
        i, j = np.meshgrid(np.arange(rows_), np.arange(cols), indexing="ij")
        i, j = i.ravel(), j.ravel()
        xs = np.stack([x[i, j], x[i, j + 1], x[i + 1, j + 1], x[i + 1, j]], 1)
        ys = np.stack([y[i, j], y[i, j + 1], y[i + 1, j + 1], y[i + 1, j]], 1)
        polys.append(shapely.polygons(np.stack([xs, ys], axis=2)))
    geoms = np.concatenate(polys)[:n]
    gdf = gpd.GeoDataFrame(
        {"parcel": np.arange(n).astype(str), "use": "housing"}, geometry=geoms, crs=4490
    )
    gdf.to_file(path, driver="GPKG", engine="pyogrio")
    return path


def _run(code: str, *args) -> list[float]:
    proc = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)], check=True, capture_output=True, text=True
    )
    return [float(v) for v in proc.stdout.split()]


def main(argv):
    import statistics

    repeat = 3
    if "--repeat" in argv:
        i = argv.index("--repeat")
        repeat = int(argv[i + 1])
        argv = argv[:i] + argv[i + 2 :]
    kinds = ("scattered", "parcels")
    if "--kinds" in argv:
        i = argv.index("--kinds")
        kinds = tuple(argv[i + 1].split(","))
        argv = argv[:i] + argv[i + 2 :]
    sizes = [int(a) for a in argv] or [1000, 10_000, 100_000]
    data = Path(tempfile.mkdtemp(prefix="fossilgis-bench-"))
    rows = []
    print(f"(medians of {repeat} interleaved runs: read, screen, by id)")
    print(
        f"{'N':>9} {'input':>9} {'read s':>8} {'screen s':>9} {'ratio':>6} {'pairs':>7} "
        f"{'read MB':>8} {'screen MB':>9} {'by id s':>8} {'÷ one':>6}"
    )
    for n, kind in [(n, kind) for n in sizes for kind in kinds]:
        path = make_footprints(n) if kind == "scattered" else make_parcels(n)
        _run(_READ, path)  # warm the OS cache so every run reads from memory
        runs = [
            (_run(_READ, path), _run(_SCREEN, path, data, ""), _run(_SCREEN, path, data, "parcel"))
            for _ in range(repeat)
        ]
        t_read = statistics.median(r[0][0] for r in runs)
        t_screen = statistics.median(r[1][0] for r in runs)
        t_by_id = statistics.median(r[2][0] for r in runs)
        rss_read = max(r[0][2] for r in runs)
        rss_screen = max(r[1][2] for r in runs)
        pairs = runs[0][1][1]
        ratio = t_screen / t_read
        rows.append(
            {
                "n": n,
                "kind": kind,
                "repeat": repeat,
                "read_s": t_read,
                "screen_s": t_screen,
                "ratio": ratio,
                "ratios": [r[1][0] / r[0][0] for r in runs],
                "pairs": pairs,
                "read_peak_mb": rss_read / 1024,
                "screen_peak_mb": rss_screen / 1024,
                "by_id_s": t_by_id,
                "by_id_ratio": t_by_id / t_screen,
            }
        )
        print(
            f"{n:>9} {kind:>9} {t_read:8.2f} {t_screen:9.2f} {ratio:6.2f} {int(pairs):>7} "
            f"{rss_read / 1024:8.0f} {rss_screen / 1024:9.0f} {t_by_id:8.2f} "
            f"{t_by_id / t_screen:6.2f}"
        )
    # rows of other sizes and kinds from earlier runs stay: the summary shows them all
    out = OUT / "impact.json"
    old = json.loads(out.read_text()) if out.exists() else []
    done = {(r["n"], r["kind"]) for r in rows}
    kept = [r for r in old if (r.get("n"), r.get("kind")) not in done]
    out.write_text(json.dumps(sorted(kept + rows, key=lambda r: (r["n"], r["kind"])), indent=2))
    return 0


if __name__ == "__main__":
    t = time.perf_counter()
    code = main(sys.argv[1:])
    print(f"(total {time.perf_counter() - t:.0f} s)")
    sys.exit(code)
