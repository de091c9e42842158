"""A patrol's review on the web: the detail page's map and version history, and the admin's
correction form (``GET``/``POST /patrols/<uuid>/edit``: CSRF, role admin, reason required).

The map's data are inlined in the page's JSON config (staff only: visitors get no
positions); the correction is :func:`fossilgis.patrols.corrections.apply_correction`, stored
by ``store.patrols.revisions``. Registered on the patrol blueprint by :mod:`.patrols`.
"""

from __future__ import annotations

import json

from flask import redirect, render_template, request, url_for

from fossilgis.errors import ConflictError, PatrolValidationError
from fossilgis.patrols.model import ALERT_CATEGORIES, OBSERVATION_CATEGORIES, SEVERITIES
from webmap.auth import current_user, requires
from webmap.errors import WebInputError, public_text
from webmap.i18n import N_, _, current_lang, vocab
from webmap.layers import get_store
from webmap.static_urls import static_url
from webmap.views._patrol_common import _target_names, bp, targets

#: the script drawing the detail page's map, with its cache-busting version
MAP_SCRIPT = "js/fossilgis-patrol-map.js"
#: labels of the fields a correction changes (history table)
FIELD_LABELS = {
    "target": N_("Target"),
    "target_inferred": N_("Target inferred from the location"),
    "purpose": N_("Purpose"),
    "notes": N_("Notes"),
    "team": N_("Team"),
    "category": N_("Category"),
    "severity": N_("Severity"),
    "description": N_("Description"),
}
#: decimals of the positions drawn (~0.1 m)
DECIMALS = 6


# -- the detail page: map and history ----------------------------------------------------
def _rounded(geom) -> dict:
    import numpy as np
    import shapely

    return json.loads(
        shapely.to_geojson(shapely.transform(geom, lambda xy: np.round(xy, DECIMALS)))
    )


def _target_label(value: str | None) -> str:
    if not value:
        return "–"
    kind, _sep, target_id = value.partition(":")
    names = _target_names().get((kind, target_id))
    name = (names[0] if current_lang() == "zh" else names[1]) if names else ""
    return f"{target_id} {name}".strip()


def map_features(patrol) -> list[dict]:
    """GeoJSON features of the patrol's target outline, track and waypoints (staff data)."""
    from webmap.i18n import cst
    from webmap.layers import served_feature

    features = []
    if patrol.target_id and patrol.target_kind in ("site", "section"):
        hit, _served = served_feature(patrol.target_kind + "s", patrol.target_id, True)
        if hit is not None and hit.geometry.iloc[0] is not None:
            features.append(
                {
                    "type": "Feature",
                    "properties": {
                        "role": "target",
                        "label": _target_label(f"{patrol.target_kind}:{patrol.target_id}"),
                    },
                    "geometry": _rounded(hit.geometry.iloc[0]),
                }
            )
    if patrol.track is not None and not patrol.track.is_empty:
        features.append(
            {"type": "Feature", "properties": {"role": "track"}, "geometry": _rounded(patrol.track)}
        )
    for number, w in enumerate(patrol.waypoints, start=1):
        obs = w.observation
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "role": "waypoint",
                    "number": number,
                    "category": obs.category if obs else None,
                    "category_label": vocab("category", obs.category) if obs else "–",
                    "severity_label": vocab("severity", obs.severity) if obs else "",
                    "alert": bool(obs and obs.category in ALERT_CATEGORIES),
                    "observed": cst(w.observed_at),
                    "description": (obs.description[:300] if obs else ""),
                },
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(w.lon, DECIMALS), round(w.lat, DECIMALS)],
                },
            }
        )
    return features


def _shown(name: str, value) -> str:
    if value is None or value == "" or value == []:
        return "–"
    if name == "target":
        return _target_label(value)
    if name in ("category", "severity"):
        return vocab(name, value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


def history_rows(versions: list[dict]) -> list[dict]:
    """The versions of a record for the history table, newest first, values as text."""
    rows = []
    for v in reversed(versions):
        changes = [
            {
                "field": c["field"],
                "label": _(FIELD_LABELS[c["field"]]),
                "waypoint": c["waypoint"],
                "old": _shown(c["field"], c["old"]),
                "new": _shown(c["field"], c["new"]),
            }
            for c in v["changes"]
        ]
        rows.append({**v, "changes": changes})
    return rows


def detail_context(patrol, staff: bool) -> dict:
    """What the detail page shows beyond the record: its map (shell, data, script) and its
    history; visitors get neither (no positions, no names, no notes)."""
    if not staff:
        return {"history": [], "map": None, "page_config": None, "map_script": None}
    from webmap.maps import page_map

    lang = current_lang()
    features = map_features(patrol)
    config = {
        "page": "patrol",
        "lang": lang,
        "patrol_map": {"type": "FeatureCollection", "features": features},
        "strings": {
            "track": _("Track"),
            "target": _("Target"),
            "waypoint": _("Waypoint %(n)s", n="{n}"),
            "alert": _("Alert"),
            "no_observation": _("No observation"),
            "legend": _("Legend"),
        },
        "categories": {code: vocab("category", code) for code in OBSERVATION_CATEGORIES},
        "alert_categories": list(ALERT_CATEGORIES),
    }
    from fossilgis.patrols.corrections import versions

    return {
        "history": history_rows(versions(patrol, get_store().patrols.revisions.rows(patrol.uuid))),
        "map": page_map("small", lang) if features else None,
        "page_config": config if features else None,
        "map_script": static_url(MAP_SCRIPT),
    }


# -- the correction form -----------------------------------------------------------------
def _target_choices() -> list[tuple[str, str]]:
    zh = current_lang() == "zh"
    return [
        (f"{k}:{i}", f"{i} {z if zh else e}")
        for (k, i), (z, e) in sorted(
            _target_names().items(), key=lambda kv: (kv[0][0] != "site", kv[0][1])
        )
    ]


def _record(uuid: str):
    from fossilgis.patrols.model import normalise_uuid

    try:
        key = normalise_uuid(uuid)
    except PatrolValidationError:
        key = None
    patrol = get_store().get_patrol(key) if key else None
    if patrol is None:
        raise WebInputError("err_patrol_not_found", status=404, code="not_found", uuid=uuid)
    return patrol


def _text(value: str | None) -> str:
    """A form's text as stored: browsers send a textarea's line breaks as CRLF."""
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _changed(value: str | None, stored: str | None) -> str | None:
    """The form's value when it differs from the stored one, else None (unchanged)."""
    text = _text(value)
    return None if text == _text(stored) else text


def correction_from_form(patrol, form):
    """The :class:`~fossilgis.patrols.corrections.Correction` the form asks for; fields left
    as shown are not changes."""
    from fossilgis.patrols.corrections import KEEP, Correction, parse_target, target_text

    chosen = (form.get("target") or "").strip()
    target = KEEP
    if chosen != (target_text(patrol.target_kind, patrol.target_id) or ""):
        target = parse_target(chosen)
    team = [m.strip() for m in _text(form.get("team")).replace("，", ",").split(",") if m.strip()]
    observations = {}
    for w in patrol.waypoints:
        obs = w.observation
        key = f"wp-{w.uuid}-"
        if key + "category" not in form:
            continue
        category = form.get(key + "category", "").strip()
        if not category:
            if obs is not None:
                observations[w.uuid] = {"category": ""}
            continue
        edit = {}
        if obs is None or category != obs.category:
            edit["category"] = category
        severity = form.get(key + "severity", "").strip()
        if severity and (obs is None or severity != obs.severity):
            edit["severity"] = severity
        description = _changed(form.get(key + "description"), obs.description if obs else "")
        if description is not None:
            edit["description"] = description
        if edit:
            observations[w.uuid] = edit
    return Correction(
        reason=_text(form.get("reason")),
        target=target,
        purpose=_changed(form.get("purpose"), patrol.purpose),
        notes=_changed(form.get("notes"), patrol.notes),
        team=None if team == [t.strip() for t in patrol.team] else team,
        observations=observations,
    )


def _form_page(patrol, form=None, error=None, problems=None, status=200):
    from fossilgis.patrols.corrections import target_text

    if form is None:
        form = {
            "target": target_text(patrol.target_kind, patrol.target_id) or "",
            "purpose": patrol.purpose,
            "notes": patrol.notes,
            "team": ", ".join(patrol.team),
            "revision": str(patrol.revision),
        }
        for w in patrol.waypoints:
            obs = w.observation
            form[f"wp-{w.uuid}-category"] = obs.category if obs else ""
            form[f"wp-{w.uuid}-severity"] = obs.severity if obs else "none"
            form[f"wp-{w.uuid}-description"] = obs.description if obs else ""
    choices = _target_choices()
    current = target_text(patrol.target_kind, patrol.target_id)
    if current and current not in dict(choices):  # no longer in the layers: kept unless changed
        choices.insert(0, (current, patrol.target_id))
    return render_template(
        "patrol_edit.html",
        p=patrol,
        form=form,
        error=error,
        problems=problems or [],
        targets=choices,
        categories=OBSERVATION_CATEGORIES,
        severities=SEVERITIES,
    ), status


@bp.get("/patrols/<uuid>/edit")
@requires("admin")
def edit(uuid):
    return _form_page(_record(uuid))


@bp.post("/patrols/<uuid>/edit")
@requires("admin")
def edit_submit(uuid):
    patrol = _record(uuid)
    form = request.form
    try:
        expected = int(form.get("revision", ""))
    except ValueError:
        expected = None  # a form without the field (a script): no check of what was seen
    try:
        correction = correction_from_form(patrol, form)
        get_store().patrols.revisions.correct(
            patrol.uuid,
            correction,
            current_user().username,
            targets=targets(),
            expected_revision=expected,
        )
    except PatrolValidationError as exc:
        return _form_page(
            patrol,
            form,
            _("The record was not corrected; fix these problems:"),
            [public_text(p) for p in exc.problems],
            400,
        )
    except ConflictError as exc:
        return _form_page(get_store().get_patrol(patrol.uuid), None, public_text(exc), None, 409)
    return redirect(url_for("patrols.detail", uuid=patrol.uuid, corrected=1), code=303)
