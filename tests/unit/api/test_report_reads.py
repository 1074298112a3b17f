"""Which reads give a report's cubes, month by month (services/api/report/reads.py): the months
judged clean from their counts, the days cut into runs of changing months and of compacted
months not kept, a run of the period and one of the comparison period paired in one read, and
the kept months used as they are. Every date and count is written out by hand."""

from __future__ import annotations

import datetime as dt

from services.api.report.period import Period
from services.api.report.reads import NO_DAYS, MonthMark, Segment, marks, months_between, plan

D = dt.date
Y2023, Y2022 = Period.year(2023), Period.year(2022)
NONE_LO, NONE_HI = NO_DAYS


def ranges(period, previous, months, kept=lambda seg: False):
    """The plan's reads as (lo, hi, plo, phi, final), and the kept segments it uses."""
    reads, used = plan(period, previous, months, kept)
    return [(r.lo, r.hi, r.plo, r.phi, r.final) for r in reads], used


def every_month(year: int, changes: int = 1, clean: bool = True) -> dict[dt.date, MonthMark]:
    return {D(year, m, 1): MonthMark(changes, clean) for m in range(1, 13)}


def test_months_between_cross_years_and_count_a_partial_month():
    assert months_between(D(2022, 11, 30), D(2023, 2, 1)) == [D(2022, 11, 1), D(2022, 12, 1), D(2023, 1, 1),
                                                             D(2023, 2, 1)]
    assert months_between(D(2023, 2, 28), D(2023, 2, 28)) == [D(2023, 2, 1)]


def test_a_month_is_clean_when_compacted_and_unchanged_since():
    changes = {D(2023, 1, 1): 5, D(2023, 2, 1): 7}
    compacted = {D(2023, 1, 1): 5, D(2023, 2, 1): 6}
    got = marks(D(2023, 1, 10), D(2023, 3, 31), changes, compacted, compacted_once=True)
    # March has no count at all: clean, its facts (if any) merged by the compaction
    assert got == {D(2023, 1, 1): MonthMark(5, True), D(2023, 2, 1): MonthMark(7, False),
                   D(2023, 3, 1): MonthMark(0, True)}
    # never compacted (both tables): nothing is clean, even equal counts
    assert {m.clean for m in marks(D(2023, 1, 1), D(2023, 3, 31), changes, compacted, False).values()} == {False}


def test_a_clean_year_beside_a_clean_year_is_one_read_without_final():
    reads, used = plan(Y2023, Y2022, {**every_month(2022, 2), **every_month(2023, 3)})
    assert [(r.lo, r.hi, r.plo, r.phi, r.final) for r in reads] == [
        (D(2023, 1, 1), D(2023, 12, 31), D(2022, 1, 1), D(2022, 12, 31), False)]
    assert used == []
    # the read's months, each to be kept by itself: 12 of 2023 (cur) then 12 of 2022, with their counts
    segments = reads[0].segments
    assert len(segments) == 24
    assert segments[0] == Segment(D(2023, 1, 1), D(2023, 1, 31), True, True, 3)
    assert segments[13] == Segment(D(2022, 2, 1), D(2022, 2, 28), False, True, 2)


def test_a_changing_month_is_read_alone_with_final_and_first():
    months = {**every_month(2022), **every_month(2023)}
    months[D(2023, 6, 1)] = MonthMark(9, False)
    assert ranges(Y2023, Y2022, months) == ([
        (D(2023, 6, 1), D(2023, 6, 30), NONE_LO, NONE_HI, True),
        (D(2023, 1, 1), D(2023, 5, 31), D(2022, 1, 1), D(2022, 12, 31), False),
        (D(2023, 7, 1), D(2023, 12, 31), NONE_LO, NONE_HI, False),
    ], [])


def test_kept_months_are_not_read_again_and_break_the_runs():
    months = {**every_month(2022), **every_month(2023)}
    months[D(2023, 6, 1)] = MonthMark(9, False)
    # 2022 and 2023's first quarter kept; April, May and July–December of 2023 read
    kept = lambda seg: not seg.cur or seg.hi <= D(2023, 3, 31)  # noqa: E731
    reads, used = ranges(Y2023, Y2022, months, kept)
    assert reads == [
        (D(2023, 6, 1), D(2023, 6, 30), NONE_LO, NONE_HI, True),
        (D(2023, 4, 1), D(2023, 5, 31), NONE_LO, NONE_HI, False),
        (D(2023, 7, 1), D(2023, 12, 31), NONE_LO, NONE_HI, False),
    ]
    assert [(s.lo, s.cur) for s in used] == [(D(2023, m, 1), True) for m in (1, 2, 3)] + \
        [(D(2022, m, 1), False) for m in range(1, 13)]
    # a changing month is read with FINAL even if something is kept for it
    assert ranges(Y2023, Y2022, months, lambda seg: True)[0] == [(D(2023, 6, 1), D(2023, 6, 30), NONE_LO, NONE_HI, True)]


def test_changing_months_of_both_years_share_reads():
    months = {**every_month(2022), **every_month(2023)}
    for m in (D(2022, 12, 1), D(2023, 11, 1), D(2023, 12, 1)):
        months[m] = MonthMark(2, False)
    assert ranges(Y2023, Y2022, months)[0] == [
        (D(2023, 11, 1), D(2023, 12, 31), D(2022, 12, 1), D(2022, 12, 31), True),
        (D(2023, 1, 1), D(2023, 10, 31), D(2022, 1, 1), D(2022, 11, 30), False),
    ]


def test_a_period_of_parts_of_months_is_clipped_to_its_days():
    months = {D(2023, 3, 1): MonthMark(1, True), D(2023, 4, 1): MonthMark(4, False), D(2023, 5, 1): MonthMark(1, True)}
    reads, _ = plan(Period(D(2023, 3, 15), D(2023, 5, 10)), None, months)
    assert [(r.lo, r.hi, r.plo, r.phi, r.final) for r in reads] == [
        (D(2023, 4, 1), D(2023, 4, 30), NONE_LO, NONE_HI, True),
        (D(2023, 3, 15), D(2023, 3, 31), NONE_LO, NONE_HI, False),
        (D(2023, 5, 1), D(2023, 5, 10), NONE_LO, NONE_HI, False),
    ]
    assert reads[2].segments == (Segment(D(2023, 5, 1), D(2023, 5, 10), True, True, 1),)


def test_a_comparison_period_overlapping_the_period_is_read_with_it_and_not_kept():
    months = {D(2023, 3, 1): MonthMark(1, True), D(2023, 4, 1): MonthMark(2, False), D(2023, 5, 1): MonthMark(3, True)}
    period, previous = Period(D(2023, 4, 1), D(2023, 5, 31)), Period(D(2023, 3, 1), D(2023, 4, 30))
    assert ranges(period, previous, months, lambda seg: True) == (
        [(D(2023, 4, 1), D(2023, 5, 31), D(2023, 3, 1), D(2023, 4, 30), True)], [])
    months[D(2023, 4, 1)] = MonthMark(2, True)
    reads, used = plan(period, previous, months, lambda seg: True)
    assert [r.final for r in reads] == [False] and reads[0].segments == () and used == []
