"""The text ``fossilgis case show`` prints: a case's record, screens, follow-ups, files."""

from __future__ import annotations

from fossilgis import vocab
from fossilgis.report.wording import beijing_time, fmt_distance, pick


def _grade(code, lang):
    return vocab.GRADES.label(code, lang) if code else pick("未筛查", "not screened", lang)


def screen_reason(reason: str, lang) -> str:
    """A screen's reason in words ("registry revision sites v5 · sections v1" keeps its label)."""
    if reason and reason.startswith("registry revision"):
        return (
            f"{vocab.SCREEN_REASONS.label('registry', lang)}: {reason[len('registry revision ') :]}"
        )
    return vocab.SCREEN_REASONS.label(reason, lang) if reason in vocab.SCREEN_REASONS else reason


def render_case_text(store, record: dict, lang: str | None = None) -> str:
    """The case in plain text, in ``lang`` (None: both)."""
    from fossilgis.cases.snapshot import describe_flag

    c = record["case"]
    t = lambda zh, en: pick(zh, en, lang)  # noqa: E731
    lines = [
        f"{t('案件', 'Case')} {c['number']}  {vocab.CASE_STATUSES.label(c['status'], lang)}",
        f"  {t('项目名称', 'Project')}: {c['project_name']}",
        f"  {t('建设单位', 'Applicant')}: {c['applicant_unit'] or '–'}"
        + (f" ({c['applicant_contact']})" if c["applicant_contact"] else ""),
        f"  {t('项目类型', 'Project type')}: {vocab.PROJECT_TYPES.label(c['project_type'], lang)}",
        f"  {t('县区', 'County')}: {c['county'] or '–'}",
        f"  {t('来源', 'Source')}: {vocab.CASE_SOURCES.label(c['source'], lang)}",
        f"  {t('登记时间', 'Opened')}: {beijing_time(c['created_at'], lang)} "
        f"({c['created_by'] or '–'})",
        f"  {t('筛查结论', 'Grade')}: {_grade(c['grade'], lang)}",
        f"  {t('涉及对象', 'Affected')}: {' '.join(c['targets']) or '–'}",
    ]
    if c["decided_at"]:
        lines.append(
            f"  {t('处理决定', 'Decision')}: {vocab.CASE_STATUSES.label(c['status'], lang)}, "
            f"{beijing_time(c['decided_at'], lang)} ({c['decided_by'] or '–'})"
        )
        if c["decision_text"]:
            lines.append(f"    {c['decision_text']}")
    if c["flag"]:
        lines.append("  ! " + describe_flag(c["flag"], lang))
    lines.append(f"{t('筛查记录', 'Screens')}:")
    for s in record["screens"]:
        lines.append(
            f"  {s['seq']}. {beijing_time(s['screened_at'], lang)} {_grade(s['grade'], lang)} "
            f"({screen_reason(s['reason'], lang)}; {t('规则', 'rules')} {s['rules_version']}; "
            + ", ".join(f"{k} v{v}" for k, v in sorted((s["layers"] or {}).items()))
            + ")"
        )
        for v in (s["summary"] or {}).values():
            if v.get("potential_class"):  # the fossil potential of the ground
                lines.append(
                    f"     {pick(v['name_zh'], v['name_en'], lang)}: "
                    f"{t('类', 'class')} {v['potential_class']}, "
                    f"{vocab.GRADES.label(v['grade'], lang)}"
                )
                continue
            lines.append(
                f"     {v['id']} {pick(v['name_zh'], v['name_en'], lang)}: "
                f"{vocab.ZONES.label(v['zone'], lang)}, "
                f"{fmt_distance(v['distance_m'])}, {vocab.GRADES.label(v['grade'], lang)}"
            )
    if record["follow_ups"]:
        lines.append(f"{t('后续事项', 'Follow-ups')}:")
        for f in record["follow_ups"]:
            state = (
                t("已完成", "done")
                if f["done_at"]
                else (
                    t("期限 ", "due ") + f["due_date"]
                    if f["due_date"]
                    else t("未定期限", "no date")
                )
            )
            shown = t("（已告知建设单位）", " (released to the applicant)") if f["released"] else ""
            lines.append(f"  {f['seq']}. {f['text']} — {state}{shown}")
    if record["files"]:
        lines.append(f"{t('文件', 'Files')}:")
        for f in record["files"]:
            lines.append(
                f"  {f['seq']}. [{vocab.CASE_FILE_ROLES.label(f['role'], lang)}] {f['name']} "
                f"{f['bytes']} B sha256 {f['sha256'][:12]}…"
            )
    lines.append(f"{t('办理记录', 'History')}:")
    for h in record["history"]:
        lines.append(
            f"  {beijing_time(h['at'], lang)} {h['username'] or '–'} "
            + (
                vocab.CASE_ACTIONS.label(h["action"], lang)
                if h["action"] in vocab.CASE_ACTIONS
                else h["action"]
            )
        )
    return "\n".join(lines) + "\n"
