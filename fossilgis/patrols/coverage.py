"""Patrol coverage: when each site and section was last patrolled, and which are overdue."""

from __future__ import annotations

import datetime as dt

#: a target not patrolled for this many days is overdue (the web config reads this default)
DEFAULT_COVERAGE_DAYS = 90

COVERAGE_COLUMNS = [
    "kind", "id", "name_zh", "name_en", "last_patrol", "days_since", "patrols_in_window",
    "overdue",
]  # fmt: skip


def coverage(patrols, targets, now: dt.datetime, days: int = DEFAULT_COVERAGE_DAYS):
    """Last patrol of every site and section, and whether it is overdue.

    Parameters
    ----------
    patrols : pandas.DataFrame
        One row per (not deleted) patrol with ``target_kind``, ``target_id`` and ``ended_at``
        (aware timestamps), e.g. ``store.list_patrols()``.
    targets : pandas.DataFrame
        Sites and sections with ``kind``, ``id``, ``name_zh``, ``name_en``
        (:func:`fossilgis.patrols.infer.targets_frame`).
    now : datetime
        Aware; the end of the window.
    days : int
        Window length: a target without a patrol ending in the last ``days`` days is overdue.

    Returns
    -------
    pandas.DataFrame
        :data:`COVERAGE_COLUMNS`, one row per target: never-patrolled targets first, then the
        longest unpatrolled; ``last_patrol`` is NaT and ``days_since`` NaN when never.
    """
    import pandas as pd

    now_ts, start = _window(now, days)
    done = patrols[patrols["target_id"].notna()]
    done = done[done["ended_at"] <= now_ts]
    keys = ["target_kind", "target_id"]
    last = done.groupby(keys)["ended_at"].max().rename("last_patrol")
    recent = done[done["ended_at"] >= start].groupby(keys).size().rename("patrols_in_window")
    return coverage_of_last(pd.concat([last, recent], axis=1).reset_index(), targets, now, days)


def _window(now: dt.datetime, days: int):
    import pandas as pd

    if days < 1:
        raise ValueError(f"days: {days}; expected a whole number of days >= 1")
    now_ts = pd.Timestamp(now).tz_convert("UTC")
    return now_ts, now_ts - pd.Timedelta(days=days)


def coverage_of_last(last, targets, now: dt.datetime, days: int = DEFAULT_COVERAGE_DAYS):
    """:func:`coverage` from each target's last patrol (as SQL can count them).

    Parameters
    ----------
    last : pandas.DataFrame
        ``target_kind``, ``target_id``, ``last_patrol`` (the latest ``ended_at`` not after
        ``now``) and ``patrols_in_window`` (how many ended in the window; missing: none),
        one row per patrolled target, e.g. ``store.patrols.maps.last_by_target(…)``.
    targets, now, days
        As for :func:`coverage`.
    """
    import pandas as pd

    now_ts, _ = _window(now, days)
    keys = ["target_kind", "target_id"]
    out = targets[["kind", "id", "name_zh", "name_en"]].merge(
        last, how="left", left_on=["kind", "id"], right_on=keys
    )
    out["last_patrol"] = pd.to_datetime(out["last_patrol"], utc=True)
    out["patrols_in_window"] = out["patrols_in_window"].fillna(0).astype(int)
    out["days_since"] = (now_ts - out["last_patrol"]).dt.total_seconds() / 86400.0
    out["overdue"] = out["patrols_in_window"] == 0
    out = out.sort_values(
        ["overdue", "last_patrol", "kind", "id"],
        ascending=[False, True, True, True],
        na_position="first",
    )
    return out[COVERAGE_COLUMNS].reset_index(drop=True)


def overdue_targets(patrols, targets, now: dt.datetime, days: int = DEFAULT_COVERAGE_DAYS):
    """Only the overdue rows of :func:`coverage`: targets not patrolled in the last ``days``."""
    table = coverage(patrols, targets, now, days)
    return table[table["overdue"]].reset_index(drop=True)
