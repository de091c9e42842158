"""Checks of a patrol before it is stored: errors refuse it, warnings go back to the sender."""

from __future__ import annotations

import datetime as dt
import math
import re
import weakref

from fossilgis.errors import PatrolValidationError
from fossilgis.geo import CRS_GEOGRAPHIC, GUIZHOU_BOUNDS, format_bounds
from fossilgis.patrols.infer import distances_m
from fossilgis.patrols.model import (
    OBSERVATION_CATEGORIES,
    SEVERITIES,
    TARGET_KINDS,
    Patrol,
    format_time,
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
_BAD_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

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


def _text_problems(patrol: Patrol) -> list[str]:
    """Text that cannot be stored, exported or shown safely: control characters (a NUL
    breaks the KML export), lone surrogates (unencodable), absurd lengths."""
    problems = []
    if len(patrol.team) > MAX_TEAM:
        problems.append(f"team: {len(patrol.team)} members; at most {MAX_TEAM} / 巡护人员过多")
    for name, value, limit in _text_fields(patrol):
        if not value:
            continue
        if not isinstance(value, str):
            problems.append(f"{name}: expected text, found {type(value).__name__} / 应为文本")
            continue
        bad = _BAD_TEXT.search(value)
        if bad:
            problems.append(
                f"{name}: character U+{ord(bad.group()):04X} at position {bad.start() + 1} "
                "is not allowed (control characters and lone surrogates are refused; tabs "
                "and line breaks are fine) / 文本含控制字符等不允许的字符，请删除"
            )
        elif len(value) > limit:
            problems.append(
                f"{name}: {len(value)} characters; at most {limit} / 文本过长（最多 {limit} 字）"
            )
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


def _coord_problems(patrol: Patrol) -> list[str]:
    problems = []
    where = f"Guizhou {format_bounds(GUIZHOU_BOUNDS, 1)} (lon/lat, CGCS2000/WGS 84 degrees)"
    if patrol.track is not None and not patrol.track.is_empty:
        parts = getattr(patrol.track, "geoms", [patrol.track])
        bad = [(x, y) for part in parts for x, y, *_ in part.coords if _outside(x, y)]
        if bad:
            x, y = bad[0]
            problems.append(
                f"track: {len(bad)} point(s) outside {where}, first at lon {x:.6f}, "
                f"lat {y:.6f}; check the file's coordinates (lat/lon swapped? wrong device "
                "datum?) / 轨迹点超出贵州范围"
            )
    for i, w in enumerate(patrol.waypoints):
        if _outside(w.lon, w.lat):
            problems.append(
                f"waypoints[{i}]: lon {w.lon}, lat {w.lat} is outside {where} / 航点超出贵州范围"
            )
    return problems


def validate_patrol(patrol: Patrol, targets=None, now: dt.datetime | None = None) -> list[str]:
    """Check a patrol; raise on errors, return warnings (bilingual text).

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
    list of str
        Warnings: a track far from the chosen target, waypoints timed outside the patrol,
        no team members, a very long patrol.

    Raises
    ------
    PatrolValidationError
        With every problem found, each naming its field: a bad UUID, times missing, in the
        future or an end before the start, coordinates outside Guizhou, an unknown category,
        severity or target, no location at all.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    problems: list[str] = []
    warnings: list[str] = []

    try:
        patrol.uuid = normalise_uuid(patrol.uuid)
    except PatrolValidationError as exc:
        problems.append(str(exc))

    problems += _text_problems(patrol)

    latest = now + CLOCK_SKEW
    if patrol.ended_at < patrol.started_at:
        problems.append(
            f"ended_at: {format_time(patrol.ended_at)} is before started_at "
            f"{format_time(patrol.started_at)} / 结束时间早于开始时间"
        )
    for name in ("started_at", "ended_at"):
        value = getattr(patrol, name)
        if value > latest:
            problems.append(
                f"{name}: {format_time(value)} is in the future (server time "
                f"{format_time(now)}); check the device clock / 时间晚于当前时间"
            )
    if patrol.ended_at - patrol.started_at > LONG_PATROL:
        warnings.append(
            f"the patrol lasts {(patrol.ended_at - patrol.started_at).total_seconds() / 3600:.0f} h"
            " (more than 48 h); check the dates / 巡护时长超过 48 小时，请核对日期"
        )
    if not [t for t in patrol.team if str(t).strip()]:
        warnings.append("team: no team members given / 未填写巡护人员")

    problems += _coord_problems(patrol)
    if patrol.geometry is None and not patrol.target_id:
        problems.append(
            "track/waypoints: the patrol has no location; give a track, a waypoint or a "
            "site/section id / 无轨迹、航点或保护对象编号"
        )

    seen = set()
    for i, w in enumerate(patrol.waypoints):
        try:
            w.uuid = normalise_uuid(w.uuid, f"waypoints[{i}].uuid")
        except PatrolValidationError as exc:
            problems.append(str(exc))
        if w.uuid in seen:
            problems.append(f"waypoints[{i}].uuid: {w.uuid} appears twice in this patrol")
        seen.add(w.uuid)
        if w.observed_at > latest:
            problems.append(
                f"waypoints[{i}].observed_at: {format_time(w.observed_at)} is in the future "
                f"(server time {format_time(now)}) / 观测时间晚于当前时间"
            )
        elif not (
            patrol.started_at - dt.timedelta(hours=1)
            <= w.observed_at
            <= patrol.ended_at + dt.timedelta(hours=1)
        ):
            warnings.append(
                f"waypoints[{i}].observed_at: {format_time(w.observed_at)} is outside the "
                f"patrol ({format_time(patrol.started_at)} – {format_time(patrol.ended_at)}) "
                "/ 观测时间不在巡护时段内"
            )
        obs = w.observation
        if obs is not None:
            if obs.category not in OBSERVATION_CATEGORIES:
                choices = ", ".join(f"{c} ({lab.zh})" for c, lab in OBSERVATION_CATEGORIES.items())
                problems.append(
                    f"waypoints[{i}].category: {obs.category!r} is not a category; "
                    f"expected one of: {choices}"
                )
            if obs.severity not in SEVERITIES:
                problems.append(
                    f"waypoints[{i}].severity: {obs.severity!r} is not a severity; expected "
                    + ", ".join(f"{c} ({lab.zh})" for c, lab in SEVERITIES.items())
                )

    if patrol.target_kind is not None and patrol.target_kind not in TARGET_KINDS:
        problems.append(f"target_kind: {patrol.target_kind!r} is unknown; expected site or section")
    elif patrol.target_id and targets is not None:
        ids, kinds, geoms, crs = _target_arrays(targets)
        match = ids == patrol.target_id
        if patrol.target_kind:
            match &= kinds == patrol.target_kind
        hit = match.nonzero()[0][:1]
        if not len(hit):
            problems.append(
                f"target_id: no {patrol.target_kind or 'site or section'} with id "
                f"{patrol.target_id!r} in the reference layers (see `fossilgis layers export`)"
                " / 保护对象编号不存在"
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
                        f"the track is {distance / 1000:.1f} km from {patrol.target_kind} "
                        f"{patrol.target_id} (more than {FAR_FROM_TARGET_M / 1000:.0f} km); "
                        "check the site id / 轨迹距所选保护对象较远，请核对编号"
                    )

    if problems:
        head = f"patrol {patrol.uuid}: {len(problems)} problem(s): " if len(problems) > 1 else ""
        raise PatrolValidationError(head + "; ".join(problems), problems)
    return warnings
