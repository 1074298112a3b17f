"""Working time as the tests state it: the mainland China working days (the State Council's
holiday notices) written out by hand for the dates the tests' generated tickets span, not read
from `chinesecalendar` or hotline.calendar, and the working seconds between two instants.

The rule the facts follow (docs/domain.md): a ticket's handling time is the working seconds from
its creation to its completion in the city's local time (Asia/Shanghai, UTC+8, no daylight
saving); a working day counts all its 86,400 seconds, a rest day none; each instant is taken to
the whole second below it. A day outside the spans below fails loudly: add its span, never guess.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
DAY_S = 86_400


@dataclass(frozen=True)
class Span:
    first: dt.date
    last: dt.date
    rest: frozenset[dt.date] = frozenset()  # weekdays off (public holidays)
    work: frozenset[dt.date] = frozenset()  # weekend days worked (adjusted working days)


def _days(first: dt.date, last: dt.date) -> frozenset[dt.date]:
    return frozenset(first + dt.timedelta(days=i) for i in range((last - first).days + 1))


SPANS = (
    # 2023 autumn, the weeks tests/support/bulk.py spans: 中秋节 and 国庆节 together, 29 September
    # to 6 October off, Saturday 7 and Sunday 8 October worked (国办发明电〔2022〕16号).
    Span(dt.date(2023, 9, 1), dt.date(2023, 12, 29),
         rest=_days(dt.date(2023, 9, 29), dt.date(2023, 10, 6)),
         work=frozenset({dt.date(2023, 10, 7), dt.date(2023, 10, 8)})),
    # March 2024 (tests/integration/ingest/test_kcat.py): no holiday, weekends off.
    Span(dt.date(2024, 3, 1), dt.date(2024, 3, 31)),
)


def is_workday(day: dt.date) -> bool:
    for span in SPANS:
        if span.first <= day <= span.last:
            if day in span.rest:
                return False
            return day in span.work or day.weekday() < 5
    raise AssertionError(f"{day} is outside the working days stated in tests/support/workdays.py: add its span")


def work_seconds_between(start: dt.datetime, end: dt.datetime) -> int:
    """Working seconds from `start` to `end` (aware datetimes), 0 if `end` is not after `start`."""
    s = start.astimezone(SHANGHAI).replace(microsecond=0)
    e = end.astimezone(SHANGHAI).replace(microsecond=0)
    total = 0
    day = s.date()
    while day <= e.date():
        if is_workday(day):
            midnight = dt.datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)
            lo, hi = max(s, midnight), min(e, midnight + dt.timedelta(days=1))
            total += max(int((hi - lo).total_seconds()), 0)
        day += dt.timedelta(days=1)
    return total
