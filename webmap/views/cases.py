"""/cases: the office's case register (staff): list, search, map, one case, decisions."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from fossilgis import vocab
from fossilgis.cases.model import Decision, FollowUp
from fossilgis.errors import FossilGISError, RecordNotFoundError
from webmap import case_maps
from webmap import case_pages as pages
from webmap.auth import current_user, requires
from webmap.errors import handle_fossilgis_error
from webmap.headers import stored_download
from webmap.i18n import _, client_strings, current_lang
from webmap.layers import get_store
from webmap.maps import page_map

bp = Blueprint("cases", __name__)

#: the case pages' script (loaded before the map's shell: see the file)
SCRIPT = "js/fossilgis-cases.js"


def _user() -> str:
    return current_user().username


def _strings(lang: str) -> dict:
    return {
        **client_strings(lang),
        "case_footprint": _("Case footprint"),
        "affected_target": _("Affected target (coloured by grade)"),
    }


# -- the list -----------------------------------------------------------------------------
@bp.get("/cases")
@requires("login")
def index():
    store = get_store()
    args = request.args
    filters = pages.list_filters(args)
    order = pages.list_order(args)
    size = current_app.config.get("CASE_PAGE_SIZE", 50)
    page = pages.page_number(args)
    rows, total = store.cases.list(limit=size, offset=(page - 1) * size, order=order, **filters)
    kept = pages.list_args()
    lang = current_lang()
    map_args = {k: v for k, v in kept.items() if k != "order"}
    config = {
        "page": "cases",
        "lang": lang,
        "strings": _strings(lang),
        "bbox": filters["bbox"],
        # a search or filter: show where its cases are (the extent filter shows its extent)
        "fit": bool(map_args) and not filters["bbox"],
        "urls": {"footprints": url_for("cases.footprints", **map_args)},
    }
    return render_template(
        "cases.html",
        rows=pages.list_rows(rows),
        total=total,
        page=page,
        pages=max(1, -(-total // size)),
        size=size,
        args=kept,
        order=order,
        counts=store.cases.counts(),
        counties=store.cases.counties(),
        vocab_codes={
            "status": vocab.CASE_STATUSES.codes,
            "grade": vocab.GRADES.codes,
            "source": vocab.CASE_SOURCES.codes,
        },
        orders=[
            ("attention", _("New and changed first")),
            ("newest", _("Newest first")),
            ("oldest", _("Oldest first")),
            ("updated", _("Last changed first")),
            ("number", _("By number")),
        ],
        without_bbox={k: v for k, v in kept.items() if k != "bbox"},
        map=page_map("small", lang),
        page_config=config,
        script=SCRIPT,
    )


@bp.get("/cases/footprints.geojson")
@requires("login")
def footprints():
    """Current footprints of the listed cases (the list's filters), within ``view``."""
    filters = pages.list_filters(request.args)
    view = pages.parse_bbox(request.args.get("view"))
    body = case_maps.footprints_geojson(get_store(), filters, view)
    return Response(body, mimetype="application/geo+json")


# -- one case -------------------------------------------------------------------------------
def _case_page(number: str, error: str | None = None, status: int = 200):
    store = get_store()
    ctx = pages.case_context(store, number)
    lang = current_lang()
    config = None
    if ctx["case"]["footprints_seq"] is not None:
        config = {
            "page": "case",
            "lang": lang,
            "strings": _strings(lang),
            "urls": {"map": url_for("cases.map_geojson", number=number)},
        }
    return render_template(
        "case.html",
        **ctx,
        error=error,
        form=request.form if error else {},
        map=page_map("small", lang) if config else None,
        page_config=config,
        script=SCRIPT,
        beijing=pages.beijing,
    ), status


@bp.errorhandler(FossilGISError)
def _refused(exc):
    """A refused change (CaseError, a bad file): the case page again, naming the problem."""
    number = (request.view_args or {}).get("number")
    if request.method != "POST" or number is None or exc.http_status >= 500:
        return handle_fossilgis_error(exc)
    try:
        return _case_page(number, error=str(exc), status=exc.http_status)
    except RecordNotFoundError:
        return handle_fossilgis_error(exc)


@bp.get("/cases/<path:number>")
@requires("login")
def detail(number):
    store = get_store()
    case = store.cases.get(number)
    if case["source"] == "applicant" and not case["seen_at"]:
        store.cases.mark_seen(number, user=_user())  # no longer "new" on /cases
    return _case_page(number)


@bp.get("/cases/<path:number>/map.geojson")
@requires("login")
def map_geojson(number):
    body = case_maps.case_map_geojson(get_store(), number)
    return Response(body, mimetype="application/geo+json")


@bp.get("/cases/<path:number>/files/<int:seq>")
@requires("login")
def file(number, seq):
    """A case file as it was stored, always as a download (never shown by the browser)."""
    store = get_store()
    rec = store.cases.file(number, seq)
    return stored_download(store.cases.blob_path(rec["sha256"]), rec["mime"], rec["name"])


@bp.get("/cases/<path:number>/report.html")
@requires("login")
def report(number):
    from fossilgis.cases.dossier import render_case_html

    html = render_case_html(get_store(), number, current_lang())
    return Response(html, mimetype="text/html")


def _export(number: str, fmt: str, mimetype: str, suffix: str) -> Response:
    from fossilgis.cases.dossier import export_case

    store = get_store()
    store.cases.get(number)  # 404 before any work
    with tempfile.TemporaryDirectory(prefix="fossilgis-case-") as work:
        path = export_case(store, number, Path(work) / f"case{suffix}", fmt, lang=current_lang())
        body = path.read_bytes()
    resp = Response(body, mimetype=mimetype)
    name = number.replace("/", "-") + suffix
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp


@bp.get("/cases/<path:number>/dossier.zip")
@requires("login")
def dossier(number):
    return _export(number, "zip", "application/zip", ".zip")


@bp.get("/cases/<path:number>/case.geojson")
@requires("login")
def geojson(number):
    return _export(number, "geojson", "application/geo+json", ".geojson")


# -- changes (admin) ------------------------------------------------------------------------
def _back(number: str, anchor: str | None = None):
    return redirect(url_for("cases.detail", number=number, _anchor=anchor), code=303)


def _follow_up_lines(form) -> list[FollowUp]:
    """Follow-up rows of a form (``fu_text`` / ``fu_due``); empty rows are skipped."""
    released = form.get("release") == "1"
    texts, dues = form.getlist("fu_text"), form.getlist("fu_due")
    dues += [""] * (len(texts) - len(dues))
    return [FollowUp(t, d or None, released) for t, d in zip(texts, dues) if t.strip()]


@bp.post("/cases/<path:number>/decide")
@requires("admin")
def decide(number):
    form = request.form
    decision = Decision(form.get("status", ""), form.get("text"), _follow_up_lines(form))
    get_store().cases.decide(number, decision, user=_user())
    return _back(number, "decision")


@bp.post("/cases/<path:number>/follow-ups")
@requires("admin")
def add_follow_ups(number):
    items = _follow_up_lines(request.form)
    if items:
        get_store().cases.add_follow_ups(number, items, user=_user())
    return _back(number, "follow-ups")


@bp.post("/cases/<path:number>/follow-ups/<int:seq>/done")
@requires("admin")
def follow_up_done(number, seq):
    get_store().cases.complete_follow_up(number, seq, user=_user())
    return _back(number, "follow-ups")


@bp.post("/cases/<path:number>/attach")
@requires("admin")
def attach(number):
    from fossilgis.cases.files import attachment_type
    from fossilgis.cases.model import CaseError
    from webmap.screen import safe_name

    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise CaseError(_("Choose a PDF, JPEG or PNG file to attach."))
    name = safe_name(upload.filename, "attachment")
    data = upload.read()
    mime = attachment_type(data, name)
    note = (request.form.get("note") or "").strip() or None
    get_store().cases.attach(number, name, data, mime, user=_user(), note=note)
    return _back(number, "files")


@bp.post("/cases/<path:number>/status")
@requires("admin")
def set_status(number):
    from fossilgis.cases.model import CaseError

    status = request.form.get("status", "")
    if status not in ("closed", "withdrawn"):
        raise CaseError(_("Only closing or withdrawing a case is done here."))
    note = (request.form.get("note") or "").strip() or None
    get_store().cases.set_status(number, status, user=_user(), note=note)
    return _back(number)


@bp.post("/cases/<path:number>/restore")
@requires("admin")
def restore(number):
    note = (request.form.get("note") or "").strip() or None
    get_store().cases.restore(number, user=_user(), note=note)
    return _back(number)


@bp.post("/cases/<path:number>/acknowledge")
@requires("admin")
def acknowledge(number):
    get_store().cases.acknowledge_flag(number, user=_user())
    return _back(number)
