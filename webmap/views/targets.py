"""A page per site and per section: attributes, a small map (for staff with the last
patrols' tracks and waypoints), patrols, export links."""

from __future__ import annotations

import re

from flask import Blueprint, abort, render_template, url_for

from fossilgis.terms import load_terms
from webmap.auth import is_staff
from webmap.errors import WebInputError
from webmap.i18n import FIELD_LABELS, _, client_strings, current_lang, vocab
from webmap.layers import served_feature
from webmap.maps import page_map
from webmap.views.map import demonstration

bp = Blueprint("targets", __name__)

FIELDS = {
    "sites": [
        "id",
        "county",
        "age",
        "formation",
        "fossils",
        "protection_level",
        "status",
        "accuracy",
        "boundary_status",
        "source",
    ],
    "sections": [
        "id",
        "county",
        "age",
        "formation",
        "boundary",
        "protection_level",
        "status",
        "accuracy",
        "boundary_status",
        "source",
    ],
}


def citation(value) -> str:
    """A source as plain citation text: pages carry no http(s) address they do not load."""
    return re.sub(r"https?://", "", str(value or "")) or "–"


def _rows(kind: str, rec: dict) -> list[tuple[str, str]]:
    def val(v):
        return "–" if v is None or v != v or v == "" else str(v)

    rows = []
    for key in FIELDS[kind]:
        if key == "county":
            value = " / ".join(x for x in (val(rec.get("county_zh")), val(rec.get("county_en"))))
        elif key == "protection_level":
            value = vocab("protection_level", rec.get("protection_level"))
        elif key == "accuracy":
            acc = rec.get("accuracy_m")
            value = _(
                "class %(cls)s, about %(m)s m",
                cls=val(rec.get("accuracy_class")),
                m=val(None if acc is None or acc != acc else f"{acc:g}"),
            )
        elif key == "boundary_status":
            value = vocab("boundary_status", val(rec.get("boundary_status")))
        elif key == "source":
            value = citation(rec.get("source"))
        else:
            value = val(rec.get(key))
        rows.append((_(FIELD_LABELS[key]), value))
    return rows


def _target_page(kind: str, feature_id: str):
    staff = is_staff()
    hit, served = served_feature(kind, feature_id, staff)
    if hit is None:
        label = (_("Fossil sites") if kind == "sites" else _("Type sections")).lower()
        raise WebInputError(
            "err_target_not_found", status=404, code="not_found", id=feature_id, kind=label
        )
    lang = current_lang()
    # age, formation, fossils, boundary, status in the page language (layers/terms.toml)
    rec = load_terms().record(hit.drop(columns=hit.geometry.name).iloc[0].to_dict(), lang)
    config = {
        "page": "target",
        "lang": lang,
        "kind": kind,
        "strings": client_strings(lang),
        "urls": {"feature": url_for("api.feature_geojson", kind=kind, feature_id=feature_id)},
    }
    tracks = 0
    if staff:  # where and when patrols went: staff only (visitors' config has no URL)
        from webmap.views.patrol_tracks import TARGET_LIMIT

        tracks = TARGET_LIMIT
        target = f"{'site' if kind == 'sites' else 'section'}:{feature_id}"
        config["urls"]["tracks"] = url_for("patrols.api_patrol_tracks", target=target)
    exports = {
        "GeoJSON": url_for("api.feature_geojson", kind=kind, feature_id=feature_id),
        "KML": url_for("api.feature_kml", kind=kind, feature_id=feature_id),
    }
    from webmap.views.patrols import history

    return render_template(
        "target.html",
        kind=kind,
        rec=rec,
        rows=_rows(kind, rec),
        # public sites, and sections near a site, are grid cells
        generalised=not staff and bool(rec.get("generalised")),
        exports=exports,
        history=history(kind, feature_id),
        map=page_map("small", lang),
        tracks=tracks,
        page_config=config,
        demonstration=demonstration(),
    )


@bp.get("/sites/<path:feature_id>")
def site(feature_id):
    if not feature_id:
        abort(404)
    return _target_page("sites", feature_id)


@bp.get("/sections/<path:feature_id>")
def section(feature_id):
    if not feature_id:
        abort(404)
    return _target_page("sections", feature_id)
