"""A SYNTHETIC geological map and two quarry footprints for the fossil potential demo.

Not geology: three straight bands drawn north of Zhenfeng (贞丰) so that the docs and the
notebook can show the whole path — importing an office's map (GBK shapefile without .cpg,
zone-prefixed Gauss-Krüger coordinates, no .prj), screening, reading the result. Every
unit carries the note "合成示意数据，非真实地质 / synthetic, not real geology"; nothing here
is shipped as data. The bands borrow unit names of layers/potential.toml so that they are
classed: 法郎组 (class 5), 峨眉山玄武岩 (class 1) and a unit the table does not know (U).
"""

from __future__ import annotations

from pathlib import Path

#: the note every synthetic unit carries
SYNTHETIC_NOTE = "合成示意数据，非真实地质 / synthetic, not real geology"
#: west, south, east, north of the synthetic map (lon/lat, CGCS2000): 4–8 km north of the
#: Chirotherium tracksite GZ-F17, beyond every site's attention distance
EXTENT = (105.60, 25.42, 105.78, 25.46)
_BANDS = [  # (code, name, west, east)
    ("T2f", "法郎组", 105.60, 105.68),
    ("P3β", "峨眉山玄武岩", 105.68, 105.74),
    ("Qh", "未命名第四系", 105.74, 105.78),
]
#: the demo projects: one quarry on the class-5 band, one on the class-1 band
QUARRIES = {
    "quarry_falang": (105.655, 25.435, 105.660, 25.440),
    "quarry_basalt": (105.705, 25.435, 105.710, 25.440),
}


def synthetic_geology():
    """The bands as the office's file would hold them: 代号, 名称, 说明 (EPSG:4490)."""
    import geopandas as gpd
    import shapely

    _, south, _, north = EXTENT
    return gpd.GeoDataFrame(
        {
            "代号": [b[0] for b in _BANDS],
            "名称": [b[1] for b in _BANDS],
            "说明": [SYNTHETIC_NOTE] * len(_BANDS),
        },
        geometry=[shapely.box(w, south, e, north) for _, _, w, e in _BANDS],
        crs="EPSG:4490",
    )


def quarries():
    """The two demo quarry footprints (EPSG:4490), one project each (field ``name``)."""
    import geopandas as gpd
    import shapely

    return gpd.GeoDataFrame(
        {"name": list(QUARRIES)},
        geometry=[shapely.box(*b) for b in QUARRIES.values()],
        crs="EPSG:4490",
    )


def write_demo(folder) -> tuple[Path, Path]:
    """Write ``synthetic_geology.shp`` (GBK, no .cpg, EPSG:4523 coordinates with the zone
    prefix, no .prj) and ``quarries.geojson`` into ``folder``; their paths."""
    import pyogrio

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    shp = folder / "synthetic_geology.shp"
    pyogrio.write_dataframe(synthetic_geology().to_crs("EPSG:4523"), shp, encoding="GBK")
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    shp.with_suffix(".prj").unlink(missing_ok=True)
    geojson = folder / "quarries.geojson"
    pyogrio.write_dataframe(quarries(), geojson)
    return shp, geojson
