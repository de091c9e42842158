"""Security headers of every response: Content-Security-Policy with a per-request nonce,
nosniff, referrer policy, framing; and server paths cut out of error pages.

Pages run only the app's own scripts: files under ``/static`` (``'self'``) and the inline
scripts of the templates and of folium's map shell, which carry the request's nonce
(:func:`csp_nonce`; the templates add it with ``nonce="{{ csp_nonce() }}"`` and the
``nonced`` filter). An injected ``<script>`` has no nonce and does not run. Two
exceptions, both forced by vendored code and kept as narrow as possible:

* ``style-src 'unsafe-inline'``: folium writes ``<style>`` blocks and Leaflet's plugins
  write ``style=`` attributes in their markup; style cannot run script.
* ``'unsafe-eval'`` on pages that load leaflet-measure (the main map): its lodash templates
  are compiled with ``Function()`` when the file loads. Every other page is without it.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from flask import current_app, g
from markupsafe import Markup

_SCRIPT_TAG = re.compile(r"<script(?=[\s>])")
#: the vendored file whose templates need eval (see the module docstring)
NEEDS_EVAL = b"/leaflet-measure/leaflet-measure."


def csp_nonce() -> str:
    """The nonce of this request's inline scripts (made on first use)."""
    nonce = getattr(g, "csp_nonce", None)
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(18)
    return nonce


def nonced(html: str) -> Markup:
    """Trusted markup (folium's map shell, never data) with the nonce on its scripts."""
    return Markup(_SCRIPT_TAG.sub(f'<script nonce="{csp_nonce()}"', str(html)))


def tile_sources(tile_layers: list[dict]) -> list[str]:
    """CSP sources of the configured basemap tiles (``https://*.tianditu.gov.cn``)."""
    out = []
    for layer in tile_layers:
        parts = urlsplit(layer["url"])
        host = re.sub(r"\{[^}]*\}", "*", parts.hostname or "")
        first, dot, rest = host.partition(".")
        if "*" in first:  # t{s}.tianditu.gov.cn: CSP wildcards are whole leftmost labels
            host = "*" + dot + rest
        source = f"{parts.scheme}://{host}"
        if parts.hostname and source not in out:
            out.append(source)
    return out


def page_policy(nonce: str | None, tile_hosts: list[str], allow_eval: bool = False) -> str:
    """The Content-Security-Policy of an HTML page."""
    script = ["'self'"]
    if nonce:
        script.append(f"'nonce-{nonce}'")
    if allow_eval:
        script.append("'unsafe-eval'")
    return "; ".join(
        [
            "default-src 'self'",
            "script-src " + " ".join(script),
            "style-src 'self' 'unsafe-inline'",
            "img-src " + " ".join(["'self'", "data:", "blob:", *tile_hosts]),
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]
    )


#: anything that is not a page (JSON, GeoJSON, files): nothing may run or frame it
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"


def harden(resp):
    """after_request: the security headers, and no server path in an error page."""
    from webmap.errors import hide_paths

    html = resp.mimetype == "text/html"
    if html and resp.status_code >= 400 and not resp.direct_passthrough:
        # pages that show an exception's text (the /check form, the patrol form)
        body = resp.get_data(as_text=True)
        clean = hide_paths(body)
        if clean != body:
            resp.set_data(clean)
    if "Content-Security-Policy" not in resp.headers:
        if html:
            allow_eval = not resp.direct_passthrough and NEEDS_EVAL in resp.get_data()
            resp.headers["Content-Security-Policy"] = page_policy(
                getattr(g, "csp_nonce", None),
                current_app.config.get("CSP_TILE_SOURCES", []),
                allow_eval,
            )
        else:
            resp.headers["Content-Security-Policy"] = DATA_POLICY
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    resp.headers.setdefault("X-Frame-Options", "DENY")
    resp.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    return resp


def stored_download(path, mime: str, name: str):
    """A stored file (case file, alert attachment) as a download the browser never shows
    or runs: attachment, no sniffing, a sandbox policy, no conditional caching."""
    from flask import send_file

    resp = send_file(
        path, mimetype=mime, as_attachment=True, download_name=name, conditional=False, etag=False
    )
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp
