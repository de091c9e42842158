"""The served layers' attribute values in the page language: age, formation, fossils,
boundary and status through layers/terms.toml (:mod:`fossilgis.terms`).

The layers hold these values in English, so an English answer is the served body as it is;
a Chinese one is that body with each listed value replaced, made once per layer version and
terms file and kept (answers for a bounding box are made per request).
"""

from __future__ import annotations

import hashlib
import json
import threading

from fossilgis.terms import FIELDS, load_terms

#: translated bodies kept: (ETag of the English body, lang) → (terms, body, ETag)
KEPT = 64
_kept: dict = {}
_lock = threading.Lock()
_KEYS = tuple(f'"{field}":'.encode() for field in FIELDS)


def in_language(body: bytes, etag: str | None, lang: str) -> tuple[bytes, str | None]:
    """``(body, etag)`` of a GeoJSON FeatureCollection with its features' :data:`FIELDS`
    in ``lang`` ("zh" | "en"); ``etag`` (of the English body, or None) keys the kept copy.
    """
    if lang == "en" or not any(key in body for key in _KEYS):
        return body, etag
    terms = load_terms()
    if etag is not None:
        with _lock:
            hit = _kept.get((etag, lang))
        if hit is not None and hit[0] is terms:  # the same version of the terms file
            return hit[1], hit[2]
    data = json.loads(body)
    for feature in data.get("features", []):
        feature["properties"] = terms.record(feature.get("properties") or {}, lang)
    out = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    out_etag = hashlib.sha1(out).hexdigest()
    if etag is not None:
        with _lock:
            if len(_kept) >= KEPT:
                _kept.clear()
            _kept[(etag, lang)] = (terms, out, out_etag)
    return out, out_etag
