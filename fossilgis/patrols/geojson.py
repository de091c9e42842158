"""The patrol exchange format: GeoJSON with one ``patrol`` feature and its ``waypoint`` features.

It is the body of ``POST /api/patrols``, the format of ``fossilgis patrol import x.geojson``
and of ``fossilgis patrol export --format geojson``, so an export can be imported again::

    {"type": "FeatureCollection", "features": [
      {"type": "Feature", "id": "<patrol uuid>",
       "geometry": <track: LineString | MultiLineString | null>,
       "properties": {"feature_type": "patrol", "uuid": "...", "site_id": "GZ-F03",
                      "team": ["张三", "李四"], "started_at": "2024-05-01T09:00:00+08:00",
                      "ended_at": "...", "purpose": "...", "notes": "...",
                      "photos": ["IMG_0001.jpg" | "<sha256>" | {"name": ..., "sha256": ...}]}},
      {"type": "Feature", "id": "<waypoint uuid>", "geometry": <Point>,
       "properties": {"feature_type": "waypoint", "uuid": "...", "patrol_uuid": "...",
                      "observed_at": "...", "name": "...", "category": "illegal_excavation",
                      "severity": "high", "description": "...", "photos": [...]}}]}

``site_id`` / ``section_id`` (or ``target_kind`` + ``target_id``) name the target; without
them it is inferred from the location. Coordinates are lon/lat in CGCS2000 / WGS 84
(RFC 7946). Photo entries name multipart parts or already stored photos (64 hex digits).
"""

from __future__ import annotations

import math
import re
from typing import Any

from fossilgis.errors import PatrolValidationError
from fossilgis.patrols.device import metres as _metres
from fossilgis.patrols.device import track_source as _track_source
from fossilgis.patrols.messages import Words, choices, kind_words, message, renamed, shown
from fossilgis.patrols.model import (
    OBSERVATION_CATEGORIES,
    Observation,
    Patrol,
    PhotoRef,
    Waypoint,
    category_code,
    format_time,
    normalise_uuid,
    parse_time,
)

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _text(props: dict, key: str, where: str) -> str:
    """A text property: a string (numbers are taken as their text), else a problem."""
    value = props.get(key)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise PatrolValidationError(message("not_text", f"{where}.{key}", kind=kind_words(value)))


def _photo_refs(value: Any, where: str) -> list[PhotoRef]:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise PatrolValidationError(message("photos_not_list", f"{where}.photos"))
    refs = []
    for i, item in enumerate(value):
        at = f"{where}.photos[{i}]"
        if isinstance(item, dict):
            sha, name = item.get("sha256"), item.get("name")
            if sha not in (None, "") and not (isinstance(sha, str) and _SHA256.match(sha.lower())):
                raise PatrolValidationError(
                    message("photo_hash_invalid", f"{at}.sha256", value=shown(sha))
                )
            if name is not None and not isinstance(name, str):
                raise PatrolValidationError(
                    message("not_text", f"{at}.name", kind=kind_words(name))
                )
            if not sha and not (name or "").strip():
                raise PatrolValidationError(message("photo_unnamed", at))
            refs.append(PhotoRef(sha256=sha.lower() if sha else None, name=(name or "").strip()))
        elif isinstance(item, str) and _SHA256.match(item.lower()):
            refs.append(PhotoRef(sha256=item.lower()))
        elif isinstance(item, str) and item.strip():
            refs.append(PhotoRef(name=item.strip()))
        else:
            raise PatrolValidationError(message("photo_invalid", at, value=shown(item)))
    return refs


def _team(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [t.strip() for t in re.split(r"[,，、;；]", value) if t.strip()]
    if isinstance(value, list):
        names = []
        for i, t in enumerate(value):
            if isinstance(t, bool) or not isinstance(t, str | int | float):
                raise PatrolValidationError(message("not_text", f"team[{i}]", kind=kind_words(t)))
            if str(t).strip():
                names.append(str(t).strip())
        return names
    raise PatrolValidationError(message("team_invalid", "team", value=shown(value)))


def _position(value: Any, where: str) -> tuple[float, float]:
    """(lon, lat) of a GeoJSON position: a list of 2 or 3 finite numbers."""
    ok = (
        isinstance(value, list | tuple)
        and 2 <= len(value) <= 3
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    )
    if ok:
        lon, lat = float(value[0]), float(value[1])
        if math.isfinite(lon) and math.isfinite(lat):
            return lon, lat
    raise PatrolValidationError(message("position_invalid", where, value=shown(value)))


def _track(geometry: Any, where: str):
    """The track of a patrol feature: a LineString or MultiLineString, every part of at
    least two finite positions, or None when there is none."""
    import shapely

    if not geometry:
        return None
    if not isinstance(geometry, dict):
        raise PatrolValidationError(message("track_not_geojson", f"{where}.geometry"))
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind not in ("LineString", "MultiLineString"):
        raise PatrolValidationError(
            message("track_not_line", f"{where}.geometry", value=shown(kind, 40))
        )
    parts = [coords] if kind == "LineString" else coords
    if not isinstance(parts, list | tuple) or not all(isinstance(p, list | tuple) for p in parts):
        raise PatrolValidationError(
            message("track_coordinates_invalid", f"{where}.geometry.coordinates")
        )
    lines = []
    for n, part in enumerate(parts):
        at = f"{where}.geometry.coordinates" + (f"[{n}]" if kind == "MultiLineString" else "")
        points = [_position(pos, f"{at}[{i}]") for i, pos in enumerate(part)]
        if not points:
            continue
        if len(points) < 2:
            raise PatrolValidationError(message("track_too_short", at))
        lines.append(points)
    return shapely.MultiLineString(lines) if lines else None


def target_from_properties(
    props: dict, where: str = "features[0]"
) -> tuple[str | None, str | None]:
    """(target_kind, target_id) from ``site_id``, ``section_id`` or ``target_kind`` and
    ``target_id`` (an exported inferred target is dropped, to be inferred again)."""
    for key, kind in (("site_id", "site"), ("section_id", "section")):
        if props.get(key):
            return kind, _text(props, key, where).strip() or None
    if props.get("target_id") and not props.get("target_inferred"):
        kind = props.get("target_kind")
        if kind is not None and not isinstance(kind, str):
            raise PatrolValidationError(
                message("unknown_target_kind", f"{where}.target_kind", value=shown(kind))
            )
        return kind, _text(props, "target_id", where).strip() or None
    return None, None


def waypoint_from_feature(feature: dict, where: str) -> Waypoint:
    """A Waypoint from a ``waypoint`` feature (category as code, 中文 or English label)."""
    props = _properties(feature, where)
    geom = feature.get("geometry") or {}
    if not isinstance(geom, dict) or geom.get("type") != "Point":
        raise PatrolValidationError(message("not_a_point", f"{where}.geometry"))
    lon, lat = _position(geom.get("coordinates"), f"{where}.geometry.coordinates")
    obs = None
    raw = _text(props, "category", where)
    severity = _text(props, "severity", where) or "none"
    description = _text(props, "description", where)
    if raw:
        code = category_code(raw)
        if code is None:
            raise PatrolValidationError(
                message(
                    "unknown_category",
                    f"{where}.category",
                    value=shown(raw),
                    choices=choices(OBSERVATION_CATEGORIES),
                )
            )
        obs = Observation(code, severity, description)
    elif description:
        obs = Observation("other", severity, description)
    return Waypoint(
        uuid=normalise_uuid(props.get("uuid") or feature.get("id"), f"{where}.uuid"),
        lon=lon,
        lat=lat,
        observed_at=parse_time(props.get("observed_at"), f"{where}.observed_at"),
        name=_text(props, "name", where),
        observation=obs,
        photos=_photo_refs(props.get("photos"), where),
        accuracy_m=_metres(props, "accuracy_m", where),
        altitude_m=_metres(props, "altitude_m", where),
    )


def _properties(feature: Any, where: str) -> dict:
    """The properties of a feature (a JSON object, or none)."""
    if not isinstance(feature, dict):
        raise PatrolValidationError(message("feature_invalid", where))
    props = feature.get("properties")
    if props is None:
        return {}
    if not isinstance(props, dict):
        raise PatrolValidationError(
            message("properties_invalid", f"{where}.properties", value=shown(props))
        )
    return props


def patrols_from_geojson(obj: dict) -> list[Patrol]:
    """Patrols from the exchange format (one or more ``patrol`` features).

    Waypoint features join their patrol by ``patrol_uuid`` (optional when there is one
    patrol). Raises PatrolValidationError naming the feature and field.
    """
    if not isinstance(obj, dict) or obj.get("type") not in ("FeatureCollection", "Feature"):
        raise PatrolValidationError(message("body_invalid", "body"))
    features = obj.get("features") if obj["type"] == "FeatureCollection" else [obj]
    if not isinstance(features, list):
        raise PatrolValidationError(message("body_invalid", "features"))
    patrols: dict[str, Patrol] = {}
    pending: list[tuple[int, dict]] = []
    for i, feat in enumerate(features):
        where = f"features[{i}]"
        props = _properties(feat, where)
        kind = props.get("feature_type", "patrol" if i == 0 else "waypoint")
        if kind == "patrol":
            try:
                patrols.update(_patrol_of(feat, props, where))
            except PatrolValidationError as exc:
                raise renamed(exc, _feature_names(where, None)) from None
        elif kind == "waypoint":
            pending.append((i, feat))
        else:
            raise PatrolValidationError(
                message("feature_type_invalid", f"{where}.feature_type", value=shown(kind))
            )
    if not patrols:
        raise PatrolValidationError(message("no_patrol", "body"))
    for i, feat in pending:
        where = f"features[{i}]"
        props = _properties(feat, where)
        owner = props.get("patrol_uuid")
        if owner is None and len(patrols) == 1:
            owner = next(iter(patrols))
        try:
            owner = normalise_uuid(owner, f"{where}.patrol_uuid")
        except PatrolValidationError:
            owner = shown(owner)
        if owner not in patrols:
            raise PatrolValidationError(
                message("unknown_patrol_uuid", f"{where}.patrol_uuid", value=owner)
            )
        point = len(patrols[owner].waypoints)
        try:
            patrols[owner].waypoints.append(waypoint_from_feature(feat, where))
        except PatrolValidationError as exc:
            raise renamed(exc, _feature_names(where, point)) from None
    return list(patrols.values())


def _feature_names(where: str, point: int | None) -> dict[str, Words]:
    """What the feature at ``where`` is, in words: the patrol (``point`` None, its geometry
    the track) or its point number ``point`` (from 0; its geometry the position)."""
    if point is None:
        return {
            where: Words("巡护记录", "the patrol"),
            f"{where}.geometry": Words("轨迹", "the track"),
        }
    n = point + 1
    return {
        where: Words(f"第 {n} 个记录点", f"point {n}"),
        f"{where}.geometry": Words(f"第 {n} 个记录点的位置", f"the position of point {n}"),
    }


def _patrol_of(feat: dict, props: dict, where: str) -> dict[str, Patrol]:
    """{uuid: Patrol} of a ``patrol`` feature (without its waypoints)."""
    uid = normalise_uuid(props.get("uuid") or feat.get("id"), f"{where}.uuid")
    target_kind, target_id = target_from_properties(props, where)
    patrol = Patrol(
        uuid=uid,
        started_at=parse_time(props.get("started_at"), f"{where}.started_at"),
        ended_at=parse_time(props.get("ended_at"), f"{where}.ended_at"),
        team=_team(props.get("team")),
        purpose=_text(props, "purpose", where),
        notes=_text(props, "notes", where),
        target_kind=target_kind,
        target_id=target_id,
        track=_track(feat.get("geometry"), where),
        photos=_photo_refs(props.get("photos"), where),
        track_source=_track_source(props, where),
        track_accuracy_m=_metres(props, "track_accuracy_m", where),
    )
    return {uid: patrol}


def _refs_json(refs: list[PhotoRef]) -> list[dict]:
    return [{"sha256": r.sha256, "name": r.name} for r in refs]


def patrol_features(patrol: Patrol) -> list[dict]:
    """The exchange-format features of one stored patrol (server fields included)."""
    from shapely.geometry import mapping

    props = {
        "feature_type": "patrol",
        "uuid": patrol.uuid,
        "target_kind": patrol.target_kind,
        "target_id": patrol.target_id,
        "target_inferred": patrol.target_inferred,
        "target_distance_m": None
        if patrol.target_distance_m is None
        else round(patrol.target_distance_m, 1),
        "team": patrol.team,
        "started_at": format_time(patrol.started_at),
        "ended_at": format_time(patrol.ended_at),
        "purpose": patrol.purpose,
        "notes": patrol.notes,
        "photos": _refs_json(patrol.photos),
        "created_by": patrol.created_by,
        "created_at": format_time(patrol.created_at),
        "content_hash": patrol.content_hash,
        "deleted_at": format_time(patrol.deleted_at),
        "track_source": patrol.track_source,
        "track_accuracy_m": patrol.track_accuracy_m,
        "revision": patrol.revision,
    }
    out = [
        {
            "type": "Feature",
            "id": patrol.uuid,
            "geometry": None if patrol.track is None else mapping(patrol.track),
            "properties": props,
        }
    ]
    for w in patrol.waypoints:
        obs = w.observation
        out.append(
            {
                "type": "Feature",
                "id": w.uuid,
                "geometry": {"type": "Point", "coordinates": [w.lon, w.lat]},
                "properties": {
                    "feature_type": "waypoint",
                    "uuid": w.uuid,
                    "patrol_uuid": patrol.uuid,
                    "observed_at": format_time(w.observed_at),
                    "name": w.name,
                    "category": obs.category if obs else None,
                    "category_zh": OBSERVATION_CATEGORIES[obs.category].zh if obs else None,
                    "severity": obs.severity if obs else None,
                    "description": obs.description if obs else "",
                    "photos": _refs_json(w.photos),
                    "accuracy_m": w.accuracy_m,
                    "altitude_m": w.altitude_m,
                },
            }
        )
    return out


def patrols_to_geojson(patrols: list[Patrol]) -> dict:
    """A FeatureCollection of the patrols and their waypoints (RFC 7946, lon/lat)."""
    return {
        "type": "FeatureCollection",
        "features": [f for p in patrols for f in patrol_features(p)],
    }
