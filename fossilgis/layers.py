"""Reference layers: load the versioned sources, validate, import a registry, export.

Pure functions over GeoDataFrames plus thin wrappers that talk to a store. Validation of a
layer *file* streams it feature by feature with fiona, so that every problem names the
feature (its number and id) and memory stays bounded however large the registry is.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from fossilgis.errors import FossilGISError, InputFileError, LayerValidationError
from fossilgis.geo import GUIZHOU_BOUNDS, format_bounds
from fossilgis.schema import (
    BOUNDARY_STATUSES,
    LAYER_FIELDS,
    LAYER_GEOMETRY,
    LAYER_KINDS,
    PROTECTION_LEVEL_ALIASES,
    PROTECTION_LEVELS,
    check_kind,
    field_names,
)

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


# -- validation -----------------------------------------------------------------------
def _attribute_problems(kind: str, label: str, props: dict, seen: dict) -> Iterator[str]:
    for name, ftype, required in LAYER_FIELDS[kind]:
        value = props.get(name)
        if required and (value is None or (isinstance(value, str) and not value.strip())):
            yield f"{label}: required field {name!r} is empty"
        elif value is not None and ftype == "float":
            try:
                if float(value) < 0:
                    yield f"{label}: {name} = {value!r} must not be negative"
            except (TypeError, ValueError):
                yield f"{label}: {name} = {value!r} is not a number"
    level = props.get("protection_level")
    if level is not None and level not in PROTECTION_LEVELS:
        yield (
            f"{label}: protection_level = {level!r}; expected one of {', '.join(PROTECTION_LEVELS)}"
        )
    status = props.get("boundary_status")
    if status is not None and status not in BOUNDARY_STATUSES:
        yield (
            f"{label}: boundary_status = {status!r}; expected one of {', '.join(BOUNDARY_STATUSES)}"
        )
    fid = props.get("id")
    if fid is not None:
        if fid in seen:
            yield f"{label}: id {fid!r} is used again (first by {seen[fid]})"
        else:
            seen[fid] = label


def _unusable_geometry(geom) -> str | None:
    """Why a geometry cannot be used at all (no geometry, NaN coordinates), or None.

    Checked on the file's own coordinates, before any transformation or repair.
    """
    import numpy as np
    import shapely

    if geom is None or geom.is_empty:
        return "has no geometry (null or empty)"
    if not np.isfinite(shapely.get_coordinates(geom)).all():
        return "has NaN or infinite coordinates (坐标无效)"
    return None


def _geometry_problems(kind: str, label: str, geom) -> Iterator[str]:
    import shapely

    unusable = _unusable_geometry(geom)
    if unusable:
        yield f"{label}: {unusable}"
        return
    if geom.geom_type not in LAYER_GEOMETRY[kind]:
        yield (
            f"{label}: geometry is {geom.geom_type}; {kind} need "
            f"{' or '.join(LAYER_GEOMETRY[kind])}"
        )
    elif not geom.is_valid:
        yield f"{label}: invalid geometry ({shapely.is_valid_reason(geom)})"
    minx, miny, maxx, maxy = geom.bounds
    gx0, gy0, gx1, gy1 = GUIZHOU_BOUNDS
    if minx < gx0 or miny < gy0 or maxx > gx1 or maxy > gy1:
        yield (
            f"{label}: lies outside Guizhou: bounds {format_bounds(geom.bounds)}, expected "
            f"within {format_bounds(GUIZHOU_BOUNDS, 1)} (lon/lat, CGCS2000)"
        )


@contextlib.contextmanager
def _nan_reported_per_feature():
    """Read geometries with NaN coordinates without shapely's "invalid value" warning:
    each such feature is reported as a problem naming it (``_unusable_geometry``)."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
        yield


#: passed as the geometry of a feature whose geometry problem is already reported
_REPORTED = object()


def _feature_problems(kind: str, label: str, props: dict, geom, seen: dict) -> Iterator[str]:
    yield from _attribute_problems(kind, label, props, seen)
    if geom is not _REPORTED:
        yield from _geometry_problems(kind, label, geom)


def validate_features(kind: str, features: Iterable[tuple[str, dict, object]]) -> list[str]:
    """Problems found in ``(label, properties, shapely geometry)`` triples; [] when valid."""
    check_kind(kind)
    seen: dict = {}
    problems: list[str] = []
    for label, props, geom in features:
        problems.extend(_feature_problems(kind, label, props, geom, seen))
    return problems


def _label(i: int, props: dict) -> str:
    fid = props.get("id")
    return f"feature {i}" + (f" (id {fid})" if fid not in (None, "") else "")


def validate_layer(gdf, kind: str) -> list[str]:
    """Problems in a layer held as a GeoDataFrame (EPSG:4490); [] when valid."""
    if gdf.crs is None or not gdf.crs.equals("EPSG:4490") and gdf.crs.to_epsg() not in (4326, 4490):
        return [f"{kind}: CRS is {gdf.crs}; layers are stored in CGCS2000 (EPSG:4490)"]
    if len(gdf) == 0:
        return [f"{kind}: the layer has no features"]
    missing = [n for n, _, req in LAYER_FIELDS[kind] if req and n not in gdf.columns]
    if missing:
        return [f"{kind}: missing required field(s) {', '.join(missing)}"]
    records = gdf.drop(columns=gdf.geometry.name).to_dict("records")
    return validate_features(
        kind,
        (
            (_label(i, _clean(r)), _clean(r), g)
            for i, (r, g) in enumerate(zip(records, gdf.geometry.values))
        ),
    )


def _clean(props: dict) -> dict:
    import math

    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in props.items()}


def validate_file(path: Path, kind: str) -> list[str]:
    """Stream a layer file (GeoJSON, GeoPackage, Shapefile) with fiona and validate it."""
    import fiona
    from shapely.geometry import shape

    path = Path(path)
    problems: list[str] = []
    try:
        with fiona.open(path) as src:
            crs = src.crs
            if crs and crs.to_epsg() not in (None, 4326, 4490):
                problems.append(f"{path.name}: CRS {crs} is not CGCS2000/WGS 84 lon/lat")
            missing = [
                n for n, _, req in LAYER_FIELDS[kind] if req and n not in src.schema["properties"]
            ]
            if missing:
                return [f"{path.name}: missing required field(s) {', '.join(missing)}"]

            def stream():
                for i, feat in enumerate(src):
                    props = dict(feat.properties)
                    geom = shape(feat.geometry) if feat.geometry else None
                    yield f"{path.name} {_label(i, props)}", props, geom

            with _nan_reported_per_feature():
                problems += validate_features(kind, stream())
    except fiona.errors.FionaError as exc:
        raise InputFileError(f"{path}: cannot be read as a layer ({exc})") from None
    return problems


def raise_if_problems(problems: list[str], what: str) -> None:
    """Raise LayerValidationError listing every problem (all of them: an import is all or
    nothing, so the office needs the full list to fix the registry in one go)."""
    if problems:
        text = "\n  ".join(problems)
        raise LayerValidationError(
            f"{what} has {len(problems)} problem(s); nothing was changed:\n  {text}", problems
        )


# -- build, import ------------------------------------------------------------
def build_store(store, kinds: Iterable[str] = LAYER_KINDS, *, user: str | None = None
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


def parse_mapping(pairs: Iterable[str]) -> dict[str, str]:
    """``["name_zh=名称", ...]`` → {source field: fossilgis field}."""
    mapping = {}
    for pair in pairs:
        target, sep, source = pair.partition("=")
        target, source = target.strip(), source.strip()
        if not sep or not target or not source:
            raise FossilGISError(f"--map {pair!r}: expected FIELD=SOURCE_FIELD, e.g. name_zh=名称")
        mapping[source] = target
    return mapping


def prepare_registry(gdf, kind: str, mapping: dict[str, str], *, defaults: dict | None = None):
    """Rename the registry's fields to the fossilgis schema and fill declared defaults.

    Protection levels written as Chinese labels (国家级重点, 省级重点, 一般, ...; see
    :data:`fossilgis.schema.PROTECTION_LEVEL_ALIASES`) become the fossilgis codes; any
    other value is left for validation to report.
    """
    check_kind(kind)
    absent = [src for src in mapping if src not in gdf.columns]
    if absent:
        raise InputFileError(
            f"--map names field(s) {', '.join(absent)} that the file does not have; its fields "
            f"are: {', '.join(c for c in gdf.columns if c != gdf.geometry.name)}"
        )
    gdf = gdf.rename(columns=mapping)
    for name, value in (defaults or {}).items():
        if name not in gdf.columns:
            gdf[name] = value
        else:
            gdf[name] = gdf[name].fillna(value)
    for name in field_names(kind):
        if name not in gdf.columns:
            gdf[name] = None
    if "id" in gdf:
        gdf["id"] = gdf["id"].map(lambda v: None if v is None else str(v).strip())
    gdf["protection_level"] = gdf["protection_level"].map(
        lambda v: PROTECTION_LEVEL_ALIASES.get(v.strip(), v.strip()) if isinstance(v, str) else v
    )
    return gdf


def read_registry(
    path,
    kind: str,
    *,
    mapping: dict[str, str] | None = None,
    defaults: dict | None = None,
    crs=None,
    layer: str | None = None,
    encoding: str | None = None,
):
    """Read the office's registry for ``layers import``: every feature usable, or nothing.

    Unlike :func:`fossilgis.io.read_vector` (which drops rows without geometry and refuses
    NaN coordinates for the whole file), every feature is checked, in the file's order,
    and each one that cannot be used is reported by its number and id: no or empty
    geometry, NaN/infinite coordinates, the exact geometry of an earlier feature (which
    ``read_vector`` would drop as a repeat), a geometry that collapses when repaired, the
    wrong geometry family, invalid geometry, outside Guizhou, a duplicate id, a missing required
    attribute or an unknown protection level / boundary status.

    Parameters
    ----------
    path : path
        The registry file (any kind ``read_vector`` reads).
    kind : "sites" | "sections"
    mapping, defaults : dict
        As for :func:`prepare_registry`.
    crs, layer, encoding
        As for :func:`fossilgis.io.read_vector`.

    Returns
    -------
    (GeoDataFrame, fossilgis.io.ReadResult)
        The layer in the fossilgis schema (EPSG:4490) and how the file was read (CRS,
        encoding, notes).

    Raises
    ------
    LayerValidationError
        Listing every problem of every feature; ``problems`` holds them.
    FossilGISError
        The file cannot be read (missing CRS, unknown format, several layers...).
    """
    import dataclasses

    import geopandas as gpd
    import numpy as np
    import shapely

    from fossilgis.errors import InputNotFoundError
    from fossilgis.io import read as _read

    check_kind(kind)
    path = Path(path)
    source = _read.display_name(path.name)
    if not path.exists():
        raise InputNotFoundError(f"{source}: no such file (文件不存在): {path}")
    if path.suffix.lower() not in _read.SUPPORTED_SUFFIXES:
        raise _read._unsupported(source, path.suffix.lower())
    user_crs = _read.parse_user_crs(crs) if crs is not None else None

    def unreadable(exc):
        return InputFileError(
            f"{source} could not be read ({type(exc).__name__}: {exc}) (文件无法读取)"
        )

    # the same readers as read_vector (its limits, non-UTF-8 names); no row is dropped here
    try:
        with _read._gdal_safe(path) as readable, _nan_reported_per_feature():
            raws = [r for r in _read._read_raw(readable, source, layer, encoding) if len(r.gdf)]
    except FossilGISError:
        raise
    except _read._LIBRARY_ERRORS as exc:
        raise unreadable(exc) from exc
    if not raws:
        raise InputFileError(f"{source} contains no features (没有要素); nothing to import")
    if len(raws) > 1:
        names = ", ".join(str(r.layer) for r in raws)
        raise InputFileError(
            f"{source} holds several layers ({names}); choose one with --layer"
        )
    raw = raws[0]
    gdf = raw.gdf.reset_index(drop=True)
    props_gdf = prepare_registry(gdf, kind, mapping or {}, defaults=defaults)
    records = [_clean(r) for r in props_gdf.drop(columns=props_gdf.geometry.name)
               .to_dict("records")]
    labels = [f"{source} {_label(i, r)}" for i, r in enumerate(records)]

    # geometry that cannot be used at all, judged in the file's own units; read_vector
    # would drop these rows (or refuse the whole file) instead of naming them
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    unusable = {i: _unusable_geometry(g) for i, g in enumerate(geoms)}
    unusable = {i: why for i, why in unusable.items() if why}
    candidates = [i for i in range(len(geoms)) if i not in unusable]
    first_with: dict[bytes, int] = {}
    for i in candidates:
        key = shapely.to_wkb(shapely.normalize(shapely.force_2d(geoms[i])))
        if key in first_with:
            unusable[i] = (f"repeats the geometry of {labels[first_with[key]]} exactly "
                           "(a feature entered twice?)")
        else:
            first_with[key] = i
    candidates = [i for i in candidates if i not in unusable]
    if candidates:
        fixed, _ = _read._repair(shapely.force_2d(geoms[candidates]))
        for i, g in zip(candidates, fixed):
            if g is None or g.is_empty:
                unusable[i] = "has an invalid geometry that collapses to nothing when repaired"
    good = [i for i in range(len(geoms)) if i not in unusable]
    final = [None] * len(geoms)
    result = None
    if good:
        subset = dataclasses.replace(raw, gdf=gdf.iloc[good].reset_index(drop=True),
                                     notes=list(raw.notes))
        try:
            result = _read._finish(subset, user_crs)
        except FossilGISError:
            raise
        except _read._LIBRARY_ERRORS as exc:
            raise unreadable(exc) from exc
        if result is None or len(result.gdf) != len(good):
            # the reader dropped a row after all: never import a silently shortened layer
            raise InputFileError(
                f"{source}: {len(good) - (0 if result is None else len(result.gdf))} "
                "feature(s) were dropped while reading; nothing was changed. Notes: "
                + "; ".join(result.notes if result else subset.notes)
            )
        for i, g in zip(good, result.gdf.geometry.values):
            final[i] = g

    seen: dict = {}
    problems: list[str] = []
    for i, (label, props) in enumerate(zip(labels, records)):
        if i in unusable:
            problems.append(f"{label}: {unusable[i]}")
            problems.extend(_feature_problems(kind, label, props, _REPORTED, seen))
        else:
            problems.extend(_feature_problems(kind, label, props, final[i], seen))
    raise_if_problems(problems, f"{source} (as {kind})")
    out = gpd.GeoDataFrame(props_gdf.drop(columns=props_gdf.geometry.name),
                           geometry=final, crs="EPSG:4490")
    return out, result


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
                write_frame(gdf, tmp, layer=k, driver=driver, layer_options=options,
                            dataset_options=dataset_options)
        written.append((ks, path))
    return written


def export_layer(store, kind: str, fmt: str, output: Path, *, protected=None) -> Path:
    """Write one store layer to ``output`` (a file, or a folder for ``<kind><suffix>``)."""
    return export_layers(store, [kind], fmt, output, protected=protected)[0][1]
