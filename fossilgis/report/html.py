"""The printable HTML report: the screening as plain values, rendered by a Jinja2 template.

``templates/report.html`` holds the markup and the CSS (``report.css``: A4, page numbers in
the page margin) and draws the sketch map (``sketch_map.svg``, from
:mod:`fossilgis.report.svg`). Given a case (``case=``), the header shows the office's case
record so that the page can be filed. Every label is in the chosen language (codes through
:mod:`fossilgis.vocab`, times in Beijing time). The environment autoescapes: values are
passed as plain text and escaped by Jinja2 alone.
"""

from __future__ import annotations

from functools import lru_cache

from fossilgis import vocab
from fossilgis.report import wording
from fossilgis.report.svg import ContextItem, MapTarget, sketch_map

#: the legend row of the store's other sites and sections drawn for orientation
OTHER_TARGETS = {"zh": "其他化石产地、层型剖面", "en": "Other sites and sections"}


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


def css_string_body(text: str) -> str:
    """``text`` for inside a double-quoted CSS string: all but letters and digits escaped.

    Escapes are ``\\hex `` (the space ends them), so the result holds no quote, angle
    bracket or ampersand: HTML escaping leaves it as it is and it cannot end the string.
    """
    return "".join(ch if ch.isalnum() else f"\\{ord(ch):x} " for ch in text)


def _meta(d: dict, lang: str | None) -> dict:
    opts, rules = d["options"], d["rules"]
    return {
        "date": wording.beijing_time(d["created_at"], lang),
        "rules_version": str(rules["version"]),
        "attention": f"{rules['attention_distance_m']:g} m",
        "control": wording.control_widths(rules, lang),
        "project_type": wording.project_type(opts, lang),
        "widths": ", ".join(wording.widths(opts, lang)) or "–",
        "layers": wording.layers_summary(d["layers"], lang),
        "version": d["fossilgis_version"],
    }


def _case(case: dict | None, lang: str | None) -> dict | None:
    """The case record as plain text values (``"–"`` for what is not set)."""
    if case is None:
        return None
    follow = [
        {
            "text": f.get("text") or "",
            "due": f.get("due_date") or "–",
            "done": wording.beijing_time(f["done_at"], lang)
            if f.get("done_at")
            else wording.pick("未完成", "Open", lang),
        }
        for f in case.get("follow_ups") or []
    ]
    return {
        "number": case.get("number") or "–",
        "project_name": case.get("project_name") or "–",
        "applicant_unit": case.get("applicant_unit") or "–",
        "applicant_contact": case.get("applicant_contact") or "–",
        "officer": case.get("officer") or "–",
        "status": vocab.CASE_STATUSES.label(case["status"], lang) if case.get("status") else "–",
        "decision": case.get("decision_text") or "–",
        "decided": wording.beijing_time(case.get("decided_at"), lang),
        "follow_ups": follow,
    }


def _target_name(zh, en, lang: str | None) -> str:
    """A target's name on the map: English in an English report, else Chinese."""
    return (en or zh or "") if lang == "en" else (zh or en or "")


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
        "overlap": wording.fmt_area(imp["overlap_area_m2"], lang)
        if imp["overlap_area_m2"]
        else "–",
        "share": "–" if not imp["target_share"] else f"{imp['target_share'] * 100:.1f} %",
        "grade": imp["grade"],
        "reason": wording.pick(imp["reason_zh"], imp["reason_en"], lang),
    }


def _targets_frame(store):
    """Sites and sections of ``store`` in one frame, with their kind in ``map_kind``."""
    import pandas as pd

    return pd.concat(
        [
            store.read_layer("sites").assign(map_kind="site"),
            store.read_layer("sections").assign(map_kind="section"),
        ],
        ignore_index=True,
    )


def _map(screening, fps, impacts, lang: str | None, targets_frame, data_dir=None) -> dict | None:
    """The project's sketch map: with a store, its affected targets, their zone edges and
    the other sites and sections around them; the context layers (province, rivers,
    cities) and a locator inset always."""
    from fossilgis.report.locator import context_items, locator

    drawn, context = [], context_items(data_dir, lang)
    if targets_frame is not None:
        ids = {(i["target_kind"], i["target_id"]) for i in impacts}
        tf = targets_frame
        columns = (tf["map_kind"], tf["id"], tf["name_zh"], tf["name_en"], tf["protection_level"])
        for kind, tid, zh, en, level, geom in zip(*columns, tf.geometry.values):
            if (kind, tid) in ids:
                label = f"{tid} {_target_name(zh, en, lang)}"
                drawn.append(MapTarget(label, geom, kind, level))
            else:
                context.append(ContextItem(wording.both(OTHER_TARGETS, lang), geom))
    rules = screening.rules if targets_frame is not None else None
    geoms = [g for g in fps.geometry.values if g is not None and not g.is_empty]

    def inset(corner):
        return locator(geoms, data_dir, lang, corner) if geoms else {}

    return sketch_map(fps, drawn, rules=rules, context=context, lang=lang, inset=inset)


def _project(screening, p: dict, lang: str | None, targets_frame, data_dir=None) -> dict:
    fps = screening.footprints[screening.footprints["project_id"] == p["project_id"]]
    follow, basis = wording.follow_ups_and_basis(p["impacts"])
    layer = f" ({wording.pick('图层', 'layer', lang)} {p['layer']})" if p.get("layer") else ""
    return {
        "id": str(p["project_id"]),
        "source": p["source"] + layer,
        "crs": f"{p['crs_in']} — {vocab.CRS_BASES.label(p['crs_basis'], lang)}",
        "encoding": p.get("encoding") or "–",
        "footprints": f"{p['footprint_count']} "
        f"({wording.geometry_types(p['geometry_types'], lang)})",
        "area": wording.fmt_area(p["footprint_area_m2"], lang),
        "grade": p["grade"],
        "notes": [wording.split_bilingual(note, lang) for note in p["notes"]],
        "map": _map(screening, fps, p["impacts"], lang, targets_frame, data_dir),
        "impacts": [_impact_row(imp, lang) for imp in p["impacts"]],
        "follow_ups": [wording.split_bilingual(f, lang) for f in follow],
        "legal_basis": [wording.split_bilingual(b, lang) for b in basis],
        "potential": _potential(p.get("potential"), lang),
    }


def _share(share) -> str:
    return "–" if share is None else f"{share * 100:.1f} %"


def _potential(pot: dict | None, lang: str | None) -> dict | None:
    """The fossil potential of the ground, as plain text values (None: no geological map)."""
    if pot is None:
        return None
    return {
        "highest": pot["highest_class"],
        "grade": pot["grade"],
        "reason": wording.pick(pot["reason_zh"], pot["reason_en"], lang),
        "classes": [
            {
                "code": c["class"],
                "label": wording.pick(c["label_zh"], c["label_en"], lang),
                "area": wording.fmt_area(c["area_m2"], lang),
                "share": _share(c["share"]),
            }
            for c in pot["classes"]
        ],
        "units": [
            {
                "unit": u["unit"] or "–",
                "name": _target_name(u["name_zh"], u["name_en"], lang) or "–",
                "code": u["class"],
                "area": wording.fmt_area(u["area_m2"], lang),
                "share": _share(u["share"]),
            }
            for u in pot["units"]
        ],
        "actions": [wording.pick(a["zh"], a["en"], lang) for a in pot["actions"]],
        "follow_ups": [wording.split_bilingual(f, lang) for f in pot["follow_up"]],
        "legal_basis": [wording.split_bilingual(b, lang) for b in pot["legal_basis"]],
    }


def render_html(
    screening,
    lang: str | None = None,
    *,
    store=None,
    title: str | None = None,
    case: dict | None = None,
) -> str:
    """A self-contained, printable (A4) HTML report; every value is escaped.

    Parameters
    ----------
    screening : fossilgis.screening.Screening
    lang : {"zh", "en", None}
        One language, or both (None).
    store : optional
        When given, the sketch maps also draw the affected sites' and sections' boundaries
        with their control-zone and attention-zone edges, and the store's other sites and
        sections in the map (leave it out for visitors who may not see them).
    title : str, optional
        The page title.
    case : dict, optional
        The office's case the screening belongs to, shown in the header: ``number``,
        ``project_name``, ``applicant_unit``, ``applicant_contact``, ``officer``, ``status``
        (a :data:`fossilgis.vocab.CASE_STATUSES` code), ``decision_text``, ``decided_at``
        (ISO UTC), ``follow_ups`` (dicts with ``text``, ``due_date`` YYYY-MM-DD,
        ``done_at`` ISO UTC); any may be None. Its number heads every printed page.
    """
    d = screening.to_dict()
    targets_frame = _targets_frame(store) if store is not None else None
    template = environment().get_template("report.html")
    record = _case(case, lang)
    default_title = wording.pick(
        "化石产地影响筛查报告", "Fossil-site impact screening report", lang
    )
    if record is not None:
        default_title = f"{record['number']} {record['project_name']} — {default_title}"
    return template.render(
        title=title or default_title,
        lang_attr="en" if lang == "en" else "zh-CN",
        t=lambda zh, en: wording.pick(zh, en, lang),
        sentence=lambda s: wording.pick_sentence(s, lang),
        grade_label=lambda g: vocab.GRADES.label(g, lang),
        DISCLAIMER=wording.DISCLAIMER,
        DEMO_NOTE=wording.DEMO_NOTE,
        NO_TARGETS=wording.NO_TARGETS,
        demonstration=any(v.get("demonstration") for v in d["layers"].values()),
        meta=_meta(d, lang),
        case=record,
        running_head=css_string_body(record["number"]) if record is not None else "",
        grade=screening.grade,
        projects=[
            _project(screening, p, lang, targets_frame, getattr(store, "data_dir", None))
            for p in d["projects"]
        ],
    )
