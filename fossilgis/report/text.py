"""The plain-text report: a readable summary for the console, bilingual or in one language.

With ``lang`` "zh" every label is Chinese, with "en" English (codes are written as their
:mod:`fossilgis.vocab` labels, "中文 / English" notes are split); without a language both.
"""

from __future__ import annotations

from fossilgis import vocab
from fossilgis.report.wording import (
    DEMO_NOTE,
    DISCLAIMER,
    LAYER_COUNT_NOUNS,
    NO_TARGETS,
    both,
    fmt_area,
    fmt_distance,
    follow_ups_and_basis,
    geometry_types,
    pick,
    pick_sentence,
    project_type,
    split_bilingual,
    widths,
)

__all__ = ["render_text", "LAYER_COUNT_NOUNS"]


def _label(v: vocab.Vocabulary, code: str, lang: str | None) -> str:
    return v.label(code, lang, inline=True)


def _header(d: dict, lang: str | None) -> list[str]:
    layers = d["layers"]
    out = [
        pick("fossilgis 化石产地影响筛查", "fossilgis impact screen", lang),
        pick_sentence(DISCLAIMER, lang),
        f"{pick('规则版本', 'rules', lang)} {d['rules']['version']} · "
        f"{pick('关注距离', 'attention distance', lang)} "
        f"{d['rules']['attention_distance_m']:.0f} m · "
        f"{pick('图层', 'layers', lang)}: {layers['sites']['count']} "
        f"{both(LAYER_COUNT_NOUNS['sites'], lang)}, {layers['sections']['count']} "
        f"{both(LAYER_COUNT_NOUNS['sections'], lang)}",
    ]
    if any(v.get("demonstration") for v in layers.values()):
        out.append(pick_sentence(DEMO_NOTE, lang))
    given = widths(d["options"], lang)
    out.append(
        f"{pick('项目类型', 'project type', lang)}: {project_type(d['options'], lang)}"
        + (f" · {', '.join(given)}" if given else "")
    )
    return out


def _impact_lines(i: int, imp: dict, p: dict, lang: str | None) -> list[str]:
    name = pick(imp["target_name_zh"], imp["target_name_en"], lang)
    grade = imp["grade"] if lang is None else vocab.GRADES.label(imp["grade"], lang)
    out = [
        f"  {i}. [{grade}] {imp['target_id']} {name} "
        f"({_label(vocab.TARGET_KINDS, imp['target_kind'], lang)}, "
        f"{_label(vocab.PROTECTION_LEVELS, imp['protection_level'], lang)})"
    ]
    where = (
        f"     {_label(vocab.ZONES, imp['zone'], lang)} · "
        f"{pick('距离', 'distance', lang)} {fmt_distance(imp['distance_m'])}"
    )
    if imp["bearing_deg"] is not None:
        where += f" · {pick('方位', 'bearing', lang)} {imp['bearing_deg']:.0f}°"
    if imp["overlap_area_m2"]:
        where += f" · {pick('重叠', 'overlap', lang)} {fmt_area(imp['overlap_area_m2'], lang)}"
        if imp["target_share"] is not None:
            where += f" ({imp['target_share'] * 100:.1f} %)"
    if p["footprint_count"] > 1:
        where += f" · {pick('范围', 'footprint', lang)} #{imp['footprint_index']}"
    out.append(where)
    out.append(f"     {pick(imp['reason_zh'], imp['reason_en'], lang)}")
    return out


def _project_lines(p: dict, lang: str | None) -> list[str]:
    basis = vocab.CRS_BASES.label(p["crs_basis"], lang, inline=True)
    out = [
        "",
        f"== {p['project_id']}  ({p['source']}) ==",
        f"  {pick('坐标系', 'CRS', lang)} {p['crs_in']} ({basis})"
        + (f" · {pick('属性编码', 'encoding', lang)} {p['encoding']}" if p.get("encoding") else ""),
        f"  {pick('范围要素', 'footprints', lang)}: {p['footprint_count']} "
        f"({geometry_types(p['geometry_types'], lang)}) · "
        f"{fmt_area(p['footprint_area_m2'], lang)}",
    ]
    out += [f"  {pick('说明', 'note', lang)}: {split_bilingual(n, lang)}" for n in p["notes"]]
    grade = p["grade"]
    verdict = vocab.GRADES.label(grade, lang)
    if lang != "zh":  # the grade in capitals too, for a quick look or a grep
        verdict = f"{grade.upper()} — {verdict}"
    out.append(f"  {pick('结论', 'Verdict', lang)}: {verdict}")
    if p.get("potential"):
        out += _potential_lines(p["potential"], lang)
    if not p["impacts"]:
        out.append(f"  {pick_sentence(NO_TARGETS, lang)}")
        return out
    for i, imp in enumerate(p["impacts"], 1):
        out += _impact_lines(i, imp, p, lang)
    follow, basis_items = follow_ups_and_basis(p["impacts"])
    out.append(f"  {pick('后续要求', 'Follow-ups', lang)}:")
    out += [f"   - {split_bilingual(f, lang)}" for f in follow]
    if basis_items:
        out.append(f"  {pick('依据', 'Legal basis', lang)}:")
        out += [f"   - {split_bilingual(b, lang)}" for b in basis_items]
    return out


def _potential_lines(pot: dict, lang: str | None) -> list[str]:
    """The fossil potential of the ground: classes crossed, units, grade and actions."""
    head = pick("化石潜力", "Fossil potential", lang)
    if pot["highest_class"] is None:
        return [f"  {head}: {pick(pot['reason_zh'], pot['reason_en'], lang)}"]
    grade = pot["grade"] if lang is None else vocab.GRADES.label(pot["grade"], lang)
    out = [f"  {head}: [{grade}] {pick(pot['reason_zh'], pot['reason_en'], lang)}"]
    for c in pot["classes"]:
        share = f" ({c['share'] * 100:.1f} %)" if c["share"] is not None else ""
        out.append(
            f"   - {pick('类', 'class', lang)} {c['class']} "
            f"{pick(c['label_zh'], c['label_en'], lang)}: {fmt_area(c['area_m2'], lang)}{share}"
        )
    for u in pot["units"][:POTENTIAL_UNITS_SHOWN]:
        name = pick(u["name_zh"] or u["name_en"] or "", u["name_en"] or u["name_zh"] or "", lang)
        share = f" ({u['share'] * 100:.1f} %)" if u["share"] is not None else ""
        out.append(
            f"     {u['unit'] or '–'} {name} [{u['class']}]: {fmt_area(u['area_m2'], lang)}{share}"
        )
    if len(pot["units"]) > POTENTIAL_UNITS_SHOWN:
        more = len(pot["units"]) - POTENTIAL_UNITS_SHOWN
        out.append(f"     … {pick(f'另有 {more} 个地层单元', f'{more} more units', lang)}")
    if pot["actions"]:
        out.append(f"  {pick('化石潜力要求', 'Required for the fossil potential', lang)}:")
        out += [f"   - {pick(a['zh'], a['en'], lang)}" for a in pot["actions"]]
    return out


#: units listed per project in the text report (all are in the JSON, CSV and GIS outputs)
POTENTIAL_UNITS_SHOWN = 8


def render_text(screening, lang: str | None = None) -> str:
    """A readable summary (bilingual unless ``lang`` is "zh" or "en")."""
    d = screening.to_dict()
    out = _header(d, lang)
    for p in d["projects"]:
        out += _project_lines(p, lang)
    return "\n".join(out) + "\n"
