"""Hourly ticket counts as a grid of series × hours, and the days those hours fall on.

A series is a set of dimension values at one level: a category, a district, a category in a
district, a subcategory, a subcategory in a district (docs/alerts.md). The grid is built from
the rows the reader aggregates (hour, category, subcategory, district, tickets) in one pass of
dictionary look-ups over the distinct combinations and a few numpy scatter-adds. Pure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import chinese_calendar
import numpy as np

from services.alerts.episode import Series, series_of

HOUR_MS = 3_600_000
# level → the dimensions that name a series of it
LEVELS: dict[str, tuple[str, ...]] = {
    "category": ("category",),
    "district": ("district",),
    "category_district": ("category", "district"),
    "subcategory": ("category", "subcategory"),
    "subcategory_district": ("category", "subcategory", "district"),
}
_FIELDS = ("category", "subcategory", "district")

Row = tuple[int, str, str, str, int]  # hour_start_ms, category, subcategory, district, tickets


@dataclass(frozen=True)
class Days:
    """The local days of a run of hours: which day each hour is on, and whether it is a
    working day of the mainland-China calendar (holidays off, adjusted working days on)."""

    dates: tuple[dt.date, ...]
    of_hour: np.ndarray  # [hours] → index into dates
    working: np.ndarray  # [days] bool

    @classmethod
    def of(cls, first_hour_ms: int, hours: int, tz: ZoneInfo) -> Days:
        local = [dt.datetime.fromtimestamp((first_hour_ms + h * HOUR_MS) / 1000, tz).date() for h in range(hours)]
        dates = tuple(sorted(set(local)))
        index = {d: i for i, d in enumerate(dates)}
        return cls(dates, np.array([index[d] for d in local], dtype=np.int64),
                   np.array([working_day(d) for d in dates], dtype=bool))


def working_day(day: dt.date) -> bool:
    """chinese_calendar's answer; beyond the years it knows, Monday to Friday."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


@dataclass(frozen=True)
class Grid:
    first_hour_ms: int
    series: tuple[Series, ...]
    levels: tuple[str, ...]  # the level of each series
    counts: np.ndarray  # [series, hours] tickets
    total: np.ndarray  # [hours] every ticket of the city
    days: Days


def build_grid(rows: Iterable[Row], first_hour_ms: int, hours: int, tz: ZoneInfo,
               levels: Iterable[str] = tuple(LEVELS)) -> Grid:
    """Rows outside the hours are ignored; a series needs every dimension of its level
    non-empty (a ticket without a district counts in its category's series only)."""
    levels = tuple(levels)
    combos: dict[tuple[str, str, str], int] = {}
    hour_ix: list[int] = []
    combo_ix: list[int] = []
    n: list[int] = []
    for hour_ms, category, subcategory, district, tickets in rows:
        h = (hour_ms - first_hour_ms) // HOUR_MS
        if 0 <= h < hours and tickets:
            key = (category, subcategory, district)
            c = combos.setdefault(key, len(combos))
            hour_ix.append(h)
            combo_ix.append(c)
            n.append(tickets)
    hour_a = np.array(hour_ix, dtype=np.int64)
    combo_a = np.array(combo_ix, dtype=np.int64)
    n_a = np.array(n, dtype=np.int64)
    total = np.zeros(hours, dtype=np.int64)
    np.add.at(total, hour_a, n_a)

    series: dict[Series, int] = {}
    series_level: list[str] = []
    maps: list[np.ndarray] = []
    for level in levels:
        dims = LEVELS[level]
        to_series = np.full(max(len(combos), 1), -1, dtype=np.int64)
        for key, c in combos.items():
            values = dict(zip(_FIELDS, key))
            if all(values[d] for d in dims):
                s = series_of({d: values[d] for d in dims})
                if s not in series:
                    series[s] = len(series)
                    series_level.append(level)
                to_series[c] = series[s]
        maps.append(to_series)
    counts = np.zeros((len(series), hours), dtype=np.int64)
    for to_series in maps:
        s_ix = to_series[combo_a] if combo_a.size else combo_a
        keep = s_ix >= 0
        np.add.at(counts, (s_ix[keep], hour_a[keep]), n_a[keep])
    return Grid(first_hour_ms, tuple(series), tuple(series_level), counts, total,
                Days.of(first_hour_ms, hours, tz))
