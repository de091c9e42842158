"""The patrol record: patrols, waypoints, observations, photo references, and their content hash."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import uuid as uuidlib
from dataclasses import dataclass, field
from typing import Any

from fossilgis import vocab
from fossilgis.errors import PatrolValidationError
from fossilgis.patrols.messages import message, shown
from fossilgis.vocab import Label, Vocabulary  # noqa: F401  (Label: older callers import it)

#: observation categories: code -> Label(zh, en); the table lives in fossilgis.vocab
OBSERVATION_CATEGORIES: Vocabulary = vocab.OBSERVATION_CATEGORIES

#: categories that start the clocks of 条例 Art. 18 (on site within 24 h, opinion within 7 d)
ALERT_CATEGORIES: tuple[str, ...] = (
    "human_damage",
    "illegal_excavation",
    "construction_encroachment",
)

#: severity of an observation: code -> Label(zh, en), mildest first
SEVERITIES: Vocabulary = vocab.SEVERITIES

#: target kinds a patrol can be about (the singular of the layer kinds)
TARGET_KINDS = vocab.TARGET_KINDS.codes

#: naive times (no offset) are read as China Standard Time
CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "CST")

#: the times a record may hold: outside them a time is a typo or a hostile value (year 1 or
#: 9999 with an offset overflows datetime arithmetic; pandas ends in 2262)
EARLIEST_TIME = dt.datetime(1900, 1, 1, tzinfo=dt.timezone.utc)
LATEST_TIME = dt.datetime(2200, 1, 1, tzinfo=dt.timezone.utc)

#: namespace of the UUIDs derived from imported files (uuid5 of the file's SHA-256)
IMPORT_NAMESPACE = uuidlib.UUID("6f1b7a52-3c1e-4d8a-9a57-2f0f8e6c1d11")


def _shown(value: Any, limit: int = 60) -> str:
    """A short repr of a received value for a message (a hostile value may be huge)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def category_code(value: str) -> str | None:
    """The category code for a code, a Chinese or an English label (any case); else None.

    Parameters
    ----------
    value : str
        ``"illegal_excavation"``, ``"非法采挖"`` or ``"Illegal excavation"``.
    """
    return OBSERVATION_CATEGORIES.code_for(value)


def parse_time(value: Any, field_name: str) -> dt.datetime:
    """A timezone-aware UTC datetime from ISO 8601 text or a datetime.

    Naive values are taken as China Standard Time (UTC+8), the time of the devices in use.

    Raises
    ------
    PatrolValidationError
        When the value is missing or not an ISO 8601 time; the message names ``field_name``
        (a field path such as ``waypoints[0].observed_at``, or an option such as ``--since``).
    """
    if value is None or value == "":
        raise PatrolValidationError(message("time_missing", field_name))
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        moment = value
    else:
        text = str(value).strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise PatrolValidationError(
                message("time_invalid", field_name, value=shown(value))
            ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA_TZ)
    try:
        moment = moment.astimezone(dt.timezone.utc)
        ok = EARLIEST_TIME <= moment < LATEST_TIME
    except (OverflowError, ValueError):  # year 1 at +08:00, year 9999 at -08:00
        ok = False
    if not ok:
        raise PatrolValidationError(
            message(
                "time_out_of_range",
                field_name,
                value=shown(str(value)),
                first=EARLIEST_TIME.year,
                last=LATEST_TIME.year - 1,
            )
        )
    return moment


def format_time(moment: dt.datetime | None) -> str | None:
    """UTC ISO 8601 text (``2024-05-01T01:30:00Z``), milliseconds only when present."""
    if moment is None:
        return None
    moment = moment.astimezone(dt.timezone.utc)
    spec = "seconds" if moment.microsecond == 0 else "milliseconds"
    return moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def normalise_uuid(value: Any, field_name: str = "uuid") -> str:
    """The canonical lower-case hyphenated form of a UUID; raises PatrolValidationError."""
    try:
        return str(uuidlib.UUID(str(value).strip()))
    except (ValueError, AttributeError, TypeError):
        raise PatrolValidationError(
            message("uuid_invalid", field_name, value=shown(value))
        ) from None


@dataclass
class PhotoRef:
    """A photo attached to a patrol or a waypoint.

    ``sha256`` is the content address once the bytes are stored; before that, ``name`` names
    the uploaded file (multipart part or file in ``--photos DIR``). The other fields are
    filled from the stored photo and are not part of the record's content.
    """

    sha256: str | None = None
    name: str = ""
    mime: str | None = None
    width: int | None = None
    height: int | None = None
    lon: float | None = None
    lat: float | None = None
    taken_at: dt.datetime | None = None


@dataclass
class Observation:
    """What was seen at a waypoint: a category code, a severity code and free text."""

    category: str
    severity: str = "none"
    description: str = ""


@dataclass
class Waypoint:
    """A located, timed point of a patrol, with at most one observation and its photos.

    Several observations at one spot are several waypoints (as in SMART's mobile apps).
    """

    uuid: str
    lon: float
    lat: float
    observed_at: dt.datetime
    name: str = ""
    observation: Observation | None = None
    photos: list[PhotoRef] = field(default_factory=list)
    accuracy_m: float | None = None  # the device's horizontal accuracy (68 %), metres
    altitude_m: float | None = None  # as the device gave it


@dataclass
class Patrol:
    """One patrol (巡护): who, when, why, where (track and waypoints), about which target.

    ``target_kind``/``target_id`` name the site or section; when the client gave none they
    are inferred from the location and ``target_inferred`` is True (the inferred target is
    then not part of the content hash, so a re-send still matches). The fields after
    ``photos`` are set by the store and are not content either.
    """

    uuid: str
    started_at: dt.datetime
    ended_at: dt.datetime
    team: list[str] = field(default_factory=list)
    purpose: str = ""
    notes: str = ""
    target_kind: str | None = None
    target_id: str | None = None
    target_inferred: bool = False
    target_distance_m: float | None = None
    track: Any = None  # shapely MultiLineString in lon/lat (CGCS2000), or None
    waypoints: list[Waypoint] = field(default_factory=list)
    photos: list[PhotoRef] = field(default_factory=list)
    created_by: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    content_hash: str | None = None
    deleted_at: dt.datetime | None = None
    deleted_by: str | None = None
    track_source: str | None = None  # "file" (GPX, GeoJSON …) or "device" (recorded in the app)
    track_accuracy_m: float | None = None  # median accuracy of the recorded track's fixes
    revision: int = 0  # admin corrections made to the record (set by the store)

    @property
    def geometry(self):
        """The patrol's geometry: its track, else its waypoints as a (Multi)Point, else None."""
        import shapely

        if self.track is not None and not self.track.is_empty:
            return self.track
        points = [shapely.Point(w.lon, w.lat) for w in self.waypoints]
        if not points:
            return None
        return points[0] if len(points) == 1 else shapely.MultiPoint(points)

    def all_photos(self) -> list[PhotoRef]:
        """Patrol-level photos followed by every waypoint's photos."""
        return self.photos + [p for w in self.waypoints for p in w.photos]

    def replace(self, **changes) -> Patrol:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


def _round(value: float) -> float:
    return round(float(value), 7)  # ~1 cm: float noise never changes the hash


def _track_coords(track) -> list | None:
    if track is None or track.is_empty:
        return None
    parts = getattr(track, "geoms", [track])
    return [[[_round(x), _round(y)] for x, y, *_ in part.coords] for part in parts]


def _with_optional(content: dict, **values) -> dict:
    """``content`` plus the given values that are not None (a record sent before a field
    existed keeps its hash)."""
    content.update({k: v for k, v in values.items() if v is not None})
    return content


def canonical_content(patrol: Patrol) -> dict:
    """The client-supplied content of a patrol as plain JSON data (what the hash covers)."""
    given_target = not patrol.target_inferred
    content = {
        "uuid": patrol.uuid,
        "started_at": format_time(patrol.started_at),
        "ended_at": format_time(patrol.ended_at),
        "team": [t.strip() for t in patrol.team],
        "purpose": patrol.purpose.strip(),
        "notes": patrol.notes.strip(),
        "target_kind": patrol.target_kind if given_target else None,
        "target_id": patrol.target_id if given_target else None,
        "track": _track_coords(patrol.track),
        "photos": [p.sha256 for p in patrol.photos],
        "waypoints": [
            {
                "uuid": w.uuid,
                "lon": _round(w.lon),
                "lat": _round(w.lat),
                "observed_at": format_time(w.observed_at),
                "name": w.name.strip(),
                "observation": None
                if w.observation is None
                else {
                    "category": w.observation.category,
                    "severity": w.observation.severity,
                    "description": w.observation.description.strip(),
                },
                "photos": [p.sha256 for p in w.photos],
            }
            for w in patrol.waypoints
        ],
    }
    for w, item in zip(patrol.waypoints, content["waypoints"]):
        _with_optional(item, accuracy_m=w.accuracy_m, altitude_m=w.altitude_m)
    return _with_optional(
        content, track_source=patrol.track_source, track_accuracy_m=patrol.track_accuracy_m
    )


def content_hash(patrol: Patrol) -> str:
    """SHA-256 (hex) of the canonical JSON of the patrol's content.

    Two sends of one record have the same hash however the client spelled the times
    (offsets, naive CST), ordered the JSON keys, or rounded coordinates below 1 cm; photos
    count by their SHA-256, not their file names.

    Parameters
    ----------
    patrol : Patrol
        Photos must already be stored (every ``PhotoRef.sha256`` set).
    """
    text = json.dumps(
        canonical_content(patrol), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
