"""Coverage and the map's patrol layers (alerts included): the patrol blueprint's read-only
views; the alert pages are in :mod:`webmap.views.alerts`.

The map's layers and the coverage are read from the store's SQL at each request
(:class:`fossilgis.store.patrol_maps.PatrolMaps`): the layers in chunks, written out as
they come, the coverage as one aggregate per target; no patrol is held between requests.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json

from flask import Response, current_app, request, url_for

from fossilgis.patrols.model import CHINA_TZ, OBSERVATION_CATEGORIES
from webmap.auth import is_staff, requires
from webmap.i18n import current_lang
from webmap.layers import get_store
from webmap.views._patrol_common import _now, bp, targets

# the alert pages live in their own module (imported here to register them on the blueprint)
from webmap.views.alerts import alert_table  # noqa: F401


# -- coverage ------------------------------------------------------------------------------
def coverage_table(days: int | None = None):
    """:func:`fossilgis.patrols.coverage.coverage` of every target, from the store's SQL
    (each target's last patrol), not from every patrol."""
    from fossilgis.patrols.coverage import coverage_of_last

    days = days or current_app.config["COVERAGE_DAYS"]
    now = _now()
    last = get_store().patrols.maps.last_by_target(now, now - dt.timedelta(days=days))
    return coverage_of_last(last, targets(), now, days)


@bp.get("/api/coverage.json")
@requires("login")
def api_coverage():
    """When each site and section was last patrolled (staff only: a list of unguarded
    sites is what a looter would want)."""
    days = current_app.config["COVERAGE_DAYS"]
    return coverage_json(coverage_table(days), days)


def coverage_json(table, days: int) -> dict:
    """The answer of ``/api/coverage.json`` for a coverage ``table``: by ``layer:id``, the
    last patrol's day (China time) or None, and whether the target is overdue."""
    out = {}
    for rec in table.to_dict("records"):
        last = rec["last_patrol"]
        layer = "sites" if rec["kind"] == "site" else "sections"
        out[f"{layer}:{rec['id']}"] = {
            "last_patrol": None
            if last is None or last != last
            else last.tz_convert(CHINA_TZ).strftime("%Y-%m-%d"),
            "overdue": bool(rec["overdue"]),
        }
    return {"days": days, "targets": out}


def _geojson_stream(chunks, features) -> Response:
    """A FeatureCollection of ``features(rows)`` for each chunk of rows, written chunk by
    chunk (the text ``json.dumps`` gives the whole collection).

    The first chunk is read before answering, so that a store error is answered as one.
    """
    chunks = iter(chunks)
    first = next(chunks, [])

    def body():
        yield '{"type": "FeatureCollection", "features": ['
        sep = ""
        for rows in itertools.chain([first], chunks):
            if rows:  # one dumps per chunk: "[f1, f2]" without its brackets
                yield sep + json.dumps(list(features(rows)), ensure_ascii=False)[1:-1]
                sep = ", "
        yield "]}"

    resp = Response(body(), mimetype="application/geo+json")
    resp.headers["Cache-Control"] = "private, no-cache"
    resp.vary.add("Cookie")
    resp.vary.add("Authorization")
    return resp


def _feature(properties: dict, x, y) -> dict:
    """A point feature (``x`` None: without geometry, as visitors get them)."""
    geometry = None
    if x is not None:
        geometry = {"type": "Point", "coordinates": [round(float(x), 6), round(float(y), 6)]}
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def _layer_query() -> tuple[bool, tuple | None]:
    """(staff, bbox) of a patrol layer request; a visitor's bbox matches nothing."""
    from webmap.views.api import parse_bbox

    return is_staff(), parse_bbox(request.args.get("bbox"))


@bp.get("/api/patrols.geojson")
def api_patrol_points():
    """One point per patrol for the clustered map layer, read from the store in chunks;
    ``bbox=minx,miny,maxx,maxy``: the patrols whose geometry meets the box.

    Visitors get the dates and counts without geometry or target: which site was patrolled
    when would rebuild the staff-only coverage layer (and a bbox matches none of theirs).
    """
    staff, bbox = _layer_query()
    visible = staff or bbox is None
    chunks = get_store().patrols.maps.points(places=staff, bbox=bbox) if visible else []

    def features(rows):
        for uuid, started, target, alerts, waypoints, x, y in rows:
            props = {
                "uuid": uuid,
                "started_at": started.astimezone(CHINA_TZ).date().isoformat(),
                "alerts": int(alerts),
                "waypoints": int(waypoints),
                **({"target_id": target} if staff else {}),
            }
            yield _feature(props, x, y)

    return _geojson_stream(chunks, features)


@bp.get("/api/alerts.geojson")
def api_alert_points():
    """The alerts with their Art. 18 status, read from the store in chunks;
    ``bbox=minx,miny,maxx,maxy``: those observed in the box. Visitors get what and when,
    not where, which site or what was written."""
    from fossilgis.patrols.alert_lifecycle import events_by_alert
    from fossilgis.patrols.alerts import alert_status

    staff, bbox = _layer_query()
    visible = staff or bbox is None
    store = get_store()
    chunks = store.patrols.maps.alerts(places=staff, bbox=bbox) if visible else []
    zh, now = current_lang() == "zh", _now()
    steps = events_by_alert(store.alert_events.frame()) if visible else {}

    def features(rows):
        for wp, patrol, category, severity, description, target, observed, x, y in rows:
            label = OBSERVATION_CATEGORIES[category]
            props = {
                "patrol_uuid": patrol,
                "category": category,
                "label": label.zh if zh else label.en,
                "severity": severity,
                "target_id": target if staff else None,
                "report_time": observed.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M"),
                "status": alert_status(observed, now, steps.get(wp, ())),
                "description": (description or "") if staff else None,
            }
            yield _feature(props, x, y)

    return _geojson_stream(chunks, features)


def map_urls() -> dict:
    """URLs of the patrol layers for the main map's config."""
    urls = {"patrol_page": request.script_root + "/patrols/"}
    if is_staff():  # visitors' patrols and alerts have no position: no map layers
        urls["patrols"] = url_for("patrols.api_patrol_points")
        urls["alerts"] = url_for("patrols.api_alert_points")
        urls["coverage"] = url_for("patrols.api_coverage")
    return urls
