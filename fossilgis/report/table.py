"""The CSV report: one row per footprint × target pair, ready for Excel."""

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
]


def render_csv(screening) -> str:
    """One row per footprint × target pair (a row with grade none for clear projects).

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
    return buf.getvalue()
