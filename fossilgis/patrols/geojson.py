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

import re
from typing import Any

from fossilgis.errors import PatrolValidationError
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


def _photo_refs(value: Any, where: str) -> list[PhotoRef]:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise PatrolValidationError(f"{where}.photos: expected a list of file names or hashes")
    refs = []
    for item in value:
        if isinstance(item, dict):
            sha = item.get("sha256")
            refs.append(PhotoRef(sha256=sha.lower() if sha else None, name=item.get("name", "")))
        elif isinstance(item, str) and _SHA256.match(item.lower()):
            refs.append(PhotoRef(sha256=item.lower()))
        elif isinstance(item, str) and item.strip():
            refs.append(PhotoRef(name=item.strip()))
        else:
            raise PatrolValidationError(f"{where}.photos: {item!r} is not a file name or hash")
    return refs


def _team(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [t.strip() for t in re.split(r"[,，、;；]", value) if t.strip()]
    if isinstance(value, list):
        return [str(t).strip() for t in value if str(t).strip()]
    raise PatrolValidationError(f"team: {value!r}; expected a list of names")


def _track(geometry: dict | None, where: str):
    import shapely
    from shapely.geometry import shape

    if not geometry:
        return None
    try:
        geom = shape(geometry)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PatrolValidationError(f"{where}.geometry: not valid GeoJSON ({exc})") from None
    geom = shapely.force_2d(geom)
    if geom.geom_type == "LineString":
        return shapely.MultiLineString([geom])
    if geom.geom_type == "MultiLineString":
        return geom
    raise PatrolValidationError(
        f"{where}.geometry: a track must be a LineString or MultiLineString, not "
        f"{geom.geom_type}"
    )


def target_from_properties(props: dict) -> tuple[str | None, str | None]:
    """(target_kind, target_id) from ``site_id``, ``section_id`` or ``target_kind`` and
    ``target_id`` (an exported inferred target is dropped, to be inferred again)."""
    if props.get("site_id"):
        return "site", str(props["site_id"]).strip()
    if props.get("section_id"):
        return "section", str(props["section_id"]).strip()
    if props.get("target_id") and not props.get("target_inferred"):
        return props.get("target_kind"), str(props["target_id"]).strip()
    return None, None


def waypoint_from_feature(feature: dict, where: str) -> Waypoint:
    """A Waypoint from a ``waypoint`` feature (category as code, 中文 or English label)."""
    props = feature.get("properties") or {}
    geom = feature.get("geometry") or {}
    if geom.get("type") != "Point":
        raise PatrolValidationError(f"{where}.geometry: a waypoint must be a Point")
    try:
        lon, lat = (float(v) for v in geom["coordinates"][:2])
    except (KeyError, TypeError, ValueError):
        raise PatrolValidationError(f"{where}.geometry: bad coordinates") from None
    obs = None
    raw = props.get("category")
    if raw not in (None, ""):
        code = category_code(str(raw))
        if code is None:
            choices = ", ".join(f"{c} ({lab.zh})" for c, lab in OBSERVATION_CATEGORIES.items())
            raise PatrolValidationError(
                f"{where}.category: {raw!r} is not a category; expected one of: {choices}"
            )
        obs = Observation(
            code, str(props.get("severity") or "none"), str(props.get("description") or "")
        )
    elif props.get("description"):
        obs = Observation("other", str(props.get("severity") or "none"), str(props["description"]))
    return Waypoint(
        uuid=normalise_uuid(props.get("uuid") or feature.get("id"), f"{where}.uuid"),
        lon=lon,
        lat=lat,
        observed_at=parse_time(props.get("observed_at"), f"{where}.observed_at"),
        name=str(props.get("name") or ""),
        observation=obs,
        photos=_photo_refs(props.get("photos"), where),
    )


def patrols_from_geojson(obj: dict) -> list[Patrol]:
    """Patrols from the exchange format (one or more ``patrol`` features).

    Waypoint features join their patrol by ``patrol_uuid`` (optional when there is one
    patrol). Raises PatrolValidationError naming the feature and field.
    """
    if not isinstance(obj, dict) or obj.get("type") not in ("FeatureCollection", "Feature"):
        raise PatrolValidationError(
            "body: expected a GeoJSON FeatureCollection of patrol and waypoint features"
        )
    features = obj["features"] if obj["type"] == "FeatureCollection" else [obj]
    patrols: dict[str, Patrol] = {}
    pending: list[tuple[int, dict]] = []
    for i, feat in enumerate(features):
        props = (feat or {}).get("properties") or {}
        kind = props.get("feature_type", "patrol" if i == 0 else "waypoint")
        where = f"features[{i}]"
        if kind == "patrol":
            uid = normalise_uuid(props.get("uuid") or feat.get("id"), f"{where}.uuid")
            target_kind, target_id = target_from_properties(props)
            patrols[uid] = Patrol(
                uuid=uid,
                started_at=parse_time(props.get("started_at"), f"{where}.started_at"),
                ended_at=parse_time(props.get("ended_at"), f"{where}.ended_at"),
                team=_team(props.get("team")),
                purpose=str(props.get("purpose") or ""),
                notes=str(props.get("notes") or ""),
                target_kind=target_kind,
                target_id=target_id,
                track=_track(feat.get("geometry"), where),
                photos=_photo_refs(props.get("photos"), where),
            )
        elif kind == "waypoint":
            pending.append((i, feat))
        else:
            raise PatrolValidationError(
                f"{where}.feature_type: {kind!r}; expected patrol or waypoint"
            )
    if not patrols:
        raise PatrolValidationError("body: no feature with feature_type 'patrol'")
    for i, feat in pending:
        props = feat.get("properties") or {}
        owner = props.get("patrol_uuid")
        if owner is None and len(patrols) == 1:
            owner = next(iter(patrols))
        try:
            owner = normalise_uuid(owner, f"features[{i}].patrol_uuid")
        except PatrolValidationError:
            raise PatrolValidationError(
                f"features[{i}].patrol_uuid: {owner!r} names no patrol in this file"
            ) from None
        if owner not in patrols:
            raise PatrolValidationError(
                f"features[{i}].patrol_uuid: {owner} names no patrol in this file"
            )
        patrols[owner].waypoints.append(waypoint_from_feature(feat, f"features[{i}]"))
    return list(patrols.values())


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
