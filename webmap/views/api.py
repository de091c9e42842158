"""JSON and GeoJSON endpoints: layers (by bbox), one target, search, and POST /api/impact."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, Response, request

from fossilgis import serving
from webmap.auth import is_staff, requires
from webmap.errors import WebInputError
from webmap.layers import (
    SERVED_KINDS,
    TARGET_PROPS,
    features_to_geojson,
    get_store,
    served_feature,
    served_layer,
)
from webmap.screen import screen_request

bp = Blueprint("api", __name__, url_prefix="/api")

GEOJSON = "application/geo+json"
#: how long browsers may reuse a layer before revalidating it with its ETag
MAX_AGE_S = 60


def _kind(kind: str, allowed=SERVED_KINDS) -> str:
    if kind not in allowed:
        raise WebInputError(
            "err_bad_kind", status=404, code="not_found", kind=kind, known=", ".join(allowed)
        )
    return kind


def parse_bbox(value: str | None):
    """``minx,miny,maxx,maxy`` in degrees, or None; WebInputError (400) when malformed."""
    try:
        return serving.parse_bbox(value)
    except serving.ParameterError:
        raise WebInputError("err_bad_bbox", value=value) from None


def _geojson_response(body: bytes, etag: str | None = None) -> Response:
    from webmap.i18n import current_lang
    from webmap.layer_terms import in_language

    body, etag = in_language(body, etag, current_lang())  # age, formation … in its language
    resp = Response(body, mimetype=GEOJSON)
    if etag:
        resp.set_etag(etag)
    else:
        resp.add_etag()
    resp.headers["Cache-Control"] = f"private, max-age={MAX_AGE_S}"
    resp.vary.add("Cookie")
    resp.vary.add("Accept-Language")
    return resp.make_conditional(request)


@bp.get("/layers/<kind>.geojson")
def layer(kind):
    served = served_layer(_kind(kind), is_staff())
    bbox = parse_bbox(request.args.get("bbox"))
    if bbox is None:
        return _geojson_response(served.body, served.etag)
    return _geojson_response(served.in_bbox(bbox))


def _one(kind: str, feature_id: str):
    from webmap.i18n import _

    hit, served = served_feature(_kind(kind, ("sites", "sections")), feature_id, is_staff())
    if hit is None:
        label = (_("Fossil sites") if kind == "sites" else _("Type sections")).lower()
        raise WebInputError(
            "err_target_not_found", status=404, code="not_found", id=feature_id, kind=label
        )
    return hit, served


@bp.get("/layers/<kind>/<path:feature_id>.geojson")
def feature_geojson(kind, feature_id):
    hit, served = _one(kind, feature_id)
    return _geojson_response(features_to_geojson(hit, TARGET_PROPS[kind], served.decimals))


@bp.get("/layers/<kind>/<path:feature_id>.kml")
def feature_kml(kind, feature_id):
    import pyogrio

    from webmap.screen import safe_name

    hit, _ = _one(kind, feature_id)
    cols = [c for c in TARGET_PROPS[kind] if c in hit.columns]
    out = hit[cols + [hit.geometry.name]].copy()
    out.insert(0, "Name", out["name_zh"].astype(str) + " " + out["name_en"].astype(str))
    with tempfile.TemporaryDirectory(prefix="fossilgis-kml-") as tmp:
        path = Path(tmp) / "feature.kml"
        pyogrio.write_dataframe(out, path, driver="KML", layer=kind)
        body = path.read_bytes()
    resp = Response(body, mimetype="application/vnd.google-earth.kml+xml")
    name = safe_name(f"{feature_id}.kml", "feature.kml")
    from urllib.parse import quote

    resp.headers["Content-Disposition"] = (
        f"attachment; filename=\"{kind}.kml\"; filename*=UTF-8''{quote(name)}"
    )
    return resp


@bp.get("/search", endpoint="search")
def search_targets():
    """Typed coordinates, sites and sections, context places: see :mod:`webmap.search`."""
    from webmap.i18n import current_lang
    from webmap.search import search_everything

    q = request.args.get("q", "")[:100]
    return search_everything(q, is_staff(), current_lang())


@bp.post("/impact")
@requires("login")
def impact():
    """Screen a footprint: multipart (field ``file``, repeatable) or a GeoJSON body.

    Options come from form fields (multipart) or query arguments (GeoJSON body):
    project_type, ground_disturbance, line_width_m, point_radius_m, crs, layer, encoding.
    """
    mimetype = request.mimetype or ""
    if mimetype == "multipart/form-data":
        files = request.files.getlist("file") + request.files.getlist("footprint")
        screening = screen_request(files=files, geojson=None, form=request.form, store=get_store())
    elif mimetype in ("application/json", GEOJSON):
        body = request.get_data()
        if not body.strip():
            raise WebInputError("err_no_input")
        screening = screen_request(files=None, geojson=body, form=request.args, store=get_store())
    else:
        raise WebInputError("err_unsupported_media", status=415, code="unsupported_media_type")
    return screening.to_dict()
