"""One project's part of a screening as the stable JSON form: its impacts, attributes,
geometry types, area and notes, built from arrays computed once for the whole screen.

:func:`fossilgis.screening.screen_results` calls these once per project; nothing here makes
a frame per project, so a file split into 200 000 projects costs little more than one
(:func:`gc_paused` keeps Python's cycle collector out of that assembly).
"""

from __future__ import annotations

import functools
import gc

import numpy as np
import pandas as pd
import shapely

from fossilgis.footprints import project_area_m2
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


def geometry_types(geoms, project_of, n_projects: int) -> list[list[str]]:
    """Each project's sorted geometry type names, for every project in one vectorised pass
    (``project_of``: the project number of each footprint)."""
    import numpy as np

    type_ids = shapely.get_type_id(np.asarray(geoms)).astype(np.int64)
    known = (type_ids >= 0) & (type_ids < len(_GEOM_NAMES))
    # the set of types of each project as a bit mask; one name list per distinct mask
    masks = np.zeros(n_projects, dtype=np.int64)
    np.bitwise_or.at(masks, np.asarray(project_of)[known], np.left_shift(1, type_ids[known]))
    names = {
        int(m): sorted(_GEOM_NAMES[t] for t in range(len(_GEOM_NAMES)) if m >> t & 1)
        for m in np.unique(masks)
    }
    return [list(names[m]) for m in masks.tolist()]


class FileFields:
    """The fields a project takes from its read file, made JSON-safe once per file (a file
    split into 200 000 projects must not convert its notes and repairs 200 000 times)."""

    def __init__(self):
        self.cache: dict[int, tuple[dict, list, list]] = {}

    def __call__(self, res) -> tuple[dict, list, list]:
        key = id(res)
        if key not in self.cache:
            fields = {
                "source": res.source,
                "layer": res.layer,
                "crs_in": res.crs_in,
                "crs_basis": res.crs_basis,
                "encoding": res.encoding,
            }
            self.cache[key] = (fields, list(res.notes), [json_safe(i) for i in res.repaired])
        return self.cache[key]


def _impact_dict(rec: dict, attrs: dict) -> dict:
    fi = rec["footprint_index"]
    return {
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


#: the end of the overlap note (found again when the notes of chunks are merged)
OVERLAP_NOTE_END = "overlap one another; the shared ground is counted once in the project area"


def overlap_note(overlapping: int) -> str:
    """The project note saying how many footprints overlap (their shared ground once)."""
    return f"{overlapping} 个范围相互重叠，重叠部分只计一次面积 / {overlapping} footprints " + (
        OVERLAP_NOTE_END
    )


def project_dict(pid, file_fields, count, geom_types, impacts_of_project, area, attrs) -> dict:
    """The JSON form of one project (docs/impact-check.md).

    ``file_fields``: :class:`FileFields` of its read file; ``count``: its footprints;
    ``geom_types``: from :func:`geometry_types`; ``area``: ``(m², overlapping footprints)``.
    """
    fields, file_notes, repaired = file_fields
    # most projects of a large file touch nothing: no list to build for them
    impacts = [_impact_dict(rec, attrs) for rec in impacts_of_project] if impacts_of_project else []
    area_m2, overlapping = area
    notes = file_notes.copy()
    if overlapping:
        notes.append(overlap_note(overlapping))
    project = {"project_id": pid}
    project.update(fields)
    project.update(
        footprint_count=int(count),
        geometry_types=geom_types,
        footprint_area_m2=round(float(area_m2), 1),
        grade=worst_grade(i["grade"] for i in impacts) if impacts else "none",
        notes=notes,
        repaired=repaired.copy(),
        impacts=impacts,
    )
    return project


def measure_project_areas(geoms, counts, areas, options, dissolve=True) -> list[tuple[float, int]]:
    """Each project's ``(area_m2, overlapping)`` (:func:`project_area_m2`, or the plain sum
    without ``dissolve``); the projects' rows are contiguous in ``geoms``. A project of one
    footprint (a parcel per project) is its own area, with no overlap to look for."""
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]) if len(counts) else counts
    return [
        (float(areas[a : a + c].sum()), 0)
        if c == 1 or not dissolve
        else project_area_m2(geoms[a : a + c], options, areas[a : a + c])
        for a, c in zip(starts.tolist(), counts.tolist())
    ]


def gc_paused(func):
    """Run ``func`` with Python's cycle collector paused. Assembling 200 000 project records
    allocates millions of small containers, and each allocation burst set off a collection
    that walked every live one (1.8 s of 6.5 s); the records hold no cycles, and reference
    counting still frees everything as usual."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        was = gc.isenabled()
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            if was:
                gc.enable()

    return wrapper
