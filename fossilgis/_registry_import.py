"""Import an official registry: map its fields to the fossilgis schema, read and check it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from fossilgis._layer_checks import (
    _REPORTED,
    _clean,
    _feature_problems,
    _label,
    _nan_reported_per_feature,
    geometries_fine,
    raise_if_problems,
    unusable_geometries,
)
from fossilgis.errors import FossilGISError, InputFileError
from fossilgis.schema import IMPORT_KINDS, PROTECTION_LEVEL_ALIASES, check_kind, field_names


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
    check_kind(kind, IMPORT_KINDS)
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
    if "protection_level" in gdf:
        gdf["protection_level"] = gdf["protection_level"].map(
            lambda v: (
                PROTECTION_LEVEL_ALIASES.get(v.strip(), v.strip()) if isinstance(v, str) else v
            )
        )
    return gdf


def _placeholder(props: dict) -> bool:
    """Whether a registry row's boundary is approximate (a placeholder around a point)."""
    return props.get("boundary_status") == "approximate"


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
    kind : "sites" | "sections" | "formations"
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

    check_kind(kind, IMPORT_KINDS)
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
        raise InputFileError(f"{source} holds several layers ({names}); choose one with --layer")
    raw = raws[0]
    gdf = raw.gdf.reset_index(drop=True)
    props_gdf = prepare_registry(gdf, kind, mapping or {}, defaults=defaults)
    records = [
        _clean(r) for r in props_gdf.drop(columns=props_gdf.geometry.name).to_dict("records")
    ]
    labels = [f"{source} {_label(i, r)}" for i, r in enumerate(records)]

    # geometry that cannot be used at all, judged in the file's own units; read_vector
    # would drop these rows (or refuse the whole file) instead of naming them
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    unusable = unusable_geometries(geoms)
    candidates = [i for i in range(len(geoms)) if i not in unusable]
    first_with: dict[bytes, int] = {}
    shared: list[str] = []
    # one vectorised call for every key (a geological map has tens of thousands of units)
    keys = shapely.to_wkb(shapely.normalize(shapely.force_2d(geoms[candidates])))
    for i, key in zip(candidates, keys.tolist()):
        if key not in first_with:
            first_with[key] = i
        elif _placeholder(records[i]) and _placeholder(records[first_with[key]]):
            # approximate shapes drawn around one county-seat point coincide honestly
            # (layers/README.md, "Overlapping shapes"); surveyed ones never should
            shared.append(
                f"{labels[i]} shares its approximate shape with {labels[first_with[key]]}"
            )
        else:
            unusable[i] = (
                f"repeats the geometry of {labels[first_with[key]]} exactly "
                "(a feature entered twice?)"
            )
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
        subset = dataclasses.replace(
            raw, gdf=gdf.iloc[good].reset_index(drop=True), notes=list(raw.notes)
        )
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
        result.notes.extend(
            f"{n} (近似范围重合，照常导入 / kept: approximate shapes may coincide)" for n in shared
        )

    seen: dict = {}
    problems: list[str] = []
    # geometry checks one feature at a time only where the vectorised ones found something
    fine = geometries_fine(kind, final)
    for i, (label, props) in enumerate(zip(labels, records)):
        if i in unusable:
            problems.append(f"{label}: {unusable[i]}")
            problems.extend(_feature_problems(kind, label, props, _REPORTED, seen))
        else:
            geom = _REPORTED if fine[i] else final[i]
            problems.extend(_feature_problems(kind, label, props, geom, seen))
    raise_if_problems(problems, f"{source} (as {kind})")
    out = gpd.GeoDataFrame(
        props_gdf.drop(columns=props_gdf.geometry.name), geometry=final, crs="EPSG:4490"
    )
    return out, result
