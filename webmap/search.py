"""The map's search box: typed coordinates, sites and sections, and named places, in one answer.

``GET /api/search?q=…`` answers ``{"query", "results", "ambiguous", "message"}``. The
results come in this order:

1. **coordinates** (``kind: "coordinate"``): every reading of
   :func:`fossilgis.coordinates.parse_coordinates`, with its ``label`` in the page's
   language; ``ambiguous`` is true when there are several, and the page asks which one
   is meant;
2. **sites and sections** (``kind: "sites" | "sections"``) by id and name, as the audience
   sees them (:func:`webmap.layers.search`: a visitor gets the generalised shapes' boxes);
3. **places** (``kind: "place"``) of the context layers — the shipped prefecture cities,
   the province and rivers, and the office's own counties, prefectures, places and roads —
   by Chinese name (with or without 县/市/自治县 …), pinyin or English, with a ``bbox`` to fit.

Every result has ``kind``, ``id`` (None but for sites and sections), ``name_zh``,
``name_en`` and ``bbox``, so a client that knows only sites still shows and fits it.
When nothing matches and the text looks like a coordinate that cannot be one,
``message`` says why (Chinese / English). The context layers' names are indexed once
per process (:class:`PlaceSearch`) and again when a context file changes.
"""

from __future__ import annotations

import logging
import threading

from flask import current_app

from fossilgis.context import available_context_layers, context_path
from fossilgis.coordinates import describe_problem, parse_coordinates

log = logging.getLogger("webmap")

#: the context layers whose features are searched by name (all that carry names)
SEARCHED_LAYERS = ("counties", "prefectures", "places", "province", "rivers", "roads")
#: at most this many sites and sections, and places, in one answer
TARGET_LIMIT = 20
PLACE_LIMIT = 10
#: decimals of the positions sent back (a typed coordinate: ~0.1 m; a place's box: ~1 m)
COORD_DECIMALS = 6
BBOX_DECIMALS = 5


class PlaceSearch:
    """A :class:`~fossilgis.place_search.PlaceIndex` over the context layers of
    ``data_dir``, rebuilt when a searched file appears, goes or changes (path, mtime, size)."""

    def __init__(self, data_dir):
        self.data_dir = data_dir
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._index = None

    def _files(self) -> tuple:
        out = []
        for name in available_context_layers(self.data_dir):
            if name not in SEARCHED_LAYERS:
                continue
            path = context_path(name, self.data_dir)
            try:
                stat = path.stat()
            except OSError:  # removed since it was listed
                continue
            out.append((name, str(path), stat.st_mtime_ns, stat.st_size))
        return tuple(out)

    def index(self):
        """The index of the context files as they are now (built at most once per change)."""
        key = self._files()
        if key != self._key:
            with self._lock:
                if key != self._key:
                    self._index = _build_index(key, self.data_dir)
                    self._key = key
        return self._index

    def search(self, query: str, limit: int = PLACE_LIMIT) -> list[dict]:
        return self.index().search(query, limit=limit)


def _build_index(files: tuple, data_dir):
    import geopandas as gpd
    import pandas as pd

    from fossilgis.context import CONTEXT_CRS, read_context
    from fossilgis.place_search import PlaceIndex

    frames = []
    for name, *_ in files:
        try:
            gdf = read_context(name, data_dir)
        except (OSError, ValueError) as exc:  # a broken office file: search the others
            log.warning("search: context layer %s left out: %s", name, exc)
            continue
        # names only: the source ids (geonames:…, CN-GZ) are not what people type
        cols = {c: gdf[c] if c in gdf.columns else None for c in ("name_zh", "name_en")}
        frames.append(
            gpd.GeoDataFrame({**cols, "kind": name}, geometry=gdf.geometry.values, crs=gdf.crs)
        )
    if not frames:
        empty = gpd.GeoDataFrame({"name_zh": [], "name_en": [], "kind": []}, geometry=[])
        return PlaceIndex(empty.set_crs(CONTEXT_CRS))
    return PlaceIndex(gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=CONTEXT_CRS))


def place_search() -> PlaceSearch:
    """This app's place index (one per process and data directory)."""
    found = current_app.extensions.get("fossilgis_place_search")
    if found is None:
        store = current_app.extensions["fossilgis_store"]
        data_dir = getattr(store, "data_dir", None) or current_app.config["DATA_DIR"]
        found = current_app.extensions.setdefault("fossilgis_place_search", PlaceSearch(data_dir))
    return found


def _box(values) -> list[float]:
    return [round(float(v), BBOX_DECIMALS) for v in values]


def coordinate_results(query: str, lang: str) -> list[dict]:
    """Every reading of ``query`` as a coordinate, as search results."""
    out = []
    for m in parse_coordinates(query):
        lon, lat = round(m.lon, COORD_DECIMALS), round(m.lat, COORD_DECIMALS)
        out.append(
            {
                "kind": "coordinate",
                "id": None,
                "label": m.label_zh if lang == "zh" else m.label_en,
                "name_zh": m.label_zh,
                "name_en": m.label_en,
                "lon": lon,
                "lat": lat,
                "bbox": [lon, lat, lon, lat],
                "form": m.form,
                "crs": m.crs,
                "inside_guizhou": m.inside_guizhou,
            }
        )
    return out


def place_results(query: str, lang: str) -> list[dict]:
    """Context places named like ``query``, best first (``layer``: the context layer)."""
    out = []
    for p in place_search().search(query):
        out.append(
            {
                "kind": "place",
                "id": None,
                "layer": p["kind"],
                "label": (p["name_zh"] if lang == "zh" else p["name_en"])
                or p["name_zh"]
                or p["name_en"],
                "name_zh": p["name_zh"],
                "name_en": p["name_en"],
                "lon": round(p["lon"], BBOX_DECIMALS),
                "lat": round(p["lat"], BBOX_DECIMALS),
                "bbox": _box(p["bbox"]),
                "match": p["match"],
            }
        )
    return out


def search_everything(query: str, staff: bool, lang: str) -> dict:
    """The answer of ``/api/search`` (see the module docstring)."""
    from webmap.layers import search as search_targets

    q = query.strip()
    if not q:
        return {"query": query, "results": [], "ambiguous": False, "message": None}
    coords = coordinate_results(q, lang)
    results = [*coords, *search_targets(q, staff, TARGET_LIMIT), *place_results(q, lang)]
    return {
        "query": query,
        "results": results,
        "ambiguous": len(coords) > 1,
        "message": None if results else describe_problem(q),
    }
