"""Error pages for people and JSON errors under /api: the right status, never a traceback."""

from __future__ import annotations

import logging

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from fossilgis.errors import (
    AuthError,
    ConflictError,
    FossilGISError,
    InputFileError,
    PatrolValidationError,
    PhotoError,
    RecordNotFoundError,
    RulesError,
    StoreError,
)
from webmap.i18n import text

log = logging.getLogger("webmap")


class WebInputError(FossilGISError, ValueError):
    """A bad request parameter or form field; its message comes from the i18n table."""

    code = "bad_request"

    def __init__(self, key: str, status: int = 400, code: str | None = None, **values):
        super().__init__(text(key, "en", **values))
        self.key, self.values, self.status = key, values, status
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


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.endswith((".json", ".geojson"))


def error_response(status: int, code: str, description: str, title: str | None = None,
                   problems: list[str] | None = None):
    if wants_json():
        body = {"code": code, "description": description}
        if problems:
            body["problems"] = problems
        resp = jsonify(body)
    else:
        resp = render_template("error.html", status=status, title=title or text("error_title"),
                               description=description, problems=problems or [])
    return resp, status


def photo_status(exc: PhotoError) -> int:
    """413 for a photo over the size limit, else 400."""
    return 413 if "over the" in str(exc) and "limit" in str(exc) else 400


def _status_for(exc: FossilGISError) -> int:
    if isinstance(exc, WebInputError):
        return exc.status
    if isinstance(exc, PhotoError):
        return photo_status(exc)
    if isinstance(exc, ConflictError):
        return 409
    if isinstance(exc, AuthError):
        return 403
    if isinstance(exc, RecordNotFoundError):
        return 404
    if isinstance(exc, InputFileError):
        return 422
    return 400


def handle_fossilgis_error(exc: FossilGISError):
    if isinstance(exc, (StoreError, RulesError)):  # the server's data or rules, not the request
        log.error("server configuration error: %s", exc)
        return error_response(500, exc.code, str(exc))
    if isinstance(exc, WebInputError):
        return error_response(exc.status, exc.code, exc.message())
    title = text("err_input") if isinstance(exc, InputFileError) else None
    problems = exc.problems if isinstance(exc, PatrolValidationError) else None
    if problems == [str(exc)]:
        problems = None
    return error_response(_status_for(exc), exc.code, str(exc), title, problems)


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
