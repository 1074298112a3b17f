"""The working-day calendar: W(t) (work.py), the year schedules an operator supplies
(schedule.py), and the one calendar made of the library and those schedules (sources.py)."""

from hotline.calendar.work import DAY_S, EPOCH, CalendarNotCovered, WorkCalendar, for_timezone

__all__ = ["DAY_S", "EPOCH", "CalendarNotCovered", "WorkCalendar", "for_timezone"]
