"""OGC API – Features under /ogcapi: thin Flask routes over :mod:`fossilgis.ogcapi.core`.

The providers answer from the store: patrols by one SQL query per request (page and count;
bbox by the spatial index), so nothing of them is held here but the collection's extent;
sites and sections are kept per layer version.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Blueprint, Request, current_app, request
from flask import Response as FlaskResponse

from fossilgis.ogcapi.core import OGCAPI, Response
from fossilgis.ogcapi.providers import Provider, default_providers

URL_PREFIX = "/ogcapi"


def bearer_token(req: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, else None."""
    scheme, _, token = req.headers.get("Authorization", "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def token_or_session_staff(req: Request) -> bool | None:
    """Staff when the bearer token is live, or (no token) when signed in to the web map.

    Returns None for a bearer token that is unknown, revoked or of a disabled user: the
    caller answers 401 rather than quietly serving public data.
    """
    token = bearer_token(req)
    if token is None:
        from webmap.auth import is_staff

        return is_staff()
    from fossilgis.auth import token_user

    return True if token_user(current_app.extensions["fossilgis_store"], token) else None


def _to_flask(answer: Response) -> FlaskResponse:
    return FlaskResponse(answer.body, status=answer.status, headers=answer.headers)


def make_blueprint(
    *,
    is_staff: Callable[[Request], bool | None] = token_or_session_staff,
    providers: Callable[[object], dict[str, Provider]] = default_providers,
    name: str = "ogcapi",
) -> Blueprint:
    """The ``/ogcapi`` blueprint.

    Parameters
    ----------
    is_staff : callable
        ``is_staff(request)`` → True (precise data), False (public data) or None (a bad
        token: 401). Tests pass their own.
    providers : callable
        ``providers(store)`` → the collections; built once per store and kept, since
        they keep what is read once per version (the layers, the patrols' extent).
    name : str
        Blueprint name (to register more than one in tests).
    """
    bp = Blueprint(name, __name__, url_prefix=URL_PREFIX)
    built: dict[int, dict[str, Provider]] = {}
    lock = threading.Lock()

    def api() -> OGCAPI:
        store = current_app.extensions["fossilgis_store"]
        with lock:
            if id(store) not in built:
                built[id(store)] = providers(store)
        # the request's own root, so that links work on loopback and behind a proxy alike
        return OGCAPI(store, request.url_root.rstrip("/") + URL_PREFIX, built[id(store)])

    def params() -> dict[str, str]:
        return request.args.to_dict(flat=True)

    def accept() -> str:
        return request.headers.get("Accept", "")

    def staff_or_401() -> bool | FlaskResponse:
        staff = is_staff(request)
        if staff is None:
            answer = api().error(
                401,
                "InvalidToken",
                "the bearer token is unknown, revoked or "
                "of a disabled user; ask an administrator for a new one",
            )
            answer.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return _to_flask(answer)
        return staff

    @bp.get("")
    @bp.get("/")
    def landing():
        return _to_flask(api().landing(params(), accept()))

    @bp.get("/conformance")
    def conformance():
        return _to_flask(api().conformance(params(), accept()))

    @bp.get("/api")
    def openapi():
        return _to_flask(api().openapi(params(), accept()))

    @bp.get("/collections")
    def collections():
        return _to_flask(api().collections(params(), accept()))

    @bp.get("/collections/<cid>")
    def collection(cid: str):
        return _to_flask(api().collection(cid, params(), accept()))

    @bp.get("/collections/<cid>/items")
    def items(cid: str):
        staff = staff_or_401()
        if isinstance(staff, FlaskResponse):
            return staff
        return _to_flask(api().items(cid, params(), staff=staff, accept=accept()))

    @bp.get("/collections/<cid>/items/<fid>")
    def item(cid: str, fid: str):
        staff = staff_or_401()
        if isinstance(staff, FlaskResponse):
            return staff
        return _to_flask(api().item(cid, fid, params(), staff=staff, accept=accept()))

    @bp.route("/<path:rest>")
    def not_found(rest: str):
        api_ = api()
        return _to_flask(
            api_.error(
                404,
                "NotFound",
                f"{URL_PREFIX}/{rest} is not a resource of this API; start at {api_.base_url}",
            )
        )

    return bp


#: the blueprint the web map registers
bp = make_blueprint()
