"""The map page and the health check.

The map page is rendered once for each combination of what it shows (language, the
signed-in account, the request's path and query, the layers' state) and kept, with marks
where the request's CSP nonce and CSRF token go; each request fills those in. Rendering
the templates was most of the page's cost, and the layers' state comes from the layer
caches, which follow the store's layer versions, so nothing shown is ever stale.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict

from flask import Blueprint, current_app, g, render_template, request, url_for

from webmap.auth import can_write, current_user, is_staff
from webmap.csrf import csrf_token
from webmap.headers import csp_nonce
from webmap.i18n import client_strings, current_lang
from webmap.maps import page_map
from webmap.views.patrols import map_urls

bp = Blueprint("map", __name__)


def demonstration() -> bool:
    """Whether the layers are the shipped demonstration (asked once per layer version)."""
    layers = current_app.extensions["fossilgis_layers"]
    return any(layers.info(k)["demonstration"] for k in ("sites", "sections"))


#: rendered map pages kept per app (least recently used dropped first)
PAGES_KEPT = 64


class RenderedPages:
    """Rendered pages by key, with marks for the request's nonce and CSRF token (random
    per app, so no request can place them in the page)."""

    def __init__(self, size: int = PAGES_KEPT):
        self.size = size
        self.nonce_mark = "fossilgis-nonce-" + secrets.token_hex(16)
        self.csrf_mark = "fossilgis-csrf-" + secrets.token_hex(16)
        self._pages: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, render) -> str:
        """The page of ``key``, ``render()``-ed (with the marks) when not kept."""
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
                return page
        g.csp_nonce = self.nonce_mark  # what csp_nonce() and the nonced filter write
        try:
            page = render(lambda: self.csrf_mark)
        finally:
            g.pop("csp_nonce", None)
        with self._lock:
            self._pages[key] = page
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)
        return page

    def fill(self, page: str) -> str:
        """``page`` with this request's nonce and CSRF token in place of the marks."""
        return page.replace(self.nonce_mark, csp_nonce()).replace(self.csrf_mark, csrf_token())


@bp.get("/")
def index():
    lang = current_lang()
    staff = is_staff()
    user = current_user()
    layers = current_app.extensions["fossilgis_layers"]
    demo, shared, bbox_mode = layers.page_state(staff, current_app.config["BBOX_THRESHOLD"])
    # everything the page shows, but the nonce and the CSRF token (templates: map.html,
    # base.html; what they add must be added here too)
    key = (
        lang,
        staff,
        None if user is None else (user.username, user.role, can_write()),
        request.script_root,
        request.full_path,
        current_app.config["COVERAGE_DAYS"],
        demo,
        shared,
        bbox_mode,
    )
    pages = current_app.extensions.get("fossilgis_map_pages")
    if pages is None:
        pages = current_app.extensions.setdefault("fossilgis_map_pages", RenderedPages())
    return pages.fill(pages.get(key, lambda token: _render(key, token)))


def _render(key: tuple, token) -> str:
    """The map page of :func:`index`'s ``key``; ``token`` stands in for the template's
    ``csrf_token()``."""
    lang, staff, *_, coverage_days, demo, shared, bbox_mode = key
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
            "potential": url_for("potential.geojson"),
            "potential_legend": url_for("potential.legend_json"),
            "site_page": request.script_root + "/sites/",
            "section_page": request.script_root + "/sections/",
            **map_urls(),
        },
        "coverage_days": coverage_days,
        "bbox_mode": dict(bbox_mode),
    }
    return render_template(
        "map.html",
        map=page_map("main", lang),
        page_config=config,
        demonstration=demo,
        shared=shared,
        staff=staff,
        csrf_token=token,
    )


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}
