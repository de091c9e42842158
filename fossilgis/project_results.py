"""One project's part of a screening as the stable JSON form: its impacts, attributes,
geometry types, area and notes, built from arrays computed once for the whole screen.

:func:`fossilgis.screening.screen_results` calls these once per project; nothing here makes
a frame per project, so a file split into 200 000 projects costs little more than one.
"""

from __future__ import annotations

import pandas as pd
import shapely

from fossilgis.impact import worst_grade
from fossilgis.serving import json_safe


def _round(value, digits):
    v = json_safe(value)
    return None if v is None else round(v, digits)


def impact_records(imp) -> dict[int, list[dict]]:
    """The impacts as plain dicts grouped by project number (one conversion, not per project)."""
    if not len(imp):
        return {}
    plain = pd.DataFrame(imp.drop(columns=["geometry", "project_id"]))
    out: dict[int, list[dict]] = {}
    for rec in plain.to_dict("records"):
        out.setdefault(int(rec.pop("project_no")), []).append(rec)
    return out


class Attributes:
    """JSON-safe attributes of the footprints that have impacts, per read file (computed once
    per file: one project per ``--id-field`` value must not cost a frame each)."""

    def __init__(self, imp):
        self.wanted: set = set()
        if len(imp):
            self.wanted = set(imp["footprint_index"].tolist())
        self.cache: dict[int, dict] = {}

    def __call__(self, res) -> dict:
        key = id(res)
        if key not in self.cache:
            gdf = res.gdf
            keep = [i for i in gdf.index if i in self.wanted] if self.wanted else []
            attrs = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).loc[keep]
            self.cache[key] = {
                idx: {str(k): json_safe(v) for k, v in rec.items()}
                for idx, rec in zip(attrs.index, attrs.to_dict("records"))
            }
        return self.cache[key]


_GEOM_NAMES = {
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}


def project_dict(pid, res, geoms, impacts_of_project, area, attrs) -> dict:
    """The JSON form of one project (docs/impact-check.md) from its rows."""
    impacts = []
    for rec in impacts_of_project:
        fi = rec["footprint_index"]
        impacts.append(
            {
                "footprint_index": json_safe(fi),
                "footprint": attrs.get(fi, {}),
                "target_kind": rec["target_kind"],
                "target_id": rec["target_id"],
                "target_name_zh": rec["target_name_zh"],
                "target_name_en": rec["target_name_en"],
                "protection_level": rec["protection_level"],
                "zone": rec["zone"],
                "distance_m": _round(rec["distance_m"], 1),
                "bearing_deg": _round(rec["bearing_deg"], 1),
                "overlap_area_m2": _round(rec["overlap_area_m2"], 1),
                "overlap_area_ha": _round(rec["overlap_area_ha"], 4),
                "overlap_area_mu": _round(rec["overlap_area_mu"], 2),
                "target_share": _round(rec["target_share"], 4),
                "grade": rec["grade"],
                "reason_zh": rec["reason_zh"],
                "reason_en": rec["reason_en"],
                "follow_up": list(rec["follow_up"]),
                "legal_basis": list(rec["legal_basis"]),
            }
        )
    type_ids = shapely.get_type_id(geoms)
    geom_types = sorted({_GEOM_NAMES[t] for t in type_ids.tolist() if t in _GEOM_NAMES})
    area_m2, overlapping = area
    notes = list(res.notes)
    if overlapping:
        notes.append(
            f"{overlapping} 个范围相互重叠，重叠部分只计一次面积 / {overlapping} footprints "
            f"overlap one another; the shared ground is counted once in the project area"
        )
    return {
        "project_id": pid,
        "source": res.source,
        "layer": res.layer,
        "crs_in": res.crs_in,
        "crs_basis": res.crs_basis,
        "encoding": res.encoding,
        "footprint_count": int(len(geoms)),
        "geometry_types": geom_types,
        "footprint_area_m2": round(area_m2, 1),
        "grade": worst_grade(i["grade"] for i in impacts),
        "notes": notes,
        "repaired": [json_safe(i) for i in res.repaired],
        "impacts": impacts,
    }
