"""Who is asking: session sign-in or an API token, the roles each view needs, and the answer
(redirect, 401, 403) when they are missing.

A request is signed in by a session cookie (the sign-in page) or by an
``Authorization: Bearer fgis_…`` header (field devices, scripts). Views declare what they
need with :func:`requires`; the check runs in ``before_request``, before the CSRF check, so
that an anonymous API client learns it needs a token (401) rather than a CSRF token.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from flask import current_app, g, request, session

from fossilgis.auth import User, session_owner, token_user

#: what a view may need: any signed-in account, an uploader (patroller/admin), an admin
LEVELS = ("login", "write", "admin")
#: the session cookie's keys: the random session id (the store keeps its SHA-256) and the
#: user name (for messages only: the store's session row decides who is signed in)
SESSION_ID = "sid"
SESSION_USER = "user"

_TEST_STAFF = User(username="test-staff", role="viewer", disabled=False, created_at=None)


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, else None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def load_user() -> None:
    """before_request hook: set ``g.user`` (a :class:`fossilgis.auth.User` or None),
    ``g.via`` ("token" | "session" | None) and ``g.bad_token``.

    The session is looked up in the store on every request (one indexed query), so signing
    out, a password change or disabling a user takes effect at once in every process: an
    old cookie replayed after sign-out finds its session ended. An API token is verified
    once and trusted for a few seconds (``fossilgis.store.accounts.TOKEN_CACHE_S``): GIS
    clients and devices poll, and revoking or disabling clears this process's cache at once
    and every other process's within those seconds.
    """
    g.user, g.via, g.bad_token = None, None, False
    if current_app.config.get("TESTING_STAFF"):
        g.user, g.via = _TEST_STAFF, "session"
        return
    store = current_app.extensions["fossilgis_store"]
    token = bearer_token()
    if token is not None:
        user = token_user(store, token)
        if user is None:
            g.bad_token = True
        else:
            g.user, g.via = user, "token"
        return
    sid = session.get(SESSION_ID)
    if sid:
        user = session_owner(store, sid)
        if user is None:  # signed out, expired, password changed or account disabled
            session.pop(SESSION_ID, None)
            session.pop(SESSION_USER, None)
        else:
            g.user, g.via = user, "session"
    elif SESSION_USER in session:  # a cookie from before server-side sessions
        session.pop(SESSION_USER, None)


def current_user() -> User | None:
    return getattr(g, "user", None)


def is_staff() -> bool:
    """True when the request comes from signed-in staff, who see precise site boundaries."""
    return current_user() is not None


def can_write() -> bool:
    user = current_user()
    return user is not None and user.can_write


def is_admin() -> bool:
    user = current_user()
    return user is not None and user.is_admin


def requires(level: str) -> Callable:
    """Mark a view as needing ``level`` ("login", "write" or "admin")."""
    if level not in LEVELS:
        raise ValueError(f"level {level!r}: expected one of {LEVELS}")

    def mark(view):
        view.fossilgis_requires = level
        return view

    return mark


def check_access():
    """before_request hook: None when the view may run, else the response refusing it.

    Anonymous: a redirect to the sign-in page for pages, 401 for the API (and for a bad
    bearer token anywhere the view needs an account). Signed in without the role: 403.
    """
    from webmap.errors import error_response, wants_json
    from webmap.i18n import text

    view = current_app.view_functions.get(request.endpoint or "")
    level = getattr(view, "fossilgis_requires", None)
    if level is None:
        return None
    user = current_user()
    if user is None:
        if wants_json() or g.bad_token or request.headers.get("Authorization"):
            key = "err_bad_token" if g.bad_token else "err_sign_in_api"
            resp, status = error_response(401, "unauthorized", text(key))
            resp = current_app.make_response((resp, status))
            error = ', error="invalid_token"' if g.bad_token else ""
            resp.headers["WWW-Authenticate"] = f'Bearer realm="fossilgis"{error}'
            return resp
        from flask import redirect, url_for

        target = request.full_path if request.method == "GET" else request.path
        return redirect(url_for("account.login", next=target.rstrip("?")), code=303)
    allowed = {"login": True, "write": user.can_write, "admin": user.is_admin}[level]
    if not allowed:
        key = "err_need_admin" if level == "admin" else "err_need_write"
        return error_response(403, "forbidden", text(key, user=user.username, role=user.role))
    return None


class LoginLimiter:
    """Failed sign-ins per (address, name) in a sliding window, kept in this process.

    A brake on password guessing; each process counts its own failures, so N processes
    allow N times the limit (scrypt's ~50 ms per try is the other brake).
    """

    def __init__(self, max_failures: int, window_s: float):
        self.max_failures, self.window_s = max_failures, window_s
        self._failures: dict[tuple[str, str], list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key, now) -> list[float]:
        times = [t for t in self._failures.get(key, []) if now - t < self.window_s]
        if times:
            self._failures[key] = times
        else:
            self._failures.pop(key, None)
        return times

    def blocked(self, address: str, name: str) -> bool:
        with self._lock:
            return len(self._recent((address, name.lower()), time.monotonic())) >= (
                self.max_failures
            )

    def failed(self, address: str, name: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._failures) > 10_000:  # never grow without bound
                for key in list(self._failures):
                    self._recent(key, now)
            self._failures.setdefault((address, name.lower()), []).append(now)

    def succeeded(self, address: str, name: str) -> None:
        with self._lock:
            self._failures.pop((address, name.lower()), None)
