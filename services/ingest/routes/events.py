"""POST /v1/events: CloudEvents over HTTP into Kafka.

Order of checks, each refusing the whole request with its own status before any event is
judged: token (401), content coding and type (415), body size (413), body syntax (400), batch
length (413), sources allowed to the token (403). Then every event is judged (triage), the
accepted ones and the dead letters of the rejected ones are published, and the answer is sent
only after the broker acknowledged all of them; if it did not: 503, nothing reported accepted.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Request, Response, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hotline.web.body import BadContentLength, BodyTooLarge, read_limited
from services.ingest.auth import source_prefixes
from services.ingest.deps import ComponentsDep
from services.ingest.errors import BrokerUnavailable, MalformedRequest, PayloadTooLarge
from services.ingest.models import IngestAnswer
from services.ingest.openapi import OPENAPI_EXTRA, RESPONSES
from services.ingest.parse import check_encoding, content_mode, events_of
from services.ingest.triage import triage

router = APIRouter(tags=["events"])

# Declared for the OpenAPI document (security scheme); the token is checked by auth.py so that
# every failure is the service's own 401 problem answer.
_bearer = HTTPBearer(auto_error=False, description="the producer's token, from HOTLINE_INGEST_TOKENS")
BearerDoc = Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]


@router.post(
    "/v1/events",
    summary="Publish CloudEvents (structured, batch or binary mode)",
    response_model=IngestAnswer,
    responses=RESPONSES,
    openapi_extra=OPENAPI_EXTRA,
)
async def post_events(request: Request, c: ComponentsDep, _doc: BearerDoc = None) -> Response:
    """Accepts CloudEvents 1.0 in the three HTTP content modes and answers, for every event,
    **accepted** (the broker acknowledged it, acks=all) or **rejected** (with the attribute or
    `data` field path and the rule broken; a copy goes to `hotline.deadletter.v1`).

    - `200`: all accepted (also for an empty batch); `207`: some of each; `422`: all rejected.
    - Accepted events go to `hotline.calls.v1` or `hotline.tickets.v1` by type, key = `subject`,
      value = the event as JSON with `data.caller` replaced by `data.caller_hash`.
    - Retrying a request (e.g. after a timeout or a 503) is safe: the answer is the same, and the
      copies written twice are dropped downstream by (`source`, `id`).
    """
    settings = c.settings
    producer = c.auth.authenticate(request.headers.get("authorization"))
    headers = request.headers
    content_type = headers.get("content-type")
    check_encoding(headers.get("content-encoding"))
    mode = content_mode(content_type, headers)
    body = await _read_body(request, settings.max_body_bytes)
    events = events_of(mode, body, headers, content_type, settings.max_batch_events)
    prefixes = source_prefixes(producer, events)

    judged = triage(
        events, prefixes, producer=producer.name, hash_key=settings.hash_key, kafka=settings.kafka,
        max_event_bytes=settings.max_event_bytes, received_at=_now(),
    )
    if judged.messages:
        start = time.perf_counter()
        try:
            await c.publisher.publish(judged.messages)
        except BrokerUnavailable:
            c.metrics.broker_failures.inc()
            raise
        c.metrics.publish_duration.observe(time.perf_counter() - start)
    c.metrics.judged(producer.name, mode.value, judged.tally, judged.reasons)
    return Response(judged.body(), status_code=judged.status_code, media_type="application/json")


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, or 413 as soon as it is known to exceed `limit` (hotline/web/body.py)."""
    try:
        return await read_limited(request, limit)
    except BodyTooLarge:
        raise _too_large(limit) from None
    except BadContentLength:
        raise MalformedRequest("Content-Length is not a number") from None


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the body exceeds {limit} bytes: split the batch", limit=limit)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
