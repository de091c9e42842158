"""The plain-text report: a readable summary for the console, bilingual or in one language."""

from __future__ import annotations

from fossilgis import vocab
from fossilgis.report.wording import (
    DEMO_NOTE,
    DISCLAIMER,
    NO_TARGETS,
    fmt_area,
    fmt_distance,
    follow_ups_and_basis,
    pick,
    pick_sentence,
    split_bilingual,
)

#: the layers as counted things ("36 处化石产地"): a counted phrase, not a code label, so
#: it keeps its measure word and short English form here rather than vocab.LAYER_KINDS
LAYER_COUNT_NOUNS = {
    "sites": {"zh": "处化石产地", "en": "sites"},
    "sections": {"zh": "条层型剖面", "en": "sections"},
}


def _both(labels: dict, lang: str | None) -> str:
    """``"中文 English"`` or one side: how the text report writes a label."""
    if lang in ("zh", "en"):
        return labels[lang]
    return f"{labels['zh']} {labels['en']}"


def render_text(screening, lang: str | None = None) -> str:
    """A readable summary (bilingual unless ``lang`` is "zh" or "en")."""
    d = screening.to_dict()
    out = [
        pick("fossilgis 化石产地影响筛查", "fossilgis impact screen", lang),
        pick_sentence(DISCLAIMER, lang),
        f"{pick('规则版本', 'rules', lang)} {d['rules']['version']} · "
        f"{pick('关注距离', 'attention distance', lang)} "
        f"{d['rules']['attention_distance_m']:.0f} m · "
        f"{pick('图层', 'layers', lang)}: {d['layers']['sites']['count']} "
        f"{_both(LAYER_COUNT_NOUNS['sites'], lang)}, {d['layers']['sections']['count']} "
        f"{_both(LAYER_COUNT_NOUNS['sections'], lang)}",
    ]
    if any(v.get("demonstration") for v in d["layers"].values()):
        out.append(pick_sentence(DEMO_NOTE, lang))
    opts = d["options"]
    widths = []
    if opts["line_width_m"]:
        widths.append(f"line width {opts['line_width_m']:g} m")
    if opts["point_radius_m"]:
        widths.append(f"point radius {opts['point_radius_m']:g} m")
    out.append(
        f"{pick('项目类型', 'project type', lang)}: {opts['project_type']}"
        f"{'' if opts['ground_disturbance'] else ' (no ground disturbance)'}"
        + (f" · {', '.join(widths)}" if widths else "")
    )
    for p in d["projects"]:
        out.append("")
        grade = p["grade"]
        out.append(f"== {p['project_id']}  ({p['source']}) ==")
        out.append(
            f"  CRS {p['crs_in']} ({vocab.CRS_BASES.label(p['crs_basis'], lang, inline=True)})"
            + (f" · encoding {p['encoding']}" if p.get("encoding") else "")
        )
        out.append(
            f"  {pick('范围要素', 'footprints', lang)}: {p['footprint_count']} "
            f"({', '.join(p['geometry_types'])}) · {fmt_area(p['footprint_area_m2'])}"
        )
        for note in p["notes"]:
            out.append(f"  note: {split_bilingual(note, lang)}")
        out.append(
            f"  {pick('结论', 'Verdict', lang)}: {grade.upper()} — "
            f"{vocab.GRADES.label(grade, lang)}"
        )
        if not p["impacts"]:
            out.append(f"  {pick_sentence(NO_TARGETS, lang)}")
            continue
        for i, imp in enumerate(p["impacts"], 1):
            name = pick(imp["target_name_zh"], imp["target_name_en"], lang)
            line = (
                f"  {i}. [{imp['grade']}] {imp['target_id']} {name} "
                f"({vocab.TARGET_KINDS.label(imp['target_kind'], lang, inline=True)}, "
                f"{vocab.PROTECTION_LEVELS.label(imp['protection_level'], lang, inline=True)})"
            )
            out.append(line)
            where = (
                f"     {vocab.ZONES.label(imp['zone'], lang, inline=True)} · "
                f"{pick('距离', 'distance', lang)} {fmt_distance(imp['distance_m'])}"
            )
            if imp["bearing_deg"] is not None:
                where += f" · {pick('方位', 'bearing', lang)} {imp['bearing_deg']:.0f}°"
            if imp["overlap_area_m2"]:
                where += f" · {pick('重叠', 'overlap', lang)} {fmt_area(imp['overlap_area_m2'])}"
                if imp["target_share"] is not None:
                    where += f" ({imp['target_share'] * 100:.1f} %)"
            if len(p["impacts"]) and p["footprint_count"] > 1:
                where += f" · footprint #{imp['footprint_index']}"
            out.append(where)
            out.append(f"     {pick(imp['reason_zh'], imp['reason_en'], lang)}")
        follow, basis = follow_ups_and_basis(p["impacts"])
        out.append(f"  {pick('后续要求', 'Follow-ups', lang)}:")
        out += [f"   - {split_bilingual(f, lang)}" for f in follow]
        if basis:
            out.append(f"  {pick('依据', 'Legal basis', lang)}:")
            out += [f"   - {split_bilingual(b, lang)}" for b in basis]
    return "\n".join(out) + "\n"
