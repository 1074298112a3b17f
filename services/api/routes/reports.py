"""Reports of a year or any period, one table of them, and daily/weekly/monthly series."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.concurrency import run_in_threadpool

from services.api.auth import Reader
from services.api.deps import Components, ComponentsDep, ReaderDep, known_parameters
from services.api.errors import Forbidden
from services.api.report.assemble import ReportParams
from services.api.report.figures import ServiceLevel
from services.api.report.period import MAX_SERIES_DAYS, Period
from services.api.reporting import Answer
from services.api.share_log import Share

router = APIRouter(prefix="/v1", tags=["reports"])

Format = Literal["json", "csv", "xlsx", "html"]
TableFormat = Literal["json", "csv"]
CHOICES = ("sl_threshold_s", "sl_denominator", "short_abandon_s", "efficiency_scope", "top_n")
_PROBLEMS = {
    400: {"description": "a parameter is not valid; `parameter` names it"},
    401: {"description": "no or unknown bearer token"},
    403: {"description": "the token lacks the read scope, or is a department's and asked for city-wide data"},
    503: {"description": "ClickHouse did not answer (or a department's share could not be logged); retry"},
}
# A period without any event is no report of zeros (services/api/report/coverage.py).
_NO_DATA = ("`no-data`: the platform holds no event (call or ticket) in the period; `detail`, `first_day` "
            "and `last_day` say which days it holds (null when none yet)")
_FORMATS = {200: {"content": {
    "application/json": {}, "application/zip": {}, "text/csv": {}, "text/html": {},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
    "description": "the report in the format asked for"}}


async def report_params(
    c: ComponentsDep,
    sl_threshold_s: Annotated[int | None, Query(ge=1, le=600, description="service level threshold N in seconds (default 30)")] = None,
    sl_denominator: Annotated[Literal["offered", "answered", "abandon_ignored"] | None, Query(
        description="service level denominator (default offered): offered | answered | abandon_ignored (offered minus calls abandoned within N s)")] = None,
    short_abandon_s: Annotated[int | None, Query(ge=0, le=600, description="calls abandoned within S s are left out of offered and abandoned (default 0: none)")] = None,
    efficiency_scope: Annotated[Literal["all", "dispatched"] | None, Query(
        description="the efficiency table (热线服务效能) over all tickets (default) or dispatched tickets only")] = None,
    top_n: Annotated[int | None, Query(ge=1, le=50, description="rows of the TOP tables (default 5)")] = None,
) -> ReportParams:
    d = c.settings.report
    return ReportParams(
        ServiceLevel(sl_threshold_s or d.service_level_threshold_s, sl_denominator or d.service_level_denominator,
                     d.short_abandon_s if short_abandon_s is None else short_abandon_s),
        efficiency_scope or d.efficiency_scope, top_n or d.top_n,
    )


ParamsDep = Annotated[ReportParams, Depends(report_params)]
YearPath = Annotated[int, Path(ge=2000, le=2100, description="the report year (local calendar year)")]


def _response(a: Answer) -> Response:
    headers = {"X-Cache": "hit" if a.cached else "miss"}
    if a.filename:
        headers["Content-Disposition"] = f'attachment; filename="{a.filename}"'
    return Response(a.body, media_type=a.media_type, headers=headers)


# Tables of the annual report that are the city's, not a department's tickets.
CITY_TABLES = {"calls": "the calls table (话务服务)", "supplied": "the supplied figures (报送数据)"}


async def deliver(c: Components, reader: Reader, answer: Answer, route: str, period: Period, fmt: str,
                   table: str | None = None) -> Response:
    """The answer, after logging it when it goes to a department: ShareNotLogged (a 503) keeps
    a share that could not be logged from being made."""
    if reader.department is not None:
        share = Share(reader.name, reader.department, reader.level, route, table or "", fmt,
                      period.lo, period.hi, answer.tickets)
        await run_in_threadpool(c.shares.record, share)
    return _response(answer)


@router.get(
    "/reports/annual/{year}", summary="The whole annual report",
    description="Every event-derived table of the published annual reports, with year-over-year against "
    "the previous year when the platform holds it, the monthly series and the report builder's supplied "
    "figures (marked). JSON keys follow report-huaian-2023.json. `format=csv` answers a zip with one CSV "
    "per table; `xlsx` a workbook with one sheet per table; `html` a printable page. `coverage` says which "
    "days the platform holds and whether the year's figures are complete (with a note when not).",
    responses={**_FORMATS, **_PROBLEMS, 404: {"description": _NO_DATA}},
    dependencies=[Depends(known_parameters("format", *CHOICES))],
)
async def annual(year: YearPath, c: ComponentsDep, reader: ReaderDep, params: ParamsDep,
                 format: Format = "json") -> Response:
    period = Period.year(year)
    answer = await run_in_threadpool(c.reports.report, "annual", period, params, format, None, reader.department)
    return await deliver(c, reader, answer, "annual", period, format)


@router.get(
    "/reports/annual/{year}/tables/{table}", summary="One table of the annual report",
    description="`table` is one of demands, calls, talent_line, linkage_110, efficiency, top_departments, "
    "top_categories, maishangyi_tags, monthly, supplied.",
    responses={**_PROBLEMS, 404: {"description": f"`unknown-table`; or {_NO_DATA}"}},
    dependencies=[Depends(known_parameters("format", *CHOICES))],
)
async def annual_table(year: YearPath, table: str, c: ComponentsDep, reader: ReaderDep, params: ParamsDep,
                       format: TableFormat = "json") -> Response:
    if reader.department is not None and table in CITY_TABLES:
        raise Forbidden(f"this token is restricted to the tickets of {reader.department}; {CITY_TABLES[table]} "
                        "is city-wide data, not that department's tickets")
    period = Period.year(year)
    answer = await run_in_threadpool(c.reports.report, "annual", period, params, format, table, reader.department)
    return await deliver(c, reader, answer, "annual_table", period, format, table)


@router.get(
    "/reports/period", summary="The same report for any date range",
    description="`from` and `to` are local dates, both included. Year-over-year compares the same dates a "
    "year earlier (periods of at most a year). `coverage.complete` is false, with a note saying which days "
    "are covered, when the range starts before the first day the platform holds, ends after its last, or "
    "has not ended.",
    responses={**_FORMATS, **_PROBLEMS, 404: {"description": _NO_DATA}},
    dependencies=[Depends(known_parameters("from", "to", "format", *CHOICES))],
)
async def period_report(
    c: ComponentsDep, reader: ReaderDep, params: ParamsDep,
    start: Annotated[dt.date, Query(alias="from", description="first day, YYYY-MM-DD")],
    end: Annotated[dt.date, Query(alias="to", description="last day, YYYY-MM-DD")],
    format: Format = "json",
) -> Response:
    period = Period.between(start, end)
    answer = await run_in_threadpool(c.reports.report, "period", period, params, format, None, reader.department)
    return await deliver(c, reader, answer, "period", period, format)


@router.get(
    "/series", summary="Daily, weekly or monthly series of the headline figures",
    description="Per bucket (first day of the day / ISO week / month): demands by source and handling, "
    f"consult / non-consult, inbound calls with service level, outbound calls. At most {MAX_SERIES_DAYS} days.",
    responses=_PROBLEMS,
    dependencies=[Depends(known_parameters("from", "to", "interval", *CHOICES))],
)
async def series(
    c: ComponentsDep, reader: ReaderDep, params: ParamsDep,
    start: Annotated[dt.date, Query(alias="from")], end: Annotated[dt.date, Query(alias="to")],
    interval: Literal["day", "week", "month"] = "day",
) -> Response:
    period = Period.between(start, end, MAX_SERIES_DAYS)
    answer = await run_in_threadpool(c.reports.series, period, interval, params, reader.department)
    return await deliver(c, reader, answer, "series", period, "json")
