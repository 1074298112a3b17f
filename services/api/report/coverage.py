"""Which days of a period the platform holds events for, and what a report says about the rest.

The platform holds the days from the first a call was offered or a ticket created to the last.
A report of days outside them would be a table of zeros, and a zero says the city went silent;
what it really says is that the platform does not know. So a period wholly outside them is no
report (NoData, a 404 naming the days held), and a period partly outside them, or not ended,
says which of its days are covered: its figures for the other days are unknown, not zero. A day
between the first and the last without any event is taken as a day without demands.

`held` is the first and last local day of the tickets created and the calls offered
(FactsReader.coverage); `today` is the city's local date. Pure: the annual and period reports
and the weekly and monthly brief all decide the same way from the same three values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from services.api.report.errors import NoData
from services.api.report.period import Period

__all__ = ["Coverage", "NoData", "assess"]


@dataclass(frozen=True)
class Coverage:
    """The first and last local day the platform holds events for; both None when it holds none."""

    first: dt.date | None
    last: dt.date | None


def assess(period: Period, held: Coverage, today: dt.date) -> dict[str, Any]:
    """The report's `coverage`: the days held, whether the period's figures are complete, and
    a note (Chinese, printed above the tables) saying which of its days are covered when not.

    Raises NoData when the platform holds nothing, or the period lies wholly before the first
    day held or wholly after the last, unless it is the period running today: this week's
    brief asked for on Monday just after midnight, before its first event, is a running period
    with nothing in it yet, not an unknown one. Incomplete: the period starts before the first day held,
    ends after the last, or has not ended (its last day is today or later). A period that has
    not ended is not said to miss its days after the last one held: they have not all happened
    yet, and its note says up to which day its figures go instead."""
    first, last = held.first, held.last
    current = period.lo <= today <= period.hi
    if first is None or last is None or period.hi < first or (period.lo > last and not current):
        raise NoData(period.lo, period.hi, first, last)
    running = period.hi >= today
    before, after = period.lo < first, period.hi > last and not running
    covered_lo, covered_hi = max(period.lo, first), min(period.hi, last)
    notes = []
    if before or after:
        unknown = "此前和此后" if before and after else "此前" if before else "此后"
        notes.append(f"本期数据不完整：平台持有 {covered_lo} 至 {covered_hi} 的事件，"
                     f"{unknown}的数字是未知而不是零。")
    if running:
        notes.append(f"本期尚未结束：数据截至 {covered_hi}。")
    return {
        "first_day": first.isoformat(), "last_day": last.isoformat(),
        "complete": not (before or period.hi > last or running),
        "note": "".join(notes) or None,
    }
