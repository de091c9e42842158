"""The case register's maps as GeoJSON: one case with its targets' rings, and a list's cases."""

from __future__ import annotations

from flask import current_app

from fossilgis import vocab
from webmap.i18n import current_lang

#: footprints the list's map draws at most
MAP_LIMIT = 2000


def _frame(columns: dict, geoms):
    import geopandas as gpd

    return gpd.GeoDataFrame(columns, geometry=list(geoms), crs="EPSG:4490")


def case_map_geojson(store, number: str) -> bytes:
    """The case's current footprints, its affected targets (precise: staff only) and their
    control and attention rings, one FeatureCollection (``role``: footprint | target |
    zone)."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely

    from fossilgis.zones import target_zones
    from webmap.layers import PRECISE_DECIMALS, features_to_geojson, served_layer

    case = store.cases.get(number)
    lang = current_lang()
    parts = []
    if case["footprints_seq"] is not None:
        fps = store.cases.footprints(number, case["footprints_seq"])
        parts.append(
            _frame(
                {"role": "footprint", "project_id": fps["project_id"].astype(str).to_numpy()},
                fps.geometry.values,
            )
        )
    summary = {}
    if case["screen_seq"] is not None:
        summary = store.cases.screen(number)["summary"] or {}
    hit = {}
    for kind, layer in (("site", "sites"), ("section", "sections")):
        ids = [v["id"] for key, v in summary.items() if key.startswith(kind + ":")]
        gdf = served_layer(layer, True).gdf
        hit[layer] = gdf[gdf["id"].isin(ids)]
        if len(hit[layer]):
            grades = [summary[f"{kind}:{i}"]["grade"] for i in hit[layer]["id"]]
            parts.append(
                _frame(
                    {
                        "role": "target",
                        "target_kind": kind,
                        "id": hit[layer]["id"].to_numpy(),
                        "name": hit[layer]["name_zh" if lang == "zh" else "name_en"].to_numpy(),
                        "grade": grades,
                    },
                    hit[layer].geometry.values,
                )
            )
    if any(len(v) for v in hit.values()):
        rules = current_app.extensions["fossilgis_layers"].rules()
        rings = target_zones(hit["sites"], hit["sections"], rules)
        parts.append(
            _frame(
                {
                    "role": "zone",
                    "zone": rings["zone"].to_numpy(),
                    "id": rings["target_id"].to_numpy(),
                },
                rings.geometry.values,
            )
        )
    if not parts:
        return b'{"type":"FeatureCollection","features":[]}'
    frame = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs="EPSG:4490")
    order = frame["role"].map({"zone": 0, "target": 1, "footprint": 2})
    frame = frame.iloc[np.argsort(order.to_numpy(), kind="stable")]
    frame = frame.set_geometry(list(shapely.force_2d(np.asarray(frame.geometry.values))))
    props = ["role", "project_id", "target_kind", "id", "name", "grade", "zone"]
    return features_to_geojson(frame, props, PRECISE_DECIMALS)


def footprints_geojson(store, filters: dict, view: list[float] | None) -> bytes:
    """Current footprints of the cases matching ``filters`` within ``view`` (the map's
    extent), with the number, project, status and grade and the case page's address."""
    from flask import url_for

    from webmap.layers import PRECISE_DECIMALS, features_to_geojson

    bbox = filters.pop("bbox", None)
    if bbox and view:  # the list's extent filter and the map's view: where both are
        bbox = [max(bbox[0], view[0]), max(bbox[1], view[1])] + [
            min(bbox[2], view[2]),
            min(bbox[3], view[3]),
        ]
        if bbox[0] > bbox[2] or bbox[1] > bbox[3]:
            return b'{"type":"FeatureCollection","features":[]}'
    gdf = store.cases.map_footprints(bbox=bbox or view, limit=MAP_LIMIT, **filters)
    lang = current_lang()
    gdf["url"] = [url_for("cases.detail", number=n) for n in gdf["number"]]
    gdf["status_label"] = [vocab.CASE_STATUSES.label(s, lang) for s in gdf["status"]]
    gdf["grade_label"] = [vocab.GRADES.label(g, lang) if g else "–" for g in gdf["grade"]]
    props = ["number", "project_name", "status", "grade", "status_label", "grade_label", "url"]
    return features_to_geojson(gdf, props, PRECISE_DECIMALS)
