"""What a report request can get wrong, as types; the API answers each with a 4xx problem that
names the parameter, or the days the platform holds (services/api/errors.py)."""

from __future__ import annotations

import datetime as dt

from hotline.errors import HotlineError


class ReportQueryError(HotlineError):
    """A request parameter that cannot be answered; `parameter` names it."""

    status = 400

    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter


class BadPeriod(ReportQueryError):
    pass


class UnknownTable(ReportQueryError):
    status = 404


class UnknownFormat(ReportQueryError):
    status = 406


class NoData(HotlineError):
    """The platform holds no event at all in the period asked for (services/api/report/coverage.py):
    a 404 `no-data` that names the days it does hold, instead of a table of zeros that would say
    the city went silent. `first_day` / `last_day` are those days, None when it holds none yet."""

    status = 404

    def __init__(self, lo: dt.date, hi: dt.date, first_day: dt.date | None, last_day: dt.date | None):
        held = (f"the platform holds events from {first_day} to {last_day}"
                if first_day is not None and last_day is not None else "the platform holds no events yet")
        super().__init__(f"no events for {lo}..{hi}; {held}")
        self.first_day, self.last_day = first_day, last_day
