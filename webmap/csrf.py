"""CSRF protection: one random token per session, checked on every state-changing request.

Forms carry it in a hidden ``csrf_token`` field, scripts in an ``X-CSRF-Token`` header (the
page's ``<meta name="csrf-token">``). Requests authenticated by an API token
(``Authorization: Bearer``) are exempt: a browser never adds that header on its own, so a
forged cross-site request cannot carry it. The JSON API called with a session cookie is
not exempt.
"""

from __future__ import annotations

import hmac
import secrets

from flask import g, request, session

SESSION_KEY = "csrf"
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


def csrf_token() -> str:
    """The session's token, made on first use (templates call it for every form)."""
    token = session.get(SESSION_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    return token


def rotate() -> None:
    """A new token (after signing in or out), so that a token seen before is worthless."""
    session[SESSION_KEY] = secrets.token_urlsafe(32)


def check_csrf():
    """before_request hook (after the access check): None, or a 400 response."""
    if request.method in SAFE_METHODS or getattr(g, "via", None) == "token":
        return None
    if request.endpoint in (None, "static"):
        return None
    expected = session.get(SESSION_KEY)
    sent = request.headers.get(HEADER)
    if sent is None and request.mimetype in (
        "multipart/form-data",
        "application/x-www-form-urlencoded",
    ):
        sent = request.form.get(FIELD)
    if expected and sent and hmac.compare_digest(str(sent), str(expected)):
        return None
    from webmap.errors import error_response
    from webmap.i18n import text

    return error_response(400, "csrf", text("err_csrf"))
