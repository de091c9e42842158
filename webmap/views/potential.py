"""The fossil potential layer's API: ``/api/potential.geojson`` (the units in a box,
simplified for the zoom) and ``/api/potential/legend.json``; the same for every visitor."""

from __future__ import annotations

import math

from flask import Blueprint, Response, current_app, request

from fossilgis import serving
from webmap.errors import WebInputError
from webmap.i18n import text
from webmap.potential_layer import MAX_ZOOM, PotentialCache, legend, zoom_for_bbox
from webmap.potential_pages import potential_views

bp = Blueprint("potential", __name__)
#: templates show a screen's potential with ``potential_views(result)`` (_potential.html)
bp.add_app_template_global(potential_views)

#: how long browsers and proxies may reuse an answer before revalidating it with its ETag
MAX_AGE_S = 60
#: the answer without a geological map (``%d``: the zoom)
EMPTY = (
    '{"type":"FeatureCollection","formations_version":0,"zoom":%d,"matched":0,'
    '"truncated":false,"features":[]}'
)


class BilingualInputError(WebInputError):
    """A bad parameter of the layer's API, described in Chinese and English at once (map
    scripts and other clients read it whatever their language)."""

    def message(self) -> str:
        return f"{text(self.key, 'zh', **self.values)} / {text(self.key, 'en', **self.values)}"


@bp.record_once
def _hold_the_layer(state):
    app = state.app
    app.extensions["fossilgis_potential"] = PotentialCache(app.extensions["fossilgis_store"])


def _served():
    return current_app.extensions["fossilgis_potential"].get()


def _bbox(value: str | None):
    try:
        box = serving.parse_bbox(value)
    except serving.ParameterError:
        box = None
    if box is None:  # missing or malformed: the layer is only ever served by box
        raise BilingualInputError("err_bad_bbox", value=value or "")
    return box


def _zoom(value: str | None, bbox) -> int:
    if value is None or not value.strip():
        return zoom_for_bbox(bbox)
    try:
        zoom = float(value)
    except ValueError:
        zoom = math.nan
    if not 0 <= zoom <= MAX_ZOOM:  # NaN fails too
        raise BilingualInputError("err_bad_zoom", value=value, max=MAX_ZOOM)
    return int(zoom)  # Leaflet may send fractional zooms


def _public(resp: Response) -> Response:
    resp.add_etag()
    resp.headers["Cache-Control"] = f"public, max-age={MAX_AGE_S}"
    return resp.make_conditional(request)


@bp.get("/api/potential.geojson")
def geojson():
    """The current geological map's units meeting ``bbox`` with their potential class and
    colour; at most ``POTENTIAL_MAX_FEATURES`` (the largest, ``"truncated": true``)."""
    bbox = _bbox(request.args.get("bbox"))
    zoom = _zoom(request.args.get("zoom"), bbox)
    layer, _table, _info = _served()
    if layer is None:
        return _public(Response(EMPTY % zoom, mimetype="application/geo+json"))
    cap = int(current_app.config["POTENTIAL_MAX_FEATURES"])
    body, _found, _truncated = layer.query(bbox, zoom, cap)
    return _public(Response(body, mimetype="application/geo+json"))


@bp.get("/api/potential/legend.json")
def legend_json():
    """The classes (labels, descriptions, colours), the table version, the map's version."""
    layer, table, info = _served()
    return _public(current_app.json.response(legend(layer, table, info)))
