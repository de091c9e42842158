"""A screen kept in a case: the screening as plain JSON, its summary, and what changed.

A case keeps every screen it had whole (:func:`snapshot_of`): the impact-check JSON form
(rules version, layer versions, options, every project and impact, the CRS and encoding
decisions of each file), the overlap pieces as WKB, and a small per-target summary that
re-screens compare (:func:`compare`). :func:`screening_of` turns a kept screen back into
a :class:`~fossilgis.screening.Screening` so that every report and GIS output works on a
case as on a fresh screen.
"""

from __future__ import annotations

from fossilgis import vocab
from fossilgis.impact import worst_grade
from fossilgis.report import wording

#: the zones, innermost first (a target's summary keeps its innermost)
_ZONES = vocab.ZONES.codes
_GRADES = vocab.GRADES.codes


def _key(imp: dict) -> str:
    return f"{imp['target_kind']}:{imp['target_id']}"


def summary_of(projects: list[dict]) -> dict:
    """``{"site:GZ-F03": {"id", "name_zh", "name_en", "grade", "zone", "distance_m",
    "overlap_m2"}}``: each
    affected target at its worst over every project and footprint of a screen."""
    out: dict[str, dict] = {}
    for project in projects:
        for imp in project["impacts"]:
            key = _key(imp)
            cur = out.get(key)
            dist = imp.get("distance_m") or 0.0
            area = imp.get("overlap_area_m2") or 0.0
            if cur is None:
                out[key] = {
                    "id": imp["target_id"],
                    "name_zh": imp.get("target_name_zh") or "",
                    "name_en": imp.get("target_name_en") or "",
                    "grade": imp["grade"],
                    "zone": imp["zone"],
                    "distance_m": round(dist, 1),
                    "overlap_m2": round(area, 1),
                }
                continue
            if _GRADES.index(imp["grade"]) > _GRADES.index(cur["grade"]):
                cur["grade"] = imp["grade"]
            if _ZONES.index(imp["zone"]) < _ZONES.index(cur["zone"]):
                cur["zone"] = imp["zone"]
            cur["distance_m"] = round(min(cur["distance_m"], dist), 1)
            cur["overlap_m2"] = round(cur["overlap_m2"] + area, 1)
    potential = _potential_summary(projects)
    if potential:
        out[POTENTIAL_KEY] = potential
    return dict(sorted(out.items()))


#: the summary entry of the fossil potential of the ground (beside one per target)
POTENTIAL_KEY = "potential:ground"


def targets_of(summary: dict) -> list[str]:
    """The ids of the sites and sections a summary names (not the potential entry)."""
    return sorted({v["id"] for k, v in summary.items() if k != POTENTIAL_KEY})


def _potential_summary(projects: list[dict]) -> dict | None:
    """The fossil potential part of a summary: its worst grade and highest class over the
    projects; None when it asks nothing (grade none: low potential, or no geological map),
    so that importing a map flags only the cases it gives something to do."""
    from fossilgis.potential.classes import current_table

    results = [p["potential"] for p in projects if p.get("potential")]
    graded = [r for r in results if r["grade"] != "none"]
    if not graded:
        return None
    table = current_table()
    highest = table.highest(r["highest_class"] for r in graded)
    return {
        "id": "化石潜力 / fossil potential",
        "name_zh": "化石潜力",
        "name_en": "fossil potential",
        "grade": worst_grade(r["grade"] for r in graded),
        "zone": None,
        "potential_class": highest,
        "distance_m": 0.0,
        "overlap_m2": round(sum(r["mapped_area_m2"] for r in graded), 1),
    }


def snapshot_of(screening) -> dict:
    """What a case keeps of a screening: ``result`` (the JSON form), ``overlaps``
    (``{"project|footprint|kind:id": wkb hex}`` for pairs that overlap), ``summary``,
    ``grade`` and ``targets`` (affected target ids)."""
    import shapely

    from fossilgis.serving import json_safe

    result = json_safe(screening.to_dict())
    overlaps = {}
    imp = screening.impacts
    if len(imp):
        geoms = imp.geometry.values
        for row, geom in zip(imp.itertuples(index=False), geoms):
            if geom is None or geom.is_empty:
                continue
            key = f"{row.project_id}|{row.footprint_index}|{row.target_kind}:{row.target_id}"
            overlaps[key] = shapely.to_wkb(geom, hex=True, output_dimension=2)
    summary = summary_of(result["projects"])
    return {
        "result": result,
        "overlaps": overlaps,
        "summary": summary,
        "grade": worst_grade(p["grade"] for p in result["projects"]),
        "targets": targets_of(summary),
    }


def footprints_of(screening):
    """The screened footprints to keep: project_id, footprint_index (int), area, geometry."""
    fps = screening.footprints
    out = fps[["project_id", "footprint_index", "geometry"]].copy()
    out["project_id"] = out["project_id"].astype(str)
    if "footprint_area_m2" in fps.columns:
        out["area_m2"] = fps["footprint_area_m2"].to_numpy()
    return out


def screening_of(result: dict, overlaps: dict, footprints, rules=None):
    """A :class:`~fossilgis.screening.Screening` from a kept screen and its footprints.

    ``rules`` defaults to the rules in force; the kept JSON names the version that was
    applied when the screen was made (``result["rules"]["version"]``).
    """
    import geopandas as gpd
    import pandas as pd
    import shapely

    from fossilgis.footprints import ScreenOptions
    from fossilgis.rules import load_rules
    from fossilgis.screening import Screening

    rows = []
    for project in result["projects"]:
        for imp in project["impacts"]:
            key = f"{project['project_id']}|{imp['footprint_index']}|{_key(imp)}"
            wkb = overlaps.get(key)
            row = {k: v for k, v in imp.items() if k != "footprint"}
            row["project_id"] = project["project_id"]
            row["geometry"] = shapely.from_wkb(wkb) if wkb else None
            rows.append(row)
    impacts = gpd.GeoDataFrame(
        pd.DataFrame(rows) if rows else pd.DataFrame({"project_id": [], "geometry": []}),
        geometry="geometry",
        crs="EPSG:4490",
    )
    fps = footprints.copy()
    if "area_m2" in fps.columns:
        fps = fps.rename(columns={"area_m2": "footprint_area_m2"})
    opts = result.get("options") or {}
    screening = Screening(
        projects=result["projects"],
        impacts=impacts,
        footprints=fps,
        rules=rules or load_rules(),
        layers=result["layers"],
        options=ScreenOptions(**opts),
        project_areas={p["project_id"]: p["footprint_area_m2"] for p in result["projects"]},
    )
    screening.created_at = result.get("created_at", screening.created_at)
    return screening


def compare(old: dict, new: dict) -> list[dict]:
    """What changed between two summaries: one entry per target whose grade or zone
    changed, or that came or went (distance changes within the same zone and grade are
    not changes of the result)."""
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if (
            a
            and b
            and a["grade"] == b["grade"]
            and a["zone"] == b["zone"]
            and a.get("potential_class") == b.get("potential_class")
        ):
            continue
        out.append({"target": key, "was": a, "now": b})
    return out


def _state(s: dict | None, lang: str | None) -> str:
    if s is None:
        return wording.pick("不涉及", "not affected", lang)
    if s.get("potential_class"):
        code = s["potential_class"]
        return wording.pick(f"{code} 类", f"class {code}", lang)
    where = vocab.ZONES.label(s["zone"], lang)
    if s.get("overlap_m2"):
        return f"{where} {wording.fmt_area(s['overlap_m2'], lang)}"
    return f"{s['distance_m']:,.0f} m ({where})"


def describe_changes(
    changes: list[dict], revision: str, lang: str | None = None, grades=(None, None)
) -> str:
    """One line: "registry revision sections v1 · sites v5 changes this case: grade attention →
    assess; GZ-F03 now 120 m (control zone), was 480 m (attention zone)". ``grades``: the
    case's (old, new) grade, named when they differ. ``lang`` None: both languages."""
    if not changes:
        return ""
    if lang is None:
        return (
            describe_changes(changes, revision, "zh", grades)
            + " / "
            + describe_changes(changes, revision, "en", grades)
        )
    parts = []
    was_grade, grade = grades
    if was_grade and grade and was_grade != grade:
        a, b = vocab.GRADES.label(was_grade, lang), vocab.GRADES.label(grade, lang)
        parts.append(wording.pick(f"结论由“{a}”变为“{b}”", f"grade {a} → {b}", lang))
    for c in changes:
        tid = (c["now"] or c["was"])["id"]
        if c["target"] == POTENTIAL_KEY:
            tid = wording.pick("化石潜力", "fossil potential", lang)
        now, was = _state(c["now"], lang), _state(c["was"], lang)
        parts.append(
            wording.pick(f"{tid} 现为 {now}，原为 {was}", f"{tid} now {now}, was {was}", lang)
        )
    head = wording.pick(
        f"登记资料修订（{revision}）改变了本案结果：",
        f"registry revision {revision} changes this case: ",
        lang,
    )
    return head + wording.pick("；", "; ", lang).join(parts)


def describe_flag(flag: dict | None, lang: str | None = None) -> str:
    """The flag a registry revision left on a case, in words ("" when none)."""
    if not flag:
        return ""
    return describe_changes(
        flag["changes"], flag["revision"], lang, (flag.get("was_grade"), flag.get("grade"))
    )
