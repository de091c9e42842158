"""The fossil potential part of a screen as the pages show it (/check result, case page,
applicant's status page): plain values in the page's language for ``_potential.html``.

A screen's JSON form carries, per project, ``potential`` (None when the store had no
geological map; docs/impact-check.md). The applicant's status page gets an allow-list of
it: the classes, units and actions of the ground, never the grade or the rules' reason,
which are the office's (docs/SECURITY.md).
"""

from __future__ import annotations

from fossilgis.report.wording import split_bilingual
from webmap.i18n import current_lang

#: what the status page may show of a project's potential (and of each class and unit row)
APPLICANT_FIELDS = ("project", "highest", "highest_label", "colour", "classes", "units")
APPLICANT_FIELDS += ("actions", "follow_ups", "legal_basis", "unmapped")


def _pick(row: dict, key: str, lang: str):
    value = row.get(f"{key}_zh" if lang == "zh" else f"{key}_en")
    return value or row.get(f"{key}_en") or row.get(f"{key}_zh") or ""


def _measures(row: dict) -> dict:
    """m², ha, 亩 and share of a class or unit row, as the tables print them."""
    share = row.get("share")
    return {
        "m2": f"{row.get('area_m2') or 0:,.0f}",
        "ha": f"{row.get('area_ha') or 0:,.2f}",
        "mu": f"{row.get('area_mu') or 0:,.1f}",
        "share": "–" if share is None else f"{share * 100:.1f} %",
    }


def class_colours() -> dict[str, str]:
    """The colour of each class in the current potential table ({} when it is unreadable);
    a kept screen names classes, its colours come from the table of today."""
    from flask import current_app

    cache = current_app.extensions.get("fossilgis_potential")
    try:
        _layer, table, _info = cache.get() if cache else (None, None, None)
    except Exception:  # noqa: BLE001 - a colour swatch is not worth an error page
        return {}
    return {code: c.colour for code, c in table.classes.items()} if table else {}


def potential_view(project: dict, several: bool = False, lang: str | None = None):
    """One project's potential for ``_potential.html``; None when screened without a map."""
    pot = project.get("potential")
    if not pot:
        return None
    lang = lang or current_lang()
    colours = class_colours()
    labels = {c["class"]: _pick(c, "label", lang) for c in pot.get("classes") or []}
    highest = pot.get("highest_class")
    unmapped = pot.get("unmapped_area_m2") or 0
    return {
        "project": project.get("project_id") if several else None,
        "highest": highest,
        "highest_label": labels.get(highest, ""),
        "colour": colours.get(highest),
        "grade": pot.get("grade") or "none",
        "reason": _pick(pot, "reason", lang),
        "classes": [
            {"code": c["class"], "label": labels[c["class"]], "colour": colours.get(c["class"])}
            | _measures(c)
            for c in pot.get("classes") or []
        ],
        "units": [
            {
                "unit": u.get("unit") or "–",
                "name": _pick(u, "name", lang) or "–",
                "code": u.get("class"),
                "label": labels.get(u.get("class"), ""),
                "in_table": bool(u.get("in_table")),
            }
            | _measures(u)
            for u in pot.get("units") or []
        ],
        "actions": [a.get(lang) or a.get("en") or "" for a in pot.get("actions") or []],
        "follow_ups": [split_bilingual(f, lang) for f in pot.get("follow_up") or []],
        "legal_basis": [split_bilingual(b, lang) for b in pot.get("legal_basis") or []],
        "unmapped": f"{unmapped:,.0f}" if highest is not None and unmapped > 0.5 else None,
    }


def potential_views(result: dict, lang: str | None = None) -> list[dict] | None:
    """Every project's potential of a screen's JSON form, in project order (an entry is
    None for a project without a result); None when the screen had no geological map."""
    summary = (result or {}).get("potential") or {}
    # screens from before the potential, and screens without a map (formations version 0)
    if not summary.get("formations_version"):
        return None
    projects = result.get("projects") or []
    several = len(projects) > 1
    return [potential_view(p, several, lang) for p in projects]


def applicant_potential(result: dict | None, lang: str) -> list[dict] | None:
    """What the applicant's status page shows of the potential: allow-listed fields only
    (no grade, no rule reason), texts scrubbed of coordinates; None without a map."""
    from fossilgis.generalise import public_text

    views = potential_views(result or {}, lang)
    if views is None:
        return None
    out = []
    for view in filter(None, views):
        shown = {k: view[k] for k in APPLICANT_FIELDS}
        shown["units"] = [
            {**u, "unit": public_text(u["unit"]), "name": public_text(u["name"])}
            for u in view["units"]
        ]
        for key in ("actions", "follow_ups", "legal_basis"):
            shown[key] = [public_text(t) for t in view[key]]
        out.append(shown)
    return out
