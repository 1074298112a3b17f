"""The one calendar made of the library and supplied year schedules (hotline/calendar/sources.py):
coverage, gaps, disagreements, and where each year came from. Uses the installed chinesecalendar
(1.11.0: 2004-2026) and small synthetic `library=` runs. Expected figures are worked by hand."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import chinese_calendar
import pytest

from hotline.calendar.schedule import YearSchedule, from_library, parse
from hotline.calendar.sources import Source, combine

D = dt.date
TZ = "Asia/Shanghai"
SH = dt.timezone(dt.timedelta(hours=8))
LIBRARY = "library chinesecalendar 1.11.0"
FIXTURE_2027 = Path(__file__).resolve().parents[2] / "fixtures" / "calendar-2027.json"

# A plausible 2028 (1 Jan 2028 is a Saturday); Mid-Autumn (Tue 3 Oct) merged into National Day.
DOC_2028 = {
    "year": 2028,
    "holidays": {
        "new_years_day": ["2028-01-01/2028-01-03"],
        "spring_festival": ["2028-01-25/2028-02-01"],
        "tomb_sweeping_day": ["2028-04-04"],
        "labour_day": ["2028-05-01/2028-05-05"],
        "dragon_boat_festival": ["2028-05-27/2028-05-29"],
        "national_day": ["2028-10-01/2028-10-08"],
    },
    "workdays": ["2028-01-22", "2028-02-05", "2028-04-29", "2028-09-30", "2028-10-14"],  # Saturdays
}

# Synthetic library: every day of 2004 (a leap year: 366 days) is a working day, nothing after.
ALL_WORK_2004 = [True] * 366

# 2005 under the pre-2008 law (1 Jan 2005 is a Saturday), the shape of that year's notice.
DOC_2005 = {
    "year": 2005,
    "holidays": {
        "new_years_day": ["2005-01-01/2005-01-03"],   # Sat..Mon
        "spring_festival": ["2005-02-09/2005-02-15"],  # Wed..Tue
        "labour_day": ["2005-05-01/2005-05-07"],
        "national_day": ["2005-10-01/2005-10-07"],
    },
    "workdays": ["2005-02-05", "2005-02-06", "2005-04-30", "2005-05-08", "2005-10-08", "2005-10-09"],
}
DOC_2006 = {
    "year": 2006,
    "holidays": {
        "new_years_day": ["2006-01-01/2006-01-03"],
        "spring_festival": ["2006-01-29/2006-02-04"],
        "labour_day": ["2006-05-01/2006-05-07"],
        "national_day": ["2006-10-01/2006-10-07"],
    },
    "workdays": [],
}


def at(y, m, d, hh=0, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=SH)


def doc_2027() -> dict:
    return copy.deepcopy(json.loads(FIXTURE_2027.read_text(encoding="utf-8")))


def schedule(doc: dict, **changes) -> YearSchedule:
    return parse({**copy.deepcopy(doc), **changes})


@pytest.fixture(scope="module")
def s2027() -> YearSchedule:
    return parse(doc_2027())


@pytest.fixture(scope="module")
def s2028() -> YearSchedule:
    return parse(DOC_2028)


# --- the real library --------------------------------------------------------------------------

def test_library_alone_covers_2004_to_2026():
    combined = combine(TZ, [])
    assert combined.calendar.first == D(2004, 1, 1)
    assert combined.covered_until == D(2026, 12, 31)
    assert combined.problems == ()


def test_library_until_2025_ends_coverage_on_31_december_2025():
    assert combine(TZ, [], library_until=2025).covered_until == D(2025, 12, 31)


def test_library_alone_names_itself_with_its_version_as_the_only_source():
    assert combine(TZ, []).sources == (Source(2004, 2026, LIBRARY),)


def test_library_and_2027_schedule_cover_to_end_of_2027(s2027):
    combined = combine(TZ, [(s2027, "fixture")])
    assert combined.covered_until == D(2027, 12, 31)
    assert combined.problems == ()


def test_handling_time_across_the_supplied_2027_spring_festival(s2027):
    calendar = combine(TZ, [(s2027, "fixture")]).calendar
    # Thu 2027-02-04 09:00: 15 h of that day left; 02-05..02-13 off; Sun 02-14 adjusted working
    # day: 24 h; Mon 02-15 until 09:00: 9 h.  (15 + 24 + 9) / 24 = 2.0 working days.
    assert calendar.workdays_between(at(2027, 2, 4, 9), at(2027, 2, 15, 9)) == 2.0


def test_sources_list_the_library_then_the_supplied_year_with_its_origin(s2027):
    combined = combine(TZ, [(s2027, "supplied v3 by office")])
    assert combined.sources == (Source(2004, 2026, LIBRARY), Source(2027, 2027, "supplied v3 by office"))


def test_2028_without_2027_is_not_used_and_the_problem_names_2027(s2028):
    combined = combine(TZ, [(s2028, "file 2028")])
    assert combined.covered_until == D(2026, 12, 31)
    [problem] = combined.problems
    assert problem.startswith("the schedule of 2028 (file 2028) is not used: 2027 is not covered")


def test_2027_and_2028_together_cover_to_end_of_2028(s2027, s2028):
    combined = combine(TZ, [(s2028, "file 2028"), (s2027, "file 2027")])  # any order
    assert combined.covered_until == D(2028, 12, 31)
    assert combined.problems == ()
    assert combined.sources[1:] == (Source(2027, 2027, "file 2027"), Source(2028, 2028, "file 2028"))


def test_supplied_2028_days_are_in_the_calendar(s2027, s2028):
    calendar = combine(TZ, [(s2027, "file 2027"), (s2028, "file 2028")]).calendar
    # Mon 2028-01-03 is New Year, Sat 2028-01-22 an adjusted working day, Sun 2028-12-31 rest.
    assert [calendar.is_workday(d) for d in (D(2028, 1, 3), D(2028, 1, 22), D(2028, 12, 31))] == [
        False, True, False]


def test_library_year_supplied_as_data_covers_it_as_the_library_does():
    # The library stops at 2025; its own 2026 is supplied as a document, as if it were new.
    combined = combine(TZ, [(from_library(2026), "2026 as data")], library_until=2025)
    assert combined.covered_until == D(2026, 12, 31)
    assert combined.problems == ()
    days_2026 = [D(2026, 1, 1) + dt.timedelta(days=i) for i in range(365)]
    assert [combined.calendar.is_workday(d) for d in days_2026] == [chinese_calendar.is_workday(d) for d in days_2026]


def test_library_year_supplied_as_data_is_its_own_source():
    combined = combine(TZ, [(from_library(2026), "2026 as data")], library_until=2025)
    assert combined.sources == (Source(2004, 2025, LIBRARY), Source(2026, 2026, "2026 as data"))


def test_supplied_year_agreeing_with_the_library_changes_nothing():
    combined = combine(TZ, [(from_library(2026), "again")])
    assert combined.covered_until == D(2026, 12, 31)
    assert combined.problems == ()
    assert combined.sources == (Source(2004, 2026, LIBRARY), Source(2026, 2026, "again (agrees with the library)"))


def test_supplied_2026_disagreeing_with_the_library_is_named_and_the_library_kept():
    # The library: Sat 2026-02-14 is an adjusted working day (Spring Festival). This document
    # drops it, making it a rest day.
    assert chinese_calendar.is_workday(D(2026, 2, 14))
    doc = from_library(2026).to_json()
    doc["workdays"].remove("2026-02-14")
    combined = combine(TZ, [(parse(doc), "office")])
    [problem] = combined.problems
    assert problem.startswith("the schedule of 2026 (office) is not used: it makes 2026-02-14 a rest day")
    assert "the library says it is a working day" in problem
    assert combined.covered_until == D(2026, 12, 31)
    assert combined.calendar.is_workday(D(2026, 2, 14))


def test_supplied_2027_disagreeing_with_the_library_in_late_december_2026_is_not_used():
    # Sun 2026-12-27 is a rest day in the library; this 2027 document makes it a working day.
    assert not chinese_calendar.is_workday(D(2026, 12, 27))
    doc = doc_2027()
    doc["workdays"].append("2026-12-27")
    combined = combine(TZ, [(parse(doc), "office")])
    assert combined.covered_until == D(2026, 12, 31)
    [problem] = combined.problems
    assert problem.startswith("the schedule of 2027 (office) is not used: it makes 2026-12-27 a working day")
    assert "the library says it is a rest day" in problem


def test_refused_2027_keeps_a_following_2028_out_as_well(s2028):
    doc = doc_2027()
    doc["workdays"].append("2026-12-27")
    combined = combine(TZ, [(parse(doc), "office"), (s2028, "file 2028")])
    assert combined.covered_until == D(2026, 12, 31)
    assert combined.sources == (Source(2004, 2026, LIBRARY),)


def test_real_2018_and_2019_supplied_as_data_cover_2019_as_the_library_does():
    combined = combine(TZ, [(from_library(2018), "2018 as data"), (from_library(2019), "2019 as data")],
                       library_until=2017)
    assert combined.problems == ()
    assert combined.covered_until == D(2019, 12, 31)
    assert combined.calendar.is_workday(D(2018, 12, 29))       # Saturday, New Year make-up day
    assert not combined.calendar.is_workday(D(2018, 12, 31))   # Monday, New Year 2019 day off


# --- a synthetic library: every day of 2004 a working day ----------------------------------------

def test_synthetic_library_alone_covers_2004():
    combined = combine(TZ, [], library=ALL_WORK_2004)
    assert combined.covered_until == D(2004, 12, 31)
    assert combined.sources == (Source(2004, 2004, LIBRARY),)


def test_synthetic_library_extended_by_2005():
    combined = combine(TZ, [(parse(DOC_2005), "2005 file")], library=ALL_WORK_2004)
    assert combined.covered_until == D(2005, 12, 31)
    assert combined.problems == ()


def test_handling_time_across_new_year_into_a_supplied_year():
    calendar = combine(TZ, [(parse(DOC_2005), "2005 file")], library=ALL_WORK_2004).calendar
    # Fri 2004-12-31 18:00: 6 h left (a working day here); 2005-01-01..03 off; Tue 01-04 to
    # 06:00: 6 h.  12 / 24 = 0.5 working days.
    assert calendar.workdays_between(at(2004, 12, 31, 18), at(2005, 1, 4, 6)) == 0.5


def test_adjusted_working_saturday_of_a_supplied_year_counts():
    calendar = combine(TZ, [(parse(DOC_2005), "2005 file")], library=ALL_WORK_2004).calendar
    # Fri 2005-02-04 12:00 to Sat 02-05 (adjusted working day) 12:00: 12 h + 12 h = 1 working day.
    assert calendar.workdays_between(at(2005, 2, 4, 12), at(2005, 2, 5, 12)) == 1.0


def test_synthetic_gap_leaves_2006_unused_and_names_2005():
    combined = combine(TZ, [(parse(DOC_2006), "2006 file")], library=ALL_WORK_2004)
    assert combined.covered_until == D(2004, 12, 31)
    [problem] = combined.problems
    assert "2005 is not covered" in problem


def test_synthetic_years_supplied_out_of_order_are_used_in_order():
    combined = combine(TZ, [(parse(DOC_2006), "2006 file"), (parse(DOC_2005), "2005 file")],
                       library=ALL_WORK_2004)
    assert combined.covered_until == D(2006, 12, 31)
    assert [s.origin for s in combined.sources] == [LIBRARY, "2005 file", "2006 file"]


def test_late_december_day_agreeing_with_the_library_is_accepted():
    # Sat 2004-12-25 is a working day in the synthetic library; 2005 lists it as one too.
    doc = copy.deepcopy(DOC_2005)
    doc["workdays"].append("2004-12-25")
    combined = combine(TZ, [(parse(doc), "2005 file")], library=ALL_WORK_2004)
    assert combined.covered_until == D(2005, 12, 31)
    assert combined.problems == ()


def test_late_december_day_off_against_the_library_is_named_and_the_year_not_used():
    # Fri 2004-12-31 is a working day in the synthetic library; this 2005 makes it New Year.
    sched = schedule(DOC_2005, holidays={**DOC_2005["holidays"], "new_years_day": ["2004-12-31/2005-01-03"]})
    combined = combine(TZ, [(sched, "2005 file")], library=ALL_WORK_2004)
    assert combined.covered_until == D(2004, 12, 31)
    [problem] = combined.problems
    assert "it makes 2004-12-31 a rest day, but the library says it is a working day" in problem
