"""/check: upload or draw a footprint, see the grade, targets and report, save it as a case."""

from __future__ import annotations

import time

import numpy as np
import shapely
from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from fossilgis.cases.model import CaseError
from fossilgis.errors import CRSError, FossilGISError
from fossilgis.impact import PROJECT_TYPES
from webmap.auth import current_user, is_staff, requires
from webmap.check_confirm import crs_question, in_language
from webmap.csrf import csrf_token
from webmap.errors import WebInputError, handle_fossilgis_error, handle_http_error, public_text
from webmap.i18n import _, client_strings, current_lang, text
from webmap.layers import PRECISE_DECIMALS, features_to_geojson, get_store, served_layer
from webmap.maps import page_map
from webmap.screen import screen_request
from webmap.uploads import pending_uploads
from webmap.views.map import demonstration

bp = Blueprint("check", __name__)


def _results():
    return current_app.extensions["fossilgis_results"]


def _kept_screening(token: str):
    """The stored result, or the screen of the case it was saved as (never expires)."""
    screening = _results().get(token)
    if screening is not None:
        return screening
    link = _results().case_of(token)
    if link is not None:
        from fossilgis.errors import RecordNotFoundError

        try:
            return get_store().cases.screening(*link)
        except RecordNotFoundError:
            pass
    hours = current_app.config["RESULT_TTL_S"] / 3600
    raise WebInputError("err_result_expired", status=404, code="not_found", hours=f"{hours:g}")


def _screening(token: str):
    """The stored result as this visitor may see it (see :func:`_public_projects`)."""
    screening = _kept_screening(token)
    if not is_staff():
        import dataclasses

        screening = dataclasses.replace(screening, projects=_public_projects(screening.projects))
    return screening


def _public_projects(projects: list[dict]) -> list[dict]:
    """The projects of a result for a visitor holding its link (results are made by staff).

    Every text is scrubbed of coordinates (target names and reasons come from the precise
    layers); the bearing is withheld and distances are rounded to 100 m, since with the
    footprint they would place the site's nearest point to the decimetre.
    """
    from fossilgis.generalise import public_text

    def scrub(value):
        if isinstance(value, dict):
            return {k: scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [scrub(v) for v in value]
        return public_text(value)

    out = scrub(projects)
    for project in out:
        for imp in project["impacts"]:
            imp["bearing_deg"] = None
            if imp.get("distance_m"):
                imp["distance_m"] = float(max(100, round(imp["distance_m"], -2)))
    return out


def _form_page(error: str | None = None, status: int = 200, form=None, pending=None, confirm=None):
    lang = current_lang()
    config = {
        "page": "check",
        "lang": lang,
        "strings": client_strings(lang),
        "urls": {
            "sites": url_for("api.layer", kind="sites"),
            "sections": url_for("api.layer", kind="sections"),
        },
    }
    return render_template(
        "check.html",
        map=page_map("draw", lang),
        page_config=config,
        project_types=PROJECT_TYPES,
        error=error,
        form=request.form if form is None else form,
        pending=pending,
        confirm=confirm,
        demonstration=demonstration(),
    ), status


@bp.errorhandler(FossilGISError)
def _bad_input(exc):
    """A bad upload on /check: the form again, naming the problem, with a 4xx status."""
    if request.endpoint == "check.save_case" and isinstance(exc, CaseError):
        return _result_page(request.view_args["token"], case_error=str(exc), status=422)
    if request.endpoint != "check.submit":
        return handle_fossilgis_error(exc)
    if exc.http_status >= 500:  # the server's data or rules (StoreError, RulesError)
        return handle_fossilgis_error(exc)
    if isinstance(exc, WebInputError):
        message = exc.message()
    else:  # the core's message, in the page's language as far as it has one
        message = in_language(public_text(str(exc)), current_lang())
    return _form_page(error=message, status=exc.http_status)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc):
    if request.endpoint != "check.submit":
        return handle_http_error(exc)
    mb = round(current_app.config["MAX_CONTENT_LENGTH"] / 1024 / 1024, 1)
    return _form_page(error=text("err_too_large", mb=f"{mb:g}"), status=413, form={})


@bp.get("/check")
def form():
    return _form_page()


def _owner() -> str:
    """Whom a kept upload belongs to: this user in this session (its CSRF token)."""
    return f"{current_user().username}\n{csrf_token()}"


@bp.post("/check")
@requires("login")
def submit():
    """Screen the files sent now, or the ones kept for a CRS question (``pending``), or a
    drawn shape. Files are kept on the server until screened; a CRS question keeps them
    (:func:`_crs_question`), anything else removes them."""
    drawn = (request.form.get("drawn") or "").strip() or None
    uploads = pending_uploads(current_app)
    files = [f for f in request.files.getlist("footprint") if f and f.filename]
    asked = (request.form.get("pending") or "").strip()
    pending = uploads.get(asked, _owner()) if asked else None
    if files:
        if pending is not None:  # a new file replaces the kept one
            uploads.discard(pending.token)
        limit = current_app.config.get("MAX_CONTENT_LENGTH") or 50 * 1024 * 1024
        pending = uploads.save(files, max_bytes=limit, owner=_owner())
    elif asked and pending is None:  # expired, used, another session's or made up
        message = _(
            "The file sent before is no longer kept (files wait %(hours)s h); choose it again.",
            hours=f"{uploads.ttl_s / 3600:g}",
        )
        return _form_page(error=message, status=400)
    kept: list = []  # the submitted files, for a case opened from the result
    try:
        screening = screen_request(
            files=None,
            pending=pending,
            geojson=drawn,
            form=request.form,
            store=get_store(),
            keep=kept,
        )
    except CRSError as exc:
        if pending is None:
            raise
        return _crs_question(exc, pending)
    except BaseException:
        if pending is not None:
            uploads.discard(pending.token)
        raise
    if pending is not None:
        uploads.discard(pending.token)
    token = _results().put(screening, files=kept)
    return redirect(url_for("check.result", token=token), code=303)


def _crs_question(exc: CRSError, pending):
    """The form again with the upload kept, the proposed CRS filled in and why."""
    minutes = max(1, round(pending_uploads(current_app).ttl_s / 60))
    problem, todo = crs_question(exc, current_lang(), minutes)
    values = dict(request.form.items())
    values["crs"] = exc.proposed_crs or values.get("crs", "")
    return _form_page(
        error=public_text(problem),
        status=exc.http_status,
        form=values,
        pending=pending,
        confirm=todo,
    )


def _result_page(token: str, case_error: str | None = None, status: int = 200):
    screening = _screening(token)
    lang = current_lang()
    config = {
        "page": "result",
        "lang": lang,
        "strings": client_strings(lang),
        "urls": {"result": url_for("check.result_geojson", token=token)},
    }
    case_link = _results().case_of(token) if is_staff() else None
    result = screening.to_dict()
    for project in result["projects"]:  # the core's notes are "中文 / English"
        project["notes"] = [in_language(n, lang) for n in project.get("notes") or []]
    return render_template(
        "check_result.html",
        result=result,
        grade=screening.grade,
        token=token,
        map=page_map("small", lang),
        page_config=config,
        demonstration=demonstration(),
        case_number=case_link[0] if case_link else None,
        case_error=case_error,
        form=request.form if case_error else {},
        counties=get_store().cases.counties() if is_staff() else [],
    ), status


@bp.get("/check/<token>")
def result(token):
    return _result_page(token)


@bp.post("/check/<token>/case")
@requires("login")
def save_case(token):
    """Open a case from this result and its files ("save as case"); once per result."""
    from fossilgis.cases.model import CaseDetails

    linked = _results().case_of(token)
    if linked is not None:  # saved before (a second click, another tab): the same case
        return redirect(url_for("cases.detail", number=linked[0]), code=303)
    screening = _kept_screening(token)
    user = current_user().username
    form = request.form
    details = CaseDetails(
        project_name=form.get("project_name", ""),
        applicant_unit=form.get("applicant_unit"),
        applicant_contact=form.get("applicant_contact"),
        project_type=screening.options.project_type,
        county=form.get("county"),
        officer=user,
        source="office",
    )
    if not _results().claim_case(token):  # another request is saving it right now
        for _ in range(50):
            time.sleep(0.1)
            linked = _results().case_of(token)
            if linked is not None:
                return redirect(url_for("cases.detail", number=linked[0]), code=303)
        return redirect(url_for("check.result", token=token), code=303)
    store = get_store()
    try:
        number = store.cases.open(
            details, user=user, screening=screening, files=_results().files(token)
        )
    except BaseException:
        _results().release_case(token)
        raise
    _results().link_case(token, number, store.cases.get(number)["screen_seq"])
    return redirect(url_for("cases.detail", number=number), code=303)


@bp.get("/check/<token>.json")
def result_json(token):
    return _screening(token).to_dict()


@bp.get("/check/<token>/report.html")
def report(token):
    from fossilgis.report import render_html

    screening = _screening(token)
    # the report's sketch map draws target boundaries: only staff get them
    html = render_html(screening, current_lang(), store=get_store() if is_staff() else None)
    return Response(html, mimetype="text/html")


@bp.get("/check/<token>/result.geojson")
def result_geojson(token):
    """The footprints and the affected targets (as this visitor may see them), one collection."""
    import geopandas as gpd
    import pandas as pd

    screening = _screening(token)
    staff = is_staff()
    fps = screening.footprints
    fp = gpd.GeoDataFrame(
        {"role": "footprint", "project_id": fps["project_id"].astype(str)},
        geometry=fps.geometry.values,
        crs=fps.crs,
    )
    worst: dict[tuple[str, str], str] = {}
    order = ("none", "attention", "assess", "avoid")
    for project in screening.projects:
        for imp in project["impacts"]:
            key = (imp["target_kind"], imp["target_id"])
            if order.index(imp["grade"]) >= order.index(worst.get(key, "none")):
                worst[key] = imp["grade"]
    parts = [fp]
    for kind, layer_kind in (("site", "sites"), ("section", "sections")):
        gdf = served_layer(layer_kind, staff).gdf
        ids = [tid for (k, tid) in worst if k == kind]
        hit = gdf[gdf["id"].isin(ids)]
        if len(hit):
            parts.append(
                gpd.GeoDataFrame(
                    {
                        "role": "target",
                        "target_kind": kind,
                        "id": hit["id"].to_numpy(),
                        "name_zh": hit["name_zh"].to_numpy(),
                        "name_en": hit["name_en"].to_numpy(),
                        "grade": [worst[(kind, i)] for i in hit["id"]],
                    },
                    geometry=hit.geometry.values,
                    crs=hit.crs,
                )
            )
    frame = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=fp.crs)
    geoms = np.asarray(frame.geometry.values)
    frame = frame.set_geometry(list(shapely.force_2d(geoms)))
    body = features_to_geojson(
        frame,
        ["role", "project_id", "target_kind", "id", "name_zh", "name_en", "grade"],
        PRECISE_DECIMALS,
    )
    return Response(body, mimetype="application/geo+json")
