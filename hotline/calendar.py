"""Working time of the mainland China calendar as a stamp (ARCHITECTURE.md decision 5).

W(t) = working seconds elapsed from EPOCH (local midnight) up to the instant t, in the city's
time zone: a working day adds its 86,400 seconds, a non-working day adds nothing; statutory
holidays and adjusted working days (调休) come from the maintained `chinesecalendar` package.
A duration in working days is then (W(t2) - W(t1)) / 86400, one subtraction, also in SQL.

A date the package does not cover raises CalendarNotCovered: a wrong handling time must never
be produced silently (upgrade `chinesecalendar` when the State Council publishes a new year).
"""

from __future__ import annotations

import bisect
import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

from hotline.errors import HotlineError

EPOCH = dt.date(2004, 1, 1)
DAY_S = 86_400


class CalendarNotCovered(HotlineError):
    def __init__(self, day: dt.date, first: dt.date, last: dt.date):
        super().__init__(
            f"the working-day calendar covers {first} to {last}; {day} is outside it "
            "(upgrade the chinesecalendar package for a newer year)"
        )
        self.day = day


class WorkCalendar:
    """W(t) for one city time zone; immutable, built once (≈ 8,000 days), cheap per call."""

    def __init__(self, tz: str = "Asia/Shanghai"):
        self.tz = ZoneInfo(tz)
        self.first = EPOCH
        self.last = _last_covered_day()
        days = (self.last - self.first).days + 1
        # workdays_before[i] = working days in [first, first + i days)
        self._before = [0] * (days + 1)
        self._is_work = [False] * days
        for i in range(days):
            self._is_work[i] = chinese_calendar.is_workday(self.first + dt.timedelta(days=i))
            self._before[i + 1] = self._before[i] + self._is_work[i]

    def _index(self, day: dt.date) -> int:
        i = (day - self.first).days
        if i < 0 or day > self.last:
            raise CalendarNotCovered(day, self.first, self.last)
        return i

    def is_workday(self, day: dt.date) -> bool:
        return self._is_work[self._index(day)]

    def local(self, t: dt.datetime) -> dt.datetime:
        if t.tzinfo is None:
            raise ValueError("W(t) needs an aware datetime (events carry an offset)")
        return t.astimezone(self.tz)

    def work_seconds(self, t: dt.datetime) -> int:
        """W(t): monotonic non-decreasing in t, whole seconds."""
        return self.work_seconds_local(self.local(t))

    def work_seconds_local(self, local: dt.datetime) -> int:
        """W(t) of `local` = self.local(t), for a caller that needs the local time as well."""
        i = self._index(local.date())
        w = self._before[i] * DAY_S
        if self._is_work[i]:
            w += local.hour * 3600 + local.minute * 60 + local.second
        return w

    def at_work_seconds(self, w: int) -> dt.datetime:
        """The first local instant t with W(t) = w: the inverse of work_seconds on working
        time (a deadline or completion "w working seconds after the epoch")."""
        k, rest = divmod(w, DAY_S)
        i = bisect.bisect_left(self._before, k + 1) - 1  # the working day with k before it
        if k < 0 or i < 0 or i >= len(self._is_work) or not self._is_work[i]:
            raise CalendarNotCovered(self.first + dt.timedelta(days=max(i, 0)), self.first, self.last)
        day = self.first + dt.timedelta(days=i)
        midnight = dt.datetime(day.year, day.month, day.day, tzinfo=self.tz)
        return midnight + dt.timedelta(seconds=rest)

    def workdays_between(self, start: dt.datetime, end: dt.datetime) -> float:
        return (self.work_seconds(end) - self.work_seconds(start)) / DAY_S


@lru_cache(maxsize=1)
def _last_covered_day() -> dt.date:
    # The package raises NotImplementedError past its last year; find that year once.
    year = dt.date.today().year + 2
    while year > EPOCH.year:
        try:
            chinese_calendar.is_workday(dt.date(year, 12, 31))
            return dt.date(year, 12, 31)
        except NotImplementedError:
            year -= 1
    raise CalendarNotCovered(EPOCH, EPOCH, EPOCH)


@lru_cache(maxsize=8)
def for_timezone(tz: str) -> WorkCalendar:
    return WorkCalendar(tz)
