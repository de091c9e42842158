"""Offline basemap tiles (``/basemaps/<name>/<z>/<x>/<y>.<ext>``) and their list
(``/api/basemaps.json``); the same for every visitor, since a basemap is a map background.

A tile answers 200 with its bytes (Content-Encoding ``gzip`` for gzipped vector tiles),
204 when the archive has no tile there (Leaflet then draws nothing), 404 for an unknown
basemap, a zoom outside its range, x/y outside the tile grid or the wrong extension. A
stored archive that cannot be read is logged and answered 404, never 500.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, request, url_for

from fossilgis.basemaps import BasemapUnreadableError, basemap_info, read_tile
from fossilgis.errors import RecordNotFoundError
from webmap.basemap_layers import basemap_layers

bp = Blueprint("basemaps", __name__)
log = logging.getLogger("webmap")

#: browsers and proxies keep a tile this long (URLs change with the archive: ``?v=``)
TILE_MAX_AGE_S = 86400
LIST_MAX_AGE_S = 60
#: the extensions a tile URL may have, per format of the archive
EXTENSIONS = {
    "png": ("png",),
    "jpg": ("jpg", "jpeg"),
    "webp": ("webp",),
    "avif": ("avif",),
    "pbf": ("pbf", "mvt"),
}


@bp.record_once
def _where(state):
    app = state.app
    store = app.extensions["fossilgis_store"]
    data_dir = getattr(store, "data_dir", None) or app.config["DATA_DIR"]
    app.extensions["fossilgis_basemaps_data"] = Path(data_dir)


def _data_dir() -> Path:
    return current_app.extensions["fossilgis_basemaps_data"]


def _not_found(description: str):
    resp = jsonify({"code": "not_found", "description": description})
    resp.status_code = 404
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _cached(resp: Response, etag: str) -> Response:
    resp.set_etag(etag)
    resp.headers["Cache-Control"] = f"public, max-age={TILE_MAX_AGE_S}"
    return resp.make_conditional(request)


@bp.get("/basemaps/<name>/<int:z>/<int:x>/<int:y>.<ext>")
def tile(name, z, x, y, ext):
    """One tile of basemap ``name`` (XYZ scheme, y down, as Leaflet asks)."""
    data_dir = _data_dir()
    try:
        entry = basemap_info(data_dir, name)
    except RecordNotFoundError:
        return _not_found(f"no basemap {name!r} / 没有这个底图")
    if ext.lower() not in EXTENSIONS[entry["format"]]:
        return _not_found(f"basemap {name!r} has {entry['format']} tiles, not {ext}")
    if not entry["minzoom"] <= z <= entry["maxzoom"] or x >= 1 << z or y >= 1 << z:
        return _not_found(
            f"basemap {name!r} has zooms {entry['minzoom']}–{entry['maxzoom']}; "
            f"no tile {z}/{x}/{y} / 超出底图范围"
        )
    etag = f"{entry['sha256'][:16]}-{z}-{x}-{y}"
    try:
        found = read_tile(data_dir, name, z, x, y)
    except BasemapUnreadableError as exc:
        log.error("%s", exc)
        return _not_found(f"basemap {name!r} cannot be read / 底图无法读取")
    except RecordNotFoundError:  # removed between the two reads
        return _not_found(f"no basemap {name!r} / 没有这个底图")
    if found is None:
        empty = Response(status=204)
        del empty.headers["Content-Type"]  # no body, no type
        return _cached(empty, etag)
    data, content_type, encoding = found
    resp = Response(data, content_type=content_type)
    if encoding:
        resp.headers["Content-Encoding"] = encoding
    return _cached(resp, etag)


@bp.get("/api/basemaps.json")
def index_json():
    """The imported basemaps, each with its Leaflet URL template and options; ``drawn`` is
    false for vector basemaps (served, but the web map draws raster tiles only)."""
    body = {"basemaps": basemap_layers(_data_dir(), url_for, vector=True)}
    resp = current_app.json.response(body)
    resp.add_etag()
    resp.headers["Cache-Control"] = f"public, max-age={LIST_MAX_AGE_S}"
    return resp.make_conditional(request)
