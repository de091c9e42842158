"""Alerts: damage, illegal excavation and encroachment observations with the Art. 18 clocks.

条例 Art. 18 (《古生物化石保护条例》第十八条): after a report of fossils found in
construction, the authority must be on site within 24 hours and give its handling opinion
within 7 days. The clocks run from ``report_time``, taken as the observation time (the
patroller's report; stricter than the upload time, which is given as ``received_at``).
The steps that stop them (a visit, the closing with the authority's opinion) are in
:mod:`fossilgis.patrols.alert_lifecycle`.
"""

from __future__ import annotations

import datetime as dt

from fossilgis.patrols.alert_lifecycle import (  # noqa: F401  (re-exported)
    ON_SITE_WITHIN,
    OPINION_WITHIN,
    clocks,
    events_by_alert,
    summarise,
)
from fossilgis.patrols.model import ALERT_CATEGORIES, OBSERVATION_CATEGORIES
from fossilgis.vocab import ALERT_STATUSES  # noqa: F401  (re-exported)

#: what every alert row holds: the observation, its clocks, then where its life stands
ALERT_COLUMNS = [
    "patrol_uuid", "waypoint_uuid", "category", "category_zh", "category_en", "severity",
    "description", "target_kind", "target_id", "lon", "lat", "report_time", "received_at",
    "on_site_due", "opinion_due", "on_site_status", "opinion_status", "status",
    "closed", "last_step", "last_step_at", "acknowledged_at", "visited_at",
    "visit_patrol_uuid", "referred_at", "closed_at", "outcome", "steps",
]  # fmt: skip
#: the lifecycle columns and their values for an alert with no step yet
_NO_STEPS = {
    "closed": False,
    "last_step": None,
    "last_step_at": None,
    "acknowledged_at": None,
    "visited_at": None,
    "visit_patrol_uuid": None,
    "referred_at": None,
    "closed_at": None,
    "outcome": None,
    "steps": 0,
}
_TIMES = ("last_step_at", "acknowledged_at", "visited_at", "referred_at", "closed_at")


def alerts(waypoints, now: dt.datetime, events=None):
    """Alert rows for observations in :data:`ALERT_CATEGORIES`, newest report first.

    Parameters
    ----------
    waypoints : pandas.DataFrame
        ``store.list_waypoints()``: ``uuid``, ``patrol_uuid``, ``category``, ``severity``,
        ``description``, ``observed_at``, ``received_at``, ``target_kind``, ``target_id``,
        geometry (points).
    now : datetime
        Aware; decides which clocks have run out.
    events : pandas.DataFrame, optional
        The alerts' steps, ``store.alert_events.frame()``; None: no step recorded (every
        clock runs).

    Returns
    -------
    pandas.DataFrame
        :data:`ALERT_COLUMNS`. ``on_site_due`` = report + 24 h, ``opinion_due`` = report +
        7 d. The on-site clock stops at the earliest visit, the opinion clock at the closing
        in force; each clock is ``open`` or ``overdue`` while it runs, ``met`` or ``late``
        once stopped. ``status`` is ``closed``, else ``overdue`` when a clock is, else
        ``open``. ``last_step`` … ``outcome`` say where the alert's life stands (times of
        the steps as they happened, UTC); ``steps`` counts its steps.
    """
    import pandas as pd

    hits = waypoints[waypoints["category"].isin(ALERT_CATEGORIES)].copy()
    out = pd.DataFrame(
        {
            "patrol_uuid": hits["patrol_uuid"],
            "waypoint_uuid": hits["uuid"],
            "category": hits["category"],
            "category_zh": hits["category"].map(lambda c: OBSERVATION_CATEGORIES[c].zh),
            "category_en": hits["category"].map(lambda c: OBSERVATION_CATEGORIES[c].en),
            "severity": hits["severity"],
            "description": hits["description"].fillna(""),
            "target_kind": hits["target_kind"],
            "target_id": hits["target_id"],
            "lon": hits.geometry.x if len(hits) else pd.Series(dtype=float),
            "lat": hits.geometry.y if len(hits) else pd.Series(dtype=float),
            "report_time": hits["observed_at"],
            "received_at": hits["received_at"],
        }
    )
    by_alert = events_by_alert(events)
    now = pd.Timestamp(now).tz_convert("UTC").to_pydatetime()
    life = [
        _life(report.to_pydatetime(), by_alert.get(uuid, []), now)
        for uuid, report in zip(out["waypoint_uuid"], out["report_time"])
    ]
    columns = ALERT_COLUMNS[ALERT_COLUMNS.index("on_site_due") :]
    extra = pd.DataFrame(life, columns=columns, index=out.index)
    for col in ("on_site_due", "opinion_due", *_TIMES):
        extra[col] = pd.to_datetime(extra[col], utc=True)
    for col in ("last_step", "visit_patrol_uuid", "outcome"):  # None where missing, not NaN
        extra[col] = pd.Series([r[col] for r in life], index=out.index, dtype=object)
    extra["closed"] = extra["closed"].astype(bool)
    extra["steps"] = extra["steps"].astype("int64")
    out = pd.concat([out, extra], axis=1).sort_values("report_time", ascending=False)
    return out[ALERT_COLUMNS].reset_index(drop=True)


def _life(report_time: dt.datetime, events, now: dt.datetime) -> dict:
    """The clock and lifecycle columns of one alert."""
    row = clocks(report_time, events, now)
    row = {k: row[k] for k in ALERT_COLUMNS if k in row}
    row.update(_NO_STEPS)
    if events:
        state = summarise(events)
        row.update(
            closed=state.closed,
            last_step=state.last_step,
            last_step_at=events[-1].at,
            acknowledged_at=state.acknowledged_at,
            visited_at=state.visited_at,
            visit_patrol_uuid=state.visit_patrol_uuid,
            referred_at=state.referred_at,
            closed_at=state.closed_at,
            outcome=state.outcome,
            steps=len(events),
        )
    return row


def alert_status(report_time: dt.datetime, now: dt.datetime, events=()) -> str:
    """The ``status`` of :func:`alerts` for one report and its steps (none given: ``open``
    or ``overdue``, as the report's clocks alone say)."""
    return clocks(report_time, list(events), now)["status"]
