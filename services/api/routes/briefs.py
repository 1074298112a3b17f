"""The weekly and monthly brief (周报、月报) and the department assessment (部门考核) of any period
(docs/briefs.md)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.concurrency import run_in_threadpool

from services.api.brief import periods
from services.api.brief.assessment import Weights
from services.api.brief.document import BriefParams
from services.api.auth import Reader
from services.api.deps import Components, ComponentsDep, ReaderDep, known_parameters
from services.api.report.period import MAX_SERIES_DAYS
from services.api.routes.reports import _FORMATS, _PROBLEMS, Format, ParamsDep, deliver

router = APIRouter(prefix="/v1/reports", tags=["briefs"])

SERVICE_LEVEL = ("sl_threshold_s", "sl_denominator", "short_abandon_s")
CHOICES = (*SERVICE_LEVEL, "top_n", "unsatisfied_on", "evaluations")
_NO_DATA = {404: {"description": "the platform holds no event of the period (`no-data`): the answer says "
                                 "which days it holds"}}


async def brief_params(
    c: ComponentsDep, report: ParamsDep,
    top_n: Annotated[int | None, Query(ge=1, le=50, description="rows of each hot ranking (default 10)")] = None,
    unsatisfied_on: Annotated[Literal["resolution", "any"] | None, Query(
        description="an evaluation is unsatisfied when its resolution answer is false (resolution, default) "
                    "or when either answer is (any)")] = None,
    evaluations: Annotated[Literal["latest", "all"] | None, Query(
        description="a ticket evaluated more than once counts by its latest rated evaluation (latest, "
                    "default) or by every one (all, as the annual report)")] = None,
) -> BriefParams:
    d = c.settings.brief
    return BriefParams(report.service_level, top_n or d.top_n, unsatisfied_on or d.unsatisfied_on,
                       evaluations or d.evaluations,
                       Weights(d.weight_satisfaction, d.weight_on_time, d.weight_completion))


BriefParamsDep = Annotated[BriefParams, Depends(brief_params)]


async def _brief(c: Components, reader: Reader, params: BriefParams, bp: periods.BriefPeriod, fmt: Format) -> Response:
    answer = await run_in_threadpool(c.briefs.brief, bp, params, fmt, reader.department)
    return await deliver(c, reader, answer, bp.kind, bp.period, fmt)


@router.get(
    "/weekly/{week}", summary="The weekly brief (周报)",
    description="An ISO week in the city's time zone: the week in figures against the week before and "
    "the same week last year, the daily trend against its expected band, hot demands ranked by excess over "
    "expectation with the surge alerts, concentrated demands, ping-pong tickets and the department pairs, "
    "unsatisfied tickets by escalation level, supervised and overdue tickets, and the department assessment.",
    responses={**_FORMATS, **_PROBLEMS, **_NO_DATA},
    dependencies=[Depends(known_parameters("format", *CHOICES))],
)
async def weekly(
    c: ComponentsDep, reader: ReaderDep, params: BriefParamsDep,
    week: Annotated[str, Path(max_length=8, description="an ISO week, e.g. 2024-W25")],
    format: Format = "json",
) -> Response:
    return await _brief(c, reader, params, periods.week(week), format)


@router.get(
    "/monthly/{month}", summary="The monthly brief (月报)",
    description="The weekly brief's sections for a calendar month, against the month before and the same "
    "month last year.",
    responses={**_FORMATS, **_PROBLEMS, **_NO_DATA},
    dependencies=[Depends(known_parameters("format", *CHOICES))],
)
async def monthly(
    c: ComponentsDep, reader: ReaderDep, params: BriefParamsDep,
    month: Annotated[str, Path(max_length=7, description="a month, e.g. 2024-06")],
    format: Format = "json",
) -> Response:
    return await _brief(c, reader, params, periods.month(month), format)


@router.get(
    "/departments", summary="The department assessment (部门考核) of any period",
    description="One row per department over the tickets created from `from` to `to` (both included) "
    f"whose latest dispatch went to it, ranked by score, with the city's total. At most {MAX_SERIES_DAYS} days.",
    responses={**_FORMATS, **_PROBLEMS, **_NO_DATA},
    dependencies=[Depends(known_parameters("from", "to", "format", "unsatisfied_on", "evaluations"))],
)
async def departments(
    c: ComponentsDep, reader: ReaderDep, params: BriefParamsDep,
    start: Annotated[dt.date, Query(alias="from", description="first day, YYYY-MM-DD")],
    end: Annotated[dt.date, Query(alias="to", description="last day, YYYY-MM-DD")],
    format: Format = "json",
) -> Response:
    bp = periods.between(start, end, MAX_SERIES_DAYS)
    answer = await run_in_threadpool(c.briefs.departments, bp, params, format, reader.department)
    return await deliver(c, reader, answer, "departments", bp.period, format)
