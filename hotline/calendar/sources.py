"""The one working-day calendar the platform uses: the `chinesecalendar` package, extended by the
year schedules operators supply (schedule.py). Pure: the caller passes what it read.

Rules, so that no handling time is ever guessed:
- The library covers EPOCH to its last year (or to `library_until`, if an operator set it).
- A supplied year is used when it follows the covered run (2027 after 2026, then 2028, ...).
  A year past a gap (2029 with 2028 missing) is not used until the gap is filled.
- Where the library and a schedule both know a day, or a schedule lists a late-December day of a
  year already covered, they must agree. A schedule that disagrees is not used, and the
  disagreement names the day: coverage then stops before that year, so its handling times stay
  pending and the coverage alert speaks, instead of one source silently winning.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from hotline.calendar.schedule import YearSchedule
from hotline.calendar.work import EPOCH, WorkCalendar, library_workdays


@dataclass(frozen=True)
class Source:
    """Where the days of a run of years come from, for status pages and logs."""

    first_year: int
    last_year: int
    origin: str  # "library chinesecalendar", or what the schedule's store says (version, who)


@dataclass(frozen=True)
class Combined:
    calendar: WorkCalendar
    sources: tuple[Source, ...]
    problems: tuple[str, ...] = field(default=())  # schedules not used, and why

    @property
    def covered_until(self) -> dt.date:
        return self.calendar.last


def combine(tz: str, schedules: Sequence[tuple[YearSchedule, str]], *, library_until: int | None = None,
            library: Sequence[bool] | None = None) -> Combined:
    """The calendar from the library and `schedules` (each with a word on its origin, e.g.
    "supplied v3 by office"). `library` overrides the package's days (tests)."""
    days = list(library if library is not None else library_workdays(library_until))
    lib_last = EPOCH + dt.timedelta(days=len(days) - 1)
    listed: set[dt.date] = set()  # days a used schedule names explicitly (not by the weekday rule)
    sources = [Source(EPOCH.year, lib_last.year, _library_name())] if days else []
    problems: list[str] = []
    by_year = sorted(schedules, key=lambda s: s[0].year)
    for sched, origin in by_year:
        last = EPOCH + dt.timedelta(days=len(days) - 1)
        if sched.year > last.year + 1:
            problems.append(f"the schedule of {sched.year} ({origin}) is not used: {last.year + 1} is not covered "
                            "(supply the years in order)")
            continue
        decided = sched.days()
        conflict = _first_conflict(days, decided, lib_last, listed)
        if conflict is not None:
            day, known = conflict
            problems.append(
                f"the schedule of {sched.year} ({origin}) is not used: it makes {day} a "
                f"{'rest' if known else 'working'} day, but the {'library' if day <= lib_last else 'calendar'} "
                f"says it is a {'working' if known else 'rest'} day")
            # Coverage stops before the disputed year: nothing after it may build on it.
            # Later schedules then meet a gap and are named as not used too.
            if sched.year > lib_last.year:
                del days[(dt.date(sched.year, 1, 1) - EPOCH).days:]
            continue
        if sched.year == last.year + 1:
            for d in sorted(decided):
                if d.year == sched.year:
                    days.append(decided[d])
                else:
                    # A late-December day of the year before, which only the weekday rule of
                    # that year's schedule had decided: this notice decides it (2018-12-29 and
                    # 2018-12-31 by the 2019 notice).
                    days[(d - EPOCH).days] = decided[d]
            listed.update(d for ds in sched.holidays.values() for d in ds)
            listed.update(sched.workdays)
            sources.append(Source(sched.year, sched.year, origin))
        else:
            # A year the library covers, supplied again: agreeing everywhere, it changes nothing.
            sources.append(Source(sched.year, sched.year, f"{origin} (agrees with the library)"))
    return Combined(WorkCalendar(tz, days), tuple(sources), tuple(problems))


def _first_conflict(days: list[bool], decided: dict[dt.date, bool], lib_last: dt.date,
                    listed: set[dt.date]) -> tuple[dt.date, bool] | None:
    """The first day on which `decided` disagrees with a source that knows it: the library, or
    a schedule that lists the day. A supplied year's day decided only by the weekday rule may
    be decided by the next notice (late December)."""
    for d in sorted(decided):
        i = (d - EPOCH).days
        if 0 <= i < len(days) and days[i] != decided[d] and (d <= lib_last or d in listed):
            return d, days[i]
    return None


def _library_name() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"library chinesecalendar {version('chinesecalendar')}"
    except PackageNotFoundError:  # pragma: no cover - the package is a dependency
        return "library chinesecalendar"
