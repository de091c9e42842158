"""Write a stand-in for the office's registry: a GBK shapefile without .prj or .cpg.

The office's real registry (化石产地名录) is not public. This stand-in has the shape such files
usually have, so that the import can be shown end to end (docs/data.md and the notebook
``import_official_registry.ipynb``):

- Chinese field names (编号, 名称, 英文名, 县市, 时代, 保护级别), attributes encoded in GBK;
- no ``.prj`` and no ``.cpg``: the CRS must be confirmed and the encoding is detected;
- CGCS2000 3° Gauss-Krüger zone 35 coordinates with the zone prefix (X = 35xxxxxx.x);
- protection levels written in Chinese (国家级重点, 省级重点, 一般), as registries do.

Its features are the six demonstration sites that lie in zone 35, with their demonstration
(approximate) boundaries: nothing is invented. ``--codes`` writes the file as it is after
the office recodes 保护级别 to fossilgis's codes (national_key, provincial_key, general).

Usage: ``python notebooks/make_registry_example.py FOLDER [--codes]``
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyogrio

#: the demonstration sites in zone 35 used for the stand-in
REGISTRY_IDS = ["GZ-F03", "GZ-F05", "GZ-F08", "GZ-F29", "GZ-F34", "GZ-F35"]
#: how a registry writes the protection levels
LEVEL_LABELS = {"national_key": "国家级重点", "provincial_key": "省级重点", "general": "一般"}
#: the registry's field names → fossilgis fields
FIELDS = {"id": "编号", "name_zh": "名称", "name_en": "英文名", "county_zh": "县市",
          "age": "时代", "protection_level": "保护级别"}  # fmt: skip


def write_registry(folder, *, codes: bool = False) -> Path:
    """Write ``FOLDER/fossil_sites.shp`` (GBK, no .prj, no .cpg, EPSG:4523 coordinates)."""
    root = Path(__file__).resolve().parent.parent
    sites = pyogrio.read_dataframe(root / "layers" / "sites.geojson")
    sites = sites[sites["id"].isin(REGISTRY_IDS)].set_crs(4490, allow_override=True)
    registry = sites[list(FIELDS) + ["geometry"]].rename(columns=FIELDS)
    if not codes:
        registry["保护级别"] = registry["保护级别"].map(LEVEL_LABELS)
    registry = registry.to_crs("EPSG:4523")  # zone 35, X with the prefix 35
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    shp = folder / "fossil_sites.shp"
    for old in folder.glob("fossil_sites.*"):
        old.unlink()
    pyogrio.write_dataframe(registry, shp, encoding="gbk")
    # What offices send: no .prj (the CRS is "known" to everyone) and no .cpg.
    for sidecar in (".prj", ".cpg"):
        shp.with_suffix(sidecar).unlink(missing_ok=True)
    dbf = shp.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    data[1:4] = bytes([125, 1, 1])  # fixed "last update" date (2025-01-01): same bytes each run
    dbf.write_bytes(bytes(data))
    return shp


def main(argv: list[str]) -> int:
    args = [a for a in argv if a != "--codes"]
    if len(args) != 1:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    shp = write_registry(args[0], codes="--codes" in argv)
    levels = "fossilgis codes" if "--codes" in argv else "Chinese labels"
    print(f"wrote {shp} ({len(REGISTRY_IDS)} sites; GBK, no .prj, no .cpg; levels as {levels})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
