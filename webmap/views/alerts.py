"""Alerts on the web: ``/alerts`` (open and closed, overdue, filters, a map for staff) and one
alert's page with its steps and the forms that record them.

Who may record what (the CLI applies the same rule): patrollers and admins acknowledge and
record visits (the field's work); only admins refer an alert to the authority, close it with
the authority's opinion and reopen it (the office's decisions). Viewers read. Visitors see the
list without target, position or description, no map and no alert page: where damage is
waiting for the authority is what a looter would want to know.
"""

from __future__ import annotations

from flask import Response, redirect, render_template, request, url_for

from fossilgis.errors import FossilGISError
from fossilgis.patrols.alert_lifecycle import (
    ADMIN_STEPS,
    ALERT_STATES,
    CLOCK_STATES,
    OUTCOMES,
    STEPS,
    allowed_steps,
)
from fossilgis.patrols.model import ALERT_CATEGORIES, CHINA_TZ, OBSERVATION_CATEGORIES
from webmap.auth import can_write, current_user, is_admin, is_staff, requires
from webmap.errors import handle_fossilgis_error
from webmap.headers import stored_download
from webmap.i18n import _, client_strings, current_lang
from webmap.layers import get_store
from webmap.maps import page_map
from webmap.views._patrol_common import _now, _target_names, bp

#: the page's form action of each step
VERBS = {
    "acknowledged": "acknowledge",
    "visited": "visit",
    "referred": "refer",
    "closed": "close",
    "reopened": "reopen",
}
SCRIPT = "js/fossilgis-alerts.js"
_LISTS = {"step": STEPS, "outcome": OUTCOMES, "clock": CLOCK_STATES, "state": ALERT_STATES}
#: the ``status`` filter: open = not closed (overdue ones too)
STATUS_FILTERS = ("open", "overdue", "closed")
#: patrols offered as the visit's record on an alert's page, newest first
VISIT_CHOICES = 50


def alert_label(kind: str, code) -> str:
    """The label of a lifecycle ``code`` (kind: step, outcome, clock, state) in the page's
    language; "–" for none."""
    if code is None or code != code:
        return "–"
    return _LISTS[kind].label(code, current_lang())


def alert_table():
    """Every alert of patrols not deleted with its clocks and steps
    (:func:`fossilgis.patrols.alerts.alerts`)."""
    from fossilgis.patrols.alerts import alerts

    store = get_store()
    waypoints = store.list_waypoints(categories=list(ALERT_CATEGORIES))
    return alerts(waypoints, _now(), store.alert_events.frame())


def _records(table) -> list[dict]:
    """Rows as plain values: NaN and NaT become None (a template tests them for truth)."""
    out = []
    for rec in table.to_dict("records"):
        out.append({k: (None if v is None or v != v else v) for k, v in rec.items()})
    return out


def _target_name(rec: dict, names: dict) -> str:
    zh_en = names.get((rec["target_kind"], rec["target_id"]))
    return (zh_en[0] if current_lang() == "zh" else zh_en[1]) if zh_en else ""


# -- the list -------------------------------------------------------------------------------
@bp.get("/alerts")
def alerts_page():
    table = alert_table()
    staff = is_staff()
    status = request.args.get("status")
    status = status if status in STATUS_FILTERS else None
    category = request.args.get("category")
    category = category if category in ALERT_CATEGORIES else None
    # visitors may not filter by site: that would tell them which site an alert is at
    target = None
    if staff:
        target = (request.args.get("target") or "").strip()[:64] or None
    counts = {
        "all": len(table),
        "open": int((~table["closed"]).sum()),
        "overdue": int((table["status"] == "overdue").sum()),
        "closed": int(table["closed"].sum()),
    }
    if status == "open":
        table = table[~table["closed"]]
    elif status:
        table = table[table["status"] == status]
    if category:
        table = table[table["category"] == category]
    if target:
        table = table[table["target_id"] == target]
    names = _target_names()
    rows = []
    for rec in _records(table):
        if not staff:
            # visitors: what and when, not which site or where; "–" stands in the target
            # column (the template shows a position when there is no target)
            rec.update(target_kind=None, target_id="–", lon=None, lat=None, description="")
            rec.update(visit_patrol_uuid=None, outcome=None)
        rec["target_name"] = _target_name(rec, names)
        rows.append(rec)
    lang = current_lang()
    config = None
    if staff:
        config = {
            "page": "alerts",
            "strings": _strings(lang),
            "alerts": [_point(r) for r in rows if r["lon"] is not None],
        }
    return render_template(
        "alerts.html",
        rows=rows,
        status=status,
        category=category,
        target=target,
        counts=counts,
        categories=ALERT_CATEGORIES,
        alert_label=alert_label,
        map=page_map("small", lang) if staff else None,
        page_config=config,
        script=SCRIPT,
    )


def _strings(lang: str) -> dict:
    out = {**client_strings(lang), "open_alert": _("Open the alert")}
    out.update({f"state:{c}": ALERT_STATES.label(c, lang) for c in ALERT_STATES})
    return out


def _point(rec: dict) -> dict:
    """One alert on the list's map: where, what, its state and its page (staff only)."""
    label = OBSERVATION_CATEGORIES[rec["category"]]
    return {
        "uuid": rec["waypoint_uuid"],
        "lon": round(float(rec["lon"]), 6),
        "lat": round(float(rec["lat"]), 6),
        "status": rec["status"],
        "label": label.zh if current_lang() == "zh" else label.en,
        "time": rec["report_time"].astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M"),
        "target": rec["target_id"] or "",
        "url": url_for("patrols.alert_page", uuid=rec["waypoint_uuid"]),
    }


# -- one alert ------------------------------------------------------------------------------
def _alert(uuid: str) -> dict:
    """The alert's row; RecordNotFoundError (404) when there is none."""
    import uuid as uuidlib

    from fossilgis.errors import RecordNotFoundError

    events = get_store().alert_events.events(uuid)  # refuses what is not a UUID
    key = str(uuidlib.UUID(uuid.strip()))
    table = alert_table()
    found = _records(table[table["waypoint_uuid"] == key])
    if not found:
        raise RecordNotFoundError(
            _("No alert %(uuid)s among the alerts of patrols not deleted.", uuid=key[:40])
        )
    return {"row": found[0], "events": events}


def _visit_choices(row: dict) -> list[dict]:
    """Patrols that may be the visit: after the report, not the reporting one (label: the
    start in Beijing time, the target, the UUID's start: short enough for a phone)."""
    patrols = get_store().list_patrols(since=row["report_time"], limit=VISIT_CHOICES)
    out = []
    for rec in patrols.to_dict("records"):
        if rec["uuid"] == row["patrol_uuid"]:
            continue
        start = rec["started_at"].astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
        parts = (start, rec["target_id"], rec["uuid"][:8])
        label = " ".join(x for x in parts if isinstance(x, str) and x)
        out.append({"uuid": rec["uuid"], "label": label})
    return out


def _may(step: str) -> bool:
    """Whether the signed-in user may record ``step`` (the same rule as the POST routes)."""
    return is_admin() if step in ADMIN_STEPS else can_write()


def _alert_page(uuid: str, error: str | None = None, status: int = 200, form=None):
    found = _alert(uuid)
    row, events = found["row"], found["events"]
    row["target_name"] = _target_name(row, _target_names())
    steps = [s for s in allowed_steps(events) if _may(s)]
    lang = current_lang()
    config = {"page": "alert", "strings": _strings(lang), "alerts": [_point(row)]}
    return render_template(
        "alert.html",
        a=row,
        events=events,
        steps=steps,
        verbs=VERBS,
        waiting_for_admin=can_write() and [s for s in allowed_steps(events) if s not in steps],
        visit_choices=_visit_choices(row) if "visited" in steps else [],
        outcomes=OUTCOMES,
        alert_label=alert_label,
        error=error,
        form=form or {},
        map=page_map("small", lang),
        page_config=config,
        script=SCRIPT,
    ), status


@bp.get("/alerts/<uuid>")
@requires("login")
def alert_page(uuid):
    return _alert_page(uuid)


@bp.get("/alerts/<uuid>/files/<int:seq>")
@requires("login")
def alert_file(uuid, seq):
    """A step's attachment as it was stored, always as a download."""
    rec = get_store().alert_events.attachment(uuid, seq)
    return stored_download(rec["path"], rec["mime"], rec["name"])


def _record_step(uuid: str, step: str) -> Response:
    """POST of one step's form: record it and show the alert again, or the page with the
    refusal (the values typed are kept)."""
    from fossilgis.patrols.model import parse_time

    form = request.form
    try:
        at = parse_time(form["at"], "at") if form.get("at", "").strip() else None
        values = {"at": at, "note": form.get("note")}
        if step == "visited":
            typed = (form.get("visit_patrol_other") or "").strip()
            values["visit_patrol_uuid"] = typed or form.get("visit_patrol_uuid") or None
        if step == "closed":
            values.update(outcome=form.get("outcome"), opinion=form.get("opinion"))
        upload = request.files.get("attachment")
        if upload is not None and upload.filename:
            values["attachment"] = (upload.filename, upload.read())
        event = get_store().alert_events.record(uuid, step, user=current_user().username, **values)
    except FossilGISError as exc:
        if exc.http_status >= 500:
            return handle_fossilgis_error(exc)
        try:
            return _alert_page(uuid, error=str(exc), status=exc.http_status, form=form)
        except FossilGISError:
            return handle_fossilgis_error(exc)
    target = url_for("patrols.alert_page", uuid=event.waypoint_uuid, _anchor=f"step-{event.seq}")
    return redirect(target, code=303)


def _declare_step(step: str) -> None:
    verb = VERBS[step]

    def view(uuid):
        return _record_step(uuid, step)

    view.__name__ = f"alert_{verb}"
    view.__doc__ = f"Record the step {step!r} of an alert."
    level = "admin" if step in ADMIN_STEPS else "write"
    bp.add_url_rule(f"/alerts/<uuid>/{verb}", view_func=requires(level)(view), methods=["POST"])


for _step in STEPS:
    _declare_step(_step)
