"""Error pages for people and JSON errors under /api: the right status, never a traceback."""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
from pathlib import Path

from flask import current_app, has_app_context, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from fossilgis.errors import FossilGISError, InputFileError, PatrolValidationError
from webmap.i18n import text

log = logging.getLogger("webmap")


class WebInputError(FossilGISError, ValueError):
    """A bad request parameter or form field; its message comes from the i18n table."""

    code = "bad_request"

    def __init__(self, key: str, status: int = 400, code: str | None = None, **values):
        super().__init__(text(key, "en", **values))
        self.key, self.values, self.status = key, values, status
        self.http_status = status
        if code:
            self.code = code

    def message(self) -> str:
        return text(self.key, **self.values)


#: HTTP status -> (i18n key of the message, code)
_HTTP_MESSAGES = {
    404: ("err_not_found", "not_found"),
    405: ("err_method", "method_not_allowed"),
    415: ("err_unsupported_media", "unsupported_media_type"),
    429: ("err_too_many", "too_many_requests"),
}


#: absolute paths under the usual roots of a server's file system; what is left of a path
#: in a message is ``…/`` and its last part (``…/garbage.gpkg``)
_SYSTEM_PATH = re.compile(
    r"(?<![\w.~/-])/(?:tmp|var|home|root|srv|opt|usr|etc|mnt|media|run|private|Users|proc"
    r"|sys|dev|work|data|nix|snap|boot|lib|lib64)(?=/|[\s'\"<>),;:]|$)(?:/[^\s'\"<>]*)?"
)


def private_roots(app, store=None) -> list[str]:
    """The directories whose paths must never reach a browser: the data directory, the
    store's file, the temporary directory, the code and the Python installation."""
    roots = {
        tempfile.gettempdir(),
        sys.prefix,
        os.getcwd(),
        str(Path.home()),
        str(Path(app.root_path).parent),
    }
    for value in (
        app.config.get("DATA_DIR"),
        app.config.get("RESULTS_DIR"),
        getattr(store, "data_dir", None),
        getattr(store, "path", None),
    ):
        if value:
            roots.add(str(value))
            roots.add(str(Path(value).resolve()))
    return sorted((r.rstrip("/") for r in roots if len(r.rstrip("/")) > 1), key=len, reverse=True)


def _short(match: re.Match) -> str:
    parts = [p for p in match.group().split("/") if p]
    return "…/" + (parts[-1] if parts else "")


def hide_paths(message: str, roots: list[str] | None = None) -> str:
    """``message`` with every server path cut to its last part (``…/x.kml``).

    Messages of GDAL and the readers name the temporary file of an upload or the store's
    file; a visitor learns nothing useful from them and an attacker learns the layout.
    """
    if roots is None:
        roots = (
            current_app.extensions.get("fossilgis_private_roots", []) if has_app_context() else []
        )
    for root in roots:
        if root in message:
            message = re.sub(re.escape(root) + r"(?:/[^\s'\"<>]*)?", _short, message)
    return _SYSTEM_PATH.sub(_short, message)


def public_text(message) -> str:
    """A message fit for a response: server paths hidden, lone surrogates (from a hostile
    JSON body, unencodable in UTF-8) written as ``\\udXXX``."""
    text = str(message).encode("utf-8", "backslashreplace").decode("utf-8")
    return hide_paths(text)


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.endswith((".json", ".geojson"))


def _back() -> str | None:
    """The page the visitor came from, when it is on this site (a plain link back: the
    Content-Security-Policy runs no ``javascript:`` URL)."""
    from urllib.parse import urlsplit

    from webmap.views.account import safe_next

    ref = urlsplit(request.referrer or "")
    if ref.netloc != request.host or ref.scheme not in ("http", "https"):
        return None
    path = ref.path + (f"?{ref.query}" if ref.query else "")
    return path if safe_next(path) == path else None


def error_response(
    status: int,
    code: str,
    description: str,
    title: str | None = None,
    problems: list[str] | None = None,
):
    description = public_text(description)
    problems = [public_text(p) for p in problems or []]
    if wants_json():
        body = {"code": code, "description": description}
        if problems:
            body["problems"] = problems
        resp = jsonify(body)
    else:
        resp = render_template(
            "error.html",
            status=status,
            title=title or text("error_title"),
            description=description,
            problems=problems,
            back=_back(),
        )
    return resp, status


def handle_fossilgis_error(exc: FossilGISError):
    status = exc.http_status  # each class of fossilgis.errors carries its own
    if status >= 500:  # the server's data or rules (StoreError, RulesError), not the request
        log.error("server configuration error: %s", exc)
        return error_response(status, exc.code, str(exc))
    if isinstance(exc, WebInputError):
        return error_response(status, exc.code, exc.message())
    title = text("err_input") if isinstance(exc, InputFileError) else None
    problems = exc.problems if isinstance(exc, PatrolValidationError) else None
    if problems == [str(exc)]:
        problems = None
    return error_response(status, exc.code, str(exc), title, problems)


def handle_http_error(exc: HTTPException):
    if isinstance(exc, RequestEntityTooLarge):
        from flask import current_app

        mb = round(current_app.config["MAX_CONTENT_LENGTH"] / 1024 / 1024, 1)
        return error_response(413, "too_large", text("err_too_large", mb=f"{mb:g}"))
    key, code = _HTTP_MESSAGES.get(exc.code, ("err_bad_request", "bad_request"))
    return error_response(exc.code or 400, code, text(key))


def handle_unexpected(exc: Exception):
    if isinstance(exc, HTTPException):
        return handle_http_error(exc)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, "internal", text("err_internal"))


def register(app) -> None:
    app.register_error_handler(FossilGISError, handle_fossilgis_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
