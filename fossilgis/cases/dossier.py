"""A case as the office files it: the record as JSON, the printable report, GIS files, and
a zip dossier holding all of them with the submitted files and attachments.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from pathlib import Path

from fossilgis.errors import FossilGISError

FORMATS = ("zip", "html", "json", "geojson", "gpkg")


def case_record(store, number: str) -> dict:
    """Everything the register holds on a case, as plain JSON (no secrets)."""
    case = store.cases.get(number)
    return {
        "case": case,
        "screens": store.cases.screens(number),
        "follow_ups": store.cases.follow_ups(number),
        "files": store.cases.files(number),
        "history": store.cases.history(number),
    }


def report_case(store, number: str) -> dict:
    """The case fields the printed report shows in its header."""
    case = store.cases.get(number)
    return {
        "number": case["number"],
        "project_name": case["project_name"],
        "applicant_unit": case["applicant_unit"],
        "applicant_contact": case["applicant_contact"],
        "officer": case["officer"] or case["created_by"],
        "status": case["status"],
        "decision_text": case["decision_text"],
        "decided_at": case["decided_at"],
        "follow_ups": store.cases.follow_ups(number),
    }


def render_case_html(store, number: str, lang: str | None = None, *, precise: bool = True) -> str:
    """The filing report of a case's current screen (``precise``: draw target boundaries)."""
    from fossilgis.report import render_html

    screening = store.cases.screening(number)
    return render_html(
        screening,
        lang,
        store=store if precise else None,
        title=f"{number} fossilgis",
        case=report_case(store, number),
    )


def _history_csv(history: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["id", "at", "username", "action", "detail"])
    for h in history:
        detail = json.dumps(h["detail"], ensure_ascii=False) if h["detail"] else ""
        writer.writerow([h["id"], h["at"], h["username"], h["action"], detail])
    return "\ufeff" + buf.getvalue()


def export_case(store, number: str, path, fmt: str | None = None, *, lang=None) -> Path:
    """Write a case to ``path`` as ``fmt`` (default from the suffix; zip: the dossier)."""
    from fossilgis.io.atomic import atomic_output, protected_paths_of, write_text_atomic

    path = Path(path)
    fmt = fmt or {
        ".zip": "zip",
        ".html": "html",
        ".json": "json",
        ".geojson": "geojson",
        ".gpkg": "gpkg",
    }.get(path.suffix.lower())
    if fmt not in FORMATS:
        raise FossilGISError(
            f"{path.name}: cannot tell the export format from the suffix; give --format "
            f"({', '.join(FORMATS)})"
        )
    protected = protected_paths_of(store)
    if fmt == "json":
        text = json.dumps(case_record(store, number), ensure_ascii=False, indent=2, default=str)
        write_text_atomic(path, text + "\n", protected)
        return path
    if fmt == "html":
        write_text_atomic(path, render_case_html(store, number, lang), protected)
        return path
    if fmt in ("geojson", "gpkg"):
        from fossilgis.io.write import write_screening

        return write_screening(store.cases.screening(number), path, fmt, protected=protected)
    record = case_record(store, number)
    with atomic_output(path, protected) as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(
                f"{number}/case.json", json.dumps(record, ensure_ascii=False, indent=2, default=str)
            )
            zf.writestr(f"{number}/history.csv", _history_csv(record["history"]))
            if record["case"]["screen_seq"] is not None:
                zf.writestr(f"{number}/report.html", render_case_html(store, number, lang))
                from fossilgis.io.write import write_screening

                with tempfile.TemporaryDirectory(prefix="fossilgis-dossier-") as work:
                    gis = Path(work) / "screen.gpkg"
                    write_screening(store.cases.screening(number), gis, "gpkg")
                    zf.write(gis, f"{number}/screen.gpkg")
            for f in record["files"]:
                folder = "submitted" if f["role"] == "submitted" else "attachments"
                zf.write(
                    store.cases.blob_path(f["sha256"]),
                    f"{number}/{folder}/{f['seq']:02d}-{f['name']}",
                )
    return path
