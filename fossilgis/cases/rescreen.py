"""Registry revisions reach past decisions: re-screen every live case, flag what changed.

After ``layers import`` replaces the sites or sections, every case that is not closed or
withdrawn is screened again against the new layers, all at once: the current footprints
of every case are read in one query and screened in one batch per set of screening
options (project type, widths), then each case's per-target summary is compared with
the summary of its current screen (:func:`fossilgis.cases.snapshot.compare`). A case
whose grade or affected targets change gets the new screen beside the old one and a
flag; the others only note the layer versions they were checked against.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fossilgis.cases.snapshot import compare, describe_changes, summary_of, targets_of
from fossilgis.impact import worst_grade

log = logging.getLogger(__name__)

#: joins a case number and its project id into one project key for the batch screen
SEP = "\x1f"
#: fields of a project that come from reading the files, kept from the original screen
READ_FIELDS = ("source", "layer", "crs_in", "crs_basis", "encoding", "notes", "repaired")


@dataclass
class RescreenReport:
    """What a re-screen found: how many cases, which changed and how."""

    revision: str
    cases: int = 0
    footprints: int = 0
    seconds: float = 0.0
    #: {case number: one-line description of the change}
    changed: dict[str, str] = field(default_factory=dict)

    def lines(self, lang: str | None = None) -> list[str]:
        head = (
            f"re-screened {self.cases} open case(s) ({self.footprints} footprints) against "
            f"{self.revision} in {self.seconds:.1f} s: {len(self.changed)} changed / "
            f"已复核 {self.cases} 个在办案件，{len(self.changed)} 个结果改变"
        )
        return [head] + [f"  {n}: {text}" for n, text in self.changed.items()]


def revision_label(layers: dict) -> str:
    """ "sites v5 · sections v3": the layer versions a re-screen used."""
    return " · ".join(f"{k} v{v.get('version')}" for k, v in sorted(layers.items()))


def _case_snapshot(base: dict, projects: list[dict], overlaps: dict) -> dict:
    summary = summary_of(projects)
    return {
        "result": {**base, "projects": projects},
        "overlaps": overlaps,
        "summary": summary,
        "grade": worst_grade(p["grade"] for p in projects),
        "targets": targets_of(summary),
    }


def _screen_group(store, cases: list[dict], fps, options: dict, rules):
    """Screen the footprints of ``cases`` (one set of options) in one batch."""
    import geopandas as gpd

    from fossilgis.footprints import ScreenOptions
    from fossilgis.io._pipeline import ReadResult
    from fossilgis.screening import screen_results
    from fossilgis.serving import json_safe

    wanted = {c["number"] for c in cases}
    part = fps[fps["case_number"].isin(wanted)]
    key = part["case_number"] + SEP + part["project_id"].astype(str)
    gdf = gpd.GeoDataFrame({"_key": key.to_numpy()}, geometry=part.geometry.values, crs="EPSG:4490")
    gdf.index = part["footprint_index"].to_numpy()
    res = ReadResult(gdf=gdf, source="cases")
    screening = screen_results(
        [res], store, options=ScreenOptions(**options), rules=rules, id_field="_key"
    )
    base = json_safe(screening.to_dict())
    base.pop("projects")
    by_case: dict[str, list[dict]] = {}
    for project in screening.projects:
        number, pid = project["project_id"].split(SEP, 1)
        project["project_id"] = pid
        for imp in project["impacts"]:
            imp["footprint"] = {k: v for k, v in imp["footprint"].items() if k != "_key"}
        by_case.setdefault(number, []).append(project)
    overlaps: dict[str, dict] = {}
    imp = screening.impacts
    if len(imp):
        import shapely

        for row, geom in zip(imp.itertuples(index=False), imp.geometry.values):
            if geom is None or geom.is_empty:
                continue
            number, pid = str(row.project_id).split(SEP, 1)
            k = f"{pid}|{row.footprint_index}|{row.target_kind}:{row.target_id}"
            overlaps.setdefault(number, {})[k] = shapely.to_wkb(geom, hex=True, output_dimension=2)
    return base, by_case, overlaps


def rescreen_cases(
    store,
    *,
    user: str | None = None,
    numbers=None,
    rules=None,
    progress: Callable[[int, int], None] | None = None,
    lang: str | None = None,
) -> RescreenReport:
    """Re-screen live cases against the store's current layers and keep what changed.

    Parameters
    ----------
    store : fossilgis.store.Store
    user : str, optional
        Written in the audit rows.
    numbers : iterable of str, optional
        Only these cases (default: every case that is not closed or withdrawn).
    progress : callable, optional
        ``progress(done, total)`` over the cases.
    lang : {"zh", "en", None}
        Language of the change descriptions in the report.
    """
    from fossilgis.rules import load_rules
    from fossilgis.screening import layers_summary

    started = time.perf_counter()
    layers = layers_summary(store)
    mapped = store.formations.current_version()
    report = RescreenReport(
        revision=revision_label(layers) + (f" · formations v{mapped}" if mapped else "")
    )
    live = store.cases.live()
    if numbers is not None:
        keep = set(numbers)
        live = [c for c in live if c["number"] in keep]
    report.cases = len(live)
    if not live:
        return report
    rules = rules or load_rules()
    fps = store.cases.live_footprints()
    report.footprints = int(fps["case_number"].isin({c["number"] for c in live}).sum())
    groups: dict[str, list[dict]] = {}
    for case in live:
        groups.setdefault(json.dumps(case["options"], sort_keys=True), []).append(case)
    outcomes, done = [], 0
    for opts, cases in groups.items():
        base, by_case, overlaps = _screen_group(store, cases, fps, json.loads(opts), rules)
        for case in cases:
            projects = by_case.get(case["number"], [])
            new_summary = summary_of(projects)
            changes = compare(case["summary"], new_summary)
            outcome = {
                "number": case["number"],
                "footprints_seq": case["footprints_seq"],
                "changes": changes,
            }
            if changes:
                _keep_read_fields(store, case, projects)
                outcome["snapshot"] = _case_snapshot(
                    base, projects, overlaps.get(case["number"], {})
                )
                outcome["was_grade"] = case["grade"]
                report.changed[case["number"]] = describe_changes(changes, report.revision, lang)
            outcomes.append(outcome)
            done += 1
            if progress:
                progress(done, report.cases)
    store.cases.record_rescreens(outcomes, revision=report.revision, layers=layers, user=user)
    report.seconds = time.perf_counter() - started
    log.info(
        "re-screened %d cases in %.1f s: %d changed",
        report.cases,
        report.seconds,
        len(report.changed),
    )
    return report


def _keep_read_fields(store, case: dict, projects: list[dict]) -> None:
    """Give the new projects the file-reading facts of the screen they repeat."""
    old = store.cases.screen(case["number"])["result"]["projects"]
    by_id = {p["project_id"]: p for p in old}
    for project in projects:
        prev = by_id.get(project["project_id"])
        if prev:
            for f in READ_FIELDS:
                if f in prev:
                    project[f] = prev[f]
