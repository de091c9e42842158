"""The layers as the web map serves them: generalised or precise, rounded, as GeoJSON bytes."""

from __future__ import annotations

import hashlib
import json
import threading
import time

import numpy as np
import shapely
from flask import current_app

from fossilgis.generalise import GENERALISED_DECIMALS, public_layer
from fossilgis.schema import LAYER_KINDS

#: decimals of precise coordinates (0.1 m; the data are not better than that)
PRECISE_DECIMALS = 6
#: served kinds: the two reference layers and their zones
SERVED_KINDS = (*LAYER_KINDS, "zones")
#: how often (s) a cached layer checks the store's version
VERSION_CHECK_S = 2.0

TARGET_PROPS = {
    "sites": ["id", "name_zh", "name_en", "county_zh", "county_en", "age", "formation",
              "fossils", "protection_level", "status", "accuracy_class", "accuracy_m",
              "boundary_status", "source"],
    "sections": ["id", "name_zh", "name_en", "county_zh", "county_en", "age", "formation",
                 "boundary", "protection_level", "status", "accuracy_class", "accuracy_m",
                 "boundary_status", "source"],
    "zones": ["target_kind", "target_id", "protection_level", "zone", "outer_m"],
}


def get_store():
    return current_app.extensions["fossilgis_store"]


class ServedLayer:
    """One layer as served to one audience: the frame, its GeoJSON body and ETag."""

    def __init__(self, kind: str, gdf, decimals: int, versions: tuple):
        self.kind = kind
        self.gdf = gdf.reset_index(drop=True)
        self.decimals = decimals
        self.versions = versions
        self.body = features_to_geojson(self.gdf, TARGET_PROPS[kind], decimals)
        self.etag = hashlib.sha1(self.body).hexdigest()
        self.checked = time.monotonic()

    def in_bbox(self, bbox) -> bytes:
        idx = self.gdf.sindex.query(shapely.box(*bbox), predicate="intersects")
        return features_to_geojson(self.gdf.iloc[np.sort(idx)], TARGET_PROPS[self.kind],
                                   self.decimals)


def _clean(value):
    if value is None:
        return None
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def features_to_geojson(gdf, props: list[str], decimals: int) -> bytes:
    """A FeatureCollection (UTF-8 bytes) with the listed properties, coordinates rounded."""
    geoms = shapely.transform(np.asarray(gdf.geometry.values),
                              lambda xy: np.round(xy, decimals))
    geo_json = shapely.to_geojson(geoms)
    # "generalised" (public layers only) says which shapes are grid cells
    cols = [c for c in [*props, "generalised"] if c in gdf.columns]
    records = gdf[cols].to_dict("records") if len(gdf) else []
    parts = []
    for rec, geom in zip(records, geo_json):
        properties = {k: _clean(v) for k, v in rec.items()}
        fid = json.dumps(properties.get("id") or properties.get("target_id"),
                         ensure_ascii=False)
        props_json = json.dumps(properties, ensure_ascii=False, separators=(",", ":"))
        parts.append(f'{{"type":"Feature","id":{fid},"properties":{props_json},'
                     f'"geometry":{geom or "null"}}}')
    return ('{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}").encode()


class LayerCache:
    """Served layers per (kind, staff), rebuilt when the store's layer version changes."""

    def __init__(self, store, rules_loader):
        self.store = store
        self.rules_loader = rules_loader
        self._lock = threading.RLock()  # building zones reads the sites layer
        self._layers: dict[tuple[str, bool], ServedLayer] = {}
        self._rules = None

    def _versions(self) -> tuple:
        return tuple(self.store.layer_info(k)["version"] for k in LAYER_KINDS)

    def get(self, kind: str, staff: bool) -> ServedLayer:
        key = (kind, staff)
        served = self._layers.get(key)
        now = time.monotonic()
        if served is not None and now - served.checked < VERSION_CHECK_S:
            return served
        with self._lock:
            versions = self._versions()
            served = self._layers.get(key)
            if served is None or served.versions != versions:
                served = self._build(kind, staff, versions)
                self._layers[key] = served
            served.checked = now
            return served

    def rules(self):
        if self._rules is None:
            self._rules = self.rules_loader()
        return self._rules

    def _build(self, kind: str, staff: bool, versions: tuple) -> ServedLayer:
        if kind == "zones":
            from fossilgis.zones import target_zones

            # the zones of what this audience sees: public zones never outline a site
            sites = self.get("sites", staff).gdf
            sections = self.get("sections", staff).gdf
            gdf = target_zones(sites, sections, self.rules())
            return ServedLayer(kind, gdf, PRECISE_DECIMALS if staff else GENERALISED_DECIMALS,
                               versions)
        gdf = self.store.read_layer(kind)
        if staff:
            return ServedLayer(kind, gdf, PRECISE_DECIMALS, versions)
        # anonymous: allow-listed, scrubbed attributes; sites (and the sections that would
        # draw them) as grid cells
        sites = self.store.read_layer("sites") if kind == "sections" else None
        public = public_layer(gdf, kind, sites=sites, rules=self.rules())
        return ServedLayer(kind, public, GENERALISED_DECIMALS if kind == "sites"
                           else PRECISE_DECIMALS, versions)


def served_layer(kind: str, staff: bool) -> ServedLayer:
    return current_app.extensions["fossilgis_layers"].get(kind, staff)


def served_feature(kind: str, feature_id: str, staff: bool):
    """(one-row GeoDataFrame, ServedLayer) of a site or section as this audience sees it."""
    served = served_layer(kind, staff)
    hit = served.gdf[served.gdf["id"] == feature_id]
    return (None if hit.empty else hit), served


def shared_point_count() -> int:
    """How many sites share their centroid with another site (county-seat locations)."""
    gdf = served_layer("sites", True).gdf
    if gdf.empty:
        return 0
    c = shapely.centroid(np.asarray(gdf.geometry.values))
    keys = [(round(x, 4), round(y, 4)) for x, y in zip(shapely.get_x(c), shapely.get_y(c))]
    counts: dict = {}
    for k in keys:
        counts[k] = counts.get(k, 0) + 1
    return sum(v for v in counts.values() if v > 1)


def search(query: str, staff: bool, limit: int = 20) -> list[dict]:
    """Sites and sections whose id or name contains ``query`` (case-insensitive)."""
    q = query.strip().lower()
    if not q:
        return []
    out = []
    for kind in LAYER_KINDS:
        gdf = served_layer(kind, staff).gdf
        text = (gdf["id"].astype(str) + "\n" + gdf["name_zh"].fillna("").astype(str) + "\n"
                + gdf["name_en"].fillna("").astype(str)).str.lower()
        hits = gdf[text.str.contains(q, regex=False)]
        for rec, geom in zip(hits[["id", "name_zh", "name_en"]].to_dict("records"),
                             hits.geometry.values):
            rec["kind"] = kind
            rec["bbox"] = [round(v, 5) for v in geom.bounds]
            out.append(rec)
            if len(out) >= limit:
                return out
    return out
