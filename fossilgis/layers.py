"""Reference layers: load the versioned sources, validate, import a registry, export.

Pure functions over GeoDataFrames plus thin wrappers that talk to a store. Validation of a
layer *file* streams it feature by feature with fiona, so that every problem names the
feature (its number and id) and memory stays bounded however large the registry is.
Validation lives in :mod:`fossilgis._layer_checks` and registry import in
:mod:`fossilgis._registry_import`; both are re-exported here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

# validation and registry import live in their own modules; re-exported here for callers
from fossilgis._layer_checks import (  # noqa: F401
    raise_if_problems,
    validate_features,
    validate_file,
    validate_layer,
)
from fossilgis._registry_import import (  # noqa: F401
    parse_mapping,
    prepare_registry,
    read_registry,
)
from fossilgis.errors import FossilGISError, InputFileError
from fossilgis.schema import LAYER_KINDS, check_kind

#: the versioned sources of truth shipped with fossilgis
LAYERS_DIR = Path(
    os.environ.get("FOSSILGIS_LAYERS", Path(__file__).resolve().parent.parent / "layers")
)

EXPORT_FORMATS = {
    "gpkg": ("GPKG", ".gpkg"),
    "shp": ("ESRI Shapefile", ".shp"),
    "geojson": ("GeoJSON", ".geojson"),
    "kml": ("KML", ".kml"),
    "csv": ("CSV", ".csv"),
}

#: Shapefile field names are limited to 10 characters: the short names used on export
SHAPEFILE_NAMES = {
    "protection_level": "prot_level",
    "accuracy_class": "acc_class",
    "accuracy_m": "accuracy_m",
    "boundary_status": "bnd_status",
}


def source_path(kind: str) -> Path:
    return LAYERS_DIR / f"{check_kind(kind)}.geojson"


def read_source_layer(kind: str):
    """A shipped source layer (layers/<kind>.geojson) as a GeoDataFrame in EPSG:4490."""
    import pyogrio

    path = source_path(kind)
    if not path.exists():
        raise InputFileError(f"{path} is missing; restore it from git (`git checkout {path}`)")
    gdf = pyogrio.read_dataframe(path)
    return gdf.set_crs(4490, allow_override=True)


# -- build --------------------------------------------------------------------
def build_store(
    store, kinds: Iterable[str] = LAYER_KINDS, *, user: str | None = None
) -> dict[str, int]:
    """Load the shipped source layers into ``store`` (validated first); new versions."""
    versions = {}
    for kind in kinds:
        raise_if_problems(validate_file(source_path(kind), kind), str(source_path(kind)))
    for kind in kinds:
        gdf = read_source_layer(kind)
        versions[kind] = store.replace_layer(
            kind,
            gdf,
            source=f"layers/{kind}.geojson (demonstration)",
            demonstration=True,
            user=user,
            note="built from the shipped demonstration layers",
        )
    return versions


# -- export ----------------------------------------------------------------------------
def _export_frame(store, kind: str, fmt: str):
    """The layer as written in ``fmt`` and its GDAL layer and dataset options."""
    gdf = store.read_layer(kind).drop(columns=["extra"])
    options, dataset_options = {}, {}
    if fmt == "shp":
        gdf = gdf.rename(columns=SHAPEFILE_NAMES)
        options["ENCODING"] = "UTF-8"
    elif fmt == "csv":
        options.update(GEOMETRY="AS_WKT", WRITE_BOM="YES")
    elif fmt == "kml":
        dataset_options["NameField"] = "name_zh"
    return gdf, options, dataset_options


def export_layers(
    store,
    kinds: Iterable[str],
    fmt: str,
    output,
    *,
    directory: bool | None = None,
    protected=None,
) -> list[tuple[list[str], Path]]:
    """Write store layers to ``output``; [(kinds, path written), ...].

    Parameters
    ----------
    kinds : the layers to write.
    fmt : one of :data:`EXPORT_FORMATS`.
    output : path
        A folder (one ``<kind><suffix>`` file per layer; created when missing) or a file
        (GeoPackage: every kind as a layer of that file; other formats hold one kind).
    directory : bool, optional
        Whether ``output`` is a folder; default: whether it is an existing folder.
    protected : optional
        Paths that must not be written over; default ``store.protected_paths()``.

    Every file is written to a temporary folder next to it and moved into place only when
    complete and fsynced (a shapefile's files together), so a failure (disk full...)
    leaves no partial file; see :mod:`fossilgis.io.atomic`.
    """
    from fossilgis.io.atomic import atomic_output, check_output, protected_paths_of, write_frame

    kinds = [check_kind(k) for k in kinds]
    if fmt not in EXPORT_FORMATS:
        raise FossilGISError(f"unknown format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")
    driver, suffix = EXPORT_FORMATS[fmt]
    protected = protected_paths_of(store) if protected is None else protected
    output = Path(output)
    if directory is None:
        directory = output.is_dir()
    if directory:
        check_output(output, protected, directory=True)
        targets = [([k], output / f"{k}{suffix}") for k in kinds]
    elif len(kinds) > 1 and fmt != "gpkg":
        raise FossilGISError(
            f"-o {output}: a {fmt} file holds one layer; give a folder (-o {output}/) for one "
            "file per layer, or choose one layer with --kind"
        )
    else:
        targets = [(kinds, output)]
    written = []
    for ks, path in targets:
        with atomic_output(path, protected) as tmp:
            for k in ks:
                gdf, options, dataset_options = _export_frame(store, k, fmt)
                write_frame(
                    gdf,
                    tmp,
                    layer=k,
                    driver=driver,
                    layer_options=options,
                    dataset_options=dataset_options,
                )
        written.append((ks, path))
    return written


def export_layer(store, kind: str, fmt: str, output: Path, *, protected=None) -> Path:
    """Write one store layer to ``output`` (a file, or a folder for ``<kind><suffix>``)."""
    return export_layers(store, [kind], fmt, output, protected=protected)[0][1]
