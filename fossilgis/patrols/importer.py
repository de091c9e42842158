"""Reading a patrol file (GPX, the GeoJSON exchange format, CSV of waypoints) into Patrols."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import uuid as uuidlib
from collections.abc import Sequence
from pathlib import Path

from fossilgis.errors import InputFileError, PatrolValidationError, UnsupportedFormatError
from fossilgis.patrols.model import (
    IMPORT_NAMESPACE,
    Observation,
    Patrol,
    PhotoRef,
    Waypoint,
    category_code,
    normalise_uuid,
    parse_time,
)

PATROL_FILE_SUFFIXES = (".gpx", ".geojson", ".json", ".csv")

#: CSV column -> accepted headers (case-insensitive)
CSV_COLUMNS = {
    "lon": ("lon", "lng", "longitude", "x", "经度"),
    "lat": ("lat", "latitude", "y", "纬度"),
    "time": ("time", "observed_at", "datetime", "时间", "观测时间"),
    "category": ("category", "类别", "观测类别"),
    "severity": ("severity", "严重程度"),
    "description": ("description", "desc", "描述", "说明"),
    "name": ("name", "名称", "点名"),
    "photo": ("photo", "photos", "照片"),
    "uuid": ("uuid", "id"),
}


def _file_uuid(data: bytes) -> str:
    """The patrol UUID of an imported file without one: uuid5 of the file's SHA-256, so
    importing the same file twice makes one record."""
    return str(uuidlib.uuid5(IMPORT_NAMESPACE, hashlib.sha256(data).hexdigest()))


def _waypoint_uuid(patrol_uuid: str, index: int) -> str:
    return str(uuidlib.uuid5(uuidlib.UUID(patrol_uuid), f"waypoint/{index}"))


def _observation(category: str, severity: str, description: str, where: str):
    category, description = category.strip(), description.strip()
    if category:
        code = category_code(category)
        if code is None:
            raise PatrolValidationError(
                f"{where}: category {category!r} is not a category (see `fossilgis patrol "
                "categories`) / 观测类别无效"
            )
        return Observation(code, severity.strip() or "none", description)
    if description:
        return Observation("other", severity.strip() or "none", description)
    return None


def _span(times, started_at, ended_at, name: str):
    start = started_at or (min(times) if times else None)
    end = ended_at or (max(times) if times else None)
    if start is None or end is None:
        raise PatrolValidationError(
            f"{name}: the file holds no times; give the patrol's --start and --end "
            "/ 文件无时间信息，请指定开始和结束时间"
        )
    return start, end


def _photo_refs(cell: str) -> list[PhotoRef]:
    return [PhotoRef(name=n.strip()) for n in cell.replace("；", ";").split(";") if n.strip()]


def _from_gpx(path: Path, data: bytes, opts: dict) -> tuple[list[Patrol], list[str]]:
    from fossilgis.patrols.gpx import read_gpx

    content = read_gpx(path)
    uid = opts["patrol_uuid"] or _file_uuid(data)
    waypoints = []
    for i, w in enumerate(content.waypoints):
        where = f"{path.name}: waypoint {i + 1} ({w.name or 'unnamed'})"
        if w.time is None:
            raise PatrolValidationError(f"{where}: no <time>; every waypoint needs its time")
        waypoints.append(
            Waypoint(
                uuid=_waypoint_uuid(uid, i),
                lon=w.lon,
                lat=w.lat,
                observed_at=w.time,
                name=w.name,
                observation=w.observation(),
            )
        )
    start, end = _span(
        [t for t in (content.started_at, content.ended_at) if t],
        opts["started_at"],
        opts["ended_at"],
        path.name,
    )
    patrol = Patrol(
        uuid=uid, started_at=start, ended_at=end, track=content.track, waypoints=waypoints
    )
    return [patrol], content.notes


def _decode(data: bytes, name: str) -> tuple[str, str]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise InputFileError(f"{name}: the text is neither UTF-8 nor GB18030; save it as UTF-8")


def _from_csv(path: Path, data: bytes, opts: dict) -> tuple[list[Patrol], list[str]]:
    text, encoding = _decode(data, path.name)
    reader = csv.DictReader(io.StringIO(text))
    headers = {h.strip().lower(): h for h in (reader.fieldnames or [])}
    cols = {
        key: next((headers[a.lower()] for a in names if a.lower() in headers), None)
        for key, names in CSV_COLUMNS.items()
    }
    missing = [k for k in ("lon", "lat", "time") if cols[k] is None]
    if missing:
        raise InputFileError(
            f"{path.name}: no column for {', '.join(missing)}; found columns "
            f"{', '.join(reader.fieldnames or []) or 'none'}. Expected e.g. "
            "lon,lat,time,category,severity,description,photo (or 经度,纬度,时间,类别,…)"
        )
    uid = opts["patrol_uuid"] or _file_uuid(data)
    waypoints = []
    for i, row in enumerate(reader):
        line = i + 2
        where = f"{path.name} line {line}"

        def cell(key, row=row):
            return (row.get(cols[key]) or "").strip() if cols[key] else ""

        try:
            lon, lat = float(cell("lon")), float(cell("lat"))
        except ValueError:
            raise PatrolValidationError(
                f"{where}: lon {cell('lon')!r} / lat {cell('lat')!r} are not numbers "
                "(decimal degrees expected) / 经纬度应为十进制度"
            ) from None
        waypoints.append(
            Waypoint(
                uuid=normalise_uuid(cell("uuid"), f"{where} uuid")
                if cell("uuid")
                else _waypoint_uuid(uid, i),
                lon=lon,
                lat=lat,
                observed_at=parse_time(cell("time"), f"{where} time"),
                name=cell("name"),
                observation=_observation(
                    cell("category"), cell("severity"), cell("description"), where
                ),
                photos=_photo_refs(cell("photo")),
            )
        )
    if not waypoints:
        raise InputFileError(f"{path.name}: the CSV file has a header but no rows")
    start, end = _span(
        [w.observed_at for w in waypoints], opts["started_at"], opts["ended_at"], path.name
    )
    notes = [f"read as {encoding}"] if encoding != "utf-8-sig" else []
    return [Patrol(uuid=uid, started_at=start, ended_at=end, waypoints=waypoints)], notes


def _from_geojson(path: Path, data: bytes, opts: dict) -> tuple[list[Patrol], list[str]]:
    from fossilgis.patrols.geojson import patrols_from_geojson

    text, _ = _decode(data, path.name)
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(f"{path.name}: not JSON ({exc.msg} at line {exc.lineno})") from None
    try:
        return patrols_from_geojson(obj), []
    except PatrolValidationError as exc:
        raise PatrolValidationError(f"{path.name}: {exc}", exc.problems) from None


def read_patrol_file(
    path: str | Path,
    *,
    target_kind: str | None = None,
    target_id: str | None = None,
    team: Sequence[str] = (),
    purpose: str = "",
    notes: str = "",
    patrol_uuid: str | None = None,
    started_at: dt.datetime | None = None,
    ended_at: dt.datetime | None = None,
) -> tuple[list[Patrol], list[str]]:
    """Patrols from a GPX, GeoJSON (exchange format) or CSV (one waypoint per row) file.

    Parameters
    ----------
    path : str or Path
    target_kind, target_id : str, optional
        The site or section (``--site``); the kind may be None and is then looked up.
        Applied to patrols that do not name one.
    team, purpose, notes : optional
        Patrol fields the file format cannot hold (GPX, CSV); fill empty ones in GeoJSON.
    patrol_uuid : str, optional
        The record's UUID; default uuid5 of the file's SHA-256, so re-importing the same
        file is idempotent.
    started_at, ended_at : datetime, optional
        Default: the earliest and latest time in the file.

    Returns
    -------
    (list of Patrol, list of str)
        The patrols and notes on what was read or dropped.

    Raises
    ------
    UnsupportedFormatError, InputFileError, PatrolValidationError
    """
    path = Path(path)
    suffix = path.suffix.lower()
    readers = {
        ".gpx": _from_gpx,
        ".geojson": _from_geojson,
        ".json": _from_geojson,
        ".csv": _from_csv,
    }
    if suffix not in readers:
        raise UnsupportedFormatError(
            f"{path.name}: {suffix or 'no extension'} is not a patrol file; expected "
            + ", ".join(PATROL_FILE_SUFFIXES)
        )
    if not path.exists():
        from fossilgis.errors import InputNotFoundError

        raise InputNotFoundError(f"{path}: no such file")
    data = path.read_bytes()
    opts = {
        "patrol_uuid": normalise_uuid(patrol_uuid, "--uuid") if patrol_uuid else None,
        "started_at": started_at,
        "ended_at": ended_at,
    }
    patrols, read_notes = readers[suffix](path, data, opts)
    for p in patrols:
        if target_id and not p.target_id:
            p.target_kind, p.target_id = target_kind, target_id
        if team and not p.team:
            p.team = [t.strip() for t in team if t.strip()]
        p.purpose = p.purpose or purpose
        p.notes = p.notes or notes
    return patrols, read_notes
