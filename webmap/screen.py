"""From a request to a screening: uploaded files or a drawn GeoJSON, options, the core call."""

from __future__ import annotations

import json
import math
import re
import shutil
import tempfile
import unicodedata
from pathlib import Path

from fossilgis.impact import PROJECT_TYPES, ScreenOptions
from webmap.errors import WebInputError

#: files that travel with a .shp and are not read on their own
SHAPEFILE_SIDECARS = {".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".xml", ".qmd"}
MAX_NAME = 120


def safe_name(filename: str | None, fallback: str = "upload") -> str:
    """A file name safe to join to a directory that keeps Chinese (any letter) readable.

    Keeps letters, digits, ``-_.()（）`` and spaces; drops directories, control characters and
    leading dots; keeps the extension, which decides how the file is read.
    """
    name = unicodedata.normalize("NFC", filename or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if ch.isalnum() or ch in "-_.()（） ")
    name = name.strip(" .")
    if not name or name.startswith("."):
        return fallback
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: MAX_NAME - len(ext) - 1] + dot + ext) if dot else name[:MAX_NAME]
    return name


def _positive(form, field: str, label_key: str):
    from webmap.i18n import text

    raw = (form.get(field) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        raise WebInputError("err_bad_number", field=text(label_key), value=raw)
    return value


def options_from(form) -> ScreenOptions:
    """ScreenOptions from form fields or query arguments (project_type, ground_disturbance,
    line_width_m, point_radius_m)."""
    project_type = (form.get("project_type") or "other").strip()
    if project_type not in PROJECT_TYPES:
        # ScreenOptions names the allowed values in its FossilGISError
        return ScreenOptions(project_type=project_type)
    disturbance = str(form.get("ground_disturbance", "true")).strip().lower()
    return ScreenOptions(
        project_type=project_type,
        ground_disturbance=disturbance in ("1", "true", "on", "yes"),
        line_width_m=_positive(form, "line_width_m", "line_width"),
        point_radius_m=_positive(form, "point_radius_m", "point_radius"),
    )


def save_uploads(files, directory: Path) -> list[Path]:
    """Save the uploaded files; return the ones to read (a .shp stands for its sidecars)."""
    saved = []
    for storage in files:
        if not storage or not storage.filename:
            continue
        path = directory / safe_name(storage.filename)
        n = 1
        while path.exists():
            path = directory / f"{path.stem}_{n}{path.suffix}"
            n += 1
        storage.save(path)
        saved.append(path)
    return [p for p in saved if p.suffix.lower() not in SHAPEFILE_SIDECARS] or saved


def write_geojson(text_or_obj, directory: Path) -> Path:
    """Check that a drawn or posted body is GeoJSON and write it as a file for the reader."""
    from fossilgis.io._ogr import json_depth
    from fossilgis.io.limits import WEB_LIMITS

    obj = text_or_obj
    if isinstance(text_or_obj, str | bytes):
        try:
            text = text_or_obj.decode("utf-8") if isinstance(text_or_obj, bytes) else text_or_obj
        except UnicodeDecodeError as exc:
            raise WebInputError("err_bad_geojson", detail=str(exc)) from None
        # measured before parsing: a deeply nested body must not exhaust the stack
        if json_depth(text) > WEB_LIMITS.json_depth:
            raise WebInputError(
                "err_bad_geojson",
                detail=(
                    f"its arrays/objects are nested deeper than {WEB_LIMITS.json_depth} levels"
                ),
            )
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise WebInputError("err_bad_geojson", detail=str(exc)) from None
    kinds = (
        "FeatureCollection",
        "Feature",
        "Polygon",
        "MultiPolygon",
        "LineString",
        "MultiLineString",
        "Point",
        "MultiPoint",
        "GeometryCollection",
    )
    if not isinstance(obj, dict) or obj.get("type") not in kinds:
        found = obj.get("type") if isinstance(obj, dict) else type(obj).__name__
        raise WebInputError(
            "err_bad_geojson", detail=f"type {found!r}; expected one of {', '.join(kinds)}"
        )
    if obj["type"] == "FeatureCollection" and not obj.get("features"):
        raise WebInputError("err_bad_geojson", detail="the FeatureCollection has no features")
    path = directory / "drawn.geojson"
    # ASCII escapes: a lone surrogate from a hostile body cannot be written as UTF-8
    path.write_text(json.dumps(obj, ensure_ascii=True), encoding="utf-8")
    return path


def kept_files(directory: Path) -> list[tuple[str, bytes, str]]:
    """(name, bytes, MIME type) of every file saved in ``directory``, by name."""
    from fossilgis.cases.files import submitted_type

    return [
        (p.name, p.read_bytes(), submitted_type(p.name))
        for p in sorted(directory.iterdir())
        if p.is_file()
    ]


def screen_request(*, files, geojson, form, store, keep: list | None = None, pending=None):
    """Screen what a request brought: uploaded ``files`` or a ``geojson`` body, not both.

    The files live in a temporary directory that is removed when the screen is done. When
    ``keep`` is a list, (name, bytes, MIME type) of every file read (all the uploads as
    sent, or the drawn shape as ``drawn.geojson``) is appended to it, so that a case opened
    from the result keeps what was submitted. ``pending`` (a :class:`webmap.uploads.Pending`)
    stands for ``files`` already kept on the server; its folder is left as it is.
    """
    from fossilgis.io.limits import WEB_LIMITS, use_limits
    from fossilgis.screening import screen_paths

    files = [f for f in (files or []) if f and f.filename]
    if (files or pending is not None) and geojson:
        raise WebInputError("err_both_inputs")
    if not files and not geojson and pending is None:
        raise WebInputError("err_no_input")
    options = options_from(form)
    crs = (form.get("crs") or "").strip() or None
    layer = (form.get("layer") or "").strip() or None
    encoding = (form.get("encoding") or "").strip() or None
    workdir = Path(tempfile.mkdtemp(prefix="fossilgis-upload-"))
    try:
        if pending is not None:
            paths = pending.read_paths()
            if keep is not None:
                keep.extend(pending.records())
        else:
            paths = save_uploads(files, workdir) if files else [write_geojson(geojson, workdir)]
            if keep is not None:
                keep.extend(kept_files(workdir))
        with use_limits(WEB_LIMITS):  # uploads: the lower web limits
            screening = screen_paths(
                paths, store, options=options, crs=crs, layer=layer, encoding=encoding
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    for project in screening.projects:  # the temporary directory means nothing to users
        if project.get("source"):
            project["source"] = Path(str(project["source"])).name
    return screening
