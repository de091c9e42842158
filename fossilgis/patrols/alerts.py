"""Alerts: damage, illegal excavation and encroachment observations with the Art. 18 clocks.

条例 Art. 18 (《古生物化石保护条例》第十八条): after a report of fossils found in
construction, the authority must be on site within 24 hours and give its handling opinion
within 7 days. The clocks run from ``report_time``, taken as the observation time (the
patroller's report; stricter than the upload time, which is given as ``received_at``).
"""

from __future__ import annotations

import datetime as dt

from fossilgis.patrols.model import ALERT_CATEGORIES, OBSERVATION_CATEGORIES
from fossilgis.vocab import ALERT_STATUSES  # noqa: F401  (re-exported)

ON_SITE_WITHIN = dt.timedelta(hours=24)
OPINION_WITHIN = dt.timedelta(days=7)

ALERT_COLUMNS = [
    "patrol_uuid", "waypoint_uuid", "category", "category_zh", "category_en", "severity",
    "description", "target_kind", "target_id", "lon", "lat", "report_time", "received_at",
    "on_site_due", "opinion_due", "on_site_status", "opinion_status", "status",
]  # fmt: skip


def alerts(waypoints, now: dt.datetime):
    """Alert rows for observations in :data:`ALERT_CATEGORIES`, newest report first.

    Parameters
    ----------
    waypoints : pandas.DataFrame
        ``store.list_waypoints()``: ``uuid``, ``patrol_uuid``, ``category``, ``severity``,
        ``description``, ``observed_at``, ``received_at``, ``target_kind``, ``target_id``,
        geometry (points).
    now : datetime
        Aware; decides which clocks have run out.

    Returns
    -------
    pandas.DataFrame
        :data:`ALERT_COLUMNS`. ``on_site_due`` = report + 24 h, ``opinion_due`` = report +
        7 d; each clock's status is ``open`` until its due time, then ``overdue``; ``status``
        is the worse of the two. Closing an alert (recording the authority's visit) is not
        modelled yet, so past clocks stay ``overdue``.
    """
    import pandas as pd

    hits = waypoints[waypoints["category"].isin(ALERT_CATEGORIES)].copy()
    now_ts = pd.Timestamp(now).tz_convert("UTC")
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
    out["on_site_due"] = out["report_time"] + ON_SITE_WITHIN
    out["opinion_due"] = out["report_time"] + OPINION_WITHIN
    out["on_site_status"] = (out["on_site_due"] < now_ts).map({True: "overdue", False: "open"})
    out["opinion_status"] = (out["opinion_due"] < now_ts).map({True: "overdue", False: "open"})
    worse = (out["on_site_status"] == "overdue") | (out["opinion_status"] == "overdue")
    out["status"] = worse.map({True: "overdue", False: "open"})
    out = out.sort_values("report_time", ascending=False)
    return out[ALERT_COLUMNS].reset_index(drop=True)


def alert_status(report_time: dt.datetime, now: dt.datetime) -> str:
    """``overdue`` once either clock of a report has run out, else ``open`` (the ``status``
    of :func:`alerts`, for one report)."""
    late = report_time + ON_SITE_WITHIN < now or report_time + OPINION_WITHIN < now
    return "overdue" if late else "open"
