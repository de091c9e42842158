"""Wording and number formats shared by the text and HTML reports.

Code labels (grades, zones, kinds, levels, CRS bases) come from :mod:`fossilgis.vocab`;
this module holds only the report's own sentences and the helpers that pick a language.
"""

from __future__ import annotations

from fossilgis import vocab

DISCLAIMER = {
    "zh": "本结果为初步筛查，不是法律结论；须由主管部门依法认定。",
    "en": "A first-stage screen, not a legal verdict; the authority decides.",
}
DEMO_NOTE = {
    "zh": "注意：当前图层为演示图层，边界为近似范围，正式名录导入前不得作为审批依据。",
    "en": "Note: the layers are demonstration layers with approximate boundaries; do not "
    "base approvals on them until the office's registry is imported.",
}
NO_TARGETS = {
    "zh": "关注距离内无化石产地或层型剖面。",
    "en": "No site or section within the attention distance.",
}


def pick(zh: str, en: str, lang: str | None) -> str:
    """``zh`` or ``en`` when a language is chosen, else ``"zh / en"``."""
    return zh if lang == "zh" else en if lang == "en" else f"{zh} / {en}"


def pick_sentence(sentence: dict, lang: str | None) -> str:
    """One of the sentences above (``{"zh": ..., "en": ...}``) in ``lang``."""
    return pick(sentence["zh"], sentence["en"], lang)


def fmt_distance(m) -> str:
    if m is None:
        return "–"
    return f"{m / 1000:.2f} km" if m >= 1000 else f"{m:.0f} m"


def fmt_area(m2) -> str:
    if m2 is None:
        return "–"
    return f"{m2:,.0f} m² = {m2 / 10_000:.2f} ha = {m2 / (10_000 / 15):.1f} 亩"


def split_bilingual(item: str, lang: str | None) -> str:
    """Pick one side of a "中文 / English" string when a language is chosen."""
    if lang not in ("zh", "en") or " / " not in item:
        return item
    zh, en = item.split(" / ", 1)
    return zh if lang == "zh" else en


def follow_ups_and_basis(impacts) -> tuple[list[str], list[str]]:
    """Unique follow-ups and legal bases of a project's impacts, worst grade first."""
    order = vocab.GRADES.codes
    follow, basis = [], []
    for imp in sorted(impacts, key=lambda i: -order.index(i["grade"])):
        follow += [f for f in imp["follow_up"] if f not in follow]
        basis += [b for b in imp["legal_basis"] if b not in basis]
    return follow, basis
