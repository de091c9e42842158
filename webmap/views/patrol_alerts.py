"""Alerts, coverage and the map's patrol layers: the patrol blueprint's read-only views."""

from __future__ import annotations

import json

import numpy as np
import shapely
from flask import Response, current_app, render_template, request, url_for

from fossilgis.patrols.model import ALERT_CATEGORIES, CHINA_TZ
from webmap.auth import is_staff, requires
from webmap.i18n import current_lang
from webmap.layers import get_store
from webmap.views._patrol_common import _now, _target_names, bp, targets


# -- alerts and coverage ---------------------------------------------------------------------
def alert_table():
    from fossilgis.patrols.alerts import alerts

    return alerts(get_store().list_waypoints(categories=list(ALERT_CATEGORIES)), _now())


@bp.get("/alerts")
def alerts_page():
    table = alert_table()
    status = request.args.get("status")
    if status in ("open", "overdue"):
        table = table[table["status"] == status]
    staff = is_staff()
    names = _target_names()
    rows = []
    for rec in table.to_dict("records"):
        if not staff:
            # visitors: what and when, not which site or where; "–" stands in the target
            # column (the template shows a position when there is no target)
            rec.update(target_kind=None, target_id="–", lon=None, lat=None, description="")
        zh_en = names.get((rec["target_kind"], rec["target_id"]))
        rec["target_name"] = (zh_en[0] if current_lang() == "zh" else zh_en[1]) if zh_en else ""
        rows.append(rec)
    return render_template("alerts.html", rows=rows, status=status)


def coverage_table(days: int | None = None):
    from fossilgis.patrols.coverage import coverage

    store = get_store()
    return coverage(
        store.list_patrols(), targets(), _now(), days or current_app.config["COVERAGE_DAYS"]
    )


@bp.get("/api/coverage.json")
@requires("login")
def api_coverage():
    """When each site and section was last patrolled (staff only: a list of unguarded
    sites is what a looter would want)."""
    days = current_app.config["COVERAGE_DAYS"]
    table = coverage_table(days)
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


def _points_geojson(x, y, props: list[dict]) -> Response:
    """Points (``x``/``y`` None: features without geometry, as visitors get them)."""
    if x is None:
        feats = [{"type": "Feature", "properties": p, "geometry": None} for p in props]
    else:
        feats = [
            {
                "type": "Feature",
                "properties": p,
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(float(a), 6), round(float(b), 6)],
                },
            }
            for a, b, p in zip(x, y, props)
        ]
    resp = Response(
        json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False),
        mimetype="application/geo+json",
    )
    resp.headers["Cache-Control"] = "private, no-cache"
    resp.vary.add("Cookie")
    resp.vary.add("Authorization")
    return resp


@bp.get("/api/patrols.geojson")
def api_patrol_points():
    """One point per patrol for the clustered map layer.

    Visitors get the dates and counts without geometry or target: which site was patrolled
    when would rebuild the staff-only coverage layer.
    """
    staff = is_staff()
    table = get_store().list_patrols()
    geoms = np.asarray(table.geometry.values)
    ok = ~shapely.is_missing(geoms)
    table, geoms = table[ok], geoms[ok]
    pts = shapely.point_on_surface(geoms) if len(geoms) else geoms
    x, y = (shapely.get_x(pts), shapely.get_y(pts)) if staff else (None, None)
    props = [
        {
            "uuid": u,
            "started_at": s.tz_convert(CHINA_TZ).strftime("%Y-%m-%d"),
            "alerts": int(a),
            "waypoints": int(w),
            **({"target_id": t} if staff else {}),
        }
        for u, s, t, a, w in zip(
            table["uuid"],
            table["started_at"],
            table["target_id"],
            table["alert_count"],
            table["waypoint_count"],
        )
    ]
    return _points_geojson(x, y, props)


@bp.get("/api/alerts.geojson")
def api_alert_points():
    table = alert_table()
    staff = is_staff()
    # visitors: what and when, not where or which site
    x, y = (table["lon"].to_numpy(float), table["lat"].to_numpy(float)) if staff else (None, None)
    lang = current_lang()
    props = []
    for rec in table.to_dict("records"):
        props.append(
            {
                "patrol_uuid": rec["patrol_uuid"],
                "category": rec["category"],
                "label": rec["category_zh"] if lang == "zh" else rec["category_en"],
                "severity": rec["severity"],
                "target_id": rec["target_id"] if staff else None,
                "report_time": rec["report_time"].tz_convert(CHINA_TZ).strftime("%Y-%m-%d %H:%M"),
                "status": rec["status"],
                "description": rec["description"] if staff else None,
            }
        )
    return _points_geojson(x, y, props)


def map_urls() -> dict:
    """URLs of the patrol layers for the main map's config."""
    urls = {"patrol_page": request.script_root + "/patrols/"}
    if is_staff():  # visitors' patrols and alerts have no position: no map layers
        urls["patrols"] = url_for("patrols.api_patrol_points")
        urls["alerts"] = url_for("patrols.api_alert_points")
        urls["coverage"] = url_for("patrols.api_coverage")
    return urls
