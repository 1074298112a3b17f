"""An HTTP request body -> the raw events it carries, in each CloudEvents HTTP content mode.

- structured (`application/cloudevents+json`): the body is one event;
- batch (`application/cloudevents-batch+json`): the body is a JSON array of events (`[]` too);
- binary (any other content type or none, with `ce-` headers): the headers are the attributes
  and the body is `data`, JSON also when no Content-Type says so (hotline.cloudevents.from_binary).

In structured and batch mode an attribute given as `null` is absent (the JSON event format), so
what comes back is the event as CloudEvents readers (the Python SDK's `from_http`) read it.

Pure: the events come back undecided (they may be anything JSON, `validate_event` judges them);
only what makes the request as a whole unreadable raises, as a typed RequestError.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

from hotline.cloudevents import (
    BATCH_MEDIA_TYPE, HTTP_PREFIX, STRUCTURED_MEDIA_TYPE, InvalidHeader, MalformedData,
    UnsupportedDataContentType, decode_json, from_binary, media_type, without_null_attributes,
)
from services.ingest.errors import (
    MalformedJson, MalformedRequest, PayloadTooLarge, UnsupportedMediaType,
)

SUPPORTED = (
    f"send {STRUCTURED_MEDIA_TYPE} (one event), {BATCH_MEDIA_TYPE} (a JSON array of events), "
    f"or binary mode ({HTTP_PREFIX}* headers and a JSON body, e.g. application/json)"
)


class Mode(str, Enum):
    STRUCTURED = "structured"
    BATCH = "batch"
    BINARY = "binary"


def content_mode(content_type: str | None, headers: Mapping[str, str]) -> Mode:
    """Which content mode a request uses; raises UnsupportedMediaType when none fits."""
    mt = media_type(content_type)
    if mt is not None and mt.essence in (STRUCTURED_MEDIA_TYPE, BATCH_MEDIA_TYPE):
        if not mt.charset_ok:
            raise UnsupportedMediaType(f"{mt.essence} is UTF-8; no other charset is accepted")
        return Mode.STRUCTURED if mt.essence == STRUCTURED_MEDIA_TYPE else Mode.BATCH
    if any(name.lower().startswith(HTTP_PREFIX) for name in headers.keys()):
        return Mode.BINARY
    raise UnsupportedMediaType(SUPPORTED)


def check_encoding(content_encoding: str | None) -> None:
    """Bodies are read as sent; a compressed one would be taken for malformed JSON (RFC 7694)."""
    if content_encoding and content_encoding.strip().lower() not in ("identity", ""):
        raise UnsupportedMediaType(
            "Content-Encoding is not supported; send the body uncompressed",
            headers={"Accept-Encoding": "identity"},
        )


def events_of(
    mode: Mode, body: bytes, headers: Mapping[str, str], content_type: str | None,
    max_batch_events: int,
) -> list[object]:
    """The raw events of the body. Raises MalformedJson, MalformedRequest, PayloadTooLarge or
    UnsupportedMediaType for the request as a whole."""
    if mode is Mode.BINARY:
        try:
            return [from_binary(headers, HTTP_PREFIX, body, content_type)]
        except InvalidHeader as exc:
            raise MalformedRequest(str(exc), header=exc.header) from None
        except UnsupportedDataContentType as exc:
            raise UnsupportedMediaType(str(exc)) from None
        except MalformedData as exc:
            raise MalformedJson(str(exc), line=exc.line, column=exc.column) from None
    if not body.strip():
        raise MalformedJson("the body is empty; " + (
            "send one event as a JSON object" if mode is Mode.STRUCTURED else "send a JSON array ([] is valid)"
        ))
    try:
        decoded = decode_json(body)
    except MalformedData as exc:
        raise MalformedJson(str(exc), line=exc.line, column=exc.column) from None
    if mode is Mode.STRUCTURED:
        return [without_null_attributes(decoded)]
    if not isinstance(decoded, list):
        raise MalformedRequest(f"a {BATCH_MEDIA_TYPE} body must be a JSON array of events")
    if len(decoded) > max_batch_events:
        raise PayloadTooLarge(
            f"the batch holds {len(decoded)} events; at most {max_batch_events} are accepted per "
            "request: split it", limit=max_batch_events,
        )
    return [without_null_attributes(event) for event in decoded]
