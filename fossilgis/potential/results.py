"""The fossil potential part of a screening: run it over a whole screen, and fold each
project's result into its JSON form (docs/impact-check.md, ``potential``).

A project's ``grade`` is the stronger of the grade from the registered sites and sections
(kept as ``registry_grade``) and the grade the rules give the fossil potential of the
ground it disturbs (``potential.grade``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fossilgis.rules import worst_grade


@dataclass
class PotentialScreen:
    pieces: object  # GeoDataFrame (fossilgis.potential.screen.PIECE_COLUMNS)
    results: dict = field(default_factory=dict)  # project number -> result dict
    summary: dict = field(default_factory=dict)  # fossilgis.potential.screen.map_summary
    #: project number -> [((unit, name_zh, name_en, class, in_table), exact m²), ...]
    unit_areas: dict = field(default_factory=dict)


def screen_potential(
    source, geoms: np.ndarray, project_of: np.ndarray, project_areas: np.ndarray, rules, options
) -> PotentialScreen:
    """Screen every footprint (``geoms``, lon/lat; ``project_of`` their project numbers)
    against ``source``: a store (its current geological map) or a classed map."""
    from fossilgis.potential.classes import ClassedMap, current_map
    from fossilgis.potential.screen import (
        _empty,
        map_summary,
        potential_pieces,
        summarise_potential,
    )

    classed = source if isinstance(source, ClassedMap) else current_map(source)
    if classed is None:
        return PotentialScreen(pieces=_empty(), summary=map_summary(None))
    pieces = potential_pieces(geoms, classed, options)
    results, exact = summarise_potential(pieces, project_of, project_areas, classed, rules, options)
    return PotentialScreen(
        pieces=pieces, results=results, summary=map_summary(classed), unit_areas=exact
    )


#: the end of the note on ground outside the geological map (found again when merging)
UNMAPPED_NOTE = "lie outside the imported geological map: their fossil potential is unknown"


def with_potential(project: dict, result: dict | None) -> dict:
    """``project`` with its ``potential`` result, ``registry_grade`` and combined ``grade``."""
    project.setdefault("registry_grade", project["grade"])
    project["potential"] = result
    if project["notes"]:  # a merge of chunks replaces the note of an earlier pass
        project["notes"] = [n for n in project["notes"] if not n.endswith(UNMAPPED_NOTE)]
    if result is None:
        return project
    project["grade"] = worst_grade([project["registry_grade"], result["grade"]])
    unmapped = result.get("unmapped_area_m2") or 0
    if result["highest_class"] is not None and unmapped > 0.5:
        project["notes"].append(
            f"{unmapped:,.0f} m² 位于已导入地质图范围之外，其化石潜力未知 / {unmapped:,.0f} m² "
            + UNMAPPED_NOTE
        )
    return project


def merge_chunks(projects: dict, unit_areas: dict, areas: dict, rules, options) -> None:
    """Give each project of a chunked screen (``fossilgis.batch``) its potential computed
    from the exact unit areas of all its chunks (``unit_areas``: project id → parts) and its
    whole area (``areas``: project id → m²), as an in-memory screen would."""
    from fossilgis.potential.classes import current_table
    from fossilgis.potential.screen import potential_result

    if not unit_areas:
        return
    table = current_table()
    for pid, project in projects.items():
        result = potential_result(unit_areas.get(pid, []), areas[pid], table, rules, options)
        with_potential(project, result)
