"""The fossilgis web map: a Flask application factory (``flask --app webmap run``)."""

from __future__ import annotations

import secrets

from flask import Flask, g, request

from webmap.config import DEFAULTS, from_environment, tile_layers


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: config defaults → FOSSILGIS_* environment → ``test_config``."""
    from fossilgis.rules import load_rules
    from fossilgis.store import open_store
    from webmap import auth, errors, i18n
    from webmap.assets import use_local_assets
    from webmap.layers import LayerCache
    from webmap.results import ResultStore
    from webmap.views import api, check, map, ogcapi, targets

    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.update(from_environment())
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    app.config["TILE_LAYERS"] = tile_layers(app.config)  # fails early on a bad basemap
    app.json.ensure_ascii = False

    use_local_assets()
    store = open_store(app.config["DATA_DIR"])
    app.config["STORE_DESC"] = store.describe()
    app.extensions["fossilgis_store"] = store
    app.extensions["fossilgis_layers"] = LayerCache(store, load_rules)
    app.extensions["fossilgis_results"] = ResultStore(app.config["RESULT_MAX"],
                                                      app.config["RESULT_TTL_S"])

    @app.before_request
    def _who_and_language():
        auth.load_user()
        g.lang = i18n.lang_from_request()

    @app.after_request
    def _remember_language_and_harden(resp):
        asked = request.args.get("lang")
        if asked in i18n.LANGS:
            resp.set_cookie(i18n.LANG_COOKIE, asked, max_age=365 * 86400, samesite="Lax")
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        if request.path.startswith("/api/") or "lang" in request.args:
            resp.vary.add("Cookie")
        return resp

    app.jinja_env.globals.update(t=i18n.text, vocab=i18n.vocab, current_lang=i18n.current_lang,
                                 is_staff=auth.is_staff)
    for module in (map, targets, check, api, ogcapi):
        app.register_blueprint(module.bp)
    errors.register(app)
    return app
