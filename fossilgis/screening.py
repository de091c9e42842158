"""Screen whole projects: group read footprints into projects, run the engine, summarise.

This is the layer the CLI and the web app call. It takes what :mod:`fossilgis.io` read,
screens every footprint against the store's layers with :func:`fossilgis.impact.assess_impact`
(in chunks, with optional progress), and builds the stable impact-check JSON form
(docs/impact-check.md).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fossilgis import __version__
from fossilgis.errors import InputFileError
from fossilgis.geo import CRS_GEOGRAPHIC
from fossilgis.impact import (
    ScreenOptions,
    assess_impact,
    check_footprint_reach,
    footprint_metrics,
    prepare_targets,
    worst_grade,
)
from fossilgis.potential.results import screen_potential as _screen_potential
from fossilgis.potential.results import with_potential
from fossilgis.project_results import (
    Attributes,
    FileFields,
    gc_paused,
    geometry_types,
    impact_records,
    measure_project_areas,
    project_dict,
)
from fossilgis.schema import PROTECTION_LEVELS
from fossilgis.serving import json_safe  # noqa: F401  (importable from here, as before)

log = logging.getLogger(__name__)

#: footprints screened per chunk: bounds memory for million-feature batches
CHUNK_SIZE = 50_000
#: projects assembled between two progress calls
PROGRESS_PROJECTS = 5_000

#: a store that can pair in the database (PostGIS) does so from this many footprints …
STORE_PAIRING_MIN = 20_000
#: … against at least this many targets: with the demonstration layers (55 targets) the
#: in-memory STRtree is 2–3.5× faster than a round trip through PostGIS (bench/impact_postgis.py)
STORE_PAIRING_MIN_TARGETS = 10_000


@dataclass
class Screening:
    """The result of screening one or more projects."""

    projects: list[dict]
    impacts: object  # GeoDataFrame: one row per pair, overlap geometry, project_id
    footprints: object  # GeoDataFrame: the screened footprints, project_id, EPSG:4490
    rules: object
    layers: dict
    options: ScreenOptions
    #: exact ground area of each project in m² (unrounded ``footprint_area_m2``)
    project_areas: dict = field(default_factory=dict)
    #: how many of each project's footprints overlap another (the note's count)
    project_overlapping: dict = field(default_factory=dict)
    #: footprint × geological unit pieces (project_id, footprint_index, unit, names,
    #: potential_class, area_m2, geometry); empty without a geological map
    potential: object = None
    #: the geological map and potential table screened against (``map_summary``)
    potential_map: dict = field(default_factory=dict)
    #: project id -> exact area per geological unit (for merging chunks: fossilgis.batch)
    potential_unit_areas: dict = field(default_factory=dict)
    created_at: str = field(
        default_factory=lambda: dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    )

    @property
    def grade(self) -> str:
        return worst_grade(p["grade"] for p in self.projects)

    def to_dict(self) -> dict:
        rules = self.rules
        return {
            "fossilgis_version": __version__,
            "created_at": self.created_at,
            "rules": {
                "version": rules.version,
                "attention_distance_m": rules.attention_distance_m,
                "control_distance_m": {
                    kind: {
                        level: rules.control_distance_for(kind, level)
                        for level in PROTECTION_LEVELS
                    }
                    for kind in ("site", "section")
                },
                "section_core_halfwidth_m": rules.section_core_halfwidth_m,
            },
            "options": {
                "project_type": self.options.project_type,
                "ground_disturbance": self.options.ground_disturbance,
                "line_width_m": self.options.line_width_m,
                "point_radius_m": self.options.point_radius_m,
            },
            "layers": self.layers,
            "potential": self.potential_map or None,
            "projects": self.projects,
        }


def layers_summary(store) -> dict:
    out = {}
    for kind in ("sites", "sections"):
        info = store.layer_info(kind)
        out[kind] = {
            "count": info["count"],
            "boundary_status": info["boundary_status"],
            "demonstration": info["demonstration"],
            "version": info["version"],
        }
    return out


@dataclass
class _FileProjects:
    """The projects of one read file: their ids, and the file's rows grouped by project
    (``rows``: row positions, project after project; ``lengths``: rows per project)."""

    res: object
    ids: list
    rows: np.ndarray
    lengths: np.ndarray


def _split_projects(results, id_field: str | None) -> list[_FileProjects]:
    """Each read file's projects: one per ``id_field`` value, or the whole layer."""
    multi = len(results) > 1
    out = []
    for res in results:
        gdf = res.gdf
        stem = res.source.rsplit("!", 1)[-1].rsplit("/", 1)[-1]
        stem = stem.rsplit(".", 1)[0] if "." in stem else stem
        base = f"{stem}:{res.layer}" if multi and res.layer and res.layer != stem else stem
        if id_field:
            if id_field not in gdf.columns:
                fields = ", ".join(c for c in gdf.columns if c != gdf.geometry.name)
                raise InputFileError(
                    f"{res.source}: --id-field {id_field!r} is not a field of this layer; its "
                    f"fields are: {fields or '(none)'}"
                )
            keys = gdf[id_field].astype("string").fillna("(no id)")
            # one pass over the rows (a mask per key is quadratic with 100 000 projects):
            # codes in order of first appearance, rows grouped by one stable sort
            codes, uniques = pd.factorize(keys, sort=False)
            order = np.argsort(codes, kind="stable")
            lengths = np.bincount(codes, minlength=len(uniques))
            out.append(_FileProjects(res, [str(k) for k in uniques.tolist()], order, lengths))
        else:
            out.append(_FileProjects(res, [base], np.arange(len(gdf)), np.array([len(gdf)])))
    return out


@gc_paused
def screen_results(
    results: Sequence,
    store,
    *,
    options: ScreenOptions | None = None,
    rules=None,
    id_field: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    pair_in_store: bool | None = None,
    potential_map=None,
    measure_areas: bool = True,
) -> Screening:
    """Screen read files (``fossilgis.io.ReadResult``) against the store's layers.

    Parameters
    ----------
    results : sequence of ReadResult
        Footprints read by :func:`fossilgis.io.read_footprints`.
    store : fossilgis.store.Store
    options : ScreenOptions
    rules : fossilgis.rules.Rules, optional
        Default: :func:`fossilgis.rules.load_rules`.
    id_field : str, optional
        Field that splits a layer into several projects.
    progress : callable, optional
        Called as ``progress(done, total)`` as the work advances: one step per footprint
        paired, then one per project assembled (``total`` = footprints + projects), so a
        file of many projects does not sit at 100 % while its results are built.
    pair_in_store : bool, optional
        Find candidate pairs in the store's database (``store.candidate_pairs``, PostGIS)
        instead of in memory. Default: when the store can and there are at least
        :data:`STORE_PAIRING_MIN` footprints and :data:`STORE_PAIRING_MIN_TARGETS`
        targets. The results are the same either way.
    measure_areas : bool
        Dissolve the ground that a project's footprints share (:func:`project_area_m2`).
        False sums the footprints' areas instead: for a caller that measures the projects
        itself, as :mod:`fossilgis.batch` does across the chunks of a streamed file.
    potential_map : fossilgis.potential.classes.ClassedMap, optional
        The classed geological map to screen the fossil potential against; default the
        store's current one (:func:`fossilgis.potential.classes.current_map`), none when
        the store holds no geological map.
    """
    import geopandas as gpd

    from fossilgis.rules import load_rules

    options = options or ScreenOptions()
    rules = rules or load_rules()
    targets = prepare_targets(store.read_layer("sites"), store.read_layer("sections"), rules)
    for res in results:
        check_footprint_reach(res.gdf.geometry.values, res.source)
    files = _split_projects(results, id_field)
    # one frame for every footprint of every project, built from arrays (not per project)
    geoms, index_values, lengths, pids, res_of = [], [], [], [], []
    for f in files:
        geoms.append(np.asarray(f.res.gdf.geometry.values)[f.rows])
        index_values.append(np.asarray(f.res.gdf.index)[f.rows])
        lengths.append(f.lengths)
        pids.extend(f.ids)
        res_of.extend([f.res] * len(f.ids))
    lengths = _cat(lengths, int)
    parts = list(zip(pids, res_of))
    pid_of = np.empty(len(parts), dtype=object)
    pid_of[:] = pids
    allfp = gpd.GeoDataFrame(
        {
            "project_no": np.repeat(np.arange(len(parts)), lengths),
            "project_id": np.repeat(pid_of, lengths),
            "footprint_index": _cat(index_values, object),
        },
        geometry=_cat(geoms, object),
        crs=CRS_GEOGRAPHIC,
    )
    allfp = gpd.GeoDataFrame(allfp, geometry="geometry", crs=CRS_GEOGRAPHIC)
    total = len(allfp)
    finder = getattr(store, "candidate_pairs", None)
    if pair_in_store is None:
        pair_in_store = (
            finder is not None
            and total >= STORE_PAIRING_MIN
            and len(targets.frame) >= STORE_PAIRING_MIN_TARGETS
        )
    if pair_in_store and finder is None:
        raise ValueError(f"pair_in_store: the {store.backend} store cannot pair in a database")
    pairs = finder if pair_in_store else None
    log.info(
        "screening %d footprints of %d projects against %d targets in chunks of %d "
        "(pairs found %s)",
        total,
        len(parts),
        len(targets.frame),
        CHUNK_SIZE,
        "in the store" if pairs else "in memory",
    )
    started = time.perf_counter()
    geoms = np.asarray(allfp.geometry.values)
    areas = footprint_metrics(geoms, options) if total else np.zeros(0)
    project_of = allfp["project_no"].to_numpy()
    counts = np.bincount(project_of, minlength=len(parts)) if total else np.zeros(len(parts), int)
    impacts = []
    # the projects' ground areas (shared ground dissolved) are measured in a second thread
    # while the footprints are paired: both are mostly GEOS work, which releases the GIL
    with ThreadPoolExecutor(1) as pool:
        measuring = pool.submit(measure_project_areas, geoms, counts, areas, options, measure_areas)
        for start in range(0, max(total, 1), CHUNK_SIZE):
            chunk = allfp.iloc[start : start + CHUNK_SIZE]
            if len(chunk):
                t0 = time.perf_counter()
                impacts.append(assess_impact(chunk, targets, rules, options, pairs=pairs))
                log.debug(
                    "chunk %d-%d of %d: %d impacts in %.2f s",
                    start,
                    start + len(chunk),
                    total,
                    len(impacts[-1]),
                    time.perf_counter() - t0,
                )
            if progress:
                progress(min(start + CHUNK_SIZE, total), total + len(parts))
        measured = measuring.result()
    imp = (
        pd.concat(impacts, ignore_index=True)
        if impacts
        else assess_impact(allfp.iloc[:0], targets, rules, options)
    )
    # footprint_index of assess_impact is the row of allfp: map back to the input's index
    rows = imp["footprint_index"].to_numpy(dtype=int)
    imp.insert(0, "project_id", allfp["project_id"].to_numpy()[rows] if len(rows) else [])
    imp["project_no"] = allfp["project_no"].to_numpy()[rows] if len(rows) else []
    imp["footprint_index"] = allfp["footprint_index"].to_numpy()[rows] if len(rows) else []
    allfp["footprint_area_m2"] = areas

    projects, project_areas, overlapping, unit_areas = [], {}, {}, {}
    records = impact_records(imp)
    attributes, file_fields = Attributes(imp), FileFields()
    geom_types = geometry_types(geoms, project_of, len(parts))
    potential = _screen_potential(
        store if potential_map is None else potential_map,
        geoms,
        project_of,
        np.array([m[0] for m in measured]),
        rules,
        options,
    )
    no_records: list = []
    counts = counts.tolist()
    for n, (pid, res) in enumerate(parts):
        project_areas[pid] = project_areas.get(pid, 0.0) + measured[n][0]
        overlapping[pid] = overlapping.get(pid, 0) + measured[n][1]
        if potential.results:  # a geological map: every project's parts, even none
            unit_areas.setdefault(pid, []).extend(potential.unit_areas.get(n, no_records))
        project = project_dict(
            pid,
            file_fields(res),
            counts[n],
            geom_types[n],
            records.get(n, no_records),
            measured[n],
            attributes(res) if n in records else None,  # only impacts show attributes
        )
        projects.append(with_potential(project, potential.results.get(n)))
        if progress and (n + 1) % PROGRESS_PROJECTS == 0:
            progress(total + n + 1, total + len(parts))
    if progress:
        progress(total + len(parts), total + len(parts))
    imp = imp.drop(columns=["project_no"])
    log.info(
        "screened %d footprints in %.2f s: %d impacts",
        total,
        time.perf_counter() - started,
        len(imp),
    )
    pieces = potential.pieces
    pos = pieces.pop("footprint_pos").to_numpy(dtype=int)
    pieces.insert(0, "project_id", allfp["project_id"].to_numpy()[pos])
    pieces.insert(1, "footprint_index", allfp["footprint_index"].to_numpy()[pos])
    return Screening(
        projects=projects,
        impacts=imp,
        footprints=allfp.drop(columns="project_no"),
        rules=rules,
        layers=layers_summary(store),
        options=options,
        project_areas=project_areas,
        project_overlapping=overlapping,
        potential=pieces.drop(columns="unit_pos"),
        potential_map=potential.summary,
        potential_unit_areas=unit_areas,
    )


def _cat(arrays: list, dtype) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.array([], dtype=dtype)


@gc_paused
def screen_paths(
    paths,
    store,
    *,
    options: ScreenOptions | None = None,
    crs=None,
    layer=None,
    encoding=None,
    id_field=None,
    rules=None,
    progress=None,
) -> Screening:
    """Read each file with :func:`fossilgis.io.read_footprints` and screen them together."""
    from fossilgis.io import read_footprints

    results = []
    for path in paths:
        results.extend(read_footprints(path, crs=crs, layer=layer, encoding=encoding))
    return screen_results(
        results, store, options=options, rules=rules, id_field=id_field, progress=progress
    )
