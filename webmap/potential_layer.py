"""The fossil potential layer as the web map serves it: the current geological map's units
in a bounding box, simplified for the zoom, as GeoJSON bytes; and its legend.

Potential is not a location secret (the BLM publishes its PFYC maps), so staff and visitors
get the same answer. The classed map (:func:`fossilgis.potential.classes.current_map`) is
held per process, rebuilt when the store's formations version or the potential table file
changes (asked at most every :data:`fossilgis.serving.VERSION_CHECK_S` seconds). Its
STRtree finds the units in a box in memory; no query reaches the store per request.

Simplification: a unit is simplified (Douglas-Peucker) with a tolerance of
:data:`TOLERANCE_PX` screen pixels at the requested zoom, ``360 / (256 * 2**zoom) *
TOLERANCE_PX`` degrees (0.0014° at zoom 9, 0.00017° at zoom 12), and its coordinates are
rounded to the decimals that keep the rounding under that tolerance (4 at zoom 9, 5 at zoom
12, 6 from zoom 15). A unit's GeoJSON text is kept per zoom once made (up to zoom
:data:`MAX_CACHED_ZOOM`), so panning at one zoom serialises each unit once.
"""

from __future__ import annotations

import json
import math
import threading

import numpy as np
import shapely

#: tolerance of the simplification, in screen pixels of the requested zoom
TOLERANCE_PX = 0.5
#: zooms outside 0..MAX_ZOOM are refused
MAX_ZOOM = 22
#: a unit's simplified GeoJSON is kept per zoom up to this one (beyond, a view holds a few
#: hundred units, simplified in ~10-40 ms; the texts of zooms 9-11 of a 50 000-unit map
#: take ~80 MB at most)
MAX_CACHED_ZOOM = 11
#: without ``zoom``, the tolerance assumes the box fills a view this many pixels wide
ASSUMED_VIEW_PX = 1024
#: the map script loads the layer from this zoom on (it says so below it)
MIN_MAP_ZOOM = 9


def degrees_per_pixel(zoom: float) -> float:
    """Degrees of longitude per screen pixel at ``zoom`` (256-pixel Web-Mercator tiles)."""
    return 360.0 / (256.0 * 2.0**zoom)


def tolerance_deg(zoom: float) -> float:
    """The simplification tolerance in degrees at ``zoom``."""
    return degrees_per_pixel(zoom) * TOLERANCE_PX


def decimals_for(zoom: float) -> int:
    """Coordinate decimals at ``zoom``: rounding stays under the tolerance (3 … 6)."""
    return int(min(6, max(3, math.ceil(-math.log10(tolerance_deg(zoom))) + 1)))


def zoom_for_bbox(bbox) -> int:
    """The zoom at which ``bbox`` fills a view :data:`ASSUMED_VIEW_PX` wide (0 … MAX_ZOOM)."""
    width = max(bbox[2] - bbox[0], bbox[3] - bbox[1], 1e-9)
    zoom = math.log2(360.0 * ASSUMED_VIEW_PX / (256.0 * width))
    return int(min(MAX_ZOOM, max(0, math.floor(zoom))))


class PotentialLayer:
    """One classed geological map, ready to serve: its units' geometries, areas, STRtree
    and the JSON of each unit's properties (unit, names, class, colour)."""

    def __init__(self, classed):
        frame = classed.frame
        self.version = classed.version
        self.table = classed.table
        self.geoms = classed.geoms
        self.tree = classed.tree
        self.count = len(frame)
        self.areas = shapely.area(self.geoms)  # deg²: which units to keep when truncated
        colours = {code: c.colour for code, c in self.table.classes.items()}
        cols = [frame[c].to_numpy(dtype=object) for c in ("unit", "name_zh", "name_en")]
        self.props = [
            json.dumps(
                {
                    "unit": _text(unit),
                    "name_zh": _text(zh),
                    "name_en": _text(en),
                    "potential_class": pclass,
                    "colour": colours.get(pclass),
                },
                ensure_ascii=False,
                separators=(",", ":"),
            )
            for unit, zh, en, pclass in zip(*cols, frame["potential_class"].to_numpy())
        ]
        values, n = np.unique(frame["potential_class"].to_numpy(str), return_counts=True)
        #: units per class, and units the table does not know (for the legend)
        self.class_counts = dict(zip(values.tolist(), n.tolist()))
        self.unmatched = classed.unmatched_count
        self._levels: dict[int, np.ndarray] = {}
        self._lock = threading.Lock()

    def query(self, bbox, zoom: int, cap: int) -> tuple[bytes, int, bool]:
        """(FeatureCollection bytes, units in the box, truncated) of the units whose
        geometry meets ``bbox``; the ``cap`` largest when there are more."""
        idx = self.tree.query(shapely.box(*bbox), predicate="intersects")
        found = len(idx)
        truncated = found > cap
        if truncated:
            idx = idx[np.argsort(-self.areas[idx], kind="stable")[:cap]]
        idx = np.sort(idx)
        texts = self._geojson(idx, zoom)
        keep = texts != ""  # units simplified away to nothing (smaller than a pixel)
        parts = [
            f'{{"type":"Feature","properties":{self.props[i]},"geometry":{g}}}'
            for i, g in zip(idx[keep].tolist(), texts[keep].tolist())
        ]
        body = (
            '{"type":"FeatureCollection","formations_version":'
            f'{self.version},"zoom":{zoom},"matched":{found},'
            f'"truncated":{"true" if truncated else "false"},'
            f'"features":[' + ",".join(parts) + "]}"
        )
        return body.encode(), found, truncated

    def _geojson(self, idx: np.ndarray, zoom: int) -> np.ndarray:
        """The simplified, rounded GeoJSON geometry text of units ``idx`` at ``zoom``."""
        if zoom > MAX_CACHED_ZOOM:
            return _simplified_geojson(self.geoms[idx], zoom)
        with self._lock:
            level = self._levels.get(zoom)
            if level is None:
                level = self._levels[zoom] = np.full(self.count, None, dtype=object)
        missing = idx[np.equal(level[idx], None)]
        if len(missing):
            # two requests may make the same text at once: the same value is written twice
            level[missing] = _simplified_geojson(self.geoms[missing], zoom)
        return level[idx]


def _simplified_geojson(geoms: np.ndarray, zoom: int) -> np.ndarray:
    """GeoJSON geometry texts of ``geoms`` simplified and rounded for ``zoom`` ("" when a
    unit is smaller than the tolerance and vanishes)."""
    if not len(geoms):
        return np.array([], dtype=object)
    decimals = decimals_for(zoom)
    # Douglas-Peucker without topology checks: ~6 times faster, and what it may break
    # (a ring crossing itself by less than half a pixel) does not show on the map
    simple = shapely.simplify(geoms, tolerance_deg(zoom), preserve_topology=False)
    simple = shapely.transform(simple, lambda xy: np.round(xy, decimals))
    out = np.asarray(shapely.to_geojson(simple), dtype=object)
    gone = shapely.is_missing(simple) | shapely.is_empty(simple) | ~(shapely.area(simple) > 0)
    out[gone] = ""
    return out


def _text(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


class PotentialCache:
    """The served layer, the table and the map's record, per formations version and table
    file (path and modification time); the store is asked at most every few seconds."""

    def __init__(self, store):
        from fossilgis.serving import VersionedCache

        self.store = store
        self._cache = VersionedCache(self._build, self._version)

    def get(self) -> tuple[PotentialLayer | None, object, dict]:
        """(layer or None without a map, table or None when it cannot be read, map info)."""
        return self._cache.get()

    def _version(self):
        from fossilgis.potential.classes import table_stamp

        return self.store.formations.current_version(), *table_stamp()

    def _build(self, _key):
        from fossilgis.potential.classes import current_map, current_table
        from fossilgis.potential.table import PotentialTableError

        info = self.store.formations.info()
        if not info["version"]:
            try:  # no map: the legend still shows the classes, if the table can be read
                table = current_table()
            except PotentialTableError:
                table = None
            return None, table, info
        table = current_table()  # a map without a usable table: the server's error
        classed = current_map(self.store, table)
        return PotentialLayer(classed), table, info


def legend(layer: PotentialLayer | None, table, info: dict) -> dict:
    """The legend: every class of ``table`` (bilingual labels and descriptions, colour, how
    many units of the map have it), the table version and the map's version and count."""
    counts = layer.class_counts if layer is not None else {}
    classes = (
        [
            {
                "class": c.code,
                "label_zh": c.zh,
                "label_en": c.en,
                "description_zh": c.description_zh,
                "description_en": c.description_en,
                "rank": c.rank,
                "colour": c.colour,
                "units": counts.get(c.code, 0),
            }
            for c in sorted(table.classes.values(), key=lambda c: -c.rank)
        ]
        if table is not None
        else []
    )
    return {
        "table_version": table.version if table is not None else None,
        "formations": {
            "version": info.get("version", 0),
            "count": info.get("count", 0),
            "source": info.get("source"),
            "demonstration": bool(info.get("demonstration")),
            "not_in_table": layer.unmatched if layer is not None else 0,
        },
        "min_zoom": MIN_MAP_ZOOM,
        "classes": classes,
    }
