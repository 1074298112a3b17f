"""OpenAPI documentation of POST /v1/events beyond what FastAPI derives from the signature: the
three content modes with examples, the binary-mode headers, and every answer with an example.

Documentation only; nothing here is used to judge a request."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hotline.cloudevents import BATCH_MEDIA_TYPE, STRUCTURED_MEDIA_TYPE
from hotline.contract import EVENT_TYPES
from services.ingest.errors import PROBLEM_MEDIA_TYPE
from services.ingest.models import IngestAnswer, Problem

EVENT_EXAMPLE: dict[str, Any] = {
    "specversion": "1.0", "id": "pbx-7f3a-0001", "source": "/pbx/main",
    "type": "hotline.call.offered", "time": "2024-03-01T08:00:00+08:00", "subject": "call-20240301-0001",
    "data": {"direction": "inbound", "line": "12345", "caller": "13800138000"},
}
TICKET_EXAMPLE: dict[str, Any] = {
    "specversion": "1.0", "id": "portal-99812", "source": "/portal/web",
    "type": "hotline.ticket.created", "time": "2024-03-01T08:03:12+08:00", "subject": "T2024030100017",
    "data": {"requester": "citizen", "channel": "web", "kind": "non_consult", "category": "民生保障"},
}
BAD_EXAMPLE: dict[str, Any] = {
    "specversion": "1.0", "id": "pbx-7f3a-0002", "source": "/pbx/main",
    "type": "hotline.call.answered", "time": "2024-03-01T08:00", "subject": "call-20240301-0001",
    "data": {},
}
ACCEPTED_ANSWER = {"accepted": 1, "rejected": 0, "results": [
    {"index": 0, "id": "pbx-7f3a-0001", "source": "/pbx/main", "status": "accepted"}]}
PARTIAL_ANSWER = {"accepted": 1, "rejected": 1, "results": [
    {"index": 0, "id": "pbx-7f3a-0001", "source": "/pbx/main", "status": "accepted"},
    {"index": 1, "id": "pbx-7f3a-0002", "source": "/pbx/main", "status": "rejected", "errors": [
        {"path": "data.agent_id", "rule": "is required"},
        {"path": "time", "rule": "must be an RFC 3339 date-time with seconds and an offset (Z or ±hh:mm, hours 00–23)"},
    ]}]}
REJECTED_ANSWER = {"accepted": 0, "rejected": 1, "results": [PARTIAL_ANSWER["results"][1] | {"index": 0}]}

EventType = Literal[tuple(sorted(EVENT_TYPES))]  # type: ignore[valid-type]


class CloudEvent(BaseModel):
    """A CloudEvent 1.0 of contract v1 (schemas/v1/envelope.json and schemas/v1/data/<type>.json
    are the full rules). Extension attributes: lower-case letters and digits only."""

    model_config = ConfigDict(extra="allow")

    specversion: Literal["1.0"]
    id: str = Field(min_length=1, description="unique per source; (source, id) identifies the event")
    source: str = Field(min_length=1, description="URI-reference, under one of the token's prefixes")
    type: EventType
    time: str = Field(description="RFC 3339 with seconds and an offset, when it happened")
    subject: str = Field(min_length=1, description="call_id or ticket_id; the Kafka key")
    data: dict[str, Any] | None = Field(
        default=None, description="per type; `caller` is replaced by `caller_hash` before storage")
    datacontenttype: str | None = None
    dataschema: str | None = None


def _problem(description: str, example: dict[str, Any], headers: dict[str, Any] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"description": description, "content": {PROBLEM_MEDIA_TYPE: {
        "schema": Problem.model_json_schema(), "example": example}}}
    if headers:
        doc["headers"] = headers
    return doc


def _p(status: int, slug: str, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"type": f"urn:hotline:problem:{slug}", "title": title, "status": status, "detail": detail,
            "instance": "/v1/events", **extra}


_EVENT_SCHEMA = CloudEvent.model_json_schema()
_BINARY_HEADERS = [
    {"name": f"ce-{name}", "in": "header", "required": False, "schema": {"type": "string"},
     "description": f"binary mode: the `{name}` attribute (percent-encode non-ASCII); {what}"}
    for name, what in (
        ("specversion", "its presence selects binary mode"), ("id", "required"), ("source", "required"),
        ("type", "required"), ("time", "required"), ("subject", "required"),
    )
]

REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "description": "One event, a batch, or (binary mode) only `data` with the attributes in "
                   "`ce-` headers. Limits: body size and events per batch are configured "
                   "(HOTLINE_INGEST_MAX_BODY_BYTES, HOTLINE_INGEST_MAX_BATCH_EVENTS).",
    "content": {
        STRUCTURED_MEDIA_TYPE: {"schema": _EVENT_SCHEMA, "examples": {
            "call offered": {"value": EVENT_EXAMPLE}, "ticket created": {"value": TICKET_EXAMPLE}}},
        BATCH_MEDIA_TYPE: {"schema": {"type": "array", "items": _EVENT_SCHEMA}, "examples": {
            "mixed batch": {"summary": "one valid, one invalid: answered 207",
                            "value": [EVENT_EXAMPLE, BAD_EXAMPLE]},
            "empty batch": {"value": []}}},
        "application/json": {
            "schema": {"type": "object", "description": "binary mode: the event's data"},
            "example": EVENT_EXAMPLE["data"]},
    },
}

_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before retrying the whole request",
                                "schema": {"type": "integer"}}}
_AUTH = {"WWW-Authenticate": {"description": 'Bearer realm="hotline-ingest"', "schema": {"type": "string"}}}

RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "every event accepted: the broker acknowledged each (acks=all)",
          "content": {"application/json": {"example": ACCEPTED_ANSWER}}},
    207: {"model": IngestAnswer, "description": "some accepted, some rejected (copied to the dead-letter topic)",
          "content": {"application/json": {"example": PARTIAL_ANSWER}}},
    422: {"model": IngestAnswer, "description": "every event rejected; results say the path and rule of each violation",
          "content": {"application/json": {"example": REJECTED_ANSWER}}},
    400: _problem("the body is not JSON, a batch is not an array, or a ce- header is unreadable",
                  _p(400, "malformed-json", "The body is not valid JSON",
                     "the body is not valid JSON (line 1, column 17)", line=1, column=17)),
    401: _problem("no bearer token, or an unknown one", _p(
        401, "unauthorized", "A valid bearer token is required", "the bearer token is not known"), _AUTH),
    403: _problem("an event's source is outside the token's source prefixes; nothing was written", _p(
        403, "forbidden-source", "The token may not publish these sources",
        "1 event(s) carry a source outside this token's prefixes (/pbx/): index 2; nothing was published",
        indexes=[2]), _AUTH),
    413: _problem("the body or the batch exceeds the configured limits", _p(
        413, "too-large", "The body or the batch is too large",
        "the body exceeds 10485760 bytes: split the batch", limit=10485760)),
    415: _problem("neither a CloudEvents media type nor binary mode, a charset other than UTF-8, "
                  "binary-mode data that is not JSON, or a Content-Encoding", _p(
        415, "unsupported-media-type", "Unsupported content type",
        "send application/cloudevents+json (one event), application/cloudevents-batch+json (a JSON "
        "array of events), or binary mode (ce-* headers and a JSON body, e.g. application/json)")),
    503: _problem("the broker did not acknowledge every event in time; no event is reported accepted. "
                  "Retry the whole request after Retry-After: duplicates are dropped downstream", _p(
        503, "broker-unavailable", "The events could not be stored; retry the request",
        "the broker did not acknowledge the events within 10 s. No event of this request is reported "
        "accepted; some may have been written. Retry the whole request: duplicates (same source and "
        "id) are dropped downstream.", retry="whole-request"), _RETRY_AFTER),
}

OPENAPI_EXTRA: dict[str, Any] = {"requestBody": REQUEST_BODY, "parameters": _BINARY_HEADERS}
