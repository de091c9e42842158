"""The CSV report: one row per footprint × target pair, then one per geological unit a
project crosses (``target_kind`` "formation"), ready for Excel."""

from __future__ import annotations

import csv
import io

from fossilgis.impact import IMPACT_COLUMNS

CSV_COLUMNS = [
    "project_id",
    "source",
    "project_grade",
    *IMPACT_COLUMNS,
    "crs_in",
    "crs_basis",
    "rules_version",
    "potential_class",
    "project_share",
]


def render_csv(screening) -> str:
    """One row per footprint × target pair (a row with grade none for clear projects), then
    with a geological map one row per unit the project crosses: ``target_kind`` "formation",
    ``target_id`` the unit's code, its names, ``potential_class``, the area in
    ``overlap_area_*`` and its ``project_share``; grade, reason, follow-ups (the required
    actions first) and legal basis are the project's fossil potential result.

    Starts with a UTF-8 byte-order mark so that Excel opens Chinese text correctly.
    """
    d = screening.to_dict()
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.DictWriter(buf, CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for p in d["projects"]:
        base = {
            "project_id": p["project_id"],
            "source": p["source"],
            "project_grade": p["grade"],
            "crs_in": p["crs_in"],
            "crs_basis": p["crs_basis"],
            "rules_version": d["rules"]["version"],
        }
        if not p["impacts"]:
            writer.writerow({**base, "grade": "none"})
        for imp in p["impacts"]:
            row = {**base, **{k: imp.get(k) for k in CSV_COLUMNS if k in imp}}
            row["follow_up"] = "; ".join(imp["follow_up"])
            row["legal_basis"] = "; ".join(imp["legal_basis"])
            writer.writerow(row)
        for row in _potential_rows(p.get("potential")):
            writer.writerow({**base, **row})
    return buf.getvalue()


def _potential_rows(pot: dict | None):
    if not pot:
        return
    follow = [f"{a['zh']} / {a['en']}" for a in pot["actions"]] + list(pot["follow_up"])
    for u in pot["units"]:
        yield {
            "target_kind": "formation",
            "target_id": u["unit"],
            "target_name_zh": u["name_zh"],
            "target_name_en": u["name_en"],
            "potential_class": u["class"],
            "overlap_area_m2": u["area_m2"],
            "overlap_area_ha": u["area_ha"],
            "overlap_area_mu": u["area_mu"],
            "project_share": u["share"],
            "grade": pot["grade"],
            "reason_zh": pot["reason_zh"],
            "reason_en": pot["reason_en"],
            "follow_up": "; ".join(follow),
            "legal_basis": "; ".join(pot["legal_basis"]),
        }
