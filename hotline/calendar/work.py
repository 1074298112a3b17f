"""Working time of the mainland China calendar as a stamp: W(t) over a run of known days.

W(t) = working seconds elapsed from EPOCH (local midnight) up to the instant t, in the city's
time zone: a working day adds its 86,400 seconds, a non-working day adds nothing. A duration in
working days is then (W(t2) - W(t1)) / 86400, one subtraction, also in SQL (the facts refresh
computes the same W from the `before` array this class builds: hotline/storage/work_calendar.py).

A calendar covers a contiguous run of days from EPOCH; which days are working days comes from
the `chinesecalendar` package and from year schedules an operator supplies (sources.py). A day
outside the run raises CalendarNotCovered: a handling time is never guessed. Callers that must
not stop (the facts) treat such a day as pending instead.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from zoneinfo import ZoneInfo

from hotline.errors import HotlineError

EPOCH = dt.date(2004, 1, 1)
DAY_S = 86_400


class CalendarNotCovered(HotlineError):
    def __init__(self, day: dt.date, first: dt.date, last: dt.date):
        super().__init__(
            f"the working-day calendar covers {first} to {last}; {day} is outside it "
            "(supply that year's holiday schedule: docs/operations/calendar.md)"
        )
        self.day = day


class WorkCalendar:
    """W(t) for one city time zone over the days `workdays` (True = working day) from `first`.
    Immutable, built once (≈ 9,000 days), cheap per call."""

    def __init__(self, tz: str, workdays: Sequence[bool], first: dt.date = EPOCH):
        self.tz_name = tz
        self.tz = ZoneInfo(tz)
        self.first = first
        self._is_work = [bool(w) for w in workdays]
        self.last = first + dt.timedelta(days=len(self._is_work) - 1)
        # before[i] = working days in [first, first + i days)
        self.before = [0] * (len(self._is_work) + 1)
        for i, work in enumerate(self._is_work):
            self.before[i + 1] = self.before[i] + work

    @classmethod
    def from_library(cls, tz: str = "Asia/Shanghai", until_year: int | None = None) -> "WorkCalendar":
        return cls(tz, library_workdays(until_year))

    def covers(self, day: dt.date) -> bool:
        return self.first <= day <= self.last

    def _index(self, day: dt.date) -> int:
        if not self.covers(day):
            raise CalendarNotCovered(day, self.first, self.last)
        return (day - self.first).days

    def is_workday(self, day: dt.date) -> bool:
        return self._is_work[self._index(day)]

    def workdays(self) -> list[bool]:
        return list(self._is_work)

    def local(self, t: dt.datetime) -> dt.datetime:
        if t.tzinfo is None:
            raise ValueError("W(t) needs an aware datetime (events carry an offset)")
        return t.astimezone(self.tz)

    def work_seconds(self, t: dt.datetime) -> int:
        """W(t): monotonic non-decreasing in t, whole seconds."""
        return self.work_seconds_local(self.local(t))

    def work_seconds_ms(self, ms: int) -> int:
        """W of an instant in epoch milliseconds, to the whole second below it: the same value
        the facts refresh computes in SQL from the stored milliseconds."""
        return self.work_seconds_local(dt.datetime.fromtimestamp(ms // 1000, self.tz))

    def work_seconds_local(self, local: dt.datetime) -> int:
        """W(t) of `local` = self.local(t), for a caller that needs the local time as well."""
        i = self._index(local.date())
        w = self.before[i] * DAY_S
        if self._is_work[i]:
            w += local.hour * 3600 + local.minute * 60 + local.second
        return w

    def at_work_seconds(self, w: int) -> dt.datetime:
        """The first local instant t with W(t) = w: the inverse of work_seconds on working
        time (a deadline or completion "w working seconds after the epoch")."""
        k, rest = divmod(w, DAY_S)
        i = bisect.bisect_left(self.before, k + 1) - 1  # the working day with k before it
        if k < 0 or i < 0 or i >= len(self._is_work) or not self._is_work[i]:
            raise CalendarNotCovered(self.first + dt.timedelta(days=max(i, 0)), self.first, self.last)
        day = self.first + dt.timedelta(days=i)
        midnight = dt.datetime(day.year, day.month, day.day, tzinfo=self.tz)
        return midnight + dt.timedelta(seconds=rest)

    def workdays_between(self, start: dt.datetime, end: dt.datetime) -> float:
        return (self.work_seconds(end) - self.work_seconds(start)) / DAY_S


def library_last_year() -> int:
    """The last year the installed `chinesecalendar` knows (it raises NotImplementedError past
    it)."""
    import chinese_calendar

    year = dt.date.today().year + 2
    while year > EPOCH.year:
        try:
            chinese_calendar.is_workday(dt.date(year, 12, 31))
            return year
        except NotImplementedError:
            year -= 1
    return EPOCH.year - 1


@lru_cache(maxsize=4)
def _library_workdays(until_year: int) -> tuple[bool, ...]:
    import chinese_calendar

    last = dt.date(until_year, 12, 31)
    days = (last - EPOCH).days + 1
    return tuple(chinese_calendar.is_workday(EPOCH + dt.timedelta(days=i)) for i in range(max(days, 0)))


def library_workdays(until_year: int | None = None) -> tuple[bool, ...]:
    """Working days from EPOCH to the end of the library's last year, or of `until_year` if that
    is earlier (an operator may stop trusting the library at a year)."""
    last = library_last_year()
    return _library_workdays(last if until_year is None else min(last, until_year))


@lru_cache(maxsize=8)
def for_timezone(tz: str) -> WorkCalendar:
    """The library's calendar alone (tooling: the simulator plans handling times with it)."""
    return WorkCalendar.from_library(tz)
