"""The map page and the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for

from webmap.auth import is_staff
from webmap.i18n import client_strings, current_lang
from webmap.layers import shared_point_count
from webmap.maps import page_map
from webmap.views.patrols import map_urls

bp = Blueprint("map", __name__)


def demonstration() -> bool:
    """Whether the layers are the shipped demonstration (asked once per layer version)."""
    layers = current_app.extensions["fossilgis_layers"]
    return any(layers.info(k)["demonstration"] for k in ("sites", "sections"))


@bp.get("/")
def index():
    lang = current_lang()
    staff = is_staff()
    layers = current_app.extensions["fossilgis_layers"]
    config = {
        "page": "main",
        "lang": lang,
        "staff": staff,
        "strings": client_strings(lang),
        "urls": {
            "sites": url_for("api.layer", kind="sites"),
            "sections": url_for("api.layer", kind="sections"),
            "zones": url_for("api.layer", kind="zones"),
            "search": url_for("api.search"),
            "site_page": request.script_root + "/sites/",
            "section_page": request.script_root + "/sections/",
            **map_urls(),
        },
        "coverage_days": current_app.config["COVERAGE_DAYS"],
        "bbox_mode": {
            k: layers.get(k, staff).gdf.shape[0] > current_app.config["BBOX_THRESHOLD"]
            for k in ("sites", "sections", "zones")
        },
    }
    return render_template(
        "map.html",
        map=page_map("main", lang),
        page_config=config,
        demonstration=demonstration(),
        shared=shared_point_count(),
        staff=staff,
    )


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}
