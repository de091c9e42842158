"""The patrol blueprint and the helpers its page, API and alert views share."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app

from webmap.layers import get_store

bp = Blueprint("patrols", __name__)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def targets():
    """Sites and sections for validation and inference, rebuilt when a layer changes."""
    cache = current_app.extensions.get("fossilgis_patrol_targets")
    if cache is None:
        from fossilgis.patrols.submit import load_targets
        from fossilgis.serving import VersionedCache, layer_versions

        store = get_store()
        cache = VersionedCache(lambda _key: load_targets(store), lambda: layer_versions(store))
        current_app.extensions["fossilgis_patrol_targets"] = cache
    return cache.get()


def _target_names() -> dict[tuple[str, str], tuple[str, str]]:
    frame = targets()
    return {
        (k, i): (zh, en)
        for k, i, zh, en in zip(frame["kind"], frame["id"], frame["name_zh"], frame["name_en"])
    }
