"""Parsing and checking the query parameters of OGC API – Features requests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from fossilgis import serving
from fossilgis.serving import ParameterError

#: page size when the request names none, and the largest one served (larger asks are capped)
DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000

#: a bbox: one or two (across the antimeridian) boxes (minx, miny, maxx, maxy) in CRS84
Boxes = list[tuple[float, float, float, float]]
#: a datetime interval with open ends as None, both ends in UTC
Interval = tuple[dt.datetime | None, dt.datetime | None]


def parse_format(params: Mapping[str, str], accept: str = "") -> str:
    """The response format, "json" or "html": ``f`` first, else the ``Accept`` header.

    Parameters
    ----------
    params : Mapping[str, str]
        The query parameters; ``f`` may be ``json`` or ``html``.
    accept : str
        The request's ``Accept`` header. HTML is chosen only when ``text/html`` is asked
        for with a higher weight than any JSON type (browsers do; GDAL and OWSLib do not).

    Returns
    -------
    str
        ``"json"`` or ``"html"``.
    """
    f = params.get("f")
    if f is not None:
        if f not in ("json", "html"):
            raise ParameterError(f"f={f!r} is not a format this API serves; use f=json or f=html")
        return f
    best_html, best_json = 0.0, 0.0
    for part in accept.split(","):
        media, _, rest = part.strip().partition(";")
        weight = 1.0
        for option in rest.split(";"):
            key, _, value = option.strip().partition("=")
            if key == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        media = media.strip().lower()
        if media in ("text/html", "application/xhtml+xml"):
            best_html = max(best_html, weight)
        elif media.endswith(("/json", "+json")):
            best_json = max(best_json, weight)
    return "html" if best_html > best_json else "json"


def parse_limit(value: str | None) -> int:
    """``limit``: a positive integer, :data:`DEFAULT_LIMIT` when absent, capped at MAX_LIMIT.

    The standard asks that a limit above the maximum is served at the maximum, not refused.
    """
    if value is None:
        return DEFAULT_LIMIT
    try:
        limit = int(value)
    except ValueError:
        limit = 0
    if limit < 1:
        raise ParameterError(
            f"limit={value!r} is not a positive integer; use 1 to {MAX_LIMIT} "
            f"(default {DEFAULT_LIMIT})"
        )
    return min(limit, MAX_LIMIT)


def parse_offset(value: str | None) -> int:
    """``offset``: the number of matching features to skip (paging); 0 when absent."""
    if value is None:
        return 0
    try:
        offset = int(value)
    except ValueError:
        offset = -1
    if offset < 0:
        raise ParameterError(
            f"offset={value!r} is not a whole number ≥ 0; follow the 'next' and 'prev' links "
            "rather than building offsets by hand"
        )
    return offset


def parse_bbox(value: str | None) -> Boxes | None:
    """``bbox``: 4 (or 6, with heights) numbers in CRS84 → the boxes to search.

    ``minx > maxx`` means the box crosses the antimeridian; it is split in two.
    """
    box = serving.parse_bbox(value, heights=True, antimeridian=True)
    if box is None:
        return None
    minx, miny, maxx, maxy = box
    if minx > maxx:
        return [(minx, miny, 180.0, maxy), (-180.0, miny, maxx, maxy)]
    return [box]


def _parse_instant(text: str, *, end: bool) -> dt.datetime:
    """One RFC 3339 date-time (or date: its first or, as an interval's end, last instant)."""
    try:
        if "T" not in text.upper() and len(text) == 10:
            day = dt.date.fromisoformat(text)
            value = dt.datetime.combine(day, dt.time.max if end else dt.time.min)
        else:
            value = dt.datetime.fromisoformat(text)
        if value.tzinfo is None:  # RFC 3339 wants an offset; read a bare time as UTC
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)
    except (ValueError, OverflowError):
        raise ParameterError(
            f"datetime value {text!r} is not an RFC 3339 date-time; use e.g. "
            "2024-05-01T08:00:00Z, 2024-05-01, an interval 2024-05-01/2024-05-31 or an "
            "open one 2024-05-01/.."
        ) from None


def parse_datetime(value: str | None) -> Interval | None:
    """``datetime``: an instant or an interval ``start/end`` (``..`` or empty = open end)."""
    if value is None:
        return None
    if "/" not in value:
        if value in ("", ".."):
            raise ParameterError("datetime must name an instant or an interval, e.g. 2024-05-01")
        instant = _parse_instant(value, end=False)
        if "T" not in value.upper() and len(value) == 10:  # a date: the whole day
            return instant, _parse_instant(value, end=True)
        return instant, instant
    start_text, _, end_text = value.partition("/")
    if "/" in end_text:
        raise ParameterError(f"datetime={value!r} has more than one '/'; use start/end")
    start = None if start_text in ("", "..") else _parse_instant(start_text, end=False)
    end = None if end_text in ("", "..") else _parse_instant(end_text, end=True)
    if start is not None and end is not None and start > end:
        raise ParameterError(f"datetime={value!r} ends before it starts; use start/end")
    return start, end
