"""Patrols between the model and table rows: a Patrol as rows, rows as a Patrol or frame.

No SQL runs here; the dialect given encodes and decodes geometries, booleans and times.
"""

from __future__ import annotations

import json

from fossilgis.store._common import SRS_ID
from fossilgis.store.columns import PATROL_COLS, WAYPOINT_COLS
from fossilgis.store.db import Dialect


def patrol_row(d: Dialect, patrol, user, now, digest, created_at=None) -> dict:
    """The ``patrols`` row of ``patrol`` (an edit keeps ``created_at`` and its creator)."""
    import shapely

    from fossilgis.patrols.model import format_time

    geom = patrol.geometry
    if isinstance(geom, shapely.LineString):
        geom = shapely.MultiLineString([geom])
    return {
        "uuid": patrol.uuid,
        "target_kind": patrol.target_kind,
        "target_id": patrol.target_id,
        "target_inferred": d.bool(patrol.target_inferred),
        "target_distance_m": patrol.target_distance_m,
        "team": json.dumps([t.strip() for t in patrol.team], ensure_ascii=False),
        "started_at": format_time(patrol.started_at),
        "ended_at": format_time(patrol.ended_at),
        "purpose": patrol.purpose,
        "notes": patrol.notes,
        "created_by": user if created_at is None else patrol.created_by,
        "created_at": created_at or now,
        "updated_at": None if created_at is None else now,
        "content_hash": digest,
        "deleted_at": None,
        "deleted_by": None,
        "revision": patrol.revision or 0,
        "track_source": patrol.track_source,
        "track_accuracy_m": patrol.track_accuracy_m,
        "geom": d.encode_geom(geom),
    }


def row_marks(d: Dialect, row: dict) -> list[str]:
    """Placeholders for a patrol row (team is JSON, geom a geometry)."""
    casts = {"team": d.json_param, "geom": d.geom_param}
    return [casts.get(c, "?") for c in row]


def waypoint_rows(d: Dialect, patrol) -> list[tuple]:
    """The ``waypoints`` rows of ``patrol``, in order."""
    import shapely

    from fossilgis.patrols.model import format_time

    rows = []
    for seq, w in enumerate(patrol.waypoints):
        obs = w.observation
        rows.append(
            (
                w.uuid,
                patrol.uuid,
                seq,
                format_time(w.observed_at),
                w.name,
                obs.category if obs else None,
                obs.severity if obs else None,
                obs.description if obs else None,
                w.accuracy_m,
                w.altitude_m,
                d.encode_geom(shapely.Point(w.lon, w.lat)),
            )
        )
    return rows


def photo_link_rows(patrol) -> list[tuple]:
    """The ``patrol_photos`` rows: the patrol's photos, then each waypoint's, in order."""
    rows = [(patrol.uuid, seq, None, ref.sha256, ref.name) for seq, ref in enumerate(patrol.photos)]
    for w in patrol.waypoints:
        for ref in w.photos:
            rows.append((patrol.uuid, len(rows), w.uuid, ref.sha256, ref.name))
    return rows


def patrol_from_rows(d: Dialect, row, wps, photos):
    """The Patrol of a ``patrols`` row, its waypoint rows and its photo rows."""
    from fossilgis.patrols.model import Observation, Patrol, PhotoRef, Waypoint

    to_time = d.to_time
    rec = dict(zip(PATROL_COLS, row))
    (geom,) = d.decode_geoms([row[-1]])
    track = geom if geom is not None and geom.geom_type == "MultiLineString" else None
    refs: dict[str | None, list] = {}
    for wp_uuid, sha, name, mime, width, height, lon, lat, taken in photos:
        refs.setdefault(wp_uuid, []).append(
            PhotoRef(sha, name or "", mime, width, height, lon, lat, to_time(taken))
        )
    points = d.decode_geoms([w[-1] for w in wps])
    waypoints = []
    for w, point in zip(wps, points):
        wr = dict(zip(WAYPOINT_COLS, w))
        obs = None
        if wr["category"] is not None:
            obs = Observation(wr["category"], wr["severity"], wr["description"] or "")
        waypoints.append(
            Waypoint(
                uuid=wr["uuid"],
                lon=point.x,
                lat=point.y,
                observed_at=to_time(wr["observed_at"]),
                name=wr["name"] or "",
                observation=obs,
                photos=refs.get(wr["uuid"], []),
                accuracy_m=wr["accuracy_m"],
                altitude_m=wr["altitude_m"],
            )
        )
    return Patrol(
        uuid=rec["uuid"],
        started_at=to_time(rec["started_at"]),
        ended_at=to_time(rec["ended_at"]),
        team=d.load_team(rec["team"]),
        purpose=rec["purpose"] or "",
        notes=rec["notes"] or "",
        target_kind=rec["target_kind"],
        target_id=rec["target_id"],
        target_inferred=bool(rec["target_inferred"]),
        target_distance_m=rec["target_distance_m"],
        track=track,
        waypoints=waypoints,
        photos=refs.get(None, []),
        created_by=rec["created_by"],
        created_at=to_time(rec["created_at"]),
        updated_at=to_time(rec["updated_at"]),
        content_hash=rec["content_hash"],
        deleted_at=to_time(rec["deleted_at"]),
        deleted_by=rec["deleted_by"],
        track_source=rec["track_source"],
        track_accuracy_m=rec["track_accuracy_m"],
        revision=rec["revision"] or 0,
    )


def frame(d: Dialect, rows, names, times, counts=()):
    """A GeoDataFrame of result rows (the geometry last); times parsed, counts int64 where
    the dialect says so."""
    import geopandas as gpd
    import pandas as pd

    idx = [names.index(c) for c in times]
    out = []
    for r in rows:
        values = list(r[:-1])
        for i in idx:
            values[i] = d.time_text(values[i])
        out.append(values)
    data = pd.DataFrame(out, columns=names)
    for col in times:
        data[col] = pd.to_datetime(data[col], utc=True, format="ISO8601")
    if d.int_counts:
        for col in counts:
            data[col] = data[col].astype("int64")
    geoms = d.decode_geoms([r[-1] for r in rows])
    return gpd.GeoDataFrame(data, geometry=geoms, crs=f"EPSG:{SRS_ID}")
