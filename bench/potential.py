"""Fossil potential at the office's scale: import a geological map of N units and screen
M footprints against it, as ratios to a plain read of the same files.

Usage: python bench/potential.py [--units 50000] [--footprints 1000]

A synthetic map (not geology: irregular cells of a jittered grid, 30–60 vertices each,
unit codes drawn from layers/potential.toml plus codes it does not know) is written once
to bench/out/geology_N.shp the way offices send them: GBK attributes without .cpg,
CGCS2000 3° Gauss-Krüger zone 35 coordinates with the zone prefix, no .prj. Footprints are
M small quadrilaterals inside the mapped area, in a GeoPackage. Timed, each in a fresh
store:
  read map      pyogrio.read_dataframe of the shapefile                (baseline 1)
  import        layers import --kind formations --crs EPSG:4523: every feature checked,
                reprojected, written as a new version, classes reported
  read fp       pyogrio.read_dataframe of the footprints                (baseline 2)
  screen        impact-check of the footprints, one project each (--id-field name), with
                the map (sites, sections, potential)
  screen, none  the same store without a map (what the potential adds)
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))

#: the mapped area (lon/lat): inside GK zone 35, away from the zone edge
WEST, SOUTH, CELL = 105.2, 26.0, 0.01


def write_map(n: int) -> Path:
    import geopandas as gpd
    import pyogrio
    import shapely

    from fossilgis.potential.table import load_potential_table

    path = OUT / f"geology_{n}.shp"
    if path.exists():
        return path
    rng = np.random.default_rng(n)
    cols = int(np.ceil(np.sqrt(n * 1.25)))
    rows = int(np.ceil(n / cols))
    # a jittered grid of vertices; cell (i, j) is the quadrilateral of its four corners,
    # its edges densified so that cells have 30–60 vertices like digitised outcrops
    gx = WEST + np.arange(cols + 1) * CELL
    gy = SOUTH + np.arange(rows + 1) * CELL
    xx, yy = np.meshgrid(gx, gy)
    xx = xx + rng.uniform(-0.3, 0.3, xx.shape) * CELL
    yy = yy + rng.uniform(-0.3, 0.3, yy.shape) * CELL
    cells = []
    for j in range(rows):
        for i in range(cols):
            if len(cells) == n:
                break
            ring = [
                (xx[j, i], yy[j, i]),
                (xx[j, i + 1], yy[j, i + 1]),
                (xx[j + 1, i + 1], yy[j + 1, i + 1]),
                (xx[j + 1, i], yy[j + 1, i]),
            ]
            cells.append(shapely.Polygon(ring))
    geoms = shapely.segmentize(np.array(cells), CELL / rng.integers(8, 15))
    table = load_potential_table()
    codes = [c for u in table.units for c in u.codes] or ["T2f"]
    names = {c: u.names[0] for u in table.units for c in u.codes}
    pool = codes + [f"X{k}" for k in range(20)]  # a fifth of the codes are not in the table
    picked = rng.choice(pool, n)
    gdf = gpd.GeoDataFrame(
        {
            "代号": picked,
            "名称": [names.get(c, f"未知地层{c}") for c in picked],
            "岩性": rng.choice(["灰岩", "白云岩", "泥岩", "砂岩"], n),
        },
        geometry=geoms,
        crs="EPSG:4490",
    ).to_crs("EPSG:4523")
    OUT.mkdir(exist_ok=True)
    pyogrio.write_dataframe(gdf, path, encoding="GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    path.with_suffix(".prj").unlink(missing_ok=True)
    return path


def write_footprints(m: int, n_units: int) -> Path:
    import geopandas as gpd
    import shapely

    path = OUT / f"potential_footprints_{m}.gpkg"
    if path.exists():
        return path
    rng = np.random.default_rng(m)
    side = int(np.ceil(np.sqrt(n_units * 1.25))) * CELL
    x = WEST + rng.uniform(0.05, 0.95, m) * side
    y = SOUTH + rng.uniform(0.05, 0.95, m) * (n_units / (side / CELL)) * CELL
    d = rng.uniform(0.001, 0.004, (m, 4))
    geoms = [
        shapely.Polygon([(a - p, b - q), (a + r, b - q), (a + r, b + s), (a - p, b + s)])
        for a, b, (p, q, r, s) in zip(x, y, d)
    ]
    gpd.GeoDataFrame({"name": [f"fp{i}" for i in range(m)]}, geometry=geoms, crs=4490).to_file(path)
    return path


def timed(func):
    t = time.perf_counter()
    out = func()
    return time.perf_counter() - t, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=50_000)
    parser.add_argument("--footprints", type=int, default=1000)
    args = parser.parse_args()

    import pyogrio
    from click.testing import CliRunner

    from fossilgis.cli.main import cli
    from fossilgis.screening import screen_paths
    from fossilgis.store import open_store

    geology = write_map(args.units)
    fps = write_footprints(args.footprints, args.units)
    work = Path(tempfile.mkdtemp(prefix="fossilgis-bench-potential-"))
    try:
        t_read, df = timed(lambda: pyogrio.read_dataframe(geology, encoding="GBK"))
        data = work / "data"
        open_store(data).close()
        cmd = [
            "--data",
            str(data),
            "-q",
            "layers",
            "import",
            str(geology),
            "--kind",
            "formations",
            "--crs",
            "EPSG:4523",
            "--map",
            "unit=代号",
            "--map",
            "name_zh=名称",
            "--map",
            "lithology=岩性",
        ]
        t_import, res = timed(lambda: CliRunner().invoke(cli, cmd, catch_exceptions=False))
        if res.exit_code != 0:
            print(res.output)
            return 1
        t_fp, _ = timed(lambda: pyogrio.read_dataframe(fps))
        store = open_store(data)
        store.read_layer("sites")
        t_first, s = timed(lambda: screen_paths([fps], store, id_field="name"))
        t_screen, s = timed(lambda: screen_paths([fps], store, id_field="name"))
        bare = work / "bare"
        open_store(bare).close()
        store_bare = open_store(bare)
        store_bare.read_layer("sites")
        screen_paths([fps], store_bare, id_field="name")
        t_none, _ = timed(lambda: screen_paths([fps], store_bare, id_field="name"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    classes = {}
    for p in s.projects:
        c = (p["potential"] or {}).get("highest_class")
        classes[c] = classes.get(c, 0) + 1
    print(f"geological map: {len(df)} units, {geology.stat().st_size / 1e6:.1f} MB .shp")
    print(f"  read (pyogrio)      {t_read:7.2f} s")
    print(f"  layers import       {t_import:7.2f} s   = {t_import / t_read:5.1f}× the read")
    print(f"footprints: {args.footprints}")
    print(f"  read (pyogrio)      {t_fp:7.3f} s")
    print(f"  screen, first       {t_first:7.2f} s   (classes and indexes the map once)")
    print(f"  screen              {t_screen:7.2f} s   = {t_screen / t_fp:5.1f}× the read")
    print(
        f"  screen without map  {t_none:7.2f} s   → the potential adds "
        f"{t_screen / t_none:4.2f}× the site screen"
    )
    print(f"  projects by highest class: {dict(sorted(classes.items(), key=str))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
