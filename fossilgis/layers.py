"""Reference layers: load the versioned sources, validate, import a registry, export.

Pure functions over GeoDataFrames plus thin wrappers that talk to a store. Validation of a
layer *file* streams it feature by feature with fiona, so that every problem names the
feature (its number and id) and memory stays bounded however large the registry is.
"""

from __future__ import annotations

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

MAX_PROBLEMS_SHOWN = 20


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
def _feature_problems(kind: str, label: str, props: dict, geom, seen: dict) -> Iterator[str]:
    import shapely

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
    if geom is None or geom.is_empty:
        yield f"{label}: has no geometry"
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

            problems += validate_features(kind, stream())
    except fiona.errors.FionaError as exc:
        raise InputFileError(f"{path}: cannot be read as a layer ({exc})") from None
    return problems


def raise_if_problems(problems: list[str], what: str) -> None:
    if problems:
        shown = problems[:MAX_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        text = "\n  ".join(shown) + (f"\n  ... and {more} more" if more > 0 else "")
        raise LayerValidationError(
            f"{what} has {len(problems)} problem(s); nothing was changed:\n  {text}", problems
        )


# -- build, import, export ------------------------------------------------------------
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


def export_layer(store, kind: str, fmt: str, output: Path) -> Path:
    """Write a store layer to ``output`` in one of :data:`EXPORT_FORMATS`."""
    import pyogrio

    check_kind(kind)
    if fmt not in EXPORT_FORMATS:
        raise FossilGISError(f"unknown format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")
    driver, suffix = EXPORT_FORMATS[fmt]
    output = Path(output)
    if output.is_dir():
        output = output / f"{kind}{suffix}"
    gdf = store.read_layer(kind).drop(columns=["extra"])
    options, dataset_options = {}, {}
    if fmt == "shp":
        gdf = gdf.rename(columns=SHAPEFILE_NAMES)
        options["ENCODING"] = "UTF-8"
    elif fmt == "csv":
        options.update(GEOMETRY="AS_WKT", WRITE_BOM="YES")
    elif fmt == "kml":
        dataset_options["NameField"] = "name_zh"
    if output.exists():
        output.unlink()
    pyogrio.write_dataframe(gdf, output, layer=kind, driver=driver, layer_options=options,
                            dataset_options=dataset_options)
    return output
