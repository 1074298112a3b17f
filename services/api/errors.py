"""Whole-request errors of the query API (the machinery is hotline.web.problems)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from hotline.web import problems
from hotline.web.problems import (  # noqa: F401 - the service's error vocabulary, in one import
    PROBLEM_MEDIA_TYPE, NotFound, RequestError, Unauthorized, problem_response,
)

from hotline import errors as core
from services.api.metrics import Metrics
from services.api.report.errors import NoData as ReportNoData
from services.api.report.errors import ReportQueryError
from services.api.report.errors import UnknownTable as ReportUnknownTable
from services.api.share_log import ShareNotLogged

log = logging.getLogger("hotline.api")


class InvalidParameter(RequestError):
    status, slug, title = 400, "invalid-parameter", "A parameter is not valid"


class Forbidden(RequestError):
    status, slug, title = 403, "forbidden", "The token may not do this"


class UnknownTable(RequestError):
    status, slug, title = 404, "unknown-table", "No such report table"


class NoData(RequestError):
    """The answer to report.errors.NoData: `first_day` / `last_day` (null when none) say which days
    the platform holds, for a program to pick a period it can answer."""

    status, slug, title = 404, "no-data", "The platform holds no events in this period"


class PayloadTooLarge(RequestError):
    status, slug, title = 413, "too-large", "The body is too large"


class StorageUnavailableProblem(RequestError):
    """The answer to hotline.errors.StorageUnavailable (handled below), and what a route raises
    itself when its background figures are not there yet."""

    status, slug, title = 503, "storage-unavailable", "The figures cannot be read now; retry"


def _parameter(exc: RequestValidationError) -> InvalidParameter:
    """Name the first bad parameter and what it must be; never echo its value."""
    err = exc.errors()[0] if exc.errors() else {}
    loc = [str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body")]
    name = ".".join(loc) or "request"
    expected = err.get("ctx", {}).get("expected") if isinstance(err.get("ctx"), dict) else None
    rule = f"must be {expected}" if expected else str(err.get("msg", "is not valid")).lower()
    return InvalidParameter(f"{name}: {rule}", parameter=name)


def install(app: FastAPI, metrics: Metrics) -> None:
    """The shared problem handlers, plus the core's typed errors turned into their answers:
    a report parameter that cannot be answered (4xx naming it), a period without events (404
    naming the days held), ClickHouse not answering (503)."""
    problems.install(app, log, internal_detail="internal error", on_validation=_parameter)

    async def on_query_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ReportQueryError)
        cls = UnknownTable if isinstance(exc, ReportUnknownTable) else InvalidParameter
        return problem_response(cls(str(exc), parameter=exc.parameter), request.url.path)

    async def on_no_data(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ReportNoData)
        held = {"first_day": exc.first_day, "last_day": exc.last_day}
        return problem_response(NoData(str(exc), **{k: d and d.isoformat() for k, d in held.items()}), request.url.path)

    async def on_storage_error(request: Request, exc: Exception) -> Response:
        metrics.storage_errors.inc()
        log.warning("answered 503: %s", exc)
        return problem_response(StorageUnavailableProblem(str(exc), headers={"Retry-After": "5"}), request.url.path)

    async def on_share_not_logged(request: Request, exc: Exception) -> Response:
        # The department's data stays here: a share must never leave unlogged.
        metrics.storage_errors.inc()
        log.error("answered 503 instead of a department's data: %s", exc)
        return problem_response(StorageUnavailableProblem(str(exc), headers={"Retry-After": "5"}), request.url.path)

    app.add_exception_handler(ReportQueryError, on_query_error)
    app.add_exception_handler(ReportNoData, on_no_data)
    app.add_exception_handler(core.StorageUnavailable, on_storage_error)
    app.add_exception_handler(ShareNotLogged, on_share_not_logged)


class ScheduleRefused(RequestError):
    status, slug, title = 422, "schedule-refused", "The holiday schedule is refused"
