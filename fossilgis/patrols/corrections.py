"""An admin's correction of a stored patrol: what may change, applying it, and the versions.

A correction changes a record's target, purpose, notes, team and the observations of its
waypoints (category, severity, description), with a reason; never the uploaded track,
positions, times or photos. The store keeps the editable content before each correction
(:func:`editable_content`, table ``patrol_revisions``) and leaves the record's content hash
that of the upload, so that the client's re-send of the original is still recognised
(200, "stored before") and does not undo the correction. No I/O here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from fossilgis.errors import PatrolValidationError
from fossilgis.patrols.model import (
    OBSERVATION_CATEGORIES,
    SEVERITIES,
    TARGET_KINDS,
    Observation,
    Patrol,
    normalise_uuid,
)
from fossilgis.patrols.validate import BAD_TEXT, MAX_LONG_TEXT, MAX_SHORT_TEXT, MAX_TEAM

#: the patrol fields a correction may change (besides its waypoints' observations)
PATROL_FIELDS = ("target", "purpose", "notes", "team")
#: the observation fields a correction may change, per waypoint
OBSERVATION_FIELDS = ("category", "severity", "description")
#: longest reason (characters)
MAX_REASON = 2_000
#: a target farther than this from the patrol draws a warning (metres), as on upload
FAR_FROM_TARGET_M = 5_000.0


class _Keep:
    """The value of a correction field left as it is."""

    def __repr__(self) -> str:
        return "KEEP"


#: leave the target as it is (``Correction.target``); None clears it
KEEP: Any = _Keep()


@dataclass
class Correction:
    """What an admin changes in a record, and why.

    ``target`` is ``(kind, id)``, None (no target) or :data:`KEEP`; ``purpose``, ``notes``
    and ``team`` are the new values or None (unchanged); ``observations`` maps a waypoint
    UUID to the fields it changes (``category``, ``severity``, ``description``; a category
    of ``""`` removes the waypoint's observation).
    """

    reason: str
    target: Any = KEEP
    purpose: str | None = None
    notes: str | None = None
    team: list[str] | None = None
    observations: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class Applied:
    """A correction applied: the corrected record (not stored yet), the editable content
    before it, the changes field by field, and warnings for the editor."""

    patrol: Patrol
    previous: dict
    changes: list[dict]
    warnings: list[str] = field(default_factory=list)


def editable_content(patrol: Patrol) -> dict:
    """The part of a record a correction may change, as plain JSON data (what the store
    keeps of each version). Observations are listed in waypoint order."""
    return {
        "target_kind": patrol.target_kind,
        "target_id": patrol.target_id,
        "target_inferred": bool(patrol.target_inferred),
        "target_distance_m": patrol.target_distance_m,
        "purpose": patrol.purpose,
        "notes": patrol.notes,
        "team": list(patrol.team),
        "observations": [
            {
                "waypoint_uuid": w.uuid,
                "category": w.observation.category if w.observation else None,
                "severity": w.observation.severity if w.observation else None,
                "description": w.observation.description if w.observation else None,
            }
            for w in patrol.waypoints
        ],
    }


def target_text(kind: str | None, target_id: str | None) -> str | None:
    """``"site:GZ-F03"``, or None for no target."""
    return f"{kind}:{target_id}" if target_id else None


def parse_target(text: str | None, targets=None):
    """``(kind, id)`` from ``"site:GZ-F03"`` (or ``"GZ-F03"`` when ``targets`` tells its
    kind); None for ``""``, ``"none"`` or ``"-"`` (no target).

    Raises
    ------
    PatrolValidationError
        An unknown kind, or an id without a kind that ``targets`` does not hold once.
    """
    value = (text or "").strip()
    if value.lower() in ("", "none", "-", "–", "无"):
        return None
    kind, sep, target_id = value.partition(":")
    if sep and kind in TARGET_KINDS:
        return kind, target_id.strip()
    if sep and kind.strip():
        raise PatrolValidationError(
            f"target: {value!r} has the kind {kind!r}; expected site:ID or section:ID "
            "(e.g. site:GZ-F03), or none / 对象类型应为 site 或 section"
        )
    if targets is not None:
        kinds = sorted(set(targets.loc[targets["id"] == value, "kind"]))
        if len(kinds) == 1:
            return kinds[0], value
    raise PatrolValidationError(
        f"target: {value!r} is not a known site or section; write site:ID or section:ID "
        "(e.g. site:GZ-F03), or none / 保护对象编号不存在，请写成 site:编号 或 section:编号"
    )


def _text_problem(name: str, value, limit: int) -> str | None:
    if not isinstance(value, str):
        return f"{name}: expected text, found {type(value).__name__} / 应为文本"
    bad = BAD_TEXT.search(value)
    if bad:
        return (
            f"{name}: character U+{ord(bad.group()):04X} at position {bad.start() + 1} is not "
            "allowed (control characters are refused; tabs and line breaks are fine) "
            "/ 文本含不允许的控制字符，请删除"
        )
    if len(value) > limit:
        return f"{name}: {len(value)} characters; at most {limit} / 文本过长（最多 {limit} 字）"
    return None


def _resolve_target(patrol: Patrol, target, targets, problems, warnings) -> dict:
    """The target fields of the corrected record (a chosen target is never "inferred")."""
    if target is None:
        return {"target_kind": None, "target_id": None, "target_inferred": False,
                "target_distance_m": None}  # fmt: skip
    try:
        kind, target_id = target
    except (TypeError, ValueError):
        problems.append(f"target: {target!r} is not (kind, id) / 保护对象格式错误")
        return {}
    target_id = str(target_id).strip()
    if kind not in TARGET_KINDS or not target_id:
        problems.append(
            f"target: {kind!r}:{target_id!r}; expected site:ID or section:ID / 对象类型应为 "
            "site 或 section"
        )
        return {}
    problem = _text_problem("target", target_id, MAX_SHORT_TEXT)
    if problem:
        problems.append(problem)
        return {}
    distance = None
    if targets is not None:
        hit = targets[(targets["kind"] == kind) & (targets["id"] == target_id)]
        if hit.empty:
            problems.append(
                f"target: no {kind} with id {target_id!r} in the reference layers (see "
                "`fossilgis layers export`) / 保护对象编号不存在"
            )
            return {}
        if patrol.geometry is not None:
            from fossilgis.patrols.infer import distances_m

            distance = float(distances_m(patrol.geometry, hit.geometry.values, hit.crs)[0])
            if distance > FAR_FROM_TARGET_M:
                warnings.append(
                    f"the patrol is {distance / 1000:.1f} km from {kind} {target_id}; check the "
                    "id / 轨迹距所选保护对象较远，请核对编号"
                )
    return {"target_kind": kind, "target_id": target_id, "target_inferred": False,
            "target_distance_m": distance}  # fmt: skip


def _observation(obs: Observation | None, edit: dict, where: str, problems) -> Any:
    """The waypoint's observation after ``edit`` (None: none); problems appended."""
    unknown = sorted(set(edit) - set(OBSERVATION_FIELDS))
    if unknown:
        problems.append(
            f"{where}: cannot change {', '.join(unknown)}; a correction changes "
            f"{', '.join(OBSERVATION_FIELDS)} only (never positions, times or photos) "
            "/ 只能更正类别、严重程度和描述"
        )
        return obs
    category = obs.category if obs else None
    if "category" in edit:
        raw = (edit["category"] or "").strip()
        category = OBSERVATION_CATEGORIES.code_for(raw) if raw else None
        if raw and category is None:
            choices = ", ".join(f"{c} ({lab.zh})" for c, lab in OBSERVATION_CATEGORIES.items())
            problems.append(
                f"{where}.category: {raw!r} is not a category; expected one of: {choices}"
            )
            return obs
    if category is None:
        if obs is None and any((edit.get(k) or "").strip() for k in ("severity", "description")):
            problems.append(
                f"{where}: has no observation; give a category first / 该航点无观测，请先填写类别"
            )
        return None
    severity = obs.severity if obs else "none"
    if (edit.get("severity") or "").strip():
        raw = edit["severity"].strip()
        severity = SEVERITIES.code_for(raw)
        if severity is None:
            problems.append(
                f"{where}.severity: {raw!r} is not a severity; expected "
                + ", ".join(f"{c} ({lab.zh})" for c, lab in SEVERITIES.items())
            )
            return obs
    description = edit.get("description", obs.description if obs else "")
    problem = _text_problem(f"{where}.description", description, MAX_LONG_TEXT)
    if problem:
        problems.append(problem)
        return obs
    return Observation(category, severity, description.strip())


def apply_correction(patrol: Patrol, correction: Correction, targets=None) -> Applied:
    """The record as corrected, with the changes field by field; nothing is stored.

    Parameters
    ----------
    patrol : Patrol
        The stored record.
    correction : Correction
    targets : GeoDataFrame, optional
        Sites and sections (:func:`fossilgis.patrols.submit.load_targets`): a new target
        must be one of them, and its distance from the patrol is recorded as on upload.

    Raises
    ------
    PatrolValidationError
        No reason, a value that cannot be stored, an unknown target, category, severity or
        waypoint, or nothing changed; every problem is listed, each naming its field.
    """
    problems: list[str] = []
    warnings: list[str] = []
    reason = correction.reason.strip() if isinstance(correction.reason, str) else ""
    if not reason:
        problems.append("reason: missing; say why the record is corrected / 请填写更正理由")
    elif problem := _text_problem("reason", reason, MAX_REASON):
        problems.append(problem)
    changes: dict[str, Any] = {}
    if correction.target is not KEEP:
        changes.update(_resolve_target(patrol, correction.target, targets, problems, warnings))
    for name, limit in (("purpose", MAX_SHORT_TEXT), ("notes", MAX_LONG_TEXT)):
        value = getattr(correction, name)
        if value is not None:
            problem = _text_problem(name, value, limit)
            if problem:
                problems.append(problem)
            else:
                changes[name] = value.strip()
    if correction.team is not None:
        team = [m.strip() for m in correction.team if isinstance(m, str) and m.strip()]
        if len(team) > MAX_TEAM:
            problems.append(f"team: {len(team)} members; at most {MAX_TEAM} / 巡护人员过多")
        problems += [
            p for i, m in enumerate(team) if (p := _text_problem(f"team[{i}]", m, MAX_SHORT_TEXT))
        ]
        changes["team"] = team
    edits = {}
    for key, edit in correction.observations.items():
        try:
            edits[normalise_uuid(key, "waypoint")] = dict(edit)
        except PatrolValidationError as exc:
            problems.append(str(exc))
    known = {w.uuid for w in patrol.waypoints}
    for key in sorted(set(edits) - known):
        problems.append(
            f"waypoint {key}: not a waypoint of patrol {patrol.uuid} (see `fossilgis patrol "
            "history`) / 该航点不属于此记录"
        )
    waypoints = []
    for i, w in enumerate(patrol.waypoints):
        if w.uuid in edits:
            obs = _observation(w.observation, edits[w.uuid], f"waypoints[{i}]", problems)
            w = dataclasses.replace(w, observation=obs)
        waypoints.append(w)
    if problems:
        raise PatrolValidationError("; ".join(problems), problems)
    corrected = patrol.replace(waypoints=waypoints, **changes)
    previous = editable_content(patrol)
    diff = content_changes(previous, editable_content(corrected))
    if not diff:
        raise PatrolValidationError(
            "nothing to correct: every value given is the one stored / 没有需要更正的内容"
        )
    return Applied(corrected, previous, diff, warnings)


def content_changes(before: dict, after: dict) -> list[dict]:
    """The differences between two :func:`editable_content` values, field by field.

    Each change is ``{"field", "waypoint", "waypoint_uuid", "old", "new"}``: ``field`` is
    ``target`` (``"site:GZ-F03"`` or None), ``target_inferred``, ``purpose``, ``notes``,
    ``team`` (a list), or an observation field with the waypoint's number (1-based) and UUID.
    """
    out = []

    def add(name, old, new, number=None, wp_uuid=None):
        if old != new:
            out.append(
                {
                    "field": name,
                    "waypoint": number,
                    "waypoint_uuid": wp_uuid,
                    "old": old,
                    "new": new,
                }
            )

    add(
        "target",
        target_text(before.get("target_kind"), before.get("target_id")),
        target_text(after.get("target_kind"), after.get("target_id")),
    )
    if before.get("target_id") or after.get("target_id"):
        add(
            "target_inferred",
            bool(before.get("target_inferred")),
            bool(after.get("target_inferred")),
        )
    for name in ("purpose", "notes"):
        add(name, before.get(name) or "", after.get(name) or "")
    add("team", list(before.get("team") or []), list(after.get("team") or []))
    old_obs = {o["waypoint_uuid"]: o for o in before.get("observations") or []}
    for number, new in enumerate(after.get("observations") or [], start=1):
        old = old_obs.get(new["waypoint_uuid"], {})
        for name in OBSERVATION_FIELDS:
            add(name, old.get(name), new.get(name), number, new["waypoint_uuid"])
    return out


def versions(current: Patrol, revisions: list[dict]) -> list[dict]:
    """Every version of a record, oldest first: as uploaded, then after each correction.

    Parameters
    ----------
    current : Patrol
        The stored record (its latest version).
    revisions : list of dict
        The ``patrol_revisions`` rows of the record (``revision``, ``edited_at``,
        ``edited_by``, ``reason``, ``previous``), in any order.

    Returns
    -------
    list of dict
        ``revision`` (0: as uploaded), ``at``, ``by``, ``reason`` (None for the upload),
        ``content`` (:func:`editable_content`) and ``changes`` from the version before
        (:func:`content_changes`; empty for the upload).
    """
    rows = sorted(revisions, key=lambda r: r["revision"])
    contents = [r["previous"] for r in rows] + [editable_content(current)]
    out = [
        {
            "revision": 0,
            "at": current.created_at,
            "by": current.created_by,
            "reason": None,
            "content": contents[0],
            "changes": [],
        }
    ]
    for i, row in enumerate(rows, start=1):
        out.append(
            {
                "revision": row["revision"],
                "at": row["edited_at"],
                "by": row["edited_by"],
                "reason": row["reason"],
                "content": contents[i],
                "changes": content_changes(contents[i - 1], contents[i]),
            }
        )
    return out
