"""Checks of a patrol before it is stored: errors refuse it, warnings go back to the sender."""

from __future__ import annotations

import datetime as dt
import math
import re
import weakref

from fossilgis import vocab
from fossilgis.errors import PatrolValidationError
from fossilgis.geo import CRS_GEOGRAPHIC, GUIZHOU_BOUNDS
from fossilgis.patrols.infer import distances_m
from fossilgis.patrols.messages import (
    Message,
    Period,
    Words,
    choices,
    kind_words,
    message,
    refused,
    shown,
)
from fossilgis.patrols.model import (
    OBSERVATION_CATEGORIES,
    SEVERITIES,
    TARGET_KINDS,
    Patrol,
    normalise_uuid,
)

__all__ = ["PatrolValidationError", "validate_patrol", "FAR_FROM_TARGET_M", "CLOCK_SKEW"]

#: a track farther than this from the chosen site or section draws a warning (metres)
FAR_FROM_TARGET_M = 2_000.0

#: device clocks may run this much ahead of the server before a time counts as "future"
CLOCK_SKEW = dt.timedelta(minutes=10)

#: a patrol longer than this draws a warning (a wrong date is likelier than a 3-day patrol)
LONG_PATROL = dt.timedelta(hours=48)


#: characters refused in every text field: C0 controls but tab, line feed and carriage
#: return (browsers send CRLF from a textarea), DEL, C1 controls, lone surrogates (they
#: cannot be stored as UTF-8) and U+FFFE/U+FFFF (not allowed in XML: GPX and KML exports)
BAD_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

#: longest text per field kind (characters); far above any real record
MAX_LONG_TEXT = 20_000  # notes, descriptions
MAX_SHORT_TEXT = 500  # purpose, names, team members, ids, photo names
MAX_TEAM = 100


def _text_fields(patrol: Patrol):
    """(field name, value, limit) of every free text of a patrol."""
    yield "purpose", patrol.purpose, MAX_SHORT_TEXT
    yield "notes", patrol.notes, MAX_LONG_TEXT
    yield "target_id", patrol.target_id, MAX_SHORT_TEXT
    for i, member in enumerate(patrol.team):
        yield f"team[{i}]", member, MAX_SHORT_TEXT
    for i, ref in enumerate(patrol.photos):
        yield f"photos[{i}].name", ref.name, MAX_SHORT_TEXT
    for i, w in enumerate(patrol.waypoints):
        yield f"waypoints[{i}].name", w.name, MAX_SHORT_TEXT
        if w.observation is not None:
            yield f"waypoints[{i}].description", w.observation.description, MAX_LONG_TEXT
        for j, ref in enumerate(w.photos):
            yield f"waypoints[{i}].photos[{j}].name", ref.name, MAX_SHORT_TEXT


def _text_problems(patrol: Patrol) -> list[Message]:
    """Text that cannot be stored, exported or shown safely: control characters (a NUL
    breaks the KML export), lone surrogates (unencodable), absurd lengths."""
    problems = []
    if len(patrol.team) > MAX_TEAM:
        problems.append(message("too_many_members", "team", count=len(patrol.team), limit=MAX_TEAM))
    for name, value, limit in _text_fields(patrol):
        if not value:
            continue
        if not isinstance(value, str):
            problems.append(message("not_text", name, kind=kind_words(value)))
            continue
        bad = BAD_TEXT.search(value)
        if bad:
            problems.append(
                message(
                    "bad_character",
                    name,
                    codepoint=f"{ord(bad.group()):04X}",
                    position=bad.start() + 1,
                )
            )
        elif len(value) > limit:
            problems.append(message("text_too_long", name, length=len(value), limit=limit))
    return problems


#: (weak reference to a targets frame, its arrays): the web app passes the same frame on
#: every upload until a layer changes (a new frame), and frames are never changed in place
_arrays_of: tuple = (lambda: None, None)


def _target_arrays(targets) -> tuple:
    """``id``, ``kind`` and geometry of ``targets`` as arrays, and its CRS (plain arrays
    rather than a filtered frame: this runs on every upload)."""
    global _arrays_of
    ref, arrays = _arrays_of
    if ref() is not targets:
        import numpy as np

        arrays = (
            targets["id"].to_numpy(dtype=object),
            targets["kind"].to_numpy(dtype=object),
            np.asarray(targets.geometry.values, dtype=object),
            targets.crs if targets.crs is not None else CRS_GEOGRAPHIC,
        )
        _arrays_of = (weakref.ref(targets), arrays)
    return arrays


def _outside(lon: float, lat: float) -> bool:
    x0, y0, x1, y1 = GUIZHOU_BOUNDS
    return not (math.isfinite(lon) and math.isfinite(lat) and x0 <= lon <= x1 and y0 <= lat <= y1)


def _bounds_words() -> Words:
    x0, y0, x1, y1 = GUIZHOU_BOUNDS
    return Words(
        f"经度 {x0}°–{x1}°，纬度 {y0}°–{y1}°", f"longitude {x0}°–{x1}°, latitude {y0}°–{y1}°"
    )


def _swap_hint(lon: float, lat: float) -> Words:
    """Say so when the point would be in Guizhou with longitude and latitude swapped."""
    if _outside(lat, lon):
        return Words("", "")
    return Words("经度和纬度似乎写反了。", "Longitude and latitude seem to be swapped. ")


def _coord_problems(patrol: Patrol) -> list[Message]:
    problems = []
    if patrol.track is not None and not patrol.track.is_empty:
        parts = getattr(patrol.track, "geoms", [patrol.track])
        bad = [(x, y) for part in parts for x, y, *_ in part.coords if _outside(x, y)]
        if bad:
            x, y = bad[0]
            problems.append(
                message(
                    "outside_guizhou",
                    "track",
                    count=len(bad),
                    bounds=_bounds_words(),
                    lon=f"{x:.6f}",
                    lat=f"{y:.6f}",
                    hint=_swap_hint(x, y),
                )
            )
    for i, w in enumerate(patrol.waypoints):
        if _outside(w.lon, w.lat):
            problems.append(
                message(
                    "point_outside_guizhou",
                    f"waypoints[{i}].position",
                    lon=w.lon,
                    lat=w.lat,
                    bounds=_bounds_words(),
                    hint=_swap_hint(w.lon, w.lat),
                )
            )
    return problems


def validate_patrol(patrol: Patrol, targets=None, now: dt.datetime | None = None) -> list[Message]:
    """Check a patrol; raise on errors, return warnings.

    Parameters
    ----------
    patrol : Patrol
        The record as received (uuids are normalised in place).
    targets : geopandas.GeoDataFrame, optional
        Sites and sections with ``kind`` and ``id`` columns
        (:func:`fossilgis.patrols.infer.targets_frame`). Without it the target id is not
        checked and no distance warning is given.
    now : datetime, optional
        The server's time (aware); default: now.

    Returns
    -------
    list of Message
        Warnings (bilingual text with ``field`` and ``code``, see
        :mod:`fossilgis.patrols.messages`): a track far from the chosen target, waypoints
        timed outside the patrol, no team members, a very long patrol.

    Raises
    ------
    PatrolValidationError
        With every problem found (``problems``: Messages, each naming its field): a bad
        UUID, times missing, in the future or an end before the start, coordinates outside
        Guizhou, an unknown category, severity or target, no location at all.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    shown_now = now.replace(second=0, microsecond=0)  # "later than the server's 10:05"
    problems: list[Message] = []
    warnings: list[Message] = []

    try:
        patrol.uuid = normalise_uuid(patrol.uuid)
    except PatrolValidationError as exc:
        problems += exc.problems

    problems += _text_problems(patrol)

    latest = now + CLOCK_SKEW
    if patrol.ended_at < patrol.started_at:
        problems.append(
            message("end_before_start", "ended_at", start=patrol.started_at, end=patrol.ended_at)
        )
    for name in ("started_at", "ended_at"):
        value = getattr(patrol, name)
        if value > latest:
            problems.append(message("time_in_future", name, time=value, now=shown_now))
    if patrol.ended_at - patrol.started_at > LONG_PATROL:
        hours = (patrol.ended_at - patrol.started_at).total_seconds() / 3600
        warnings.append(
            message(
                "long_patrol",
                "ended_at",
                hours=f"{hours:.0f}",
                period=Period(patrol.started_at, patrol.ended_at),
                limit=f"{LONG_PATROL.total_seconds() / 3600:.0f}",
            )
        )
    if not [t for t in patrol.team if str(t).strip()]:
        warnings.append(message("no_team", "team"))

    problems += _coord_problems(patrol)
    if patrol.geometry is None and not patrol.target_id:
        problems.append(message("no_location", "track"))

    span = Period(patrol.started_at, patrol.ended_at)
    seen = set()
    for i, w in enumerate(patrol.waypoints):
        try:
            w.uuid = normalise_uuid(w.uuid, f"waypoints[{i}].uuid")
        except PatrolValidationError as exc:
            problems += exc.problems
        if w.uuid in seen:
            problems.append(message("duplicate_uuid", f"waypoints[{i}].uuid"))
        seen.add(w.uuid)
        where = f"waypoints[{i}].observed_at"
        if w.observed_at > latest:
            problems.append(message("time_in_future", where, time=w.observed_at, now=shown_now))
        elif not (
            patrol.started_at - dt.timedelta(hours=1)
            <= w.observed_at
            <= patrol.ended_at + dt.timedelta(hours=1)
        ):
            warnings.append(message("time_outside_patrol", where, time=w.observed_at, period=span))
        obs = w.observation
        if obs is not None:
            if obs.category not in OBSERVATION_CATEGORIES:
                problems.append(
                    message(
                        "unknown_category",
                        f"waypoints[{i}].category",
                        value=shown(obs.category),
                        choices=choices(OBSERVATION_CATEGORIES),
                    )
                )
            if obs.severity not in SEVERITIES:
                problems.append(
                    message(
                        "unknown_severity",
                        f"waypoints[{i}].severity",
                        value=shown(obs.severity),
                        choices=choices(SEVERITIES),
                    )
                )

    if patrol.target_kind is not None and patrol.target_kind not in TARGET_KINDS:
        problems.append(
            message("unknown_target_kind", "target_kind", value=shown(patrol.target_kind))
        )
    elif patrol.target_id and targets is not None:
        ids, kinds, geoms, crs = _target_arrays(targets)
        match = ids == patrol.target_id
        if patrol.target_kind:
            match &= kinds == patrol.target_kind
        hit = match.nonzero()[0][:1]
        if not len(hit):
            problems.append(
                message(
                    "unknown_target",
                    "target_id",
                    value=shown(patrol.target_id),
                    kind=_kind_words(patrol.target_kind),
                )
            )
        else:
            if patrol.target_kind is None:
                patrol.target_kind = str(kinds[hit[0]])
            geom = patrol.geometry
            if geom is not None and not problems:
                distance = float(distances_m(geom, geoms[hit], crs)[0])
                patrol.target_distance_m = distance
                if distance > FAR_FROM_TARGET_M:
                    warnings.append(
                        message(
                            "far_from_target",
                            "target_id",
                            km=f"{distance / 1000:.1f}",
                            kind=_kind_words(patrol.target_kind),
                            id=patrol.target_id,
                            limit=f"{FAR_FROM_TARGET_M / 1000:.0f}",
                        )
                    )

    if problems:
        raise refused(problems)
    return warnings


def _kind_words(kind: str | None) -> Words:
    """ "site", "section" or, when the kind is not known, "site or section" in words."""
    if kind in TARGET_KINDS:
        label = vocab.TARGET_KINDS[kind]
        return Words(label.zh, label.en.lower())
    return Words("化石产地和层型剖面", "site or section")
