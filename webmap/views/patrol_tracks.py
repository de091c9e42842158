"""Patrol tracks and waypoints on the maps: ``/api/patrols/tracks.geojson`` (staff only).

The staff map's "Patrol tracks" overlay asks for the tracks in its view (``bbox``, ``zoom``,
``days``); a site's or section's page for its last patrols (``target=site:GZ-F01``). Each
answer is read from the store's SQL at the request
(:class:`fossilgis.store.patrol_tracks.PatrolTracks`: the spatial index, at most ``limit``
patrols, tracks simplified to half a screen pixel at the zoom) and written out chunk by
chunk, so a new patrol is in the very next answer and memory holds one chunk. More patrols
than ``limit`` is said by ``"truncated": true`` (the map asks to zoom in). Popups are built
by the map script as text; this module also holds the labels the script shows.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import re

from flask import Response, request

from fossilgis.errors import FossilGISError
from fossilgis.patrols.model import ALERT_CATEGORIES, CHINA_TZ, OBSERVATION_CATEGORIES, SEVERITIES
from webmap.auth import requires
from webmap.errors import WebInputError
from webmap.i18n import N_, current_lang, gettext
from webmap.layers import get_store
from webmap.views._patrol_common import _now, bp

#: patrols per answer: the default of a box, of a target page, and the most one may ask
BOX_LIMIT = 200
TARGET_LIMIT = 10
MAX_LIMIT = 500
#: waypoints per answer at most (of the patrols answered, newest first)
MAX_WAYPOINTS = 2000
#: ``days`` at most (100 years)
MAX_DAYS = 36500
#: ages (days since a patrol ended) that start the next colour of the map: class 0 … 3
AGE_CLASSES = (7, 30, 90)
#: simplification tolerance, in screen pixels at the asked zoom
TOLERANCE_PX = 0.5
MAX_ZOOM = 22

#: the labels of the map script (fossilgis-patrol-tracks.js), by key; ``{n}`` and
#: ``{days}`` are filled in there
STRINGS = {
    "layer": N_("Patrol tracks"),
    "age_0": N_("ended within 7 days"),
    "age_1": N_("ended within 30 days"),
    "age_2": N_("ended within 90 days"),
    "age_3": N_("ended more than 90 days ago"),
    "wp_alert": N_("Waypoint: damage, digging or encroachment"),
    "wp_intact": N_("Waypoint: intact"),
    "wp_observation": N_("Waypoint: other observation"),
    "wp_none": N_("Waypoint without observation"),
    "period": N_("Period"),
    "last_days": N_("last {days} days"),
    "all_time": N_("all patrols"),
    "truncated": N_("Only the newest {n} tracks are drawn: zoom in to see them all."),
    "waypoints_zoom": N_("Zoom in to see the waypoints."),
    "none": N_("No patrol tracks in this view and period."),
    "target_none": N_("No tracks or waypoints among the last patrols."),
    "patrol": N_("Patrol"),
    "team": N_("Team"),
    "target": N_("Target"),
    "waypoints": N_("Waypoints"),
    "alerts": N_("Alerts"),
    "severity": N_("Severity"),
    "observed": N_("Observed"),
    "gps_accuracy": N_("GPS accuracy"),
    "details": N_("Details"),
}

#: messages of this API's parameter errors, by key (shown in Chinese and English at once)
ERRORS = {
    "days": N_("days must be a whole number of days from 1 to %(max)s, got %(value)r."),
    "limit": N_("limit must be a whole number from 1 to %(max)s, got %(value)r."),
    "target": N_(
        "target must be site:<id> or section:<id> (e.g. target=site:GZ-F01), got %(value)r."
    ),
    "waypoints": N_("waypoints must be 0 or 1, got %(value)r."),
    "zoom": N_("zoom must be a number from 0 to %(max)s, got %(value)r."),
}


def track_strings(lang: str) -> dict[str, str]:
    """The labels of the map script in ``lang``."""
    return {k: gettext(msgid, lang) for k, msgid in STRINGS.items()}


class TrackParameterError(WebInputError):
    """A bad parameter of the tracks API, described in Chinese and English at once (the map
    script shows it whatever the page's language)."""

    def __init__(self, key: str, **values):
        FossilGISError.__init__(self, gettext(ERRORS[key], "en", **values))
        self.key, self.values, self.status = key, values, 400
        self.http_status = 400

    def message(self) -> str:
        zh, en = (gettext(ERRORS[self.key], lang, **self.values) for lang in ("zh", "en"))
        return f"{zh} / {en}"


def _whole(name: str, low: int, high: int) -> int | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    if not re.fullmatch(r"\s*[0-9]{1,9}\s*", value) or not low <= int(value) <= high:
        raise TrackParameterError(name, value=value, max=high)
    return int(value)


def _zoom(bbox) -> float | None:
    """The map's zoom: asked, else the zoom at which ``bbox`` fills a 1024-pixel view."""
    value = request.args.get("zoom")
    if value is None or not value.strip():
        if bbox is None:
            return None
        from webmap.potential_layer import zoom_for_bbox

        return float(zoom_for_bbox(bbox))
    try:
        zoom = float(value)
    except ValueError:
        zoom = math.nan
    if not 0 <= zoom <= MAX_ZOOM:  # NaN fails too
        raise TrackParameterError("zoom", value=value, max=MAX_ZOOM)
    return zoom


def _target(value: str | None) -> tuple[str, str] | None:
    if value is None:
        return None
    kind, _, target_id = value.partition(":")
    if kind not in ("site", "section") or not target_id.strip():
        raise TrackParameterError("target", value=value)
    return kind, target_id


def tolerance_m(zoom: float | None, lat: float = 26.8) -> float:
    """Metres that :data:`TOLERANCE_PX` screen pixels cover at ``zoom`` and ``lat``
    (256-pixel Web-Mercator tiles); 0 without a zoom."""
    if zoom is None:
        return 0.0
    return 40_075_016.7 * math.cos(math.radians(lat)) / (256 * 2**zoom) * TOLERANCE_PX


def decimals_for(tolerance: float) -> int:
    """Coordinate decimals whose rounding stays under ``tolerance`` metres (4 … 6)."""
    if tolerance <= 0:
        return 6
    return int(min(6, max(4, math.ceil(-math.log10(tolerance / 111_320.0)) + 1)))


def age_class(ended, now) -> int:
    """0 … 3: the patrol ended within 7, 30, 90 days, or before."""
    days = (now - ended).total_seconds() / 86400
    return next((i for i, limit in enumerate(AGE_CLASSES) if days <= limit), len(AGE_CLASSES))


def _lines(geom, decimals: int) -> dict:
    import numpy as np
    import shapely

    parts = [np.round(shapely.get_coordinates(p), decimals).tolist() for p in geom.geoms]
    return {"type": "MultiLineString", "coordinates": parts}


@bp.get("/api/patrols/tracks.geojson")
@requires("login")
def api_patrol_tracks():
    """The tracks (lines) of the newest patrols meeting ``bbox`` or of one ``target``, with
    their waypoints (``waypoints=1``, the default for a target).

    Parameters (query): ``bbox=minx,miny,maxx,maxy``; ``target=site:<id>|section:<id>``;
    ``days`` (patrols ended in the last N days); ``zoom`` (simplification; default: the
    bbox's); ``limit`` (default 200, 10 for a target; at most 500); ``waypoints`` (0 | 1).
    Staff only: tracks show where and when patrols go, which a looter would want.
    """
    from webmap.views.api import parse_bbox

    bbox = parse_bbox(request.args.get("bbox"))
    target = _target(request.args.get("target"))
    days = _whole("days", 1, MAX_DAYS)
    limit = _whole("limit", 1, MAX_LIMIT) or (TARGET_LIMIT if target else BOX_LIMIT)
    with_waypoints = _whole("waypoints", 0, 1)
    with_waypoints = bool(target) if with_waypoints is None else bool(with_waypoints)
    zoom = _zoom(bbox)
    lat = 26.8 if bbox is None else (bbox[1] + bbox[3]) / 2
    tolerance = tolerance_m(zoom, lat)
    now, lang = _now(), current_lang()
    since = None if days is None else now - dt.timedelta(days=days)

    from fossilgis.store.patrol_tracks import PatrolTracks

    repo = PatrolTracks(get_store().db)
    tracks = repo.tracks(
        bbox=bbox,
        target=target,
        since=since,
        limit=limit,
        tolerance_m=tolerance,
        tracks_only=target is None,  # a target's last patrols: their waypoints count too
    )
    chunks = iter(tracks)
    first = next(chunks, [])  # read before answering: a store error is answered as one
    decimals = decimals_for(tolerance)
    ages: dict[str, int] = {}

    def track_features(rows):
        for t in rows:
            ages[t.uuid] = age_class(t.ended_at, now)
            if t.geometry is None or t.geometry.is_empty:
                continue
            props = {
                "kind": "track",
                "uuid": t.uuid,
                "started": _time(t.started_at, lang),
                "date": t.started_at.astimezone(CHINA_TZ).date().isoformat(),
                "age": ages[t.uuid],
                "target_kind": t.target_kind,
                "target_id": t.target_id,
                "team": ", ".join(t.team),
                "waypoints": t.waypoint_count,
                "alerts": t.alert_count,
            }
            yield {"type": "Feature", "properties": props, "geometry": _lines(t.geometry, decimals)}

    def waypoint_features(points):
        for w in points:
            category = w.category or None
            props = {
                "kind": "waypoint",
                "patrol_uuid": w.patrol_uuid,
                "seq": w.seq,
                "name": w.name or "",
                "category": category,
                "label": OBSERVATION_CATEGORIES.label(category, lang) if category else None,
                "alert": category in ALERT_CATEGORIES,
                "severity": w.severity,
                "severity_label": SEVERITIES.label(w.severity, lang) if w.severity else None,
                "description": w.description or "",
                "observed": _time(w.observed_at, lang),
                "accuracy_m": w.accuracy_m,
                "age": ages.get(w.patrol_uuid, len(AGE_CLASSES)),
            }
            point = {"type": "Point", "coordinates": [round(w.lon, 6), round(w.lat, 6)]}
            yield {"type": "Feature", "properties": props, "geometry": point}

    def body():
        yield '{"type": "FeatureCollection", "features": ['
        sep = ""
        for rows in itertools.chain([first], chunks):
            features = list(track_features(rows))
            if features:  # one dumps per chunk: "[f1, f2]" without its brackets
                yield sep + _dumps(features)[1:-1]
                sep = ", "
        points, more_points = [], False
        if with_waypoints and ages:
            points, more_points = repo.waypoints(list(ages), MAX_WAYPOINTS)
        if points:
            yield sep + _dumps(list(waypoint_features(points)))[1:-1]
        tail = {
            "truncated": tracks.more,
            "limit": limit,
            "patrols": len(ages),
            "waypoints_truncated": more_points,
            "days": days,
            "zoom": zoom,
        }
        yield "], " + _dumps(tail)[1:]

    resp = Response(body(), mimetype="application/geo+json")
    resp.headers["Cache-Control"] = "private, no-store"
    resp.vary.add("Cookie")
    resp.vary.add("Authorization")
    return resp


def _time(moment, lang: str) -> str:
    from fossilgis.report.wording import beijing_time

    return beijing_time(moment, lang)


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)
