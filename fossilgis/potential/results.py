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
    results = summarise_potential(pieces, project_of, project_areas, classed, rules, options)
    return PotentialScreen(pieces=pieces, results=results, summary=map_summary(classed))


def with_potential(project: dict, result: dict | None) -> dict:
    """``project`` with its ``potential`` result, ``registry_grade`` and combined ``grade``."""
    project["registry_grade"] = project["grade"]
    project["potential"] = result
    if result is None:
        return project
    project["grade"] = worst_grade([project["grade"], result["grade"]])
    unmapped = result.get("unmapped_area_m2") or 0
    if result["highest_class"] is not None and unmapped > 0.5:
        project["notes"].append(
            f"{unmapped:,.0f} m² 位于已导入地质图范围之外，其化石潜力未知 / {unmapped:,.0f} m² "
            "lie outside the imported geological map: their fossil potential is unknown"
        )
    return project
