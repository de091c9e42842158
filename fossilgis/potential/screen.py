"""Screen project footprints against the fossil potential of the ground.

Each footprint, as screened (lines and points buffered in their Gauss-Krüger zone, like the
site screen), is cut by the geological map's units: one piece per footprint × unit it meets,
found with an STRtree and cut in one vectorised call. Pieces are measured as ellipsoidal
areas of their lon/lat outlines (the same exact method as a project's footprint area, see
:func:`fossilgis.footprints.ellipsoidal_area_m2`), so a project's class areas add up to its
mapped area. Per project: the area and share per class and per unit, the highest class, the
grade from the rules' ``[[potential_rule]]`` table and the actions from the potential table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from fossilgis.footprints import ellipsoidal_area_m2, screened_outlines_deg
from fossilgis.geo import CRS_GEOGRAPHIC, M2_PER_HA, M2_PER_MU

#: columns of the pieces frame (plus geometry, the piece in EPSG:4490)
PIECE_COLUMNS = [
    "footprint_pos",
    "unit_pos",
    "unit",
    "name_zh",
    "name_en",
    "potential_class",
    "area_m2",
]


def potential_pieces(fp_deg: np.ndarray, classed, options):
    """Every footprint × unit piece: a GeoDataFrame of :data:`PIECE_COLUMNS` + geometry.

    ``footprint_pos`` is the position of the footprint in ``fp_deg``; ``unit_pos`` the row of
    the unit in ``classed.frame``.
    """
    import geopandas as gpd

    fp_deg = np.asarray(fp_deg)
    if not len(fp_deg) or not len(classed.frame):
        return _empty()
    outlines = screened_outlines_deg(fp_deg, options)
    fi, ui = classed.tree.query(outlines, predicate="intersects")
    if not len(fi):
        return _empty()
    pieces = shapely.intersection(outlines[fi], classed.geoms[ui])
    keep = ~shapely.is_empty(pieces)
    fi, ui, pieces = fi[keep], ui[keep], pieces[keep]
    polygonal = np.isin(shapely.get_type_id(pieces), (3, 6, 7))
    areas = np.zeros(len(pieces))
    if polygonal.any():
        areas[polygonal] = ellipsoidal_area_m2(pieces[polygonal])
    units = classed.frame.iloc[ui]
    frame = pd.DataFrame(
        {
            "footprint_pos": fi.astype(np.int64),
            "unit_pos": ui.astype(np.int64),
            "unit": units["unit"].to_numpy(),
            "name_zh": units["name_zh"].to_numpy(),
            "name_en": units["name_en"].to_numpy(),
            "potential_class": units["potential_class"].to_numpy(),
            "area_m2": areas,
        }
    )
    return gpd.GeoDataFrame(frame, geometry=pieces, crs=CRS_GEOGRAPHIC)


def _empty():
    import geopandas as gpd

    return gpd.GeoDataFrame({c: [] for c in PIECE_COLUMNS}, geometry=[], crs=CRS_GEOGRAPHIC)


def _deduplicated_areas(pieces, project_of: np.ndarray) -> pd.DataFrame:
    """Area per (project, unit), ground shared by overlapping footprints counted once."""
    frame = pd.DataFrame(
        {
            "project_no": project_of[pieces["footprint_pos"].to_numpy()],
            "unit_pos": pieces["unit_pos"].to_numpy(),
            "area_m2": pieces["area_m2"].to_numpy(),
        }
    )
    grouped = frame.groupby(["project_no", "unit_pos"], sort=True)
    out = grouped["area_m2"].sum().reset_index()
    sizes = grouped.size().to_numpy()
    if (sizes > 1).any():
        # several footprints of one project on one unit: dissolve those pieces (they may
        # overlap) in one vectorised call, one collection per group
        group_no = grouped.ngroup().to_numpy()
        multi = np.flatnonzero(sizes > 1)
        sel = np.isin(group_no, multi)
        geoms = np.asarray(pieces.geometry.values)[sel]
        order = np.argsort(group_no[sel], kind="stable")
        ids = np.searchsorted(multi, group_no[sel][order])
        merged = shapely.buffer(shapely.geometrycollections(geoms[order], indices=ids), 0)
        out.loc[multi, "area_m2"] = ellipsoidal_area_m2(merged)
    return out


def summarise_potential(
    pieces, project_of: np.ndarray, project_areas: np.ndarray, classed, rules, options
) -> tuple[dict[int, dict], dict[int, list]]:
    """The potential result of every project number (an empty one for projects off the
    map), and the exact area of each unit per project (:data:`UnitKey` → m², for merging
    the results of chunks): ``({project_no: dict}, {project_no: [(key, m²), ...]})``."""
    table = classed.table
    areas = _deduplicated_areas(pieces, project_of) if len(pieces) else None
    # the units' attributes as plain arrays, looked up by position (never a row per call)
    cols = {c: classed.frame[c].to_numpy() for c in _UNIT_COLUMNS}
    out: dict[int, dict] = {}
    exact: dict[int, list] = {}
    groups = areas.groupby("project_no").indices if areas is not None else {}
    for n in range(len(project_areas)):
        parts = []
        if n in groups:
            rows = areas.iloc[groups[n]]
            for k, area in zip(rows["unit_pos"].tolist(), rows["area_m2"].tolist()):
                key = (
                    _text(cols["unit"][k]),
                    _text(cols["name_zh"][k]),
                    _text(cols["name_en"][k]),
                    cols["potential_class"][k],
                    bool(cols["table_row"][k]),
                )
                parts.append((key, area))
        exact[n] = parts
        out[n] = potential_result(parts, float(project_areas[n]), table, rules, options)
    return out, exact


_UNIT_COLUMNS = ("unit", "name_zh", "name_en", "potential_class", "table_row")


def _measure(area: float, total: float) -> dict:
    return {
        "area_m2": round(area, 1),
        "area_ha": round(area / M2_PER_HA, 4),
        "area_mu": round(area / M2_PER_MU, 2),
        "share": round(area / total, 4) if total > 0 else None,
    }


def potential_result(parts: list, total: float, table, rules, options) -> dict:
    """One project's potential result from its units' exact areas.

    ``parts``: ``[((unit, name_zh, name_en, class, in_table), m²), ...]`` (a unit may come
    more than once: from chunks of one file; its areas are added); ``total``: the project's
    footprint area in m².
    """
    merged: dict = {}
    for key, area in parts:
        merged[key] = merged.get(key, 0.0) + area
    units, classes = [], {}
    for (unit, name_zh, name_en, code, in_table), area in merged.items():
        classes[code] = classes.get(code, 0.0) + area
        units.append(
            {
                "unit": unit,
                "name_zh": name_zh,
                "name_en": name_en,
                "class": code,
                "in_table": in_table,
                **_measure(area, total),
            }
        )
    units.sort(key=lambda u: (-table.rank(u["class"]), -u["area_m2"]))
    mapped = sum(classes.values())
    highest = table.highest(list(classes)) if classes else None
    result = {
        "highest_class": highest,
        "classes": [
            {
                "class": code,
                "label_zh": table.classes[code].zh,
                "label_en": table.classes[code].en,
                **_measure(classes[code], total),
            }
            for code in sorted(classes, key=table.rank, reverse=True)
        ],
        "units": units,
        "mapped_area_m2": round(mapped, 1),
        "unmapped_area_m2": round(max(total - mapped, 0.0), 1) if total > 0 else None,
        "grade": "none",
        "rule_id": None,
        "reason_zh": "项目不在已导入的地质图范围内，化石潜力未知",
        "reason_en": "The project lies outside the imported geological map: its fossil "
        "potential is unknown",
        "follow_up": [],
        "legal_basis": [],
        "actions": [],
    }
    if highest is None:
        return result
    from fossilgis._rules_potential import describe

    label = table.classes[highest]
    outcome = describe(
        rules.potential_outcome(highest, options.project_type, bool(options.ground_disturbance)),
        {"class": highest, "label_zh": label.zh, "label_en": label.en},
    )
    actions = table.actions_for(highest, options.project_type) if outcome.grade != "none" else []
    result.update(
        grade=outcome.grade,
        rule_id=outcome.rule_id,
        reason_zh=outcome.reason_zh,
        reason_en=outcome.reason_en,
        follow_up=list(outcome.follow_up),
        legal_basis=list(outcome.legal_basis),
        actions=[{"id": a.id, "zh": a.zh, "en": a.en} for a in actions],
    )
    return result


def _text(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return str(value)


def map_summary(classed) -> dict:
    """What the screen was measured against: the map's version and size, the table's."""
    if classed is None:
        return {"formations_version": 0, "units": 0, "table_version": None}
    return {
        "formations_version": classed.version,
        "units": int(len(classed.frame)),
        "not_in_table": classed.unmatched_count,
        "table_version": classed.table.version,
    }
