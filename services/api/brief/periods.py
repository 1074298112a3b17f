"""The brief's periods: an ISO week or a calendar month in the city's time zone, the period before
it (环比) and the same period a year earlier (同比), and the as-of instant."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from services.api.report.errors import BadPeriod
from services.api.report.period import FIRST_YEAR, LAST_YEAR, Period

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class BriefPeriod:
    kind: str  # "weekly" | "monthly" | "departments"
    label: str | None  # "2024-W25", "2024-06"; None for a free range
    period: Period
    previous: Period | None
    last_year: Period | None


def _year(text: str, parameter: str) -> int:
    year = int(text)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise BadPeriod(parameter, f"the year must be between {FIRST_YEAR} and {LAST_YEAR}")
    return year


def _iso_week(year: int, week: int) -> Period:
    monday = dt.date.fromisocalendar(year, week, 1)
    return Period(monday, monday + dt.timedelta(days=6))


def weeks_in(year: int) -> int:
    # 28 December is always in the year's last ISO week.
    return dt.date(year, 12, 28).isocalendar().week


def week(label: str) -> BriefPeriod:
    """"2024-W25": Monday 17 June to Sunday 23 June 2024; the week before; ISO week 25 of 2023
    (week 52 when the label is week 53 and the year before has none)."""
    m = _WEEK.match(label)
    if not m:
        raise BadPeriod("week", "must be an ISO week like 2024-W25")
    year, number = _year(m.group(1), "week"), int(m.group(2))
    if not 1 <= number <= weeks_in(year):
        raise BadPeriod("week", f"{year} has ISO weeks 1 to {weeks_in(year)}")
    this = _iso_week(year, number)
    before = Period(this.lo - dt.timedelta(days=7), this.lo - dt.timedelta(days=1))
    last = None
    if year - 1 >= FIRST_YEAR:
        last = _iso_week(year - 1, min(number, weeks_in(year - 1)))
    return BriefPeriod("weekly", f"{year}-W{number:02d}", this, before, last)


def _month(year: int, month: int) -> Period:
    first = dt.date(year, month, 1)
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    return Period(first, following - dt.timedelta(days=1))


def month(label: str) -> BriefPeriod:
    m = _MONTH.match(label)
    if not m:
        raise BadPeriod("month", "must be a month like 2024-06")
    year, number = _year(m.group(1), "month"), int(m.group(2))
    if not 1 <= number <= 12:
        raise BadPeriod("month", "the month must be 01 to 12")
    this = _month(year, number)
    before = _month(year - (number == 1), (number - 2) % 12 + 1) if (year, number) != (FIRST_YEAR, 1) else None
    last = _month(year - 1, number) if year - 1 >= FIRST_YEAR else None
    return BriefPeriod("monthly", f"{year}-{number:02d}", this, before, last)


def between(lo: dt.date, hi: dt.date, max_days: int | None = None) -> BriefPeriod:
    return BriefPeriod("departments", None, Period.between(lo, hi, max_days), None, None)
