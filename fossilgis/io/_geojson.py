"""GeoJSON checks made before GDAL reads: nesting depth, and features GDAL would drop or misread."""

from __future__ import annotations

import json
import math
import re

import numpy as np

from fossilgis.errors import InputFileError
from fossilgis.io.limits import check, current_limits, too_large

_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def json_depth(text: str) -> int:
    """Deepest nesting of arrays/objects in a JSON text, without parsing it (strings skipped)."""
    bare = _JSON_STRING.sub("", text).encode("utf-8", errors="replace")
    arr = np.frombuffer(bare, dtype=np.uint8)
    step = np.zeros(len(arr), dtype=np.int32)
    step[(arr == ord("[")) | (arr == ord("{"))] = 1
    step[(arr == ord("]")) | (arr == ord("}"))] = -1
    return int(np.cumsum(step).max(initial=0))


_GEOM_DEPTH = {
    "Point": 1,
    "MultiPoint": 2,
    "LineString": 2,
    "MultiLineString": 3,
    "Polygon": 3,
    "MultiPolygon": 4,
}


def _geojson_problem(geom, depth: int = 0) -> str | None:
    """Why a GeoJSON geometry object cannot be read (wrong type, NaN/huge number, ring not
    closed, too few points), or None; GDAL would drop such a geometry silently."""
    if geom is None:
        return None
    if not isinstance(geom, dict):
        return f"the geometry is a {type(geom).__name__}, not an object"
    kind = geom.get("type")
    if kind == "GeometryCollection":
        if depth > 8 or not isinstance(geom.get("geometries"), list):
            return "the GeometryCollection has no list of geometries"
        for g in geom["geometries"]:
            problem = _geojson_problem(g, depth + 1)
            if problem:
                return problem
        return None
    if kind not in _GEOM_DEPTH:
        return f"unknown geometry type {str(kind)[:40]!r}"
    coords = geom.get("coordinates")
    want = _GEOM_DEPTH[kind] - 1  # list levels above a position

    def walk(value, level: int) -> str | None:
        if level == want:
            ok = isinstance(value, list) and 2 <= len(value) <= 4
            if not ok or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value
            ):
                return f"a {kind} position is {json.dumps(value)[:60]}, not [x, y] (几何无效)"
            if not all(math.isfinite(v) and abs(v) < 1e15 for v in value):
                return f"the {kind} has a NaN, infinite or huge coordinate {value[:2]} (坐标无效)"
            return None
        if not isinstance(value, list):
            return f"the {kind} coordinates are {json.dumps(value)[:60]}, not nested lists"
        for item in value:
            problem = walk(item, level + 1)
            if problem:
                return problem
        if kind in ("Polygon", "MultiPolygon") and level == want - 1 and value:
            if len(value) < 4:
                return f"a ring of the {kind} has {len(value)} points; a ring needs at least 4"
            if value[0][:2] != value[-1][:2]:
                return (
                    f"a ring of the {kind} is not closed (its last point {value[-1][:2]} differs "
                    f"from its first {value[0][:2]}) (面的环未闭合)"
                )
        return None

    if coords == []:
        return None  # an empty geometry: dropped with a note later
    return walk(coords, 0)


def _check_geojson(doc, source: str) -> None:
    """Refuse features GDAL would drop or misread, naming the feature (before GDAL reads)."""
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        feats = doc.get("features")
        if not isinstance(feats, list):
            raise InputFileError(
                f"{source}: its FeatureCollection has no 'features' list (GeoJSON 格式错误)."
            )
    elif isinstance(doc, dict) and doc.get("type") == "Feature":
        feats = [doc]
    elif isinstance(doc, dict):
        feats = [{"type": "Feature", "geometry": doc}]
    else:
        raise InputFileError(
            f"{source}: the document is a JSON {type(doc).__name__}, not a GeoJSON object "
            f"(GeoJSON 格式错误). Expected a FeatureCollection, Feature or geometry."
        )
    check(source, "features", len(feats), what="the GeoJSON holds more features")
    limit = current_limits().text_bytes
    for i, feat in enumerate(feats):
        if not isinstance(feat, dict):
            raise InputFileError(
                f"{source}: feature {i} is a JSON {type(feat).__name__}, not a Feature object "
                f"(GeoJSON 格式错误)."
            )
        problem = _geojson_problem(feat.get("geometry"))
        if problem:
            raise InputFileError(
                f"{source}: feature {i}: {problem}. Fix or delete that feature and export the "
                f"file again."
            )
        props = feat.get("properties")
        if isinstance(props, dict):
            for key, value in props.items():
                if isinstance(value, str) and len(value) > limit:
                    raise too_large(
                        source,
                        "text_bytes",
                        len(value),
                        what=f"feature {i}, property {str(key)[:40]!r} holds a longer text",
                    )
