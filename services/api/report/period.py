"""Periods of local dates (both ends included) and the comparison period of year-over-year."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.api.report.errors import BadPeriod

# Years the platform can hold: the working-day calendar covers 2004-2026 (hotline/calendar.py),
# a little room either side keeps "no data" answers possible instead of errors.
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_SERIES_DAYS = 3 * 366


def _year_earlier(d: dt.date) -> dt.date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 Feb -> 28 Feb
        return d.replace(year=d.year - 1, day=28)


@dataclass(frozen=True)
class Period:
    lo: dt.date
    hi: dt.date

    @classmethod
    def year(cls, year: int) -> "Period":
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise BadPeriod("year", f"must be between {FIRST_YEAR} and {LAST_YEAR}")
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31))

    @classmethod
    def between(cls, lo: dt.date, hi: dt.date, max_days: int | None = None) -> "Period":
        if hi < lo:
            raise BadPeriod("to", "the end date is before the start date ('from')")
        for name, d in (("from", lo), ("to", hi)):
            if not FIRST_YEAR <= d.year <= LAST_YEAR:
                raise BadPeriod(name, f"the year must be between {FIRST_YEAR} and {LAST_YEAR}")
        if max_days is not None and (hi - lo).days + 1 > max_days:
            raise BadPeriod("to", f"the period is longer than {max_days} days")
        return cls(lo, hi)

    def previous(self) -> "Period | None":
        """The same dates a year earlier, when they do not overlap this period (else None:
        year-over-year is not defined for periods longer than a year)."""
        prev = Period(_year_earlier(self.lo), _year_earlier(self.hi))
        return prev if prev.hi < self.lo else None

    @property
    def days(self) -> int:
        return (self.hi - self.lo).days + 1

    def as_dict(self) -> dict[str, str]:
        return {"from": self.lo.isoformat(), "to": self.hi.isoformat()}
