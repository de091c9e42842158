"""Configuration of the web map: defaults, FOSSILGIS_* environment variables, basemaps."""

from __future__ import annotations

import os

from fossilgis.errors import FossilGISError

DEFAULTS = {
    "DATA_DIR": None,  # None: fossilgis.store's default (FOSSILGIS_DATA or XDG data dir)
    "BASEMAP": "none",  # none | osm | tianditu
    "TIANDITU_KEY": None,
    "TIANDITU_STYLE": "vec",  # vec (vector + labels) | img (imagery + labels)
    "MAX_CONTENT_LENGTH": 50 * 1024 * 1024,
    "RESULT_TTL_S": 3600,  # how long a screening result stays viewable
    "RESULT_MAX": 200,  # screening results kept in memory at most
    "BBOX_THRESHOLD": 2000,  # layers with more features are fetched by the map's bbox
    "TESTING_STAFF": False,  # tests only: treat every request as signed-in staff
    "SECRET_KEY": None,  # None: read from (or made in) DATA_DIR/secret_key
    # sessions are signed cookies: HttpOnly always; Secure only behind HTTPS (plain-http
    # intranets would otherwise never send the cookie back)
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "SESSION_COOKIE_NAME": "fossilgis_session",
    "PERMANENT_SESSION_LIFETIME": 12 * 3600,  # seconds a sign-in lasts
    "LOGIN_MAX_FAILURES": 5,  # failed sign-ins per (address, name) within LOGIN_WINDOW_S
    "LOGIN_WINDOW_S": 300,
    "COVERAGE_DAYS": 90,  # a target not patrolled for this many days is overdue
    "GPS_MAX_ACCURACY_M": 50,  # the patrol form asks before using a poorer GPS fix (metres)
    "TRACK_INTERVAL_S": 10,  # a recorded track keeps a point once this many seconds passed…
    "TRACK_MIN_DISTANCE_M": 20,  # …or once the patroller moved this far (metres)
    "MAX_PHOTO_BYTES": 25 * 1024 * 1024,  # one photo at most (the request: MAX_CONTENT_LENGTH)
    "PATROL_PAGE_SIZE": 100,  # rows on /patrols
    "CASE_PAGE_SIZE": 50,  # rows on /cases
    "POTENTIAL_MAX_FEATURES": 5000,  # units per /api/potential.geojson answer (largest kept)
    "SUBMIT_MAX_PER_HOUR": 5,  # applicant submissions per client address per hour
    "SUBMIT_MAX_MB": 20,  # one applicant submission's files at most
}


def _boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(value)


def _megabytes(value: str) -> int:
    return int(float(value) * 1024 * 1024)


#: environment variables read at start-up: name -> (config key, type)
ENV = {
    "FOSSILGIS_DATA": ("DATA_DIR", str),
    "FOSSILGIS_BASEMAP": ("BASEMAP", str),
    "FOSSILGIS_TIANDITU_KEY": ("TIANDITU_KEY", str),
    "FOSSILGIS_TIANDITU_STYLE": ("TIANDITU_STYLE", str),
    "FOSSILGIS_MAX_UPLOAD_MB": ("MAX_CONTENT_LENGTH", _megabytes),
    "FOSSILGIS_MAX_PHOTO_MB": ("MAX_PHOTO_BYTES", _megabytes),
    "FOSSILGIS_SECRET_KEY": ("SECRET_KEY", str),
    "FOSSILGIS_SESSION_COOKIE_SECURE": ("SESSION_COOKIE_SECURE", _boolean),
    "FOSSILGIS_SESSION_HOURS": ("PERMANENT_SESSION_LIFETIME", lambda v: int(float(v) * 3600)),
    "FOSSILGIS_COVERAGE_DAYS": ("COVERAGE_DAYS", int),
    "FOSSILGIS_GPS_MAX_ACCURACY_M": ("GPS_MAX_ACCURACY_M", float),
    "FOSSILGIS_TRACK_INTERVAL_S": ("TRACK_INTERVAL_S", float),
    "FOSSILGIS_TRACK_MIN_DISTANCE_M": ("TRACK_MIN_DISTANCE_M", float),
    "FOSSILGIS_RESULT_TTL_S": ("RESULT_TTL_S", int),
    "FOSSILGIS_SUBMIT_MAX_PER_HOUR": ("SUBMIT_MAX_PER_HOUR", int),
    "FOSSILGIS_SUBMIT_MAX_MB": ("SUBMIT_MAX_MB", float),
}

BASEMAPS = ("none", "osm", "tianditu")

OSM_TEMPLATE = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
# Web-Mercator (_w) WMTS tiles of 天地图 (CGCS2000 ≈ WGS 84: no GCJ-02 offset)
TIANDITU_TEMPLATE = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
    "&TILECOL={x}&tk={key}"
)
TIANDITU_LAYERS = {"vec": ("vec", "cva"), "img": ("img", "cia")}


def from_environment(environ=os.environ) -> dict:
    """The config keys set by FOSSILGIS_* environment variables."""
    out = {}
    for name, (key, convert) in ENV.items():
        if environ.get(name):
            try:
                out[key] = convert(environ[name])
            except ValueError:
                raise FossilGISError(f"{name}={environ[name]!r} is not valid") from None
    return out


def tile_layers(config) -> list[dict]:
    """The basemap tile layers: dicts with ``url``, ``attr``, ``subdomains``, ``max_zoom``.

    Raises FossilGISError for an unknown basemap or Tianditu without a key.
    """
    basemap = (config.get("BASEMAP") or "none").lower()
    if basemap not in BASEMAPS:
        raise FossilGISError(
            f"BASEMAP {basemap!r} is unknown; choose one of {', '.join(BASEMAPS)} "
            "(never Gaode/Baidu tiles: they are GCJ-02/BD-09 and offset by hundreds of metres)"
        )
    if basemap == "none":
        return []
    if basemap == "osm":
        return [
            {
                "url": OSM_TEMPLATE,
                "attr": "© OpenStreetMap contributors",
                "subdomains": "abc",
                "max_zoom": 19,
            }
        ]
    key = config.get("TIANDITU_KEY")
    if not key:
        raise FossilGISError(
            "BASEMAP is tianditu but no key is set: set TIANDITU_KEY in the config or "
            "FOSSILGIS_TIANDITU_KEY (a browser-side key from lbs.tianditu.gov.cn)"
        )
    style = config.get("TIANDITU_STYLE") or "vec"
    if style not in TIANDITU_LAYERS:
        raise FossilGISError(f"TIANDITU_STYLE {style!r} is unknown; choose vec or img")
    return [
        {
            "url": TIANDITU_TEMPLATE.replace("{layer}", layer).replace("{key}", key),
            "attr": "天地图 Tianditu",
            "subdomains": "01234567",
            "max_zoom": 18,
        }
        for layer in TIANDITU_LAYERS[style]
    ]
