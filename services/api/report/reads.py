"""Which reads of the facts give a report's cubes, month by month.

The facts are partitioned by month (migration 0016), and a month whose facts are compacted and
unchanged since (hotline/storage/compaction.py) can be read without FINAL: many threads, no
merging, and the same cubes as long as its change count stays put. A month still changing is read
with FINAL, which merges every version it reads but reads that month's partition only. So the
days of the period and of its comparison period are cut at month boundaries into runs of clean
and of changing months, and each run is one read; a run of the period and one of the comparison
period share a read (the cube queries take two ranges of days, `cur` 1 and 0).

Pure: the reader (services/api/facts_reader.py) asks ClickHouse for the months' marks and runs
the reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import zip_longest

from services.api.report.period import Period

# Days no fact is on (lo > hi): the range of a read that has nothing of one of the two periods.
NO_DAYS = (dt.date(1970, 1, 2), dt.date(1970, 1, 1))


@dataclass(frozen=True)
class MonthMark:
    changes: int  # refreshes counted on the month's days so far (facts_changes)
    clean: bool  # compacted, and no refresh since


@dataclass(frozen=True)
class Read:
    """One read of the cube queries: days lo..hi as the period's (cur = 1), plo..phi as the
    comparison period's (cur = 0), with FINAL or not; `mark` is the change count of the months it
    covers, under which a clean read's cubes may be kept."""
    lo: dt.date
    hi: dt.date
    plo: dt.date
    phi: dt.date
    final: bool
    mark: int


def month_of(d: dt.date) -> dt.date:
    return d.replace(day=1)


def _next_month(m: dt.date) -> dt.date:
    return (m.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def months_between(lo: dt.date, hi: dt.date) -> list[dt.date]:
    """The first days of the months that days lo..hi fall in."""
    out, m = [], month_of(lo)
    while m <= hi:
        out.append(m)
        m = _next_month(m)
    return out


def marks(lo: dt.date, hi: dt.date, changes: Mapping[dt.date, int], compacted: Mapping[dt.date, int],
          compacted_once: bool) -> dict[dt.date, MonthMark]:
    """Every month of days lo..hi with its mark, from the change counts per month so far and as
    the last compaction saw them (hotline.storage.compaction.month_counts): clean when both
    tables were compacted at least once and the two counts are equal (a month without any count
    is then clean: its facts, if any, were merged by that compaction)."""
    return {m: MonthMark(changes.get(m, 0), compacted_once and changes.get(m, 0) == compacted.get(m, 0))
            for m in months_between(lo, hi)}


def _runs(period: Period, marks: Mapping[dt.date, MonthMark]) -> list[tuple[dt.date, dt.date, bool, int]]:
    """The period's days as runs of whole (or clipped) months of one state:
    (first day, last day, clean, change count)."""
    runs: list[tuple[dt.date, dt.date, bool, int]] = []
    for m in months_between(period.lo, period.hi):
        mark = marks[m]
        lo, hi = max(m, period.lo), min(_next_month(m) - dt.timedelta(days=1), period.hi)
        if runs and runs[-1][2] == mark.clean:
            first, _, clean, changes = runs[-1]
            runs[-1] = (first, hi, clean, changes + mark.changes)
        else:
            runs.append((lo, hi, mark.clean, mark.changes))
    return runs


def plan(period: Period, previous: Period | None, marks: Mapping[dt.date, MonthMark]) -> list[Read]:
    """The reads that together give the cubes of `period` beside `previous` (None: no
    comparison period). `marks` has every month of both periods. Changing reads come first: they
    take longest (FINAL runs in one thread per query on 18.16), so the reader starts them first.

    A comparison period overlapping the period is read as the cube queries read it whole (a day
    in both counts in the period only): one read, with FINAL unless every month is clean."""
    if previous is not None and previous.lo <= period.hi and period.lo <= previous.hi:
        covered = months_between(min(period.lo, previous.lo), max(period.hi, previous.hi))
        clean = all(marks[m].clean for m in covered)
        return [Read(period.lo, period.hi, previous.lo, previous.hi, not clean,
                     sum(marks[m].changes for m in covered))]
    now = _runs(period, marks)
    before = _runs(previous, marks) if previous is not None else []
    reads: list[Read] = []
    for clean in (False, True):
        pairs = zip_longest([r for r in now if r[2] == clean], [r for r in before if r[2] == clean])
        for cur, prev in pairs:
            lo, hi = cur[:2] if cur else NO_DAYS
            plo, phi = prev[:2] if prev else NO_DAYS
            reads.append(Read(lo, hi, plo, phi, not clean, (cur[3] if cur else 0) + (prev[3] if prev else 0)))
    return reads
