"""What a request handler needs, built once per app in its lifespan and handed in by FastAPI."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from services.api.auth import Authenticator, Reader
from services.api.briefing import Briefs
from services.api.calendar_watch import CalendarWatch
from services.api.errors import InvalidParameter
from services.api.facts_reader import FactsReader
from services.api.live import LiveFigures
from services.api.metrics import Metrics
from services.api.reporting import Reports
from services.api.settings import ApiSettings
from services.api.share_log import ShareLog


@dataclass(frozen=True)
class Components:
    settings: ApiSettings
    auth: Authenticator
    reader: FactsReader
    reports: Reports
    live: LiveFigures
    metrics: Metrics
    shares: ShareLog
    calendar: CalendarWatch
    briefs: Briefs


async def components(request: Request) -> Components:
    # async: FastAPI would run a plain `def` dependency in a worker thread, once per request.
    return request.app.state.components


ComponentsDep = Annotated[Components, Depends(components)]


def scoped(scope: str) -> Callable[..., Coroutine[Any, Any, Reader]]:
    async def reader(request: Request, c: ComponentsDep) -> Reader:
        return c.auth.authenticate(request.headers.get("authorization"), scope)
    return reader


def city_wide(what: str) -> Callable[..., Coroutine[Any, Any, Reader]]:
    """A city-wide `read` token: a department's token gets 403 naming why (`what` is not its tickets)."""
    async def reader(request: Request, c: ComponentsDep) -> Reader:
        return c.auth.city_wide(request.headers.get("authorization"), what)
    return reader


ReaderDep = Annotated[Reader, Depends(scoped("read"))]
SupplierDep = Annotated[Reader, Depends(scoped("supply"))]
# City-wide reads: a department's token is refused them (403 naming why).
LiveReaderDep = Annotated[Reader, Depends(city_wide("the live figures"))]
SuppliedReaderDep = Annotated[Reader, Depends(city_wide("the supplied figures"))]
SharesReaderDep = Annotated[Reader, Depends(city_wide("the data-share table"))]
AlertsReaderDep = Annotated[Reader, Depends(city_wide("the early-warning alerts"))]


def known_parameters(*names: str) -> Callable[..., Coroutine[Any, Any, None]]:
    """Refuse query parameters the route does not know: a misspelt `?formt=xlsx` silently giving
    JSON would mislead a report builder."""
    allowed = frozenset(names)

    async def check(request: Request) -> None:
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            raise InvalidParameter(
                f"unknown query parameter(s) {', '.join(unknown)[:200]}; this route takes "
                f"{', '.join(sorted(allowed)) or 'none'}", parameter=unknown[0][:100])
    return check
