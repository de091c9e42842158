"""Validation of reference layers: every problem of every feature, named by feature."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from fossilgis.errors import InputFileError, LayerValidationError
from fossilgis.geo import GUIZHOU_BOUNDS, format_bounds
from fossilgis.schema import (
    ANY_OF,
    BOUNDARY_STATUSES,
    IMPORT_KINDS,
    LAYER_FIELDS,
    LAYER_GEOMETRY,
    PROTECTION_LEVELS,
    check_kind,
)


def _attribute_problems(kind: str, label: str, props: dict, seen: dict) -> Iterator[str]:
    needs_one = ANY_OF.get(kind)
    if needs_one and not any(_filled(props.get(n)) for n in needs_one):
        yield f"{label}: needs one of the fields {', '.join(needs_one)}; all are empty"
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


def _filled(value) -> bool:
    return (
        value is not None
        and not (isinstance(value, float) and value != value)
        and (not isinstance(value, str) or bool(value.strip()))
    )


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


def unusable_geometries(geoms) -> dict[int, str]:
    """:func:`_unusable_geometry` of many geometries at once: {position: why} of those that
    cannot be used (vectorised: a geological map has tens of thousands of features)."""
    import numpy as np
    import shapely

    geoms = np.asarray(geoms, dtype=object)
    out = {
        int(i): "has no geometry (null or empty)"
        for i in np.flatnonzero(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    }
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    bad = np.unique(index[~np.isfinite(coords).all(axis=1)])
    out.update({int(i): "has NaN or infinite coordinates (坐标无效)" for i in bad if i not in out})
    return out


def geometries_fine(kind: str, geoms):
    """Which geometries :func:`_geometry_problems` would find nothing wrong with, computed in
    vectorised calls; the per-feature checks then run only on the others."""
    import numpy as np
    import shapely

    geoms = np.asarray(geoms, dtype=object)
    fine = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    types = np.array([g.geom_type if g is not None else "" for g in geoms], dtype=object)
    fine &= np.isin(types, LAYER_GEOMETRY[kind])
    fine[fine] &= shapely.is_valid(geoms[fine])
    bounds = shapely.bounds(geoms)
    gx0, gy0, gx1, gy1 = GUIZHOU_BOUNDS
    with np.errstate(invalid="ignore"):
        inside = (
            (bounds[:, 0] >= gx0)
            & (bounds[:, 1] >= gy0)
            & (bounds[:, 2] <= gx1)
            & (bounds[:, 3] <= gy1)
        )
    return fine & inside


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
    check_kind(kind, IMPORT_KINDS)
    seen: dict = {}
    problems: list[str] = []
    for label, props, geom in features:
        problems.extend(_feature_problems(kind, label, props, geom, seen))
    return problems


def _label(i: int, props: dict) -> str:
    fid = props.get("id")
    if fid not in (None, ""):
        return f"feature {i} (id {fid})"
    unit = props.get("unit")  # a geological map's unit code (formations)
    return f"feature {i}" + (f" ({unit})" if _filled(unit) else "")


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
