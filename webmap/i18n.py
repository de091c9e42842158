"""The web map in 简体中文 and English: gettext catalogues and the language of a request.

The texts are English msgids marked with ``_()`` (views), ``{{ _() }}`` (templates) or
``N_()`` (tables below); their translations live in ``webmap/translations/<locale>/
LC_MESSAGES/messages.po`` (docs/webmap.md, "Translating"). The ``.po`` files are the only
source: each process compiles them in memory the first time a language is used, so there is
no ``.mo`` file to build, ship or let go stale.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask import g, request
from werkzeug.datastructures import LanguageAccept

from fossilgis import vocab as codes
from fossilgis.patrols.model import CHINA_TZ

#: the app's language codes (``?lang=``, the cookie, ``page_config.lang``) → catalogue locale
LOCALES = {"zh": "zh_CN", "en": "en"}
LANGS = tuple(LOCALES)
LANG_COOKIE = "lang"
TRANSLATIONS_DIR = Path(__file__).with_name("translations")
DOMAIN = "messages"


def N_(msgid: str) -> str:
    """Mark ``msgid`` for extraction without translating it (it is translated when used)."""
    return msgid


#: messages that Python code outside the views names by key (``text(key)``, and the key of
#: ``WebInputError``): key → msgid
MESSAGES: dict[str, str] = {
    "err_not_found": N_("No such page or target."),
    "err_method": N_("This address does not accept that request method."),
    "err_bad_request": N_("Bad request."),
    "err_unsupported_media": N_(
        "Send multipart/form-data (field 'file') or GeoJSON (application/json)."
    ),
    "err_too_many": N_("Too many requests; try again later."),
    "error_title": N_("Something went wrong"),
    "err_input": N_("The footprint file cannot be read"),
    "err_too_large": N_("The upload is too large: the limit is %(mb)s MB. Zip or split the file."),
    "err_internal": N_(
        "Internal server error; it has been logged. Try again later or tell the administrator."
    ),
    "err_bad_token": N_(
        "The API token is unknown, revoked or of a disabled account; ask an "
        "administrator for a new one."
    ),
    "err_sign_in_api": N_(
        "Sign-in needed: send Authorization: Bearer <API token>, or sign in on the web page first."
    ),
    "err_need_admin": N_("This needs the admin role; %(user)s is %(role)s."),
    "err_need_write": N_(
        "This needs the patroller or admin role; %(user)s (%(role)s) may only read."
    ),
    "err_csrf": N_(
        "The form has expired or did not come from this site (CSRF check failed). "
        "Reload the page and send it again."
    ),
    "err_bad_number": N_("%(field)s must be a positive number of metres, got %(value)r."),
    "err_bad_geojson": N_("The drawn or posted GeoJSON cannot be parsed: %(detail)s"),
    "err_both_inputs": N_("Give one input only: an uploaded file or a drawn shape, not both."),
    "err_no_input": N_("Choose a footprint file or draw the footprint on the map."),
    "err_result_expired": N_(
        "This screening result does not exist or has expired (results are "
        "kept %(hours)s h); run the check again."
    ),
    "err_target_not_found": N_("There is no %(kind)s with id %(id)s."),
    "err_bad_kind": N_("Unknown layer %(kind)r; known: %(known)s."),
    "err_bad_bbox": N_("bbox must be four numbers minx,miny,maxx,maxy in degrees, got %(value)r."),
    "err_bad_zoom": N_("zoom must be a number from 0 to %(max)s, got %(value)r."),
    "err_context_unknown": N_("Unknown context layer %(name)r; known: %(known)s."),
    "err_context_absent": N_(
        "The context layer %(name)s is not available here: fossilgis does not ship it and "
        "the office has not imported its own (fossilgis layers import FILE --kind "
        "context-%(name)s)."
    ),
    "context_overlay": N_("Geographic context"),
    "err_patrol_media": N_(
        "Send application/json (the GeoJSON exchange format) or "
        "multipart/form-data (a 'patrol' part and photo files)."
    ),
    "err_patrol_not_found": N_("There is no patrol %(uuid)s."),
    "err_bad_date": N_("%(field)s must be a date YYYY-MM-DD, got %(value)r."),
    "err_bad_category": N_("Unknown category %(value)r; known: %(known)s."),
    "err_bad_format": N_("Unknown export format %(fmt)r; known: %(known)s."),
    "line_width": N_("Line width (m, for lines)"),
    "point_radius": N_("Point radius (m)"),
    "fullscreen": N_("Full screen"),
    "exit_fullscreen": N_("Exit full screen"),
}

#: attribute labels of a site or section page and of the map's popups: field → msgid
FIELD_LABELS: dict[str, str] = {
    "id": N_("Id"),
    "county": N_("County"),
    "age": N_("Age"),
    "formation": N_("Formation"),
    "fossils": N_("Fossils"),
    "boundary": N_("Boundary"),
    "protection_level": N_("Protection level"),
    "status": N_("Status"),
    "accuracy": N_("Location accuracy"),
    "boundary_status": N_("Boundary status"),
    "source": N_("Source"),
}

#: the labels the map's JavaScript looks up by key (``{n}``/``{days}`` are filled in there)
CLIENT_STRINGS: dict[str, str] = {
    **{
        k: FIELD_LABELS[k]
        for k in ("id", "age", "formation", "fossils", "boundary", "protection_level", "accuracy")
    },
    "layer_sites": N_("Fossil sites"),
    "layer_sections": N_("Type sections"),
    "layer_control": N_("Construction-control zones"),
    "layer_attention": N_("Attention zones"),
    "layer_accuracy": N_("Location accuracy circles"),
    "layer_patrols": N_("Patrols"),
    "layer_alerts": N_("Alerts"),
    "legend": N_("Legend"),
    "search_none": N_("No match"),
    "last_patrol": N_("Last patrol"),
    "no_patrols": N_("no patrols recorded yet"),
    "details": N_("Details"),
    "generalised": N_("generalised location"),
    "footprint": N_("Project footprint"),
    "drawn_count": N_("{n} shape(s) drawn"),
    "col_waypoints": N_("Waypoints"),
    "col_alerts": N_("Alerts"),
    "patrol_title": N_("Patrol"),
    "target": N_("Target"),
    "layer_coverage": N_("Not patrolled in {days} days"),
    "layer_potential": N_("Fossil potential"),
    "map_unit": N_("Map unit"),
    "potential_class": N_("Potential class"),
    "potential_zoom_in": N_("Zoom in to level {zoom} or closer to see the fossil potential"),
    "potential_truncated": N_("Showing the {n} largest of {total} units here: zoom in for all"),
    "potential_map": N_("Geological map version {version}, {count} units"),
    "potential_demo": N_("synthetic demonstration map"),
    "potential_no_map": N_("No geological map imported"),
    # the search box (webmap/static/js/fossilgis-search.js); place:<context layer>
    "search_which": N_("Which one did you mean?"),
    "search_coordinate": N_("Coordinates"),
    "search_outside": N_("outside Guizhou"),
    "search_error": N_("Search is not available just now; try again."),
    "place:counties": N_("County"),
    "place:prefectures": N_("Prefecture"),
    "place:places": N_("City"),
    "place:province": N_("Province"),
    "place:rivers": N_("River"),
    "place:roads": N_("Road"),
}


#: Leaflet's own controls and its plugins (Leaflet.draw, leaflet-measure) in the page's
#: language: /static/js/fossilgis-leaflet-i18n.js sets them before a map is built
LEAFLET_STRINGS: dict[str, str] = {
    "zoom_in": N_("Zoom in"),
    "zoom_out": N_("Zoom out"),
    "draw_polyline": N_("Draw a line"),
    "draw_polygon": N_("Draw a polygon"),
    "draw_rectangle": N_("Draw a rectangle"),
    "draw_cancel_title": N_("Cancel drawing"),
    "cancel": N_("Cancel"),
    "draw_finish_title": N_("Finish drawing"),
    "draw_finish": N_("Finish"),
    "draw_undo_title": N_("Delete the last point drawn"),
    "draw_undo": N_("Delete last point"),
    "polyline_start": N_("Click to start drawing the line."),
    "polyline_cont": N_("Click to continue drawing the line."),
    "polyline_end": N_("Click the last point again to finish the line."),
    "polyline_error": N_("Error: the edges of a shape cannot cross."),
    "polygon_start": N_("Click to start drawing the shape."),
    "polygon_cont": N_("Click to continue drawing the shape."),
    "polygon_end": N_("Click the first point to close the shape."),
    "rectangle_start": N_("Click and drag to draw a rectangle."),
    "shape_end": N_("Release the mouse to finish drawing."),
    "edit_layers": N_("Edit the drawn shapes"),
    "edit_none": N_("No shapes to edit"),
    "remove_layers": N_("Delete drawn shapes"),
    "remove_none": N_("No shapes to delete"),
    "edit_save_title": N_("Save the changes"),
    "edit_save": N_("Save"),
    "edit_cancel_title": N_("Cancel editing and discard the changes"),
    "edit_clear_title": N_("Delete every drawn shape"),
    "edit_clear": N_("Clear all"),
    "edit_tooltip": N_("Drag the handles to change a shape."),
    "edit_subtext": N_("Click Cancel to undo the changes."),
    "remove_tooltip": N_("Click a shape to delete it."),
    "unit_m": N_("m"),
    "unit_km": N_("km"),
    "unit_m2": N_("m²"),
    "unit_ha": N_("ha"),
}


@cache
def translations(lang: str):
    """The compiled catalogue of ``lang`` ("zh" | "en"), read from its ``.po`` file once."""
    from io import BytesIO

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    po = TRANSLATIONS_DIR / LOCALES[lang] / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po.open("rb") as f:
        catalog = read_po(f, locale=LOCALES[lang], domain=DOMAIN)
    mo = BytesIO()
    write_mo(mo, catalog)  # fuzzy entries are left out, as by pybabel compile
    mo.seek(0)
    return Translations(mo, domain=DOMAIN)


def _fill(message: str, values: dict) -> str:
    return message % values if values else message


def gettext(msgid: str, lang: str | None = None, **values) -> str:
    """``msgid`` in ``lang`` (default: the request's), with ``%(name)s`` filled from ``values``."""
    return _fill(translations(lang or current_lang()).gettext(msgid), values)


_ = gettext


def pgettext(context: str, msgid: str, lang: str | None = None, **values) -> str:
    """``msgid`` in ``context`` (for one English text that needs two Chinese ones)."""
    return _fill(translations(lang or current_lang()).pgettext(context, msgid), values)


def text(key: str, lang: str | None = None, **values) -> str:
    """The message named ``key`` in MESSAGES, translated and filled in (for code that names
    messages by key: error handlers, ``WebInputError``, the access checks, map controls)."""
    return gettext(MESSAGES[key], lang, **values)


def vocab(name: str, code: str, lang: str | None = None) -> str:
    """The label of ``code`` in the code list ``name`` of :mod:`fossilgis.vocab` (grade,
    protection_level, role, alert_status, ...); an unknown code is shown as it is. Codes that
    come from data are labelled there, in both languages, and not in the catalogues."""
    return codes.ALL[name].label(code, lang or current_lang())


def _primary(tag: str) -> str:
    return tag.replace("_", "-").split("-", 1)[0].lower()


def lang_from_request() -> str:
    """``?lang=`` first, then the cookie, then Accept-Language, else English.

    Accept-Language is matched on its primary subtags (``zh-TW``, ``zh-Hans-CN`` → zh), and
    of two languages the browser accepts equally, the one it lists first wins.
    """
    asked = request.args.get("lang")
    if asked in LANGS:
        return asked
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LANGS:
        return cookie
    accepted = LanguageAccept(
        [(_primary(tag), q) for tag, q in request.accept_languages if tag != "*"]
    )  # "*" says nothing about Chinese
    listed = [lang for lang in LANGS if lang in accepted]
    order = sorted(listed, key=accepted.find) + [lang for lang in LANGS if lang not in listed]
    return accepted.best_match(order, default="en")


def current_lang() -> str:
    lang = getattr(g, "lang", None)
    return lang if lang in LANGS else "en"


def install_jinja(env) -> None:
    """``{{ _("…", name=value) }}`` (and ``gettext``, ``pgettext``, ``ngettext``) in the
    templates, in the request's language; newstyle: values are escaped, then filled in."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(
        gettext=lambda s: translations(current_lang()).gettext(s),
        ngettext=lambda s, p, n: translations(current_lang()).ngettext(s, p, n),
        pgettext=lambda c, s: translations(current_lang()).pgettext(c, s),
        npgettext=lambda c, s, p, n: translations(current_lang()).npgettext(c, s, p, n),
        newstyle=True,
    )


def client_strings(lang: str) -> dict[str, str]:
    """The labels the map's JavaScript needs, in one language."""
    out = {k: gettext(msgid, lang) for k, msgid in CLIENT_STRINGS.items()}
    for prefix, vocabulary in (
        ("grade", codes.GRADES),
        ("level", codes.PROTECTION_LEVELS),
        ("severity", codes.SEVERITIES),
        ("status", codes.ALERT_STATUSES),
    ):
        out.update({f"{prefix}:{code}": vocabulary.label(code, lang) for code in vocabulary})
    return out


def leaflet_strings(lang: str) -> dict[str, str]:
    """The labels of Leaflet's controls and plugins (:data:`LEAFLET_STRINGS`) in one language."""
    return {k: gettext(msgid, lang) for k, msgid in LEAFLET_STRINGS.items()}


def cst(value, with_time: bool = True) -> str:
    """A time written as Beijing time in the page's language (``2025-05-08 10:30 北京时间
    (UTC+8)``, :func:`fossilgis.report.wording.beijing_time`), its Beijing date without
    ``with_time``, or "–" when missing."""
    import pandas as pd

    from fossilgis.report.wording import beijing_time

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts
    if with_time:
        return beijing_time(ts.to_pydatetime(), current_lang())
    return ts.tz_convert(CHINA_TZ).strftime("%Y-%m-%d")
