"""Screening inputs too large for memory: stream the file in chunks and merge the results.

Each chunk is read and screened on its own (:func:`fossilgis.screening.screen_results`);
only the impacts and per-project totals are kept, so memory stays bounded by the chunk
size however many footprints the file holds. The projects' ground areas are then measured
over the whole file, tile by tile (:mod:`fossilgis.tiled_areas`), so that ground shared by
footprints of two chunks counts once. The merged result has the same JSON form
as an in-memory screen (the fossil potential of a project split over chunks included);
it does not keep the footprints themselves nor their pieces on the geological map (the
HTML report then shows no sketch map, and a GeoPackage output has empty footprints and
potential layers).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from fossilgis.errors import InputFileError
from fossilgis.impact import ScreenOptions
from fossilgis.potential.results import merge_chunks
from fossilgis.project_results import OVERLAP_NOTE_END, gc_paused, overlap_note
from fossilgis.rules import worst_grade
from fossilgis.screening import Screening, _split_projects, screen_results
from fossilgis.tiled_areas import (
    ProjectArea,
    chunks_share_ground,
    file_envelopes,
    tiled_project_areas,
)

#: features read and screened at a time
DEFAULT_CHUNK_SIZE = 100_000
#: files with more features than this are streamed
STREAM_THRESHOLD = 200_000


def _merge_project(into: dict, part: dict) -> None:
    into["footprint_count"] += part["footprint_count"]
    into["geometry_types"] = sorted(set(into["geometry_types"]) | set(part["geometry_types"]))
    into["impacts"].extend(part["impacts"])
    into["repaired"].extend(part["repaired"])
    into["notes"].extend(n for n in part["notes"] if n not in into["notes"])
    into["grade"] = worst_grade([into["grade"], part["grade"]])
    into["registry_grade"] = worst_grade([into["registry_grade"], part["registry_grade"]])


def screen_file_in_chunks(
    path,
    store,
    *,
    options: ScreenOptions | None = None,
    crs=None,
    layer=None,
    encoding=None,
    id_field=None,
    rules=None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> Screening:
    """Screen one large file chunk by chunk; the result equals an in-memory screen's."""
    import geopandas as gpd

    from fossilgis.io.chunks import feature_count, iter_footprint_chunks, read_footprints_in_bbox
    from fossilgis.rules import load_rules

    rules = rules or load_rules()
    total = feature_count(path, layer) or 0
    # footprints of two chunks may share ground: then the projects are measured again
    # over the whole file, tile by tile; else each chunk's own measure adds up exactly
    envelopes = file_envelopes(path, layer)
    shared = chunks_share_ground(path, envelopes, layer=layer, chunk_size=chunk_size)
    work = 2 * total if shared else total
    projects: dict[str, dict] = {}
    areas: dict[str, float] = {}  # exact sums; rounded once at the end like in memory
    overlapping: dict[str, int] = {}
    unit_areas: dict[str, list] = {}  # exact areas per geological unit, per project
    impacts = []
    done = 0
    last = None
    for chunk in iter_footprint_chunks(
        path, chunk_size=chunk_size, crs=crs, layer=layer, encoding=encoding
    ):
        part = screen_results(
            [chunk],
            store,
            options=options,
            rules=rules,
            id_field=id_field,
            measure_areas=not shared,
        )
        for p in part.projects:
            if p["project_id"] in projects:
                _merge_project(projects[p["project_id"]], p)
            else:
                projects[p["project_id"]] = p
        for pid, area in part.project_areas.items():
            areas[pid] = areas.get(pid, 0.0) + float(area)
            overlapping[pid] = overlapping.get(pid, 0) + part.project_overlapping.get(pid, 0)
        for pid, parts in part.potential_unit_areas.items():
            unit_areas.setdefault(pid, []).extend(parts)
        impacts.append(part.impacts)
        done += len(chunk.gdf)
        last = part
        if progress:
            progress(done, max(work, done))
    if last is None:
        raise InputFileError(f"{Path(path).name}: no footprints to screen (没有可筛查的要素)")
    if shared:
        measured = tiled_project_areas(
            path,
            envelopes,
            read_tile=lambda bbox: read_footprints_in_bbox(
                path, bbox, crs=crs, layer=layer, encoding=encoding
            ),
            split_projects=lambda results: _split_projects(results, id_field),
            options=last.options,
            chunk_size=chunk_size,
            layer=layer,
            progress=(lambda k, n: progress(done + k * done // n, 2 * done)) if progress else None,
        )
        for pid in projects:
            m = measured.get(pid, ProjectArea())
            areas[pid], overlapping[pid] = m.area_m2, len(m.overlapping)
    for pid, p in projects.items():
        p["footprint_area_m2"] = round(areas.get(pid, 0.0), 1)
        # one note with the whole file's count, in place of the chunks' own
        p["notes"] = [n for n in p["notes"] if not n.endswith(OVERLAP_NOTE_END)]
        if overlapping.get(pid):
            p["notes"].append(overlap_note(overlapping[pid]))
    if last is not None and last.potential_map.get("formations_version"):
        # shares, highest class, grade and actions from all chunks, as in memory
        merge_chunks(projects, unit_areas, areas, rules, last.options)
    merged = pd.concat(impacts, ignore_index=True)
    empty = gpd.GeoDataFrame(
        {"project_id": [], "footprint_index": []}, geometry=[], crs="EPSG:4490"
    )
    return Screening(
        projects=list(projects.values()),
        impacts=merged,
        footprints=empty,
        rules=last.rules,
        layers=last.layers,
        options=last.options,
        potential=last.potential.iloc[:0],
        potential_map=last.potential_map,
    )


@gc_paused
def screen_files(paths, store, *, layer=None, chunk_size: int = DEFAULT_CHUNK_SIZE, **screen):
    """Screen files as the CLI does: a single very large layer streams, the rest in memory.

    ``screen`` takes the keywords of :func:`fossilgis.screening.screen_paths` (``options``,
    ``crs``, ``encoding``, ``id_field``, ``rules``, ``progress``).
    """
    from fossilgis.io.chunks import feature_count
    from fossilgis.screening import screen_paths

    paths = list(paths)
    if len(paths) == 1 and (feature_count(paths[0], layer) or 0) > STREAM_THRESHOLD:
        return screen_file_in_chunks(paths[0], store, layer=layer, chunk_size=chunk_size, **screen)
    return screen_paths(paths, store, layer=layer, **screen)
