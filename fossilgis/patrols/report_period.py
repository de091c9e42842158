"""The period of a patrol report: a quarter or two dates, in whole Beijing-time days.

``2026Q3`` is 1 July to 30 September 2026, 00:00 Beijing time (UTC+8) on the first day to
the end of the last; ``--from``/``--to`` dates are Beijing dates too. Bad input raises
:class:`ReportPeriodError` naming the field, in both languages.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd

from fossilgis.errors import FossilGISError
from fossilgis.patrols.model import CHINA_TZ

#: the longest period a report covers (days): ten years of months still draw
MAX_PERIOD_DAYS = 3660


class ReportPeriodError(FossilGISError, ValueError):
    """A report period (quarter, dates, window) that cannot be read."""

    code = "bad_period"


@dataclass(frozen=True)
class Period:
    """Whole Beijing-time days from ``first`` to ``last`` (both included)."""

    first: dt.date
    last: dt.date
    label: str

    @property
    def start(self) -> pd.Timestamp:
        """The first instant (UTC): ``first`` 00:00 Beijing time."""
        return pd.Timestamp(dt.datetime.combine(self.first, dt.time(), CHINA_TZ)).tz_convert("UTC")

    @property
    def end(self) -> pd.Timestamp:
        """The instant after the period (UTC): the day after ``last``, 00:00 Beijing time."""
        after = self.last + dt.timedelta(days=1)
        return pd.Timestamp(dt.datetime.combine(after, dt.time(), CHINA_TZ)).tz_convert("UTC")

    def months(self) -> list[str]:
        """``YYYY-MM`` of every month the period touches, in order."""
        return [str(p) for p in pd.period_range(self.first, self.last, freq="M")]


_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")


def quarter_period(year: int, quarter: int) -> Period:
    """The Period of quarter ``quarter`` (1–4) of ``year``."""
    first = dt.date(year, 3 * quarter - 2, 1)
    after = dt.date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    return Period(first, after - dt.timedelta(days=1), f"{year}Q{quarter}")


def parse_quarter(text: str, field: str = "--quarter") -> Period:
    """``2026Q3`` (also ``2026-Q3``, ``2026q3``) as a Period; ReportPeriodError naming ``field``."""
    match = _QUARTER.match(str(text or ""))
    if not match or not 1900 <= int(match.group(1)) <= 2199:
        raise ReportPeriodError(
            f"{field}: {str(text)[:40]!r} is not a quarter; write the year and the quarter "
            "number 1–4, e.g. 2026Q3 (July–September) / 季度应写作 2026Q3（年份与季度 1–4）"
        )
    return quarter_period(int(match.group(1)), int(match.group(2)))


def parse_day(value, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.astimezone(CHINA_TZ).date() if value.tzinfo else value.date()
    if isinstance(value, dt.date):
        return value
    try:
        day = dt.date.fromisoformat(str(value).strip())
    except ValueError:
        day = None
    if day is None or not 1900 <= day.year <= 2199:
        raise ReportPeriodError(
            f"{field}: {str(value)[:40]!r} is not a date; write it as YYYY-MM-DD, e.g. "
            "2026-07-01 (Beijing time) / 日期应写作 YYYY-MM-DD，如 2026-07-01（北京时间）"
        )
    return day


def dates_period(first, last, fields: tuple[str, str] = ("--from", "--to")) -> Period:
    """The Period from ``first`` to ``last`` (dates or ``YYYY-MM-DD`` text, both included)."""
    a, b = parse_day(first, fields[0]), parse_day(last, fields[1])
    if b < a:
        raise ReportPeriodError(
            f"{fields[1]}: {b} is before {fields[0]} {a}; give the earlier date first "
            "/ 结束日期早于开始日期"
        )
    if (b - a).days >= MAX_PERIOD_DAYS:
        raise ReportPeriodError(
            f"{fields[0]}/{fields[1]}: {a} to {b} is longer than {MAX_PERIOD_DAYS} days; "
            "report a shorter period / 统计期过长"
        )
    return Period(a, b, f"{a}–{b}")


def current_quarter(now: dt.datetime) -> Period:
    """The quarter (Beijing time) that holds ``now`` (aware)."""
    today = now.astimezone(CHINA_TZ).date()
    return quarter_period(today.year, (today.month - 1) // 3 + 1)


def check_days(days, field: str = "--days") -> int:
    """The "not visited" window in whole days (1–3660); ReportPeriodError naming ``field``."""
    try:
        value = int(str(days).strip())
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_PERIOD_DAYS:
        raise ReportPeriodError(
            f"{field}: {str(days)[:20]!r}; expected a whole number of days from 1 to "
            f"{MAX_PERIOD_DAYS}, e.g. 90 / 天数应为 1–{MAX_PERIOD_DAYS} 的整数"
        )
    return value
