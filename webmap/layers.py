"""The layers as the web map serves them: generalised or precise, rounded, as GeoJSON bytes."""

from __future__ import annotations

import functools
import hashlib
import json

import numpy as np
import shapely
from flask import current_app

from fossilgis.generalise import PUBLIC_FIELDS
from fossilgis.schema import LAYER_KINDS
from fossilgis.serving import (
    PRECISE_DECIMALS,  # noqa: F401  (webmap.views.check imports it from here)
    VersionedCache,
    for_audience,
    json_safe,
    layer_versions,
    served_decimals,
)

#: served kinds: the two reference layers and their zones
SERVED_KINDS = (*LAYER_KINDS, "zones")

TARGET_PROPS = {
    **{kind: list(fields) for kind, fields in PUBLIC_FIELDS.items()},
    "zones": ["target_kind", "target_id", "protection_level", "zone", "outer_m"],
}


def get_store():
    return current_app.extensions["fossilgis_store"]


class ServedLayer:
    """One layer as served to one audience: the frame, its GeoJSON body and ETag."""

    def __init__(self, kind: str, gdf, decimals: int):
        self.kind = kind
        self.gdf = gdf.reset_index(drop=True)
        self.decimals = decimals
        self.body = features_to_geojson(self.gdf, TARGET_PROPS[kind], decimals)
        self.etag = hashlib.sha1(self.body).hexdigest()

    def in_bbox(self, bbox) -> bytes:
        idx = self.gdf.sindex.query(shapely.box(*bbox), predicate="intersects")
        return features_to_geojson(
            self.gdf.iloc[np.sort(idx)], TARGET_PROPS[self.kind], self.decimals
        )


def features_to_geojson(gdf, props: list[str], decimals: int) -> bytes:
    """A FeatureCollection (UTF-8 bytes) with the listed properties, coordinates rounded."""
    geoms = shapely.transform(np.asarray(gdf.geometry.values), lambda xy: np.round(xy, decimals))
    geo_json = shapely.to_geojson(geoms)
    # "generalised" (public layers only) says which shapes are grid cells
    cols = [c for c in [*props, "generalised"] if c in gdf.columns]
    records = gdf[cols].to_dict("records") if len(gdf) else []
    parts = []
    for rec, geom in zip(records, geo_json):
        properties = {k: json_safe(v) for k, v in rec.items()}
        fid = json.dumps(properties.get("id") or properties.get("target_id"), ensure_ascii=False)
        props_json = json.dumps(properties, ensure_ascii=False, separators=(",", ":"))
        parts.append(
            f'{{"type":"Feature","id":{fid},"properties":{props_json},"geometry":{geom or "null"}}}'
        )
    return ('{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}").encode()


class LayerCache:
    """Served layers per (kind, staff), rebuilt when the store's layer version changes."""

    def __init__(self, store, rules_loader):
        self.store = store
        self.rules = functools.cache(rules_loader)
        self._cache = VersionedCache(self._build, lambda: layer_versions(store))

    def get(self, kind: str, staff: bool) -> ServedLayer:
        return self._cache.get((kind, staff))

    def info(self, kind: str) -> dict:
        """``store.layer_info(kind)`` (count, version, demonstration …) for this version:
        pages show it on every request, the store is asked once per layer version."""
        return self._cache.get(("info", kind))

    def shared_points(self) -> int:
        """How many sites share their centroid with another (cached per layer version)."""
        return self._cache.get(("shared", None))

    def page_state(self, staff: bool, bbox_threshold: int) -> tuple:
        """What the map page shows of the layers, for this version: (demonstration data?,
        :meth:`shared_points`, ((kind, more features than ``bbox_threshold``?), …))."""
        return self._cache.get(("page", (staff, bbox_threshold)))

    def _build(self, key: tuple):
        # ("info", layer kind) | ("shared", None) | ("page", (staff, threshold)) | (kind, staff)
        kind, staff = key
        if kind == "info":
            return self.store.layer_info(key[1])
        if kind == "shared":
            return _shared_point_count(self.get("sites", True).gdf)
        if kind == "page":
            staff, threshold = key[1]
            return (
                any(self.info(k)["demonstration"] for k in LAYER_KINDS),
                self.shared_points(),
                tuple((k, len(self.get(k, staff).gdf) > threshold) for k in SERVED_KINDS),
            )
        if kind == "zones":
            from fossilgis.zones import target_zones

            # the zones of what this audience sees: public zones never outline a site
            sites = self.get("sites", staff).gdf
            sections = self.get("sections", staff).gdf
            gdf = target_zones(sites, sections, self.rules())
        else:
            gdf = for_audience(
                self.store, kind, self.store.read_layer(kind), staff=staff, rules=self.rules
            )
        return ServedLayer(kind, gdf, served_decimals(kind, staff=staff))


def served_layer(kind: str, staff: bool) -> ServedLayer:
    return current_app.extensions["fossilgis_layers"].get(kind, staff)


def served_feature(kind: str, feature_id: str, staff: bool):
    """(one-row GeoDataFrame, ServedLayer) of a site or section as this audience sees it."""
    served = served_layer(kind, staff)
    hit = served.gdf[served.gdf["id"] == feature_id]
    return (None if hit.empty else hit), served


def shared_point_count() -> int:
    """How many sites share their centroid with another site (county-seat locations)."""
    return current_app.extensions["fossilgis_layers"].shared_points()


def _shared_point_count(gdf) -> int:
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
        text = (
            gdf["id"].astype(str)
            + "\n"
            + gdf["name_zh"].fillna("").astype(str)
            + "\n"
            + gdf["name_en"].fillna("").astype(str)
        ).str.lower()
        hits = gdf[text.str.contains(q, regex=False)]
        for rec, geom in zip(
            hits[["id", "name_zh", "name_en"]].to_dict("records"), hits.geometry.values
        ):
            rec["kind"] = kind
            rec["bbox"] = [round(v, 5) for v in geom.bounds]
            out.append(rec)
            if len(out) >= limit:
                return out
    return out
