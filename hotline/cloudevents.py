"""CloudEvents 1.0 protocol bindings shared by HTTP (ingest) and Kafka (aggregate).

A binary-mode message carries the attributes in headers (`ce-id` over HTTP, `ce_id` over Kafka)
and `data` as the body; `from_binary` turns one into the structured-mode dict that
`hotline.contract.validate_event` judges, so both transports end in the same validation.

`data` without a Content-Type is JSON: the binding leaves the header optional, the CloudEvents
Python SDK's `to_binary` sends JSON data without one and its `from_http` reads such a body as
`application/json`, so those events are read here as their producer meant them.

In the JSON event format an attribute given as `null` is absent (`without_null_attributes`): a
required one that is null is therefore missing, and the contract says so by its name.

Header values are untrusted text: over HTTP they are percent-decoded (CloudEvents HTTP binding
3.1.3.2: non-printable and non-ASCII characters travel percent-encoded), and a value with a
control character after decoding (CR, LF, NUL...) is refused rather than carried on into events,
logs or other headers. Errors name the header and the rule, never the value: a value may be a
caller's phone number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import orjson

STRUCTURED_MEDIA_TYPE = "application/cloudevents+json"
BATCH_MEDIA_TYPE = "application/cloudevents-batch+json"
HTTP_PREFIX = "ce-"
KAFKA_PREFIX = "ce_"

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NOT_ASCII = re.compile(r"[^\x00-\x7f]")
# In binary mode `data` is the body and `datacontenttype` is the Content-Type header (HTTP and
# Kafka bindings alike); a header of that name is a producer's mistake, not an extension.
_NOT_HEADERS = {"data": "data travels in the body in binary mode",
                "data_base64": "data travels in the body in binary mode",
                "datacontenttype": "datacontenttype travels as the Content-Type header"}

# Members of a JSON-format event that are not attributes (CloudEvents JSON format).
_NOT_ATTRIBUTES = frozenset({"data", "data_base64"})


class BinaryModeError(ValueError):
    """A binary-mode message that cannot be turned into an event; `str()` never holds a value."""

    def __init__(self, message: str, header: str | None = None) -> None:
        super().__init__(message)
        self.header = header


class InvalidHeader(BinaryModeError):
    """A `ce-`/`ce_` header that breaks the binding (encoding, control characters, duplicates)."""

    def __init__(self, header: str, rule: str) -> None:
        super().__init__(f"header {printable(header)}: {rule}", header)
        self.rule = rule


class UnsupportedDataContentType(BinaryModeError):
    """The content type of the body is not JSON in UTF-8: these event types carry JSON data."""


class MalformedData(BinaryModeError):
    """The content type says JSON but the body does not parse; line/column say where."""

    def __init__(self, line: int, column: int) -> None:
        super().__init__(f"the body is not valid JSON (line {line}, column {column})")
        self.line, self.column = line, column


@dataclass(frozen=True, slots=True)
class MediaType:
    """`type/subtype` in lower case plus parameters (names lower-cased, values as sent)."""

    essence: str
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_json(self) -> bool:
        return self.essence in ("application/json", "text/json") or (
            "/" in self.essence and self.essence.endswith("+json")
        )

    @property
    def charset_ok(self) -> bool:
        """JSON is UTF-8 (RFC 8259 §8.1): any other declared charset cannot be honoured."""
        charset = self.params.get("charset")
        return charset is None or charset.strip('"').lower() in ("utf-8", "utf8")


def media_type(value: str | None) -> MediaType | None:
    """Parse a Content-Type value; None when absent or empty."""
    if value is None:
        return None
    essence, *rest = value.split(";")
    essence = essence.strip().lower()
    if not essence:
        return None
    params = {}
    for part in rest:
        name, sep, val = part.partition("=")
        if sep:
            params[name.strip().lower()] = val.strip()
    return MediaType(essence, params)


def printable(text: str, limit: int = 64) -> str:
    """`text` safe for a message: control and non-ASCII characters escaped, length bounded."""
    escaped = text.encode("unicode_escape").decode("ascii")
    return escaped if len(escaped) <= limit else escaped[:limit] + "..."


def from_binary(
    headers: Mapping[str, str], prefix: str, body: bytes, content_type: str | None
) -> dict[str, Any]:
    """The structured-mode event of a binary-mode message (not validated: that is the contract's).

    `headers`: every header of the message; those starting with `prefix` (case-insensitive,
    `HTTP_PREFIX` or `KAFKA_PREFIX`) become attributes named by the rest, lower-cased (HTTP
    header names are case-insensitive). Values stay strings as sent (`time` is not parsed);
    with `HTTP_PREFIX` they are percent-decoded first. `content_type` becomes `datacontenttype`;
    a non-empty body becomes `data`, decoded as JSON: without a content type (None or blank) it is
    taken for JSON, any other content type must be JSON in UTF-8. An empty body means no `data`.

    If `headers` can yield a name twice (e.g. Starlette's `Headers.items()`), a repeated
    attribute is refused: which of two ids is meant cannot be guessed.

    Raises InvalidHeader, UnsupportedDataContentType or MalformedData.
    """
    http = prefix.lower() == HTTP_PREFIX
    event: dict[str, Any] = {}
    cut = len(prefix)
    for name, value in headers.items():
        lower = name.lower()
        if not lower.startswith(prefix.lower()):
            continue
        attr = lower[cut:]
        if attr in _NOT_HEADERS:
            raise InvalidHeader(name, _NOT_HEADERS[attr])
        if attr in event:
            raise InvalidHeader(name, "appears more than once")
        event[attr] = _header_value(name, value, http)
    if content_type is not None:
        if _CONTROL.search(content_type):
            raise InvalidHeader("content-type", "must not contain control characters")
    declared = content_type is not None and content_type.strip() != ""
    if declared:
        event["datacontenttype"] = content_type
    if body:
        mt = media_type(content_type)
        if declared and (mt is None or not mt.is_json or not mt.charset_ok):
            raise UnsupportedDataContentType(
                "binary-mode data must be JSON in UTF-8: send it with Content-Type "
                "application/json (or another +json type)"
            )
        event["data"] = decode_json(body)
    return event


def without_null_attributes(event: Any) -> Any:
    """`event` without the attributes given as JSON `null`: absent, in the JSON event format.

    Attributes are every member but `data` and `data_base64`, which are not attributes (a `null`
    data stays for the contract to refuse). Returns `event` itself when nothing is null (and
    anything but a dict as it is), else a shallow copy; never mutates `event`.
    """
    if not isinstance(event, dict) or None not in event.values():
        return event
    return {k: v for k, v in event.items() if v is not None or k in _NOT_ATTRIBUTES}


def decode_json(body: bytes) -> Any:
    """orjson.loads, with MalformedData (position only, never content) on failure."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedData(exc.lineno, exc.colno) from None


def kafka_headers(raw: Iterable[tuple[str, bytes | None]]) -> dict[str, str]:
    """Kafka record headers as text for `from_binary(..., KAFKA_PREFIX, ...)`.

    Values must be UTF-8; a header without a value is skipped; a repeated `ce_` header is
    refused (a repeated other header keeps its last value: it is not ours to judge).
    """
    out: dict[str, str] = {}
    for name, value in raw:
        if value is None:
            continue
        if name.lower().startswith(KAFKA_PREFIX) and name.lower() in out:
            raise InvalidHeader(name, "appears more than once")
        try:
            out[name.lower()] = value.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidHeader(name, "must be UTF-8 text") from None
    return out


def _header_value(name: str, value: str, http: bool) -> str:
    if http:
        # Starlette hands header bytes over as latin-1 text: anything beyond ASCII was sent raw,
        # against the binding, and cannot be told apart from a wrong guess at its encoding.
        if _NOT_ASCII.search(value):
            raise InvalidHeader(name, "non-ASCII characters must be percent-encoded (UTF-8)")
        if "%" in value:
            try:
                value = unquote(value, encoding="utf-8", errors="strict")
            except UnicodeDecodeError:
                raise InvalidHeader(name, "percent-encoded bytes must be UTF-8") from None
    if _CONTROL.search(value):
        raise InvalidHeader(name, "must not contain control characters (CR, LF, NUL...)")
    return value
