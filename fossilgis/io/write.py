"""Writing screening results as GIS files (GeoJSON, GeoPackage), atomically."""

from __future__ import annotations

import json
from pathlib import Path

from fossilgis.errors import FossilGISError

#: the columns every footprint row starts with (GeoJSON features of role "footprint" and
#: the GeoPackage layer ``footprints``); the footprint's own attributes follow
FOOTPRINT_COLUMNS = [
    "project_id",
    "footprint_index",
    "project_grade",
    "footprint_area_m2",
    "rules_version",
]


def _grades(screening) -> dict:
    return {p["project_id"]: p["grade"] for p in screening.projects}


def _impact_frame(screening):
    """One row per footprint × target pair; geometry the overlap with the target's core."""
    import geopandas as gpd
    import shapely

    imp = screening.impacts.copy()
    for col in ("follow_up", "legal_basis"):
        imp[col] = imp[col].map(lambda v: json.dumps(list(v), ensure_ascii=False))
    geoms = imp.geometry.values
    empty = shapely.is_empty(geoms) | shapely.is_missing(geoms)
    imp = gpd.GeoDataFrame(
        imp.drop(columns="geometry"),
        geometry=[None if e else g for g, e in zip(geoms, empty)],
        crs="EPSG:4490",
    )
    imp.insert(1, "project_grade", imp["project_id"].map(_grades(screening)))
    # footprint_index keeps the input's type: the reader's RangeIndex gives int64
    imp["rules_version"] = screening.rules.version
    return imp


def _attribute_column(values: list):
    """A column of one attribute: integers stay integers (nullable) where some are missing."""
    import pandas as pd

    present = [v for v in values if v is not None]
    if not present:
        return pd.Series(values, dtype=object)
    if all(isinstance(v, bool) for v in present):
        return pd.array(values, dtype="boolean")
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pd.array(values, dtype="Int64")
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return pd.Series(values, dtype=float)
    if all(isinstance(v, str) for v in present):
        return pd.Series(values, dtype=object)
    # mixed or nested values: written as JSON text
    return pd.Series(
        [None if v is None else json.dumps(v, ensure_ascii=False) for v in values], dtype=object
    )


def _footprint_attributes(screening, keys: list, taken: set[str]) -> dict:
    """The footprints' own attributes, as far as the screening holds them.

    The screening keeps the attributes of footprints that have impacts (the ``footprint``
    of each impact); other footprints get nulls. A name that clashes (in any case) with a
    column of the output (``taken``) is written as ``attr_<name>``.
    """
    found: dict = {}
    for p in screening.projects:
        for imp in p["impacts"]:
            found.setdefault((p["project_id"], imp["footprint_index"]), imp.get("footprint", {}))
    names = list(dict.fromkeys(k for attrs in found.values() for k in attrs))
    out = {}
    used = {t.lower() for t in taken}
    for name in names:
        column = name
        while column.lower() in used:
            column = f"attr_{column}"
        used.add(column.lower())
        values = [found.get(key, {}).get(name) for key in keys]
        out[column] = _attribute_column(values)
    return out


def _footprint_frame(screening):
    """One row per screened footprint: :data:`FOOTPRINT_COLUMNS`, then its own attributes.

    An attribute named like a column of either row kind is renamed (the same name in
    GeoJSON and GeoPackage).
    """
    import geopandas as gpd
    import pandas as pd

    from fossilgis.impact import IMPACT_COLUMNS

    fps = screening.footprints
    keys = list(zip(fps["project_id"].tolist(), fps["footprint_index"].tolist()))
    columns = {
        "project_id": fps["project_id"].to_numpy(),
        "footprint_index": fps["footprint_index"].to_numpy(),
        "project_grade": fps["project_id"].map(_grades(screening)).to_numpy(),
        "footprint_area_m2": fps["footprint_area_m2"].to_numpy(dtype=float),
        "rules_version": screening.rules.version,
    }
    taken = {*FOOTPRINT_COLUMNS, *IMPACT_COLUMNS, "role", "geometry", "fid"}
    attrs = _footprint_attributes(screening, keys, taken)
    frame = pd.DataFrame({**columns, **attrs}, index=pd.RangeIndex(len(fps)))
    return gpd.GeoDataFrame(frame, geometry=fps.geometry.values, crs="EPSG:4490")


def _has_potential(screening) -> bool:
    """Whether the screening was measured against a geological map."""
    return bool((screening.potential_map or {}).get("formations_version"))


def _potential_frame(screening):
    """One row per footprint × geological unit: the piece of the footprint on that unit."""
    import geopandas as gpd

    from fossilgis.geo import M2_PER_HA, M2_PER_MU

    pieces = screening.potential
    grades = {p["project_id"]: (p["potential"] or {}).get("grade") for p in screening.projects}
    frame = gpd.GeoDataFrame(
        {
            "project_id": pieces["project_id"].to_numpy(),
            "footprint_index": pieces["footprint_index"].to_numpy(),
            "project_grade": pieces["project_id"].map(_grades(screening)).to_numpy(),
            "potential_grade": pieces["project_id"].map(grades).to_numpy(),
            "unit": pieces["unit"].to_numpy(),
            "name_zh": pieces["name_zh"].to_numpy(),
            "name_en": pieces["name_en"].to_numpy(),
            "potential_class": pieces["potential_class"].to_numpy(),
            "area_m2": pieces["area_m2"].to_numpy(dtype=float),
            "area_ha": pieces["area_m2"].to_numpy(dtype=float) / M2_PER_HA,
            "area_mu": pieces["area_m2"].to_numpy(dtype=float) / M2_PER_MU,
            "rules_version": screening.rules.version,
            "potential_table": (screening.potential_map or {}).get("table_version"),
        },
        geometry=pieces.geometry.values,
        crs="EPSG:4490",
    )
    return frame


def _one_collection(screening):
    """Footprints, impacts, then the geological pieces in one frame, told apart by ``role``."""
    import geopandas as gpd
    import pandas as pd

    imp = _impact_frame(screening)
    fps = _footprint_frame(screening)
    fps.insert(0, "role", "footprint")
    imp.insert(0, "role", "impact")
    parts = [fps, imp]
    if _has_potential(screening):
        pot = _potential_frame(screening)
        pot.insert(0, "role", "potential")
        parts.append(pot)
    both = pd.concat(parts, ignore_index=True)
    return gpd.GeoDataFrame(both, geometry="geometry", crs="EPSG:4490")


def write_screening(screening, path, fmt: str, *, protected=None) -> Path:
    """Write the footprints and the overlaps of a screening as a GIS file.

    GeoJSON holds one FeatureCollection (named ``screening``) whose features carry a
    ``role``: first one ``"footprint"`` per screened footprint (its geometry, project_id,
    footprint_index, project_grade, footprint_area_m2 and the footprint's own attributes
    where the screening holds them), then one ``"impact"`` per footprint × target pair, its
    geometry the overlap with the target's core (null when they do not overlap), then, when
    the store holds a geological map, one ``"potential"`` per footprint × geological unit,
    its geometry the piece of the footprint on that unit (unit, names, potential_class,
    area_m2/ha/mu). GeoPackage holds the same as layers ``footprints``, ``impacts`` and
    ``potential``. Identifiers keep their
    types (``footprint_index`` is an integer for files read by :mod:`fossilgis.io`) and
    integer attributes stay integers.

    The file is written whole or not at all (:func:`fossilgis.io.atomic.atomic_output`);
    ``protected`` (usually ``store.protected_paths()``) are paths it must not be.
    """
    from fossilgis.io.atomic import atomic_output, write_frame

    path = Path(path)
    if fmt not in ("geojson", "gpkg"):
        raise FossilGISError(f"cannot write format {fmt!r} as a GIS file")
    with atomic_output(path, protected) as tmp:
        if fmt == "geojson":
            write_frame(
                _one_collection(screening),
                tmp,
                driver="GeoJSON",
                layer="screening",
                layer_options={"RFC7946": "YES"},
            )
        else:
            write_frame(
                _impact_frame(screening),
                tmp,
                driver="GPKG",
                layer="impacts",
                geometry_type="Unknown",
            )
            write_frame(
                _footprint_frame(screening),
                tmp,
                driver="GPKG",
                layer="footprints",
                geometry_type="Unknown",
                append=False,
            )
            if _has_potential(screening):
                write_frame(
                    _potential_frame(screening),
                    tmp,
                    driver="GPKG",
                    layer="potential",
                    geometry_type="Unknown",
                    append=False,
                )
    return path
