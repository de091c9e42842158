"""The map page is rendered once per thing it shows and kept: the kept page is the page a
fresh render gives, with this request's nonce and CSRF token, and it follows the layers."""

from __future__ import annotations

import re

import pytest
from webmap_fixtures import _app, signed_in

from fossilgis.store import open_store

NONCE = re.compile(r"'nonce-([\w-]+)'")
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def _normalised(r) -> str:
    """The page of response ``r`` with its nonce (from its CSP header) and CSRF token as
    fixed words."""
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    nonce = NONCE.search(r.headers["Content-Security-Policy"]).group(1)
    return page.replace(nonce, "NONCE").replace(META_CSRF.search(page).group(1), "TOKEN")


@pytest.mark.parametrize("who", [None, "viewer1", "patroller1", "admin1"])
@pytest.mark.parametrize("path", ["/", "/?lang=zh", "/?lang=en&x=<b>"])
def test_a_kept_page_is_the_page_a_fresh_render_gives(webmap_data, who, path):
    app = _app(webmap_data)
    client = app.test_client() if who is None else signed_in(app, who)
    from webmap.views.map import RenderedPages

    client.get(path)  # rendered and kept
    page = _normalised(client.get(path))
    pages = app.extensions["fossilgis_map_pages"]
    app.extensions["fossilgis_map_pages"] = RenderedPages()  # nothing kept: rendered anew
    assert _normalised(client.get(path)) == page
    assert len(pages._pages) == 1
    if who:
        assert f'id="signed-in-as">{who}' in page
    assert "fossilgis-nonce-" not in page and "fossilgis-csrf-" not in page


def test_each_request_has_its_own_nonce_and_the_sessions_token(webmap_data):
    app = _app(webmap_data)
    client = app.test_client()
    a, b = client.get("/"), client.get("/")
    nonces = [NONCE.search(r.headers["Content-Security-Policy"]).group(1) for r in (a, b)]
    assert nonces[0] != nonces[1]
    for r, nonce in zip((a, b), nonces):
        html = r.get_data(as_text=True)
        scripts = re.findall(r"<script[^>]*\snonce=\"([^\"]+)\"", html)
        assert scripts and set(scripts) == {nonce}
    # one session, one token; another visitor has another
    tokens = {META_CSRF.search(r.get_data(as_text=True)).group(1) for r in (a, b)}
    other = META_CSRF.search(app.test_client().get("/").get_data(as_text=True)).group(1)
    assert len(tokens) == 1 and other not in tokens


def test_the_page_follows_the_layers(template_copy):
    data = template_copy("home-layers")
    app = _app(data)
    client = app.test_client()
    assert 'id="demo-banner"' in client.get("/").get_data(as_text=True)
    store = open_store(data)  # another process would do this
    sites = store.read_layer("sites")
    store.replace_layer("sites", sites, source="office.gpkg", demonstration=False)
    store.replace_layer(
        "sections", store.read_layer("sections"), source="office.gpkg", demonstration=False
    )
    app.extensions["fossilgis_layers"]._cache.check_every_s = 0  # no wait for the next check
    assert 'id="demo-banner"' not in client.get("/").get_data(as_text=True)
    store.close()


def test_pages_kept_are_bounded(webmap_data):
    app = _app(webmap_data)
    client = app.test_client()
    for i in range(100):
        client.get(f"/?q={i}")
    assert len(app.extensions["fossilgis_map_pages"]._pages) == 64
