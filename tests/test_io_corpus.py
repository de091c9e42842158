"""Every third-party file in ../shared/corpus loads or fails with a clear message."""

from __future__ import annotations

import pytest
from io_helpers import CORPUS, requires_corpus

from fossilgis.errors import FossilGISError, OutsideProvinceError, UnsupportedGeometryError
from fossilgis.io import SUPPORTED_SUFFIXES, read_footprints, read_vector

pytestmark = requires_corpus

MAIN_FILES = (
    sorted(
        p for p in CORPUS.glob("*") if p.suffix.lower() in SUPPORTED_SUFFIXES or p.suffix == ".gpx"
    )
    if CORPUS.is_dir()
    else []
)


@pytest.mark.parametrize("path", MAIN_FILES, ids=lambda p: p.name)
def test_every_corpus_file_reads_or_fails_clearly(path):
    try:
        results = read_vector(path)
    except FossilGISError as exc:
        assert path.name in str(exc)
        return
    for r in results:
        assert r.gdf.crs.to_epsg() == 4490
        assert list(r.gdf.index) == list(range(len(r.gdf)))
    # None of these lie in Guizhou: footprints must be refused, with the bbox.
    with pytest.raises(OutsideProvinceError, match=r"outside Guizhou.*bbox found \("):
        read_footprints(path)


def test_tin_is_unsupported_geometry():
    with pytest.raises(
        UnsupportedGeometryError, match=r"test_tin\.shp: unsupported geometry type TIN"
    ):
        read_vector(CORPUS / "test_tin.shp")


@pytest.mark.parametrize("name", ["coutwildrnp.shp", "coutwildrnp.zip"])
def test_coutwildrnp_outside_guizhou(name):
    (r,) = read_vector(CORPUS / name)
    assert len(r.gdf) == 67 and r.crs_in == "EPSG:4326"
    with pytest.raises(OutsideProvinceError, match=rf"{name}.*outside Guizhou.*-113\.\d+, 37\.\d+"):
        read_footprints(CORPUS / name)


def test_z_and_m_dropped_with_notes():
    (r,) = read_vector(CORPUS / "line_zm.gpkg")
    assert not r.gdf.has_z.any()
    assert any("M (measure)" in n for n in r.notes) and any("Z values" in n for n in r.notes)


@pytest.mark.parametrize("name", ["curve.gpkg", "curvepolygon.gpkg", "multisurface.gpkg"])
def test_curves_linearised_with_note(name):
    (r,) = read_vector(CORPUS / name)
    assert set(r.gdf.geom_type) <= {"LineString", "Polygon", "MultiPolygon"}
    assert any("curves linearised" in n for n in r.notes)
