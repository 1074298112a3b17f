"""What a report request can get wrong, as types; the API answers each with a 4xx problem that
names the parameter (services/api/errors.py)."""

from __future__ import annotations

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
