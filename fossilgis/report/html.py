"""The printable HTML report: the screening as plain values, rendered by a Jinja2 template.

``templates/report.html`` holds the markup and the CSS (``report.css``) and draws the sketch
map (``sketch_map.svg``, from :mod:`fossilgis.report.svg`). The environment autoescapes:
values are passed as plain text and escaped by Jinja2 alone.
"""

from __future__ import annotations

from functools import lru_cache

from fossilgis import vocab
from fossilgis.report import wording
from fossilgis.report.svg import sketch_map


@lru_cache(maxsize=1)
def environment():
    """The report's Jinja2 environment (made on first use: ``import fossilgis`` stays light)."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("fossilgis.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _meta(d: dict) -> dict:
    opts, rules, layers = d["options"], d["rules"], d["layers"]
    return {
        "date": d["created_at"],
        "rules_version": str(rules["version"]),
        "attention": f"{rules['attention_distance_m']:g} m",
        "control": "; ".join(
            f"{k} {lvl} {v:g} m"
            for k, m in rules["control_distance_m"].items()
            for lvl, v in m.items()
        ),
        "project_type": opts["project_type"]
        + ("" if opts["ground_disturbance"] else " (no ground disturbance / 不扰动地面)"),
        "widths": f"{opts['line_width_m'] or '–'} m / {opts['point_radius_m'] or '–'} m",
        "layers": f"{layers['sites']['count']} sites, {layers['sections']['count']} sections "
        f"(boundaries: {layers['sites']['boundary_status']})",
        "version": d["fossilgis_version"],
    }


def _impact_row(imp: dict, lang: str | None) -> dict:
    return {
        "target": imp["target_id"]
        + " "
        + wording.pick(imp["target_name_zh"], imp["target_name_en"], lang),
        "kind_level": f"{vocab.TARGET_KINDS.label(imp['target_kind'], lang)} / "
        f"{vocab.PROTECTION_LEVELS.label(imp['protection_level'], lang)}",
        "zone": vocab.ZONES.label(imp["zone"], lang),
        "distance": wording.fmt_distance(imp["distance_m"]),
        "bearing": "–" if imp["bearing_deg"] is None else f"{imp['bearing_deg']:.0f}°",
        "overlap": wording.fmt_area(imp["overlap_area_m2"]) if imp["overlap_area_m2"] else "–",
        "share": "–" if not imp["target_share"] else f"{imp['target_share'] * 100:.1f} %",
        "grade": imp["grade"],
        "reason": wording.pick(imp["reason_zh"], imp["reason_en"], lang),
    }


def _targets_frame(store):
    """Sites and sections of ``store`` in one frame, with their kind in ``_k``."""
    import pandas as pd

    return pd.concat(
        [
            store.read_layer("sites").assign(_k="site"),
            store.read_layer("sections").assign(_k="section"),
        ]
    )


def _project(screening, p: dict, lang: str | None, targets_frame) -> dict:
    fps = screening.footprints[screening.footprints["project_id"] == p["project_id"]]
    drawn = []
    if targets_frame is not None and p["impacts"]:
        ids = {(i["target_kind"], i["target_id"]) for i in p["impacts"]}
        for _, row in targets_frame.iterrows():
            if (row["_k"], row["id"]) in ids:
                drawn.append((f"{row['id']} {row['name_zh']}", row.geometry))
    follow, basis = wording.follow_ups_and_basis(p["impacts"])
    return {
        "id": str(p["project_id"]),
        "source": p["source"] + (f" (layer {p['layer']})" if p.get("layer") else ""),
        "crs": f"{p['crs_in']} — {vocab.CRS_BASES.label(p['crs_basis'], lang)}",
        "encoding": p.get("encoding") or "–",
        "footprints": f"{p['footprint_count']} ({', '.join(p['geometry_types'])})",
        "area": wording.fmt_area(p["footprint_area_m2"]),
        "grade": p["grade"],
        "notes": [wording.split_bilingual(note, lang) for note in p["notes"]],
        "map": sketch_map(fps, drawn),
        "impacts": [_impact_row(imp, lang) for imp in p["impacts"]],
        "follow_ups": [wording.split_bilingual(f, lang) for f in follow],
        "legal_basis": [wording.split_bilingual(b, lang) for b in basis],
    }


def render_html(screening, lang: str | None = None, *, store=None, title: str | None = None) -> str:
    """A self-contained, printable (A4) HTML report; every value is escaped.

    Parameters
    ----------
    screening : fossilgis.screening.Screening
    lang : {"zh", "en", None}
        One language, or both (None).
    store : optional
        When given, the sketch maps also draw the affected sites' and sections' boundaries
        (leave it out for visitors who may not see them).
    title : str, optional
        The page title.
    """
    d = screening.to_dict()
    targets_frame = _targets_frame(store) if store is not None else None
    template = environment().get_template("report.html")
    return template.render(
        title=title or "fossilgis impact screen",
        t=lambda zh, en: wording.pick(zh, en, lang),
        sentence=lambda s: wording.pick_sentence(s, lang),
        grade_label=lambda g: vocab.GRADES.label(g, lang),
        DISCLAIMER=wording.DISCLAIMER,
        DEMO_NOTE=wording.DEMO_NOTE,
        NO_TARGETS=wording.NO_TARGETS,
        demonstration=any(v.get("demonstration") for v in d["layers"].values()),
        meta=_meta(d),
        grade=screening.grade,
        projects=[_project(screening, p, lang, targets_frame) for p in d["projects"]],
    )
