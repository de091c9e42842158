"""Patrol summaries of a period (巡护季度报告): per county and per site/section, from frames.

Pure: patrols, alerts and targets come in as frames, tables go out; reading the store is
:mod:`fossilgis.patrols.report_data`, the effort grid :mod:`.effort`, the charts
:mod:`.report_svg` and the files :mod:`.report_html`. What is counted (docs/patrols.md,
"Quarterly report / 季度报告"):

* a patrol belongs to the period when it starts in it, in Beijing time (UTC+8);
* a target's patrol-days are the Beijing dates on which one of its patrols of the period
  was under way (start date to end date, inside the period), each date once per target; a
  county's, a month's and the total are sums over targets;
* distance is the geodesic length of the tracks (:func:`track_lengths_m`);
* visited: a patrol of the target ended in the last ``days`` days up to the end of the
  period (or now, when that is earlier), as ``fossilgis patrol coverage`` counts it;
* alerts opened: reported in the period; closed: ``closed_at`` in the period, with the
  hours from report to closure of those.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fossilgis.patrols.coverage import DEFAULT_COVERAGE_DAYS, coverage_of_last
from fossilgis.patrols.model import CHINA_TZ
from fossilgis.patrols.report_period import Period
from fossilgis.vocab import Label

#: the county of a target whose layer and the counties layer name none
COUNTY_UNKNOWN = Label("县名未知", "county unknown")
#: the row of patrols and alerts that belong to no site or section
UNATTRIBUTED = Label("未关联保护对象", "no site or section")

TARGET_COLUMNS = [
    "county_zh", "county_en", "kind", "id", "name_zh", "name_en", "patrols", "patrol_days",
    "distance_m", "last_patrol", "days_since", "visited", "alerts_opened", "alerts_closed",
    "median_close_h", "mean_close_h",
]  # fmt: skip
COUNTY_COLUMNS = [
    "county_zh", "county_en", "targets", "patrols", "patrol_days", "distance_m", "visited",
    "not_visited", "alerts_opened", "alerts_closed", "median_close_h", "mean_close_h",
]  # fmt: skip
MONTH_COLUMNS = [
    "month", "patrols", "patrol_days", "distance_m", "alerts_opened", "alerts_closed",
]  # fmt: skip
_KEYS = ["kind", "id"]


# -- measures ---------------------------------------------------------------------------------
#: segments shorter than this (metres) are measured from the ellipsoid's radii of curvature at
#: their mid-latitude, which agree with the geodesic to 1e-9 (Guizhou, tested); longer ones by
#: ``pyproj.Geod.inv``
SHORT_SEGMENT_M = 1000.0


def segment_lengths_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geodesic lengths (metres, GRS 80 = the CGCS2000 ellipsoid) of the segments between
    arrays of points (degrees): short ones from the meridian and prime-vertical radii at the
    mid-latitude, the others (and any across the antimeridian) by ``pyproj.Geod.inv``."""
    from pyproj import Geod

    geod = Geod(ellps="GRS80")
    e2 = geod.f * (2 - geod.f)
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    mid = (phi1 + phi2) / 2
    w = np.sqrt(1 - e2 * np.sin(mid) ** 2)
    meridian, normal = geod.a * (1 - e2) / w**3, geod.a / w
    dlon = np.radians(np.asarray(lon2) - np.asarray(lon1))
    out = np.hypot(meridian * (phi2 - phi1), normal * np.cos(mid) * dlon)
    far = (out >= SHORT_SEGMENT_M) | (np.abs(dlon) > np.pi / 2)
    if far.any():
        pick = [np.asarray(v, dtype=float)[far] for v in (lon1, lat1, lon2, lat2)]
        out[far] = np.asarray(geod.inv(*pick)[2])
    return out


def track_lengths_m(geoms) -> np.ndarray:
    """Geodesic length in metres of each geometry (lon/lat, CGCS2000); 0 for points, None.

    Every part of a (Multi)LineString is measured vertex to vertex on the GRS 80 ellipsoid
    (:func:`segment_lengths_m`), all geometries at once: the numbers of
    ``pyproj.Geod(ellps="GRS80").geometry_length`` to a millimetre in 1000 km.
    """
    import shapely

    geoms = np.asarray(geoms, dtype=object)
    out = np.zeros(len(geoms))
    is_line = np.isin(shapely.get_type_id(geoms), (1, 2, 5))  # line, ring, multi-line
    if not is_line.any():
        return out
    parts, owner = shapely.get_parts(geoms[is_line], return_index=True)
    xy, part_of = shapely.get_coordinates(parts, return_index=True)
    inner = np.flatnonzero(part_of[1:] == part_of[:-1])  # no step from part to part
    steps = segment_lengths_m(xy[inner, 0], xy[inner, 1], xy[inner + 1, 0], xy[inner + 1, 1])
    per_part = np.bincount(part_of[inner], weights=steps, minlength=len(parts))
    out[np.flatnonzero(is_line)] = np.bincount(owner, weights=per_part, minlength=is_line.sum())
    return out


def in_period(times, period: Period):
    """A boolean Series: which ``times`` (aware) fall in the period."""
    times = pd.to_datetime(times, utc=True)
    return (times >= period.start) & (times < period.end)


def _keyed(frame, kind: str = "target_kind", ident: str = "target_id") -> pd.DataFrame:
    """``frame`` with ``kind``/``id`` key columns ("" where there is no target)."""
    out = frame.copy()
    out["kind"] = out[kind].fillna("").astype(str) if kind in out else ""
    out["id"] = out[ident].fillna("").astype(str) if ident in out else ""
    out.loc[out["id"] == "", "kind"] = ""
    return out


def patrol_dates(patrols, period: Period) -> pd.DataFrame:
    """Each (target, Beijing date) on which a patrol of ``patrols`` was under way in the
    period, once: ``kind``, ``id``, ``day`` (datetime64 midnight), ``month`` (``YYYY-MM``)."""
    frame = _keyed(patrols)
    if frame.empty:
        return pd.DataFrame({"kind": [], "id": [], "day": [], "month": []})
    local = [
        pd.to_datetime(frame[c], utc=True).dt.tz_convert(CHINA_TZ).dt.tz_localize(None)
        for c in ("started_at", "ended_at")
    ]
    first = local[0].dt.normalize().clip(lower=pd.Timestamp(period.first))
    last = local[1].dt.normalize().clip(upper=pd.Timestamp(period.last))
    counts = ((last - first).dt.days + 1).clip(lower=1).to_numpy()
    rows = np.repeat(np.arange(len(frame)), counts)
    offsets = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
    days = first.to_numpy()[rows] + offsets.astype("timedelta64[D]")
    out = pd.DataFrame(
        {"kind": frame["kind"].to_numpy()[rows], "id": frame["id"].to_numpy()[rows], "day": days}
    ).drop_duplicates()
    out["month"] = out["day"].dt.strftime("%Y-%m")
    return out.reset_index(drop=True)


def alert_flow(alerts, period: Period) -> pd.DataFrame:
    """Per alert: opened in the period, closed in the period and the hours it took.

    Parameters
    ----------
    alerts : pandas.DataFrame
        ``waypoint_uuid``, ``report_time`` and ``closed_at`` (aware; NaT or missing: still
        open, or closure not recorded); ``target_kind``/``target_id`` when present.
    period : Period

    Returns
    -------
    pandas.DataFrame
        ``waypoint_uuid``, ``kind``, ``id``, ``report_time``, ``closed_at``, ``opened``,
        ``closed`` (bools) and ``close_h`` (hours from report to closure; NaN unless closed
        in the period).
    """
    frame = _keyed(alerts)
    report = pd.to_datetime(frame["report_time"], utc=True)
    closed_at = pd.to_datetime(frame.get("closed_at", pd.NaT), utc=True)
    if not isinstance(closed_at, pd.Series):  # no column: none closed
        closed_at = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    closed = in_period(closed_at, period)
    return pd.DataFrame(
        {
            "waypoint_uuid": frame["waypoint_uuid"],
            "kind": frame["kind"],
            "id": frame["id"],
            "report_time": report,
            "closed_at": closed_at,
            "opened": in_period(report, period),
            "closed": closed,
            "close_h": ((closed_at - report).dt.total_seconds() / 3600.0).where(closed),
        }
    ).reset_index(drop=True)


def _alert_stats(flow, keys: list[str]) -> pd.DataFrame:
    grouped = flow.groupby(keys)
    return pd.DataFrame(
        {
            "alerts_opened": grouped["opened"].sum(),
            "alerts_closed": grouped["closed"].sum(),
            "median_close_h": grouped["close_h"].median(),
            "mean_close_h": grouped["close_h"].mean(),
        }
    )


# -- the report -------------------------------------------------------------------------------
@dataclass
class PatrolReport:
    """The tables of one period's report (times UTC; shown in Beijing time)."""

    period: Period
    as_of: dt.datetime
    days: int
    summary: dict
    targets: pd.DataFrame
    counties: pd.DataFrame
    months: pd.DataFrame
    #: how targets got their county and alerts their closure (said in the report)
    notes: dict = field(default_factory=dict)
    #: the effort grid (:func:`fossilgis.patrols.effort.EffortGrid.frame`) when made
    grid: object = None
    grid_meta: dict = field(default_factory=dict)


def build_report(
    patrols,
    targets,
    alerts,
    period: Period,
    *,
    now: dt.datetime,
    days: int = DEFAULT_COVERAGE_DAYS,
    last=None,
) -> PatrolReport:
    """The report of ``period`` from plain frames.

    Parameters
    ----------
    patrols : pandas.DataFrame
        Patrols not deleted: ``target_kind``, ``target_id``, ``started_at``, ``ended_at``
        (aware) and ``length_m`` or a lon/lat ``geometry``; those starting outside the
        period are left out of the counts.
    targets : pandas.DataFrame
        :func:`fossilgis.patrols.report_data.report_targets`: ``kind``, ``id``, ``name_zh``,
        ``name_en``, ``county_zh``, ``county_en``.
    alerts : pandas.DataFrame
        For :func:`alert_flow`.
    now : datetime
        Aware; the "visited" window ends at the end of the period or ``now``, if earlier.
    days : int
        The "visited" window.
    last : pandas.DataFrame, optional
        Each target's last patrol by the window's end and the patrols ending in the window
        (``store.patrols.maps.last_by_target``); None: counted from ``patrols``.
    """
    from fossilgis.patrols.coverage import coverage

    as_of = min(pd.Timestamp(now).tz_convert("UTC"), period.end - pd.Timedelta(microseconds=1))
    if last is None:
        cov = coverage(patrols, targets, as_of.to_pydatetime(), days)
    else:
        cov = coverage_of_last(last, targets, as_of.to_pydatetime(), days)
    chosen = _keyed(patrols[in_period(patrols["started_at"], period)])
    if "length_m" not in chosen:
        chosen["length_m"] = track_lengths_m(chosen.geometry.values)
    dates = patrol_dates(chosen, period)
    flow = alert_flow(alerts, period)

    table = _target_table(targets, cov, chosen, dates, flow)
    months = _month_table(period, chosen, dates, flow)
    counties = _county_table(table, flow)
    closed = flow["close_h"].dropna()
    summary = {
        "targets": int(table["visited"].notna().sum()),
        "patrols": int(len(chosen)),
        "patrol_days": int(table["patrol_days"].sum()),
        "distance_m": float(chosen["length_m"].sum()),
        "visited": int((table["visited"] == True).sum()),  # noqa: E712 (NA stays out)
        "not_visited": int((table["visited"] == False).sum()),  # noqa: E712
        "alerts_opened": int(flow["opened"].sum()),
        "alerts_closed": int(flow["closed"].sum()),
        "median_close_h": float(closed.median()) if len(closed) else float("nan"),
        "mean_close_h": float(closed.mean()) if len(closed) else float("nan"),
    }
    return PatrolReport(period, as_of.to_pydatetime(), days, summary, table, counties, months)


def _target_table(targets, cov, chosen, dates, flow) -> pd.DataFrame:
    """One row per target of the layers, then per other target met (not in the layers,
    or none: the unattributed row)."""
    base = targets[["kind", "id", "name_zh", "name_en", "county_zh", "county_en"]].copy()
    seen = pd.concat([chosen[_KEYS], flow[_KEYS]]).drop_duplicates()
    known = set(zip(base["kind"], base["id"]))
    unknown = np.array([k not in known for k in zip(seen["kind"], seen["id"])], dtype=bool)
    extra = seen.loc[unknown].copy()  # a plain empty list would select no columns
    none = extra["id"] == ""
    extra["name_zh"] = np.where(none, UNATTRIBUTED.zh, "")
    extra["name_en"] = np.where(none, UNATTRIBUTED.en, "")
    extra["county_zh"] = np.where(none, UNATTRIBUTED.zh, COUNTY_UNKNOWN.zh)
    extra["county_en"] = np.where(none, UNATTRIBUTED.en, COUNTY_UNKNOWN.en)
    table = pd.concat([base, extra.sort_values(_KEYS)], ignore_index=True)

    per = chosen.groupby(_KEYS).agg(patrols=("id", "size"), distance_m=("length_m", "sum"))
    per["patrol_days"] = dates.groupby(_KEYS).size()
    table = table.join(per, on=_KEYS).join(_alert_stats(flow, _KEYS), on=_KEYS)
    cov = cov[[*_KEYS, "last_patrol", "days_since", "overdue"]]
    table = table.merge(cov, on=_KEYS, how="left")
    # a target of the layers has a coverage row; the others have no "visited"
    table["visited"] = pd.array(~table["overdue"].astype("boolean"), dtype="boolean")
    for col in ("patrols", "patrol_days", "alerts_opened", "alerts_closed"):
        table[col] = table[col].fillna(0).astype("int64")
    table["distance_m"] = table["distance_m"].fillna(0.0).astype(float)
    return table[TARGET_COLUMNS]


def _month_table(period: Period, chosen, dates, flow) -> pd.DataFrame:
    """One row per month the period touches (Beijing time)."""
    months = pd.Index(period.months(), name="month")

    def month_of(times):
        return pd.to_datetime(times, utc=True).dt.tz_convert(CHINA_TZ).dt.strftime("%Y-%m")

    start_month = month_of(chosen["started_at"])
    out = pd.DataFrame(
        {
            "patrols": chosen.groupby(start_month).size(),
            "patrol_days": dates.groupby("month").size(),
            "distance_m": chosen.groupby(start_month)["length_m"].sum(),
            "alerts_opened": flow[flow["opened"]].groupby(month_of(flow["report_time"])).size(),
            "alerts_closed": flow[flow["closed"]].groupby(month_of(flow["closed_at"])).size(),
        }
    ).reindex(months)
    out = out.fillna(0)
    for col in ("patrols", "patrol_days", "alerts_opened", "alerts_closed"):
        out[col] = out[col].astype("int64")
    out["distance_m"] = out["distance_m"].astype(float)
    return out.reset_index()[MONTH_COLUMNS]


def _county_table(table, flow) -> pd.DataFrame:
    """Sums of the target rows by county; the time to close from the alerts themselves.

    Counties in the order of their English names; the unknown county and the unattributed
    row last."""
    keys = ["county_zh", "county_en"]
    sums = ["patrols", "patrol_days", "distance_m", "alerts_opened", "alerts_closed"]
    counted = table[keys + sums].assign(
        targets=table["visited"].notna(),
        visited=table["visited"].fillna(False).astype(bool),
        not_visited=(~table["visited"].fillna(True)).astype(bool),
    )
    out = counted.groupby(keys, sort=False).sum()
    county = table.set_index(_KEYS)[keys]
    located = flow.join(county, on=_KEYS)
    stats = located.groupby(keys, sort=False)["close_h"].agg(["median", "mean"])
    out["median_close_h"] = stats["median"].reindex(out.index)
    out["mean_close_h"] = stats["mean"].reindex(out.index)
    out = out.reset_index()
    last = out["county_en"].map({COUNTY_UNKNOWN.en: 1, UNATTRIBUTED.en: 2}).fillna(0)
    out = out.assign(_last=last).sort_values(["_last", "county_en", "county_zh"])
    for col in ("targets", "visited", "not_visited"):
        out[col] = out[col].fillna(0).astype("int64")
    return out.drop(columns="_last").reset_index(drop=True)[COUNTY_COLUMNS]
