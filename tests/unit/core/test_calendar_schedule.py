"""A year's holiday schedule as a document (hotline/calendar/schedule.py): what is accepted, what
is refused and why, and the library's 23 years (2004-2026, chinesecalendar 1.11.0) written as
documents. Every expected figure is stated by hand; weekdays were read off a calendar."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import chinese_calendar
import pytest

from hotline.calendar.schedule import ScheduleInvalid, YearSchedule, from_library, loads, parse

D = dt.date
FIXTURE_2027 = Path(__file__).resolve().parents[2] / "fixtures" / "calendar-2027.json"
LIBRARY_YEARS = range(2004, 2027)  # what chinesecalendar 1.11.0 covers


def doc_2027() -> dict:
    """The fixture document, decoded, a fresh copy each time (a test may change it)."""
    return copy.deepcopy(json.loads(FIXTURE_2027.read_text(encoding="utf-8")))


def problems_of(doc: object) -> list[str]:
    with pytest.raises(ScheduleInvalid) as exc:
        parse(doc)
    return exc.value.problems


@pytest.fixture(scope="module")
def fixture_2027() -> YearSchedule:
    return parse(doc_2027())


# --- the fixture 2027 document ---------------------------------------------------------------

def test_fixture_2027_document_parses(fixture_2027):
    assert fixture_2027.year == 2027
    assert fixture_2027.notice.startswith("A schedule written for the tests")
    assert fixture_2027.holidays["spring_festival"] == tuple(D(2027, 2, d) for d in range(5, 14))


def test_fixture_2027_decides_exactly_the_365_days_of_2027(fixture_2027):
    days = fixture_2027.days()
    assert len(days) == 365
    assert min(days) == D(2027, 1, 1) and max(days) == D(2027, 12, 31)


def test_fixture_2027_has_249_working_days(fixture_2027):
    # 2027 starts on a Friday: 52 weeks + 1 Friday = 52*5 + 1 = 261 weekdays.
    # Weekday holidays: New Year 1 (Fri 01-01), Spring Festival 6 (Fri 02-05, Mon-Fri 02-08..12),
    # Tomb-sweeping 1 (Mon 04-05), Labour Day 3 (Mon-Wed 05-03..05), Dragon Boat 1 (Wed 06-09),
    # Mid-Autumn 1 (Wed 09-15), National Day 5 (Fri 10-01, Mon-Thu 10-04..07) = 18.
    # Adjusted working days, all on weekends: Sun 01-31, Sun 02-14, Sun 04-25, Sat 05-08,
    # Sun 09-26, Sat 10-09 = 6.   261 - 18 + 6 = 249.
    assert sum(fixture_2027.days().values()) == 249


@pytest.mark.parametrize(("day", "working"), [
    (D(2027, 2, 14), True),   # Sunday, adjusted working day after the Spring Festival
    (D(2027, 10, 7), False),  # Thursday, last day of the National Day block
    (D(2027, 3, 6), False),   # Saturday, no holiday near it
])
def test_fixture_2027_day(fixture_2027, day, working):
    assert fixture_2027.days()[day] is working


# --- the library's years written as documents --------------------------------------------------

# Late-December days that the NEXT year's notice decides (New Year make-up days and days off):
# the library says (by chinese_calendar.workdays / .holidays, read by hand) True = working day.
# Year Y's document cannot decide them, so its days() keep the plain weekday rule there.
DECIDED_BY_NEXT_NOTICE = {
    2006: {D(2006, 12, 30): True, D(2006, 12, 31): True},    # Sat, Sun worked for New Year 2007
    2007: {D(2007, 12, 29): True, D(2007, 12, 31): False},   # Sat worked, Mon off for New Year 2008
    2011: {D(2011, 12, 31): True},                           # Sat worked for New Year 2012
    2018: {D(2018, 12, 29): True, D(2018, 12, 31): False},   # Sat worked, Mon off for New Year 2019
}


@pytest.mark.parametrize("year", LIBRARY_YEARS)
def test_library_year_written_as_a_document_is_accepted(year):
    schedule = parse(from_library(year).to_json())
    assert schedule.year == year


@pytest.mark.parametrize("year", LIBRARY_YEARS)
def test_library_year_document_agrees_with_library_except_days_the_next_notice_decides(year):
    days = parse(from_library(year).to_json()).days()
    assert {d for d in days if d.year == year} == {D(year, 1, 1) + dt.timedelta(days=i)
                                                   for i in range((D(year + 1, 1, 1) - D(year, 1, 1)).days)}
    disagreeing = {d for d, working in days.items() if working != chinese_calendar.is_workday(d)}
    assert disagreeing == set(DECIDED_BY_NEXT_NOTICE.get(year, {}))


@pytest.mark.parametrize("year", sorted(DECIDED_BY_NEXT_NOTICE))
def test_next_years_document_decides_the_late_december_days_as_the_library(year):
    next_days = parse(from_library(year + 1).to_json()).days()
    assert {d: next_days[d] for d in DECIDED_BY_NEXT_NOTICE[year]} == DECIDED_BY_NEXT_NOTICE[year]


def test_library_2019_lists_2018_12_29_as_an_adjusted_working_day():
    # The library: 2018-12-29 (Saturday) is a working day labelled New Year's Day; 2018-12-30
    # (Sunday) and 2018-12-31 (Monday) are New Year's Day holidays. All belong to the 2019 notice.
    assert chinese_calendar.workdays[D(2018, 12, 29)] == "New Year's Day"
    assert chinese_calendar.get_holiday_detail(D(2018, 12, 31)) == (True, "New Year's Day")
    schedule = from_library(2019)
    assert schedule.workdays[0] == D(2018, 12, 29)
    assert schedule.holidays["new_years_day"] == (D(2018, 12, 30), D(2018, 12, 31), D(2019, 1, 1))


def test_library_2018_leaves_its_late_december_new_year_days_to_2019():
    schedule = from_library(2018)
    assert schedule.holidays["new_years_day"] == (D(2018, 1, 1),)
    assert D(2018, 12, 29) not in schedule.workdays


# --- refusals: each names the field and the day ------------------------------------------------

def test_adjusted_working_day_on_a_weekday_is_refused():
    doc = doc_2027()
    doc["workdays"].append("2027-02-03")
    [problem] = problems_of(doc)
    assert problem.startswith("workdays: 2027-02-03 is a Wednesday")


def test_day_both_off_and_worked_is_refused():
    doc = doc_2027()
    doc["workdays"].append("2027-02-06")  # Saturday inside the Spring Festival block
    [problem] = problems_of(doc)
    assert problem.startswith("workdays: 2027-02-06 is also a day off")
    assert "spring_festival" in problem


def test_national_day_without_2_october_is_refused():
    doc = doc_2027()
    doc["holidays"]["national_day"] = ["2027-10-01", "2027-10-03/2027-10-08"]
    [problem] = problems_of(doc)
    assert problem.startswith("holidays.national_day: 2027-10-02 must be a day off")


def test_spring_festival_of_3_days_is_refused_in_2027():
    doc = doc_2027()
    doc["holidays"]["spring_festival"] = ["2027-02-06/2027-02-08"]
    [problem] = problems_of(doc)
    assert problem.startswith("holidays.spring_festival: 3 day(s) off")
    assert "at least 4" in problem


def test_spring_festival_of_3_days_is_accepted_in_2024():
    # Before the 2025 revision the law gave the Spring Festival 3 days.
    doc = from_library(2024).to_json()
    doc["holidays"]["spring_festival"] = ["2024-02-10/2024-02-12"]
    assert parse(doc).holidays["spring_festival"] == (D(2024, 2, 10), D(2024, 2, 11), D(2024, 2, 12))


def test_missing_holiday_is_refused():
    doc = doc_2027()
    del doc["holidays"]["dragon_boat_festival"]
    [problem] = problems_of(doc)
    assert problem.startswith("holidays.dragon_boat_festival: missing")


def test_date_outside_the_year_is_refused():
    doc = doc_2027()
    doc["holidays"]["dragon_boat_festival"] = ["2026-06-01", "2027-06-09"]
    [problem] = problems_of(doc)
    assert problem == "holidays.dragon_boat_festival: 2026-06-01 is not in 2027"


def test_unknown_holiday_name_is_refused():
    doc = doc_2027()
    doc["holidays"]["qixi_festival"] = ["2027-08-08"]
    [problem] = problems_of(doc)
    assert problem.startswith("holidays.qixi_festival: unknown holiday")


def test_unknown_top_level_field_is_refused():
    doc = doc_2027()
    doc["source"] = "gov.cn"
    [problem] = problems_of(doc)
    assert problem.startswith("source: unknown field")


def test_year_as_a_string_is_refused():
    doc = doc_2027()
    doc["year"] = "2027"
    with pytest.raises(ScheduleInvalid) as exc:
        parse(doc)
    assert exc.value.problems == ["year: must be a whole number from 2004 to 2100"]
    assert exc.value.year == "2027"


def test_reversed_interval_is_refused():
    doc = doc_2027()
    doc["holidays"]["spring_festival"] = ["2027-02-13/2027-02-05"]
    problems = problems_of(doc)
    # The interval is refused, which leaves the Spring Festival without days.
    assert problems == [
        "holidays.spring_festival: 2027-02-13/2027-02-05 is not an interval of at most 15 days",
        "holidays.spring_festival: missing (every year has it)",
    ]


def test_lunar_holiday_far_from_its_season_is_refused():
    doc = doc_2027()
    doc["holidays"]["dragon_boat_festival"] = ["2027-08-01"]
    [problem] = problems_of(doc)
    assert problem.startswith("holidays.dragon_boat_festival: 2027-08-01 is outside 05-25..06-30")


def test_several_problems_are_all_reported():
    doc = doc_2027()
    doc["workdays"].append("2027-02-03")
    doc["source"] = "gov.cn"
    del doc["holidays"]["dragon_boat_festival"]
    problems = problems_of(doc)
    assert len(problems) == 3
    assert any(p.startswith("source: unknown field") for p in problems)
    assert any(p.startswith("holidays.dragon_boat_festival: missing") for p in problems)
    assert any(p.startswith("workdays: 2027-02-03 is a Wednesday") for p in problems)


def test_refusal_message_names_the_year_and_every_problem():
    doc = doc_2027()
    doc["workdays"].append("2027-02-03")
    doc["source"] = "gov.cn"
    with pytest.raises(ScheduleInvalid) as exc:
        parse(doc)
    message = str(exc.value)
    assert message.startswith("the holiday schedule of 2027 is refused: ")
    assert "source: unknown field" in message and "2027-02-03 is a Wednesday" in message


# --- Mid-Autumn merged into National Day ---------------------------------------------------------

def test_mid_autumn_merged_into_an_8_day_national_day_is_accepted():
    # As in 2020 (Mid-Autumn on 1 October): no mid_autumn_festival, National Day of 8 days.
    doc = doc_2027()
    del doc["holidays"]["mid_autumn_festival"]
    doc["holidays"]["national_day"] = ["2027-10-01/2027-10-08"]
    schedule = parse(doc)
    assert "mid_autumn_festival" not in schedule.holidays
    assert schedule.days()[D(2027, 10, 8)] is False  # Friday, the eighth day


@pytest.mark.parametrize("national_day", [["2027-10-01/2027-10-03"], ["2027-10-01/2027-10-07"]])
def test_mid_autumn_absent_beside_a_usual_national_day_is_a_forgotten_holiday(national_day):
    # Only a merged block (8 days each time it happened) may hold Mid-Autumn; a usual 7-day
    # National Day without it would silently make Mid-Autumn (Wed 15 Sep 2027) a working day.
    doc = doc_2027()
    del doc["holidays"]["mid_autumn_festival"]
    doc["holidays"]["national_day"] = national_day
    days = 3 if national_day[0].endswith("03") else 7
    assert problems_of(doc) == [
        f"holidays.mid_autumn_festival: missing (a National Day of {days} days cannot hold it: list Mid-Autumn's "
        "day, or the merged block of at least 8 days)"]


# --- loads ---------------------------------------------------------------------------------------

DOC_2028 = {
    "year": 2028,
    "holidays": {
        "new_years_day": ["2028-01-01/2028-01-03"],          # Sat..Mon
        "spring_festival": ["2028-01-25/2028-02-01"],        # Tue..Tue, around Wed 26 Jan
        "tomb_sweeping_day": ["2028-04-04"],                 # Tue
        "labour_day": ["2028-05-01/2028-05-05"],             # Mon..Fri
        "dragon_boat_festival": ["2028-05-27/2028-05-29"],   # Sat..Mon
        "national_day": ["2028-10-01/2028-10-08"],           # with Mid-Autumn (Tue 3 Oct)
    },
    "workdays": ["2028-01-22", "2028-02-05", "2028-04-29", "2028-09-30", "2028-10-14"],  # all Saturdays
}


def test_loads_reads_a_list_of_two_years():
    schedules = loads(json.dumps([doc_2027(), DOC_2028]))
    assert [s.year for s in schedules] == [2027, 2028]


def test_loads_reads_a_single_document_as_a_list_of_one():
    assert [s.year for s in loads(FIXTURE_2027.read_bytes())] == [2027]


def test_loads_refuses_the_same_year_twice():
    with pytest.raises(ScheduleInvalid) as exc:
        loads(json.dumps([doc_2027(), doc_2027()]))
    assert exc.value.problems == ["a year appears twice in the file"]
    assert "2027" in str(exc.value)


def test_loads_refuses_text_that_is_not_json():
    with pytest.raises(ScheduleInvalid) as exc:
        loads("year: 2027\nholidays: {}")
    [problem] = exc.value.problems
    assert problem.startswith("not JSON: ")


# --- canonical form --------------------------------------------------------------------------------

def test_canonical_form_ignores_key_order(fixture_2027):
    doc = doc_2027()
    reordered = {k: doc[k] for k in reversed(list(doc))}
    reordered["holidays"] = {k: doc["holidays"][k] for k in reversed(list(doc["holidays"]))}
    assert list(reordered) != list(doc)
    other = parse(reordered)
    assert other.canonical() == fixture_2027.canonical()
    assert other.sha256 == fixture_2027.sha256


def test_canonical_form_ignores_intervals_versus_listed_days(fixture_2027):
    doc = doc_2027()
    # The same days, listed one by one, out of order.
    doc["holidays"]["spring_festival"] = ["2027-02-13", "2027-02-05", "2027-02-06/2027-02-08",
                                          "2027-02-12", "2027-02-09", "2027-02-10", "2027-02-11"]
    doc["holidays"]["national_day"] = [f"2027-10-0{d}" for d in (7, 6, 5, 4, 3, 2, 1)]
    doc["workdays"] = list(reversed(doc["workdays"]))
    assert parse(doc).sha256 == fixture_2027.sha256


def test_sha256_changes_when_a_day_changes(fixture_2027):
    doc = doc_2027()
    doc["workdays"].remove("2027-10-09")
    assert parse(doc).sha256 != fixture_2027.sha256
