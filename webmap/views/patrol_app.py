"""The patrol form as an installable app that opens without a network: its service worker,
web app manifest and icons, the settings and texts of its GPS and track recorder, and the
session check its outbox makes before sending.

The service worker is served at ``/patrols/sw.js``, so its scope is ``/patrols/`` without a
``Service-Worker-Allowed`` header: it controls the form and the other patrol pages (which
it leaves to the network) and never the map, the cases or the sign-in page. It precaches
the form page (which carries the site and section list of the ``<select>``), its scripts,
style sheet, manifest and icons under a cache named after a hash of those files, so a
deploy that changes any of them installs a new worker that drops the old cache.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
from functools import lru_cache
from pathlib import Path

from flask import Response, abort, current_app, url_for

from fossilgis import __version__
from webmap.auth import current_user, requires
from webmap.csrf import csrf_token
from webmap.i18n import _, current_lang
from webmap.views._patrol_common import bp

#: the form's own static files (precached; the template links them with ``?v=<version>``)
SCRIPTS = (
    "js/fossilgis-patrol-outbox.js",
    "js/fossilgis-patrol-gps.js",
    "js/fossilgis-patrol-form.js",
)
STYLES = ("css/fossilgis.css", "patrol-app/patrol-app.css")
SW_SOURCE = "js/fossilgis-patrol-sw.js"
ICON_SIZES = (192, 512)
#: templates whose markup is in the cached form page
TEMPLATES = ("patrol_new.html", "base.html")
THEME = "#2f3e46"  # the top bar's colour


def _static(name: str) -> Path:
    return Path(current_app.static_folder) / name


def version() -> str:
    """A hash of everything the offline form is made of (made once per process: a deploy
    restarts the server, and a new hash makes a new service worker and cache)."""
    cached = current_app.extensions.get("fossilgis_patrol_app_version")
    if cached:
        return cached
    digest = hashlib.sha256(__version__.encode())
    files = [_static(n) for n in (*SCRIPTS, *STYLES, SW_SOURCE)]
    files += [Path(current_app.root_path) / "templates" / n for n in TEMPLATES]
    files += sorted((Path(current_app.root_path) / "translations").glob("*/LC_MESSAGES/*.po"))
    files.append(Path(__file__))  # the icons, manifest and strings below
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    value = digest.hexdigest()[:16]
    current_app.extensions["fossilgis_patrol_app_version"] = value
    return value


def asset_urls() -> dict[str, list[str]]:
    """The form's script and style sheet URLs, with the version as cache buster."""
    v = version()
    return {
        "scripts": [url_for("static", filename=n, v=v) for n in SCRIPTS],
        "styles": [url_for("static", filename=n, v=v) for n in STYLES[1:]],
    }


def precache_urls() -> list[str]:
    """What the service worker stores when it installs (the form page apart)."""
    urls = [url_for("static", filename=n) for n in (*STYLES, *SCRIPTS)]
    urls += [url_for("patrols.app_icon", size=s) for s in ICON_SIZES]
    urls.append(url_for("patrols.app_manifest"))
    return urls


def _strings() -> dict[str, str]:
    return {
        "lang_zh": current_lang() == "zh",
        "beijing": _("Beijing time (UTC+8)"),
        "state_waiting": _("waiting to be sent"),
        "state_sending": _("sending…"),
        "state_refused": _("refused"),
        "state_sign_in": _("waiting for sign-in"),
        "state_other_user": _("saved by %(user)s: sign in as %(user)s to send it"),
        "saved_at": _("saved"),
        "next_try": _("next try"),
        "confirm_discard": _("Discard for good?"),
        "outbox_count": _("Waiting on this device: %(n)s"),
        "no_https": _(
            "This page is not on HTTPS: browsers give the location only to pages opened "
            "over HTTPS (or on localhost), and keep the form for use without a network only "
            "there. Ask the office to serve fossilgis with a certificate and open the https:// "
            "address."
        ),
        "no_https_link": _("How to set up HTTPS"),
        "no_geolocation": _("This browser cannot give the location; type the coordinates."),
        "locating": _("Finding the position…"),
        "fix": _("±%(acc)s m"),
        "altitude": _("altitude %(alt)s m"),
        "fix_poor": _(
            "The position is only accurate to ±%(acc)s m (the limit is %(max)s m). Wait in "
            "the open sky and try again, or use it anyway."
        ),
        "use_anyway": _("Use it anyway"),
        "try_again": _("Try again"),
        "gps_denied": _(
            "Location permission was refused: allow it for this site in the browser's "
            "settings, then try again."
        ),
        "gps_unavailable": _("No position available: go to the open sky and try again."),
        "gps_timeout": _("No position within 30 s: try again, or type the coordinates."),
        "track_start": _("Start recording"),
        "track_stop": _("Stop"),
        "track_recording": _("Recording"),
        "track_stopped": _("Stopped"),
        "track_points": _("%(n)s points, %(km)s km, median accuracy ±%(acc)s m"),
        "track_skipped": _("%(n)s poor fixes skipped"),
        "track_wakelock": _("The screen stays on while recording."),
        "track_no_wakelock": _(
            "This browser cannot keep the screen on: keep it on yourself, recording may "
            "pause while the screen is off."
        ),
        "track_hidden": _(
            "Recording pauses while the page is hidden or the screen is off, and goes on "
            "when you come back."
        ),
        "track_recovered": _("A track recorded earlier on this device was recovered."),
        "need_times": _("Start and End: fill them in, or record a track or choose a GPX file."),
        "need_position": _(
            "Observation %(n)s: no position; press “Use my position” or type longitude and "
            "latitude."
        ),
        "need_time": _("Observation %(n)s: the time is missing."),
        "end_before_start": _("End is before Start."),
        "not_saved": _("Not saved yet; fix this first:"),
    }


@bp.app_template_global("patrol_app")
def form_settings() -> dict:
    """What the form page needs from this module: asset URLs and the app's JSON config."""
    config = current_app.config
    return {
        "assets": asset_urls(),
        "config": {
            "version": version(),
            "urls": {
                "sw": url_for("patrols.app_sw"),
                "scope": url_for("patrols.app_sw").rsplit("/", 1)[0] + "/",
                "manifest": url_for("patrols.app_manifest"),
                "icon": url_for("patrols.app_icon", size=192),
                "session": url_for("patrols.app_session"),
            },
            "gps": {
                "max_accuracy_m": float(config["GPS_MAX_ACCURACY_M"]),
                "interval_s": float(config["TRACK_INTERVAL_S"]),
                "distance_m": float(config["TRACK_MIN_DISTANCE_M"]),
            },
            "user": getattr(current_user(), "username", None),
            "theme": THEME,
            "strings": _strings(),
        },
    }


@bp.get("/patrols/sw.js")
def app_sw():
    """The service worker: its source with the version and the files to precache."""
    settings = {
        "version": version(),
        "form": url_for("patrols.new"),
        "precache": precache_urls(),
        "static": url_for("static", filename=""),
    }
    body = "self.FOSSILGIS_SW = " + json.dumps(settings) + ";\n" + _static(SW_SOURCE).read_text()
    resp = Response(body, mimetype="text/javascript")
    # the browser checks for a new worker at each visit: never from an HTTP cache
    resp.headers["Cache-Control"] = "no-cache"
    # the worker's own policy: it fetches from this origin only, and runs no other script
    resp.headers["Content-Security-Policy"] = (
        "default-src 'none'; connect-src 'self'; script-src 'self'"
    )
    return resp


@bp.get("/patrols/app.webmanifest")
def app_manifest():
    """The web app manifest (public: browsers fetch it without the session cookie)."""
    zh = current_lang() == "zh"
    manifest = {
        "name": "贵州化石巡护" if zh else "Guizhou fossil patrol",
        "short_name": "化石巡护" if zh else "Fossil patrol",
        "description": _("Patrol records of fossil sites, kept on the phone until sent."),
        "lang": "zh-CN" if zh else "en",
        "start_url": url_for("patrols.new"),
        "scope": url_for("patrols.app_sw").rsplit("/", 1)[0] + "/",
        "id": url_for("patrols.new"),
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": THEME,
        "icons": [
            {
                "src": url_for("patrols.app_icon", size=s),
                "sizes": f"{s}x{s}",
                "type": "image/png",
                "purpose": "any maskable",
            }
            for s in ICON_SIZES
        ],
    }
    resp = Response(json.dumps(manifest, ensure_ascii=False), mimetype="application/manifest+json")
    resp.headers["Cache-Control"] = "no-cache"
    resp.vary.add("Cookie")
    resp.vary.add("Accept-Language")
    return resp


@lru_cache(maxsize=4)
def icon_png(size: int) -> bytes:
    """The app icon: an ammonite's spiral in white on the top bar's colour, full bleed (the
    spiral keeps inside the central 80 %, so a round or squircle mask never cuts it)."""
    from PIL import Image, ImageDraw

    scale = 4  # drawn large, then reduced: smooth edges
    big = size * scale
    image = Image.new("RGB", (big, big), THEME)
    draw = ImageDraw.Draw(image)
    turns, outer, inner = 2.5, big * 0.3, big * 0.035
    total = turns * 2 * math.pi
    growth = math.log(outer / inner) / total
    spiral = [
        (a, outer * math.exp(-growth * (total - a)))
        for a in (i / 90 * 2 * math.pi for i in range(int(turns * 90) + 1))
    ]
    xs = [r * math.cos(a) for a, r in spiral]
    ys = [r * math.sin(a) for a, r in spiral]
    dx, dy = big / 2 - (max(xs) + min(xs)) / 2, big / 2 - (max(ys) + min(ys)) / 2
    points = [(x + dx, y + dy) for x, y in zip(xs, ys)]
    width = max(2, big // 24)
    draw.line(points, fill="#ffffff", width=width, joint="curve")
    for i in range(len(points) - 90, len(points) - 1, 9):  # the ribs of the last whorl
        a, r = spiral[i]
        x, y = points[i]
        rib = r * 0.3
        draw.line(
            [(x, y), (x - rib * math.cos(a), y - rib * math.sin(a))],
            fill="#ffffff",
            width=max(1, width // 2),
        )
    image = image.resize((size, size), Image.LANCZOS).quantize(16)  # two colours and edges
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


@bp.get("/patrols/app/icon-<int:size>.png")
def app_icon(size: int):
    if size not in ICON_SIZES:
        abort(404)
    resp = Response(icon_png(size), mimetype="image/png")
    resp.headers["Cache-Control"] = "public, max-age=86400"
    return resp


@bp.get("/patrols/app/session.json")
@requires("write")
def app_session():
    """Who is signed in and the session's CSRF token: the outbox asks before sending, since
    the form it was filled in may come from the cache, made in an earlier session (401 JSON
    when signed out: the outbox keeps the patrol and asks to sign in again)."""
    user = current_user()
    resp = current_app.json.response(
        {"user": user.username, "role": user.role, "csrf": csrf_token()}
    )
    resp.headers["Cache-Control"] = "no-store"
    return resp
