"""The context layers on every web map: ``/api/context.json`` (which layers there are, their
labels and the credit line) and ``/api/context/<name>.geojson`` (one layer, rounded).

Public geography (province outline, cities, rivers, the office's counties and roads): the
same answer for every visitor, and no site or section is in it. The office's own file in
``<data dir>/context/`` is served in place of the shipped one (:mod:`fossilgis.context`).
Each answer carries an ETag made from the file's modification time and size; the layer URLs
listed by ``context.json`` carry that version too (``?v=``), so a browser keeps a layer for
an hour and still sees an office's new file within a minute.
"""

from __future__ import annotations

import functools
import hashlib

import numpy as np
import shapely
from flask import Blueprint, Response, current_app, request, url_for

from fossilgis.context import ATTRIBUTION, CONTEXT_LAYERS, context_path, office_context_path
from webmap.i18n import text
from webmap.layers import features_to_geojson, get_store
from webmap.views.potential import BilingualInputError

bp = Blueprint("context", __name__)

#: coordinates are rounded to 5 decimals (~1 m): the shipped files are made to that
DECIMALS = 5
#: the properties served (the rest of an office's columns stays on the server)
PROPS = ["id", "name_zh", "name_en", "name_alt", "rank", "min_zoom", "label"]
#: how long a browser keeps a layer (its URL changes with the file) and the list
LAYER_MAX_AGE_S = 3600
INDEX_MAX_AGE_S = 60


def _data_dir():
    return getattr(get_store(), "data_dir", None) or current_app.config.get("DATA_DIR")


def _version(name: str, data_dir) -> tuple[str, object] | None:
    """(version, path) of layer ``name``'s file, or None when it has no file here."""
    path = context_path(name, data_dir)
    try:
        stat = path.stat()
    except OSError:
        return None
    office = data_dir is not None and path == office_context_path(data_dir, name)
    key = f"{name}:{int(office)}:{stat.st_mtime_ns}:{stat.st_size}:{DECIMALS}"
    return hashlib.sha1(key.encode()).hexdigest()[:16], path


@functools.lru_cache(maxsize=32)
def _body(name: str, data_dir: str | None, version: str) -> bytes:
    """Layer ``name`` as GeoJSON bytes; ``version`` keys the cache to the file's version."""
    from fossilgis.context import read_context

    gdf = read_context(name, data_dir)
    if CONTEXT_LAYERS[name].geometry == "polygon" and len(gdf):
        # where a polygon's name is written: a point inside it, not its bounding box centre
        inside = shapely.point_on_surface(np.asarray(gdf.geometry.values))
        gdf["label"] = [
            None if p is None or p.is_empty else [round(p.x, DECIMALS), round(p.y, DECIMALS)]
            for p in inside
        ]
    return features_to_geojson(gdf, PROPS, DECIMALS)


def _known(name: str) -> str:
    if name not in CONTEXT_LAYERS:
        raise BilingualInputError(
            "err_context_unknown",
            status=404,
            code="not_found",
            name=name,
            known=", ".join(CONTEXT_LAYERS),
        )
    return name


def _public(resp: Response, etag: str, max_age: int) -> Response:
    resp.set_etag(etag)
    resp.headers["Cache-Control"] = f"public, max-age={max_age}"
    return resp.make_conditional(request)


@bp.get("/api/context/<name>.geojson")
def layer_geojson(name):
    """One context layer in EPSG:4490 lon/lat (RFC 7946), coordinates to 5 decimals;
    polygons carry ``label`` (a point inside, where the map writes the name)."""
    data_dir = _data_dir()
    found = _version(_known(name), data_dir)
    if found is None:
        raise BilingualInputError("err_context_absent", status=404, code="not_found", name=name)
    version, _path = found
    if request.if_none_match.contains(version):  # unchanged: no need to read the file
        return _public(Response(status=304), version, LAYER_MAX_AGE_S)
    body = _body(name, None if data_dir is None else str(data_dir), version)
    return _public(Response(body, mimetype="application/geo+json"), version, LAYER_MAX_AGE_S)


def context_index(data_dir) -> dict:
    """What ``/api/context.json`` answers: the overlay's label and credit line in both
    languages, and each available layer (drawing order, bottom first) with its URL."""
    layers = []
    for name, layer in CONTEXT_LAYERS.items():
        found = _version(name, data_dir)
        if found is None:
            continue
        version, path = found
        layers.append(
            {
                "name": name,
                "geometry": layer.geometry,
                "label_zh": layer.label_zh,
                "label_en": layer.label_en,
                "office": data_dir is not None and path == office_context_path(data_dir, name),
                "bytes": path.stat().st_size,
                "url": url_for("context.layer_geojson", name=name, v=version),
            }
        )
    return {
        "label": {"zh": text("context_overlay", "zh"), "en": text("context_overlay", "en")},
        "attribution": dict(ATTRIBUTION),
        "layers": layers,
    }


@bp.get("/api/context.json")
def index_json():
    """The available context layers, their labels and URLs, and the attribution."""
    index = context_index(_data_dir())
    resp = current_app.json.response(index)
    etag = hashlib.sha1(resp.get_data()).hexdigest()[:16]
    return _public(resp, etag, INDEX_MAX_AGE_S)
