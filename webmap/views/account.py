"""Sign in and out (session cookie); sign-ins and failures go to the audit log."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for

from fossilgis.auth import authenticate
from webmap import csrf
from webmap.auth import SESSION_USER
from webmap.i18n import text
from webmap.layers import get_store

bp = Blueprint("account", __name__)


def safe_next(value: str | None) -> str:
    """A local path to go to after signing in; anything else (other hosts, ``//x``,
    backslashes, schemes) becomes the map."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return url_for("map.index")
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return url_for("map.index")
    return value


def _page(error: str | None = None, status: int = 200, username: str = ""):
    return render_template("login.html", error=error, username=username,
                           next=safe_next(request.values.get("next"))), status


@bp.get("/login")
def login():
    return _page()


@bp.post("/login")
def login_submit():
    username = (request.form.get("username") or "").strip()[:64]
    password = request.form.get("password") or ""
    address = request.remote_addr or "?"
    limiter = current_app.extensions["fossilgis_login_limiter"]
    store = get_store()
    if limiter.blocked(address, username):
        minutes = max(1, round(current_app.config["LOGIN_WINDOW_S"] / 60))
        return _page(text("err_login_blocked", minutes=minutes), 429, username)
    user = authenticate(store, username, password) if username and password else None
    if user is None:
        limiter.failed(address, username)
        store.append_audit(username or None, "sign_in_failed", "user", username or None,
                           {"address": address})
        return _page(text("err_login"), 401, username)
    limiter.succeeded(address, username)
    session.clear()  # no fixation: a fresh session with a fresh CSRF token
    session.permanent = True
    session[SESSION_USER] = user.username
    csrf.rotate()
    store.append_audit(user.username, "sign_in", "user", user.username, {"address": address})
    return redirect(safe_next(request.form.get("next")), code=303)


@bp.post("/logout")
def logout():
    user = getattr(g, "user", None)
    if user is not None and g.via == "session":
        get_store().append_audit(user.username, "sign_out", "user", user.username)
    session.clear()
    csrf.rotate()
    return redirect(url_for("map.index"), code=303)
