"""The working-day calendar: how far it reaches, and the year schedules operators supply
(docs/operations/calendar.md). Reading needs `read`; supplying and withdrawing need `supply`."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Request, Response

from hotline.calendar.schedule import ScheduleInvalid, from_library, parse
from hotline.calendar.work import library_last_year
from hotline.storage.work_calendar import Synced
from services.api.deps import ComponentsDep, LiveReaderDep, SupplierDep
from services.api.errors import InvalidParameter, NotFound, ScheduleRefused, StorageUnavailableProblem
from services.api.routes.supplied import read_body

router = APIRouter(prefix="/v1/calendar", tags=["calendar"])
YearPath = Annotated[int, Path(ge=2004, le=2100, description="the schedule's year")]
MAX_SCHEDULE_BYTES = 64 * 1024


def _json(doc: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(doc), status_code=status, media_type="application/json")


@router.get("", summary="How far the working-day calendar reaches, from which sources, what is pending")
async def get_calendar(c: ComponentsDep, _: LiveReaderDep) -> Response:
    if not c.calendar.state.checked_at_ms:
        raise StorageUnavailableProblem(c.calendar.state.error or "the calendar is being read; retry in a second",
                                 headers={"Retry-After": "1"})
    await c.calendar.count_pending()  # /readyz and /v1/live show the last round's count
    return _json(c.calendar.state.describe(c.calendar.today()))


@router.get("/{year}", summary="A year's schedule: the one supplied, or the library's",
            responses={404: {"description": "neither a supplied schedule nor the library knows the year"}})
async def get_year(year: YearPath, c: ComponentsDep, _: LiveReaderDep) -> Response:
    stored = {s.year: (s, origin) for s, origin in await c.calendar.stored()}
    if year in stored:
        schedule, origin = stored[year]
        return _json({"origin": origin, "schedule": schedule.to_json()})
    if year <= library_last_year():
        return _json({"origin": "library chinesecalendar", "schedule": from_library(year).to_json()})
    raise NotFound(f"no schedule of {year} is known: supply it with PUT /v1/calendar/{year}")


@router.put(
    "/{year}", summary="Supply a year's holiday schedule (scope `supply`)",
    description="The body is the year's schedule (holidays and adjusted working days, docs/operations/calendar.md). "
    "It is validated, must agree with the library and the other schedules wherever both know a day, and "
    "must follow the covered years; then it is stored as a new version and the handling times it makes "
    "computable are recomputed before the answer.",
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}},
    responses={400: {"description": "not JSON, or the year differs from the path"},
               422: {"description": "the schedule is wrong or disagrees; `problems` name each day"}},
)
async def put_year(year: YearPath, request: Request, c: ComponentsDep, reader: SupplierDep) -> Response:
    body = await read_body(request, MAX_SCHEDULE_BYTES)
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidParameter("the body is not valid JSON", parameter="body") from None
    if isinstance(doc, dict) and doc.get("year") != year:
        raise InvalidParameter(f"the document's year must be {year}, the year in the path", parameter="year")
    try:
        synced = await c.calendar.supply(parse(doc), f"supplied by {reader.name}")
    except ScheduleInvalid as exc:
        raise ScheduleRefused(str(exc), problems=exc.problems) from None
    return _json(_synced(synced, c))


@router.delete("/{year}", summary="Withdraw a supplied year schedule (scope `supply`)",
               responses={404: {"description": "no supplied schedule of the year is in force"}})
async def delete_year(year: YearPath, c: ComponentsDep, reader: SupplierDep) -> Response:
    if not await c.calendar.withdraw(year, f"withdrawn by {reader.name}"):
        raise NotFound(f"no supplied schedule of {year} is in force")
    return _json({"withdrawn": year, **c.calendar.state.describe(c.calendar.today())})


def _synced(synced: Synced, c: ComponentsDep) -> dict[str, Any]:
    return {"recomputed_tickets": synced.refreshed, **c.calendar.state.describe(c.calendar.today())}
