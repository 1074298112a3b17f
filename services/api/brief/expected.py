"""What a period was expected to hold, from the days before it: the daily band of the trend chart
and the expected count of each category behind the hot ranking (热点诉求).

Baseline days are the (up to) 28 days before the period that the platform holds data for. A
day's band comes from the baseline days of its own type (working day or rest day by the
working-day calendar), so a holiday week is not measured against working days. A category's
expected count is its share of the baseline's tickets times the period's total: the period's own
volume carries the season and the holidays, so a busy week does not make every category hot.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from services.api.report.period import Period

BASELINE_DAYS = 28
SPREAD = 2.0  # the band is the mean ∓ 2 × max(sd, √mean)


def baseline(period: Period, first_held: dt.date | None, days: int = BASELINE_DAYS) -> Period | None:
    """The baseline days of `period`: the `days` before it, from the first day the platform holds
    data for; None when there is none."""
    if first_held is None:
        return None
    lo = max(period.lo - dt.timedelta(days=days), first_held)
    hi = period.lo - dt.timedelta(days=1)
    return Period(lo, hi) if lo <= hi else None


@dataclass(frozen=True)
class Band:
    expected: float
    low: float
    high: float


def band(counts: list[int]) -> Band | None:
    """The band of a day from the counts of its baseline days (sample standard deviation; the
    Poisson √mean as a floor, so a very regular baseline does not make every wobble an anomaly)."""
    if not counts:
        return None
    n = len(counts)
    mean = sum(counts) / n
    sd = math.sqrt(sum((c - mean) ** 2 for c in counts) / (n - 1)) if n > 1 else 0.0
    half = SPREAD * max(sd, math.sqrt(mean))
    return Band(mean, max(0.0, mean - half), mean + half)


def trend(period: Period, base: Period | None, daily: Mapping[dt.date, int],
          workday: Callable[[dt.date], bool], last_day: dt.date | None) -> list[dict[str, Any]]:
    """Each day of the period: its demands (None after `last_day`, the days not yet held) and
    the band from the baseline days of the same type."""
    by_type: dict[bool, list[int]] = {True: [], False: []}
    if base is not None:
        d = base.lo
        while d <= base.hi:
            by_type[workday(d)].append(daily.get(d, 0))
            d += dt.timedelta(days=1)
    out = []
    d = period.lo
    while d <= period.hi:
        kind = workday(d)
        b = band(by_type[kind])
        out.append({
            "day": d.isoformat(), "workday": kind,
            "demands": daily.get(d, 0) if last_day is None or d <= last_day else None,
            "expected": b.expected if b else None, "low": b.low if b else None, "high": b.high if b else None,
        })
        d += dt.timedelta(days=1)
    return out


def ranking(observed: Mapping[Any, int], base: Mapping[Any, int], top_n: int) -> list[dict[str, Any]]:
    """Series ranked by excess = observed − expected, expected = the period's total × the series'
    share of the baseline; only series above expectation, at most `top_n`, ties by key. Empty
    when the baseline holds no ticket (nothing to expect from)."""
    base_total = sum(base.values())
    if not base_total:
        return []
    total = sum(observed.values())
    rows = []
    for key in set(observed) | set(base):
        got = observed.get(key, 0)
        expected = total * base.get(key, 0) / base_total
        excess = got - expected
        if excess > 1e-9:
            rows.append((key, got, expected, excess))
    rows.sort(key=lambda r: (-r[3], r[0]))
    return [{"key": key, "observed": got, "expected": expected, "excess": excess,
             "ratio": got / expected if expected else None}
            for key, got, expected, excess in rows[:top_n]]
