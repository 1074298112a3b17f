"""Whole-request errors of the ingest service, and the one place that turns them into answers.

Every error a client can cause is a `RequestError` with its own status, so no client mistake ends
as a 500. The answer is RFC 9457 problem details (`application/problem+json`): `type` names the
problem for programs, `detail` tells a person what to change. Details name limits, header names,
positions and indexes, never a value from the request (it may hold a caller's number).

Event-level rejections are not errors: they are results (routes/events.py).
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("hotline.ingest")

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


class MalformedJson(MalformedRequest):
    slug, title = "malformed-json", "The body is not valid JSON"


class Unauthorized(RequestError):
    status, slug, title = 401, "unauthorized", "A valid bearer token is required"


class Forbidden(RequestError):
    status, slug, title = 403, "forbidden-source", "The token may not publish these sources"


class PayloadTooLarge(RequestError):
    status, slug, title = 413, "too-large", "The body or the batch is too large"


class UnsupportedMediaType(RequestError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported content type"


class BrokerUnavailable(RequestError):
    """The broker did not acknowledge every event in time: nothing is reported accepted."""

    status, slug, title = 503, "broker-unavailable", "The events could not be stored; retry the request"


class InternalError(RequestError):
    """Our bug, never a client's mistake: the only source of a 500."""

    status, slug, title = 500, "internal-error", "Internal error"


class NotFound(RequestError):
    status, slug, title = 404, "not-found", "No such resource"


class MethodNotAllowed(RequestError):
    status, slug, title = 405, "method-not-allowed", "Method not allowed"


def problem_response(error: RequestError, instance: str | None = None) -> Response:
    return Response(
        orjson.dumps(error.problem(instance)), status_code=error.status,
        media_type=PROBLEM_MEDIA_TYPE, headers=error.headers,
    )


def install(app: FastAPI) -> None:
    """Register the handlers (typed errors, framework errors) and the last-resort middleware."""

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
        # The routes read their bodies themselves; this only guards against a future parameter.
        return problem_response(MalformedRequest("the request does not match the API"), request.url.path)

    async def on_disconnect(request: Request, exc: Exception) -> Response:
        # Nobody reads this answer; it keeps a client's hang-up out of the error log.
        return problem_response(MalformedRequest("the client closed the connection mid-body"))

    app.add_exception_handler(RequestError, on_request_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(ClientDisconnect, on_disconnect)
    app.add_middleware(LastResort)


class LastResort:
    """Pure ASGI middleware: an unexpected exception becomes a 500 problem, logged without its
    message (which might carry a value from the request), and is not re-raised into the server's
    log either. Starlette's own handler for `Exception` always re-raises, hence this class."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:  # noqa: BLE001 - the last resort is the point
            log.error("internal error on %s: %s\n%s", scope.get("path"), type(exc).__name__,
                      "".join(traceback.format_tb(exc.__traceback__)))
            if started:
                raise
            error = InternalError("internal error; no event of this request is reported accepted")
            await problem_response(error, scope.get("path"))(scope, receive, send)
