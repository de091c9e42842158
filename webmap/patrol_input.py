"""From a request to a Patrol and its photos: the JSON/GeoJSON body, or a multipart body
holding a ``patrol`` GeoJSON part or the web form's fields, a GPX track and photo files.

The web form (with or without JavaScript) and ``POST /api/patrols`` both come here and then
call :func:`fossilgis.patrols.submit.submit_patrol`, as the CLI does: one record however it
arrives. Uploaded file names are only labels: they never become paths.
"""

from __future__ import annotations

import json
import re
import tempfile
import uuid as uuidlib
from dataclasses import dataclass, field
from pathlib import Path

from fossilgis.errors import PatrolValidationError
from fossilgis.patrols.geojson import patrols_from_geojson
from fossilgis.patrols.messages import (
    Message,
    Words,
    choices,
    gpx_fault,
    gpx_note,
    message,
    refused,
    shown,
)
from fossilgis.patrols.model import (
    OBSERVATION_CATEGORIES,
    Observation,
    Patrol,
    PhotoRef,
    Waypoint,
    category_code,
    normalise_uuid,
    parse_time,
)
from webmap.screen import safe_name

#: multipart parts that are not photos
NON_PHOTO_PARTS = ("patrol", "gpx")
#: observation rows the form may send (obs-0-… to obs-49-…)
MAX_OBSERVATIONS = 50
_OBS_FIELD = re.compile(r"^obs-(\d{1,2})-(\w+)$")


@dataclass
class PatrolUpload:
    """What a request brought: the record, its photos by (unique) name, notes for the sender
    (warnings about what was read, e.g. a GPX route that was ignored)."""

    patrol: Patrol
    files: dict[str, bytes] = field(default_factory=dict)
    notes: list[Message] = field(default_factory=list)


def _one_patrol(obj) -> Patrol:
    patrols = patrols_from_geojson(obj)
    if len(patrols) != 1:
        raise PatrolValidationError(message("several_patrols", "body", count=len(patrols)))
    return patrols[0]


def patrol_from_json(body: bytes) -> Patrol:
    """The one patrol of an exchange-format body (PatrolValidationError when it is not)."""
    try:
        obj = json.loads(body, parse_constant=_no_constant)
    except RecursionError:
        reason = Words("嵌套层数过多", "nested too deeply")
        raise PatrolValidationError(message("not_json", "body", reason=reason)) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise PatrolValidationError(message("not_json", "body", reason=_json_fault(exc))) from None
    return _one_patrol(obj)


def _json_fault(exc: Exception) -> Words:
    """Where or why a body is not JSON, in words."""
    if isinstance(exc, json.JSONDecodeError):
        return Words(
            f"第 {exc.lineno} 行第 {exc.colno} 列有误",
            f"error at line {exc.lineno}, column {exc.colno}",
        )
    if isinstance(exc, UnicodeDecodeError):
        return Words("不是 UTF-8 文本", "not UTF-8 text")
    return Words(
        "含有 NaN 或 Infinity，JSON 不允许这样的数值",
        "it holds NaN or Infinity, which JSON does not allow",
    )


def _no_constant(name: str):
    """json.loads hook: NaN and Infinity are not JSON (RFC 8259) and no coordinate."""
    raise ValueError(f"{name} is not a JSON value")


def _unique_name(name: str, data: bytes, files: dict[str, bytes]) -> str:
    """``name`` made safe, and unique among ``files`` (phones call every photo image.jpg)."""
    base = safe_name(name, "photo")
    candidate, n = base, 1
    while candidate in files and files[candidate] != data:
        stem, dot, ext = base.rpartition(".")
        candidate = f"{stem}_{n}.{ext}" if dot else f"{base}_{n}"
        n += 1
    return candidate


def read_photo_parts(files) -> tuple[dict[str, bytes], dict[str, list[str]]]:
    """Photos of a multipart body: {unique name: bytes}, and the names per part field."""
    photos: dict[str, bytes] = {}
    by_field: dict[str, list[str]] = {}
    for part_name in files:
        if part_name in NON_PHOTO_PARTS:
            continue
        for storage in files.getlist(part_name):
            if not storage or not storage.filename:
                continue
            data = storage.read()
            if not data:
                continue
            name = _unique_name(storage.filename, data, photos)
            photos[name] = data
            by_field.setdefault(part_name, []).append(name)
    return photos, by_field


def _gpx(storage):
    """The GpxContent of an uploaded GPX part, read from a temporary file with a fixed name."""
    from fossilgis.patrols.gpx import read_gpx

    with tempfile.TemporaryDirectory(prefix="fossilgis-gpx-") as tmp:
        path = Path(tmp) / "track.gpx"
        storage.save(path)
        try:
            return read_gpx(path)
        except Exception as exc:  # an InputFileError naming track.gpx: name the upload
            from fossilgis.errors import InputFileError

            if isinstance(exc, InputFileError):
                name = safe_name(storage.filename, "track.gpx")
                reason = gpx_fault(str(exc).replace("track.gpx", name))
                raise InputFileError(
                    message("gpx_unreadable", "gpx", name=name, reason=reason)
                ) from None
            raise


def _merge_gpx(patrol: Patrol, content, notes: list[Message]) -> None:
    """Take the track, missing times and the waypoints of a GPX file into ``patrol``.

    GPX waypoints get UUIDs derived from the patrol's, so a re-send makes the same record.
    """
    if patrol.track is None and content.track is not None:
        patrol.track = content.track
    for i, w in enumerate(content.waypoints):
        if w.time is None:
            raise PatrolValidationError(
                message("gpx_time_missing", f"gpx.waypoints[{i}].time", name=w.name or "—")
            )
        patrol.waypoints.append(
            Waypoint(
                uuid=str(uuidlib.uuid5(uuidlib.UUID(patrol.uuid), f"gpx/{i}")),
                lon=w.lon,
                lat=w.lat,
                observed_at=w.time,
                name=w.name,
                observation=w.observation(),
            )
        )
    notes.extend(gpx_note(n) for n in content.notes)


def _target(value: str) -> tuple[str | None, str | None]:
    """``site:GZ-F01`` / ``section:GZ-S01`` / a bare id / empty (infer from the location)."""
    value = (value or "").strip()
    if not value:
        return None, None
    kind, sep, ident = value.partition(":")
    if sep and kind in ("site", "section"):
        return kind, ident.strip()
    return None, value


def _float(form, key: str, where: str, problems: list[Message]) -> float | None:
    raw = (form.get(key) or "").strip()
    try:
        return float(raw)
    except ValueError:
        if raw:
            problems.append(message("not_a_number", where, value=shown(raw)))
        else:
            problems.append(message("coordinate_missing", where))
        return None


def patrol_from_form(form, by_field: dict[str, list[str]], gpx_content) -> Patrol:
    """A Patrol from the web form's fields (all problems reported together).

    Fields: ``uuid`` (made by the page), ``target``, ``team`` (comma-separated),
    ``started_at``, ``ended_at`` (``datetime-local``: China Standard Time), ``purpose``,
    ``notes``; observation rows ``obs-N-category``, ``-severity``, ``-description``,
    ``-lon``, ``-lat``, ``-time``, ``-uuid`` (optional) and their photo part ``obs-N-photos``.
    Start and end default to the GPX file's first and last time.
    """
    problems: list[Message] = []
    uid = normalise_uuid(form.get("uuid"), "uuid")
    times = {}
    for key, default in (
        ("started_at", gpx_content and gpx_content.started_at),
        ("ended_at", gpx_content and gpx_content.ended_at),
    ):
        raw = (form.get(key) or "").strip()
        try:
            times[key] = parse_time(raw or default, key)
        except PatrolValidationError as exc:
            problems += exc.problems if raw else [message("time_missing_no_gpx", key)]
    rows = sorted({int(m.group(1)) for k in form if (m := _OBS_FIELD.match(k))})
    waypoints = []
    kept = 0
    for n in rows[:MAX_OBSERVATIONS]:

        def f(name, n=n):
            return (form.get(f"obs-{n}-{name}") or "").strip()

        raw_cat, description = f("category"), f("description")
        photos = by_field.get(f"obs-{n}-photos", [])
        if not (raw_cat or description or photos or f("lon") or f("lat")):
            continue  # an empty row the phone user added and left
        # rows become points in order: the same number as in the later checks' messages
        where, kept = f"waypoints[{kept}]", kept + 1
        code = category_code(raw_cat) if raw_cat else "other"
        if code is None:
            problems.append(
                message(
                    "unknown_category",
                    f"{where}.category",
                    value=shown(raw_cat),
                    choices=choices(OBSERVATION_CATEGORIES),
                )
            )
            continue
        lon = _float(form, f"obs-{n}-lon", f"{where}.lon", problems)
        lat = _float(form, f"obs-{n}-lat", f"{where}.lat", problems)
        try:
            observed = parse_time(f("time"), f"{where}.observed_at")
        except PatrolValidationError as exc:
            problems += exc.problems
            continue
        if lon is None or lat is None:
            continue
        wp_uuid = f("uuid") or str(uuidlib.uuid5(uuidlib.UUID(uid), f"obs/{n}"))
        try:
            wp_uuid = normalise_uuid(wp_uuid, f"{where}.uuid")
        except PatrolValidationError as exc:
            problems += exc.problems
            continue
        waypoints.append(
            Waypoint(
                uuid=wp_uuid,
                lon=lon,
                lat=lat,
                observed_at=observed,
                name=f("name"),
                observation=Observation(code, f("severity") or "none", description),
                photos=[PhotoRef(name=name) for name in photos],
            )
        )
    if problems:
        raise refused(problems)
    kind, ident = _target(form.get("target", ""))
    team = [t.strip() for t in re.split(r"[,，、;；]", form.get("team") or "") if t.strip()]
    return Patrol(
        uuid=uid,
        started_at=times["started_at"],
        ended_at=times["ended_at"],
        team=team,
        purpose=(form.get("purpose") or "").strip(),
        notes=(form.get("notes") or "").strip(),
        target_kind=kind,
        target_id=ident,
        waypoints=waypoints,
        photos=[PhotoRef(name=name) for name in by_field.get("photos", [])],
    )


def upload_from_request(request) -> PatrolUpload:
    """The patrol a request carries: a JSON body, or multipart (see the module docstring).

    Raises PatrolValidationError (400), InputFileError (a bad GPX: 422) or, for another
    content type, WebInputError 415.
    """
    from webmap.errors import WebInputError

    mimetype = request.mimetype or ""
    if mimetype in ("application/json", "application/geo+json"):
        return PatrolUpload(patrol_from_json(request.get_data()))
    if mimetype not in ("multipart/form-data", "application/x-www-form-urlencoded"):
        raise WebInputError("err_patrol_media", status=415, code="unsupported_media_type")
    photos, by_field = read_photo_parts(request.files)
    gpx_part = request.files.get("gpx")
    gpx_content = _gpx(gpx_part) if gpx_part and gpx_part.filename else None
    notes: list[str] = []
    part = request.files.get("patrol")
    raw = part.read() if part else request.form.get("patrol")
    if raw:
        patrol = patrol_from_json(raw if isinstance(raw, bytes) else raw.encode("utf-8"))
        if gpx_content is not None:
            _merge_gpx(patrol, gpx_content, notes)
    else:
        patrol = patrol_from_form(request.form, by_field, gpx_content)
        if gpx_content is not None:
            _merge_gpx(patrol, gpx_content, notes)
    return PatrolUpload(patrol, photos, notes)
