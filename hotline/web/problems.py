"""Whole-request errors as RFC 9457 problem details, and the one place that turns them into answers.

Every error a client can cause is a `RequestError` subclass with its own status, so no client
mistake ends as a 500. `type` names the problem for programs, `detail` tells a person what to
change. Details name limits, parameters and positions, never a value from the request (it may
hold a caller's number). Each service adds its own subclasses and calls `install` once.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from hotline.web.asgi import StatusWatch

PROBLEM_MEDIA_TYPE = "application/problem+json"
_TYPE_PREFIX = "urn:hotline:problem:"


class RequestError(Exception):
    """A request the service will not process as a whole. Subclasses fix status and slug."""

    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        body = {"type": _TYPE_PREFIX + self.slug, "title": self.title, "status": self.status,
                "detail": self.detail}
        if instance:
            body["instance"] = instance
        return {**body, **self.extra}


class MalformedRequest(RequestError):
    slug, title = "malformed-request", "The body or a header cannot be read"


class Unauthorized(RequestError):
    status, slug, title = 401, "unauthorized", "A valid bearer token is required"


class NotFound(RequestError):
    status, slug, title = 404, "not-found", "No such resource"


class MethodNotAllowed(RequestError):
    status, slug, title = 405, "method-not-allowed", "Method not allowed"


class InternalError(RequestError):
    """Our bug, never a client's mistake: the only source of a 500."""

    status, slug, title = 500, "internal-error", "Internal error"


def problem_response(error: RequestError, instance: str | None = None) -> Response:
    return Response(
        orjson.dumps(error.problem(instance)), status_code=error.status,
        media_type=PROBLEM_MEDIA_TYPE, headers=error.headers,
    )


ValidationHandler = Callable[[RequestValidationError], RequestError]


def install(
    app: FastAPI, log: logging.Logger, *, internal_detail: str, on_validation: ValidationHandler,
) -> None:
    """Register the handlers (typed errors, framework errors) and the last-resort middleware.
    `on_validation` turns FastAPI's parameter validation error into the service's own error."""

    async def on_request_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestError)
        return problem_response(exc, request.url.path)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        cls = {404: NotFound, 405: MethodNotAllowed}.get(exc.status_code, RequestError)
        error = cls(str(exc.detail) if cls is RequestError else cls.title, headers=dict(exc.headers or {}))
        if cls is RequestError:
            error.status = exc.status_code
        return problem_response(error, request.url.path)

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return problem_response(on_validation(exc), request.url.path)

    async def on_disconnect(request: Request, exc: Exception) -> Response:
        # Nobody reads this answer; it keeps a client's hang-up out of the error log.
        return problem_response(MalformedRequest("the client closed the connection mid-body"))

    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        RequestError: on_request_error, StarletteHTTPException: on_http_error,
        RequestValidationError: on_validation_error, ClientDisconnect: on_disconnect,
    }
    for exc_type, handler in handlers.items():
        app.add_exception_handler(exc_type, handler)
    app.add_middleware(LastResort, log=log, detail=internal_detail)


class LastResort:
    """Pure ASGI middleware: an unexpected exception becomes a 500 problem, logged without its
    message (which might carry a value from the request), and is not re-raised into the server's
    log either. Starlette's own handler for `Exception` always re-raises, hence this class."""

    def __init__(self, app: ASGIApp, log: logging.Logger, detail: str) -> None:
        self.app, self.log, self.detail = app, log, detail

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        watch = StatusWatch(send)
        try:
            await self.app(scope, receive, watch)
        except Exception as exc:  # noqa: BLE001 - the last resort is the point
            self.log.error("internal error on %s: %s\n%s", scope.get("path"), type(exc).__name__,
                           "".join(traceback.format_tb(exc.__traceback__)))
            if watch.started:
                raise
            await problem_response(InternalError(self.detail), scope.get("path"))(scope, receive, send)
