"""Wording and number formats shared by the text and HTML reports.

Code labels (grades, zones, kinds, levels, CRS bases) come from :mod:`fossilgis.vocab`;
this module holds only the report's own sentences and the helpers that pick a language.
"""

from __future__ import annotations

import datetime as dt

from fossilgis import vocab

#: China Standard Time (北京时间), which has no daylight saving
BEIJING = dt.timezone(dt.timedelta(hours=8), "UTC+8")

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
NO_GROUND_DISTURBANCE = {"zh": "不扰动地面", "en": "no ground disturbance"}
#: the layers as counted things ("36 处化石产地"): a counted phrase, not a code label, so
#: it keeps its measure word and short English form here rather than vocab.LAYER_KINDS
LAYER_COUNT_NOUNS = {
    "sites": {"zh": "处化石产地", "en": "sites"},
    "sections": {"zh": "条层型剖面", "en": "sections"},
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


def fmt_area(m2, lang: str | None = None) -> str:
    """``"1,000 m² = 0.10 ha = 1.5 亩"`` (``mu`` in English)."""
    if m2 is None:
        return "–"
    mu = "mu" if lang == "en" else "亩"
    return f"{m2:,.0f} m² = {m2 / 10_000:.2f} ha = {m2 / (10_000 / 15):.1f} {mu}"


def beijing_time(iso_text, lang: str | None = None) -> str:
    """A UTC time written in Beijing time: ``"2026-11-29 17:52 北京时间 (UTC+8)"``.

    Parameters
    ----------
    iso_text : str or datetime.datetime or None
        An ISO 8601 time (``"2026-11-29T09:52:03+00:00"``, ``"…Z"``); without an offset it
        is taken as UTC. A bare date (``"2026-11-29"``) is returned as it is, and so is
        text that is not a time; None or "" gives ``"–"``.
    lang : {"zh", "en", None}
        ``北京时间``, ``Beijing time`` or both.
    """
    if iso_text is None or iso_text == "":
        return "–"
    if isinstance(iso_text, dt.datetime):
        t = iso_text
    else:
        text = str(iso_text).strip()
        if len(text) <= 10:
            return text
        try:
            t = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return text
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    name = pick("北京时间", "Beijing time", lang).replace(" / ", " ")
    return f"{t.astimezone(BEIJING):%Y-%m-%d %H:%M} {name} (UTC+8)"


def both(labels: dict, lang: str | None) -> str:
    """``"中文 English"`` or one side of ``{"zh": ..., "en": ...}``."""
    if lang in ("zh", "en"):
        return labels[lang]
    return f"{labels['zh']} {labels['en']}"


def geometry_types(types, lang: str | None) -> str:
    """A project's geometry types in words (``"线、面"``, ``"line, polygon"``)."""
    sep = "、" if lang == "zh" else ", "
    return sep.join(vocab.GEOMETRY_TYPES.label(t, lang, inline=True) for t in types)


def project_type(options: dict, lang: str | None) -> str:
    """The screened project type and whether the ground is disturbed."""
    text = vocab.PROJECT_TYPES.label(options["project_type"], lang)
    if not options["ground_disturbance"]:
        text += f" ({pick_sentence(NO_GROUND_DISTURBANCE, lang)})"
    return text


def widths(options: dict, lang: str | None) -> list[str]:
    """``["线宽 26 m", "点半径 50 m"]``: the widths given to lines and points, if any."""
    out = []
    if options["line_width_m"]:
        out.append(f"{pick('线宽', 'line width', lang)} {options['line_width_m']:g} m")
    if options["point_radius_m"]:
        out.append(f"{pick('点半径', 'point radius', lang)} {options['point_radius_m']:g} m")
    return out


def control_widths(rules: dict, lang: str | None) -> str:
    """The construction-control widths of ``Screening.to_dict()["rules"]``, by kind and level."""
    sep, colon = ("；", "：") if lang == "zh" else ("; ", ": ")
    return sep.join(
        vocab.TARGET_KINDS.label(kind, lang)
        + colon
        + ("，" if lang == "zh" else ", ").join(
            f"{vocab.PROTECTION_LEVELS.label(level, lang, inline=True)} {m:g} m"
            for level, m in by_level.items()
        )
        for kind, by_level in rules["control_distance_m"].items()
    )


def layers_summary(layers: dict, lang: str | None) -> str:
    """``"36 处化石产地，19 条层型剖面（边界：近似）"`` from ``Screening.to_dict()["layers"]``."""
    counts = ", ".join(
        f"{layers[k]['count']} {both(LAYER_COUNT_NOUNS[k], lang)}" for k in ("sites", "sections")
    )
    statuses = dict.fromkeys(layers[k]["boundary_status"] for k in ("sites", "sections"))
    status = " / ".join(vocab.BOUNDARY_STATUSES.label(s, lang) for s in statuses if s)
    if not status:
        return counts
    return f"{counts} ({pick('边界', 'boundaries', lang)}: {status})"


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
