"""When demands arrive: the shares of a year's volume per day, and the hour of day.

Weekdays are busier than weekends, Monday most of all; statutory holidays are quiet and the
adjusted working days (调休) count as weekdays; summer (water, power, heat) and the weeks after
春节 are busier; a little day-to-day noise. Hours follow a hotline's day: a night trough, a
morning peak at 9–11 and an afternoon one at 14–16.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import numpy as np

WEEKDAY = (1.16, 1.06, 1.02, 1.0, 0.97, 0.74, 0.70)  # Monday … Sunday
HOLIDAY = 0.62
MONTH = (1.0, 0.93, 1.0, 0.98, 0.98, 1.04, 1.12, 1.12, 1.02, 0.95, 0.96, 0.96)
# Calls per hour of day, relative (0:00 … 23:00).
HOURS = np.array([0.9, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 3.0, 6.5, 8.6, 8.8, 7.6,
                  5.2, 5.6, 7.4, 7.6, 7.0, 5.9, 4.4, 3.9, 3.5, 2.9, 2.1, 1.4])
HOURS = HOURS / HOURS.sum()
# Outbound calls (call-backs, evaluations) are placed in office hours, 8:30 to 20:00.
OUT_FIRST_S, OUT_LAST_S = 8 * 3600 + 1800, 20 * 3600


def days_of(year: int) -> list[dt.date]:
    first = dt.date(year, 1, 1)
    return [first + dt.timedelta(days=i) for i in range((dt.date(year + 1, 1, 1) - first).days)]


def day_weights(year: int, rng: np.random.Generator) -> np.ndarray:
    """One weight per day of `year`, summing to 1."""
    w = []
    for day in days_of(year):
        holiday, _ = chinese_calendar.get_holiday_detail(day)
        if chinese_calendar.is_workday(day):
            f = WEEKDAY[day.weekday()] if day.weekday() < 5 else WEEKDAY[0]  # 调休: a Monday's load
        else:
            f = HOLIDAY if holiday and day.weekday() < 5 else WEEKDAY[day.weekday()]
        w.append(f * MONTH[day.month - 1])
    out = np.array(w) * rng.lognormal(0.0, 0.05, len(w))
    return out / out.sum()


def seconds_of_day(rng: np.random.Generator, n: int) -> np.ndarray:
    """n arrival times (seconds after local midnight), sorted, following HOURS."""
    hours = rng.choice(24, size=n, p=HOURS)
    return np.sort(hours * 3600 + rng.integers(0, 3600, size=n))


def office_seconds(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.sort(rng.integers(OUT_FIRST_S, OUT_LAST_S, size=n))
