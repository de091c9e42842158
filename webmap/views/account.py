"""Sign in and out (session cookie); sign-ins and failures go to the audit log."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for

from fossilgis.auth import authenticate, end_session, new_session
from webmap import csrf
from webmap.auth import SESSION_ID, SESSION_USER
from webmap.i18n import _
from webmap.layers import get_store

bp = Blueprint("account", __name__)


#: what a ``next`` may not hold: controls (CR/LF would split the Location header), spaces
#: and backslashes (browsers read ``/\\host`` and ``/\t/host`` as another host)
_NOT_IN_NEXT = re.compile(r"[\x00-\x20\x7f-\x9f\\\u2028\u2029]")


def safe_next(value: str | None) -> str:
    """A local path to go to after signing in; anything else (other hosts, ``//x``,
    backslashes, schemes, control characters or spaces) becomes the map."""
    if (
        not isinstance(value, str)
        or not value.startswith("/")
        or value.startswith("//")
        or len(value) > 2000
        or _NOT_IN_NEXT.search(value)
    ):
        return url_for("map.index")
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return url_for("map.index")
    return value


def _page(error: str | None = None, status: int = 200, username: str = ""):
    return render_template(
        "login.html", error=error, username=username, next=safe_next(request.values.get("next"))
    ), status


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
        message = _("Too many failed sign-ins; try again in %(minutes)s min.", minutes=minutes)
        return _page(message, 429, username)
    user = authenticate(store, username, password) if username and password else None
    if user is None:
        limiter.failed(address, username)
        store.append_audit(
            username or None, "sign_in_failed", "user", username or None, {"address": address}
        )
        return _page(_("Wrong user name or password, or the account is disabled."), 401, username)
    limiter.succeeded(address, username)
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    sid = new_session(store, user, lifetime)
    session.clear()  # no fixation: a fresh session id with a fresh CSRF token
    session.permanent = True
    session[SESSION_ID] = sid
    session[SESSION_USER] = user.username
    csrf.rotate()
    store.append_audit(user.username, "sign_in", "user", user.username, {"address": address})
    return redirect(safe_next(request.form.get("next")), code=303)


@bp.post("/logout")
def logout():
    user = getattr(g, "user", None)
    if user is not None and g.via == "session":
        # ended in the store: the cookie, if kept or copied, opens nothing any more
        end_session(get_store(), session.get(SESSION_ID))
        get_store().append_audit(user.username, "sign_out", "user", user.username)
    session.clear()
    csrf.rotate()
    return redirect(url_for("map.index"), code=303)
