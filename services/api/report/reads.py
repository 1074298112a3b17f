"""Which reads of the facts give a report's cubes, month by month.

The facts are partitioned by month (migration 0016), and a month whose facts are compacted and
unchanged since (hotline/storage/compaction.py) can be read without FINAL: many threads, no
merging, and the same cubes as long as its change count stays put. A month still changing is read
with FINAL, which merges every version it reads but reads that month's partition only. So the
days of the period and of its comparison period are cut at month boundaries into runs of clean
and of changing months, and each run is one read; a run of the period and one of the comparison
period share a read (the cube queries take two ranges of days, `cur` 1 and 0). A compacted
month's cubes, once read, are kept by the reader month by month (a `Segment`) under its change
count, and not read again while the count stays put.

Pure: the reader (services/api/facts_reader.py) asks ClickHouse for the months' marks and runs
the reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
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
class Segment:
    """The days of one month in one of the two periods (the whole month, or the part of it the
    period holds): the unit a reader keeps a compacted read's cubes by."""
    lo: dt.date
    hi: dt.date
    cur: bool  # the period's (True) or the comparison period's
    clean: bool
    mark: int  # the month's change count


@dataclass(frozen=True)
class Read:
    """One read of the cube queries: days lo..hi as the period's (cur = 1), plo..phi as the
    comparison period's (cur = 0), with FINAL or not. `segments`: the months it reads, whose
    rows a reader may keep one by one; empty for a read that must not be kept (a comparison
    period overlapping the period)."""
    lo: dt.date
    hi: dt.date
    plo: dt.date
    phi: dt.date
    final: bool
    segments: tuple[Segment, ...] = ()


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


def segments(period: Period, cur: bool, marks: Mapping[dt.date, MonthMark]) -> list[Segment]:
    """The period's days month by month, each with its month's mark."""
    out = []
    for m in months_between(period.lo, period.hi):
        mark = marks[m]
        out.append(Segment(max(m, period.lo), min(_next_month(m) - dt.timedelta(days=1), period.hi), cur,
                           mark.clean, mark.changes))
    return out


def _runs(segs: list[Segment]) -> list[list[Segment]]:
    """Segments of one period cut into runs of consecutive months."""
    runs: list[list[Segment]] = []
    for seg in segs:
        if runs and runs[-1][-1].hi + dt.timedelta(days=1) == seg.lo:
            runs[-1].append(seg)
        else:
            runs.append([seg])
    return runs


def plan(period: Period, previous: Period | None, marks: Mapping[dt.date, MonthMark],
         kept: Callable[[Segment], bool] = lambda seg: False) -> tuple[list[Read], list[Segment]]:
    """The reads, and the segments of those `kept` says a reader holds (compacted months' cubes
    kept under the same change count; asked once for each clean segment) that it is to use,
    that together give the cubes of `period` beside `previous` (None: no comparison period).
    `marks` has every month of both periods. Changing months are read with FINAL, the other
    months not kept without; consecutive months are one read, and a run of the period shares its
    read with one of the comparison period. Changing reads come first: they take longest (FINAL
    runs in one thread per query on 18.16), so the reader starts them first.

    A comparison period overlapping the period is read as the cube queries read it whole (a day
    in both counts in the period only): one read, with FINAL unless every month is clean, and
    not kept."""
    if previous is not None and previous.lo <= period.hi and period.lo <= previous.hi:
        covered = months_between(min(period.lo, previous.lo), max(period.hi, previous.hi))
        return [Read(period.lo, period.hi, previous.lo, previous.hi, not all(marks[m].clean for m in covered))], []
    now = segments(period, True, marks)
    before = segments(previous, False, marks) if previous is not None else []
    held = [seg for seg in now + before if seg.clean and kept(seg)]  # asked once per segment
    reads: list[Read] = []
    for final in (True, False):
        def wanted(seg: Segment) -> bool:
            return not seg.clean if final else seg.clean and seg not in held
        pairs = zip_longest(_runs([s for s in now if wanted(s)]), _runs([s for s in before if wanted(s)]))
        for cur, prev in pairs:
            lo, hi = (cur[0].lo, cur[-1].hi) if cur else NO_DAYS
            plo, phi = (prev[0].lo, prev[-1].hi) if prev else NO_DAYS
            reads.append(Read(lo, hi, plo, phi, final, tuple((cur or []) + (prev or []))))
    return reads, held
