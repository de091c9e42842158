"""/submit and /status: a construction unit submits its project and follows the decision.

Applicants are visitors. They send the project's details and red-line file; the file is
screened and kept with a new case (``source="applicant"``), which the office finds at the
top of ``/cases``. What comes back is a receipt (the case number and a secret status link,
shown once) and, behind that link, the office's decision and the follow-ups it released:
never the screen's grade, a target, a distance or a position (docs/SECURITY.md).

A file that needs the user's word (no .prj, no .cpg) comes back with the question, the
proposed CRS filled in, and the file kept on the server (:mod:`webmap.uploads`).
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from flask import (
    Blueprint,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.exceptions import RequestEntityTooLarge

from fossilgis import vocab as codes
from fossilgis.errors import CRSError, EncodingError, FossilGISError, InputTooLargeError
from webmap.auth import LoginLimiter
from webmap.csrf import csrf_token
from webmap.errors import error_response, handle_http_error, public_text
from webmap.i18n import LANG_COOKIE, LANGS, _, current_lang
from webmap.layers import get_store
from webmap.uploads import pending_uploads

bp = Blueprint("submit", __name__)

#: the session key holding the receipt (number, status token, until when it is shown)
RECEIPT_KEY = "submit_receipt"
#: how long the receipt can be shown again in the same browser (a reload, a language
#: switch); after that the link is nowhere but with the applicant
RECEIPT_TTL_S = 600
#: screening tries allowed per case allowed (a confirmation round trip is a second try)
TRIES_PER_CASE = 4
#: room for the form's text fields on top of the files' limit
FORM_SLACK = 256 * 1024
#: statuses shown to the applicant as "under review": the screen's grade is the office's
UNDER_REVIEW = ("received", "screened")
FIELDS = (
    "project_name",
    "applicant_unit",
    "applicant_contact",
    "project_type",
    "county",
    "line_width_m",
    "point_radius_m",
    "crs",
    "encoding",
    "layer",
)


class SubmitLimiter:
    """Submissions per client address in a sliding window, kept in this process.

    Two counts with :class:`webmap.auth.LoginLimiter`'s bounded memory: cases opened (the
    configured limit) and screening tries (``TRIES_PER_CASE`` times that, since every try
    reads a file).
    """

    def __init__(self, max_cases: int, window_s: float = 3600):
        self._cases = LoginLimiter(max_cases, window_s)
        self._tries = LoginLimiter(max_cases * TRIES_PER_CASE, window_s)

    def blocked(self, address: str) -> bool:
        return self._cases.blocked(address, "") or self._tries.blocked(address, "")

    def tried(self, address: str) -> None:
        self._tries.failed(address, "")

    def opened(self, address: str) -> None:
        self._cases.failed(address, "")


def _limiter() -> SubmitLimiter:
    limiter = current_app.extensions.get("fossilgis_submit_limiter")
    if limiter is None:
        limiter = current_app.extensions["fossilgis_submit_limiter"] = SubmitLimiter(
            int(current_app.config["SUBMIT_MAX_PER_HOUR"])
        )
    return limiter


def _max_bytes() -> int:
    return int(float(current_app.config["SUBMIT_MAX_MB"]) * 1024 * 1024)


def _max_mb() -> str:
    return f"{float(current_app.config['SUBMIT_MAX_MB']):g}"


@bp.url_value_preprocessor
def _size_limit(endpoint, values):
    """This route's own request limit, set before the CSRF check reads the form."""
    if endpoint == "submit.send":
        request.max_content_length = _max_bytes() + FORM_SLACK


@bp.before_request
def _chinese_unless_asked():
    """Applicants are Chinese units: without ?lang, a cookie or Accept-Language, 中文."""
    asked = request.args.get("lang") in LANGS or request.cookies.get(LANG_COOKIE) in LANGS
    if not asked and not request.headers.get("Accept-Language"):
        g.lang = "zh"


@bp.after_request
def _private(resp):
    """Every applicant page: no cache (forms, kept-file tokens) and no referrer (the
    receipt and status pages carry the secret link)."""
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


def _form_page(*, status=200, error=None, form=None, pending=None, confirm=None):
    values = {k: (form or {}).get(k, "") for k in FIELDS}
    return render_template(
        "submit.html",
        form=values,
        project_types=codes.PROJECT_TYPES,
        error=error,
        pending=pending,
        confirm=confirm,
        max_mb=_max_mb(),
    ), status


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc):
    if request.endpoint != "submit.send":
        return handle_http_error(exc)
    return _form_page(status=413, error=_too_large_text())


def _too_large_text() -> str:
    return _(
        "The upload is too large: the limit is %(mb)s MB. Zip or split the file.", mb=_max_mb()
    )


@bp.get("/submit")
def form():
    return _form_page()


def _details(form):
    from fossilgis.cases.model import CaseDetails

    return CaseDetails(
        project_name=form.get("project_name"),
        applicant_unit=form.get("applicant_unit"),
        applicant_contact=form.get("applicant_contact"),
        project_type=(form.get("project_type") or "other").strip(),
        county=form.get("county"),
        source="applicant",
    )


def _required(details) -> str | None:
    """The applicant's own required fields (the office may leave them empty, they may not)."""
    if not details.applicant_unit:
        return _("Fill in the applicant unit.")
    if not details.applicant_contact:
        return _("Fill in a contact person and telephone number.")
    return None


def _screen(pending, form):
    """Screen the kept files under the web's reading limits (as /check does)."""
    from fossilgis.io.limits import WEB_LIMITS, use_limits
    from fossilgis.screening import screen_paths
    from webmap.screen import options_from

    options = options_from(form)
    args = {k: (form.get(k) or "").strip() or None for k in ("crs", "encoding", "layer")}
    with use_limits(WEB_LIMITS):
        screening = screen_paths(pending.read_paths(), get_store(), options=options, **args)
    for project in screening.projects:  # the pending folder means nothing to the office
        if project.get("source"):
            project["source"] = Path(str(project["source"])).name
    return screening


@bp.post("/submit")
def send():
    address = request.remote_addr or "?"
    limiter = _limiter()
    if limiter.blocked(address):
        return error_response(
            429,
            "too_many_requests",
            _(
                "Too many submissions from this address in the last hour (at most %(n)s); "
                "try again later.",
                n=current_app.config["SUBMIT_MAX_PER_HOUR"],
            ),
        )
    limiter.tried(address)
    form = request.form
    uploads = pending_uploads(current_app)
    owner = csrf_token()  # a kept file comes back only to the session that sent it
    pending = None
    try:
        pending = uploads.save(
            request.files.getlist("footprint"), max_bytes=_max_bytes(), owner=owner
        )
    except InputTooLargeError:
        return _form_page(status=413, error=_too_large_text(), form=form)
    kept = uploads.get(form.get("pending"), owner) if form.get("pending") else None
    if pending is not None and kept is not None:  # a new file replaces the kept one
        uploads.discard(kept.token)
    elif pending is None and form.get("pending"):
        pending = kept
        if pending is None:
            hours = f"{uploads.ttl_s / 3600:g}"
            message = _(
                "The file sent before is no longer kept (files wait %(hours)s h); choose it again.",
                hours=hours,
            )
            return _form_page(status=400, error=message, form=form)
    try:
        details = _details(form)
        problem = _required(details) or (
            None if pending else _("Choose the red-line file of the project.")
        )
        if problem:
            return _form_page(status=400, error=problem, form=form, pending=pending)
        screening = _screen(pending, form)
    except FossilGISError as exc:
        if exc.http_status >= 500:  # the server's data or rules
            raise
        values = dict(form.items())
        confirm = None
        if isinstance(exc, CRSError):
            confirm = "crs"
            values["crs"] = getattr(exc, "proposed_crs", None) or values.get("crs", "")
        elif isinstance(exc, EncodingError):
            confirm = "encoding"
        message = exc.message() if hasattr(exc, "message") else str(exc)
        return _form_page(
            status=exc.http_status,
            error=public_text(message),
            form=values,
            pending=pending,
            confirm=confirm,
        )
    token = secrets.token_urlsafe(24)
    number = get_store().cases.open(
        details, user=None, screening=screening, files=pending.records(), status_token=token
    )
    uploads.discard(pending.token)
    limiter.opened(address)
    session[RECEIPT_KEY] = {
        "number": number,
        "token": token,
        "until": time.time() + RECEIPT_TTL_S,
    }
    return redirect(url_for("submit.receipt"), code=303)


@bp.get("/submit/receipt")
def receipt():
    shown = session.get(RECEIPT_KEY)
    if not shown or time.time() > shown.get("until", 0):
        session.pop(RECEIPT_KEY, None)
        return error_response(
            404,
            "not_found",
            _(
                "There is no receipt to show: it is shown only right after a submission, "
                "for %(minutes)s minutes. Open the status link you kept.",
                minutes=RECEIPT_TTL_S // 60,
            ),
        )
    link = url_for("submit.status", token=shown["token"], _external=True)
    return render_template("submit_receipt.html", number=shown["number"], link=link)


def applicant_view(
    case: dict, follow_ups: list[dict], lang: str, result: dict | None = None
) -> dict:
    """What the applicant may see of a case, and nothing else: no grade, target, distance,
    footprint or bounding box; the office's texts scrubbed of coordinates. ``result`` (the
    current screen's JSON form) adds the fossil potential of the ground without its grade
    (:func:`webmap.potential_pages.applicant_potential`)."""
    from fossilgis.cases.model import DECISIONS
    from fossilgis.generalise import public_text as scrub
    from fossilgis.report.wording import beijing_time
    from webmap.potential_pages import applicant_potential

    status = case["status"]
    decided = status in DECISIONS or (status == "closed" and bool(case.get("decided_at")))
    return {
        "number": case["number"],
        "project_name": case["project_name"],
        "applicant_unit": case.get("applicant_unit"),
        "submitted": beijing_time(case.get("created_at"), lang),
        "status": "under_review" if status in UNDER_REVIEW else status,
        "status_label": (
            _("Under review") if status in UNDER_REVIEW else codes.CASE_STATUSES.label(status, lang)
        ),
        "decided": decided,
        "decided_at": beijing_time(case.get("decided_at"), lang) if decided else None,
        "decision_text": scrub(case.get("decision_text")) if decided else None,
        "follow_ups": [
            {
                "text": scrub(f["text"]),
                "due_date": f.get("due_date"),
                "done": bool(f.get("done_at")),
                "done_at": beijing_time(f.get("done_at"), lang) if f.get("done_at") else None,
            }
            for f in follow_ups
            if f.get("released") and decided
        ],
        "potential": applicant_potential(result, lang),
    }


@bp.get("/status/<token>")
def status(token):
    store = get_store()
    number = store.cases.number_for_token(token)
    if number is None:
        return error_response(
            404,
            "not_found",
            _("This status link is unknown. Check that it was copied whole."),
        )
    case = store.cases.get(number)
    result = store.cases.screen(number)["result"] if case["screen_seq"] is not None else None
    view = applicant_view(case, store.cases.follow_ups(number), current_lang(), result)
    return render_template("submit_status.html", case=view)
