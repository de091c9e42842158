"""Helpers, the CORPUS path and io_* fixtures for the tests of fossilgis.io: small files
written with GDAL/ezdxf."""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from pyproj import Transformer
from shapely.geometry import LineString, Polygon, box

#: third-party odd files with their provenance (../shared/corpus); tests skip when it is absent
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
#: mark for tests (or ``pytestmark`` of modules) that read CORPUS
requires_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus not present")
EXAMPLES = Path(__file__).resolve().parents[1] / "layers" / "examples"

GUANLING = (105.4, 25.9)  # zone 35
KAILI = (108.414, 26.081)  # zone 36

NAMES = ["关岭至兴义高速公路K12段", "贵阳绕城高速"]


def gk(epsg: int, lon: float, lat: float) -> tuple[float, float]:
    """(easting, northing) of a lon/lat in a GK CRS."""
    return Transformer.from_crs("EPSG:4490", f"EPSG:{epsg}", always_xy=True).transform(lon, lat)


def square(epsg: int, lon: float, lat: float, half: float = 200.0) -> Polygon:
    x, y = gk(epsg, lon, lat)
    return box(x - half, y - half, x + half, y + half)


def write_shp(
    folder: Path,
    name: str,
    gdf: gpd.GeoDataFrame,
    *,
    encoding: str | None = None,
    prj: bool = True,
    cpg: bool = True,
    ldid: int | None = None,
) -> Path:
    """Write a shapefile with GDAL, then remove .prj/.cpg or set the DBF LDID byte as asked."""
    path = folder / f"{name}.shp"
    with warnings.catch_warnings():
        # GDAL warns when it cuts long field names to 10 bytes; that is part of the test data.
        warnings.simplefilter("ignore", RuntimeWarning)
        pyogrio.write_dataframe(gdf, path, encoding=encoding)
    if not prj:
        path.with_suffix(".prj").unlink()
    if not cpg and path.with_suffix(".cpg").exists():
        path.with_suffix(".cpg").unlink()
    if ldid is not None:
        dbf = path.with_suffix(".dbf")
        data = bytearray(dbf.read_bytes())
        data[29] = ldid
        dbf.write_bytes(bytes(data))
    return path


def zip_files(target: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return target


def shp_members(shp: Path, prefix: str = "") -> dict[str, bytes]:
    """The files of a shapefile as zip members, optionally inside a folder."""
    return {prefix + p.name: p.read_bytes() for p in sorted(shp.parent.glob(shp.stem + ".*"))}


def corpus_file(name: str) -> Path:
    """``CORPUS / name``; skips the calling test when ../shared/corpus is absent."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus not present")
    return CORPUS / name


# Fixtures (registered in conftest.py's ``pytest_plugins``; never import them by name)
@pytest.fixture
def io_road_gk35() -> gpd.GeoDataFrame:
    """Two road lines near Guanling in EPSG:4523 (zone prefix 35) with Chinese attributes."""
    a = [gk(4523, 105.38, 25.88), gk(4523, 105.40, 25.90), gk(4523, 105.42, 25.92)]
    b = [gk(4523, 105.45, 25.95), gk(4523, 105.46, 25.97)]
    return gpd.GeoDataFrame(
        {"名称": NAMES, "路线编号": ["G320", "G75"], "路基宽度": [26.0, 24.5]},
        geometry=[LineString(a), LineString(b)],
        crs="EPSG:4523",
    )


@pytest.fixture
def io_gbk_shp(tmp_path, io_road_gk35) -> Path:
    """The roads as a GBK shapefile with neither .cpg nor .prj, LDID byte 0."""
    return write_shp(tmp_path, "road", io_road_gk35, encoding="gbk", prj=False, cpg=False, ldid=0)
