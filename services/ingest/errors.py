"""Whole-request errors of the ingest service (the machinery is hotline.web.problems).

Event-level rejections are not errors: they are results (routes/events.py).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI

from hotline.web.problems import (  # noqa: F401 - the service's error vocabulary, in one import
    PROBLEM_MEDIA_TYPE, InternalError, MalformedRequest, MethodNotAllowed, NotFound, RequestError,
    Unauthorized, problem_response,
)
from hotline.web import problems

log = logging.getLogger("hotline.ingest")


class MalformedJson(MalformedRequest):
    slug, title = "malformed-json", "The body is not valid JSON"


class Forbidden(RequestError):
    status, slug, title = 403, "forbidden-source", "The token may not publish these sources"


class PayloadTooLarge(RequestError):
    status, slug, title = 413, "too-large", "The body or the batch is too large"


class UnsupportedMediaType(RequestError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported content type"


class BrokerUnavailable(RequestError):
    """The broker did not acknowledge every event in time: nothing is reported accepted."""

    status, slug, title = 503, "broker-unavailable", "The events could not be stored; retry the request"


def install(app: FastAPI) -> None:
    # The routes read their bodies themselves; the validation handler only guards against a
    # future parameter.
    problems.install(
        app, log, internal_detail="internal error; no event of this request is reported accepted",
        on_validation=lambda exc: MalformedRequest("the request does not match the API"),
    )
