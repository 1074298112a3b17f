"""A date range of the simulated year: `--month 2023-03` or `--from 2023-03-01 --until 2023-03-31`.

A period selects calls and tickets by the day they start (in the city's zone); all of their
events are kept, also those after the last day (a ticket of 31 March completed in April). The
year is still drawn whole, so a period's events are exactly those of the same entities in the
full year's run with the same seed: a month is a slice of the year, not another year.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from hotline.errors import HotlineError


class PeriodError(HotlineError):
    """A date range that cannot be read or is empty."""


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date  # inclusive

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise PeriodError(f"the period ends ({self.last}) before it starts ({self.first})")

    def __contains__(self, day: dt.date) -> bool:
        return self.first <= day <= self.last

    def overlaps_year(self, year: int) -> bool:
        return self.first.year <= year <= self.last.year

    def __str__(self) -> str:
        return f"{self.first.isoformat()} to {self.last.isoformat()}"


def month(text: str) -> Period:
    """`YYYY-MM` → that month."""
    try:
        year, mon = (int(part) for part in text.split("-"))
        first = dt.date(year, mon, 1)
    except ValueError:
        raise PeriodError(f"month {text!r}: expected YYYY-MM, e.g. 2023-03") from None
    return Period(first, first.replace(day=calendar.monthrange(year, mon)[1]))


def between(first: str | None, last: str | None, year: int) -> Period:
    """`--from` and `--until` (ISO dates, both inclusive); a missing end is the year's end."""
    try:
        start = dt.date.fromisoformat(first) if first else dt.date(year, 1, 1)
        end = dt.date.fromisoformat(last) if last else dt.date(year, 12, 31)
    except ValueError:
        raise PeriodError(f"dates {first!r} and {last!r}: expected YYYY-MM-DD") from None
    return Period(start, end)
