"""The alert lifecycle: which step may follow which, and the Art. 18 clocks read from the steps.

An alert (a waypoint whose category is in :data:`~fossilgis.patrols.model.ALERT_CATEGORIES`)
is ``acknowledged``, ``visited`` (with the visit's own patrol record), ``referred`` to the
authority, ``closed`` with the outcome and the authority's opinion, and may be
``reopened``. Each step is an :class:`AlertEvent`; the store keeps them in ``alert_events``
(:mod:`fossilgis.store.alert_events`). Nothing here reads or writes a store, except
:func:`closed_times`, which asks the one it is given for its events.

条例 Art. 18 (《古生物化石保护条例》第十八条): "县级以上地方人民政府自然资源主管部门接到报告后，
应当在24小时内赶赴现场，并在7日内提出处理意见。" Both clocks run from the report (the
observation time). The on-site clock stops at the earliest ``visited`` step; the opinion clock
stops at the ``closed`` step in force, which must carry the authority's opinion: closing *is*
recording the opinion. A reopen voids the closing it follows, so the opinion clock runs again
against the same due time; a visit is never voided (the site was visited). A clock stopped
by its due time is ``met``, stopped later ``late``; still running it is ``open`` until due,
then ``overdue``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, fields

from fossilgis.errors import ConflictError, FossilGISError
from fossilgis.vocab import ALERT_CLOCKS, ALERT_OUTCOMES, ALERT_STATUSES, ALERT_STEPS

ON_SITE_WITHIN = dt.timedelta(hours=24)
OPINION_WITHIN = dt.timedelta(days=7)

#: the vocabularies of an alert's life live in fossilgis.vocab: steps, outcomes, the state
#: of a clock and of the alert
STEPS = ALERT_STEPS
OUTCOMES = ALERT_OUTCOMES
CLOCK_STATES = ALERT_CLOCKS
ALERT_STATES = ALERT_STATUSES
#: steps only an admin may record (acknowledging and visiting: patrollers too)
ADMIN_STEPS = ("referred", "closed", "reopened")
#: longest note and opinion kept (characters)
MAX_NOTE = 2000
MAX_OPINION = 20000


class AlertStepError(FossilGISError, ValueError):
    """A step's value is missing or wrong (a time in the future, no opinion, ...)."""

    code = "alert_step"
    http_status = 422


@dataclass(frozen=True)
class AlertEvent:
    """One step of one alert, as the ``alert_events`` table keeps it (times aware, UTC)."""

    waypoint_uuid: str
    seq: int
    step: str
    at: dt.datetime
    recorded_at: dt.datetime
    username: str
    note: str | None = None
    visit_patrol_uuid: str | None = None
    outcome: str | None = None
    opinion: str | None = None
    attachment_sha256: str | None = None
    attachment_name: str | None = None

    def as_row(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


#: the columns of ``alert_events``, in order
EVENT_COLUMNS = [f.name for f in fields(AlertEvent)]


@dataclass(frozen=True)
class AlertState:
    """What the steps of one alert add up to (see :func:`summarise`)."""

    last_step: str | None = None
    closed: bool = False
    acknowledged_at: dt.datetime | None = None
    visited_at: dt.datetime | None = None  # the earliest visit: stops the on-site clock
    visit_patrol_uuid: str | None = None
    referred_at: dt.datetime | None = None  # the latest referral
    closed_at: dt.datetime | None = None  # the closing in force: stops the opinion clock
    outcome: str | None = None
    opinion: str | None = None
    period_start: dt.datetime | None = None  # the latest reopen
    period_latest: dt.datetime | None = None  # the latest step since it


def summarise(events: Sequence[AlertEvent]) -> AlertState:
    """The :class:`AlertState` of one alert's ``events`` (in ``seq`` order)."""
    values: dict = {}
    visits = [e for e in events if e.step == "visited"]
    if visits:
        first = min(visits, key=lambda e: e.at)
        values.update(visited_at=first.at, visit_patrol_uuid=first.visit_patrol_uuid)
    start, start_seq = None, 0
    for e in events:
        if e.step == "acknowledged":
            values["acknowledged_at"] = e.at
        elif e.step == "referred":
            values["referred_at"] = max(e.at, values.get("referred_at") or e.at)
        elif e.step == "closed":
            values.update(closed_at=e.at, outcome=e.outcome, opinion=e.opinion)
        elif e.step == "reopened":
            values.update(closed_at=None, outcome=None, opinion=None)
            start, start_seq = e.at, e.seq
    if events:
        values.update(last_step=events[-1].step, closed=events[-1].step == "closed")
        values["period_latest"] = max(e.at for e in events if e.seq >= start_seq)
    return AlertState(**values, period_start=start)


def allowed_steps(events: Sequence[AlertEvent]) -> tuple[str, ...]:
    """The steps that may follow ``events``: acknowledge first; then visit and refer (any
    number of times); close once visited; reopen only a closed alert."""
    if not events:
        return ("acknowledged",)
    state = summarise(events)
    if state.closed:
        return ("reopened",)
    return ("visited", "referred", "closed") if state.visited_at else ("visited", "referred")


def clock_status(due: dt.datetime, stopped: dt.datetime | None, now: dt.datetime) -> str:
    """``met``/``late`` for a stopped clock, ``open``/``overdue`` for a running one."""
    if stopped is not None:
        return "met" if stopped <= due else "late"
    return "overdue" if due < now else "open"


def clocks(report_time: dt.datetime, events: Sequence[AlertEvent], now: dt.datetime) -> dict:
    """The two Art. 18 clocks of one alert: ``on_site_due``, ``on_site_stopped``,
    ``on_site_status``, ``opinion_due``, ``opinion_stopped``, ``opinion_status``, and
    ``status`` (``closed``; else ``overdue`` when a clock is; else ``open``)."""
    state = summarise(events)
    on_site_due, opinion_due = report_time + ON_SITE_WITHIN, report_time + OPINION_WITHIN
    on_site = clock_status(on_site_due, state.visited_at, now)
    opinion = clock_status(opinion_due, state.closed_at, now)
    status = "closed" if state.closed else "overdue" if "overdue" in (on_site, opinion) else "open"
    return {
        "on_site_due": on_site_due,
        "on_site_stopped": state.visited_at,
        "on_site_status": on_site,
        "opinion_due": opinion_due,
        "opinion_stopped": state.closed_at,
        "opinion_status": opinion,
        "status": status,
    }


def bj_time(moment: dt.datetime) -> str:
    """A time in a message: Beijing time, to the minute."""
    from fossilgis.patrols.model import CHINA_TZ

    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") + " (UTC+8)"


def check_order(events: Sequence[AlertEvent], step: str, alert: str) -> None:
    """ConflictError when ``step`` may not follow ``events`` of ``alert``, saying what may
    (AlertStepError when it is no step at all)."""
    if step not in STEPS:
        raise AlertStepError(f"step: {step!r} is not one of {', '.join(STEPS)}")
    if step in allowed_steps(events):
        return
    state = summarise(events)
    if not events:
        why = "it has not been acknowledged yet: acknowledge it first / 请先确认该告警"
    elif step == "acknowledged":
        why = f"it was acknowledged at {bj_time(state.acknowledged_at)}; nothing to do / 已确认"
    elif state.closed:
        why = f"it was closed at {bj_time(state.closed_at)}; reopen it first / 已办结，请先重新打开"
    elif step == "reopened":
        why = "it is not closed; there is nothing to reopen / 告警未办结"
    else:  # closing before any visit
        why = (
            "nobody has been on site yet: Art. 18 asks the authority to be on site, so record "
            "the visit with its patrol first / 尚未到场核查，请先登记到场巡护记录"
        )
    raise ConflictError(f"alert {alert}: cannot record '{step}': {why}")


def _text(value: str | None, name: str, limit: int) -> str | None:
    value = (value or "").strip() or None
    if value is not None and len(value) > limit:
        raise AlertStepError(
            f"{name}: {len(value)} characters, more than the {limit} kept; shorten it or "
            f"attach the full text as a PDF / 内容过长"
        )
    return value


def new_event(
    events: Sequence[AlertEvent],
    step: str,
    *,
    waypoint_uuid: str,
    report_time: dt.datetime,
    now: dt.datetime,
    user: str,
    at: dt.datetime | None = None,
    note: str | None = None,
    visit_patrol_uuid: str | None = None,
    outcome: str | None = None,
    opinion: str | None = None,
    attachment_sha256: str | None = None,
    attachment_name: str | None = None,
) -> AlertEvent:
    """The event of ``step`` following ``events``, checked; ``at`` defaults to ``now``.

    Raises
    ------
    ConflictError
        The step may not follow (see :func:`allowed_steps`), or repeats the last one.
    AlertStepError
        A value is missing or wrong; the message names it (``at``, ``note``, ``outcome``,
        ``opinion``, ``visit_patrol_uuid``).
    """
    check_order(events, step, waypoint_uuid)
    at = now if at is None else at
    if at > now:
        raise AlertStepError(
            f"at: {bj_time(at)} is in the future (now {bj_time(now)}); give when it happened "
            "/ 时间不能晚于当前时间"
        )
    if at < report_time:
        raise AlertStepError(
            f"at: {bj_time(at)} is before the report it answers ({bj_time(report_time)}) "
            "/ 时间早于告警上报时间"
        )
    state = summarise(events)
    last = {"closed": state.period_latest, "reopened": state.closed_at}.get(step)
    if step in ("closed", "reopened") and last is not None and at < last:
        before = "the steps it closes" if step == "closed" else "the closing it reopens"
        raise AlertStepError(
            f"at: {bj_time(at)} is before {before} ({bj_time(last)}) / 时间早于此前步骤"
        )
    note = _text(note, "note", MAX_NOTE)
    opinion = _text(opinion, "opinion", MAX_OPINION)
    if step == "referred" and note is None:
        raise AlertStepError(
            "note: say which authority it was referred to, e.g. 关岭县自然资源局 "
            "/ 请注明移交的主管部门"
        )
    if step == "reopened" and note is None:
        raise AlertStepError("note: say why the alert is reopened / 请说明重新打开的原因")
    if step == "closed":
        if outcome not in OUTCOMES:
            raise AlertStepError(
                f"outcome: {outcome!r} is not one of {OUTCOMES.choices()} / 请选择处置结果"
            )
        if opinion is None:
            raise AlertStepError(
                "opinion: closing records the authority's handling opinion (Art. 18); give "
                "its text / 请填写主管部门的处理意见"
            )
    elif outcome or opinion:
        raise AlertStepError("outcome, opinion: only a closing step carries them / 仅办结时填写")
    if step == "visited":
        if not visit_patrol_uuid:
            raise AlertStepError(
                "visit_patrol_uuid: a visit needs the patrol record of the visit; record it "
                "as a patrol first / 请先登记到场的巡护记录"
            )
        used = [e for e in events if e.visit_patrol_uuid == visit_patrol_uuid]
        if used:
            raise ConflictError(
                f"alert {waypoint_uuid}: the visit with patrol {visit_patrol_uuid} is already "
                f"recorded (step {used[0].seq}) / 该到场记录已登记"
            )
    elif visit_patrol_uuid:
        raise AlertStepError("visit_patrol_uuid: only a visit names a patrol / 仅到场核查需要")
    if step == "referred" and events and events[-1].step == "referred":
        if (events[-1].at, events[-1].note) == (at, note):
            raise ConflictError(
                f"alert {waypoint_uuid}: this referral is already recorded (step "
                f"{events[-1].seq}) / 该移交已登记"
            )
    return AlertEvent(
        waypoint_uuid=waypoint_uuid,
        seq=(events[-1].seq if events else 0) + 1,
        step=step,
        at=at,
        recorded_at=now,
        username=user,
        note=note,
        visit_patrol_uuid=visit_patrol_uuid if step == "visited" else None,
        outcome=outcome if step == "closed" else None,
        opinion=opinion if step == "closed" else None,
        attachment_sha256=attachment_sha256,
        attachment_name=attachment_name if attachment_sha256 else None,
    )


def events_by_alert(frame) -> dict[str, list[AlertEvent]]:
    """The events of an ``alert_events`` frame (``store.alert_events.frame()``) by waypoint,
    each list in ``seq`` order."""
    if frame is None or not len(frame):
        return {}
    out: dict[str, list[AlertEvent]] = {}
    rows = frame.sort_values(["waypoint_uuid", "seq"])[EVENT_COLUMNS].to_dict("records")
    for row in rows:
        for col in ("at", "recorded_at"):
            row[col] = row[col].to_pydatetime()
        row = {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
        row["seq"] = int(row["seq"])
        out.setdefault(row["waypoint_uuid"], []).append(AlertEvent(**row))
    return out


def closed_times_of(frame):
    """waypoint_uuid → the time of the closing in force, for the alerts closed now (a
    pandas Series named ``closed_at``, UTC), from an ``alert_events`` frame."""
    import pandas as pd

    closed = {
        uuid: state.closed_at
        for uuid, evs in events_by_alert(frame).items()
        if (state := summarise(evs)).closed
    }
    series = pd.Series(closed, dtype="datetime64[ns, UTC]", name="closed_at")
    series.index.name = "waypoint_uuid"
    return series


def closed_times(store):
    """:func:`closed_times_of` the events of ``store``: when each closed alert was closed
    (for the quarterly report's "closed" count and time to close)."""
    return closed_times_of(store.alert_events.frame())
