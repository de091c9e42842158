"""``fossilgis patrol correct`` and ``fossilgis patrol history``: an admin corrects a record's
target, purpose, notes, team and observations with a reason; every version is kept and shown.

Registered on the ``patrol`` group by an import at the end of :mod:`fossilgis.cli.patrol`.
"""

from __future__ import annotations

import re

import click

from fossilgis.cli._common import open_store
from fossilgis.cli.patrol import _acting_user, patrol

#: how a change's field is named in the CLI's text (English / 中文)
FIELD_NAMES = {
    "target": "target / 保护对象",
    "target_inferred": "target inferred from the location / 对象由位置推断",
    "purpose": "purpose / 目的",
    "notes": "notes / 备注",
    "team": "team / 人员",
    "category": "category / 类别",
    "severity": "severity / 严重程度",
    "description": "description / 描述",
}


def _shown(value) -> str:
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, bool):
        return "yes / 是" if value else "no / 否"
    if isinstance(value, list):
        return "、".join(value)
    return repr(value) if isinstance(value, str) and "\n" in value else str(value)


def change_lines(changes: list[dict]) -> list[str]:
    """One line per change: ``waypoint 2 category: illegal_excavation → intact``."""
    lines = []
    for c in changes:
        where = f"waypoint {c['waypoint']} / 航点 {c['waypoint']} " if c["waypoint"] else ""
        lines.append(f"{where}{FIELD_NAMES[c['field']]}: {_shown(c['old'])} → {_shown(c['new'])}")
    return lines


_OBS_KEYS = re.compile(r",\s*(?=(?:category|severity|description)\s*=)")
_OBS_HINT = "--observation"


def parse_observation(text: str) -> tuple[str, dict[str, str]]:
    """``("WAYPOINT", {"category": …})`` from ``WAYPOINT:category=…,severity=…,description=…``.

    A description may hold commas: only ``,category=``, ``,severity=`` and ``,description=``
    start a new field. ``WAYPOINT`` is a waypoint's number (from 1) or UUID.
    """
    from fossilgis.patrols.corrections import OBSERVATION_FIELDS

    ref, sep, rest = (text or "").partition(":")
    if not sep or not ref.strip() or not rest.strip():
        raise click.BadParameter(
            f"{text!r}: expected WAYPOINT:category=…,severity=…,description=… (WAYPOINT: its "
            "number from 1, or its UUID) / 格式应为 航点:category=…,severity=…",
            param_hint=_OBS_HINT,
        )
    fields = {}
    for part in _OBS_KEYS.split(rest):
        key, eq, value = part.partition("=")
        if not eq or key.strip() not in OBSERVATION_FIELDS:
            raise click.BadParameter(
                f"{text!r}: {part.strip()!r} is not FIELD=VALUE with FIELD one of "
                f"{', '.join(OBSERVATION_FIELDS)} / 字段应为 category、severity 或 description",
                param_hint=_OBS_HINT,
            )
        fields[key.strip()] = value
    return ref.strip(), fields


def waypoint_of(record, ref: str) -> str:
    """The UUID of the waypoint of ``record`` that ``ref`` names (its number or UUID)."""
    from fossilgis.errors import PatrolValidationError
    from fossilgis.patrols.model import normalise_uuid

    if ref.isdigit():
        if 1 <= int(ref) <= len(record.waypoints):
            return record.waypoints[int(ref) - 1].uuid
        raise click.BadParameter(
            f"waypoint {ref}: patrol {record.uuid} has {len(record.waypoints)} waypoint(s), "
            "numbered from 1 (see `fossilgis patrol history`) / 航点编号超出范围",
            param_hint=_OBS_HINT,
        )
    try:
        return normalise_uuid(ref, "waypoint")
    except PatrolValidationError as exc:
        raise click.BadParameter(str(exc), param_hint=_OBS_HINT) from None


@patrol.command()
@click.argument("uuid")
@click.option("--reason", required=True, help="Why the record is corrected (required). 更正理由。")
@click.option(
    "--target",
    metavar="KIND:ID",
    help="The right site or section (site:GZ-F03, section:ID, or none). 保护对象。",
)
@click.option("--purpose", default=None, help="The right purpose. 目的。")
@click.option("--notes", default=None, help="The right notes. 备注。")
@click.option(
    "--team",
    multiple=True,
    metavar="NAME",
    help="The right team (repeat, or separate with commas); replaces the team. 巡护人员。",
)
@click.option(
    "--observation",
    "observations",
    multiple=True,
    metavar="WAYPOINT:FIELD=VALUE,…",
    help=(
        "Correct a waypoint's observation: WAYPOINT is its number (from 1) or UUID; fields "
        "category, severity, description (e.g. 2:category=intact,severity=none); "
        "category= (empty) removes the observation. Repeat per waypoint. 更正观测。"
    ),
)
@click.option("--user", "username", metavar="NAME", help="Correct as this admin (audit log).")
@click.pass_context
def correct(ctx, uuid, reason, target, purpose, notes, team, observations, username):
    """Correct a patrol record (admin); the uploaded track, positions, times and photos stay.

    更正巡护记录（管理员）：保护对象、目的、备注、人员和观测；原始轨迹、位置、时间和照片不可更改。
    The version before is kept (`fossilgis patrol history UUID`), and the client's re-send of
    the original still answers "stored before" without undoing the correction.
    """
    from fossilgis.errors import PatrolValidationError, RecordNotFoundError
    from fossilgis.patrols.corrections import KEEP, Correction, parse_target
    from fossilgis.patrols.submit import load_targets

    store = open_store(ctx)
    user = _acting_user(store, username, admin=True)
    record = store.get_patrol(uuid.strip().lower())
    if record is None:
        raise RecordNotFoundError(f"no patrol {uuid} (see `fossilgis patrol list --deleted`)")
    targets = load_targets(store)
    edits: dict[str, dict] = {}
    for text in observations:
        ref, fields = parse_observation(text)
        edits.setdefault(waypoint_of(record, ref), {}).update(fields)
    members = [m.strip() for t in team for m in t.replace("，", ",").split(",") if m.strip()]
    try:
        chosen = KEEP if target is None else parse_target(target, targets)
    except PatrolValidationError as exc:
        raise click.BadParameter(str(exc), param_hint="--target") from None
    correction = Correction(
        reason=reason,
        target=chosen,
        purpose=purpose,
        notes=notes,
        team=members if team else None,
        observations=edits,
    )
    applied = store.patrols.revisions.correct(
        record.uuid, correction, user, targets=targets, expected_revision=record.revision
    )
    rec = applied.patrol
    click.echo(
        f"Corrected patrol {rec.uuid}: revision {rec.revision}, {len(applied.changes)} "
        f"change(s). 已更正（第 {rec.revision} 次更正）。"
    )
    for line in change_lines(applied.changes):
        click.echo(f"  {line}")
    for warning in applied.warnings:
        click.echo(f"  warning: {warning}")


@patrol.command()
@click.argument("uuid")
@click.option(
    "--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True
)
@click.pass_context
def history(ctx, uuid, fmt):
    """Every version of a patrol record: who, when, why, what changed. 记录的各个版本。

    Version 0 is the record as uploaded; each correction adds one. Times are Beijing time.
    """
    import json

    from fossilgis.patrols.model import format_time
    from fossilgis.report.wording import beijing_time

    store = open_store(ctx)
    versions = store.patrols.revisions.history(uuid.strip().lower())
    if fmt == "json":
        out = [
            {k: format_time(v) if k == "at" and v is not None else v for k, v in rec.items()}
            for rec in versions
        ]
        click.echo(json.dumps(out, ensure_ascii=False, indent=1))
        return
    record = store.get_patrol(uuid.strip().lower())
    click.echo(f"Patrol {record.uuid}: {len(versions)} version(s) / 共 {len(versions)} 个版本")
    for rec in versions:
        when = beijing_time(rec["at"])
        if rec["revision"] == 0:
            click.echo(f"revision 0 · uploaded by {rec['by']} · {when} / 原始上传")
            continue
        click.echo(f"revision {rec['revision']} · corrected by {rec['by']} · {when} / 更正")
        click.echo(f"  reason / 理由: {rec['reason']}")
        for line in change_lines(rec["changes"]):
            click.echo(f"  {line}")
    click.echo("waypoints / 航点:")
    for number, w in enumerate(record.waypoints, start=1):
        obs = w.observation
        what = f"{obs.category} ({obs.severity})" if obs else "–"
        click.echo(f"  {number}  {w.uuid}  {beijing_time(w.observed_at)}  {what}")
