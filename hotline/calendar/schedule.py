"""One year's holiday schedule as an operator supplies it (the State Council's notice, as data).

A document (JSON):

    {"year": 2027,
     "holidays": {"new_years_day": ["2027-01-01/2027-01-03"], "spring_festival": [...], ...},
     "workdays": ["2027-02-07", ...],
     "notice": "国务院办公厅关于2027年部分节假日安排的通知"}

`holidays` names each statutory holiday with its days off (a day, or an ISO interval
"first/last"; weekend days inside a block may be listed); `workdays` are the adjusted working
days (调休上班), which fall on weekends. Every other day of the year is a working day from
Monday to Friday and a rest day on Saturday and Sunday. `notice` is free text.

Validation catches the mistakes a person makes copying a notice: a missing holiday, a fixed
holiday on the wrong date, a lunar one far from its season, fewer days than the law gives, an
adjusted working day on a weekday, a day both off and worked. Each problem names the day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from hotline.errors import HotlineError

# The statutory holidays (全国年节及纪念日放假办法), in the names the chinesecalendar package
# uses, with the days off the law gives: from 2025 the Spring Festival has 4 and Labour Day 2.
STATUTORY = ("new_years_day", "spring_festival", "tomb_sweeping_day", "labour_day",
             "dragon_boat_festival", "mid_autumn_festival", "national_day")
OTHER = ("anti_fascist_70th_day",)  # a one-off day off (2015) the library knows


def statutory_days(year: int) -> dict[str, int]:
    """Days off by holiday in `year`: the 2008 revision added three traditional festivals and
    cut Labour Day to one day; the 2025 one added a day each to the Spring Festival and Labour
    Day."""
    if year < 2008:
        return {"new_years_day": 1, "spring_festival": 3, "labour_day": 3, "national_day": 3}
    new_law = year >= 2025
    return {"new_years_day": 1, "spring_festival": 4 if new_law else 3, "tomb_sweeping_day": 1,
            "labour_day": 2 if new_law else 1, "dragon_boat_festival": 1, "mid_autumn_festival": 1,
            "national_day": 3}


# Where each holiday's days off may lie (month, day) within its year: fixed dates are required
# days; lunar and solar-term holidays get the widest window their date has ever had, plus the
# days a block may reach around them. New Year's Day may begin in the last days of December.
_REQUIRED = {"new_years_day": ((1, 1),), "labour_day": ((5, 1),), "national_day": ((10, 1), (10, 2), (10, 3))}
_WINDOW = {
    "spring_festival": ((1, 15), (2, 28)),
    "tomb_sweeping_day": ((4, 1), (4, 10)),
    "dragon_boat_festival": ((5, 25), (6, 30)),
    "mid_autumn_festival": ((9, 1), (10, 10)),
    "labour_day": ((4, 28), (5, 10)),
    "national_day": ((9, 25), (10, 10)),
    "new_years_day": ((1, 1), (1, 5)),
}
_DECEMBER_BEFORE = dt.date(2000, 12, 20)  # month/day from which the year before may hold New Year days
_KEYS = {"year", "holidays", "workdays", "notice"}
MERGED_NATIONAL_DAY_DAYS = 8


class ScheduleInvalid(HotlineError):
    """A supplied year schedule is wrong; `problems` name each wrong field and day."""

    def __init__(self, year: object, problems: list[str]):
        super().__init__(f"the holiday schedule of {year} is refused: " + "; ".join(problems))
        self.year = year
        self.problems = problems


@dataclass(frozen=True)
class YearSchedule:
    year: int
    holidays: Mapping[str, tuple[dt.date, ...]]
    workdays: tuple[dt.date, ...]
    notice: str = ""

    def days(self) -> dict[dt.date, bool]:
        """Every day the document decides (its year, and any late-December day of the year
        before that it lists): True = working day."""
        out: dict[dt.date, bool] = {}
        day = dt.date(self.year, 1, 1)
        while day.year == self.year:
            out[day] = day.weekday() < 5
            day += dt.timedelta(days=1)
        for ds in self.holidays.values():
            for d in ds:
                out[d] = False
        for d in self.workdays:
            out[d] = True
        return out

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "year": self.year,
            "holidays": {name: [d.isoformat() for d in ds] for name, ds in self.holidays.items()},
            "workdays": [d.isoformat() for d in self.workdays],
        }
        if self.notice:
            doc["notice"] = self.notice
        return doc

    def canonical(self) -> bytes:
        return orjson.dumps(self.to_json(), option=orjson.OPT_SORT_KEYS)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()


def parse(doc: object) -> YearSchedule:
    """Validate a document (already decoded JSON); raises ScheduleInvalid naming every problem."""
    if not isinstance(doc, dict):
        raise ScheduleInvalid("?", ["the document must be a JSON object with year, holidays and workdays"])
    year = doc.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 2004 <= year <= 2100:
        raise ScheduleInvalid(year, ["year: must be a whole number from 2004 to 2100"])
    problems = [f"{k}: unknown field (expected year, holidays, workdays, notice)" for k in sorted(set(doc) - _KEYS)]
    holidays = _holidays(year, doc.get("holidays"), problems)
    workdays = tuple(sorted(_dates(year, "workdays", doc.get("workdays", []), problems)))
    notice = doc.get("notice", "")
    if not isinstance(notice, str) or len(notice) > 500:
        problems.append("notice: must be text of at most 500 characters")
        notice = ""
    _check(year, holidays, workdays, problems)
    if problems:
        raise ScheduleInvalid(year, problems)
    return YearSchedule(year, holidays, workdays, notice)


def loads(text: str | bytes) -> list[YearSchedule]:
    """A file's text: one document, or a list of them (one per year)."""
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ScheduleInvalid("?", [f"not JSON: {exc}"]) from None
    docs = doc if isinstance(doc, list) else [doc]
    out = [parse(d) for d in docs]
    years = [s.year for s in out]
    if len(set(years)) != len(years):
        raise ScheduleInvalid(years, ["a year appears twice in the file"])
    return out


def from_library(year: int) -> YearSchedule:
    """The year as the chinesecalendar package knows it, written as a document: for an operator
    who wants to see the format, and for tests that supply a known year as if it were new."""
    import chinese_calendar

    names = {h.value: h.name for h in chinese_calendar.Holiday}
    holidays: dict[str, list[dt.date]] = {}
    for day, name in sorted(chinese_calendar.holidays.items()):
        # New Year's days off in late December belong to the next year's notice.
        owner = day.year + 1 if (day.month == 12 and name == "New Year's Day") else day.year
        if owner == year:
            holidays.setdefault(names[name], []).append(day)
    # An adjusted working day belongs to the notice of the holiday it makes up for: late-December
    # days of the year before belong to this year's New Year's Day (2018-12-29 for 2019).
    workdays = [d for d in sorted(chinese_calendar.workdays)
                if (d.year == year and not (d.month == 12 and chinese_calendar.workdays[d] == "New Year's Day"))
                or (d.year == year - 1 and d.month == 12 and chinese_calendar.workdays[d] == "New Year's Day")]
    return YearSchedule(year, {k: tuple(v) for k, v in holidays.items()}, tuple(workdays))


def _holidays(year: int, value: object, problems: list[str]) -> dict[str, tuple[dt.date, ...]]:
    if not isinstance(value, dict):
        problems.append("holidays: must be an object naming each holiday with its days off")
        return {}
    out = {}
    for name, days in value.items():
        if name not in STATUTORY and name not in OTHER:
            problems.append(f"holidays.{name}: unknown holiday (expected one of {', '.join(STATUTORY)})")
            continue
        out[name] = tuple(sorted(_dates(year, f"holidays.{name}", days, problems)))
    return out


def _dates(year: int, field: str, value: object, problems: list[str]) -> Iterable[dt.date]:
    if not isinstance(value, list):
        problems.append(f"{field}: must be a list of dates (YYYY-MM-DD or YYYY-MM-DD/YYYY-MM-DD)")
        return []
    out: list[dt.date] = []
    for item in value:
        try:
            first, _, last = str(item).partition("/") if isinstance(item, str) else ("", "", "")
            a = dt.date.fromisoformat(first)
            b = dt.date.fromisoformat(last) if last else a
        except ValueError:
            problems.append(f"{field}: {str(item)[:40]!r} is not a date (YYYY-MM-DD) or interval (first/last)")
            continue
        if b < a or (b - a).days > 14:
            problems.append(f"{field}: {item} is not an interval of at most 15 days")
            continue
        while a <= b:
            if a.year != year and not (a.year == year - 1 and (a.month, a.day) >= (12, _DECEMBER_BEFORE.day)
                                       and (field == "workdays" or field == "holidays.new_years_day")):
                problems.append(f"{field}: {a} is not in {year}")
            elif a in out:
                problems.append(f"{field}: {a} is listed twice")
            else:
                out.append(a)
            a += dt.timedelta(days=1)
    return out


def _check(year: int, holidays: Mapping[str, tuple[dt.date, ...]], workdays: tuple[dt.date, ...],
           problems: list[str]) -> None:
    off = {d for ds in holidays.values() for d in ds}
    need_by_name = statutory_days(year)
    merged = "mid_autumn_festival" in need_by_name and not holidays.get("mid_autumn_festival")
    if merged:
        # Mid-Autumn on 1 October (2020) is one block with National Day, listed under it; such a
        # block has been 8 days each time, so a usual 7-day National Day without Mid-Autumn is a
        # forgotten holiday, not a merge.
        need_by_name.pop("mid_autumn_festival")
        need_by_name["national_day"] = MERGED_NATIONAL_DAY_DAYS
    for name, need in need_by_name.items():
        days = holidays.get(name)
        if not days:
            problems.append(f"holidays.{name}: missing (every year has it)")
            continue
        if len(days) < need:
            problems.append(
                f"holidays.{name}: {len(days)} day(s) off, the law gives at least {need}" if not (merged and name == "national_day")
                else f"holidays.mid_autumn_festival: missing (a National Day of {len(days)} days cannot hold it: "
                     f"list Mid-Autumn's day, or the merged block of at least {need} days)")
        for month, day in _REQUIRED.get(name, ()):
            # A required day may sit in a neighbouring holiday's block (Mid-Autumn on 3 October 2009).
            if dt.date(year, month, day) not in off:
                problems.append(f"holidays.{name}: {dt.date(year, month, day)} must be a day off")
        (m0, d0), (m1, d1) = _WINDOW[name]
        lo, hi = dt.date(year, m0, d0), dt.date(year, m1, d1)
        if name == "new_years_day":
            lo = dt.date(year - 1, 12, _DECEMBER_BEFORE.day)
        for d in days:
            if not lo <= d <= hi:
                problems.append(f"holidays.{name}: {d} is outside {lo:%m-%d}..{hi:%m-%d}, where this holiday falls")
    seen: dict[dt.date, str] = {}
    for name, days in holidays.items():
        for d in days:
            if d in seen:
                problems.append(f"holidays.{name}: {d} is also listed under {seen[d]}")
            seen[d] = name
    for d in workdays:
        if d.weekday() < 5:
            problems.append(f"workdays: {d} is a {d:%A}; an adjusted working day falls on a Saturday or Sunday")
        if d in seen:
            problems.append(f"workdays: {d} is also a day off ({seen[d]})")
