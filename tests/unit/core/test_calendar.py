"""Working-day stamps against real 2023 dates (国务院办公厅 2023 holiday notice)."""

from __future__ import annotations

import datetime as dt

import pytest

from hotline.calendar import CalendarNotCovered, WorkCalendar

SH = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(scope="module")
def cal():
    return WorkCalendar.from_library("Asia/Shanghai")


def at(y, m, d, hh=0, mm=0, ss=0, tz=SH):
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=tz)


def test_plain_week(cal):
    # Mon 2023-03-06 09:00 -> Fri 2023-03-10 09:00: four working days.
    assert cal.workdays_between(at(2023, 3, 6, 9), at(2023, 3, 10, 9)) == 4.0
    # Fri 17:00 -> Mon 09:00: the weekend adds nothing; 7 h Friday + 9 h Monday = 16 h.
    assert cal.workdays_between(at(2023, 3, 10, 17), at(2023, 3, 13, 9)) == pytest.approx(16 / 24)


def test_spring_festival_2023(cal):
    # 春节: 21-27 Jan 2023 off; Sat 28 and Sun 29 Jan are adjusted working days.
    assert [cal.is_workday(dt.date(2023, 1, d)) for d in range(20, 31)] == [
        True, False, False, False, False, False, False, False, True, True, True,
    ]
    # Created Fri 20 Jan 12:00, completed Sat 28 Jan 12:00: 0.5 + 0.5 = 1 working day,
    # although 8 calendar days passed.
    assert cal.workdays_between(at(2023, 1, 20, 12), at(2023, 1, 28, 12)) == 1.0


def test_national_day_2023_with_adjusted_saturday(cal):
    # 中秋/国庆: 29 Sep - 6 Oct off; Sat 7 and Sun 8 Oct worked.
    assert not cal.is_workday(dt.date(2023, 10, 2))
    assert cal.is_workday(dt.date(2023, 10, 7)) and cal.is_workday(dt.date(2023, 10, 8))
    # Thu 28 Sep 18:00 -> Sun 8 Oct 06:00: 6 h on the 28th, all of the 7th, 6 h of the 8th.
    assert cal.workdays_between(at(2023, 9, 28, 18), at(2023, 10, 8, 6)) == 1.5


def test_new_year_boundary_and_time_zone(cal):
    # A ticket created 31 Dec 2023 (Sunday, a rest day) 23:00 local and completed Tue 2 Jan
    # 2024 08:00 local (1 Jan is a holiday): only 8 h of 2 Jan count.
    created = dt.datetime(2023, 12, 31, 15, 0, tzinfo=dt.timezone.utc)
    completed = dt.datetime(2024, 1, 2, 0, 0, tzinfo=dt.timezone.utc)
    assert cal.workdays_between(created, completed) == pytest.approx(8 / 24)


def test_monotonic_and_zero_on_rest_days(cal):
    sat = [cal.work_seconds(at(2023, 3, 11, h)) for h in (0, 12, 23)]
    assert sat[0] == sat[1] == sat[2]
    assert cal.work_seconds(at(2023, 3, 13, 0)) == sat[0]
    assert cal.work_seconds(at(2023, 3, 13, 0, 0, 1)) == sat[0] + 1


def test_uncovered_year_fails_loudly(cal):
    with pytest.raises(CalendarNotCovered, match="supply that year's holiday schedule"):
        cal.work_seconds(at(cal.last.year + 1, 1, 2, 9))
    with pytest.raises(CalendarNotCovered):
        cal.work_seconds(at(2003, 12, 31, 9))


def test_naive_time_is_refused(cal):
    with pytest.raises(ValueError, match="aware"):
        cal.work_seconds(dt.datetime(2023, 3, 6, 9))
