"""The fossilgis web map: a Flask application factory (``flask --app webmap run``)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, g, request

from webmap.config import DEFAULTS, from_environment, tile_layers


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: config defaults → FOSSILGIS_* environment → ``test_config``."""
    from fossilgis.auth import ensure_secret_key
    from fossilgis.errors import FossilGISError
    from fossilgis.rules import load_rules
    from fossilgis.store import open_store
    from webmap import auth, csrf, errors, headers, i18n
    from webmap.assets import use_local_assets
    from webmap.layers import LayerCache
    from webmap.results import ResultStore
    from webmap.static_urls import static_url
    from webmap.views import (
        account,
        api,
        basemaps,
        cases,
        check,
        context,
        map,
        ogcapi,
        patrols,
        potential,
        submit,
        targets,
    )

    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.update(from_environment())
    if test_config:
        app.config.update(test_config)
    app.config["TILE_LAYERS"] = tile_layers(app.config)  # fails early on a bad basemap
    app.config["CSP_TILE_SOURCES"] = headers.tile_sources(app.config["TILE_LAYERS"])
    app.json.ensure_ascii = False

    use_local_assets()
    store = open_store(app.config["DATA_DIR"], store=app.config.get("STORE"))
    data_dir = getattr(store, "data_dir", None) or app.config["DATA_DIR"]
    if data_dir is None:
        raise FossilGISError(
            "the web app needs a data directory (FOSSILGIS_DATA) for its "
            "secret key and screening results"
        )
    data_dir = Path(data_dir)
    if not app.config.get("SECRET_KEY"):
        # shared by every process on this data directory: sessions work across them
        app.config["SECRET_KEY"] = ensure_secret_key(data_dir)
    app.config["STORE_DESC"] = store.describe()
    app.extensions["fossilgis_store"] = store
    app.extensions["fossilgis_private_roots"] = errors.private_roots(app, store)
    app.extensions["fossilgis_layers"] = LayerCache(store, load_rules)
    app.extensions["fossilgis_results"] = ResultStore(
        app.config.get("RESULTS_DIR") or data_dir / "results",
        app.config["RESULT_MAX"],
        app.config["RESULT_TTL_S"],
    )
    app.extensions["fossilgis_login_limiter"] = auth.LoginLimiter(
        app.config["LOGIN_MAX_FAILURES"], app.config["LOGIN_WINDOW_S"]
    )

    @app.before_request
    def _who_and_language():
        g.lang = i18n.lang_from_request()
        auth.load_user()
        return auth.check_access() or csrf.check_csrf()

    @app.after_request
    def _remember_language_and_harden(resp):
        asked = request.args.get("lang")
        if asked in i18n.LANGS:
            resp.set_cookie(i18n.LANG_COOKIE, asked, max_age=365 * 86400, samesite="Lax")
        headers.harden(resp)  # CSP, nosniff, referrer, framing; no paths in error pages
        if request.path.startswith("/api/") or "lang" in request.args:
            resp.vary.add("Cookie")
        if getattr(g, "user", None) is not None:  # pages for one user: no shared caches
            resp.headers.setdefault("Cache-Control", "private, no-store")
        return resp

    i18n.install_jinja(app.jinja_env)  # {{ _("…") }} in the request's language
    app.jinja_env.globals.update(
        vocab=i18n.vocab,
        current_lang=i18n.current_lang,
        is_staff=auth.is_staff,
        current_user=auth.current_user,
        can_write=auth.can_write,
        is_admin=auth.is_admin,
        csrf_token=csrf.csrf_token,
        cst=i18n.cst,
        csp_nonce=headers.csp_nonce,
        static_url=static_url,
    )
    app.jinja_env.filters["nonced"] = headers.nonced
    for module in (
        map,
        targets,
        check,
        api,
        potential,
        basemaps,
        context,
        ogcapi,
        account,
        patrols,
        cases,
        submit,
    ):
        app.register_blueprint(module.bp)
    errors.register(app)
    return app
