"""``fossilgis patrol alerts`` (the list) and ``fossilgis patrol alert STEP WAYPOINT_UUID`` (one
alert's life: show, acknowledge, visit, refer, close, reopen).

The list is plural, as ``patrol list``; the steps are verbs of one alert, named by its
waypoint's UUID (the ``waypoint_uuid`` column of the list), as ``case decide NUMBER`` acts on
one case. ``--user NAME`` is checked as in ``patrol import/delete/restore``: acknowledging
and visiting need the patroller or admin role, referring, closing and reopening the admin
role (the same rule as the web app); without it the step is written as ``cli:<os user>``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from fossilgis.cli._common import open_store, time_option
from fossilgis.patrols.alert_lifecycle import OUTCOMES

FORMATS = ("text", "csv")
#: the CLI verb of each step
VERBS = {
    "acknowledge": "acknowledged",
    "visit": "visited",
    "refer": "referred",
    "close": "closed",
    "reopen": "reopened",
}
_LIST_COLUMNS = [
    "report_time", "category_zh", "severity", "target_id", "on_site_status",
    "opinion_status", "status", "last_step", "waypoint_uuid",
]  # fmt: skip


def _table(store, now):
    from fossilgis.patrols.alerts import ALERT_CATEGORIES
    from fossilgis.patrols.alerts import alerts as alert_table

    waypoints = store.list_waypoints(categories=ALERT_CATEGORIES)
    return alert_table(waypoints, now, store.alert_events.frame())


@click.command()
@click.option(
    "--status",
    type=click.Choice(("all", "open", "overdue", "closed")),
    default="all",
    show_default=True,
    help="open: not closed (overdue ones too); overdue: a clock has run out; closed.",
)
@click.option("--category", help="Only this category code, e.g. illegal_excavation.")
@click.option("--site", "site_id", metavar="ID", help="Only alerts of this site or section.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.pass_context
def alerts(ctx, status, category, site_id, fmt):
    """Damage, illegal excavation and encroachment with the Art. 18 clocks and their steps.

    人为破坏、非法采挖、工程侵占：24 小时内到场，7 日内提出处理意见（条例第十八条）。A clock is
    open (running), overdue, met or late; act on one alert with `fossilgis patrol alert`.
    """
    from fossilgis.cli.patrol import _echo_table
    from fossilgis.patrols.export import format_cst

    table = _table(open_store(ctx), dt.datetime.now(dt.timezone.utc))
    if status == "open":
        table = table[~table["closed"]]
    elif status != "all":
        table = table[table["status"] == status]
    if category:
        table = table[table["category"] == category]
    if site_id:
        table = table[table["target_id"] == site_id]
    if fmt == "csv":
        _echo_table(table, list(table.columns), fmt)
        return
    counts = table["status"].value_counts()
    table = table.assign(report_time=table["report_time"].map(format_cst))
    _echo_table(table, _LIST_COLUMNS, fmt)
    n, o, c = len(table), int(counts.get("overdue", 0)), int(counts.get("closed", 0))
    click.echo(
        f"{n} alert(s): {n - c} not closed, {o} overdue, {c} closed "
        f"/ 告警 {n} 条：未办结 {n - c}，超期 {o}，已办结 {c}"
    )


@click.group()
def alert():
    """One alert's life (告警处置): show, acknowledge, visit, refer, close, reopen.

    Name the alert by its waypoint UUID (`fossilgis patrol alerts`, last column). Steps in
    order: acknowledge → visit (with the visit's patrol record) → refer (optional) → close
    with the outcome and the authority's opinion; a closed alert can be reopened.
    """


def _step_command(verb: str, help_text: str, *extra):
    """Declare ``patrol alert VERB WAYPOINT_UUID`` with ``--at``, ``--note``, ``--user``
    and the ``extra`` options; the body records the step and prints where the alert stands."""
    step = VERBS[verb]
    note_help = {
        "refer": "Which authority it went to, e.g. 关岭县自然资源局 (required). 移交单位。",
        "reopen": "Why it is reopened (required). 重新打开的原因。",
    }.get(verb, "A note. 备注。")

    def body(ctx, waypoint_uuid, at, note, username, **values):
        from fossilgis.cli.patrol import _acting_user

        store = open_store(ctx)
        user = _acting_user(store, username, admin=verb in ("refer", "close", "reopen"))
        path = values.pop("attachment", None)
        if path is not None:
            values["attachment"] = (path.name, path.read_bytes())
        event = store.alert_events.record(
            waypoint_uuid, step, user=user, at=at, note=note, **values
        )
        _echo_after(store, event)

    body.__name__ = verb
    body.__doc__ = help_text
    command = click.pass_context(body)
    for option in reversed(
        [
            click.argument("waypoint_uuid"),
            time_option("--at", "When it happened (ISO 8601; naive = UTC+8); default now."),
            click.option("--note", help=note_help),
            *extra,
            click.option("--user", "username", metavar="NAME", help="Act as this user."),
        ]
    ):
        command = option(command)
    return alert.command(verb)(command)


_attachment = click.option(
    "--attachment",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The document (PDF, JPEG or PNG, at most 20 MB). 附件。",
)

_step_command("acknowledge", "The alert has been seen and is being handled. 确认告警。")
_step_command(
    "visit",
    "Someone was on site: stops the 24-hour clock. 到场核查（停止 24 小时计时）。\n\n"
    "--at defaults to the start of the visit's patrol.",
    click.option(
        "--patrol",
        "visit_patrol_uuid",
        metavar="UUID",
        required=True,
        help="The patrol record of the visit (import it first). 到场巡护记录。",
    ),
    _attachment,
)
_step_command(
    "refer", "Referred to the authority (or up to the province). 移交主管部门。", _attachment
)
_step_command(
    "close",
    "Closed with the outcome and the authority's opinion: stops the 7-day clock. "
    "办结（记录处理意见，停止 7 日计时）。",
    click.option(
        "--outcome",
        required=True,
        type=click.Choice(OUTCOMES.codes),
        metavar="CODE",
        help="How it ended. 处置结果：" + "，".join(f"{c} {OUTCOMES.zh(c)}" for c in OUTCOMES),
    ),
    click.option("--opinion", required=True, help="The authority's handling opinion. 处理意见。"),
    _attachment,
)
_step_command("reopen", "Reopen a closed alert: the 7-day clock runs again. 重新打开。")


def _echo_after(store, event) -> None:
    from fossilgis.patrols.alert_lifecycle import CLOCK_STATES, STEPS, bj_time

    table = _table(store, dt.datetime.now(dt.timezone.utc))
    row = table[table["waypoint_uuid"] == event.waypoint_uuid].iloc[0]
    label = STEPS[event.step]
    click.echo(
        f"Alert {event.waypoint_uuid}: {label.en.lower()} at {bj_time(event.at)} by "
        f"{event.username} (step {event.seq}) / {label.zh}"
    )
    if event.attachment_sha256:
        click.echo(f"  attachment {event.attachment_name} (sha256 {event.attachment_sha256[:12]}…)")
    on_site, opinion = (CLOCK_STATES[row[c]] for c in ("on_site_status", "opinion_status"))
    click.echo(
        f"  on site (24 h): {on_site.en.lower()}; opinion (7 d): {opinion.en.lower()} "
        f"/ 到场：{on_site.zh}；处理意见：{opinion.zh}"
    )


@alert.command()
@click.argument("waypoint_uuid")
@click.pass_context
def show(ctx, waypoint_uuid):
    """The alert, its clocks and its steps. 告警详情与处置记录。"""
    import uuid as uuidlib

    from fossilgis.auth import escape_control
    from fossilgis.errors import RecordNotFoundError
    from fossilgis.patrols.alert_lifecycle import (
        CLOCK_STATES,
        OUTCOMES,
        STEPS,
        allowed_steps,
        bj_time,
    )

    store = open_store(ctx)
    events = store.alert_events.events(waypoint_uuid)  # refuses what is not a UUID
    key = str(uuidlib.UUID(waypoint_uuid.strip()))
    table = _table(store, dt.datetime.now(dt.timezone.utc))
    rows = table[table["waypoint_uuid"] == key]
    if rows.empty:
        raise RecordNotFoundError(
            f"no alert {key} among the alerts of patrols not deleted "
            "(see `fossilgis patrol alerts`) / 无此告警"
        )
    r = rows.iloc[0]
    safe = escape_control
    click.echo(f"alert      {r['waypoint_uuid']} ({r['category_zh']} {r['category_en']})")
    click.echo(f"patrol     {r['patrol_uuid']}  target {r['target_id'] or '–'}")
    click.echo(f"reported   {bj_time(r['report_time'])}  severity {r['severity']}")
    click.echo(f"described  {safe(r['description']) or '–'}")
    for name, due in (("on site", "on_site"), ("opinion", "opinion")):
        state = CLOCK_STATES[r[f"{due}_status"]]
        click.echo(f"{name:<10} due {bj_time(r[f'{due}_due'])}: {state.en.lower()} / {state.zh}")
    for e in events:
        extra = [
            f"patrol {e.visit_patrol_uuid}" if e.visit_patrol_uuid else "",
            f"outcome {OUTCOMES.label(e.outcome)}" if e.outcome else "",
            f"opinion: {safe(e.opinion)}" if e.opinion else "",
            f"note: {safe(e.note)}" if e.note else "",
            f"attachment {safe(e.attachment_name)}" if e.attachment_name else "",
        ]
        click.echo(
            f"  {e.seq}. {STEPS.label(e.step)}  {bj_time(e.at)}  {safe(e.username)}  "
            + "; ".join(x for x in extra if x)
        )
    nxt = {v: k for k, v in VERBS.items()}
    click.echo("next: " + ", ".join(nxt[s] for s in allowed_steps(events)))
