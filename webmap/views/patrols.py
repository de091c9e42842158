"""Patrols on the web: the form, ``POST /api/patrols``, the list, one patrol, delete and
restore, photos, exports and a target's patrol history (alerts, coverage and the map's patrol
layers are in :mod:`webmap.views.patrol_alerts`).

Over 400 lines because it is one blueprint's patrol routes, kept together so that the URL
map of a patrol reads in one place; each view is short and calls the core.
"""

from __future__ import annotations

import datetime as dt
import json
import re

from flask import (
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from fossilgis.errors import ConflictError, InputFileError, PatrolValidationError
from fossilgis.patrols.model import ALERT_CATEGORIES, CHINA_TZ, OBSERVATION_CATEGORIES, SEVERITIES
from webmap.auth import current_user, is_admin, is_staff, requires
from webmap.errors import WebInputError, public_text
from webmap.i18n import _, current_lang
from webmap.layers import get_store
from webmap.views import patrol_tracks  # noqa: F401  (registers its route on bp)

# the blueprint and shared helpers, and the alert/coverage views (imported to register them)
from webmap.views._patrol_common import _now, _target_names, bp, targets  # noqa: F401
from webmap.views.patrol_alerts import alert_table, coverage_table, map_urls  # noqa: F401

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_UUID = re.compile(r"^[0-9a-fA-F-]{32,36}$")
EXPORT_FORMATS = {
    "geojson": ("application/geo+json", "geojson"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "gpx": ("application/gpx+xml", "gpx"),
    "kml": ("application/vnd.google-earth.kml+xml", "kml"),
}


# -- helpers -----------------------------------------------------------------------------
def _target_choices() -> list[tuple[str, str]]:
    zh = current_lang() == "zh"
    return [
        (f"{k}:{i}", f"{i} {z if zh else e}")
        for (k, i), (z, e) in sorted(
            _target_names().items(), key=lambda kv: (kv[0][0] != "site", kv[0][1])
        )
    ]


def _check_uuid(value: str) -> str:
    if not _UUID.match(value or ""):
        raise WebInputError("err_patrol_not_found", status=404, code="not_found", uuid=value)
    return value.lower()


def _patrol_or_404(uuid: str):
    patrol = get_store().get_patrol(_check_uuid(uuid))
    if patrol is None or (patrol.deleted_at is not None and not is_admin()):
        raise WebInputError("err_patrol_not_found", status=404, code="not_found", uuid=uuid)
    return patrol


def _parse_day(key: str, end: bool = False):
    raw = (request.args.get(key) or "").strip()
    if not raw:
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise WebInputError("err_bad_date", field=key, value=raw) from None

    moment = dt.datetime.combine(day, dt.time.max if end else dt.time.min, tzinfo=CHINA_TZ)
    return moment.astimezone(dt.timezone.utc)


def filters() -> dict:
    """The list's filters from the query string (also used by the exports)."""
    category = (request.args.get("category") or "").strip()
    if category and category not in OBSERVATION_CATEGORIES and category != "alerts":
        raise WebInputError(
            "err_bad_category", value=category, known=", ".join(["alerts", *OBSERVATION_CATEGORIES])
        )
    return {
        # ids never hold control characters (and PostgreSQL refuses a NUL in a query)
        "target": re.sub(r"[\x00-\x1f\x7f-\x9f]", "", request.args.get("target") or "").strip()[
            :100
        ]
        or None,
        "since": _parse_day("since"),
        "until": _parse_day("until", end=True),
        "category": category or None,
        "deleted": request.args.get("deleted") == "1" and is_admin(),
    }


def filtered_patrols(f: dict):
    """``store.list_patrols`` narrowed by the filters (category: patrols that observed it)."""
    store = get_store()
    table = store.list_patrols(
        target_id=f["target"], since=f["since"], until=f["until"], include_deleted=f["deleted"]
    )
    if f["category"] == "alerts":
        table = table[table["alert_count"] > 0]
    elif f["category"]:
        wps = store.list_waypoints(categories=[f["category"]], include_deleted=f["deleted"])
        table = table[table["uuid"].isin(set(wps["patrol_uuid"]))]
    return table.reset_index(drop=True)


def _submit(upload):
    from fossilgis.auth import require_write
    from fossilgis.patrols.submit import submit_patrol

    user = require_write(current_user())
    result = submit_patrol(
        get_store(),
        upload.patrol,
        user=user.username,
        files=upload.files,
        targets=targets(),
        max_photo_bytes=current_app.config["MAX_PHOTO_BYTES"],
    )
    result.warnings = upload.notes + result.warnings
    return result


# -- the form ----------------------------------------------------------------------------
def _form_page(error=None, problems=None, status=200, form=None):
    import uuid

    lang = current_lang()
    config = {
        "page": "patrol_form",
        "lang": lang,
        "urls": {
            "api": url_for("patrols.api_submit"),
            "patrol": request.script_root + "/patrols/",
            "login": url_for("account.login", next=url_for("patrols.new")),
        },
        "strings": {
            "outbox_saved": _("Saved on this device; sending…"),
            "outbox_sent": _("Stored by the server."),
            "outbox_offline": _("No network: kept on this device, sent when the network returns."),
            "outbox_refused": _("Refused by the server:"),
            "outbox_sign_in": _(
                "Your sign-in has expired: sign in again; the patrol is still kept on this device."
            ),
            "outbox_retry": _("Send now"),
            "outbox_discard": _("Discard"),
            "outbox_open": _("Open"),
            "outbox_warnings": _("Notes:"),
        },
    }
    return render_template(
        "patrol_new.html",
        error=error,
        problems=problems or [],
        form=form if form is not None else {},
        new_uuid=str(uuid.uuid4()),
        targets=_target_choices(),
        categories=OBSERVATION_CATEGORIES,
        severities=SEVERITIES,
        page_config=config,
        max_photo_mb=current_app.config["MAX_PHOTO_BYTES"] / 2**20,
    ), status


@bp.get("/patrols/new")
@requires("write")
def new():
    return _form_page()


@bp.post("/patrols/new")
@requires("write")
def new_submit():
    """The form without JavaScript: the same builder and submit as the API, then a redirect."""
    from fossilgis.patrols.messages import messages_of
    from webmap.patrol_input import upload_from_request

    try:
        result = _submit(upload_from_request(request))
    except (PatrolValidationError, ConflictError) as exc:  # the page's language first
        return _form_page(
            _("The patrol was not stored; fix these problems:"),
            [public_text(p.in_lang(current_lang())) for p in messages_of(exc)],
            exc.http_status,
            request.form,
        )
    except InputFileError as exc:  # a photo (400, 413) or the GPX file (422)
        text = messages_of(exc)[0].in_lang(current_lang())
        return _form_page(public_text(text), None, exc.http_status, request.form)
    return redirect(
        url_for("patrols.detail", uuid=result.record.uuid, created=int(result.created)), code=303
    )


# -- the API -------------------------------------------------------------------------------
def _public(value):
    """Every text in ``value`` (dicts and lists of them) fit for a response (public_text)."""
    if isinstance(value, dict):
        return {k: _public(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_public(v) for v in value]
    return public_text(value) if isinstance(value, str) else value


@bp.post("/api/patrols")
@requires("write")
def api_submit():
    """Store a patrol: 201 new, 200 an identical re-send, 409 the UUID with other content."""
    from fossilgis.patrols.geojson import patrols_to_geojson
    from fossilgis.patrols.messages import refusal_json, warnings_json
    from webmap.patrol_input import upload_from_request

    try:
        result = _submit(upload_from_request(request))
    except (PatrolValidationError, ConflictError, InputFileError) as exc:
        # each problem with its field, code and text in both languages (docs/patrols.md)
        return jsonify(_public(refusal_json(exc))), exc.http_status
    body = patrols_to_geojson([result.record])
    body["created"] = result.created
    body["warnings"] = _public(warnings_json(result.warnings))
    resp = jsonify(body)
    resp.status_code = 201 if result.created else 200
    resp.headers["Location"] = url_for("patrols.api_get", uuid=result.record.uuid)
    return resp


@bp.get("/api/patrols/<uuid>")
@requires("login")
def api_get(uuid):
    from fossilgis.patrols.geojson import patrols_to_geojson

    return Response(
        json.dumps(patrols_to_geojson([_patrol_or_404(uuid)]), ensure_ascii=False),
        mimetype="application/geo+json",
    )


@bp.delete("/api/patrols/<uuid>")
@requires("write")
def api_delete(uuid):
    get_store().delete_patrol(_check_uuid(uuid), current_user().username)
    return {"uuid": uuid.lower(), "deleted": True}


@bp.post("/api/patrols/<uuid>/restore")
@requires("admin")
def api_restore(uuid):
    get_store().restore_patrol(_check_uuid(uuid), current_user().username)
    return {"uuid": uuid.lower(), "deleted": False}


# -- list, one patrol, delete / restore ----------------------------------------------------
@bp.get("/patrols")
def index():
    f = filters()
    staff = is_staff()
    if not staff:  # which site was patrolled when is staff data (it rebuilds coverage)
        f["target"] = None
    table = filtered_patrols(f)
    limit = current_app.config["PATROL_PAGE_SIZE"]
    names = _target_names()
    rows = []
    for rec in table.head(limit).to_dict("records"):
        if not staff:
            rec.update(target_kind=None, target_id=None, purpose="")
        zh_en = names.get((rec["target_kind"], rec["target_id"]))
        rec["target_name"] = (zh_en[0] if current_lang() == "zh" else zh_en[1]) if zh_en else ""
        rows.append(rec)
    args = {k: v for k, v in request.args.items() if k != "lang" and v}
    exports = {
        fmt.upper() if fmt != "geojson" else "GeoJSON": url_for("patrols.export", fmt=fmt, **args)
        for fmt in EXPORT_FORMATS
    }
    return render_template(
        "patrols.html",
        rows=rows,
        total=len(table),
        limit=limit,
        args=args,
        exports=exports,
        targets=_target_choices() if staff else [],
        categories=OBSERVATION_CATEGORIES,
    )


@bp.get("/patrols/<uuid>")
def detail(uuid):
    patrol = _patrol_or_404(uuid)
    staff = is_staff()
    if not staff:
        # visitors: when and how much, not which site or where (that would rebuild the
        # staff-only coverage layer), nor who or what was written
        import dataclasses

        patrol = dataclasses.replace(
            patrol,
            target_kind=None,
            target_id=None,
            target_inferred=False,
            target_distance_m=None,
            purpose="",
            notes="",
            team=[],
            track=None,
            waypoints=[],
            photos=[],
        )
    names = _target_names().get((patrol.target_kind, patrol.target_id))
    waypoints = [
        {
            "w": w,
            "lon": w.lon,
            "lat": w.lat,
            "alert": bool(w.observation and w.observation.category in ALERT_CATEGORIES),
        }
        for w in patrol.waypoints
    ]
    audit = get_store().audit_rows(20, object_kind="patrol", object_id=patrol.uuid) if staff else []
    return render_template(
        "patrol.html",
        p=patrol,
        waypoints=waypoints,
        target_names=names,
        created=request.args.get("created"),
        corrected=request.args.get("corrected"),
        audit=audit,
        # the map (track, waypoints, target) and the versions: staff only
        **patrol_edit.detail_context(patrol, staff),
    )


@bp.post("/patrols/<uuid>/delete")
@requires("write")
def delete(uuid):
    get_store().delete_patrol(_check_uuid(uuid), current_user().username)
    return redirect(
        url_for("patrols.detail", uuid=uuid) if is_admin() else url_for("patrols.index"), code=303
    )


@bp.post("/patrols/<uuid>/restore")
@requires("admin")
def restore(uuid):
    get_store().restore_patrol(_check_uuid(uuid), current_user().username)
    return redirect(url_for("patrols.detail", uuid=uuid), code=303)


# the correction form (admin) and the detail page's map and history: routes on this blueprint
from webmap.views import patrol_edit  # noqa: E402


# -- photos: only through the app, only for signed-in users ---------------------------------
def _photo(sha256: str, thumbnail: bool):
    if not _SHA256.match(sha256):
        abort(404)
    store = get_store()
    info = store.photo_info(sha256)
    if info is None:
        abort(404)
    path = store.photo_path(sha256, thumbnail=thumbnail)
    resp = send_file(
        path,
        mimetype="image/jpeg" if thumbnail else info.mime,
        max_age=86400,
        conditional=True,
        etag=sha256 + ("-t" if thumbnail else ""),
    )
    resp.headers["Cache-Control"] = "private, max-age=86400"
    resp.headers["Content-Security-Policy"] = "default-src 'none'"
    return resp


@bp.get("/photos/<sha256>")
@requires("login")
def photo(sha256):
    return _photo(sha256, thumbnail=False)


@bp.get("/photos/<sha256>/thumb")
@requires("login")
def thumbnail(sha256):
    return _photo(sha256, thumbnail=True)


# -- exports -------------------------------------------------------------------------------
@bp.get("/patrols/export.<fmt>")
@requires("login")
def export(fmt):
    from fossilgis.patrols.export import patrols_csv, patrols_gpx, patrols_kml
    from fossilgis.patrols.geojson import patrols_to_geojson

    if fmt not in EXPORT_FORMATS:
        raise WebInputError(
            "err_bad_format", status=404, code="not_found", fmt=fmt, known=", ".join(EXPORT_FORMATS)
        )
    table = filtered_patrols(filters())
    if fmt == "csv":
        names = {i: zh for (_, i), (zh, _) in _target_names().items()}
        body = "\ufeff" + patrols_csv(table, names)  # BOM: Excel reads UTF-8 Chinese
    else:
        store = get_store()
        full = [store.get_patrol(u) for u in table["uuid"]]
        if fmt == "geojson":
            body = json.dumps(patrols_to_geojson(full), ensure_ascii=False, indent=1)
        else:
            body = patrols_gpx(full) if fmt == "gpx" else patrols_kml(full)
    mimetype, ext = EXPORT_FORMATS[fmt]
    resp = Response(body.encode("utf-8"), mimetype=mimetype.split(";")[0])
    if "charset" in mimetype:
        resp.headers["Content-Type"] = mimetype
    day = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d")
    resp.headers["Content-Disposition"] = f'attachment; filename="patrols-{day}.{ext}"'
    return resp


def history(kind: str, feature_id: str, photos_of: int = 10) -> dict:
    """The patrols of one site or section, newest first, with the photos of the latest.

    Staff only (visitors get no rows): a site's patrol dates rebuild the coverage layer.
    """
    if not is_staff():
        return {"rows": [], "photos": []}
    store = get_store()
    table = store.list_patrols(target_id=feature_id)
    table = table[table["target_kind"] == ("site" if kind == "sites" else "section")]
    rows = table.to_dict("records")
    photos = []
    if is_staff():
        for rec in rows[:photos_of]:
            patrol = store.get_patrol(rec["uuid"])
            for ref in patrol.all_photos():
                photos.append(
                    {
                        "sha256": ref.sha256,
                        "name": ref.name,
                        "patrol": rec["uuid"],
                        "date": rec["started_at"],
                    }
                )
    return {"rows": rows, "photos": photos}


# the offline app (service worker, manifest, icons, session check): routes on this blueprint
from webmap.views import patrol_app  # noqa: E402, F401
