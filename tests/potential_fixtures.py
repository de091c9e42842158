"""Synthetic geological maps and potential tables for the fossil potential tests.

Nothing here is geology: the units ("SYN5", "SYN1", …) are squares drawn in the test, 13 km
or more from every shipped site and section, and the table classes them as the test needs.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely

from fossilgis.layers import LAYERS_DIR

#: a place far from every shipped site and section (13.8 km from the nearest)
ORIGIN = (106.0, 27.0)

SYNTHETIC_UNITS = """
[[unit]]
codes = ["SYN5"]
names = ["合成五级组", "Synthetic Five Fm"]
class = "5"
source = "synthetic test unit"

[[unit]]
codes = ["SYN1"]
names = ["合成一级岩体", "Synthetic One Intrusion"]
class = "1"
source = "synthetic test unit"

[[unit]]
codes = ["SYN3"]
names = ["合成三级组"]
class = "3"
source = "synthetic test unit"
"""


def synthetic_table(folder: Path) -> Path:
    """The shipped table's classes, actions and requirements with synthetic units only."""
    text = (LAYERS_DIR / "potential.toml").read_text(encoding="utf-8")
    head = text[: text.index("\n[[unit]]") + 1]
    path = Path(folder) / "potential.toml"
    path.write_text(head + SYNTHETIC_UNITS, encoding="utf-8")
    return path


def synthetic_map(origin=ORIGIN, size_deg: float = 0.02) -> gpd.GeoDataFrame:
    """Three units side by side west to east (SYN5, SYN1, SYN3), plus one the table does
    not know (XQ, north of SYN5); each a square of ``size_deg``."""
    x, y = origin
    d = size_deg
    units = [
        ("SYN5", "合成五级组", "Synthetic Five Fm", shapely.box(x, y, x + d, y + d)),
        ("SYN1", None, "Synthetic One Intrusion", shapely.box(x + d, y, x + 2 * d, y + d)),
        ("SYN3", "合成三级组", None, shapely.box(x + 2 * d, y, x + 3 * d, y + d)),
        ("XQ", "未入表组", None, shapely.box(x, y + d, x + d, y + 2 * d)),
    ]
    return gpd.GeoDataFrame(
        {
            "unit": [u[0] for u in units],
            "name_zh": [u[1] for u in units],
            "name_en": [u[2] for u in units],
            "age": ["synthetic"] * len(units),
        },
        geometry=[u[3] for u in units],
        crs="EPSG:4490",
    )


def footprint(lon0: float, lat0: float, lon1: float, lat1: float) -> shapely.Polygon:
    return shapely.box(lon0, lat0, lon1, lat1)
